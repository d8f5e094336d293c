"""Every metric the exporter serves, declared as data.

The collector, ``describe()``, ``docs/metrics.md`` and the tests read this catalog; a
metric exists when it is declared here and nowhere else.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporter.metrics.view import ClusterView

Sample = tuple[tuple[str, ...], float]
MetricType = Literal["gauge", "counter"]
Stability = Literal["experimental", "stable", "deprecated"]
MAX_LABEL_VALUE = 256
CapName = Literal["max_failing_containers", "max_secret_series"]
Scope = Literal["cluster", "namespace"]


class DroppedSeries(Counter[str]):
    """Series left out by a cap, per metric, each counted once: when it starts being left
    out. One that stays out across renders is not counted again; one that comes back and
    is left out again is. ``left_out_now`` keeps hashes of the series out at the last
    render, so it is as big as what is dropped now."""

    def __init__(self) -> None:
        super().__init__()
        self.left_out_now: dict[str, frozenset[int]] = {}

    def left_out(self, metric: str, series: frozenset[int]) -> None:
        """Record that ``series`` (hashes of label values) are out of ``metric`` now."""
        started = len(series - self.left_out_now.get(metric, frozenset()))
        if started:  # a metric that never dropped a series has no sample
            self[metric] += started
        self.left_out_now[metric] = series


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
    cap: CapName | None = None
    """Which :class:`Limits` field caps this metric's series (per-object metrics only);
    series past the cap are left out and counted in the series-dropped counter."""
    scope: Scope = "cluster"
    """``namespace``: every series comes from one namespace's objects (``samples`` of a
    view scoped to a namespace yields that namespace's series, in order), so the family
    is cached per namespace. ``depends`` then names per-namespace sources (pods, secrets,
    serviceaccounts, other_secrets, failures) and cluster-wide ones (the rest)."""
    stability: Stability = "experimental"

    def family(self) -> CounterMetricFamily | GaugeMetricFamily:
        """A fresh, empty family for this metric."""
        if self.type == "counter":
            return CounterMetricFamily(
                self.name.removesuffix("_total"), self.help, labels=self.labels
            )
        return GaugeMetricFamily(self.name, self.help, labels=self.labels)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def cap_label_value(value: str) -> str:
    # Label values come from cluster objects; a hostile one must not bloat every scrape,
    # nor break it: JSON's "\ud800" decodes to a str that UTF-8 cannot encode.
    if len(value) > MAX_LABEL_VALUE:
        value = value[: MAX_LABEL_VALUE - 3] + "..."
    return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)


def cap_samples(samples: Iterable[Sample]) -> list[Sample]:
    """Samples with every label value capped (see :func:`cap_label_value`)."""
    capped = []
    for labels, value in samples:
        joined = "".join(labels)  # short ASCII labels, nearly all: nothing to cap
        if len(joined) > MAX_LABEL_VALUE or not joined.isascii():
            capped.append((tuple(cap_label_value(v) for v in labels), value))
        else:
            capped.append((labels, value))
    return capped


def all_metrics(*, probe: bool = False) -> tuple[MetricSpec, ...]:
    """The whole catalog, in exposition order; with ``probe``, the registry probe's gauges
    too (they exist only with ``--registry-probe``), before the series-dropped counter
    that counts what their cap leaves out."""
    from exporter.metrics import credentials, exporter_health, failures
    from exporter.metrics import probe as probe_metrics

    probe_gauges = probe_metrics.GAUGES if probe else ()
    return failures.METRICS + credentials.METRICS + probe_gauges + exporter_health.METRICS
