"""Pure parts: patch formats and selector parsing."""

from __future__ import annotations

import pytest

from exporter.simulator import ApiError
from exporter.simulator.patches import json_patch, merge_patch, strategic_merge_patch
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
    assert strategic_merge_patch(pod, patch) == {
        "spec": {"containers": [{"name": "a", "image": "x:2"}]}
    }
    assert strategic_merge_patch({"m": {"a": 1}}, {"m": {"$patch": "replace", "b": 2}}) == {
        "m": {"b": 2}
    }


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
