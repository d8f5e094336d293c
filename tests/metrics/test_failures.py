"""Pull-failure series: bounded labels, a cause that survives kubelet's back-off, and
series dropped by the cap counted once each."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.metrics.exposition import Exposition
from exporter.metrics.failures import INVALID_IMAGE, image_label
from exporter.metrics.view import Limits
from exporter.state.cluster import ClusterState

TOKEN = "glpat-canary-9f8e7d6c5b4a"
DIGESTED = "registry.local:5000/app@sha256:" + "a" * 64
DROPPED_TOTAL = "imagepull_exporter_series_dropped_total"
DROPPED = DROPPED_TOTAL + '{metric="imagepull_container_waiting_info"}'


def waiting_pod(
    name: str, image: str, reason: str = "ErrImagePull", message: str = "401 Unauthorized"
) -> dict[str, Any]:
    state = {"waiting": {"reason": reason, "message": message}} if reason else {"running": {}}
    return {
        "metadata": {"namespace": "shop", "name": name},
        "spec": {"containers": [{"name": "c", "image": image}]},
        "status": {"containerStatuses": [{"name": "c", "state": state}]},
    }


def samples(exposition: Exposition, metric: str) -> list[str]:
    text = exposition.render().decode()
    return [line for line in text.splitlines() if line.startswith(metric + "{")]


def dropped(exposition: Exposition) -> float:
    """The series-dropped counter of imagepull_container_waiting_info."""
    [line] = [line for line in samples(exposition, DROPPED_TOTAL) if line.startswith(DROPPED)]
    return float(line.rsplit(" ", 1)[1])


@pytest.mark.parametrize(
    ("image", "label"),
    [
        ("ghcr.io/acme/api:2", "ghcr.io/acme/api:2"),
        ("nginx", "nginx"),
        (DIGESTED, DIGESTED),
        (f"https://deploy:{TOKEN}@registry.gitlab.com/g/p:1", INVALID_IMAGE),
        (f"deploy:{TOKEN}@registry.gitlab.com/g/p:1", INVALID_IMAGE),
        ("nginx --password hunter2", INVALID_IMAGE),
        ("Nginx:1.27", INVALID_IMAGE),
        ("", INVALID_IMAGE),
    ],
)
def test_only_a_valid_reference_is_an_image_label(image: str, label: str) -> None:
    assert image_label(image) == label


def test_an_invalid_image_never_reaches_the_exposition() -> None:
    state = ClusterState()
    image = f"https://deploy:{TOKEN}@registry.gitlab.com/g/p:1"
    state.pods.partition().upsert(waiting_pod("bad", image, "InvalidImageName", ""))
    exposition = Exposition(state)
    [info] = samples(exposition, "imagepull_container_waiting_info")
    assert 'image="invalid"' in info
    assert 'registry="unknown"' in info
    assert 'cause="invalid_name"' in info
    assert TOKEN not in exposition.render().decode()
    assert TOKEN not in exposition.render(openmetrics_format=True).decode()


def test_a_bare_back_off_keeps_the_cause_of_the_error_it_backs_off_from() -> None:
    # Kubelets before the inner-error form alternate ErrImagePull (with the error) and
    # ImagePullBackOff (a bare 'Back-off pulling image "x"').
    state = ClusterState()
    pods = state.pods.partition()
    exposition = Exposition(state)
    image = "ghcr.io/acme/api:2"
    back_off = ("ImagePullBackOff", f'Back-off pulling image "{image}"')
    pods.upsert(waiting_pod("api", image, *back_off))
    [first] = samples(exposition, "imagepull_containers_waiting")
    assert 'cause="backoff"' in first  # nothing known yet: the back-off is all there is
    pods.upsert(waiting_pod("api", image))
    pods.upsert(waiting_pod("api", image, *back_off))
    [waiting] = samples(exposition, "imagepull_containers_waiting")
    assert 'cause="auth",namespace="shop",reason="ImagePullBackOff"' in waiting
    [info] = samples(exposition, "imagepull_container_waiting_info")
    assert 'cause="auth"' in info
    # a new image is a new outage; so is a container that ran in between
    pods.upsert(waiting_pod("api", "ghcr.io/acme/api:3", *back_off))
    assert 'cause="backoff"' in samples(exposition, "imagepull_containers_waiting")[0]
    pods.upsert(waiting_pod("api", image))
    pods.upsert(waiting_pod("api", image, reason=""))
    pods.upsert(waiting_pod("api", image, *back_off))
    assert 'cause="backoff"' in samples(exposition, "imagepull_containers_waiting")[0]


def test_a_series_left_out_by_the_cap_is_counted_once() -> None:
    state = ClusterState()
    pods = state.pods.partition()
    for n in range(4):
        pods.upsert(waiting_pod(f"p{n}", "ghcr.io/acme/app:1"))
    exposition = Exposition(state, limits=Limits(max_failing_containers=2))
    assert dropped(exposition) == 2
    # unrelated pod changes render the family again: the same two series stay out
    for _ in range(3):
        pods.upsert(waiting_pod("zz-healthy", "nginx", reason=""))
        pods.upsert(waiting_pod("zz-healthy", "nginx:1", reason=""))
        assert dropped(exposition) == 2
    pods.upsert(waiting_pod("p9", "ghcr.io/acme/app:1"))  # one more is left out
    assert dropped(exposition) == 3
    for n in range(4):
        pods.delete(waiting_pod(f"p{n}", "ghcr.io/acme/app:1"))
    assert len(samples(exposition, "imagepull_container_waiting_info")) == 1
    assert dropped(exposition) == 3  # a counter


def test_a_series_back_under_the_cap_and_out_again_counts_again() -> None:
    state = ClusterState()
    pods = state.pods.partition()
    for n in range(3):
        pods.upsert(waiting_pod(f"p{n}", "ghcr.io/acme/app:1"))
    exposition = Exposition(state, limits=Limits(max_failing_containers=2))
    assert dropped(exposition) == 1  # p2 is out
    pods.delete(waiting_pod("p0", "ghcr.io/acme/app:1"))
    assert dropped(exposition) == 1  # p2 is shown
    pods.upsert(waiting_pod("p0", "ghcr.io/acme/app:1"))
    assert dropped(exposition) == 2  # p2 out again


def _pull_secret(name: str, registry: str) -> dict[str, Any]:
    config = json.dumps({"auths": {registry: {"auth": base64.b64encode(b"u:p").decode()}}})
    return {
        "metadata": {"namespace": "shop", "name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(config.encode()).decode()},
    }


@pytest.mark.parametrize(
    ("pod_secrets", "account_secrets", "covered"),
    [
        (["ghcr"], [], "true"),  # the pod's own secret has a ghcr.io key
        ([], ["ghcr"], "true"),  # through its service account
        (["quay"], [], "false"),  # a secret, but for another registry: the key typo case
        (["missing"], [], "false"),  # the only secret it names does not exist
        ([], [], "none"),  # no pull secret at all: a public image needs none
    ],
    ids=["own-secret", "service-account", "other-registry", "missing-secret", "no-secret"],
)
def test_waiting_info_says_whether_the_pods_secrets_cover_the_registry(
    pod_secrets: list[str], account_secrets: list[str], covered: str
) -> None:
    state = ClusterState()
    state.secrets.partition().upsert(_pull_secret("ghcr", "https://ghcr.io"))
    state.secrets.partition().upsert(_pull_secret("quay", "quay.io"))
    state.serviceaccounts.partition().upsert(
        {"metadata": {"namespace": "shop", "name": "default"},
         "imagePullSecrets": [{"name": s} for s in account_secrets]}
    )  # fmt: skip
    pod = waiting_pod("api", "ghcr.io/acme/api:2")
    pod["spec"]["imagePullSecrets"] = [{"name": s} for s in pod_secrets]
    state.pods.partition().upsert(pod)
    [info] = samples(Exposition(state), "imagepull_container_waiting_info")
    assert f'covered="{covered}"' in info


def test_coverage_follows_the_secrets() -> None:
    state = ClusterState()
    secrets = state.secrets.partition()
    pod = waiting_pod("api", "ghcr.io/acme/api:2")
    pod["spec"]["imagePullSecrets"] = [{"name": "regcred"}]
    state.pods.partition().upsert(pod)
    exposition = Exposition(state)
    assert 'covered="false"' in samples(exposition, "imagepull_container_waiting_info")[0]
    secrets.upsert(_pull_secret("regcred", "ghcr.io"))  # the fix: a key for ghcr.io
    assert 'covered="true"' in samples(exposition, "imagepull_container_waiting_info")[0]


@pytest.mark.parametrize("cap", [1, 2])
def test_a_carriage_return_in_a_label_does_not_break_the_cap(cap: int) -> None:
    """Label values escape newlines, not carriage returns: the cap cuts at newlines only."""
    state = ClusterState()
    pods = state.pods.partition()
    for name in ("p1\rx", "p2", "p3"):
        pods.upsert(waiting_pod(name, "ghcr.io/acme/app:1"))
    exposition = Exposition(state, limits=Limits(max_failing_containers=cap))
    text = exposition.render().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    kept = [s.labels["pod"] for s in families["imagepull_container_waiting_info"].samples]
    assert kept == ["p1\rx", "p2"][:cap]
    assert dropped(exposition) == 3 - cap
