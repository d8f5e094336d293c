"""The three PATCH formats the API server accepts for built-in types.

- JSON merge patch (RFC 7386): maps merge, ``null`` deletes, lists are replaced.
- Strategic merge patch: like merge patch, but the lists the Kubernetes types tag with
  the ``merge`` strategy merge by their key (a pod's containers by ``name``, ports by
  ``containerPort``...; see :data:`SCHEMAS`), other lists are replaced, and the ``$patch``,
  ``$setElementOrder/``, ``$deleteFromPrimitiveList/`` and ``$retainKeys`` directives work,
  which is what ``kubectl apply`` and ``kubectl edit`` send.
- JSON patch (RFC 6902): add, remove, replace, move, copy, test.

>>> merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}})
{'a': 1, 'b': {'d': 3}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.simulator.errors import ApiError, bad_request
from exporter.simulator.store import clone

JSONObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ListField:
    """A list field with the ``merge`` patch strategy (a list not declared is atomic).

    ``key`` is its ``patchMergeKey`` (None for a list of strings whose items are unioned,
    like ``metadata.finalizers``); ``item`` declares the fields of its elements.
    """

    key: str | None
    item: Schema = field(default_factory=dict)


Schema = Mapping[str, "Schema | ListField"]
"""The struct fields of a type that lead to a merged list; every other list is replaced."""

# Transcribed from the patchStrategy/patchMergeKey tags of k8s.io/api/core/v1/types.go and
# k8s.io/apimachinery/pkg/apis/meta/v1/types.go. Lists without a patchStrategy tag are
# atomic there and here: ServiceAccount.imagePullSecrets (unlike PodSpec's), Namespace
# spec.finalizers (unlike metadata.finalizers), Pod status.containerStatuses, tolerations.
OBJECT_META: Schema = {"finalizers": ListField(None), "ownerReferences": ListField("uid")}
CONTAINER: Schema = {
    "ports": ListField("containerPort"),
    "env": ListField("name"),
    "volumeMounts": ListField("mountPath"),
    "volumeDevices": ListField("devicePath"),
}
POD_SPEC: Schema = {
    "volumes": ListField("name"),  # merge,retainKeys: $retainKeys arrives in the patch
    "initContainers": ListField("name", CONTAINER),
    "containers": ListField("name", CONTAINER),
    "ephemeralContainers": ListField("name", CONTAINER),
    "imagePullSecrets": ListField("name"),
    "hostAliases": ListField("ip"),
    "topologySpreadConstraints": ListField("topologyKey"),
    "schedulingGates": ListField("name"),
    "resourceClaims": ListField("name"),
}
POD_STATUS: Schema = {
    "conditions": ListField("type"),
    "podIPs": ListField("ip"),
    "hostIPs": ListField("ip"),
    "resourceClaimStatuses": ListField("name"),
}
SCHEMAS: dict[str, Schema] = {
    "Pod": {"metadata": OBJECT_META, "spec": POD_SPEC, "status": POD_STATUS},
    "ServiceAccount": {"metadata": OBJECT_META, "secrets": ListField("name")},
    "Namespace": {"metadata": OBJECT_META, "status": {"conditions": ListField("type")}},
    "Secret": {"metadata": OBJECT_META},
    "Event": {"metadata": OBJECT_META},
}

_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 merge patch and return the result (inputs are not modified)."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, schema: Schema | None = None) -> Any:
    """Apply a strategic merge patch to ``target`` (of the type ``schema`` describes, e.g.
    ``SCHEMAS["Pod"]``) and return the result; without a schema every list is replaced."""
    if not isinstance(patch, dict):
        return clone(patch)
    fields = schema or {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith(_ORDER):
            continue
        if key.startswith(_DELETE_PRIMITIVE):
            name = key[len(_DELETE_PRIMITIVE) :]
            drop = set(value or [])
            result[name] = [v for v in result.get(name) or [] if v not in drop]
            continue
        declared = fields.get(key)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            listed = declared if isinstance(declared, ListField) else None
            result[key] = _merge_list(listed, result.get(key), value)
        elif isinstance(value, dict):
            nested = declared if isinstance(declared, Mapping) else None
            merged = strategic_merge_patch(result.get(key), value, nested)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = value
    for key, order in patch.items():
        name = key[len(_ORDER) :]
        if key.startswith(_ORDER) and isinstance(result.get(name), list):
            declared = fields.get(name)
            merge_key = declared.key if isinstance(declared, ListField) else None
            result[name] = _reorder(merge_key, result[name], order)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(declared: ListField | None, current: Any, patch: list[Any]) -> list[Any]:
    current_list = list(current) if isinstance(current, list) else []
    if declared is not None and declared.key is None:
        return current_list + [v for v in patch if v not in current_list]
    if declared is None or not all(isinstance(item, dict) for item in patch):
        copied: list[Any] = clone(patch)
        return copied
    key, item_schema = declared.key, declared.item
    if any(item.get("$patch") == "replace" for item in patch):
        return [clone(i) for i in patch if i.get("$patch") != "replace" or len(i) > 1]
    merged = list(current_list)
    for item in patch:
        index = next(
            (
                i
                for i, old in enumerate(merged)
                if isinstance(old, dict) and old.get(key) == item.get(key)
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
        elif index is None:
            merged.append(strategic_merge_patch({}, item, item_schema))
        else:
            merged[index] = strategic_merge_patch(merged[index], item, item_schema)
    return merged


def _reorder(key: str | None, items: list[Any], order: list[Any]) -> list[Any]:
    """Order ``items`` as ``$setElementOrder`` says; items it does not name go last."""

    def identity(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [identity(o) for o in order]
    ranked = sorted(
        enumerate(items),
        key=lambda p: (
            wanted.index(identity(p[1])) if identity(p[1]) in wanted else len(wanted),
            p[0],
        ),
    )
    return [item for _, item in ranked]


def json_patch(target: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch; a failed ``test`` or bad path is a 422/400 error."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = clone(target)
    for op in operations:
        kind, path = op.get("op"), op.get("path", "")
        if kind == "add":
            doc = _put(doc, path, clone(op.get("value")), insert=True)
        elif kind == "replace":
            _get(doc, path)
            doc = _put(doc, path, clone(op.get("value")), insert=False)
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind in ("move", "copy"):
            value = clone(_get(doc, op.get("from", "")))
            if kind == "move":
                doc = _remove(doc, op.get("from", ""))
            doc = _put(doc, path, value, insert=True)
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise ApiError(
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request: "
                    f"testing value {path} failed",
                )
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(
            f"the server rejected our request due to an error in our request: invalid path {path}"
        )
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _get(doc: Any, path: str) -> Any:
    node = doc
    for token in _tokens(path):
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise _missing(path) from None
    return node


def _missing(path: str) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f"the server rejected our request due to an error in our request: "
        f"doc is missing path: {path!r}",
    )


def _put(doc: Any, path: str, value: Any, *, insert: bool) -> Any:
    tokens = _tokens(path)
    if not tokens:
        return value
    parent = (
        _get(doc, "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1]))
        if len(tokens) > 1
        else doc
    )
    last = tokens[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else _index(last, path)
        if insert:
            if index > len(parent):
                raise _missing(path)
            parent.insert(index, value)
        else:
            parent[index] = value
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise _missing(path)
    return doc


def _remove(doc: Any, path: str) -> Any:
    tokens = _tokens(path)
    if not tokens:
        raise _missing(path)
    parent = (
        _get(doc, "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1]))
        if len(tokens) > 1
        else doc
    )
    last = tokens[-1]
    try:
        if isinstance(parent, list):
            parent.pop(_index(last, path))
        else:
            del parent[last]
    except (KeyError, IndexError, TypeError):
        raise _missing(path) from None
    return doc


def _index(token: str, path: str) -> int:
    if not token.isdigit():
        raise _missing(path)
    return int(token)
