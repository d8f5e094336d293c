"""One generic list+watch reflector, the way client-go's Reflector works.

LIST in pages (``limit``/``continue``) into a sink that replaces its contents, then WATCH
from the list's resourceVersion with bookmarks and a server-side timeout. A watch that
ends normally is resumed from the last resourceVersion seen; a 410 Gone (or an expired
continue token) relists, at once after a healthy watch and with back-off when it follows a
relist; anything else backs off exponentially with jitter, honouring ``Retry-After`` on
429. Only a watch event ends a back-off: a server that lists fine but fails every watch
stays paced.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from exporter.kube.client import JSON, METADATA, METADATA_LIST, KubeClient
from exporter.kube.decoding import decoder_for
from exporter.kube.errors import (
    ApiError,
    ConfigError,
    Forbidden,
    Gone,
    StreamError,
    TooManyRequests,
    Unauthorized,
)
from exporter.kube.types import Page, SinkObject

log = logging.getLogger(__name__)
YIELD_EVERY = 128
"""Objects of a LIST page applied between two yields to the event loop."""


class Sink(Protocol):
    """Receives objects; written only by one reflector, read by the collector."""

    def begin_relist(self, *, initial: bool) -> None:
        """A LIST starts; ``initial`` is True only for the first LIST of this process."""

    def upsert(self, obj: SinkObject) -> None:
        """An object from a LIST page or an ADDED/MODIFIED watch event."""

    def delete(self, obj: SinkObject) -> None:
        """A DELETED watch event."""

    def end_relist(self) -> None:
        """The LIST completed: objects not seen since ``begin_relist`` are gone."""


@dataclass(frozen=True, slots=True)
class WatchTarget:
    """What to reflect: ``resource`` is the plural name used in the self-metrics."""

    resource: str
    path: str
    field_selector: str = ""
    label_selector: str = ""
    metadata_only: bool = False
    """Ask for PartialObjectMetadata: names and metadata, never spec, status or data."""

    def selectors(self) -> dict[str, str]:
        params = {}
        if self.field_selector:
            params["fieldSelector"] = self.field_selector
        if self.label_selector:
            params["labelSelector"] = self.label_selector
        return params


@dataclass(frozen=True, slots=True)
class ReflectorSettings:
    """Tuning knobs; the defaults follow client-go's reflector."""

    page_size: int = 500
    """Objects per LIST page: bounds the memory held while listing."""
    watch_timeout_seconds: int = 300
    """Server-side ``timeoutSeconds`` of a watch; jittered up to twice as long."""
    inactivity_timeout: float = 90.0
    """A watch that sends no byte (not even a bookmark) for this long is restarted."""
    backoff_initial: float = 0.8
    """First delay after a failure, in seconds."""
    backoff_max: float = 30.0
    """Cap of the exponential back-off, in seconds."""
    backoff_multiplier: float = 2.0
    """Growth of the delay per consecutive failure."""
    backoff_jitter: float = 0.5
    """Random extra delay, as a fraction of the delay."""


@dataclass
class ReflectorStatus:
    """Health of one reflector, read by the self-metrics and ``/readyz``."""

    up: bool = False
    synced: bool = False
    last_event_time: float | None = None
    restarts: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    """Objects left out because applying them raised (see ``Reflector._skipped``)."""


class Reflector:
    """Keeps ``sink`` equal to the objects the API holds for ``target``."""

    def __init__(
        self,
        client: KubeClient,
        target: WatchTarget,
        sink: Sink,
        settings: ReflectorSettings | None = None,
        status: ReflectorStatus | None = None,
    ) -> None:
        self.client = client
        self.target = target
        self.sink = sink
        self.settings = settings or ReflectorSettings()
        self.status = status or ReflectorStatus()
        self._decoder = decoder_for(target.resource, metadata_only=target.metadata_only)
        self._failures = 0
        self._progressed = False  # a watch event arrived since the last LIST
        self._resume_at = ""

    async def run(self) -> None:
        """List and watch until cancelled; never returns on its own."""
        resource_version: str | None = None
        while True:
            try:
                if resource_version is None:
                    resource_version = await self._list()
                self._resume_at = resource_version
                resource_version = await self._watch(resource_version)
            except Gone:
                self._restarted("gone")
                resource_version = None
                if not self._progressed:
                    # A 410 right after a relist (HA API servers whose watch caches lag
                    # each other): pace the relists as client-go's back-off manager does.
                    await asyncio.sleep(self._next_backoff())
            except TooManyRequests as exc:
                resource_version = resource_version and self._resume_at
                self._restarted("throttled")
                await asyncio.sleep(max(exc.retry_after, self._next_backoff()))
            except (ApiError, StreamError, ConfigError) as exc:
                # Resume after the last event applied: replaying older versions would
                # move counts back and forth, and each move forward would count again.
                resource_version = resource_version and self._resume_at
                self._restarted(_reason(exc))
                delay = self._next_backoff()
                log.warning(
                    "%s watch failed (%s); retrying in %.1fs", self.target.resource, exc, delay
                )
                await asyncio.sleep(delay)
            except Exception as exc:
                # A bug or an input nobody foresaw must not end the watch for good (the
                # exporter would look alive while watching nothing). Only the type is
                # logged: messages of HTTP-library errors can quote header values.
                resource_version = resource_version and self._resume_at
                self._restarted("error")
                delay = self._next_backoff()
                log.error(
                    "%s watch failed unexpectedly (%s); retrying in %.1fs",
                    self.target.resource,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)

    async def list_once(self, *, attempts: int = 3) -> str:
        """One complete LIST into the sink, without watching (one-shot audits).

        An expired continue token restarts the list, up to ``attempts`` times.
        """
        for attempt in range(attempts):
            try:
                return await self._list()
            except Gone:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    async def _list(self) -> str:
        """LIST every page into the sink; returns the list's resourceVersion.

        The next page is requested before this one is applied, so the server prepares it
        while the sink works: two pages at most are held, never the whole list.
        """
        self.sink.begin_relist(initial=not self.status.synced)
        # Progress means a watch event since this LIST began: a 410 for an expired
        # continue token mid-list must be paced like any other repeated 410.
        self._progressed = False
        fetch = asyncio.ensure_future(self._page(""))
        while True:
            page = await fetch
            metadata = page.metadata
            continue_token = metadata.continue_
            if continue_token:
                fetch = asyncio.ensure_future(self._page(continue_token))
                # The sink is synchronous: without a yield the request would leave only
                # once this page is applied. One sends it when the credential is at hand;
                # the yields below let an off-thread refresh (in-cluster, exec) finish.
                await asyncio.sleep(0)
            try:
                for n, item in enumerate(page.items, 1):
                    try:
                        self.sink.upsert(item)
                    except Exception as exc:
                        self._skipped(exc)
                    if n % YIELD_EVERY == 0:
                        await asyncio.sleep(0)
            except BaseException:
                fetch.cancel()
                raise
            del page
            if not continue_token:
                break
        self.sink.end_relist()
        self._healthy(progress=False)
        self.status.synced = True
        return metadata.resourceVersion

    async def _page(self, continue_token: str) -> Page[Any]:
        params = {"limit": str(self.settings.page_size), **self.target.selectors()}
        if continue_token:
            params["continue"] = continue_token
        return await self.client.get_json(
            self.target.path,
            params,
            accept=METADATA_LIST if self.target.metadata_only else JSON,
            decode=self._decoder.page,
        )

    async def _watch(self, resource_version: str) -> str:
        """Follow one watch request; returns the resourceVersion to resume from."""
        timeout = self.settings.watch_timeout_seconds
        params = {
            **self.target.selectors(),
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(int(timeout * (1 + random.random()))),
        }
        stream = self.client.watch(
            self.target.path,
            params,
            inactivity_timeout=self.settings.inactivity_timeout,
            accept=METADATA if self.target.metadata_only else JSON,
            decoder=self._decoder,
        )
        started, delivered = time.monotonic(), 0
        async for event in stream:
            delivered += 1
            if event.type == "BOOKMARK":
                pass
            else:
                try:
                    if event.type == "DELETED":
                        self.sink.delete(event.object)
                    else:
                        self.sink.upsert(event.object)
                except Exception as exc:
                    self._skipped(exc)
            resource_version = event.object.metadata.resourceVersion or resource_version
            self._resume_at = resource_version
            self._healthy(progress=True)
            del event  # a quiet watch must not hold the last raw object (secret data)
        if not delivered and time.monotonic() - started < 1.0:
            # A server that ends every watch at once must not turn this into a busy loop.
            await asyncio.sleep(self._next_backoff())
        return resource_version

    def _skipped(self, exc: Exception) -> None:
        """One object the sink could not take (a bug, or input nobody foresaw) is left out
        and counted: failing the watch instead would replay the same event forever, and a
        LIST would never complete. Only the type is logged (the object is cluster data)."""
        self.status.skipped += 1
        log.error(
            "%s: an object could not be applied (%s); left out",
            self.target.resource,
            type(exc).__name__,
        )

    def _healthy(self, *, progress: bool) -> None:
        """A LIST or a watch event succeeded; only a watch event ends the back-off, so a
        server that lists fine but fails every watch at once is still paced."""
        if progress:
            self._failures = 0
            self._progressed = True
        self.status.up = True
        self.status.last_event_time = time.time()

    def _restarted(self, reason: str) -> None:
        self.status.restarts[reason] += 1
        if reason != "gone":
            self.status.up = False

    def _next_backoff(self) -> float:
        delay = backoff_delay(self.settings, self._failures, random.random())
        self._failures += 1
        return delay


def backoff_delay(settings: ReflectorSettings, failures: int, draw: float) -> float:
    """The wait after ``failures`` consecutive failures; ``draw`` in [0, 1) is the jitter.

    >>> s = ReflectorSettings()
    >>> [round(backoff_delay(s, n, 0.0), 1) for n in range(7)]
    [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0]
    >>> backoff_delay(s, 0, 0.999) < 0.8 * 1.5
    True
    """
    # Capped exponent: a day of failures must not overflow the float (2.0**1100 raises).
    growth = settings.backoff_multiplier ** min(failures, 64)
    delay = min(settings.backoff_initial * growth, settings.backoff_max)
    return delay * (1 + settings.backoff_jitter * draw)


def _reason(exc: Exception) -> str:
    """A bounded label value for ``imagepull_exporter_watch_restarts_total``."""
    if isinstance(exc, StreamError):
        return exc.reason
    if isinstance(exc, Unauthorized):
        return "unauthorized"
    if isinstance(exc, Forbidden):
        return "forbidden"
    if isinstance(exc, ConfigError):
        return "credentials"
    if isinstance(exc, ApiError) and exc.status >= 500:
        return "server_error"
    return "error"
