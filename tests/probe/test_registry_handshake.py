"""The handshake against a real registry: Debian's docker-registry (distribution 2.8) with
TLS from the test CA, behind the test token server or htpasswd (bcrypt); and, for what it
cannot show, fronts: ECR's 403 on the tag list, a WAF's 403 on everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import aiohttp
import pytest

from exporter.probe.handshake import Endpoint, HandshakeOutcome, handshake
from exporter.probe.login import Login
from exporter.probe.outcomes import Outcome
from exporter.probe.settings import ProbeSettings, build_ssl_context
from tests.probe.conftest import CANARY_PASSWORD, REPOSITORY, client_context
from tests.probe.fronts import ListDenyingFront, RefusingFront
from tests.probe.pki import Pki
from tests.probe.registry import Registry, push_image
from tests.probe.token_server import TokenServer


class Listening(Protocol):
    host: str
    """``127.0.0.1:PORT`` of a registry or a front."""


async def probe(
    session: aiohttp.ClientSession,
    registry: Listening,
    user: str,
    password: str = CANARY_PASSWORD,
    *,
    repository: str | None = REPOSITORY,
    reference: str = "v1",
    manifests: bool = False,
) -> HandshakeOutcome:
    endpoint = Endpoint(f"https://{registry.host}", repository, reference if repository else None)
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


async def test_manifest_head_is_not_the_tag_list(
    session: aiohttp.ClientSession, pushed: Registry
) -> None:
    # team/app exists (its tag list answers), its tag "v2" does not: only the HEAD of
    # the manifest the pods run can tell.
    listed = await probe(session, pushed, "alice", reference="v2")
    headed = await probe(session, pushed, "alice", reference="v2", manifests=True)
    assert (listed.outcome, listed.stage, listed.http_status) == (Outcome.ok, "check", 200)
    assert (headed.outcome, headed.stage, headed.http_status) == (Outcome.not_found, "check", 404)


async def test_a_token_service_refusing_the_login_with_403_is_unauthorized(
    session: aiohttp.ClientSession, pushed: Registry
) -> None:
    # GHCR answers a revoked or expired PAT with 403 DENIED at its token endpoint: the
    # login is what it refused, not a repository (see tests/probe/conftest.py).
    outcome = await probe(session, pushed, "revoked-pat")
    assert (outcome.outcome, outcome.stage, outcome.http_status) == (
        Outcome.unauthorized, "token", 403,
    )  # fmt: skip


async def test_429_is_rate_limited_with_retry_after(
    session: aiohttp.ClientSession, token_registry: Registry
) -> None:
    outcome = await probe(session, token_registry, "busy")
    assert (outcome.outcome, outcome.stage, outcome.retry_after) == (
        Outcome.rate_limited, "token", 120.0,
    )  # fmt: skip


async def test_a_registry_cannot_set_an_expiry(
    session: aiohttp.ClientSession, pushed: Registry
) -> None:
    # The token service sends GitHub's expiry header; only GitHub's API is believed.
    outcome = await probe(session, pushed, "octocat")
    assert outcome.outcome is Outcome.ok
    assert outcome.expires_at is None


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


async def test_basic_challenge_decides_on_v2_with_the_login(
    session: aiohttp.ClientSession, htpasswd_registry: Registry
) -> None:
    good = await probe(session, htpasswd_registry, "alice", repository=None)
    bad = await probe(session, htpasswd_registry, "alice", "wrong", repository=None)
    assert (good.outcome, good.stage, good.http_status) == (Outcome.ok, "login", 200)
    assert (bad.outcome, bad.stage, bad.http_status) == (Outcome.unauthorized, "login", 401)


async def test_basic_login_then_the_repository(
    session: aiohttp.ClientSession, htpasswd_registry: Registry
) -> None:
    bad = await probe(session, htpasswd_registry, "alice", "wrong")
    empty = await probe(session, htpasswd_registry, "alice")  # nothing pushed there
    assert (bad.outcome, bad.stage) == (Outcome.unauthorized, "login")
    assert (empty.outcome, empty.stage, empty.http_status) == (Outcome.not_found, "check", 404)


@pytest.fixture
async def ecr_like(
    pki: Pki, session: aiohttp.ClientSession, htpasswd_registry: Registry
) -> AsyncIterator[ListDenyingFront]:
    """The htpasswd registry with team/app:v1, behind a front that denies the tag list."""
    await push_image(session, htpasswd_registry, REPOSITORY, "v1",
                     Login("alice", CANARY_PASSWORD).basic_authorization())  # fmt: skip
    front = ListDenyingFront(pki, upstream=htpasswd_registry.host,
                             upstream_context=client_context(pki))  # fmt: skip
    await front.start()
    yield front
    await front.stop()


async def test_a_denied_tag_list_falls_back_to_the_manifest(
    session: aiohttp.ClientSession, ecr_like: ListDenyingFront
) -> None:
    ok = await probe(session, ecr_like, "alice")
    missing = await probe(session, ecr_like, "alice", reference="v2")
    assert (ok.outcome, ok.stage, ok.http_status) == (Outcome.ok, "check", 200)
    assert (missing.outcome, missing.http_status) == (Outcome.not_found, 404)
    asked = [(method, path.partition("?")[0]) for method, path, _ in ecr_like.seen]
    assert asked[:4] == [
        ("GET", "/v2/"),
        ("GET", "/v2/"),
        ("GET", f"/v2/{REPOSITORY}/tags/list"),
        ("HEAD", f"/v2/{REPOSITORY}/manifests/v1"),
    ]


async def test_a_403_to_the_anonymous_ping_is_an_error_not_a_verdict(
    pki: Pki, session: aiohttp.ClientSession
) -> None:
    waf = RefusingFront(pki)
    await waf.start()
    try:
        outcome = await probe(session, waf, "alice")
    finally:
        await waf.stop()
    assert (outcome.outcome, outcome.stage, outcome.http_status) == (Outcome.error, "ping", 403)
    assert waf.seen == [("GET", "/v2/", False)], "the credential was never sent"


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
