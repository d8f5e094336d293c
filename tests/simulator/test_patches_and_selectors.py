"""Pure parts: patch formats and selector parsing."""

from __future__ import annotations

from typing import Any

import pytest

from exporter.simulator import ApiError
from exporter.simulator.patches import SCHEMAS, json_patch, merge_patch, strategic_merge_patch
from exporter.simulator.resources import EVENTS
from exporter.simulator.selectors import parse_field_selector, parse_label_selector


def test_strategic_merge_patch_merges_containers_by_name_and_honours_directives() -> None:
    pod = {"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}}
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "x:2"}, {"name": "b", "$patch": "delete"}],
        }
    }
    assert strategic_merge_patch(pod, patch, SCHEMAS["Pod"]) == {
        "spec": {"containers": [{"name": "a", "image": "x:2"}]}
    }
    assert strategic_merge_patch({"m": {"a": 1}}, {"m": {"$patch": "replace", "b": 2}}) == {
        "m": {"b": 2}
    }


SA_WITH_TWO = {"secrets": [{"name": "t1"}], "imagePullSecrets": [{"name": "x1"}, {"name": "x2"}]}


@pytest.mark.parametrize(
    ("kind", "target", "patch", "expected"),
    [
        # ServiceAccount.imagePullSecrets has no patchStrategy tag (+listType=atomic) in
        # k8s.io/api/core/v1/types.go: `kubectl patch sa -p '{"imagePullSecrets":[...]}'`
        # replaces the list on a real server.
        (
            "ServiceAccount",
            SA_WITH_TWO,
            {"imagePullSecrets": [{"name": "x1"}]},
            {"secrets": [{"name": "t1"}], "imagePullSecrets": [{"name": "x1"}]},
        ),
        # ServiceAccount.secrets is patchStrategy:"merge" patchMergeKey:"name".
        (
            "ServiceAccount",
            SA_WITH_TWO,
            {"secrets": [{"name": "t2"}]},
            {**SA_WITH_TWO, "secrets": [{"name": "t1"}, {"name": "t2"}]},
        ),
        # PodSpec.imagePullSecrets is patchStrategy:"merge" patchMergeKey:"name".
        (
            "Pod",
            {"spec": {"imagePullSecrets": [{"name": "a"}]}},
            {"spec": {"imagePullSecrets": [{"name": "b"}]}},
            {"spec": {"imagePullSecrets": [{"name": "a"}, {"name": "b"}]}},
        ),
        # containers[*].env merges by name; containerStatuses is atomic.
        (
            "Pod",
            {
                "spec": {"containers": [{"name": "c", "env": [{"name": "A", "value": "1"}]}]},
                "status": {"containerStatuses": [{"name": "c"}, {"name": "d"}]},
            },
            {
                "spec": {"containers": [{"name": "c", "env": [{"name": "B", "value": "2"}]}]},
                "status": {"containerStatuses": [{"name": "d"}]},
            },
            {
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        }
                    ]
                },
                "status": {"containerStatuses": [{"name": "d"}]},
            },
        ),
        # podIPs merge by ip.
        (
            "Pod",
            {"status": {"podIPs": [{"ip": "10.0.0.1"}]}},
            {"status": {"podIPs": [{"ip": "fd00::1"}]}},
            {"status": {"podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}},
        ),
        # metadata.finalizers is merged, a Namespace's spec.finalizers is atomic.
        (
            "Namespace",
            {"metadata": {"finalizers": ["a"]}, "spec": {"finalizers": ["kubernetes"]}},
            {"metadata": {"finalizers": ["b"]}, "spec": {"finalizers": ["other"]}},
            {"metadata": {"finalizers": ["a", "b"]}, "spec": {"finalizers": ["other"]}},
        ),
    ],
)
def test_strategic_merge_patch_follows_each_types_patch_strategy(
    kind: str, target: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert strategic_merge_patch(target, patch, SCHEMAS[kind]) == expected


def test_merge_patch_replaces_lists() -> None:
    assert merge_patch({"l": [1, 2], "k": 1}, {"l": [3], "k": None}) == {"l": [3]}


def test_json_patch_operations_and_failed_test() -> None:
    doc = {"a": {"b": [1, 2]}}
    ops = [{"op": "add", "path": "/a/b/-", "value": 3}, {"op": "remove", "path": "/a/b/0"}]
    assert json_patch(doc, ops) == {"a": {"b": [2, 3]}}
    with pytest.raises(ApiError):
        json_patch(doc, [{"op": "test", "path": "/a/b/0", "value": 9}])


def test_selectors() -> None:
    selector = parse_label_selector("env in (prod, staging),!canary,tier!=db")
    assert selector.matches({"env": "prod"})
    assert not selector.matches({"env": "prod", "canary": "1"})
    fields = parse_field_selector("involvedObject.kind=Pod,reason!=Pulled", EVENTS)
    assert fields.matches({"involvedObject": {"kind": "Pod"}, "reason": "Failed"})
    with pytest.raises(ApiError):
        parse_field_selector("spec.nodeName=x", EVENTS)
