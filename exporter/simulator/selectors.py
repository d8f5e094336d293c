"""Label and field selectors, parsed and matched with the API server's semantics.

>>> parse_label_selector("app in (web,api),!canary").matches({"app": "web"})
True
>>> parse_field_selector("type=kubernetes.io/dockerconfigjson", SECRETS).matches(
...     {"type": "kubernetes.io/dockerconfigjson"})
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exporter.simulator.errors import bad_request
from exporter.simulator.resources import SECRETS, FieldGetter, ResourceType

__all__ = [
    "SECRETS",
    "FieldSelector",
    "LabelSelector",
    "parse_field_selector",
    "parse_label_selector",
]

_LABEL_KEY = re.compile(r"^([a-z0-9A-Z.\-]+/)?[A-Za-z0-9]([A-Za-z0-9_.\-]*[A-Za-z0-9])?$")
_SET_REQUIREMENT = re.compile(r"^\s*(\S+?)\s+(in|notin)\s+\(([^)]*)\)\s*$")


@dataclass(frozen=True, slots=True)
class LabelRequirement:
    """One requirement: ``op`` is one of =, !=, in, notin, exists, !exists."""

    key: str
    op: str
    values: frozenset[str]

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether ``labels`` satisfy this requirement."""
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # != and notin also match objects without the label, as the server does
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A conjunction of label requirements; the empty selector matches everything."""

    requirements: tuple[LabelRequirement, ...] = ()

    def matches(self, labels: dict[str, str] | None) -> bool:
        """Whether an object with ``labels`` is selected."""
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _label_key(key: str, selector: str) -> str:
    key = key.strip()
    if not _LABEL_KEY.match(key):
        raise bad_request(f"unable to parse requirement: invalid label key {key!r} in {selector!r}")
    return key


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse ``labelSelector``; a syntax error becomes the server's 400 BadRequest."""
    if not text or not text.strip():
        return LabelSelector()
    requirements = []
    for raw in _split_top_level(text):
        part = raw.strip()
        if not part:
            raise bad_request(
                f"unable to parse requirement: found '', expected: identifier ({text!r})"
            )
        set_match = _SET_REQUIREMENT.match(part)
        if set_match:
            key, op, values = set_match.groups()
            items = frozenset(v.strip() for v in values.split(",") if v.strip())
            requirements.append(LabelRequirement(_label_key(key, text), op, items))
        elif part.startswith("!"):
            requirements.append(
                LabelRequirement(_label_key(part[1:], text), "!exists", frozenset())
            )
        else:
            for op in ("!=", "==", "="):
                if op in part:
                    key, value = part.split(op, 1)
                    norm = "=" if op == "==" else op
                    requirements.append(
                        LabelRequirement(_label_key(key, text), norm, frozenset({value.strip()}))
                    )
                    break
            else:
                requirements.append(LabelRequirement(_label_key(part, text), "exists", frozenset()))
    return LabelSelector(tuple(requirements))


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """``field op value`` where op is = or !=."""

    getter: FieldGetter
    equal: bool
    value: str


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """A conjunction of field requirements over one resource type."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: dict[str, Any]) -> bool:
        """Whether ``obj`` is selected."""
        return all((r.getter(obj) == r.value) == r.equal for r in self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.requirements


def parse_field_selector(text: str | None, resource: ResourceType) -> FieldSelector:
    """Parse ``fieldSelector`` for ``resource``; unknown fields are a 400 like the server."""
    if not text or not text.strip():
        return FieldSelector()
    requirements = []
    for raw in text.split(","):
        part = raw.strip()
        for op in ("!=", "==", "="):
            if op in part:
                name, value = part.split(op, 1)
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        getter = resource.fields.get(name.strip())
        if getter is None:
            raise bad_request(
                f'Unable to find "/v1, Resource={resource.plural}" that match label selector "", '
                f'field selector "{text}": field label not supported: {name.strip()}'
            )
        requirements.append(FieldRequirement(getter, op != "!=", value.strip()))
    return FieldSelector(tuple(requirements))
