"""Exposition text, computed again only for what changed since the last scrape.

Work happens when objects change, not at every scrape. A family whose inputs did not
change is cached bytes. A family of cluster objects (``MetricSpec.scope == "namespace"``)
is cached per namespace: every join it makes stays inside one namespace, so a pod that
changes in ``payments`` recomputes the ``payments`` part of the pod families and leaves the
other namespaces' bytes as they were. At 150,000 pods in 300 namespaces, a scrape after a
change costs milliseconds instead of a whole render.

Sample lines are formatted here, exactly as prometheus_client writes them (labels sorted
by name, values through ``floatToGoString``; the same line in the text format and in
OpenMetrics), and family headers by prometheus_client itself; a test holds the result to
``generate_latest`` of the same families, in both formats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast

from prometheus_client import exposition
from prometheus_client.core import Metric
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from exporter.metrics.catalog import DroppedSeries, MetricSpec, all_metrics, cap_samples
from exporter.metrics.view import ClusterView, Limits
from exporter.probe.results import ProbeResults
from exporter.state.cluster import ClusterState

OPENMETRICS_EOF = b"# EOF\n"
SELF_PREFIX = "imagepull_exporter_"
"""The exporter's self-metrics, served even before the first sync."""
_go_float = cast(Callable[[float], str], floatToGoString)  # untyped in prometheus_client


class _Families(Collector):
    """The ``collect()`` protocol over given families, for one-family formatting."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> list[Metric]:
        return self._families


def format_families(families: Iterable[Metric], *, openmetrics_format: bool) -> bytes:
    """Exposition bytes of ``families``, without the OpenMetrics ``# EOF`` trailer."""
    source = _Families(families)
    if openmetrics_format:
        text: bytes = openmetrics.generate_latest(source)  # type: ignore[no-untyped-call]
        return text.removesuffix(OPENMETRICS_EOF)
    return exposition.generate_latest(source)


class SampleFormatter:
    """Sample lines of one metric, as prometheus_client formats them in both formats.

    >>> f = SampleFormatter("imagepull_secret_info", ("namespace", "secret", "type"))
    >>> f.line(("ns", 'a"b', "kubernetes.io/dockercfg"), 1.0)
    'imagepull_secret_info{namespace="ns",secret="a\\\\"b",type="kubernetes.io/dockercfg"} 1.0\\n'
    """

    def __init__(self, name: str, labels: Sequence[str]) -> None:
        self._name = name
        self._order = sorted(range(len(labels)), key=lambda i: labels[i])
        inner = ",".join(f'{labels[i]}="{{{n}}}"' for n, i in enumerate(self._order))
        # "{{" in a format string is a literal brace: name{a="{0}",b="{1}"} {2}
        self._template = f"{name}{{{{{inner}}}}} {{{len(labels)}}}\n" if labels else ""

    def line(self, values: Sequence[str], value: float) -> str:
        if not self._template:
            return f"{self._name} {_go_float(value)}\n"
        ordered = [values[i] for i in self._order]
        joined = "".join(ordered)
        if "\\" in joined or "\n" in joined or '"' in joined:
            ordered = [_escape(v) for v in ordered]
        return self._template.format(*ordered, _go_float(value))


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


class _Source(Protocol):
    @property
    def version(self) -> int: ...


class _NamespacedSource(_Source, Protocol):
    def namespaces(self) -> Iterable[str]: ...

    def namespace_version(self, namespace: str) -> int: ...


PER_NAMESPACE = frozenset({"pods", "secrets", "serviceaccounts", "other_secrets", "failures"})
"""Sources whose changes are tracked per namespace; the others count cluster-wide."""


class _Constant:
    version = 0


class _Keys:
    """The pull secrets' names: changes when a secret comes or goes, not when it changes."""

    def __init__(self, state: ClusterState) -> None:
        self._state = state

    @property
    def version(self) -> int:
        return self._state.secrets.key_version


@dataclass
class _Part:
    """One family's series in one namespace (or the whole cluster): their lines, and a
    hash of each series' labels (what a cap needs to count what it leaves out)."""

    key: tuple[int, ...]
    lines: bytes
    series: list[int]


@dataclass
class _Family:
    key: tuple[int, ...] | None = None
    parts: dict[str, _Part] = field(default_factory=dict)
    body: bytes = b""
    """The sample lines of the whole family, as of ``key``."""


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
        self._self_metrics = tuple(s for s in self._catalog if s.name.startswith(SELF_PREFIX))
        self._limits = limits or Limits()
        self._extra = tuple(extra)
        self._probe = probe
        self._dropped: DroppedSeries = DroppedSeries()
        self._families: dict[str, _Family] = {}
        self._formatters = {
            spec.name: SampleFormatter(spec.name, spec.labels) for spec in self._catalog
        }
        self._headers = {
            (spec.name, om): format_families([spec.family()], openmetrics_format=om)
            for spec in self._catalog
            for om in (False, True)
        }
        sources = self._sources()
        self._reads = {spec.name: [sources[n] for n in spec.depends] for spec in self._catalog}
        self._per_namespace = {
            spec.name: [
                cast(_NamespacedSource, sources[n]) for n in spec.depends if n in PER_NAMESPACE
            ]
            for spec in self._catalog
        }
        self._cluster_wide = {
            spec.name: [sources[n] for n in spec.depends if n not in PER_NAMESPACE]
            for spec in self._catalog
        }
        # What a root view caches for all namespaces (ClusterView.secret_namespaces, the
        # probe's expiries): a change elsewhere (an event, say) must not rebuild it.
        self._root_cached = [sources[n] for n in ("secret_names", "secrets_elsewhere", "probe")]

    @property
    def catalog(self) -> tuple[MetricSpec, ...]:
        return self._catalog

    def _sources(self) -> dict[str, _Source]:
        state = self._state
        return {
            "pods": state.pods,
            "secrets": state.secrets,
            "serviceaccounts": state.serviceaccounts,
            "events": state.events,
            "other_secrets": state.other_secrets,
            "failures": state.failures,
            "secrets_elsewhere": state.secrets_elsewhere,
            "secret_names": _Keys(state),
            "probe": self._probe or _Constant(),
            "build": _Constant(),
        }

    def _versions(self, spec: MetricSpec) -> tuple[int, ...] | None:
        """The versions of everything ``spec`` reads; None: it reads the clock, always new."""
        if not spec.depends:
            return None
        return tuple(source.version for source in self._reads[spec.name])

    def _local(self, spec: MetricSpec) -> list[_NamespacedSource]:
        """What ``spec`` reads that is versioned per namespace."""
        return self._per_namespace[spec.name]

    def _whole(self, spec: MetricSpec) -> tuple[int, ...]:
        """The versions of what ``spec`` reads that counts cluster-wide."""
        return tuple(source.version for source in self._cluster_wide[spec.name])

    def _namespaces(self, specs: Iterable[MetricSpec]) -> list[str]:
        found: set[str] = set()
        for spec in specs:
            for source in self._local(spec):
                found.update(source.namespaces())
        return sorted(found)

    def _stale(self, spec: MetricSpec) -> bool:
        key = self._versions(spec)
        family = self._families.get(spec.name)
        return key is None or family is None or family.key != key

    def stale(self) -> bool:
        """Whether a family's inputs changed since it was last rendered."""
        return any(self._stale(spec) for spec in self._catalog if spec.depends)

    def _part(self, spec: MetricSpec, view: ClusterView, key: tuple[int, ...]) -> _Part:
        samples = cap_samples(spec.samples(view))
        line = self._formatters[spec.name].line
        text = "".join([line(labels, value) for labels, value in samples])
        return _Part(key, text.encode("utf-8"), [hash(labels) for labels, _ in samples])

    def _fresh_part(self, spec: MetricSpec, namespace: str, view: ClusterView) -> _Part:
        """``spec``'s part for ``namespace``, computed again only if what it reads changed."""
        family = self._families.setdefault(spec.name, _Family())
        key = self._whole(spec) + tuple(s.namespace_version(namespace) for s in self._local(spec))
        part = family.parts.get(namespace)
        if part is None or part.key != key:
            part = family.parts[namespace] = self._part(spec, view.scoped(namespace), key)
        return part

    def _refresh(
        self, view: ClusterView, specs: Sequence[MetricSpec] | None = None
    ) -> list[tuple[MetricSpec, _Family]]:
        """The families of ``specs`` (the catalog), brought up to date where their inputs
        changed."""
        specs = self._catalog if specs is None else specs
        for _ in self._part_steps(specs):
            pass
        current = []
        for spec in specs:
            if not self._stale(spec):
                current.append((spec, self._families[spec.name]))
                continue
            key = self._versions(spec)
            family = self._families.setdefault(spec.name, _Family())
            if spec.scope == "namespace":
                namespaces = self._namespaces([spec])
                parts = [self._fresh_part(spec, ns, view) for ns in namespaces]  # fresh: cheap
                family.parts = dict(zip(namespaces, parts, strict=True))
            else:
                parts = [self._part(spec, view, ())]
            self._assemble(spec, family, parts)
            if key is None:  # rendered at every scrape: nothing to keep
                del self._families[spec.name]
            else:
                family.key = key
            current.append((spec, family))
        return current

    def _part_steps(self, catalog: Sequence[MetricSpec] | None = None) -> Iterator[None]:
        """Bring the stale families' parts up to date a namespace at a time (its joins are
        computed once for all of them, then dropped), yielding after each namespace."""
        catalog = self._catalog if catalog is None else catalog
        specs = [s for s in catalog if s.scope == "namespace" and self._stale(s)]
        wanted = {spec.name: set(self._namespaces([spec])) for spec in specs}
        view, root_key = self._view(), self._root_versions()
        for namespace in sorted(set().union(*wanted.values())):
            if self._root_versions() != root_key:  # a root view caches global facts
                view, root_key = self._view(), self._root_versions()
            for spec in specs:
                if namespace in wanted[spec.name]:
                    self._fresh_part(spec, namespace, view)
            view.forget(namespace)
            yield

    def _assemble(self, spec: MetricSpec, family: _Family, parts: list[_Part]) -> None:
        """The family's lines from its parts, leaving out (and counting) what its cap cuts."""
        limit = getattr(self._limits, spec.cap) if spec.cap else None
        total = sum(len(part.series) for part in parts)
        if limit is None or total <= limit:
            family.body = b"".join(part.lines for part in parts)
            if limit is not None:
                self._dropped.left_out(spec.name, frozenset())
            return
        kept, left, dropped = [], limit, []
        for part in parts:
            if left >= len(part.series):
                kept.append(part.lines)
            elif left > 0:
                kept.append(_first_lines(part.lines, left))
                dropped += part.series[left:]
            else:
                dropped += part.series
            left = max(left - len(part.series), 0)
        family.body = b"".join(kept)
        self._dropped.left_out(spec.name, frozenset(dropped))

    def _view(self) -> ClusterView:
        return ClusterView(
            self._state, self._limits, series_dropped=self._dropped, probe=self._probe
        )

    def warm(self) -> None:
        """Bring what changed up to date now, so the next scrape only copies."""
        for _ in self.warm_steps():
            pass

    def warm_steps(self) -> Iterator[None]:
        """:meth:`warm` one namespace at a time, yielding between them: the caller may
        serve requests (and apply watch events) in between, and what changes meanwhile
        is caught by the versions every part carries."""
        yield from self._part_steps()
        self._refresh(self._view())

    def _root_versions(self) -> tuple[int, ...]:
        return tuple(source.version for source in self._root_cached)

    def families(self) -> list[Metric]:
        """The catalog's families as of now, computed afresh (for collectors and tests;
        scrapes use the cached text, which a test holds equal to these)."""
        view = self._view()
        self._refresh(view)  # caps count what they leave out as a render does
        families: list[Metric] = []
        for spec in self._catalog:
            if spec.scope == "namespace":
                scoped = [view.scoped(ns) for ns in self._namespaces([spec])]
                samples = [s for v in scoped for s in cap_samples(spec.samples(v))]
            else:
                samples = cap_samples(spec.samples(view))
            limit = getattr(self._limits, spec.cap) if spec.cap else None
            metric = spec.family()
            for labels, value in samples if limit is None else samples[:limit]:
                metric.add_metric(list(labels), value)
            families.append(metric)
        return families

    def render(self, *, openmetrics_format: bool = False, self_only: bool = False) -> bytes:
        """The exposition of the catalog and the extra collectors, in one format; with
        ``self_only`` (before every initial LIST completed) of the self-metrics alone."""
        parts = []
        specs = self._self_metrics if self_only else self._catalog
        for spec, family in self._refresh(self._view(), specs):
            parts.append(self._headers[(spec.name, openmetrics_format)])
            parts.append(family.body)
        extra = [family for collector in self._extra for family in collector.collect()]
        parts.append(format_families(extra, openmetrics_format=openmetrics_format))
        if openmetrics_format:
            parts.append(OPENMETRICS_EOF)
        return b"".join(parts)


def _first_lines(lines: bytes, count: int) -> bytes:
    """The first ``count`` lines of ``lines``, one per series. Only ``\\n`` ends a line:
    label values escape it, but not a carriage return, which ``splitlines`` would also
    split on (a pod name is cluster data)."""
    end = -1
    for _ in range(count):
        end = lines.index(b"\n", end + 1)
    return lines[: end + 1]
