"""Reducers: API objects (decoded as the reflector decodes them) to compact records,
robust to malformed input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.kube.decoding import decoder_for
from exporter.kube.types import Event, Pod, Secret, ServiceAccount
from exporter.state.reducers import (
    UNKNOWN_REGISTRY,
    _running_cached,
    make_pod_reducer,
    make_secret_reducer,
    reduce_event,
    reduce_service_account,
)


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def decoded(resource: str, raw: object) -> Any:
    """``raw`` as the reflector hands it over: its JSON through the resource's decoder."""
    return decoder_for(resource).object(json.dumps(raw).encode())


def raw_pod(waiting: str | None, message: str = "") -> dict[str, Any]:
    state: dict[str, Any] = (
        {"waiting": {"reason": waiting, "message": message}} if waiting else {"running": {}}
    )
    return {
        "metadata": {"namespace": "payments", "name": "api-1", "uid": "u1"},
        "spec": {
            "serviceAccountName": "api",
            "imagePullSecrets": [{"name": "ghcr"}, {"bogus": 1}, "junk"],
            "initContainers": [{"name": "migrate", "image": "ghcr.io/acme/migrate:1"}],
            "containers": [{"name": "api", "image": "ghcr.io/acme/api:2"}],
        },
        "status": {
            "initContainerStatuses": [{"name": "migrate", "state": {"terminated": {}}}],
            "containerStatuses": [{"name": "api", "state": state}],
        },
    }


def pod(waiting: str | None, message: str = "") -> Pod:
    decoded_pod: Pod = decoded("pods", raw_pod(waiting, message))
    return decoded_pod


def test_pod_record_keeps_waiting_since_across_reason_flips() -> None:
    clock = FakeClock()
    reduce = make_pod_reducer(clock)
    first = reduce(pod("ErrImagePull", "401 Unauthorized"), None)
    assert first.image_pull_secrets == ("ghcr",)
    assert first.service_account == "api"
    assert [(c.kind, c.name) for c in first.containers] == [
        ("init", "migrate"),
        ("regular", "api"),
    ]
    api = first.containers[1]
    assert (api.waiting_reason, api.waiting_since) == ("ErrImagePull", 1_000.0)
    assert (api.registry, api.pull_cause) == ("ghcr.io", "auth")
    assert first.containers[0].pull_cause is None
    clock.now = 1_030.0
    second = reduce(pod("ImagePullBackOff"), first)
    assert second.containers[1].waiting_since == 1_000.0
    third = reduce(pod(None), second)
    assert third.containers[1].waiting_reason is None
    assert third.containers[1].waiting_since is None
    clock.now = 1_100.0
    assert reduce(pod("ErrImagePull"), third).containers[1].waiting_since == 1_100.0


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"metadata": "x", "spec": [], "status": 3},
        {"metadata": {"name": 5}, "spec": {"containers": [None, 1, {"name": None}]}},
        {"spec": {"containers": [{"name": "a"}]}, "status": {"containerStatuses": [{"state": 1}]}},
    ],
)
def test_pod_reducer_survives_malformed_objects(raw: dict[str, Any]) -> None:
    record = make_pod_reducer()(decoded("pods", raw), None)
    assert record.service_account == "default"
    assert all(c.registry == UNKNOWN_REGISTRY for c in record.containers)


def test_first_sight_of_a_waiting_container_uses_the_pod_condition() -> None:
    raw = raw_pod("ImagePullBackOff")
    raw["status"]["conditions"] = [
        {
            "type": "ContainersReady",
            "status": "False",
            "lastTransitionTime": "2026-11-25T08:00:00Z",
        },
        {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-11-25T07:00:00Z"},
    ]
    record = make_pod_reducer(FakeClock(1_900_000_000.0))(decoded("pods", raw), None)
    assert record.containers[1].waiting_since == 1_795_593_600.0


def test_service_account_pull_secrets() -> None:
    raw = {"metadata": {"namespace": "a", "name": "default"}, "imagePullSecrets": [{"name": "r"}]}
    account: ServiceAccount = decoded("serviceaccounts", raw)
    record = reduce_service_account(account, None)
    assert record.image_pull_secrets == ("r",)


def secret(data: dict[str, str], managed_time: str | None = None) -> Secret:
    meta: dict[str, Any] = {
        "namespace": "a",
        "name": "pull",
        "uid": "s1",
        "creationTimestamp": "2026-11-01T00:00:00Z",
    }
    if managed_time:
        meta["managedFields"] = [
            {"manager": "kubectl", "time": "2026-11-01T00:00:00Z", "fieldsV1": {"f:type": {}}},
            {"manager": "rotator", "time": managed_time, "fieldsV1": {"f:data": {}}},
        ]
    raw = {"metadata": meta, "type": "kubernetes.io/dockerconfigjson", "data": data}
    decoded_secret: Secret = decoded("secrets", raw)
    return decoded_secret


def test_secret_rotation_time_from_managed_fields_then_observed_change() -> None:
    clock = FakeClock(1_800_000_000.0)
    reduce = make_secret_reducer(clock)
    created = reduce(secret({".dockerconfigjson": "e30="}), None)
    assert created.last_rotated == created.created == 1_793_491_200.0
    written = reduce(secret({".dockerconfigjson": "e30="}, "2026-11-20T00:00:00Z"), None)
    assert written.last_rotated == 1_795_132_800.0
    same = reduce(secret({".dockerconfigjson": "e30="}), created)
    assert same.last_rotated == created.last_rotated
    changed = reduce(secret({".dockerconfigjson": "e30K"}), created)
    assert changed.last_rotated == 1_800_000_000.0


def test_secret_record_holds_no_data() -> None:
    canary = "Y2FuYXJ5LXBhc3N3b3JkLTQyNDI="
    record = make_secret_reducer()(secret({".dockerconfigjson": canary}), None)
    assert canary not in repr(record)


GHCR_401 = (
    'Failed to pull image "ghcr.io/acme/api:2": failed to pull and unpack image '
    '"ghcr.io/acme/api:2": failed to resolve reference "ghcr.io/acme/api:2": failed to '
    "authorize: failed to fetch oauth token: unexpected status from GET request to "
    "https://ghcr.io/token?scope=repository%3Aacme%2Fapi%3Apull&service=ghcr.io: 401 Unauthorized"
)


def event(reason: str, message: str = GHCR_401, kind: str = "Pod", **extra: Any) -> Event:
    raw = {
        "metadata": {"namespace": "a", "name": "e", "uid": "e1"},
        "involvedObject": {"kind": kind, "name": "api-1", "namespace": "a"},
        "reason": reason,
        "message": message,
        **extra,
    }
    decoded_event: Event = decoded("events", raw)
    return decoded_event


def test_events_keep_only_pod_pull_failures_with_cause_and_count() -> None:
    assert reduce_event(event("Scheduled", "Successfully assigned a/api-1"), None) is None
    assert reduce_event(event("Failed", kind="Node"), None) is None
    assert reduce_event(event("Failed", "Error: ErrImagePull"), None) is None
    assert reduce_event(event("BackOff", "Back-off restarting failed container"), None) is None
    record = reduce_event(event("Failed", count=7), None)
    assert record is not None
    assert (record.pod, record.count, record.cause, record.registry) == (
        "api-1",
        7,
        "auth",
        "ghcr.io",
    )
    backoff = 'Back-off pulling image "ghcr.io/acme/api:2"'
    series = reduce_event(event("BackOff", backoff, count=1, series={"count": 12}), None)
    assert series is not None
    assert (series.count, series.cause) == (12, "backoff")
    bogus = reduce_event(event("Failed", count="many"), None)
    assert bogus is not None
    assert bogus.count == 1
    assert "Unauthorized" not in repr(bogus)


def test_huge_images_of_running_containers_are_not_cached() -> None:
    """The shared records of running containers are cached; a hostile image of 4 KiB must
    not be kept there after its pod is gone (65,536 of them: 270 MB)."""
    reduce = make_pod_reducer()
    huge = "registry.example.com/" + "a" * 4000
    before = _running_cached.cache_info().currsize
    for n in range(50):
        raw = {
            "metadata": {"namespace": "a", "name": f"p{n}"},
            "spec": {"containers": [{"name": "c", "image": f"{huge}{n}"}]},
        }
        record = reduce(decoded("pods", raw), None)
        assert record.containers[0].image == f"{huge}{n}"
    assert _running_cached.cache_info().currsize == before
    small = {"metadata": {"namespace": "a", "name": "q"},
             "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}  # fmt: skip
    reduce(decoded("pods", small), None)
    assert _running_cached.cache_info().currsize <= before + 1
