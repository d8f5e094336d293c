"""Schema decoding keeps exactly what the reducers read, and never loses a malformed object.

The decisive property: for any object, realistic or hostile, the record a reducer makes from
the schema-decoded dict equals the one it makes from ``json.loads`` of the same bytes. A
field a reducer reads but the schema in ``exporter/kube/types.py`` lacks fails it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from bench.cluster import generate
from exporter.kube.decoding import Malformed, decoder_for
from exporter.simulator.scenarios import load_scenario_objects
from exporter.state import reducers
from tests.hostile.objects import STRATEGIES

NOW = 1_780_000_000.0
REDUCERS: dict[str, Callable[[dict[str, Any], None], object]] = {
    "pods": reducers.make_pod_reducer(lambda: NOW),
    "secrets": reducers.make_secret_reducer(lambda: NOW),
    "events": reducers.reduce_event,
    "serviceaccounts": reducers.reduce_service_account,
}
PLURAL = {
    "Pod": "pods",
    "Secret": "secrets",
    "Event": "events",
    "ServiceAccount": "serviceaccounts",
}


def _same_record(resource: str, body: bytes) -> None:
    reduce = REDUCERS[resource]
    assert reduce(decoder_for(resource).object(body), None) == reduce(json.loads(body), None)


def _realistic() -> Iterator[tuple[str, dict[str, Any]]]:
    for obj in [*load_scenario_objects("demo"), *generate(60, 12, 0.3, seed=7)]:
        if (resource := PLURAL.get(str(obj.get("kind")))) is not None:
            yield resource, obj


@pytest.mark.parametrize(("resource", "obj"), list(_realistic()))
def test_realistic_objects_reduce_the_same(resource: str, obj: dict[str, Any]) -> None:
    _same_record(resource, json.dumps(obj).encode())


@pytest.mark.parametrize("resource", sorted(STRATEGIES))
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=STRATEGIES["pods"] | STRATEGIES["secrets"] | STRATEGIES["events"])
def test_hostile_objects_reduce_the_same(resource: str, data: dict[str, Any]) -> None:
    # Any shape through any resource's decoder: wrong types, lone surrogates, NaN, 10**400.
    _same_record(resource, json.dumps(data).encode())


def test_undeclared_fields_are_skipped() -> None:
    body = json.dumps(
        {
            "metadata": {"name": "p", "namespace": "ns", "labels": {"a": "b"},
                         "managedFields": [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}]},
            "spec": {"containers": [{"name": "c", "image": "nginx", "env": [{"name": "X"}]}],
                     "nodeName": "n1", "volumes": [{"name": "v"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "c", "imageID": "x", "state": {"running": {"startedAt": "t"}}}]},
        }
    ).encode()  # fmt: skip
    assert decoder_for("pods").object(body) == {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        "status": {"containerStatuses": [{"name": "c", "state": {}}]},
    }


def test_secret_keeps_data_annotations_and_managed_fields() -> None:
    obj = {
        "metadata": {"name": "s", "annotations": {"imagepull-exporter/expires-at": "x"},
                     "managedFields": [{"manager": "kubectl", "time": "t",
                                        "fieldsV1": {"f:data": {".": {}}}}]},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": "e30="},
    }  # fmt: skip
    assert decoder_for("secrets").object(json.dumps(obj).encode()) == obj


def test_metadata_only_secrets_keep_names_only() -> None:
    body = b'{"kind":"PartialObjectMetadata","metadata":{"name":"s","namespace":"n",'
    body += b'"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}}'
    assert decoder_for("secrets", metadata_only=True).object(body) == {
        "metadata": {"name": "s", "namespace": "n"}
    }


def test_page_keeps_continue_and_resource_version() -> None:
    body = b'{"kind":"PodList","metadata":{"resourceVersion":"42","continue":"t",'
    body += b'"remainingItemCount":3},"items":[]}'
    page = decoder_for("pods").page(body)
    assert page == {"metadata": {"resourceVersion": "42", "continue": "t",
                                 "remainingItemCount": 3}, "items": []}  # fmt: skip


def test_unknown_resources_keep_every_field() -> None:
    body = b'{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"anything":[1]}}'
    assert decoder_for("configmaps").object(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"items":[{"metadata":{"name":"' + b"\xff" + b'"}}]}',  # invalid UTF-8, read
        b'{"items":[' + b"[" * 100_000 + b"]" * 100_000 + b"]}",  # nesting past any limit
        b'{"metadata":{"name":"a"}} trailing',
        b"[1, 2]",
        b"",
    ],
    ids=["invalid-utf8", "deep-nesting", "trailing", "not-an-object", "empty"],
)
def test_malformed_bodies_raise_malformed(body: bytes) -> None:
    with pytest.raises(Malformed):
        decoder_for("pods").page(body)


def test_lone_surrogates_are_decoded_like_json_loads() -> None:
    body = b'{"metadata":{"name":"a\\ud800b"}}'
    assert decoder_for("pods").object(body) == {"metadata": {"name": "a\ud800b"}}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"type":"ADDED","object":{"metadata":{"name":"a","labels":{"x":"y"}}}}',
         ("ADDED", {"metadata": {"name": "a"}})),
        (b'{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"9"}}}',
         ("BOOKMARK", {"metadata": {"resourceVersion": "9"}})),
        (b'{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired",'
         b'"message":"too old resource version"}}',
         ("ERROR", {"kind": "Status", "code": 410, "reason": "Expired",
                    "message": "too old resource version"})),
        (b'{"type":"MODIFIED","object":{"metadata":{"name":5}}}',
         ("MODIFIED", {"metadata": {"name": 5}})),
        (b'{"type":7,"object":{"metadata":{"name":"a"}}}', ("7", {"metadata": {"name": "a"}})),
    ],
    ids=["added", "bookmark", "error-status", "wrong-type", "odd-type"],
)  # fmt: skip
def test_watch_lines(line: bytes, expected: tuple[str, dict[str, Any]]) -> None:
    assert decoder_for("pods").event(line) == expected


@pytest.mark.parametrize(
    "line",
    [b'{"type":"ADDED"}', b'{"type":"ADDED","object":[1]}', b"not json", b'"x"'],
    ids=["no-object", "object-not-a-dict", "not-json", "not-an-object"],
)
def test_malformed_watch_lines(line: bytes) -> None:
    with pytest.raises(Malformed):
        decoder_for("events").event(line)
