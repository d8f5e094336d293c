"""Self-metrics: is the exporter watching, how fresh is what it knows, what did it drop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from exporter.metrics.catalog import MetricSpec, Sample
from exporter.metrics.view import ClusterView


def _watch_up(view: ClusterView) -> Iterator[Sample]:
    for resource, (up, _, _) in sorted(view.watch_health().items()):
        yield (resource,), 1.0 if up else 0.0


def _last_event(view: ClusterView) -> Iterator[Sample]:
    for resource, (_, last, _) in sorted(view.watch_health().items()):
        if last is not None:
            yield (resource,), last


def _restarts(view: ClusterView) -> Iterator[Sample]:
    for resource, (_, _, restarts) in sorted(view.watch_health().items()):
        for reason, count in sorted(restarts.items()):
            yield (resource, reason), float(count)


def _skipped(view: ClusterView) -> Iterator[Sample]:
    for resource, count in sorted(view.objects_skipped().items()):
        yield (resource,), float(count)


def _objects(view: ClusterView) -> Iterator[Sample]:
    for resource, count in view.object_counts().items():
        yield (resource,), float(count)


def _series_dropped(view: ClusterView) -> Iterator[Sample]:
    dropped = Counter(view.series_dropped)
    if view.state.failures.folded:
        dropped["imagepull_failures_total"] += view.state.failures.folded
    for metric, count in sorted(dropped.items()):
        yield (metric,), float(count)


def _synced(view: ClusterView) -> Iterator[Sample]:
    yield (), 1.0 if view.state.synced else 0.0


def _build_info(view: ClusterView) -> Iterator[Sample]:
    yield (view.version,), 1.0


SYNCED = "imagepull_exporter_synced"

METRICS = (
    MetricSpec(
        SYNCED,
        "gauge",
        "1 once every list+watch has completed its first LIST; 0 before, while only these "
        "imagepull_exporter_* self-metrics are served (a half-listed cluster would show "
        "every secret not yet listed as missing).",
        (),
        _synced,
    ),
    MetricSpec(
        "imagepull_exporter_watch_up",
        "gauge",
        "1 when every list+watch of the resource is connected, 0 while it fails.",
        ("resource",),
        _watch_up,
    ),
    MetricSpec(
        "imagepull_exporter_last_event_timestamp_seconds",
        "gauge",
        "Unix time of the last list page or watch event (bookmarks included) received.",
        ("resource",),
        _last_event,
    ),
    MetricSpec(
        "imagepull_exporter_watch_restarts_total",
        "counter",
        "Watches restarted because of a problem, by reason (gone, stalled, disconnected, "
        "throttled, unreachable, server_error, unauthorized, forbidden, credentials, "
        "malformed, error).",
        ("resource", "reason"),
        _restarts,
    ),
    MetricSpec(
        "imagepull_exporter_objects",
        "gauge",
        "Objects the exporter keeps per resource (events: image-pull failures only).",
        ("resource",),
        _objects,
        depends=("pods", "events", "secrets", "serviceaccounts"),
    ),
    MetricSpec(
        "imagepull_exporter_objects_skipped_total",
        "counter",
        "Objects from the API left out because applying them failed (a bug, or input "
        "nobody foresaw; the log names the error type): anything above 0 is worth a report.",
        ("resource",),
        _skipped,
    ),
    MetricSpec(
        "imagepull_exporter_series_dropped_total",
        "counter",
        "Series left out because a per-metric cap was reached, each counted once when it "
        "starts being left out (for imagepull_failures_total: failures counted under "
        "registry=other).",
        ("metric",),
        _series_dropped,
    ),
    MetricSpec(
        "imagepull_exporter_build_info",
        "gauge",
        "Always 1; the exporter's version as a label.",
        ("version",),
        _build_info,
        depends=("build",),
    ),
)
