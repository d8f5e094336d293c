"""The Docker Registry HTTP API v2 handshake that asks a registry whether a login works,
without pulling anything.

1. ``GET /v2/`` without credentials: 401 carries the challenge.
2. ``Bearer``: ``GET realm?service=..&scope=repository:<repo>:pull`` with the login as
   HTTP Basic; the answer is a token. ``Basic``: the login itself is the authorization.
3. The check, with that authorization: ``HEAD`` the manifest pods run (``manifests``),
   else list one tag of the repository, else (no repository known) ``GET /v2/`` again.
   A repository request is needed to see a missing scope: distribution accepts any valid
   token on ``/v2/`` and answers 401 ``error="insufficient_scope"`` only on the repository.

Nothing here logs, and no outcome carries text from the server or the login.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from exporter.probe.challenge import Challenge, pick_challenge
from exporter.probe.login import Login
from exporter.probe.outcomes import Outcome, Stage, classify_exception, classify_status
from exporter.probe.pacing import parse_retry_after

GITHUB_EXPIRY_HEADER = "github-authentication-token-expiration"
MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024
MAX_RETRY_AFTER_SECONDS = 3600.0
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and what to probe: ``https://host`` (or ``http://`` for insecure registries)
    and the repository and tag/digest pods run from it."""

    base_url: str
    repository: str | None = None
    reference: str | None = None

    @property
    def insecure(self) -> bool:
        return self.base_url.startswith("http://")

    def url(self, path: str) -> URL:
        return URL(self.base_url + path, encoded=False)


@dataclass(frozen=True, slots=True)
class HandshakeOutcome:
    """How a handshake ended; see :class:`exporter.probe.results.ProbeResult`."""

    outcome: Outcome
    stage: Stage
    http_status: int | None = None
    retry_after: float | None = None
    expires_at: float | None = None


def parse_github_expiry(value: str | None) -> float | None:
    """GitHub's token expiry header as Unix time.

    >>> parse_github_expiry("2026-09-27 03:07:38 UTC")
    1790478458.0
    >>> parse_github_expiry("2026-09-27 05:07:38 +0200")
    1790478458.0
    >>> parse_github_expiry("never") is None
    True
    """
    if not value:
        return None
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4] + " +0000"
    try:
        parsed = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None
    return parsed.timestamp()


class _Handshake:
    def __init__(self, session: aiohttp.ClientSession, endpoint: Endpoint, login: Login) -> None:
        self.session = session
        self.endpoint = endpoint
        self.login = login
        self.stage: Stage = "ping"
        self.expires_at: float | None = None

    def _seen(self, headers: CIMultiDictProxy[str]) -> None:
        expiry = parse_github_expiry(headers.get(GITHUB_EXPIRY_HEADER))
        if expiry is not None:
            self.expires_at = expiry

    def _ended(
        self, outcome: Outcome, status: int | None = None, retry_after: float | None = None
    ) -> HandshakeOutcome:
        return HandshakeOutcome(outcome, self.stage, status, retry_after, self.expires_at)

    def _from_status(
        self, response: aiohttp.ClientResponse, *, insufficient_scope: bool = False
    ) -> HandshakeOutcome:
        outcome = classify_status(response.status, insufficient_scope=insufficient_scope)
        retry_after = None
        if outcome is Outcome.rate_limited:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), time.time(), MAX_RETRY_AFTER_SECONDS
            )
        return self._ended(outcome, response.status, retry_after)

    async def run(self, *, manifests: bool) -> HandshakeOutcome:
        async with self.session.get(self.endpoint.url("/v2/"), allow_redirects=False) as ping:
            self._seen(ping.headers)
            if 200 <= ping.status < 300:
                # An open registry: send the login anyway, as kubelet does.
                return await self.check(self.login.basic_authorization(), manifests=manifests)
            if ping.status != 401:
                outcome = self._from_status(ping)
                # /v2/ itself missing means no registry API there, not a missing image.
                return (
                    outcome
                    if outcome.outcome is not Outcome.not_found
                    else self._ended(Outcome.error, ping.status)
                )
            challenge = pick_challenge(ping.headers.getall("WWW-Authenticate", []))
        if challenge is None:
            return self._ended(Outcome.error, 401)
        if challenge.scheme == "basic":
            return await self.check(self.login.basic_authorization(), manifests=manifests)
        self.stage = "token"
        token = await self.token(challenge)
        if isinstance(token, HandshakeOutcome):
            return token
        return await self.check("Bearer " + token, manifests=manifests, bearer=True)

    def _realm(self, challenge: Challenge) -> URL | None:
        """The token URL, refused unless HTTPS (HTTP only for an insecure registry):
        the login must not cross the network in clear text to a host the registry names."""
        try:
            realm = URL(challenge.params.get("realm", ""))
        except ValueError:
            return None
        allowed = ("https", "http") if self.endpoint.insecure else ("https",)
        if realm.scheme not in allowed or not realm.host or realm.user or realm.password:
            return None
        query: dict[str, str] = {}
        if challenge.params.get("service"):
            query["service"] = challenge.params["service"]
        if self.endpoint.repository:
            query["scope"] = f"repository:{self.endpoint.repository}:pull"
        return realm.update_query(query)

    async def token(self, challenge: Challenge) -> str | HandshakeOutcome:
        realm = self._realm(challenge)
        if realm is None:
            return self._ended(Outcome.error)
        headers = {"Authorization": self.login.basic_authorization()}
        async with self.session.get(realm, headers=headers, allow_redirects=False) as response:
            self._seen(response.headers)
            if response.status != 200:
                return self._from_status(response)
            body = await response.content.read(MAX_TOKEN_RESPONSE_BYTES)
        try:
            document = json.loads(body)
        except ValueError:
            return self._ended(Outcome.error, 200)
        token = _token_of(document)
        return token if token else self._ended(Outcome.error, 200)

    async def check(
        self, authorization: str, *, manifests: bool, bearer: bool = False
    ) -> HandshakeOutcome:
        self.stage = "check"
        endpoint = self.endpoint
        headers = {"Authorization": authorization}
        if manifests and endpoint.repository and endpoint.reference:
            method, params = "HEAD", {}
            path = f"/v2/{endpoint.repository}/manifests/{endpoint.reference}"
            headers["Accept"] = MANIFEST_TYPES
        elif endpoint.repository:
            method, path, params = "GET", f"/v2/{endpoint.repository}/tags/list", {"n": "1"}
        else:
            method, path, params = "GET", "/v2/", {}
        async with self.session.request(
            method, endpoint.url(path), params=params, headers=headers, allow_redirects=False
        ) as response:
            self._seen(response.headers)
            scope_missing = bearer and response.status == 401 and _insufficient_scope(response)
            return self._from_status(response, insufficient_scope=scope_missing)


def _insufficient_scope(response: aiohttp.ClientResponse) -> bool:
    challenge = pick_challenge(response.headers.getall("WWW-Authenticate", []))
    return challenge is not None and challenge.error == "insufficient_scope"


def _token_of(document: object) -> str | None:
    """``token`` (Docker's name) or ``access_token`` (OAuth 2's) of a token response."""
    if not isinstance(document, Mapping):
        return None
    for name in ("token", "access_token"):
        value = document.get(name)
        if isinstance(value, str) and value:
            return value
    return None


async def handshake(
    session: aiohttp.ClientSession,
    endpoint: Endpoint,
    login: Login,
    *,
    manifests: bool = False,
    time_limit: float = 10.0,
) -> HandshakeOutcome:
    """Probe ``endpoint`` with ``login`` within ``time_limit`` seconds (then ``network``, at the
    stage it was in); never raises, except on cancellation."""
    attempt = _Handshake(session, endpoint, login)
    try:
        async with asyncio.timeout(time_limit):
            return await attempt.run(manifests=manifests)
    except Exception as exc:  # every failure is an outcome, never a crash
        return attempt._ended(classify_exception(exc))
