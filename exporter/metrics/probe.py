"""Registry probe metrics, declared as data over :class:`ProbeResults`.

The catalog's ``MetricSpec`` reads a ``ClusterView`` and knows gauges and counters; these
read the probe's results and include a histogram, so they have their own small spec type
and collector (registered next to the state collector when the probe is enabled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter.probe.results import ProbeResults

GaugeSample = tuple[tuple[str, ...], float]
HistogramSample = tuple[tuple[str, ...], list[tuple[str, float]], float]
"""(label values, cumulative ``(le, count)`` buckets ending with ``+Inf``, sum)."""


@dataclass(frozen=True, slots=True)
class ProbeMetricSpec:
    """One probe metric: name, type, help, labels and how to compute its samples."""

    name: str
    type: Literal["gauge", "histogram"]
    help: str
    labels: tuple[str, ...]
    gauge_samples: Callable[[ProbeResults], Iterable[GaugeSample]] | None = None
    histogram_samples: Callable[[ProbeResults], Iterable[HistogramSample]] | None = None
    stability: Literal["experimental", "stable", "deprecated"] = "experimental"

    def family(self) -> GaugeMetricFamily | HistogramMetricFamily:
        """A fresh, empty family for this metric."""
        if self.type == "histogram":
            return HistogramMetricFamily(self.name, self.help, labels=self.labels)
        return GaugeMetricFamily(self.name, self.help, labels=self.labels)

    def build(self, results: ProbeResults) -> Metric:
        family = self.family()
        if isinstance(family, HistogramMetricFamily) and self.histogram_samples is not None:
            for labels, buckets, total in self.histogram_samples(results):
                family.add_metric(list(labels), buckets, total)
        elif isinstance(family, GaugeMetricFamily) and self.gauge_samples is not None:
            for labels, value in self.gauge_samples(results):
                family.add_metric(list(labels), value)
        return family


def _success(results: ProbeResults) -> Iterator[GaugeSample]:
    for key, result in results.items():
        yield key, 1.0 if result.success else 0.0


def _timestamp(results: ProbeResults) -> Iterator[GaugeSample]:
    for key, result in results.items():
        yield key, result.timestamp


def _result(results: ProbeResults) -> Iterator[GaugeSample]:
    for key, result in results.items():
        yield (*key, result.outcome.value), 1.0


def _durations(results: ProbeResults) -> Iterator[HistogramSample]:
    for host, histogram in results.durations():
        yield (host,), histogram.buckets(), histogram.total


PROBED = ("namespace", "secret", "registry")

METRICS = (
    ProbeMetricSpec(
        "imagepull_registry_probe_success",
        "gauge",
        "1 when the registry accepted the pull secret's credential at the last probe, 0 "
        "when it did not or could not be asked (see imagepull_registry_probe_result).",
        PROBED,
        gauge_samples=_success,
    ),
    ProbeMetricSpec(
        "imagepull_registry_probe_timestamp_seconds",
        "gauge",
        "Unix time of the last probe of the pull secret's credential against the registry.",
        PROBED,
        gauge_samples=_timestamp,
    ),
    ProbeMetricSpec(
        "imagepull_registry_probe_result",
        "gauge",
        "Always 1, for the result of the last probe: ok, unauthorized, forbidden, "
        "not_found, rate_limited, network, tls or error.",
        (*PROBED, "result"),
        gauge_samples=_result,
    ),
    ProbeMetricSpec(
        "imagepull_registry_probe_duration_seconds",
        "histogram",
        "Seconds a registry probe handshake took, by registry host.",
        ("registry",),
        histogram_samples=_durations,
    ),
)


class ProbeCollector(Collector):
    """Fresh families of :data:`METRICS` from the probe's results at every scrape (no I/O)."""

    def __init__(self, results: ProbeResults) -> None:
        self._results = results

    def describe(self) -> Iterator[Metric]:
        for spec in METRICS:
            yield spec.family()

    def collect(self) -> Iterator[Metric]:
        for spec in METRICS:
            yield spec.build(self._results)
