"""The Docker Registry HTTP API v2 handshake that asks a registry whether a login works,
without pulling anything.

1. ``GET /v2/`` without credentials (stage ``ping``): 401 carries the challenge. Any other
   refusal (403 from a WAF, 404, 5xx) is ``error``: the credential was not sent.
2. Authentication is decided here:
   ``Bearer``: ``GET realm?service=..&scope=repository:<repo>:pull`` with the login as
   HTTP Basic (stage ``token``); a token means the login authenticates, 401/403 means the
   token service refused it. ``Basic``: ``GET /v2/`` again with the login (stage
   ``login``); 200 authenticates, 401/403 refuses.
3. Pull access to the repository pods run (stage ``check``), with that authorization:
   ``HEAD`` its manifest (``manifests``), else list one tag and, when the list is refused,
   ``HEAD`` the manifest before concluding ``forbidden``: ECR lets a pull-only principal
   read manifests but answers 403 on the tag list without ``ecr:ListImages``. With no
   repository known, Bearer asks ``GET /v2/`` with the token; Basic is done at step 2.

Nothing here logs, and no outcome carries text from the server or the login.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from yarl import URL

from exporter.probe.challenge import Challenge, pick_challenge
from exporter.probe.login import Login
from exporter.probe.outcomes import Outcome, Stage, classify_exception, classify_status
from exporter.probe.pacing import parse_retry_after

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
    """The credential's expiry, when GitHub's API said so (see ``exporter.probe.github``)."""


class _Handshake:
    def __init__(self, session: aiohttp.ClientSession, endpoint: Endpoint, login: Login) -> None:
        self.session = session
        self.endpoint = endpoint
        self.login = login
        self.stage: Stage = "ping"

    def _ended(
        self, outcome: Outcome, status: int | None = None, retry_after: float | None = None
    ) -> HandshakeOutcome:
        return HandshakeOutcome(outcome, self.stage, status, retry_after)

    def _from_status(self, response: aiohttp.ClientResponse) -> HandshakeOutcome:
        outcome = classify_status(response.status, self.stage)
        retry_after = None
        if outcome is Outcome.rate_limited:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), time.time(), MAX_RETRY_AFTER_SECONDS
            )
        return self._ended(outcome, response.status, retry_after)

    async def _get(self, path: str, authorization: str | None = None) -> HandshakeOutcome:
        headers = {"Authorization": authorization} if authorization else {}
        url = self.endpoint.url(path)
        async with self.session.get(url, headers=headers, allow_redirects=False) as response:
            return self._from_status(response)

    async def run(self, *, manifests: bool) -> HandshakeOutcome:
        async with self.session.get(self.endpoint.url("/v2/"), allow_redirects=False) as ping:
            if ping.status == 401:
                challenge = pick_challenge(ping.headers.getall("WWW-Authenticate", []))
                if challenge is None:
                    return self._ended(Outcome.error, 401)
            elif 200 <= ping.status < 300:
                challenge = None  # an open registry: send the login anyway, as kubelet does
            else:
                return self._from_status(ping)
        if challenge is not None and challenge.scheme == "bearer":
            self.stage = "token"
            token = await self.token(challenge)
            if isinstance(token, HandshakeOutcome):
                return token
            return await self.check("Bearer " + token, manifests=manifests)
        self.stage = "login"
        authorization = self.login.basic_authorization()
        logged_in = await self._get("/v2/", authorization)
        if logged_in.outcome is not Outcome.ok or not self.endpoint.repository:
            return logged_in
        return await self.check(authorization, manifests=manifests)

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
            if response.status != 200:
                return self._from_status(response)
            body = await response.content.read(MAX_TOKEN_RESPONSE_BYTES)
        try:
            document = json.loads(body)
        except ValueError:
            return self._ended(Outcome.error, 200)
        token = _token_of(document)
        return token if token else self._ended(Outcome.error, 200)

    async def _head_manifest(self, authorization: str) -> HandshakeOutcome:
        endpoint = self.endpoint
        path = f"/v2/{endpoint.repository}/manifests/{endpoint.reference}"
        headers = {"Authorization": authorization, "Accept": MANIFEST_TYPES}
        async with self.session.head(
            endpoint.url(path), headers=headers, allow_redirects=False
        ) as response:
            return self._from_status(response)

    async def check(self, authorization: str, *, manifests: bool) -> HandshakeOutcome:
        """Pull access to the repository, once the login authenticated."""
        self.stage = "check"
        endpoint = self.endpoint
        if not endpoint.repository:
            # Does the registry take the token its service issued (Basic ends at login)?
            # A refusal here is the registry's fault, not the credential's: not a verdict.
            taken = await self._get("/v2/", authorization)
            refused = taken.outcome is Outcome.forbidden
            return self._ended(Outcome.error, taken.http_status) if refused else taken
        if manifests and endpoint.reference:
            return await self._head_manifest(authorization)
        listed = await self._get(f"/v2/{endpoint.repository}/tags/list?n=1", authorization)
        if listed.outcome is Outcome.forbidden and endpoint.reference:
            # Listing may need more than pulling (ECR's ecr:ListImages): ask the manifest.
            return await self._head_manifest(authorization)
        return listed


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
