"""The resource types the simulator serves, described as data.

Each :class:`ResourceType` says how the API server names the type (plural, kind, short
names), which field selectors it accepts (the same set as the real server), and whether a
DELETE answers with the object or with a ``Status``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSONObject = dict[str, Any]
FieldGetter = Callable[[JSONObject], str]


def _path(*keys: str) -> FieldGetter:
    """A getter for a nested string field; a missing field reads as "" like the server."""

    def get(obj: JSONObject) -> str:
        value: Any = obj
        for key in keys:
            if not isinstance(value, dict):
                return ""
            value = value.get(key)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return get


_METADATA_FIELDS: dict[str, FieldGetter] = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One served resource type of the core ``v1`` group."""

    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    fields: dict[str, FieldGetter] = field(default_factory=dict)
    delete_returns_object: bool = False
    has_status: bool = False
    singular: str = ""
    deletecollection: bool = True
    """Whether DELETE of the (namespaced) collection works; namespaces have no such verb."""

    @property
    def list_kind(self) -> str:
        """The ``kind`` of a list response, e.g. ``PodList``."""
        return f"{self.kind}List"

    @property
    def verbs(self) -> list[str]:
        """Verbs advertised in discovery."""
        collection = ["deletecollection"] if self.deletecollection else []
        return ["create", "delete", *collection, "get", "list", "patch", "update", "watch"]


PODS = ResourceType(
    plural="pods",
    kind="Pod",
    singular="pod",
    namespaced=True,
    short_names=("po",),
    delete_returns_object=True,
    has_status=True,
    fields={
        **_METADATA_FIELDS,
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda o: "true" if o.get("spec", {}).get("hostNetwork") else "false",
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
)
EVENTS = ResourceType(
    plural="events",
    kind="Event",
    singular="event",
    namespaced=True,
    short_names=("ev",),
    fields={
        **_METADATA_FIELDS,
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.uid": _path("involvedObject", "uid"),
        "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _path("source", "component"),
        "type": _path("type"),
    },
)
SECRETS = ResourceType(
    plural="secrets",
    kind="Secret",
    singular="secret",
    namespaced=True,
    fields={**_METADATA_FIELDS, "type": _path("type")},
)
SERVICE_ACCOUNTS = ResourceType(
    plural="serviceaccounts",
    kind="ServiceAccount",
    singular="serviceaccount",
    namespaced=True,
    short_names=("sa",),
    delete_returns_object=True,
    fields=dict(_METADATA_FIELDS),
)
NAMESPACES = ResourceType(
    plural="namespaces",
    kind="Namespace",
    singular="namespace",
    namespaced=False,
    short_names=("ns",),
    delete_returns_object=True,
    has_status=True,
    deletecollection=False,
    fields={"metadata.name": _path("metadata", "name"), "status.phase": _path("status", "phase")},
)

RESOURCES: dict[str, ResourceType] = {
    r.plural: r for r in (NAMESPACES, PODS, EVENTS, SECRETS, SERVICE_ACCOUNTS)
}
BY_KIND: dict[str, ResourceType] = {r.kind: r for r in RESOURCES.values()}


def resource_for_kind(kind: str) -> ResourceType | None:
    """The served type whose ``kind`` is ``kind`` (``"Pod"`` → pods), if any."""
    return BY_KIND.get(kind)
