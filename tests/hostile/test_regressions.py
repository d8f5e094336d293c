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

