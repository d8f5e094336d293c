"""Every metric the exporter serves, declared as data.

The collector, ``describe()``, ``docs/metrics.md`` and the tests read this catalog; a
metric exists when it is declared here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from exporter.metrics.view import ClusterView

Sample = tuple[tuple[str, ...], float]
MetricType = Literal["gauge", "counter"]
Stability = Literal["experimental", "stable", "deprecated"]
MAX_LABEL_VALUE = 256


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric: its exposition name, type, help, labels and how to compute samples."""

    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    samples: Callable[[ClusterView], Iterable[Sample]]
    depends: tuple[str, ...] = ()
    """What the samples read, as names of versioned parts of the state (``pods``,
    ``secrets``, ``serviceaccounts``, ``events``, ``other_secrets``, ``failures``): the
    family is rendered again only when one of them changed. Empty: at every scrape."""
    stability: Stability = "experimental"

    def family(self) -> CounterMetricFamily | GaugeMetricFamily:
        """A fresh, empty family for this metric."""
        if self.type == "counter":
            return CounterMetricFamily(
                self.name.removesuffix("_total"), self.help, labels=self.labels
            )
        return GaugeMetricFamily(self.name, self.help, labels=self.labels)

    def build(self, view: ClusterView) -> Metric:
        family = self.family()
        add = family.add_metric
        for labels, value in self.samples(view):
            add([_cap(v) for v in labels], value)
        return family


def _cap(value: str) -> str:
    # Label values come from cluster objects; a hostile one must not bloat every scrape.
    return value if len(value) <= MAX_LABEL_VALUE else value[: MAX_LABEL_VALUE - 3] + "..."


def all_metrics() -> tuple[MetricSpec, ...]:
    """The whole catalog, in exposition order."""
    from exporter.metrics import credentials, exporter_health, failures

    return failures.METRICS + credentials.METRICS + exporter_health.METRICS
