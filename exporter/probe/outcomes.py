"""What a probe found out, one ``result`` label value each, and how HTTP answers and
client errors map onto it.

The same status means different things at different stages: a 403 to the anonymous
``GET /v2/`` says nothing about the credential (it was not sent), a 403 from the token
service refuses the login itself, a 403 on the repository refuses a login that already
authenticated.

>>> classify_status(403, "ping"), classify_status(403, "token"), classify_status(403, "check")
(<Outcome.error: 'error'>, <Outcome.unauthorized: 'unauthorized'>, <Outcome.forbidden: 'forbidden'>)
"""

from __future__ import annotations

import ssl
from enum import StrEnum
from typing import Literal

import aiohttp

#: Where in the handshake the outcome was decided: the unauthenticated ``GET /v2/``
#: (``ping``), the token request to the realm (``token``, Bearer), ``GET /v2/`` with the
#: login (``login``, Basic), the repository check with the authorization (``check``), or
#: fetching the secret (``secret``).
Stage = Literal["ping", "token", "login", "check", "secret"]


class Outcome(StrEnum):
    """The result of probing one credential against one registry."""

    #: The registry accepted the credential (and, with a repository, its pull access).
    ok = "ok"
    #: The registry or its token service rejected the credential: wrong, revoked, expired.
    unauthorized = "unauthorized"
    #: The credential authenticates but may not pull the repository pods run.
    forbidden = "forbidden"
    #: The credential authenticates; the repository or manifest pods run does not exist.
    not_found = "not_found"
    #: The registry answered 429; the probe backs off from it.
    rate_limited = "rate_limited"
    #: No answer: DNS, connection refused or reset, timeout.
    network = "network"
    #: The TLS handshake failed: unknown CA, wrong host name, expired certificate.
    tls = "tls"
    #: Anything else: 5xx, a 403/404 to the anonymous ping, a malformed challenge or token
    #: response, an unreadable secret.
    error = "error"


#: Outcomes that say something about the credential, and whether it was accepted: the
#: verdict ``imagepull_registry_probe_success`` holds. The others (rate_limited, network,
#: tls, error) are inconclusive: the registry could not be asked.
VERDICTS: dict[Outcome, bool] = {
    Outcome.ok: True,
    Outcome.not_found: True,  # the login got in; the image is what is missing
    Outcome.unauthorized: False,
    Outcome.forbidden: False,
}
#: Verdicts that reject the credential (ImagePullCredentialRejected).
REJECTIONS = frozenset(outcome for outcome, accepted in VERDICTS.items() if not accepted)


def classify_status(status: int, stage: Stage) -> Outcome:
    """The outcome of an HTTP status from a registry or its token service, at ``stage``.

    - ``ping`` (no credential sent): only 429 means something (``rate_limited``); any other
      status that is neither 2xx nor a 401 challenge is ``error`` — a WAF, an IP allow
      list or no registry API there, not a verdict on the credential.
    - ``token`` / ``login``: the service that decides authentication refused this login
      with 401 or 403: ``unauthorized``. GHCR answers a bad or expired PAT with 403
      ``denied`` at its token endpoint (docker/login-action#26, akuity/kargo#778).
    - ``check``: authentication was already established, so 401 (distribution:
      ``error="insufficient_scope"``) and 403 refuse access to the repository:
      ``forbidden``; 404 is ``not_found``.

    >>> classify_status(200, "check"), classify_status(404, "check"), classify_status(404, "ping")
    (<Outcome.ok: 'ok'>, <Outcome.not_found: 'not_found'>, <Outcome.error: 'error'>)
    >>> classify_status(401, "token"), classify_status(401, "check")
    (<Outcome.unauthorized: 'unauthorized'>, <Outcome.forbidden: 'forbidden'>)
    """
    if 200 <= status < 300:
        return Outcome.ok
    if status == 429:
        return Outcome.rate_limited
    if stage in ("token", "login") and status in (401, 403):
        return Outcome.unauthorized
    if stage == "check":
        if status in (401, 403):
            return Outcome.forbidden
        if status == 404:
            return Outcome.not_found
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
