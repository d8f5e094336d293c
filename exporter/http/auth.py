"""Basic authentication against bcrypt hashes, client-certificate SANs, and response headers.

:func:`protect_app` installs both on an aiohttp application; they read the *current*
:class:`Protection` on every request, so a reloaded web config applies to the next one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import bcrypt
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

REALM = 'Basic realm="imagepull-exporter"'
CACHE_SECONDS = 300.0
"""How long a successful check is remembered: longer than common scrape intervals."""
CACHE_ENTRIES = 100
BCRYPT_MAX_PASSWORD_BYTES = 72


class BasicAuth:
    """Checks ``Authorization: Basic`` headers against ``users`` (name → bcrypt hash).

    An unknown user costs one bcrypt check against a dummy hash of the highest cost in
    ``users``, so timing does not tell unknown users from wrong passwords. A success is
    remembered for :data:`CACHE_SECONDS` under an HMAC of (user, hash, password) with a
    per-instance random key, so the cache holds nothing a memory dump could reverse.
    Building one costs a bcrypt hash: do it off the event loop.
    """

    def __init__(
        self,
        users: Mapping[str, bytes],
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users = dict(users)
        cost = max((int(hashed[4:6]) for hashed in self._users.values()), default=4)
        decoy = secrets.token_urlsafe(16).encode()
        self._dummy = bcrypt.hashpw(decoy, bcrypt.gensalt(rounds=cost))
        self._key = secrets.token_bytes(32)
        self._cache: dict[bytes, float] = {}
        self._cache_seconds = cache_seconds
        self._clock = clock
        # One bcrypt at a time, as the toolkit does: a flood of bad passwords queues here
        # instead of taking every core from the scrapes.
        self._bcrypt_slot = asyncio.Semaphore(1)

    async def check(self, authorization: str | None) -> bool:
        """True if the header carries a known user with the right password."""
        credentials = parse_basic(authorization)
        if credentials is None:
            return False
        user, password = credentials
        stored = self._users.get(user) if user is not None else None
        hashed = stored if stored is not None else self._dummy
        key = hmac.digest(self._key, _frame(user or "", hashed, password), "sha256")
        if stored is not None and self._remembered(key):
            return True
        async with self._bcrypt_slot:
            # bcrypt releases the GIL: a thread keeps the event loop serving meanwhile.
            matches = await asyncio.to_thread(_bcrypt_matches, password, hashed)
        if matches and stored is not None:
            self._remember(key)
            return True
        return False

    def _remembered(self, key: bytes) -> bool:
        expiry = self._cache.get(key)
        return expiry is not None and expiry > self._clock()

    def _remember(self, key: bytes) -> None:
        now = self._clock()
        for stale in [k for k, expiry in self._cache.items() if expiry <= now]:
            del self._cache[stale]
        while len(self._cache) >= CACHE_ENTRIES:
            del self._cache[next(iter(self._cache))]  # the oldest entry
        self._cache[key] = now + self._cache_seconds


def parse_basic(authorization: str | None) -> tuple[str | None, bytes] | None:
    """``Basic dXNlcjpwdw==`` → ``("user", b"pw")``; None if it is not Basic credentials.

    The user is None when it is not UTF-8: such a user is unknown, but still pays bcrypt.
    """
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, colon, password = raw.partition(b":")
    if not colon:
        return None
    try:
        return user.decode("utf-8"), password
    except UnicodeDecodeError:
        return None, password


def _bcrypt_matches(password: bytes, hashed: bytes) -> bool:
    # bcrypt reads at most 72 bytes and no NUL; such a password cannot match, but it still
    # pays the full cost so its length cannot be probed cheaply.
    usable = len(password) <= BCRYPT_MAX_PASSWORD_BYTES and b"\0" not in password
    try:
        return bcrypt.checkpw(password if usable else b"-", hashed) and usable
    except ValueError:
        return False


def _frame(user: str, hashed: bytes, password: bytes) -> bytes:
    # Length-prefixed, so ("ab", "c") and ("a", "bc") never share a cache key.
    parts = (user.encode(), hashed, password)
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


@dataclass(frozen=True, slots=True)
class Protection:
    """What every request is checked against, from the current web config."""

    basic_auth: BasicAuth | None = None
    allowed_sans: frozenset[str] = frozenset()
    """Client certificate SANs (DNS, IP, e-mail, URI) of which one must match; empty: any."""
    headers: Mapping[str, str] = field(default_factory=dict)
    excluded_paths: frozenset[str] = frozenset()


def protection_middleware(current: Callable[[], Protection]) -> Middleware:
    """Middleware answering 401 without valid Basic credentials, 403 for a disallowed cert."""

    @web.middleware
    async def protect(request: web.Request, handler: Handler) -> web.StreamResponse:
        protection = current()
        if request.path in protection.excluded_paths:
            return await handler(request)
        if protection.allowed_sans and not _san_allowed(request, protection.allowed_sans):
            # The certificate is valid but not on the list: a password would not help.
            return web.Response(status=403, text="Forbidden\n")
        basic_auth = protection.basic_auth
        if basic_auth is not None and not await basic_auth.check(
            request.headers.get("Authorization")
        ):
            return web.Response(
                status=401, text="Unauthorized\n", headers={"WWW-Authenticate": REALM}
            )
        return await handler(request)

    return protect


def protect_app(app: web.Application, current: Callable[[], Protection]) -> None:
    """Install authentication and the configured headers; call before the app starts."""
    app.middlewares.append(protection_middleware(current))

    async def add_headers(_: web.Request, response: web.StreamResponse) -> None:
        # A signal rather than the middleware: it also reaches 401s, 404s and errors.
        response.headers.update(current().headers)

    app.on_response_prepare.append(add_headers)


def _san_allowed(request: web.Request, allowed: frozenset[str]) -> bool:
    transport = request.transport
    peer = transport.get_extra_info("peercert") if transport is not None else None
    if not isinstance(peer, dict):
        return False
    wanted = {_normalize_san(value) for value in allowed}
    names = peer.get("subjectAltName", ())
    return any(_normalize_san(str(value)) in wanted for _, value in names)


def _normalize_san(value: str) -> str:
    # Python prints IPv6 SANs uncompressed and upper case; compare addresses, not spellings.
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value
