"""``imagepull_failures_total``: pull failures counted from the Events' own counts.

kubelet folds repeats of one failure into one Event and bumps its ``count`` (or
``series.count``). Counting the growth of that number per Event UID, instead of one per
watch notification, makes the counter immune to relists and reconnects:

* events already there at the first LIST are the baseline (not counted);
* an event first seen on the watch, or first seen in a relist, counts its whole count;
* a known event counts only how much its count grew.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from exporter.state.records import EventRecord
from exporter.state.store import Phase

FailureKey = tuple[str, str, str, str]
"""(namespace, registry, event reason, cause)."""
OTHER_REGISTRY = "other"
MAX_REGISTRIES_PER_NAMESPACE = 64


class FailureCounter:
    """A listener for the events store; ``totals`` only ever grows.

    The registry comes from the text of Event messages, which anyone who can create an
    Event writes: past :data:`MAX_REGISTRIES_PER_NAMESPACE` distinct registries in one
    namespace, further ones count under ``registry="other"`` (a counter's series never go
    away) and ``folded`` says how many failures were counted that way.
    """

    def __init__(self, max_registries_per_namespace: int = MAX_REGISTRIES_PER_NAMESPACE) -> None:
        self.totals: Counter[FailureKey] = Counter()
        self.version = 0
        self._namespace_versions: dict[str, int] = {}
        self._by_namespace: dict[str, Counter[FailureKey]] = {}
        self.folded = 0
        self._max_registries = max_registries_per_namespace
        self._registries: dict[str, set[str]] = {}

    def __call__(self, old: EventRecord | None, new: EventRecord | None, phase: Phase) -> None:
        if new is None:
            return
        if old is None:
            grown = 0 if phase is Phase.INITIAL_LIST else new.count
        else:
            grown = max(new.count - old.count, 0)
        if grown:
            registry = self._bounded_registry(new.namespace, new.registry, grown)
            key = (new.namespace, registry, new.reason, new.cause)
            self.totals[key] += grown
            self._by_namespace.setdefault(new.namespace, Counter())[key] += grown
            self.version += 1
            self._namespace_versions[new.namespace] = self.version

    def namespaces(self) -> Iterable[str]:
        """Namespaces with counted failures (a counter's series never go away)."""
        return self._namespace_versions.keys()

    def namespace_version(self, namespace: str) -> int:
        """Grows whenever a failure in ``namespace`` is counted."""
        return self._namespace_versions.get(namespace, 0)

    def in_namespace(self, namespace: str) -> list[tuple[FailureKey, int]]:
        """The totals of one namespace, sorted."""
        return sorted(self._by_namespace.get(namespace, {}).items())

    def _bounded_registry(self, namespace: str, registry: str, grown: int) -> str:
        known = self._registries.setdefault(namespace, set())
        if registry in known:
            return registry
        if len(known) < self._max_registries:
            known.add(registry)
            return registry
        self.folded += grown
        return OTHER_REGISTRY
