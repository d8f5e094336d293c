"""Small HTTPS servers on 127.0.0.1 for what Debian's docker-registry cannot show:

- :class:`ListDenyingFront`, a reverse proxy in front of the real registry that answers
  the tag list with 403, as ECR does for a principal that may pull but lacks
  ``ecr:ListImages`` (containers/skopeo#726: "Invalid status code returned when fetching
  tags list 403 (Forbidden)" while ``skopeo copy`` works; fixed in skopeo#738);
- :class:`RefusingFront`, a WAF or IP allow list answering 403 to everything;
- :class:`FakeGitHubApi`, GitHub's ``GET /rate_limit`` with the
  ``github-authentication-token-expiration`` header for known tokens.

Each records the requests it saw (method, path, whether an Authorization header came),
never a header's value.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.probe.pki import Pki

Seen = tuple[str, str, bool]
"""(method, path with query, an Authorization header was sent)."""


@dataclass
class _Server:
    pki: Pki
    seen: list[Seen] = field(default_factory=list)
    host: str = ""
    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def note(self, request: web.Request) -> None:
        self.seen.append((request.method, request.path_qs, "Authorization" in request.headers))

    async def start(self) -> str:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.pki.server_context())
        await site.start()
        self.host = f"127.0.0.1:{self._runner.addresses[0][1]}"
        return self.host

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@dataclass
class ListDenyingFront(_Server):
    """Forwards every request to ``upstream`` (a real registry), except the tag list."""

    upstream: str = ""
    upstream_context: ssl.SSLContext | None = None
    _client: aiohttp.ClientSession | None = None

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._forward)
        app.on_cleanup.append(self._close)

    async def _close(self, _: web.Application) -> None:
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        self.note(request)
        if request.path.endswith("/tags/list"):
            body = {"errors": [{"code": "DENIED", "message": "not authorized: ListImages"}]}
            return web.json_response(body, status=403)
        if self._client is None:
            connector = aiohttp.TCPConnector(ssl=self.upstream_context)
            self._client = aiohttp.ClientSession(connector=connector)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with self._client.request(
            request.method,
            f"https://{self.upstream}{request.path_qs}",
            headers=headers,
            allow_redirects=False,
        ) as upstream:
            body_bytes = await upstream.read()
            passed = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() in ("www-authenticate", "docker-content-digest", "content-type")
            }
            return web.Response(status=upstream.status, body=body_bytes, headers=passed)


@dataclass
class RefusingFront(_Server):
    """403 to every request, credential or not: a WAF, an IP allow list."""

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._refuse)

    async def _refuse(self, request: web.Request) -> web.StreamResponse:
        self.note(request)
        return web.Response(status=403, text="Request blocked.")


@dataclass
class FakeGitHubApi(_Server):
    """``GET /rate_limit``: 401 for an unknown token; for a known one 200, with the
    expiry header when ``tokens`` maps it to one (GitHub omits it for a token that does
    not expire)."""

    tokens: dict[str, str | None] = field(default_factory=dict)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/rate_limit", self._rate_limit)

    @property
    def url(self) -> str:
        return f"https://{self.host}"

    async def _rate_limit(self, request: web.Request) -> web.StreamResponse:
        self.note(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            return web.json_response({"message": "Bad credentials"}, status=401)
        expiry = self.tokens[token]
        headers = {"github-authentication-token-expiration": expiry} if expiry else {}
        body = {"resources": {"core": {"limit": 5000, "remaining": 4999}}}
        return web.json_response(body, headers=headers)
