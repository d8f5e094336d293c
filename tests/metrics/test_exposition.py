"""The exposition cache: same bytes as prometheus_client, re-rendered only on change."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter.metrics.catalog import MetricSpec
from exporter.metrics.collector import StateCollector
from exporter.metrics.exposition import Exposition
from exporter.metrics.view import ClusterView, Limits
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


NAMESPACES = ("payments", "web", "batch")
SECRET = ".dockerconfigjson"


def _pull_secret(namespace: str, name: str, registry: str) -> dict[str, Any]:
    config = json.dumps({"auths": {registry: {"auth": base64.b64encode(b"u:p").decode()}}})
    return {
        "metadata": {"namespace": namespace, "name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {SECRET: base64.b64encode(config.encode()).decode()},
    }


def _pod(namespace: str, name: str, image: str, secrets: list[str], waiting: str) -> dict[str, Any]:
    state = {"waiting": {"reason": "ErrImagePull", "message": waiting}} if waiting else {}
    return {
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"serviceAccountName": "app", "containers": [{"name": "c", "image": image}],
                 "imagePullSecrets": [{"name": s} for s in secrets]},
        "status": {"containerStatuses": [{"name": "c", "state": state}]},
    }  # fmt: skip


names = st.sampled_from(["a", "b", "c"])
changes = st.one_of(
    st.builds(lambda ns, n, img, s, w: ("pods", "upsert", _pod(ns, n, img, s, w)),
              st.sampled_from(NAMESPACES), names,
              st.sampled_from(["ghcr.io/acme/app:1", "nginx", "quay.io/x/y:2"]),
              st.lists(names, max_size=2),
              st.sampled_from(["", "401 Unauthorized", "manifest unknown"])),
    st.builds(lambda ns, n, r: ("secrets", "upsert", _pull_secret(ns, n, r)),
              st.sampled_from(NAMESPACES), names, st.sampled_from(["ghcr.io", "quay.io"])),
    st.builds(lambda ns, s: ("serviceaccounts", "upsert", {"metadata": {"namespace": ns,
              "name": "app"}, "imagePullSecrets": [{"name": n} for n in s]}),
              st.sampled_from(NAMESPACES), st.lists(names, max_size=2)),
    st.builds(lambda r, ns, n: (r, "delete", {"metadata": {"namespace": ns, "name": n}}),
              st.sampled_from(["pods", "secrets", "serviceaccounts"]),
              st.sampled_from(NAMESPACES), st.sampled_from(["a", "b", "c", "app"])),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.lists(changes, min_size=1, max_size=4), min_size=1, max_size=6))
def test_incremental_render_equals_a_render_from_scratch(
    steps: list[list[tuple[str, str, dict[str, Any]]]],
) -> None:
    # One exposition follows the changes step by step, reusing what did not change; a new
    # one renders the same state from nothing. Both formats must agree byte for byte.
    state = ClusterState(clock=lambda: 1_780_000_000.0)
    sinks = {r: state.store_for(r).partition() for r in ("pods", "secrets", "serviceaccounts")}
    following = Exposition(state, limits=Limits(max_failing_containers=3, max_secret_series=4))
    for step in steps:
        for resource, op, obj in step:
            getattr(sinks[resource], op)(obj)
        fresh = Exposition(state, limits=Limits(max_failing_containers=3, max_secret_series=4))
        for om in (False, True):
            followed = _without_dropped(following.render(openmetrics_format=om))
            assert followed == _without_dropped(fresh.render(openmetrics_format=om))


def _without_dropped(text: bytes) -> bytes:
    # The dropped-series counter counts history (a series dropped once, then back, then
    # dropped again counts twice): a fresh exposition cannot know it.
    return b"\n".join(
        line for line in text.split(b"\n") if b"imagepull_exporter_series_dropped" not in line
    )


def test_a_change_in_one_namespace_recomputes_only_that_namespace() -> None:
    state = ClusterState()
    sink = state.pods.partition()
    for namespace in NAMESPACES:
        sink.upsert(_pod(namespace, "p", "ghcr.io/acme/app:1", ["a"], "401 Unauthorized"))
    scoped: list[str | None] = []
    original = ClusterView.scoped

    def recording(self: ClusterView, namespace: str) -> ClusterView:
        scoped.append(namespace)
        return original(self, namespace)

    exposition = Exposition(state)
    ClusterView.scoped = recording  # type: ignore[method-assign]
    try:
        exposition.render()
        assert set(scoped) == set(NAMESPACES)
        scoped.clear()
        sink.upsert(_pod("web", "p", "ghcr.io/acme/app:2", ["a"], "401 Unauthorized"))
        text = exposition.render()
    finally:
        ClusterView.scoped = original  # type: ignore[method-assign]
    assert set(scoped) == {"web"}
    assert b'image="ghcr.io/acme/app:2"' in text
    assert text == Exposition(state).render()


@settings(max_examples=100, deadline=None)
@given(
    before=st.lists(changes, min_size=1, max_size=8),
    during=st.lists(changes, min_size=1, max_size=4),
    after_steps=st.integers(min_value=0, max_value=3),
)
def test_changes_during_a_sliced_warm_are_not_lost(
    before: list[tuple[str, str, dict[str, Any]]],
    during: list[tuple[str, str, dict[str, Any]]],
    after_steps: int,
) -> None:
    state = ClusterState(clock=lambda: 1_780_000_000.0)
    sinks = {r: state.store_for(r).partition() for r in ("pods", "secrets", "serviceaccounts")}
    for resource, op, obj in before:
        getattr(sinks[resource], op)(obj)
    exposition = Exposition(state)
    steps = exposition.warm_steps()
    for _ in range(after_steps):
        next(steps, None)
    for resource, op, obj in during:  # watch events applied between two steps
        getattr(sinks[resource], op)(obj)
    for _ in steps:
        pass
    assert exposition.render() == Exposition(state).render()


def test_a_secret_made_elsewhere_during_a_sliced_warm_is_seen() -> None:
    # The root view caches which namespaces hold each secret name: a warm that outlives a
    # change to those names must not use it for the namespaces it renders afterwards.
    state = ClusterState()
    pods, secrets = state.pods.partition(), state.secrets.partition()
    for namespace in NAMESPACES:
        pods.upsert(_pod(namespace, "p", "ghcr.io/acme/app:1", ["a"], ""))
    exposition = Exposition(state)
    steps = exposition.warm_steps()
    next(steps)  # "batch" rendered: "a" exists nowhere
    secrets.upsert(_pull_secret("batch", "a", "ghcr.io"))
    for _ in steps:
        pass
    text = exposition.render().decode()
    assert (
        'imagepull_secret_missing{found_in_other_namespace="true",namespace="web",secret="a"}'
        in text
    )
    assert text == Exposition(state).render().decode()
