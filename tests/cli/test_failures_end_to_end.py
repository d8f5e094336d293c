"""End to end, the pull-failure "Done when": ``simulate`` and the exporter as subprocesses
(tests/cli/conftest.py), pods and kubelet Events made with the official client.

A pod in ImagePullBackOff with an unauthorized message and its kubelet Events show up with
``cause="auth"`` and the right registry within 2 s; ``imagepull_failures_total`` grows by
each Event's count delta only; Events already there when the exporter starts are its
baseline; neither a relist nor an exporter restart inflates the counter; every series of a
pod goes when the pod is fixed or deleted.

Counts are checked exactly and without sleeping: Events reach the exporter in order on one
watch, so once a later change shows, every earlier one has been counted.
"""
# ruff: noqa: E501  -- messages are kept verbatim.

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tests.cli.conftest import REAL_CLUSTER, samples, start_exporter, stop, value, within_deadline

pytestmark = pytest.mark.skipif(
    bool(REAL_CLUSTER), reason="a real kubelet owns pod status; the outage uses simulator control"
)

REGISTRY = "registry.example.com:5000"
IMAGE = f"{REGISTRY}/team/api:2.3"
# containerd's authorizer.go 401 from Harbor's token service, as kubelet relays it
UNAUTHORIZED = (
    f'rpc error: code = Unknown desc = failed to pull and unpack image "{IMAGE}": failed to '
    f'resolve reference "{IMAGE}": failed to authorize: failed to fetch anonymous token: '
    f"unexpected status from GET request to https://{REGISTRY}/service/token?scope="
    "repository%3Ateam%2Fapi%3Apull&service=harbor-registry: 401 Unauthorized"
)
FAILED = f'Failed to pull image "{IMAGE}": {UNAUTHORIZED}'
BACK_OFF = f'Back-off pulling image "{IMAGE}"'
QUAY_NOT_FOUND = 'Failed to pull image "quay.io/acme/web:9": rpc error: code = Unknown desc = reading manifest 9 in quay.io/acme/web: manifest unknown'
TOKEN = "glpat-e2e-canary-5c4b3a2910"
FAILURES = "imagepull_failures_total"
WAITING = "imagepull_containers_waiting"
INFO = "imagepull_container_waiting_info"
SINCE = "imagepull_container_waiting_since_timestamp_seconds"


@dataclass
class Cluster:
    """The simulator through the official client, and the exporter watching it."""

    api: client.CoreV1Api
    namespace: str
    kubeconfig: Path
    url: str = ""
    process: subprocess.Popen[str] | None = None
    stderr: list[str] = field(default_factory=list)

    def start_exporter(self) -> None:
        self.process, self.url = start_exporter(self.kubeconfig)

    def stop_exporter(self) -> None:
        if self.process is not None:
            self.stderr.append(stop(self.process))
            self.process = None

    def create_pod(self, name: str, image: str = IMAGE) -> None:
        spec = client.V1PodSpec(containers=[client.V1Container(name="app", image=image)])
        self.api.create_namespaced_pod(
            self.namespace, client.V1Pod(metadata=client.V1ObjectMeta(name=name), spec=spec)
        )

    def set_waiting(self, pod: str, reason: str | None, message: str = "") -> None:
        """The container's state as kubelet writes it, through the /status subresource."""
        state: dict[str, Any] = (
            {"waiting": {"reason": reason, "message": message}}
            if reason
            else {"running": {"startedAt": "2026-12-01T10:00:00Z"}}
        )
        container = {"name": "app", "image": IMAGE, "imageID": "", "ready": not reason,
                     "restartCount": 0, "state": state}  # fmt: skip
        status = {"phase": "Pending" if reason else "Running", "containerStatuses": [container]}
        self.api.patch_namespaced_pod_status(pod, self.namespace, {"status": status})

    def kubelet_event(self, name: str, *, reason: str, message: str, count: int) -> None:
        involved = client.V1ObjectReference(
            kind="Pod", namespace=self.namespace, name="api", field_path="spec.containers{app}"
        )
        event = client.CoreV1Event(
            metadata=client.V1ObjectMeta(name=name),
            involved_object=involved,
            reason=reason,
            message=message,
            type="Warning" if reason == "Failed" else "Normal",
            count=count,
            source=client.V1EventSource(component="kubelet", host="node-1"),
        )
        self.api.create_namespaced_event(self.namespace, event)

    def set_count(self, event: str, count: int) -> None:
        """kubelet's correlator folding more repeats into the Event: its count grows."""
        self.api.patch_namespaced_event(event, self.namespace, {"count": count})

    def simulator(self, path: str, body: object = None) -> None:
        """POST to the simulator's control API (fault injection, restart)."""
        request = self.api.api_client.param_serialize(
            "POST", f"/simulator/v1/{path}", body=body, auth_settings=["BearerToken"]
        )
        response = self.api.api_client.call_api(*request)
        response.read()
        assert response.status in (200, 201), response.data

    def failures(self, reason: str = "Failed", cause: str = "auth") -> float | None:
        labels = {"namespace": self.namespace, "registry": REGISTRY}
        return value(self.url, FAILURES, reason=reason, cause=cause, **labels)

    def waiting(self, reason: str, cause: str = "auth") -> float | None:
        labels = {"namespace": self.namespace, "registry": REGISTRY}
        return value(self.url, WAITING, reason=reason, cause=cause, **labels)

    def event_watch_restarts(self) -> float:
        return sum(
            v
            for (name, labels), v in samples(self.url).items()
            if name == "imagepull_exporter_watch_restarts_total"
            and ("resource", "events") in labels
        )


@pytest.fixture
def e2e(api: client.CoreV1Api, namespace: str, cluster: Path) -> Iterator[Cluster]:
    running = Cluster(api, namespace, cluster)
    yield running
    running.stop_exporter()
    for stderr in running.stderr:
        assert "Traceback" not in stderr
        assert TOKEN not in stderr


def a_failing_pod_shows_its_cause_and_its_events_count(c: Cluster) -> None:
    # Before the exporter starts: the pod waits, and kubelet already reported 7 failures.
    c.create_pod("api")
    c.set_waiting("api", "ImagePullBackOff", f"{BACK_OFF}: ErrImagePull: {UNAUTHORIZED}")
    c.kubelet_event("api.old", reason="Failed", message=FAILED, count=7)
    c.start_exporter()
    within_deadline(lambda: c.waiting("ImagePullBackOff") == 1.0)
    labels = {"pod": "api", "container": "app", "image": IMAGE, "registry": REGISTRY}
    assert value(c.url, INFO, namespace=c.namespace, cause="auth", **labels) == 1.0
    assert value(c.url, SINCE, namespace=c.namespace, pod="api", container="app") is not None
    # An Event first seen on the watch counts its whole count; the baseline's 7 do not.
    c.kubelet_event("api.1", reason="Failed", message=FAILED, count=2)
    within_deadline(lambda: c.failures() == 2.0)
    c.kubelet_event("api.2", reason="BackOff", message=BACK_OFF, count=3)
    within_deadline(lambda: c.failures("BackOff", "backoff") == 3.0)
    # client-go's correlator prefixes an Event that aggregates similar ones
    aggregated = f"(combined from similar events): {FAILED}"
    c.kubelet_event("api.3", reason="Failed", message=aggregated, count=4)
    within_deadline(lambda: c.failures() == 6.0)
    # Summary and crash-loop Events are not pull failures.
    c.kubelet_event("api.4", reason="Failed", message="Error: ErrImagePull", count=9)
    crash_loop = "Back-off restarting failed container app in pod api_x(1)"
    c.kubelet_event("api.5", reason="BackOff", message=crash_loop, count=9)
    # A known Event counts only its growth, the baseline's growth included.
    c.set_count("api.1", 5)
    within_deadline(lambda: c.failures() == 9.0)
    c.set_count("api.old", 9)
    within_deadline(lambda: c.failures() == 11.0)
    assert c.failures("BackOff", "backoff") == 3.0


def an_outage_and_a_relist_count_only_what_changed(c: Cluster) -> None:
    # The API server restarts and the exporter cannot list for a while (410, then 503s):
    # what changed meanwhile counts once the relist gets through, and nothing else does.
    before = c.event_watch_restarts()
    c.simulator("faults", [
        {"type": "gone", "resource": "events", "verb": "watch"},
        {"type": "status", "code": 503, "resource": "events", "verb": "list", "times": 2},
    ])  # fmt: skip
    c.simulator("restart")
    c.kubelet_event("web.1", reason="Failed", message=QUAY_NOT_FOUND, count=5)  # new
    c.set_count("api.1", 7)  # grew
    relisted = {"namespace": c.namespace, "registry": "quay.io", "reason": "Failed"}
    # the exporter's own back-off (0.8 s, then 1.6 s) paces the relist: more than 2 s
    within_deadline(lambda: value(c.url, FAILURES, cause="not_found", **relisted) == 5.0, 15.0)
    assert c.event_watch_restarts() >= before + 3  # gone, and the two refused lists
    assert c.failures() == 13.0
    c.set_count("api.2", 4)  # and the new watch counts growth again
    within_deadline(lambda: c.failures("BackOff", "backoff") == 4.0)
    assert c.failures() == 13.0


def a_restarted_exporter_starts_from_a_new_baseline(c: Cluster) -> None:
    c.stop_exporter()
    c.start_exporter()
    within_deadline(lambda: c.waiting("ImagePullBackOff") == 1.0)
    c.set_count("api.1", 8)
    within_deadline(lambda: c.failures() == 1.0)
    assert c.failures("BackOff", "backoff") is None
    assert value(c.url, FAILURES, namespace=c.namespace, cause="not_found") is None


def an_older_kubelets_bare_back_off_keeps_the_cause(c: Cluster) -> None:
    c.set_waiting("api", "ErrImagePull", UNAUTHORIZED)
    within_deadline(lambda: c.waiting("ErrImagePull") == 1.0)
    c.set_waiting("api", "ImagePullBackOff", BACK_OFF)
    within_deadline(lambda: c.waiting("ImagePullBackOff") == 1.0)
    assert value(c.url, WAITING, namespace=c.namespace, cause="backoff") is None


def series_go_when_a_pod_is_deleted_or_fixed(c: Cluster) -> None:
    c.create_pod("worker")
    denied = UNAUTHORIZED.replace("401 Unauthorized", "403 Forbidden")
    c.set_waiting("worker", "ErrImagePull", denied)
    worker = {"namespace": c.namespace, "pod": "worker", "registry": REGISTRY}
    within_deadline(lambda: value(c.url, INFO, cause="denied", **worker) == 1.0)
    c.api.delete_namespaced_pod("worker", c.namespace)
    within_deadline(lambda: value(c.url, INFO, namespace=c.namespace, pod="worker") is None)
    c.set_waiting("api", None)
    within_deadline(
        lambda: all(
            value(c.url, name, namespace=c.namespace) is None for name in (WAITING, INFO, SINCE)
        )
    )
    assert c.failures() == 1.0  # a counter stays


def test_done_when(e2e: Cluster) -> None:
    a_failing_pod_shows_its_cause_and_its_events_count(e2e)
    an_outage_and_a_relist_count_only_what_changed(e2e)
    a_restarted_exporter_starts_from_a_new_baseline(e2e)
    an_older_kubelets_bare_back_off_keeps_the_cause(e2e)
    series_go_when_a_pod_is_deleted_or_fixed(e2e)


def test_an_invalid_image_is_no_label(e2e: Cluster) -> None:
    e2e.start_exporter()
    image = f"https://deploy:{TOKEN}@registry.gitlab.com/g/p:1"
    e2e.create_pod("bad", image)
    message = f'Failed to apply default image tag "{image}": couldn\'t parse image reference "{image}": invalid reference format'
    e2e.set_waiting("bad", "InvalidImageName", message)
    labels = {"namespace": e2e.namespace, "pod": "bad", "cause": "invalid_name"}
    within_deadline(
        lambda: value(e2e.url, INFO, image="invalid", registry="unknown", **labels) == 1.0
    )
    assert TOKEN not in repr(samples(e2e.url))
    e2e.api.delete_namespaced_pod("bad", e2e.namespace)
