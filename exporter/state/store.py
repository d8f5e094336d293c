"""A keyed store of compact records, fed by reflectors through per-reflector partitions.

Several reflectors may feed one store (one per namespace, or one per secret type); each
owns the keys it delivered, so a relist by one removes only its own vanished objects.
Listeners see every change with the phase it happened in, which is what counters derived
from watches need to avoid double counting across relists and restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar, cast

from exporter.kube.decoding import convert
from exporter.kube.types import KubeStruct, SinkObject

R = TypeVar("R")
K = Hashable


class Phase(Enum):
    """Where a change came from."""

    INITIAL_LIST = "initial_list"
    """The first LIST of this process: what already existed before we started."""
    RELIST = "relist"
    """A LIST after a 410 or a reconnect: objects here may be new since we last looked."""
    WATCH = "watch"
    """A watch event: a change as it happens."""


Reducer = Callable[[Any, "R | None"], "R | None"]
"""From a decoded object (one of :mod:`exporter.kube.types`) and the old record."""
KeyOf = Callable[[Any], "K | None"]

Listener = Callable[["R | None", "R | None", Phase], None]


class _Namespaced(Protocol):
    @property
    def namespace(self) -> str: ...


class ObjectStore(Generic[R]):
    """Records by key, and by namespace, for caches built on top: ``version`` grows on
    every change, ``key_version`` when a key comes or goes, and each namespace's version
    (:meth:`namespace_version`) when one of its records changes."""

    def __init__(self, reduce: Reducer[R], key_of: KeyOf, schema: type[KubeStruct]) -> None:
        self._reduce = reduce
        self._key_of = key_of
        self._schema = schema
        self._records: dict[K, R] = {}
        self._by_namespace: dict[str, dict[K, R]] = {}
        self._namespace_versions: dict[str, int] = {}
        self._listeners: list[Listener[R]] = []
        self.version = 0
        self.key_version = 0

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[R]:
        return iter(self._records.values())

    def get(self, key: K) -> R | None:
        return self._records.get(key)

    def namespaces(self) -> Iterable[str]:
        """Namespaces with at least one record."""
        return self._by_namespace.keys()

    def in_namespace(self, namespace: str) -> Iterable[R]:
        """The records of one namespace."""
        return self._by_namespace.get(namespace, {}).values()

    def namespace_version(self, namespace: str) -> int:
        """Grows whenever a record of ``namespace`` changes (0: none ever did)."""
        return self._namespace_versions.get(namespace, 0)

    def _index(self, key: K, old: R | None, new: R | None) -> None:
        namespace = _namespace(new if new is not None else old)
        if old is not None and (new is None or _namespace(old) != namespace):
            former = _namespace(old)
            records = self._by_namespace[former]
            del records[key]
            if not records:
                del self._by_namespace[former]
            self._namespace_versions[former] = self.version
        if new is not None:
            found = self._by_namespace.get(namespace)
            if found is None:
                found = self._by_namespace[namespace] = {}
            found[key] = new
        self._namespace_versions[namespace] = self.version

    def add_listener(self, listener: Listener[R]) -> None:
        self._listeners.append(listener)

    def partition(self) -> StorePartition[R]:
        """A sink for one reflector."""
        return StorePartition(self)

    def _decoded(self, obj: SinkObject) -> KubeStruct:
        return convert(self._schema, obj) if isinstance(obj, dict) else obj

    def _put(self, obj: KubeStruct, phase: Phase) -> K | None:
        key = self._key_of(obj)
        if key is None:
            return None
        old = self._records.get(key)
        new = self._reduce(obj, old)
        if new is None:
            self._remove(key, phase)
            return None
        if new != old:
            self._records[key] = new
            self.version += 1
            if old is None:
                self.key_version += 1
            self._index(key, old, new)
            for listener in self._listeners:
                listener(old, new, phase)
        return key

    def _remove(self, key: K, phase: Phase) -> None:
        old = self._records.pop(key, None)
        if old is not None:
            self.version += 1
            self.key_version += 1
            self._index(key, old, None)
            for listener in self._listeners:
                listener(old, None, phase)


def _namespace(record: object) -> str:
    """Every record type has a ``namespace`` (``""`` for cluster-scoped objects)."""
    return cast(_Namespaced, record).namespace


class StorePartition(Generic[R]):
    """The keys one reflector owns in a store; implements the reflector's ``Sink``."""

    def __init__(self, store: ObjectStore[R]) -> None:
        self._store = store
        self._owned: set[K] = set()
        self._seen: set[K] | None = None
        self._phase = Phase.WATCH

    def begin_relist(self, *, initial: bool) -> None:
        self._seen = set()
        self._phase = Phase.INITIAL_LIST if initial else Phase.RELIST

    def upsert(self, obj: SinkObject) -> None:
        obj = self._store._decoded(obj)
        key = self._store._put(obj, self._phase)
        if key is None:
            key = self._store._key_of(obj)
            if key is not None:
                self._owned.discard(key)
            return
        self._owned.add(key)
        if self._seen is not None:
            self._seen.add(key)

    def delete(self, obj: SinkObject) -> None:
        key = self._store._key_of(self._store._decoded(obj))
        if key is not None and key in self._owned:
            self._owned.discard(key)
            self._store._remove(key, Phase.WATCH)

    def end_relist(self) -> None:
        seen = self._seen or set()
        for key in self._owned - seen:
            self._store._remove(key, self._phase)
        self._owned = seen
        self._seen = None
        self._phase = Phase.WATCH
