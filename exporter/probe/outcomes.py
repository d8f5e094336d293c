"""What a probe found out, one ``result`` label value each, and how HTTP answers and
client errors map onto it.

>>> classify_status(401, insufficient_scope=True)
<Outcome.forbidden: 'forbidden'>
>>> classify_status(429)
<Outcome.rate_limited: 'rate_limited'>
"""

from __future__ import annotations

import ssl
from enum import StrEnum
from typing import Literal

import aiohttp

#: Where in the handshake the outcome was decided: the unauthenticated ``GET /v2/``,
#: the token request to the realm, the authenticated check, or fetching the secret.
Stage = Literal["ping", "token", "check", "secret"]


class Outcome(StrEnum):
    """The result of probing one credential against one registry."""

    #: The registry accepted the credential (and, with a repository, its pull scope).
    ok = "ok"
    #: The registry or its token service rejected the credential: wrong, revoked, expired.
    unauthorized = "unauthorized"
    #: The credential authenticates but may not pull the repository pods run.
    forbidden = "forbidden"
    #: The repository or manifest pods run does not exist (with the credential's access).
    not_found = "not_found"
    #: The registry answered 429; the probe backs off from it.
    rate_limited = "rate_limited"
    #: No answer: DNS, connection refused or reset, timeout.
    network = "network"
    #: The TLS handshake failed: unknown CA, wrong host name, expired certificate.
    tls = "tls"
    #: Anything else: 5xx, a malformed challenge or token response, an unreadable secret.
    error = "error"


def classify_status(status: int, *, insufficient_scope: bool = False) -> Outcome:
    """The outcome of an HTTP status from a registry or its token service.

    distribution answers a valid token that lacks the scope with 401 and
    ``error="insufficient_scope"``, so that 401 is ``forbidden``, not ``unauthorized``.

    >>> classify_status(200), classify_status(404), classify_status(503)
    (<Outcome.ok: 'ok'>, <Outcome.not_found: 'not_found'>, <Outcome.error: 'error'>)
    """
    if 200 <= status < 300:
        return Outcome.ok
    if status == 401:
        return Outcome.forbidden if insufficient_scope else Outcome.unauthorized
    if status == 403:
        return Outcome.forbidden
    if status == 404:
        return Outcome.not_found
    if status == 429:
        return Outcome.rate_limited
    return Outcome.error


def classify_exception(exc: BaseException) -> Outcome:
    """The outcome of an exception raised while talking to a registry.

    >>> classify_exception(ConnectionRefusedError())
    <Outcome.network: 'network'>
    >>> classify_exception(ssl.SSLCertVerificationError())
    <Outcome.tls: 'tls'>
    """
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return Outcome.tls
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, aiohttp.ClientOSError) and isinstance(cause, ssl.SSLError):
        return Outcome.tls
    if isinstance(exc, aiohttp.ClientConnectionError | TimeoutError | OSError):
        return Outcome.network
    return Outcome.error
