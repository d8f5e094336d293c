"""Registry probe metrics, declared as data over :class:`ProbeResults`.

The per-secret gauges are catalog :class:`MetricSpec` entries reading ``view.probe``, so
they obey the same label-value cap and ``--max-secret-series`` as the credential series
they join with (``all_metrics(probe=True)`` lists them; they exist only with
``--registry-probe``). The duration histogram, by registry host, is not a catalog type:
:class:`ProbeCollector` yields it (the hosts are bounded by ``ProbeResults``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter.metrics.catalog import MetricSpec, Sample, cap_label_value
from exporter.metrics.view import ClusterView
from exporter.probe.results import MAX_DURATION_HOSTS, OTHER_HOST, ProbeResults

HistogramSample = tuple[tuple[str, ...], list[tuple[str, float]], float]
"""(label values, cumulative ``(le, count)`` buckets ending with ``+Inf``, sum)."""


@dataclass(frozen=True, slots=True)
class ProbeMetricSpec:
    """A probe histogram: name, help, labels and how to compute its samples."""

    name: str
    type: Literal["histogram"]
    help: str
    labels: tuple[str, ...]
    histogram_samples: Callable[[ProbeResults], Iterable[HistogramSample]]
    stability: Literal["experimental", "stable", "deprecated"] = "experimental"
    cap: None = None
    """Not capped per secret: one series per registry host, bounded by ``ProbeResults``."""

    def family(self) -> HistogramMetricFamily:
        """A fresh, empty family for this metric."""
        return HistogramMetricFamily(self.name, self.help, labels=self.labels)

    def build(self, results: ProbeResults) -> Metric:
        family = self.family()
        for labels, buckets, total in self.histogram_samples(results):
            family.add_metric([cap_label_value(v) for v in labels], buckets, total)
        return family


def _success(view: ClusterView) -> Iterator[Sample]:
    for key, result in view.probe.items() if view.probe is not None else ():
        if result.accepted is not None:
            yield key, 1.0 if result.accepted else 0.0


def _timestamp(view: ClusterView) -> Iterator[Sample]:
    for key, result in view.probe.items() if view.probe is not None else ():
        yield key, result.timestamp


def _result(view: ClusterView) -> Iterator[Sample]:
    for key, result in view.probe.items() if view.probe is not None else ():
        yield (*key, result.result.value), 1.0


def _durations(results: ProbeResults) -> Iterator[HistogramSample]:
    for host, histogram in results.durations():
        yield (host,), histogram.buckets(), histogram.total


PROBED = ("namespace", "secret", "registry")
PROBE = ("probe",)

GAUGES = (
    MetricSpec(
        "imagepull_registry_probe_success",
        "gauge",
        "The last conclusive verdict on the pull secret's credential: 1 accepted (ok, "
        "not_found), 0 rejected (unauthorized, forbidden). Kept while later probes are "
        "inconclusive (rate_limited, network, tls, error); absent until one is conclusive.",
        PROBED,
        _success,
        depends=PROBE,
        cap="max_secret_series",
    ),
    MetricSpec(
        "imagepull_registry_probe_timestamp_seconds",
        "gauge",
        "Unix time of the last probe of the pull secret's credential against the registry, "
        "conclusive or not (a round that cannot read the secret asks no registry: the time "
        "stays).",
        PROBED,
        _timestamp,
        depends=PROBE,
        cap="max_secret_series",
    ),
    MetricSpec(
        "imagepull_registry_probe_result",
        "gauge",
        "Always 1, for the result of the last probe: ok, unauthorized, forbidden, not_found, "
        "rate_limited, network, tls or error; an inconclusive probe (rate_limited, network, "
        "tls, error) does not replace unauthorized or forbidden.",
        (*PROBED, "result"),
        _result,
        depends=PROBE,
        cap="max_secret_series",
    ),
)

HISTOGRAM = ProbeMetricSpec(
    "imagepull_registry_probe_duration_seconds",
    "histogram",
    f"Seconds a registry probe handshake took, by registry host (past {MAX_DURATION_HOSTS} "
    f"hosts: {OTHER_HOST}).",
    ("registry",),
    _durations,
)

METRICS: tuple[MetricSpec | ProbeMetricSpec, ...] = (*GAUGES, HISTOGRAM)


class ProbeCollector(Collector):
    """A fresh duration histogram from the probe's results at every scrape (no I/O)."""

    def __init__(self, results: ProbeResults) -> None:
        self._results = results

    def describe(self) -> Iterator[Metric]:
        yield HISTOGRAM.family()

    def collect(self) -> Iterator[Metric]:
        yield HISTOGRAM.build(self._results)
