"""One generic list+watch reflector, the way client-go's Reflector works.

LIST in pages (``limit``/``continue``) into a sink that replaces its contents, then WATCH
from the list's resourceVersion with bookmarks and a server-side timeout. A watch that
ends normally is resumed from the last resourceVersion seen; a 410 Gone (or an expired
continue token) relists; anything else backs off exponentially with jitter, honouring
``Retry-After`` on 429.
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
from exporter.kube.errors import (
    ApiError,
    ConfigError,
    Forbidden,
    Gone,
    StreamError,
    TooManyRequests,
    Unauthorized,
)

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Receives objects; written only by one reflector, read by the collector."""

    def begin_relist(self, *, initial: bool) -> None:
        """A LIST starts; ``initial`` is True only for the first LIST of this process."""

    def upsert(self, obj: dict[str, Any]) -> None:
        """An object from a LIST page or an ADDED/MODIFIED watch event."""

    def delete(self, obj: dict[str, Any]) -> None:
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
        self._failures = 0
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
                resource_version = None  # relist now: client-go does not back off on 410
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
        """LIST every page into the sink; returns the list's resourceVersion."""
        params = {"limit": str(self.settings.page_size), **self.target.selectors()}
        self.sink.begin_relist(initial=not self.status.synced)
        continue_token = ""
        while True:
            page_params = {**params, "continue": continue_token} if continue_token else params
            page = await self.client.get_json(
                self.target.path,
                page_params,
                accept=METADATA_LIST if self.target.metadata_only else JSON,
            )
            for item in _items(page):
                self.sink.upsert(item)
            metadata = page.get("metadata") or {}
            continue_token = str(metadata.get("continue") or "")
            if not continue_token:
                break
        self.sink.end_relist()
        self._healthy()
        self.status.synced = True
        return str(metadata.get("resourceVersion") or "")

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
        )
        started, delivered = time.monotonic(), 0
        async for event in stream:
            delivered += 1
            if event.type == "BOOKMARK":
                pass
            elif event.type == "DELETED":
                self.sink.delete(event.object)
            else:
                self.sink.upsert(event.object)
            resource_version = _resource_version(event.object) or resource_version
            self._resume_at = resource_version
            self._healthy()
            del event  # a quiet watch must not hold the last raw object (secret data)
        if not delivered and time.monotonic() - started < 1.0:
            # A server that ends every watch at once must not turn this into a busy loop.
            await asyncio.sleep(self._next_backoff())
        return resource_version

    def _healthy(self) -> None:
        self._failures = 0
        self.status.up = True
        self.status.last_event_time = time.time()

    def _restarted(self, reason: str) -> None:
        self.status.restarts[reason] += 1
        if reason != "gone":
            self.status.up = False

    def _next_backoff(self) -> float:
        settings = self.settings
        delay = min(
            settings.backoff_initial * settings.backoff_multiplier**self._failures,
            settings.backoff_max,
        )
        self._failures += 1
        return delay * (1 + settings.backoff_jitter * random.random())


def _items(page: dict[str, Any]) -> list[dict[str, Any]]:
    items = page.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _resource_version(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata")
    return str(metadata.get("resourceVersion") or "") if isinstance(metadata, dict) else ""


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
