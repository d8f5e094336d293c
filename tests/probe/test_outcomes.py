"""HTTP statuses and client errors to probe outcomes."""

from __future__ import annotations

import ssl

import aiohttp
import pytest

from exporter.probe.outcomes import Outcome, classify_exception, classify_status


@pytest.mark.parametrize(
    ("status", "insufficient_scope", "expected"),
    [
        (200, False, Outcome.ok),
        (204, False, Outcome.ok),
        (401, False, Outcome.unauthorized),
        (401, True, Outcome.forbidden),  # distribution: valid token, scope missing
        (403, False, Outcome.forbidden),  # GitLab/Harbor/Quay deny with 403
        (404, False, Outcome.not_found),
        (429, False, Outcome.rate_limited),
        (500, False, Outcome.error),
        (503, False, Outcome.error),
        (302, False, Outcome.error),  # redirects are not followed with a credential
    ],
)
def test_classify_status(status: int, insufficient_scope: bool, expected: Outcome) -> None:
    assert classify_status(status, insufficient_scope=insufficient_scope) is expected


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
