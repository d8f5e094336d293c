"""The prometheus_client collector: renders the cluster state at scrape time, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from exporter.metrics.catalog import MetricSpec, all_metrics
from exporter.metrics.view import ClusterView, Limits
from exporter.state.cluster import ClusterState


class StateCollector(Collector):
    """Yields fresh families built from one consistent view of the state.

    ``collect`` runs synchronously on the event loop, so no reflector can change the
    state while it runs: the view is consistent without locks.
    """

    def __init__(
        self,
        state: ClusterState,
        catalog: tuple[MetricSpec, ...] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self._state = state
        self._limits = limits or Limits()
        self._catalog = catalog if catalog is not None else all_metrics()
        self._dropped: Counter[str] = Counter()

    def describe(self) -> Iterator[Metric]:
        for spec in self._catalog:
            yield spec.family()

    def collect(self) -> Iterator[Metric]:
        view = ClusterView(self._state, self._limits, series_dropped=self._dropped)
        families = [spec.build(view) for spec in self._catalog]
        yield from families
