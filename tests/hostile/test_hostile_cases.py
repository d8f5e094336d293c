"""Named hostile objects through the whole pipeline: each is reported, capped, never fatal.

Work is bounded structurally (caps applied, inputs cut before decoding); how long it
takes is measured in ``bench/hostile.py``, not asserted here.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from exporter.credentials.limits import MAX_REGISTRIES
from exporter.metrics.catalog import MAX_LABEL_VALUE
from exporter.metrics.view import Limits
from exporter.pullerrors import classify
from exporter.pullerrors.messages import MAX_INSPECTED_CHARS, bounded
from exporter.state.reducers import MAX_CONTAINERS, MAX_MESSAGE
from tests.hostile.objects import (
    CFG_TYPE,
    JSON_TYPE,
    NOW,
    Raw,
    apply,
    assert_well_formed,
    b64,
    dropped,
    new_state,
    render,
    series_count,
)
from tests.hostile.samples import (
    HOSTILE_OBJECTS,
    event,
    jwt_segments,
    many_registries,
    pod,
    pull_secret,
    secret_with_data,
)

WAITING_INFO = "imagepull_container_waiting_info"


def problems_of(state: Any, name: str = "s") -> set[str]:
    record = state.secrets.get(("ns", name))
    assert record is not None
    return {p.value for p in record.problems}


@pytest.mark.parametrize(("resource", "obj"), HOSTILE_OBJECTS.values(), ids=list(HOSTILE_OBJECTS))
def test_every_named_hostile_object_renders(resource: str, obj: Raw) -> None:
    state = new_state()
    apply(state, [(resource, "upsert", obj)])
    assert_well_formed(render(state))


def test_dockerconfigjson_garbage_is_a_problem_not_a_crash() -> None:
    cases = {
        "a": secret_with_data(JSON_TYPE, ".dockerconfigjson", b64(b"\x00\xff garbage")),
        "b": secret_with_data(JSON_TYPE, ".dockerconfigjson", "!!! not base64 !!!"),
        "c": secret_with_data(CFG_TYPE, ".dockercfg", b64('{"auths": {"q.io": {}}}')),
        "d": secret_with_data(JSON_TYPE, ".dockerconfigjson", b64('{"auths": [1, 2]}')),
        "e": secret_with_data(JSON_TYPE, ".dockerconfigjson", b64('{"auths": {"q.io": 7}}')),
        "f": secret_with_data(JSON_TYPE, ".dockerconfigjson", 12345),
    }
    state = new_state()
    for name, secret in cases.items():
        secret["metadata"]["name"] = name
        apply(state, [("secrets", "upsert", secret)])
    assert {name: problems_of(state, name) for name in cases} == {
        "a": {"invalid_json"},
        "b": {"invalid_base64"},
        "c": {"no_auths"},
        "d": {"invalid_json"},
        "e": {"invalid_json"},
        "f": {"no_auths"},  # not a string: the API never sends one, read as absent
    }
    assert_well_formed(render(state))


def test_a_secret_past_the_registry_cap_keeps_the_first_thousand() -> None:
    # 100k registries are refused before parsing (tests/credentials/test_hostile_input.py)
    state = new_state()
    apply(state, [("secrets", "upsert", many_registries(MAX_REGISTRIES + 500))])
    record = state.secrets.get(("ns", "s"))
    assert record is not None
    assert len(record.credentials) == MAX_REGISTRIES
    assert problems_of(state) == {"too_large", "empty_credentials"}
    rendered = render(state, Limits(max_secret_series=100))
    assert_well_formed(rendered)
    assert series_count(rendered.families, "imagepull_credential_info") == 100
    assert dropped(rendered.families)["imagepull_credential_info"] == MAX_REGISTRIES - 100


def test_ten_kilobyte_registry_keys_are_refused_and_names_capped() -> None:
    key = "ghcr.io/" + "a" * 10_000
    short = "r.io/" + "b" * 900  # accepted as a key, too long for a label
    state = new_state()
    secret = pull_secret({key: {"auth": "dTpw"}, short: {"auth": "dTpw"}})
    secret["metadata"]["name"] = "n" * 10_000
    apply(state, [("secrets", "upsert", secret)])
    rendered = render(state)
    assert_well_formed(rendered)
    info = next(f for f in rendered.text if f.name == "imagepull_credential_info")
    assert [len(s.labels["registry"]) for s in info.samples] == [MAX_LABEL_VALUE]


def test_a_pod_with_ten_thousand_failing_containers_is_capped() -> None:
    containers = [{"name": f"c{i}", "image": f"r{i}.io/x"} for i in range(10_000)]
    statuses = [
        {"name": f"c{i}", "state": {"waiting": {"reason": "ErrImagePull", "message": "x"}}}
        for i in range(10_000)
    ]
    big = {"metadata": {"namespace": "ns", "name": "p"}, "spec": {"containers": containers},
           "status": {"containerStatuses": statuses}}  # fmt: skip
    state = new_state()
    apply(state, [("pods", "upsert", big)])
    rendered = render(state, Limits(max_failing_containers=50))
    assert_well_formed(rendered)
    assert series_count(rendered.families, WAITING_INFO) == 50
    # The reducer looks at MAX_CONTAINERS of them; the catalog caps the series at 50.
    assert dropped(rendered.families)[WAITING_INFO] == MAX_CONTAINERS - 50


@pytest.mark.parametrize(
    "message",
    [
        'Failed to pull image "nginx": ' + "x" * 5_000_000,
        'Failed to pull image "nginx": \x00\x1b[2J\r\n\u202e' * 10_000,
        'Failed to pull image "ghcr.io/a:1": ' + "\ud800\udfff" * 100_000 + "unauthorized",
        "Back-off pulling image " + '"' * 1_000_000,
        "Failed to pull image " + "\\" * 1_000_000 + '"',
    ],
    ids=["megabytes", "control-characters", "lone-surrogates", "quotes", "backslashes"],
)
def test_event_messages_are_cut_before_inspection(message: str) -> None:
    assert len(bounded(message)) <= MAX_INSPECTED_CHARS + 1
    state = new_state()
    apply(state, [("events", "upsert", event(message=message)),
                  ("pods", "upsert", pod(message=message, reason="ErrImagePull"))])  # fmt: skip
    assert_well_formed(render(state))
    found = classify(message[:MAX_MESSAGE])
    assert found.image is None or len(found.image) <= 512


def test_invalid_utf8_in_decoded_secret_data() -> None:
    raw = b'{"auths": {"q.io": {"username": "\xff\xfe", "password": "\xc3("}}}'
    state = new_state()
    apply(state, [("secrets", "upsert", secret_with_data(JSON_TYPE, ".dockerconfigjson",
                                                         b64(raw)))])  # fmt: skip
    assert problems_of(state) == set()
    assert_well_formed(render(state))


@pytest.mark.parametrize(
    "token",
    [
        jwt_segments({"alg": "none"}, {"exp": NOW + 60}, signature=""),
        jwt_segments({"alg": "HS256"}, {"exp": NOW + 60, "pad": "x" * 200_000}),
        jwt_segments({"alg": "HS256"}, "[" * 100_000 + "]" * 100_000),
        "eyJhbGciOiJub25lIn0." + "!!!." + "sig",
        "eyJ" + base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("=") + ".e30.x",
        jwt_segments({"alg": "none"}, "not json at all"),
        jwt_segments({"alg": "none"}, {"exp": 10**400}),
        jwt_segments({"alg": "none"}, {"exp": "tomorrow", "iat": [1, 2]}),
    ],
    ids=[
        "alg-none",
        "huge",
        "deeply-nested",
        "bad-base64",
        "bad-utf8",
        "not-json",
        "exp-overflow",
        "exp-wrong-type",
    ],
)
def test_hostile_jwts_in_every_token_field(token: str) -> None:
    entry = {"username": "u", "password": token, "identitytoken": token, "registrytoken": token}
    state = new_state()
    apply(state, [("secrets", "upsert", pull_secret({"q.io": entry}))])
    record = state.secrets.get(("ns", "s"))
    assert record is not None
    assert len(record.credentials) == 1
    expiry = record.credentials[0].expires_at
    assert expiry is None or expiry == NOW + 60
    assert_well_formed(render(state))


def test_deeply_nested_json_in_secret_data() -> None:
    nested = "[" * 390_000 + "]" * 390_000  # just under the 1 MiB limit
    state = new_state()
    apply(state, [("secrets", "upsert", secret_with_data(JSON_TYPE, ".dockerconfigjson",
                                                         b64(nested)))])  # fmt: skip
    assert problems_of(state) == {"invalid_json"}


def test_wrong_json_types_in_every_field_of_every_resource() -> None:
    wrong: list[object] = [None, True, 0, 1.5, "x", [], {}, [[]], {"a": {}}, 10**400]
    state = new_state()
    for value in wrong:
        for resource, template in (("pods", pod()), ("secrets", pull_secret({"q.io": {}})),
                                   ("events", event()), ("serviceaccounts", pod())):  # fmt: skip
            for path in _paths(template):
                obj = json.loads(json.dumps(template))
                _set(obj, path, value)
                apply(state, [(resource, "upsert", obj)])
    assert_well_formed(render(state))


def _paths(obj: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            paths += _paths(value, (*prefix, index))
    return paths


def _set(obj: Any, path: tuple[str | int, ...], value: object) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value
