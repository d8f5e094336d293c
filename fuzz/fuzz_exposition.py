"""Fuzz target: ``/metrics`` of a cluster whose names, images, registry keys and messages
are arbitrary, or whose objects are arbitrary JSON, in both exposition formats.

    python fuzz/fuzz_exposition.py -runs=100000 fuzz/corpus/exposition

Input: one byte choosing which resource an arbitrary JSON object (the last field) goes
to, then fields separated by ``fuzz_input.SEPARATOR``: namespace, pod name, image,
message, secret name, registry key, and that JSON object.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fuzz_input import fields, fuzz, text
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.metrics.catalog import MAX_LABEL_VALUE
from exporter.metrics.exposition import Exposition
from exporter.metrics.view import Limits
from exporter.state.cluster import RESOURCES, ClusterState

NOW = 1_780_000_000.0
LIMITS = Limits(max_failing_containers=1, max_secret_series=2)


def _objects(parts: list[str]) -> dict[str, dict[str, Any]]:
    namespace, pod, image, message, secret, registry = parts
    config = json.dumps({"auths": {registry: {"auth": "dTpw"}, "q.io": {}}})
    waiting = {"waiting": {"reason": "ErrImagePull", "message": message}}
    containers = [{"name": pod, "image": image}, {"name": "c", "image": registry}]
    return {
        "pods": {"metadata": {"namespace": namespace, "name": pod},
                 "spec": {"containers": containers, "imagePullSecrets": [{"name": secret}]},
                 "status": {"containerStatuses": [{"name": c["name"], "state": waiting}
                                                  for c in containers]}},
        "secrets": {"metadata": {"namespace": namespace, "name": secret},
                    "type": "kubernetes.io/dockerconfigjson",
                    "data": {".dockerconfigjson": base64.b64encode(
                        config.encode("utf-8", "surrogatepass")).decode()}},
        "events": {"metadata": {"namespace": namespace, "uid": pod}, "reason": "Failed",
                   "involvedObject": {"kind": "Pod", "name": pod}, "count": 2,
                   "message": f'Failed to pull image "{image}": {message}'},
        "serviceaccounts": {"metadata": {"namespace": namespace, "name": "default"},
                            "imagePullSecrets": [{"name": secret}, {"name": pod}]},
    }  # fmt: skip


def _labels(families: Any) -> list[str]:
    return sorted(v for f in families for s in f.samples for v in s.labels.values())


def TestOneInput(data: bytes) -> None:
    selector = data[0] if data else 0
    *parts, raw_object = fields(data[1:], 7)
    state = ClusterState(clock=lambda: NOW)
    for resource, obj in _objects([text(p) for p in parts]).items():
        state.store_for(resource).partition().upsert(obj)
    try:
        arbitrary: object = json.loads(raw_object)
    except (ValueError, RecursionError):
        arbitrary = None
    if isinstance(arbitrary, dict):
        state.store_for(RESOURCES[selector % len(RESOURCES)]).partition().upsert(arbitrary)

    exposition = Exposition(state, limits=LIMITS)
    text_format = exposition.render().decode("utf-8")
    openmetrics = exposition.render(openmetrics_format=True).decode("utf-8")
    built = _labels(exposition.families())
    assert all(len(value) <= MAX_LABEL_VALUE for value in built)
    assert _labels(parse_text(text_format)) == built
    assert _labels(parse_openmetrics(openmetrics)) == built  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    fuzz(TestOneInput)
