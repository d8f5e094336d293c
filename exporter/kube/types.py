"""Shapes of the Kubernetes API objects we read, as TypedDicts.

Only the fields the exporter uses are declared; everything is optional (``total=False``)
because the cluster is untrusted input: reducers must cope with any field missing. These
are also the schemas :mod:`exporter.kube.decoding` decodes into, skipping every field not
declared here (a pod's managedFields, labels and most of its spec and status never become
Python objects), so a field a reducer starts to read must be declared here first.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class ManagedFieldsEntry(TypedDict, total=False):
    manager: str
    operation: str
    time: str
    fieldsType: str
    fieldsV1: dict[str, object]
    subresource: str


class NameMeta(TypedDict, total=False):
    """The metadata of pods, events, service accounts and metadata-only secrets."""

    name: str
    namespace: str
    uid: str
    resourceVersion: str
    creationTimestamp: str
    deletionTimestamp: str


class ObjectMeta(NameMeta, total=False):
    """The metadata of pull secrets: annotations declare expiries, managedFields rotations."""

    annotations: dict[str, str]
    managedFields: list[ManagedFieldsEntry]


# The functional form: ``continue`` is a Python keyword.
ListMeta = TypedDict(
    "ListMeta", {"resourceVersion": str, "continue": str, "remainingItemCount": int}, total=False
)


class LocalObjectReference(TypedDict, total=False):
    name: str


class ContainerSpec(TypedDict, total=False):
    name: str
    image: str


class PodSpec(TypedDict, total=False):
    serviceAccountName: str
    serviceAccount: str
    imagePullSecrets: list[LocalObjectReference]
    initContainers: list[ContainerSpec]
    containers: list[ContainerSpec]
    ephemeralContainers: list[ContainerSpec]


class ContainerStateWaiting(TypedDict, total=False):
    reason: str
    message: str


class ContainerState(TypedDict, total=False):
    waiting: ContainerStateWaiting


class ContainerStatus(TypedDict, total=False):
    name: str
    state: ContainerState


class PodCondition(TypedDict, total=False):
    type: str
    status: str
    lastTransitionTime: str


class PodStatus(TypedDict, total=False):
    conditions: list[PodCondition]
    initContainerStatuses: list[ContainerStatus]
    containerStatuses: list[ContainerStatus]
    ephemeralContainerStatuses: list[ContainerStatus]


class Pod(TypedDict, total=False):
    metadata: NameMeta
    spec: PodSpec
    status: PodStatus


class Secret(TypedDict, total=False):
    metadata: ObjectMeta
    type: str
    data: dict[str, str]


class ServiceAccount(TypedDict, total=False):
    metadata: NameMeta
    imagePullSecrets: list[LocalObjectReference]


class ObjectReference(TypedDict, total=False):
    kind: str
    namespace: str
    name: str
    uid: str
    fieldPath: str


class EventSeries(TypedDict, total=False):
    count: int
    lastObservedTime: str


class Event(TypedDict, total=False):
    metadata: NameMeta
    involvedObject: ObjectReference
    reason: str
    message: str
    count: int
    series: EventSeries


class PartialObjectMetadata(TypedDict, total=False):
    """What a metadata-only LIST or watch returns per object."""

    metadata: NameMeta


class Status(TypedDict, total=False):
    kind: str
    status: str
    message: str
    reason: str
    code: int


WatchEventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]

# Any object a reflector delivers; reducers narrow it to the resource's own TypedDict.
KubeObject = Pod | Secret | ServiceAccount | Event

# A decoded JSON object as the reflector delivers it, before a reducer narrows it.
RawObject = dict[str, Any]
