"""Basic authentication against bcrypt hashes, client-certificate SANs, and response headers.

:func:`protect_app` installs both on an aiohttp application; they read the *current*
:class:`Protection` on every request, so a reloaded web config applies to the next one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import ipaddress
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field

import bcrypt
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

REALM = 'Basic realm="imagepull-exporter"'
CACHE_SECONDS = 300.0
"""How long a successful check is remembered: longer than common scrape intervals."""
CACHE_ENTRIES = 100
BCRYPT_MAX_PASSWORD_BYTES = 72
MAX_WAITING_CHECKS = 16
"""Checks of not-yet-verified credentials that may wait for bcrypt; more get a 429."""


class TooManyChecks(Exception):
    """Too many bcrypt checks are already waiting: answer 429 instead of queueing."""


class BasicAuth:
    """Checks ``Authorization: Basic`` headers against ``users`` (name → bcrypt hash).

    Every check pays one bcrypt at each distinct cost in ``users``: against the user's own
    hash at its cost and against a dummy hash at every other cost, so an unknown user, a
    cheap user and an expensive user all take the same time (with one cost, that is one
    bcrypt). A success is remembered for :data:`CACHE_SECONDS` under an HMAC of (user,
    hash, password) with a per-instance random key, so the cache holds nothing a memory
    dump could reverse. Building one costs a bcrypt hash per distinct cost: do it off the
    event loop.

    bcrypt runs one check at a time (as the toolkit does). A credential that verified
    before goes to the front of the queue, and at most :data:`MAX_WAITING_CHECKS` other
    checks wait, the rest raising :class:`TooManyChecks`: a flood of wrong passwords can
    neither take every core nor make Prometheus' own scrape wait behind it.
    """

    def __init__(
        self,
        users: Mapping[str, bytes],
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_waiting: int = MAX_WAITING_CHECKS,
    ) -> None:
        self._users = dict(users)
        decoy = secrets.token_urlsafe(16).encode()
        costs = sorted({bcrypt_cost(hashed) for hashed in self._users.values()}) or [4]
        self._dummies = {cost: bcrypt.hashpw(decoy, bcrypt.gensalt(rounds=cost)) for cost in costs}
        self._key = secrets.token_bytes(32)
        # key -> when it last verified; kept after expiry (up to CACHE_ENTRIES) to mark the
        # credential as known good for the queue, never to skip bcrypt.
        self._verified: dict[bytes, float] = {}
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._gate = _BcryptGate(max_waiting)

    async def check(self, authorization: str | None) -> bool:
        """True if the header carries a known user with the right password.

        Raises :class:`TooManyChecks` when the check would have to queue behind too many.
        """
        credentials = parse_basic(authorization)
        if credentials is None:
            return False
        user, password = credentials
        stored = self._users.get(user) if user is not None else None
        key = hmac.digest(self._key, _frame(user or "", stored or b"", password), "sha256")
        verified_at = self._verified.get(key) if stored is not None else None
        if verified_at is not None and self._clock() - verified_at < self._cache_seconds:
            return True
        hashes = self._hashes_to_check(stored)
        async with self._gate.slot(known_good=verified_at is not None):
            # bcrypt releases the GIL: a thread keeps the event loop serving meanwhile.
            results = await asyncio.to_thread(_bcrypt_all, password, hashes)
        matches = stored is not None and results[hashes.index(stored)]
        if matches:
            self._remember(key)
        return matches

    def _hashes_to_check(self, stored: bytes | None) -> list[bytes]:
        """One hash per distinct cost: the user's own at its cost, dummies elsewhere."""
        own = bcrypt_cost(stored) if stored is not None else None
        return [
            stored if stored is not None and cost == own else dummy
            for cost, dummy in self._dummies.items()
        ]

    def _remember(self, key: bytes) -> None:
        self._verified.pop(key, None)  # re-inserted last: the dict's order is least recent first
        while len(self._verified) >= CACHE_ENTRIES:
            del self._verified[next(iter(self._verified))]
        self._verified[key] = self._clock()


def bcrypt_cost(hashed: bytes) -> int:
    """The cost of a checked bcrypt hash: ``b"$2y$10$..."`` → ``10``."""
    return int(hashed[4:6])


class _BcryptGate:
    """One holder at a time; known-good callers go first; at most ``limit`` others wait."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._busy = False
        self._known_good: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def slot(self, *, known_good: bool) -> AsyncIterator[None]:
        await self._acquire(self._known_good if known_good else self._others)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, queue: deque[asyncio.Future[None]]) -> None:
        if not self._busy:
            self._busy = True
            return
        if len(queue) >= self._limit:
            raise TooManyChecks
        waiter = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot was handed over just as we were cancelled
            else:
                queue.remove(waiter)
            raise

    def _release(self) -> None:
        for queue in (self._known_good, self._others):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # hand the slot over: it stays busy
                    return
        self._busy = False


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


def _bcrypt_all(password: bytes, hashes: list[bytes]) -> list[bool]:
    """Check ``password`` against every hash, never stopping early (the time is the point)."""
    return [_bcrypt_matches(password, hashed) for hashed in hashes]


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
    """Middleware answering 401 without valid Basic credentials, 403 for a disallowed cert,
    429 while too many password checks are waiting."""

    @web.middleware
    async def protect(request: web.Request, handler: Handler) -> web.StreamResponse:
        protection = current()
        if request.path in protection.excluded_paths:
            return await handler(request)
        if protection.allowed_sans and not _san_allowed(request, protection.allowed_sans):
            # The certificate is valid but not on the list: a password would not help.
            return web.Response(status=403, text="Forbidden\n")
        basic_auth = protection.basic_auth
        if basic_auth is not None:
            try:
                allowed = await basic_auth.check(request.headers.get("Authorization"))
            except TooManyChecks:
                return web.Response(
                    status=429, text="Too Many Requests\n", headers={"Retry-After": "1"}
                )
            if not allowed:
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
