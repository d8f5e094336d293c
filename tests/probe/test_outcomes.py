"""HTTP statuses and client errors to probe outcomes."""

from __future__ import annotations

import ssl

import aiohttp
import pytest

from exporter.probe.outcomes import Outcome, Stage, classify_exception, classify_status


@pytest.mark.parametrize(
    ("status", "stage", "expected"),
    [
        (200, "ping", Outcome.ok),
        (204, "check", Outcome.ok),
        # The anonymous GET /v2/: no credential was sent, so no verdict on it.
        (403, "ping", Outcome.error),  # a WAF or IP allow list
        (404, "ping", Outcome.error),  # no registry API at that address
        (503, "ping", Outcome.error),
        (429, "ping", Outcome.rate_limited),
        (302, "ping", Outcome.error),  # redirects are not followed
        # The token service (Bearer) or /v2/ with the login (Basic) decides authentication.
        (401, "token", Outcome.unauthorized),  # Docker Hub: wrong password
        (403, "token", Outcome.unauthorized),  # GHCR: revoked/expired PAT, 403 DENIED
        (404, "token", Outcome.error),  # a realm that is not a token service
        (429, "token", Outcome.rate_limited),
        (500, "token", Outcome.error),
        (401, "login", Outcome.unauthorized),  # htpasswd: wrong password
        (403, "login", Outcome.unauthorized),
        # The repository, once the login authenticated.
        (401, "check", Outcome.forbidden),  # distribution: error="insufficient_scope"
        (403, "check", Outcome.forbidden),  # GitLab/Harbor/Quay deny with 403
        (404, "check", Outcome.not_found),
        (429, "check", Outcome.rate_limited),
        (500, "check", Outcome.error),
    ],
)
def test_classify_status(status: int, stage: Stage, expected: Outcome) -> None:
    assert classify_status(status, stage) is expected


def _connection_key() -> object:
    from aiohttp.client_reqrep import ConnectionKey

    return ConnectionKey("ghcr.io", 443, True, True, None, None, None)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ConnectionRefusedError(111, "refused"), Outcome.network),
        (TimeoutError(), Outcome.network),
        (aiohttp.ServerDisconnectedError(), Outcome.network),
        (aiohttp.ClientConnectionError("dns"), Outcome.network),
        (ssl.SSLCertVerificationError(1, "unable to get local issuer certificate"), Outcome.tls),
        (aiohttp.ClientPayloadError("truncated"), Outcome.error),
        (ValueError("bad json"), Outcome.error),
    ],
)
def test_classify_exception(exc: BaseException, expected: Outcome) -> None:
    assert classify_exception(exc) is expected


def test_certificate_error_from_aiohttp_is_tls() -> None:
    exc = aiohttp.ClientConnectorCertificateError(
        _connection_key(),  # type: ignore[arg-type]
        ssl.SSLCertVerificationError(1, "self-signed certificate"),
    )
    assert classify_exception(exc) is Outcome.tls
