"""Arbitrary cluster objects through reducers, stores and both exposition formats.

Whatever the API sends — wrong JSON types anywhere, control characters, lone surrogates,
10 kB strings — the stores keep bounded records, ``/metrics`` renders, parses back to
exactly the label values it was built from, and the caps hold and are reported.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.credentials.limits import MAX_REGISTRIES
from exporter.metrics.catalog import all_metrics
from exporter.metrics.view import Limits
from exporter.state.reducers import MAX_MESSAGE, MAX_NAME
from tests.hostile.objects import (
    STRATEGIES,
    apply,
    assert_well_formed,
    dropped,
    new_state,
    operations,
    render,
    series_count,
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(ops=operations)
def test_any_sequence_of_objects_renders_and_parses(ops: list[tuple[str, str, Any]]) -> None:
    state = new_state()
    apply(state, ops)
    assert_well_formed(render(state))


@SETTINGS
@given(ops=operations, relisted=st.lists(st.sampled_from(sorted(STRATEGIES)), max_size=2))
def test_records_stay_bounded(ops: list[tuple[str, str, Any]], relisted: list[str]) -> None:
    state = new_state()
    apply(state, ops)
    for resource in relisted:  # a relist that finds nothing empties what it owned
        sink = state.store_for(resource).partition()
        sink.begin_relist(initial=False)
        sink.end_relist()
    for pod in state.pods:
        assert len(pod.name) <= MAX_NAME
        assert len(pod.namespace) <= MAX_NAME
        assert all(len(c.image) <= MAX_MESSAGE and len(c.name) <= MAX_NAME for c in pod.containers)
    for secret in state.secrets:
        assert len(secret.credentials) <= MAX_REGISTRIES
        assert len(secret.type) <= 256
    for event in state.events:
        assert 0 < event.count < 2**53  # exported as a float: must stay exact and finite
        assert len(event.registry) <= 1024
    assert_well_formed(render(state))


@SETTINGS
@given(
    ops=operations,
    max_failing=st.integers(min_value=0, max_value=3),
    max_secret=st.integers(min_value=0, max_value=3),
)
def test_caps_bound_series_and_report_what_was_dropped(
    ops: list[tuple[str, str, Any]], max_failing: int, max_secret: int
) -> None:
    state = new_state()
    apply(state, ops)
    unlimited = render(state).families
    limits = Limits(max_failing_containers=max_failing, max_secret_series=max_secret)
    capped = render(state, limits)
    assert_well_formed(capped)
    reported = dropped(capped.families)
    for spec in all_metrics():
        if spec.cap is None:
            continue
        limit = getattr(limits, spec.cap)
        total = series_count(unlimited, spec.name)
        assert series_count(capped.families, spec.name) == min(total, limit)
        assert reported.get(spec.name, 0) == max(total - limit, 0)
