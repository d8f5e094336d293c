"""The three PATCH formats the API server accepts for built-in types.

- JSON merge patch (RFC 7386): maps merge, ``null`` deletes, lists are replaced.
- Strategic merge patch: like merge patch, but lists of known types merge by a key
  (containers by ``name``, ports by ``containerPort``...) and the ``$patch``,
  ``$setElementOrder/``, ``$deleteFromPrimitiveList/`` and ``$retainKeys`` directives work,
  which is what ``kubectl apply`` and ``kubectl edit`` send.
- JSON patch (RFC 6902): add, remove, replace, move, copy, test.

>>> merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}})
{'a': 1, 'b': {'d': 3}}
"""

from __future__ import annotations

from typing import Any

from exporter.simulator.errors import ApiError, bad_request
from exporter.simulator.store import clone

JSONObject = dict[str, Any]

# patchMergeKey of the list fields of our types (k8s.io/api struct tags); lists not named
# here are replaced atomically, as for fields without a patch strategy.
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "volumes": "name",
    "imagePullSecrets": "name",
    "secrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
}
# Primitive lists with the "merge" strategy (their items are unioned).
MERGED_PRIMITIVE_LISTS = frozenset({"finalizers"})

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


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch to ``target`` and return the result."""
    if not isinstance(patch, dict):
        return clone(patch)
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
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        elif isinstance(value, dict):
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = value
    for key, order in patch.items():
        if key.startswith(_ORDER) and isinstance(result.get(key[len(_ORDER) :]), list):
            name = key[len(_ORDER) :]
            result[name] = _reorder(name, result[name], order)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(name: str, current: Any, patch: list[Any]) -> list[Any]:
    current_list = list(current) if isinstance(current, list) else []
    if name in MERGED_PRIMITIVE_LISTS:
        return current_list + [v for v in patch if v not in current_list]
    key = MERGE_KEYS.get(name)
    if key is None or not all(isinstance(item, dict) for item in patch):
        copied: list[Any] = clone(patch)
        return copied
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
            merged.append(strategic_merge_patch({}, item))
        else:
            merged[index] = strategic_merge_patch(merged[index], item)
    return merged


def _reorder(name: str, items: list[Any], order: list[Any]) -> list[Any]:
    """Order ``items`` as ``$setElementOrder`` says; items it does not name go last."""
    key = MERGE_KEYS.get(name)

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
