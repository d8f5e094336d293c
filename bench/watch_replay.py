"""Watch throughput: a burst of pod updates replayed from the simulator's watch history.

Both measurements watch ``/api/v1/pods`` from the resourceVersion before the burst and
stop at the event carrying the resourceVersion after it; rate = events / elapsed. The
caller alternates bursts (pods start failing, then recover) and sums over them.

- ``PodsReplica.replay``: the exporter's own path — ``KubeClient.watch`` → ``Reflector`` →
  ``ClusterState.pods`` — whose store was filled by a LIST before the burst, so every
  event is a real change to an existing record.
- ``floor_replay``: a raw aiohttp stream split into lines, each only ``json.loads``'d (the
  caller freezes the replica out of the GC meanwhile: the floor client holds no state).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import aiohttp

from exporter.kube.client import KubeClient
from exporter.kube.config import load_api_config
from exporter.kube.reflector import Reflector, ReflectorSettings, ReflectorStatus, Sink, WatchTarget
from exporter.kube.types import Pod, SinkObject
from exporter.state.cluster import ClusterState

PODS = WatchTarget("pods", "/api/v1/pods")
SETTINGS = ReflectorSettings(watch_timeout_seconds=600, inactivity_timeout=60.0)


class _LastEventSeen(BaseException):
    """Raised from the sink to end the watch once the burst's last event is applied (not
    an Exception: the reflector leaves out, and counts, an object whose apply raised one)."""


@dataclass
class _CountingSink:
    """Passes objects on to ``inner`` and stops the stream after resourceVersion ``last``."""

    inner: Sink
    last: str
    events: int = 0
    finished: float = field(default=0.0)

    def begin_relist(self, *, initial: bool) -> None:
        self.inner.begin_relist(initial=initial)

    def upsert(self, obj: SinkObject) -> None:
        self.inner.upsert(obj)
        self._count(obj)

    def delete(self, obj: SinkObject) -> None:
        self.inner.delete(obj)
        self._count(obj)

    def end_relist(self) -> None:
        self.inner.end_relist()

    def _count(self, obj: SinkObject) -> None:
        self.events += 1
        assert isinstance(obj, Pod), "the exporter's watch delivers decoded pods"
        if obj.metadata.resourceVersion == self.last:
            self.finished = time.perf_counter()
            raise _LastEventSeen


class ReplayReflector(Reflector):
    """The exporter's reflector, driven for one watch request from a given version."""

    async def replay(self, resource_version: str) -> None:
        try:
            await self._watch(resource_version)
        except _LastEventSeen:
            return
        raise RuntimeError("the watch ended before the burst's last event")


class PodsReplica:
    """The exporter's pod state in this process, listed before a burst."""

    def __init__(self, kubeconfig: str) -> None:
        self.client = KubeClient(load_api_config(kubeconfig))
        self.state = ClusterState()
        self.sink = self.state.pods.partition()

    async def list(self) -> None:
        reflector = Reflector(self.client, PODS, self.sink, SETTINGS, ReflectorStatus())
        await reflector.list_once()

    async def replay(self, before: str, after: str) -> tuple[int, float]:
        """(events, seconds) to apply the changes between ``before`` and ``after``."""
        counting = _CountingSink(self.sink, after)
        reflector = ReplayReflector(self.client, PODS, counting, SETTINGS, ReflectorStatus())
        started = time.perf_counter()
        await reflector.replay(before)
        return counting.events, counting.finished - started

    async def close(self) -> None:
        await self.client.close()


async def floor_replay(base: str, before: str, after: str) -> tuple[int, float]:
    """(events, seconds) to receive and ``json.loads`` the same stream."""
    params = {"watch": "true", "resourceVersion": before, "allowWatchBookmarks": "true"}
    events = 0
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60.0)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        async with session.get(base + PODS.path, params=params) as response:
            response.raise_for_status()
            buffer = b""
            async for chunk in response.content.iter_any():
                lines = (buffer + chunk).split(b"\n")
                buffer = lines.pop()
                for line in lines:
                    event = json.loads(line)
                    events += 1
                    if event["object"]["metadata"]["resourceVersion"] == after:
                        return events, time.perf_counter() - started
    raise RuntimeError("the watch ended before the burst's last event")
