"""Per-resource object tables: objects as dicts, cached JSON bytes, a sorted key index,
a bounded event history, and the open watches fed by every write.

Costs are kept independent of the number of objects where it matters: a write is a dict
update, one ``bisect.insort`` and a fan-out to the open watches of that resource (few);
a page of a LIST is a bisect plus ``limit`` steps over the key index.
"""

from __future__ import annotations

import asyncio
import bisect
import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exporter.simulator.resources import ResourceType
from exporter.simulator.selectors import FieldSelector, LabelSelector

if TYPE_CHECKING:
    from exporter.simulator.faults import Fault

JSONObject = dict[str, Any]
Key = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped types


def encode(obj: Any) -> bytes:
    """Compact JSON bytes, the form every response is assembled from."""
    return json.dumps(obj, separators=(",", ":")).encode()


def clone(value: Any) -> Any:
    """A deep copy of decoded JSON, several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    return value


def encode_item(obj: JSONObject) -> bytes:
    """An object as a list item: without ``kind``/``apiVersion``, as the API server lists it."""
    return encode({k: v for k, v in obj.items() if k not in ("kind", "apiVersion")})


def partial_metadata(obj: JSONObject) -> bytes:
    """The object as a ``meta.k8s.io/v1`` PartialObjectMetadata: its metadata only."""
    return encode(
        {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        }
    )


def with_type(kind: str, item: bytes) -> bytes:
    """The full object from its list-item bytes: ``kind`` and ``apiVersion`` go first."""
    return b'{"kind":"' + kind.encode() + b'","apiVersion":"v1",' + item[1:]


@dataclass(slots=True)
class Change:
    """One write as the watch cache remembers it."""

    rv: int
    type: str  # ADDED, MODIFIED or DELETED
    obj: JSONObject
    item: bytes  # list-item bytes of obj
    raw: bytes  # full bytes of obj, as sent in watch events
    old: JSONObject | None


def event_line(event_type: str, raw_object: bytes) -> bytes:
    """One line of a watch stream."""
    return b'{"type":"' + event_type.encode() + b'","object":' + raw_object + b"}\n"


Render = Callable[[JSONObject], bytes]
"""How a watch sends an object when it is not the object's own JSON (a Table, say)."""


class Watch:
    """An open watch: its filter and the queue of lines waiting to be written."""

    CLOSE = b""  # queued to end the stream (restart, stop)
    BREAK = b"\x00"  # queued to break the stream with ``broken_by`` (see break_with)

    def __init__(
        self,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        *,
        metadata_only: bool = False,
        render: Render | None = None,
        after: int = 0,
    ) -> None:
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.metadata_only = metadata_only
        self.render = render
        self.after = after
        """Only changes newer than this resourceVersion are sent (a watch from the future
        waits for the cluster to get there, as the watch cache does)."""
        self.broken_by: Fault | None = None
        self.stalled = False  # sending nothing on purpose (a Stall fault)
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def selects(self, obj: JSONObject | None) -> bool:
        """Whether ``obj`` passes this watch's namespace and selectors."""
        if obj is None:
            return False
        meta = obj.get("metadata", {})
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        return self.labels.matches(meta.get("labels")) and self.fields.matches(obj)

    def raw(self, obj: JSONObject, full: bytes) -> bytes:
        """The bytes this watch sends for ``obj``: ``full``, its metadata, or a rendering."""
        if self.render is not None:
            return self.render(obj)
        return partial_metadata(obj) if self.metadata_only else full

    def bookmark(self, kind: str, rv: int) -> bytes:
        """A BOOKMARK line: only kind, apiVersion and metadata.resourceVersion are set (a
        Table watch gets it as a Table too: the API server transforms every event object)."""
        obj = {"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": str(rv)}}
        full = encode(obj)
        return event_line("BOOKMARK", self.render(obj) if self.render is not None else full)

    def line_for(self, change: Change) -> bytes | None:
        """The line this watch sees for ``change``, if any.

        An object that starts or stops matching the selectors appears as ADDED or
        DELETED (with its previous content), as the API server's watch cache reports it.
        """
        if change.rv <= self.after:
            return None
        now = self.selects(change.obj)
        if change.type == "DELETED":
            return event_line("DELETED", self.raw(change.obj, change.raw)) if now else None
        before = self.selects(change.old)
        if now and before:
            return event_line("MODIFIED", self.raw(change.obj, change.raw))
        if now:
            return event_line("ADDED", self.raw(change.obj, change.raw))
        if before and change.old is not None:
            # The cacher sends the object as it was when it still matched, at the
            # event's resourceVersion (cacheWatcher.convertToWatchEvent).
            gone = {**change.old, "metadata": {**change.old.get("metadata", {}),
                                               "resourceVersion": str(change.rv)}}  # fmt: skip
            return event_line("DELETED", self.raw(gone, encode(gone)))
        return None

    def offer(self, change: Change) -> None:
        """Queue ``change`` if this watch sees it."""
        line = self.line_for(change)
        if line is not None:
            self.queue.put_nowait(line)

    def break_with(self, fault: Fault) -> None:
        """End the stream with ``fault`` once the lines already queued are sent."""
        self.broken_by = fault
        self.queue.put_nowait(Watch.BREAK)


class ResourceTable:
    """The objects of one resource type plus its watch history and open watches."""

    def __init__(self, resource: ResourceType, history_limit: int) -> None:
        self.resource = resource
        self.history_limit = history_limit
        self.objects: dict[Key, JSONObject] = {}
        self.raw: dict[Key, bytes] = {}  # list-item bytes, see encode_item
        self.keys: list[Key] = []
        self.history: deque[Change] = deque()
        self.compacted_rv = 0  # history before or at this resourceVersion is gone
        self.watches: set[Watch] = set()

    def record(self, change: Change) -> None:
        """Store the outcome of a write, remember it, and feed open watches."""
        key = _key(change.obj)
        if change.type == "DELETED":
            del self.objects[key]
            del self.raw[key]
            index = bisect.bisect_left(self.keys, key)
            del self.keys[index]
        else:
            if key not in self.objects:
                bisect.insort(self.keys, key)
            self.objects[key] = change.obj
            self.raw[key] = change.item
        self.history.append(change)
        while len(self.history) > self.history_limit:
            self.compacted_rv = self.history.popleft().rv
        for watch in self.watches:
            watch.offer(change)

    def changes_after(self, rv: int) -> list[Change]:
        """Remembered changes newer than ``rv``, oldest first (caller checks compaction)."""
        newer: list[Change] = []
        for change in reversed(self.history):
            if change.rv <= rv:
                break
            newer.append(change)
        newer.reverse()
        return newer

    def forget_history(self, rv: int) -> None:
        """Drop all history; resourceVersions before ``rv`` become too old."""
        self.history.clear()
        self.compacted_rv = rv

    def close_watches(self) -> None:
        """End every open watch stream."""
        for watch in self.watches:
            watch.queue.put_nowait(Watch.CLOSE)
        self.watches.clear()

    def break_watches(self, fault: Fault) -> int:
        """Break every open watch stream with ``fault``; returns how many there were."""
        for watch in self.watches:
            watch.break_with(fault)
        return len(self.watches)

    def end_stalls(self) -> None:
        """End the streams a Stall fault keeps silent, as if their stall were over."""
        for watch in self.watches:
            if watch.stalled:
                watch.queue.put_nowait(Watch.CLOSE)

    def scan(self, namespace: str | None, after: Key | None) -> Iterator[Key]:
        """Keys in order, within ``namespace`` if given, strictly after ``after``."""
        keys = self.keys
        start: Key = (namespace, "") if namespace is not None else ("", "")
        if after is not None and after > start:
            index = bisect.bisect_right(keys, after)
        else:
            index = bisect.bisect_left(keys, start)
        for position in range(index, len(keys)):
            key = keys[position]
            if namespace is not None and key[0] != namespace:
                return
            yield key

    def count_after(self, namespace: str | None, after: Key) -> int:
        """How many keys (in ``namespace`` if given) sort after ``after``."""
        end = (
            bisect.bisect_left(self.keys, (namespace + "\x00", ""))
            if namespace is not None
            else len(self.keys)
        )
        return max(0, end - bisect.bisect_right(self.keys, after))


def _key(obj: JSONObject) -> Key:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


def key_of(obj: JSONObject) -> Key:
    """The table key of a stored object."""
    return _key(obj)
