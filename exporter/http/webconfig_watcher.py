"""Serve with ``--web.config.file`` and follow its changes without a restart.

:class:`WebConfigWatcher` loads the file at start (a bad file is the operator's error: it
raises :class:`WebConfigError`), then polls the file and every certificate, key and CA it
names. When their content changes it loads them again and swaps: new TLS handshakes use
the new certificate, the next request is checked against the new users and headers. A bad
new file keeps the previous config and logs one error line, once per bad content.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from exporter.http.auth import BasicAuth, Protection, bcrypt_cost, protect_app
from exporter.http.tls import SwitchableServerContext
from exporter.http.webconfig import WebConfig, WebConfigError, load_web_config

log = logging.getLogger(__name__)
DEFAULT_POLL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ActiveWebConfig:
    """A loaded config with what serving it needs: the checks and the TLS context."""

    config: WebConfig
    protection: Protection
    ssl_context: ssl.SSLContext | None


def activate(config: WebConfig) -> ActiveWebConfig:
    """Build the checks and the TLS context for ``config``. Blocking: bcrypt and file reads."""
    basic_auth = BasicAuth(config.users) if config.users else None
    tls = config.tls
    protection = Protection(
        basic_auth=basic_auth,
        allowed_sans=tls.client_allowed_sans if tls is not None else frozenset(),
        headers=config.headers,
        excluded_paths=config.auth_excluded_paths,
    )
    return ActiveWebConfig(config, protection, config.ssl_context())


class WebConfigWatcher:
    """The web config in force, reloaded when its files change.

    Example::

        watcher = WebConfigWatcher(settings.web_config_file)  # raises WebConfigError
        watcher.install(app)
        site = web.TCPSite(runner, host, port, ssl_context=watcher.listener_ssl_context)
        task = asyncio.create_task(watcher.run(), name="web config watcher")
    """

    def __init__(self, path: str | Path, *, poll_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        self.path = Path(path)
        self.poll_seconds = poll_seconds
        self._active = activate(load_web_config(self.path))
        self._seen = _fingerprint(self._active.config.files)
        context = self._active.ssl_context
        self._switchable = SwitchableServerContext(context) if context is not None else None
        _log_loaded(self.path, self._active.config, "loaded")

    @property
    def config(self) -> WebConfig:
        """The config in force."""
        return self._active.config

    @property
    def listener_ssl_context(self) -> ssl.SSLContext | None:
        """The context to listen with (None: plain HTTP); it follows reloads by itself."""
        return self._switchable.listener if self._switchable is not None else None

    def protection(self) -> Protection:
        """The checks in force, read by the middleware on every request."""
        return self._active.protection

    def install(self, app: web.Application) -> None:
        """Protect ``app`` with the current config; call before the app starts."""
        protect_app(app, self.protection)

    async def run(self) -> None:
        """Poll every :attr:`poll_seconds` until cancelled."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            await self.reload()

    async def reload(self) -> bool:
        """Load the files again if their content changed; True if a new config is in force."""
        files = self._active.config.files
        fingerprint = await asyncio.to_thread(_fingerprint, files)
        if fingerprint == self._seen:
            return False
        # Remembered before loading, so a bad file is reported once, not at every poll.
        self._seen = fingerprint
        try:
            active = await asyncio.to_thread(_load_and_activate, self.path)
            if (active.ssl_context is None) != (self._switchable is None):
                raise WebConfigError("turning TLS on or off needs a restart")
        except WebConfigError as exc:
            log.error("keeping the previous web config: %s", exc)
            return False
        if self._switchable is not None and active.ssl_context is not None:
            self._switchable.switch_to(active.ssl_context)
        self._active = active
        # The new config may name other files: remember their content, not the old ones'.
        self._seen = await asyncio.to_thread(_fingerprint, active.config.files)
        _log_loaded(self.path, active.config, "reloaded")
        return True


def _load_and_activate(path: Path) -> ActiveWebConfig:
    return activate(load_web_config(path))


def _fingerprint(files: tuple[Path, ...]) -> bytes:
    """A digest of the files' content; an unreadable file counts as its own content."""
    digest = hashlib.sha256()
    for path in files:
        try:
            content = path.read_bytes()
        except OSError as exc:
            content = f"unreadable: {exc.errno}".encode()
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.digest()


def _log_loaded(path: Path, config: WebConfig, verb: str) -> None:
    tls = "on" if config.tls is not None else "off"
    users = len(config.users)
    log.info("%s web config %s: TLS %s, %d basic auth users", verb, path, tls, users)
    for key in config.ignored:
        log.warning("web config %s: %s has no effect here and is ignored", path, key)
    if config.users and config.tls is None:
        log.warning("web config %s: basic auth without TLS sends passwords in clear text", path)
    costs = sorted({bcrypt_cost(hashed) for hashed in config.users.values()})
    if len(costs) > 1:
        # Still safe (every check pays each cost, so timing names no user), but slower.
        log.warning(
            "web config %s: basic_auth_users mix bcrypt costs %s; every check pays each of "
            "them so response times do not reveal the user. Hash every password at one cost "
            "to pay only one",
            path,
            ", ".join(f"{cost:02d}" for cost in costs),
        )
