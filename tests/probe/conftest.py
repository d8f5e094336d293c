"""Fixtures for probing a real registry: the test PKI, the token server, and
``docker-registry`` processes with token or htpasswd auth, all on 127.0.0.1."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from exporter.probe.login import Login
from exporter.probe.settings import ProbeSettings, build_ssl_context
from tests.probe.pki import Pki, make_pki
from tests.probe.registry import Registry, push_image
from tests.probe.token_server import SERVICE, Account, TokenServer

# The password every "good" account has: tests assert it never leaks anywhere.
CANARY_PASSWORD = "canary-Pa55w0rd-7f3e9b"
ADMIN = ("admin", "admin-secret-for-pushing")
REPOSITORY = "team/app"


@pytest.fixture(autouse=True)
def no_proxy_for_local_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe honours HTTP(S)_PROXY (``trust_env``); CI may set one, which cannot
    reach the registries these tests start on 127.0.0.1."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def trusting_settings(pki: Pki) -> ProbeSettings:
    """Probe settings that trust the test CA (``--registry-probe-ca-file``); the first round
    starts at once (its random delay is the scheduler tests' business, in virtual time)."""
    return ProbeSettings(enabled=True, ca_file=str(pki.ca_cert), timeout=5.0, jitter=0.0)


def client_context(pki: Pki) -> ssl.SSLContext:
    return build_ssl_context(ProbeSettings(ca_file=str(pki.ca_cert)))


@pytest.fixture
async def session(pki: Pki) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=client_context(pki))
    async with aiohttp.ClientSession(connector=connector) as client:
        yield client


@pytest.fixture
async def token_server(pki: Pki) -> AsyncIterator[TokenServer]:
    server = TokenServer(
        pki,
        accounts={
            "alice": Account(CANARY_PASSWORD),
            "scopeless": Account(CANARY_PASSWORD, actions=()),
            "busy": Account(CANARY_PASSWORD, status=429, retry_after="120"),
            # GHCR's token service answers a revoked or expired PAT with 403 DENIED
            # (docker/login-action#26, akuity/kargo#778: "failed to fetch oauth token:
            # unexpected status: 403 Forbidden").
            "revoked-pat": Account(CANARY_PASSWORD, status=403),
            # A registry side that sends GitHub's expiry header: the probe must not read it.
            "octocat": Account(CANARY_PASSWORD, github_expiry="2031-01-02 03:04:05 UTC"),
            ADMIN[0]: Account(ADMIN[1], actions=("pull", "push")),
        },
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def token_registry(tmp_path: Path, pki: Pki, token_server: TokenServer) -> Iterator[Registry]:
    registry = Registry(tmp_path / "token-registry", pki, "token", token_realm=token_server.url)
    registry.start()
    yield registry
    registry.stop()


@pytest.fixture
def htpasswd_registry(tmp_path: Path, pki: Pki) -> Iterator[Registry]:
    registry = Registry(tmp_path / "htpasswd-registry", pki, "htpasswd",
                        users=(("alice", CANARY_PASSWORD),))  # fmt: skip
    registry.start()
    yield registry
    registry.stop()


@pytest.fixture
async def pushed(
    session: aiohttp.ClientSession, token_registry: Registry, token_server: TokenServer
) -> Registry:
    """The token registry with ``team/app:v1`` in it."""
    scope = f"repository:{REPOSITORY}:pull,push"
    headers = {"Authorization": Login(*ADMIN).basic_authorization()}
    params = {"service": SERVICE, "scope": scope}
    async with session.get(token_server.url, params=params, headers=headers) as response:
        token = (await response.json())["token"]
    await push_image(session, token_registry, REPOSITORY, "v1", f"Bearer {token}")
    return token_registry
