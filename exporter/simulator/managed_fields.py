"""``metadata.managedFields`` bookkeeping for Update operations.

Each write records which fields it changed (``fieldsV1``, two levels deep: ``f:data``
with ``f:<key>`` children) under the writing manager with the write's ``time``; fields
it changed are taken away from other managers, as the API server's field manager does.
So the entry owning ``f:data`` of a secret tells when its data last changed.
"""

from __future__ import annotations

from typing import Any

JSONObject = dict[str, Any]
_SKIPPED = frozenset({"apiVersion", "kind", "metadata"})
_METADATA_FIELDS = ("labels", "annotations", "ownerReferences", "finalizers")


def _children(old: Any, new: Any) -> JSONObject:
    """Field tree of one top-level value: ``{".": {}, "f:k": {}}`` for changed map keys."""
    if not isinstance(new, dict):
        return {}
    before = old if isinstance(old, dict) else {}
    tree: JSONObject = {".": {}}
    for key, value in new.items():
        if before.get(key) != value:
            tree[f"f:{key}"] = {}
    return tree


def changed_fields(old: JSONObject | None, new: JSONObject, *, status_only: bool) -> JSONObject:
    """The ``fieldsV1`` tree of what ``new`` sets differently from ``old``."""
    before = old or {}
    tree: JSONObject = {}
    keys = ["status"] if status_only else [k for k in new if k not in _SKIPPED]
    for key in keys:
        if key in new and before.get(key) != new[key]:
            tree[f"f:{key}"] = _children(before.get(key), new[key])
    if not status_only:
        old_meta, new_meta = before.get("metadata", {}), new.get("metadata", {})
        meta = {
            f"f:{name}": _children(old_meta.get(name), new_meta[name])
            for name in _METADATA_FIELDS
            if name in new_meta and old_meta.get(name) != new_meta[name]
        }
        if meta:
            tree["f:metadata"] = meta
    return tree


def _merge(into: JSONObject, tree: JSONObject) -> None:
    for key, value in tree.items():
        _merge(into.setdefault(key, {}), value)


def _subtract(owned: JSONObject, taken: JSONObject) -> None:
    """Remove from ``owned`` the leaves that ``taken`` claims."""
    for key, value in taken.items():
        if key == "." or key not in owned:
            continue
        children = [k for k in value if k != "."]
        if not children:
            del owned[key]
            continue
        _subtract(owned[key], value)
        if not [k for k in owned[key] if k != "."]:
            del owned[key]


def record_update(
    entries: list[JSONObject] | None,
    changed: JSONObject,
    *,
    manager: str,
    time: str,
    subresource: str | None,
) -> list[JSONObject]:
    """New managedFields after ``manager`` changed the ``changed`` fields at ``time``."""
    result: list[JSONObject] = []
    mine: JSONObject | None = None
    for original in entries or []:
        entry = {**original, "fieldsV1": _copy(original.get("fieldsV1", {}))}
        same = (
            entry.get("manager") == manager
            and entry.get("operation") == "Update"
            and entry.get("subresource") == subresource
        )
        if same:
            mine = entry
        elif changed:
            _subtract(entry["fieldsV1"], changed)
            if not entry["fieldsV1"]:
                continue
        result.append(entry)
    if not changed:
        return result
    if mine is None:
        mine = {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {},
        }
        if subresource:
            mine["subresource"] = subresource
        result.append(mine)
    mine["time"] = time
    _merge(mine["fieldsV1"], changed)
    return result


def _copy(tree: JSONObject) -> JSONObject:
    return {k: _copy(v) for k, v in tree.items()}


def manager_from_user_agent(user_agent: str | None) -> str:
    """The API server's default field manager: the User-Agent up to the first ``/``."""
    if not user_agent:
        return "unknown"
    return user_agent.split("/", 1)[0][:128] or "unknown"
