"""Update validation the API server applies to our types: what an update may not change.

- A pod's spec is immutable apart from what ``ValidatePodUpdate``
  (``pkg/apis/core/validation``) lets through: container and init container images,
  a lower ``activeDeadlineSeconds``, added tolerations, removed scheduling gates and a
  negative grace period set to 1. Anything else is ``422`` with its ``Forbidden`` message.
- A secret's ``type`` is immutable, and so are ``data`` and ``immutable`` once
  ``immutable: true`` (``ValidateSecretUpdate``).

Both run on the defaulted new object, as on the real server, and only for writes to the
main resource (``/status`` keeps the old spec).
"""

from __future__ import annotations

import json
from typing import Any

from exporter.simulator.errors import invalid

JSONObject = dict[str, Any]
UPDATABLE_POD_SPEC_FIELDS = (
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)
_IMMUTABLE = "field is immutable"
_IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set"


def validate_update(kind: str, old: JSONObject, new: JSONObject) -> None:
    """Raise the API server's 422 if ``new`` changes what an update of ``kind`` may not."""
    if kind == "Pod":
        _pod(old, new)
    elif kind == "Secret":
        _secret(old, new)


def _pod(old: JSONObject, new: JSONObject) -> None:
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if _normal(_munged(old_spec, new_spec)) != _normal(old_spec):
        raise invalid(
            "Pod",
            new["metadata"]["name"],
            "spec",
            f"Forbidden: pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}",
        )


def _munged(old: JSONObject, new: JSONObject) -> JSONObject:
    """``new`` with every change an update may make reset to ``old``'s value."""
    munged = dict(new)
    for group in ("containers", "initContainers"):
        before, after = old.get(group) or [], new.get(group) or []
        if len(before) == len(after):
            munged[group] = [
                {**a, "image": b.get("image")} if isinstance(a, dict) and isinstance(b, dict) else a
                for a, b in zip(after, before, strict=True)
            ]
    deadline, old_deadline = new.get("activeDeadlineSeconds"), old.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and (old_deadline is None or deadline <= old_deadline):
        _reset(munged, old, "activeDeadlineSeconds")
    if all(t in (new.get("tolerations") or []) for t in old.get("tolerations") or []):
        _reset(munged, old, "tolerations")
    grace, old_grace = (
        new.get("terminationGracePeriodSeconds"),
        old.get("terminationGracePeriodSeconds"),
    )
    if isinstance(old_grace, int) and old_grace < 0 and grace == 1:
        _reset(munged, old, "terminationGracePeriodSeconds")
    gates = new.get("schedulingGates") or []
    if all(g in (old.get("schedulingGates") or []) for g in gates):
        _reset(munged, old, "schedulingGates")  # gates may only be removed
    return munged


def _normal(value: Any) -> Any:
    """``value`` without empty fields: Go compares a missing field and its zero value equal."""
    if isinstance(value, dict):
        kept = {k: _normal(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _reset(munged: JSONObject, old: JSONObject, field: str) -> None:
    if field in old:
        munged[field] = old[field]
    else:
        munged.pop(field, None)


def _secret(old: JSONObject, new: JSONObject) -> None:
    name = new["metadata"]["name"]
    if new.get("type") != old.get("type"):
        raise invalid(
            "Secret", name, "type", f"Invalid value: {json.dumps(new.get('type'))}: {_IMMUTABLE}"
        )
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            raise invalid("Secret", name, "immutable", f"Forbidden: {_IMMUTABLE_WHEN_SET}")
        if (new.get("data") or {}) != (old.get("data") or {}):
            raise invalid("Secret", name, "data", f"Forbidden: {_IMMUTABLE_WHEN_SET}")
