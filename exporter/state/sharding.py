"""Sharding by namespace: each instance keeps the namespaces whose stable hash is its own.

A pod, its service account and the secrets it references share a namespace, so every
join stays inside one shard. The one cross-namespace fact — that a missing secret exists
in *another* namespace — is kept by remembering the names (only) of pull secrets in the
namespaces other shards own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, cast

from exporter.kube.types import Named, SinkObject


class _Sink(Protocol):
    def begin_relist(self, *, initial: bool) -> None: ...
    def upsert(self, obj: SinkObject) -> None: ...
    def delete(self, obj: SinkObject) -> None: ...
    def end_relist(self) -> None: ...


def shard_of(namespace: str, count: int) -> int:
    """The shard owning ``namespace``: stable across processes, versions and restarts.

    >>> [shard_of(ns, 3) for ns in ("default", "payments", "web")]
    [1, 0, 0]
    """
    digest = hashlib.sha256(namespace.encode(errors="replace")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True, slots=True)
class Shard:
    """This instance's share: ``index`` of ``count`` (one shard owns everything)."""

    index: int = 0
    count: int = 1

    def owns(self, namespace: str) -> bool:
        return self.count == 1 or shard_of(namespace, self.count) == self.index


def _namespace(obj: SinkObject) -> str:
    if not isinstance(obj, dict):
        return cast(Named, obj).metadata.namespace
    meta = obj.get("metadata")  # a JSON object (a test's, a tool's)
    found = meta.get("namespace") if isinstance(meta, dict) else None
    return found if isinstance(found, str) else ""


class ShardedSink:
    """Objects of owned namespaces go to ``owned``; the others to ``elsewhere`` (if any)."""

    def __init__(self, shard: Shard, owned: _Sink, elsewhere: _Sink | None = None) -> None:
        self._shard = shard
        self._owned = owned
        self._elsewhere = elsewhere

    def _sink_for(self, obj: SinkObject) -> _Sink | None:
        return self._owned if self._shard.owns(_namespace(obj)) else self._elsewhere

    def begin_relist(self, *, initial: bool) -> None:
        self._owned.begin_relist(initial=initial)
        if self._elsewhere is not None:
            self._elsewhere.begin_relist(initial=initial)

    def upsert(self, obj: SinkObject) -> None:
        sink = self._sink_for(obj)
        if sink is not None:
            sink.upsert(obj)

    def delete(self, obj: SinkObject) -> None:
        sink = self._sink_for(obj)
        if sink is not None:
            sink.delete(obj)

    def end_relist(self) -> None:
        self._owned.end_relist()
        if self._elsewhere is not None:
            self._elsewhere.end_relist()
