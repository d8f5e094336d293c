"""A small Docker Registry v2 token server (the part distribution does not ship).

``GET /token?service=..&scope=repository:<name>:<actions>`` with HTTP Basic: 401 for a
wrong login, else a JWT signed RS256 (by the openssl CLI) with the test signing key, its
certificate in ``x5c`` so the registry verifies it against its ``rootcertbundle``
(distribution 2.8 tries ``x5c``, then ``jwk``, then ``kid``).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.probe.pki import Pki, sign_rs256

ISSUER = "imagepull-probe-test-issuer"
SERVICE = "imagepull-probe-test-registry"


@dataclass
class Account:
    password: str
    actions: tuple[str, ...] = ("pull",)
    """Actions granted on any requested repository; empty grants a token without access."""
    status: int = 200
    """Answer this status instead of a token (429 to test back-off, 403 as GHCR refuses a
    revoked PAT)."""
    retry_after: str | None = None
    github_expiry: str | None = None
    """A ``github-authentication-token-expiration`` header to send with the token."""


@dataclass
class TokenServer:
    pki: Pki
    accounts: dict[str, Account] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    """The query string of every request (to check no secret is in a URL)."""
    issued: list[str] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.pki.server_context())
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"https://127.0.0.1:{port}/token"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _login(self, request: web.Request) -> Account | None:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        account = self.accounts.get(username)
        if account is None or not secrets.compare_digest(account.password, password):
            return None
        return account

    async def _token(self, request: web.Request) -> web.Response:
        self.requests.append(request.query_string)
        account = self._login(request)
        if account is None:
            return web.json_response({"details": "incorrect username or password"}, status=401)
        if account.status != 200:
            headers = {"Retry-After": account.retry_after} if account.retry_after else {}
            # GHCR's body for a refused PAT; distribution's error envelope otherwise.
            code = "DENIED" if account.status == 403 else "TOOMANYREQUESTS"
            body = {"errors": [{"code": code, "message": code.lower()}]}
            return web.json_response(body, status=account.status, headers=headers)
        access = []
        for scope in request.query.getall("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, _ = rest.rpartition(":")
            if kind == "repository" and account.actions:
                access.append({"type": kind, "name": name, "actions": list(account.actions)})
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": "probe-test",
            "aud": request.query.get("service", ""),
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        header: dict[str, object] = {"typ": "JWT", "alg": "RS256", "x5c": self.pki.signing_x5c()}
        token = sign_rs256(header, claims, self.pki.signing_key)
        self.issued.append(token)
        headers = {}
        if account.github_expiry:
            headers["github-authentication-token-expiration"] = account.github_expiry
        return web.json_response({"token": token, "expires_in": 300}, headers=headers)
