"""The handshake against a real registry: Debian's docker-registry (distribution 2.8) with
TLS from the test CA, behind the test token server or htpasswd (bcrypt)."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from exporter.probe.handshake import Endpoint, HandshakeOutcome, handshake
from exporter.probe.login import Login
from exporter.probe.outcomes import Outcome
from exporter.probe.settings import ProbeSettings, build_ssl_context
from tests.probe.conftest import CANARY_PASSWORD, REPOSITORY
from tests.probe.pki import Pki
from tests.probe.registry import Registry
from tests.probe.token_server import TokenServer


async def probe(
    session: aiohttp.ClientSession,
    registry: Registry,
    user: str,
    password: str = CANARY_PASSWORD,
    *,
    repository: str | None = REPOSITORY,
    manifests: bool = False,
) -> HandshakeOutcome:
    endpoint = Endpoint(f"https://{registry.host}", repository, "v1" if repository else None)
    return await handshake(session, endpoint, Login(user, password), manifests=manifests)


async def test_valid_credential_is_ok(session: aiohttp.ClientSession, pushed: Registry) -> None:
    outcome = await probe(session, pushed, "alice")
    assert (outcome.outcome, outcome.stage, outcome.http_status) == (Outcome.ok, "check", 200)


async def test_valid_credential_with_manifest_head_is_ok(
    session: aiohttp.ClientSession, pushed: Registry
) -> None:
    assert (await probe(session, pushed, "alice", manifests=True)).outcome is Outcome.ok


async def test_without_a_repository_the_login_alone_is_checked(
    session: aiohttp.ClientSession, token_registry: Registry, token_server: TokenServer
) -> None:
    outcome = await probe(session, token_registry, "alice", repository=None)
    assert outcome.outcome is Outcome.ok
    assert "scope=" not in token_server.requests[-1]


async def test_wrong_password_is_unauthorized_at_the_token_service(
    session: aiohttp.ClientSession, pushed: Registry
) -> None:
    outcome = await probe(session, pushed, "alice", "not-the-password")
    assert (outcome.outcome, outcome.stage, outcome.http_status) == (
        Outcome.unauthorized, "token", 401,
    )  # fmt: skip


async def test_token_without_the_repository_scope_is_forbidden(
    session: aiohttp.ClientSession, pushed: Registry
) -> None:
    # distribution 2.8 answers a valid token lacking the scope with 401 and
    # error="insufficient_scope", not 403.
    outcome = await probe(session, pushed, "scopeless")
    assert (outcome.outcome, outcome.stage, outcome.http_status) == (
        Outcome.forbidden, "check", 401,
    )  # fmt: skip


async def test_missing_manifest_is_not_found(
    session: aiohttp.ClientSession, token_registry: Registry
) -> None:
    outcome = await probe(session, token_registry, "alice", manifests=True)
    assert (outcome.outcome, outcome.http_status) == (Outcome.not_found, 404)


async def test_429_is_rate_limited_with_retry_after(
    session: aiohttp.ClientSession, token_registry: Registry
) -> None:
    outcome = await probe(session, token_registry, "busy")
    assert (outcome.outcome, outcome.stage, outcome.retry_after) == (
        Outcome.rate_limited, "token", 120.0,
    )  # fmt: skip


async def test_github_expiry_header_is_read(
    session: aiohttp.ClientSession, pushed: Registry
) -> None:
    outcome = await probe(session, pushed, "octocat")
    assert outcome.outcome is Outcome.ok
    assert outcome.expires_at == 1925089445.0  # 2031-01-02 03:04:05 UTC


async def test_stopped_registry_is_network(
    session: aiohttp.ClientSession, token_registry: Registry
) -> None:
    token_registry.stop()
    outcome = await probe(session, token_registry, "alice")
    assert (outcome.outcome, outcome.stage, outcome.http_status) == (Outcome.network, "ping", None)


async def test_unknown_ca_is_tls_and_the_ca_file_fixes_it(
    pki: Pki, token_registry: Registry
) -> None:
    untrusting = build_ssl_context(ProbeSettings(ca_file=str(pki.other_ca_cert)))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=untrusting)) as client:
        outcome = await probe(client, token_registry, "alice", repository=None)
    assert (outcome.outcome, outcome.stage) == (Outcome.tls, "ping")
    trusting = build_ssl_context(ProbeSettings(ca_file=str(pki.ca_cert)))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusting)) as client:
        outcome = await probe(client, token_registry, "alice", repository=None)
    assert outcome.outcome is Outcome.ok


async def test_basic_challenge_is_answered_with_the_login(
    session: aiohttp.ClientSession, htpasswd_registry: Registry
) -> None:
    good = await probe(session, htpasswd_registry, "alice", repository=None)
    bad = await probe(session, htpasswd_registry, "alice", "wrong", repository=None)
    assert (good.outcome, good.stage) == (Outcome.ok, "check")
    assert (bad.outcome, bad.stage, bad.http_status) == (Outcome.unauthorized, "check", 401)


async def test_realm_over_plain_http_gets_no_credentials(
    session: aiohttp.ClientSession, tmp_path: Path, pki: Pki, token_server: TokenServer
) -> None:
    plain_realm = token_server.url.replace("https://", "http://")
    registry = Registry(tmp_path / "r", pki, "token", token_realm=plain_realm)
    registry.start()
    try:
        outcome = await probe(session, registry, "alice")
    finally:
        registry.stop()
    assert (outcome.outcome, outcome.stage) == (Outcome.error, "token")
    assert token_server.requests == []
