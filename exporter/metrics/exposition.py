"""Exposition text, rendered again only for the families whose inputs changed.

A scrape of a quiet cluster is a concatenation of cached bytes; a change to pods renders
the pod families again, and so on (``MetricSpec.depends``). The formatting itself is
prometheus_client's, one family at a time, so the output is byte for byte what
``generate_latest`` would write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client import exposition
from prometheus_client.core import Metric
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.registry import Collector

from exporter.metrics.catalog import DroppedSeries, MetricSpec, all_metrics
from exporter.metrics.view import ClusterView, Limits
from exporter.probe.results import ProbeResults
from exporter.state.cluster import ClusterState

OPENMETRICS_EOF = b"# EOF\n"


class _Families(Collector):
    """The ``collect()`` protocol over given families, for one-family formatting."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> list[Metric]:
        return self._families


@dataclass
class _Rendered:
    key: tuple[int, ...]
    family: Metric
    text: dict[bool, bytes] = field(default_factory=dict)


def format_families(families: Iterable[Metric], *, openmetrics_format: bool) -> bytes:
    """Exposition bytes of ``families``, without the OpenMetrics ``# EOF`` trailer."""
    source = _Families(families)
    if openmetrics_format:
        text: bytes = openmetrics.generate_latest(source)  # type: ignore[no-untyped-call]
        return text.removesuffix(OPENMETRICS_EOF)
    return exposition.generate_latest(source)


class Exposition:
    """Families and exposition bytes of the catalog for one :class:`ClusterState`."""

    def __init__(
        self,
        state: ClusterState,
        *,
        catalog: Sequence[MetricSpec] | None = None,
        limits: Limits | None = None,
        extra: Sequence[Collector] = (),
        probe: ProbeResults | None = None,
    ) -> None:
        self._state = state
        self._catalog = tuple(catalog) if catalog is not None else all_metrics()
        self._limits = limits or Limits()
        self._extra = tuple(extra)
        self._probe = probe
        self._dropped: Counter[str] = DroppedSeries()
        self._rendered: dict[str, _Rendered] = {}

    @property
    def catalog(self) -> tuple[MetricSpec, ...]:
        return self._catalog

    def _versions(self, spec: MetricSpec) -> tuple[int, ...] | None:
        state = self._state
        sources = {
            "pods": state.pods.version,
            "secrets": state.secrets.version,
            "serviceaccounts": state.serviceaccounts.version,
            "events": state.events.version,
            "other_secrets": state.other_secrets.version,
            "secrets_elsewhere": state.secrets_elsewhere.version,
            "failures": state.failures.version,
            "probe": self._probe.version if self._probe else 0,
            "build": 0,
        }
        return tuple(sources[name] for name in spec.depends) if spec.depends else None

    def _current(self) -> list[_Rendered]:
        view = ClusterView(
            self._state, self._limits, series_dropped=self._dropped, probe=self._probe
        )
        current = []
        for spec in self._catalog:
            key = self._versions(spec)
            rendered = self._rendered.get(spec.name)
            if key is None or rendered is None or rendered.key != key:
                rendered = _Rendered(key or (), spec.build(view))
                if key is not None:
                    self._rendered[spec.name] = rendered
            current.append(rendered)
        return current

    def stale(self) -> bool:
        """Whether a family's inputs changed since it was last rendered."""
        return any(
            (key := self._versions(spec)) is not None
            and ((rendered := self._rendered.get(spec.name)) is None or rendered.key != key)
            for spec in self._catalog
        )

    def warm(self) -> None:
        """Render what changed now, in the text format, so the next scrape only copies."""
        for rendered in self._current():
            if False not in rendered.text:
                rendered.text[False] = format_families([rendered.family], openmetrics_format=False)

    def families(self) -> list[Metric]:
        """The catalog's families as of now (shared objects: do not modify them)."""
        return [rendered.family for rendered in self._current()]

    def render(self, *, openmetrics_format: bool = False) -> bytes:
        """The exposition of the catalog and the extra collectors, in one format."""
        parts = []
        for rendered in self._current():
            text = rendered.text.get(openmetrics_format)
            if text is None:
                text = format_families([rendered.family], openmetrics_format=openmetrics_format)
                rendered.text[openmetrics_format] = text
            parts.append(text)
        extra = [family for collector in self._extra for family in collector.collect()]
        parts.append(format_families(extra, openmetrics_format=openmetrics_format))
        if openmetrics_format:
            parts.append(OPENMETRICS_EOF)
        return b"".join(parts)
