"""Schema decoding keeps exactly what the reducers read, and never loses a malformed object.

The decisive property: for any object, realistic or hostile, the record a reducer makes from
the fast path (msgspec's typed decode) equals the one it makes from the slow path
(``json.loads``, then the lenient conversion that malformed objects take).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from bench.cluster import generate
from exporter.kube import decoding
from exporter.kube.decoding import Malformed, decoder_for
from exporter.kube.types import ContainerSpec, ListMeta
from exporter.simulator.scenarios import load_scenario_objects
from exporter.state import reducers
from tests.hostile.objects import STRATEGIES

NOW = 1_780_000_000.0
REDUCERS: dict[str, Callable[[Any, None], object]] = {
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


def _plain(obj: object) -> Any:
    """A decoded object as JSON would show it, defaults left out."""
    return json.loads(msgspec.json.encode(obj))


def _same_record(resource: str, body: bytes) -> None:
    reduce, decoder = REDUCERS[resource], decoder_for(resource)
    slow = decoder.convert(json.loads(body))
    assert decoder.object(body) == slow
    assert reduce(decoder.object(body), None) == reduce(slow, None)


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
    assert _plain(decoder_for("pods").object(body)) == {
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
    decoded = decoder_for("secrets").object(json.dumps(obj).encode())
    assert _plain(decoded) == obj


def test_metadata_only_secrets_keep_names_only() -> None:
    body = b'{"kind":"PartialObjectMetadata","metadata":{"name":"s","namespace":"n",'
    body += b'"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}}'
    decoded = decoder_for("secrets", metadata_only=True).object(body)
    assert _plain(decoded) == {"metadata": {"name": "s", "namespace": "n"}}


def test_page_keeps_continue_and_resource_version() -> None:
    body = b'{"kind":"PodList","metadata":{"resourceVersion":"42","continue":"t",'
    body += b'"remainingItemCount":3},"items":[]}'
    page = decoder_for("pods").page(body)
    assert page.items == ()
    assert page.metadata == ListMeta(resourceVersion="42", continue_="t", remainingItemCount=3)


def test_a_malformed_item_takes_the_slow_path_alone() -> None:
    body = b'{"metadata":{"continue":"t"},"items":[{"metadata":{"name":"a"}},'
    body += b'{"metadata":{"name":7,"namespace":"ns"},"spec":{"containers":[5,{"name":"c"}]}},'
    body += b'"not an object",{"metadata":{"name":"b"}}]}'
    page = decoder_for("pods").page(body)
    assert page.metadata.continue_ == "t"
    assert [p.metadata.name for p in page.items] == ["a", "", "b"]
    assert page.items[1].metadata.namespace == "ns"
    assert page.items[1].spec.containers == (ContainerSpec(name="c"),)


def test_wrong_types_read_as_absent() -> None:
    event = decoder_for("events").convert(
        {"metadata": {"uid": ["u"]}, "count": True, "series": {"count": "3"}, "reason": None,
         "involvedObject": {"kind": "Pod", "name": "p"}}
    )  # fmt: skip
    assert (event.metadata.uid, event.count, event.reason) == ("", 0, "")
    assert event.series is not None
    assert event.series.count == 0
    assert event.involvedObject is not None
    assert event.involvedObject.name == "p"


def test_unknown_resources_are_decoded_as_their_metadata() -> None:
    body = b'{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"anything":[1]}}'
    assert decoder_for("configmaps").object(body).metadata.name == "x"


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
    assert decoder_for("pods").object(body).metadata.name == "a\ud800b"


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
         ("MODIFIED", {"metadata": {}})),
        (b'{"type":7,"object":{"metadata":{"name":"a"}}}', ("7", {"metadata": {"name": "a"}})),
    ],
    ids=["added", "bookmark", "error-status", "wrong-type", "odd-type"],
)  # fmt: skip
def test_watch_lines(line: bytes, expected: tuple[str, dict[str, Any]]) -> None:
    event_type, obj = decoder_for("pods").event(line)
    if not isinstance(obj, dict):
        obj = _plain(obj)
    assert (event_type, obj) == expected


@pytest.mark.parametrize(
    "line",
    [b'{"type":"ADDED"}', b'{"type":"ADDED","object":[1]}', b"not json", b'"x"'],
    ids=["no-object", "object-not-a-dict", "not-json", "not-an-object"],
)
def test_malformed_watch_lines(line: bytes) -> None:
    with pytest.raises(Malformed):
        decoder_for("events").event(line)


def test_well_formed_input_never_takes_the_slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lenient path (``json.loads``, then conversion) is for malformed objects only:
    a watch that took it for every event ran at a third of its speed."""

    def slow_path(body: object) -> object:
        raise AssertionError("well-formed input was decoded by json.loads")

    monkeypatch.setattr(decoding, "_json", slow_path)
    pods = decoder_for("pods")
    pod = b'{"metadata":{"name":"a","resourceVersion":"7"},"spec":{"containers":[{"name":"c"}]}}'
    event_type, obj = pods.event(b'{"type":"MODIFIED","object":' + pod + b"}\n")
    assert (event_type, obj.metadata.resourceVersion) == ("MODIFIED", "7")
    assert pods.page(b'{"metadata":{},"items":[' + pod + b"]}").items == (obj,)
    with pytest.raises(Malformed):
        pods.event(b'{"type":"ADDED"}')
