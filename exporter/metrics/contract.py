"""The metric contract: every metric the exporter can serve, for docs and for the tests
that hold alerts and dashboards to it (the state catalog plus the registry probe's)."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.metrics import probe
from exporter.metrics.catalog import all_metrics


@dataclass(frozen=True, slots=True)
class DeclaredMetric:
    name: str
    type: str
    help: str
    labels: tuple[str, ...]
    cap: str | None
    stability: str


def declared_metrics() -> list[DeclaredMetric]:
    """The state catalog in exposition order, then the probe's metrics."""
    declared = [
        DeclaredMetric(m.name, m.type, m.help, m.labels, m.cap, m.stability) for m in all_metrics()
    ]
    declared += [
        DeclaredMetric(m.name, m.type, m.help, m.labels, m.cap, m.stability) for m in probe.METRICS
    ]
    return declared
