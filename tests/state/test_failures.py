"""imagepull_failures_total semantics: Event count growth per UID, immune to relists."""

from __future__ import annotations

from typing import Any

from exporter.state.cluster import ClusterState
from exporter.state.failures import FailureCounter

MESSAGE = (
    'Failed to pull image "nginx:1.27": toomanyrequests: You have reached your pull rate limit'
)
KEY = ("web", "docker.io", "Failed", "rate_limit")


def event(uid: str, count: int) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "web", "name": f"ev-{uid}", "uid": uid},
        "involvedObject": {"kind": "Pod", "namespace": "web", "name": "nginx-1"},
        "reason": "Failed",
        "message": MESSAGE,
        "count": count,
    }


def test_initial_list_is_the_baseline_then_growth_counts() -> None:
    state = ClusterState()
    sink = state.events.partition()
    sink.begin_relist(initial=True)
    sink.upsert(event("a", 40))
    sink.end_relist()
    assert state.failures.totals[KEY] == 0
    sink.upsert(event("a", 43))  # watch: grew by 3
    sink.upsert(event("b", 2))  # watch: new event counts in full
    assert state.failures.totals[KEY] == 5


def test_relist_counts_new_events_in_full_and_known_ones_by_growth() -> None:
    state = ClusterState()
    sink = state.events.partition()
    sink.begin_relist(initial=True)
    sink.upsert(event("a", 1))
    sink.end_relist()
    for _ in range(3):  # repeated relists of the same data add nothing
        sink.begin_relist(initial=False)
        sink.upsert(event("a", 1))
        sink.end_relist()
    assert state.failures.totals[KEY] == 0
    sink.begin_relist(initial=False)
    sink.upsert(event("a", 4))
    sink.upsert(event("c", 6))
    sink.end_relist()
    assert state.failures.totals[KEY] == 9


def test_deleted_and_reset_events_never_decrease_the_counter() -> None:
    state = ClusterState()
    sink = state.events.partition()
    sink.upsert(event("a", 5))
    sink.upsert(event("a", 2))
    sink.delete(event("a", 2))
    assert state.failures.totals[KEY] == 5


def test_registries_from_event_text_are_bounded_per_namespace() -> None:
    state = ClusterState(failures=FailureCounter(max_registries_per_namespace=2))
    sink = state.events.partition()
    for n in range(4):
        raw = event(f"r{n}", 3)
        raw["message"] = f'Failed to pull image "registry-{n}.example/app:1": 401 Unauthorized'
        sink.upsert(raw)
    registries = sorted({key[1] for key in state.failures.totals})
    assert registries == ["other", "registry-0.example", "registry-1.example"]
    assert state.failures.totals[("web", "other", "Failed", "auth")] == 6
    assert state.failures.folded == 6
