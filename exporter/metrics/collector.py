"""The prometheus_client collector over the cluster state, for a ``CollectorRegistry``."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from exporter.metrics.exposition import Exposition


class StateCollector(Collector):
    """Yields the catalog's families from one consistent view of the state.

    ``collect`` runs synchronously on the event loop, so no reflector can change the
    state while it runs: the view is consistent without locks. Families are rebuilt only
    when what they read changed (see :class:`Exposition`).
    """

    def __init__(self, exposition: Exposition) -> None:
        self._exposition = exposition

    def describe(self) -> Iterator[Metric]:
        for spec in self._exposition.catalog:
            yield spec.family()

    def collect(self) -> Iterator[Metric]:
        yield from self._exposition.families()
