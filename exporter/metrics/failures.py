"""Pull-failure metrics: how many pulls fail, and which containers wait on one, and why.

Label values are bounded: ``cause`` and ``reason`` come from fixed sets, ``registry`` is a
host name that parsed (or ``unknown``), and ``image`` is the pod spec's image only when it
is a valid reference: anything else, e.g. ``https://user:token@host/app`` that kubelet
rejects as InvalidImageName, is reported as :data:`INVALID_IMAGE`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from exporter.images.reference import parse_image
from exporter.metrics.catalog import MetricSpec, Sample
from exporter.metrics.view import ClusterView

WAITING_INFO = "imagepull_container_waiting_info"
WAITING_SINCE = "imagepull_container_waiting_since_timestamp_seconds"
PODS = ("pods",)
INVALID_IMAGE = "invalid"
"""The ``image`` label of a container whose image is not a valid reference."""


@lru_cache(maxsize=8192)  # replicas share images; a render may ask 2000 times
def image_label(image: str) -> str:
    """``image`` if it is a valid reference, else :data:`INVALID_IMAGE`.

    An invalid image field is free text, and may carry credentials
    (``https://deploy:glpat-...@registry.gitlab.com/g/p:1``): it never becomes a label.

    >>> image_label("ghcr.io/acme/api:2"), image_label("https://u:p@ghcr.io/acme/api:2")
    ('ghcr.io/acme/api:2', 'invalid')
    """
    return image if parse_image(image) is not None else INVALID_IMAGE


def _failures_total(view: ClusterView) -> Iterator[Sample]:
    for key, count in view.failure_totals():
        yield key, float(count)


def _containers_waiting(view: ClusterView) -> Iterator[Sample]:
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for pod, c in view.failing_containers:
        counts[(pod.namespace, c.registry, c.waiting_reason or "", c.pull_cause or "")] += 1
    for key, count in sorted(counts.items()):
        yield key, float(count)


def _waiting_info(view: ClusterView) -> Iterator[Sample]:
    for pod, c in view.failing_containers:
        labels = (pod.namespace, pod.name, c.name, image_label(c.image), c.registry)
        reason = (c.waiting_reason or "", c.pull_cause or "")
        yield (*labels, *reason, view.coverage(pod, c)), 1.0


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
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_containers_waiting",
        "gauge",
        "Containers (init, regular, ephemeral) now waiting with an image-pull reason.",
        ("namespace", "registry", "reason", "cause"),
        _containers_waiting,
        depends=PODS,
        scope="namespace",
    ),
    MetricSpec(
        WAITING_INFO,
        "gauge",
        "Always 1, one series per container waiting on an image pull, with its cause; "
        "image is the pod spec's reference, or 'invalid' when it is not a valid one; "
        "covered: whether the pod's pull secrets cover the image's registry (true, false, "
        "or none when the pod has no pull secret); capped by --max-failing-containers.",
        ("namespace", "pod", "container", "image", "registry", "reason", "cause", "covered"),
        _waiting_info,
        depends=("pods", "serviceaccounts", "secrets"),
        cap="max_failing_containers",
        scope="namespace",
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
        scope="namespace",
    ),
)
