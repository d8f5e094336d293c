"""Pull-failure metrics: how many pulls fail, and which containers wait on one, and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from exporter.metrics.catalog import MetricSpec, Sample
from exporter.metrics.view import ClusterView

WAITING_INFO = "imagepull_container_waiting_info"
WAITING_SINCE = "imagepull_container_waiting_since_timestamp_seconds"
PODS = ("pods",)


def _failures_total(view: ClusterView) -> Iterator[Sample]:
    for key, count in sorted(view.state.failures.totals.items()):
        yield key, float(count)


def _containers_waiting(view: ClusterView) -> Iterator[Sample]:
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for pod, c in view.failing_containers:
        counts[(pod.namespace, c.registry, c.waiting_reason or "", c.pull_cause or "")] += 1
    for key, count in sorted(counts.items()):
        yield key, float(count)


def _waiting_info(view: ClusterView) -> Iterator[Sample]:
    for pod, c in view.failing_containers:
        labels = (pod.namespace, pod.name, c.name, c.image, c.registry)
        yield (*labels, c.waiting_reason or "", c.pull_cause or ""), 1.0


def _waiting_since(view: ClusterView) -> Iterator[Sample]:
    for pod, c in view.failing_containers:
        if c.waiting_since is not None:
            yield (pod.namespace, pod.name, c.name), c.waiting_since


METRICS = (
    MetricSpec(
        "imagepull_failures_total",
        "counter",
        "Image pull failures reported by kubelet Events (Failed, BackOff, InspectFailed, "
        "ErrImageNeverPull, FailedToRetrieveImagePullSecret), counted from each Event's "
        "own count so relists and restarts never double count.",
        ("namespace", "registry", "reason", "cause"),
        _failures_total,
        depends=("failures",),
    ),
    MetricSpec(
        "imagepull_containers_waiting",
        "gauge",
        "Containers (init, regular, ephemeral) now waiting with an image-pull reason.",
        ("namespace", "registry", "reason", "cause"),
        _containers_waiting,
        depends=PODS,
    ),
    MetricSpec(
        WAITING_INFO,
        "gauge",
        "Always 1, one series per container waiting on an image pull, with its cause; "
        "capped by --max-failing-containers.",
        ("namespace", "pod", "container", "image", "registry", "reason", "cause"),
        _waiting_info,
        depends=PODS,
        cap="max_failing_containers",
    ),
    MetricSpec(
        WAITING_SINCE,
        "gauge",
        "Unix time since when the container has been waiting on an image pull; "
        "capped by --max-failing-containers.",
        ("namespace", "pod", "container"),
        _waiting_since,
        depends=PODS,
        cap="max_failing_containers",
    ),
)
