"""Hostile input that once broke every scrape; each test failed before its fix."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from exporter.metrics.exposition import Exposition
from exporter.state.cluster import ClusterState

PULL_FAILED = 'Failed to pull image "ghcr.io/acme/api:v1": rpc error: 401 Unauthorized'


def test_an_event_count_beyond_a_float_does_not_break_every_later_scrape() -> None:
    # Event.count is an int32, but json.loads accepts 4300 digits and float() does not;
    # the failure counter only grows, so deleting the event would not have helped.
    state = ClusterState(clock=lambda: 0.0)
    sink = state.events.partition()
    event = {"metadata": {"uid": "u1", "namespace": "ns"}, "reason": "Failed",
             "involvedObject": {"kind": "Pod", "name": "p"}, "message": PULL_FAILED,
             "count": 10**400}  # fmt: skip
    sink.upsert(event)
    sink.delete(event)
    text = Exposition(state).render().decode()
    totals = [
        s.value
        for f in text_string_to_metric_families(text)
        if f.name == "imagepull_failures"
        for s in f.samples
    ]
    assert totals == [2**31 - 1]


def test_lone_surrogates_in_label_values_become_replacement_characters() -> None:
    # JSON allows "\ud800", UTF-8 does not: one such pod name made /metrics a 500.
    state = ClusterState(clock=lambda: 0.0)
    waiting = {"waiting": {"reason": "ErrImagePull", "message": PULL_FAILED}}
    state.pods.partition().upsert(
        {"metadata": {"namespace": "ns", "name": "p\ud800"},
         "spec": {"containers": [{"name": "c\udfff", "image": "ghcr.io/acme/api:v1"}]},
         "status": {"containerStatuses": [{"name": "c\udfff", "state": waiting}]}}
    )  # fmt: skip
    text = Exposition(state).render().decode()
    info = next(
        f
        for f in text_string_to_metric_families(text)
        if f.name == "imagepull_container_waiting_info"
    )
    assert [(s.labels["pod"], s.labels["container"]) for s in info.samples] == [
        ("p\ufffd", "c\ufffd")
    ]
