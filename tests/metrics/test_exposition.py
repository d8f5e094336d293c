"""The exposition cache: same bytes as prometheus_client, re-rendered only on change."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter.metrics.catalog import MetricSpec
from exporter.metrics.collector import StateCollector
from exporter.metrics.exposition import Exposition
from exporter.metrics.view import Limits
from exporter.state.cluster import ClusterState


def waiting_pod(name: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "a", "name": name},
        "spec": {"containers": [{"name": "c", "image": "ghcr.io/acme/app:1"}]},
        "status": {
            "containerStatuses": [
                {
                    "name": "c",
                    "state": {"waiting": {"reason": "ErrImagePull", "message": "401 Unauthorized"}},
                }
            ]
        },
    }


def test_render_equals_prometheus_client_in_both_formats() -> None:
    state = ClusterState()
    state.pods.partition().upsert(waiting_pod("p1"))
    exposition = Exposition(state)
    registry = CollectorRegistry()
    registry.register(StateCollector(exposition))
    assert exposition.render() == generate_latest(registry)
    assert exposition.render(openmetrics_format=True) == generate_openmetrics(registry)


def test_families_are_rebuilt_only_when_their_inputs_change() -> None:
    state = ClusterState()
    calls: list[str] = []

    def counting(name: str, depends: tuple[str, ...]) -> MetricSpec:
        def samples(_: object) -> list[tuple[tuple[str, ...], float]]:
            calls.append(name)
            return [((), 1.0)]

        return MetricSpec(f"imagepull_test_{name}", "gauge", "Test.", (), samples, depends)

    exposition = Exposition(state, catalog=(counting("pods", ("pods",)), counting("always", ())))
    first = exposition.render()
    assert exposition.render() == first
    assert calls == ["pods", "always", "always"]
    state.secrets.partition().upsert({"metadata": {"namespace": "a", "name": "s"}})
    exposition.render()
    assert calls.count("pods") == 1
    state.pods.partition().upsert(waiting_pod("p1"))
    exposition.render()
    assert calls.count("pods") == 2


def test_pod_changes_show_in_the_next_render() -> None:
    state = ClusterState()
    sink = state.pods.partition()
    exposition = Exposition(state)
    sink.upsert(waiting_pod("p1"))
    assert b'pod="p1"' in exposition.render()
    sink.delete(waiting_pod("p1"))
    assert b'pod="p1"' not in exposition.render()


def test_capped_series_are_counted_as_dropped() -> None:
    state = ClusterState()
    sink = state.pods.partition()
    for n in range(5):
        sink.upsert(waiting_pod(f"p{n}"))
    exposition = Exposition(state, limits=Limits(max_failing_containers=2))
    text = exposition.render().decode()
    assert text.count("imagepull_container_waiting_info{") == 2
    assert (
        'imagepull_exporter_series_dropped_total{metric="imagepull_container_waiting_info"} 3.0'
        in text
    )
    # aggregates are never capped: every waiting container is counted
    assert 'imagepull_containers_waiting{cause="auth",namespace="a"' in text
    assert "} 5.0" in text


def test_warm_renders_changed_families_before_the_scrape() -> None:
    state = ClusterState()
    exposition = Exposition(state)
    assert exposition.stale()
    exposition.warm()
    assert not exposition.stale()
    state.pods.partition().upsert(waiting_pod("p1"))
    assert exposition.stale()
    exposition.warm()
    assert not exposition.stale()
    assert b'pod="p1"' in exposition.render()
