"""Canaries through the exporter's code in-process, including the secrets an API server
would refuse (data that is not base64, a dockerconfigjson that is not JSON): the records
kept, ``/metrics``, the ``check`` report and every log record at DEBUG."""

from __future__ import annotations

import dataclasses
import logging
import time

import msgspec
import pytest

from exporter.audit import build_report, render_json, render_text
from exporter.metrics.exposition import Exposition
from exporter.metrics.view import ClusterView
from exporter.state.cluster import ClusterState
from tests.hygiene.canaries import Canaries

RESOURCES = {"Secret": "secrets", "Pod": "pods", "Event": "events",
             "ServiceAccount": "serviceaccounts"}  # fmt: skip


def _fields(record: object) -> str:
    """Every value a record holds, recursively, as text."""
    if isinstance(record, msgspec.Struct):
        return " ".join(_fields(getattr(record, name)) for name in record.__struct_fields__)
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return " ".join(_fields(getattr(record, f.name)) for f in dataclasses.fields(record))
    if isinstance(record, tuple | frozenset | list):
        return " ".join(_fields(item) for item in record)
    return str(record)


def test_records_metrics_report_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    canaries = Canaries()
    state = ClusterState()
    caplog.set_level(logging.DEBUG)
    for obj in canaries.objects(api_valid_only=False):
        if obj.get("type") == "Opaque":  # the metadata-only reflector's store
            state.other_secrets.partition().upsert(obj)
        elif obj["kind"] in RESOURCES:
            state.store_for(RESOURCES[obj["kind"]]).partition().upsert(obj)
    exposition = Exposition(state)
    outputs = [exposition.render().decode(), exposition.render(openmetrics_format=True).decode()]
    report = build_report(ClusterView(state), time.time())
    outputs += [render_text(report), render_json(report)]
    records = [*state.secrets, *state.other_secrets, *state.pods, *state.events,
               *state.serviceaccounts]  # fmt: skip
    outputs += [_fields(record) for record in records] + [repr(r) for r in records]
    outputs += [caplog.text]
    problems = {s.name: {p.value for p in s.problems} for s in state.secrets}
    assert problems["bad-base64"] == {"invalid_base64"}
    assert problems["bad-json"] == {"invalid_json"}
    assert len(state.secrets) == 6
    assert len(state.other_secrets) == 1
    assert canaries.leaks(outputs) == []
