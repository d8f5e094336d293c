"""Shapes of the Kubernetes API objects we read, as frozen msgspec Structs.

Only the fields the exporter uses are declared; every field has a default because the
cluster is untrusted input: a field that is missing, ``null`` or of the wrong type reads as
its default (``""``, ``0``, an empty tuple or mapping, an empty nested object). These are the
schemas :mod:`exporter.kube.decoding` decodes into, skipping every field not declared here
(a pod's managedFields, labels and most of its spec and status never become Python objects),
so a field a reducer starts to read must be declared here first.

Decoded objects are neither tracked by the cyclic garbage collector (``gc=False``: they
hold only strings, numbers, tuples and other such objects, never a cycle) nor mutable, so
the empty nested objects can be shared defaults.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")


class KubeStruct(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """The base of every schema (a Struct's configuration is inherited)."""


class ManagedFieldsEntry(KubeStruct, frozen=True):
    manager: str = ""
    operation: str = ""
    time: str = ""
    fieldsType: str = ""
    fieldsV1: dict[str, object] = {}
    subresource: str = ""


class NameMeta(KubeStruct, frozen=True):
    """The metadata of pods, service accounts and metadata-only secrets."""

    name: str = ""
    namespace: str = ""
    resourceVersion: str = ""


class EventMeta(NameMeta, frozen=True):
    """Events are counted per UID, so a recreated name counts anew."""

    uid: str = ""


class ObjectMeta(NameMeta, frozen=True):
    """The metadata of pull secrets: annotations declare expiries, managedFields rotations."""

    creationTimestamp: str = ""
    annotations: dict[str, str] = {}
    managedFields: tuple[ManagedFieldsEntry, ...] = ()


class ListMeta(KubeStruct, frozen=True):
    resourceVersion: str = ""
    continue_: str = msgspec.field(default="", name="continue")  # a Python keyword
    remainingItemCount: int = 0


class LocalObjectReference(KubeStruct, frozen=True):
    name: str = ""


class ContainerSpec(KubeStruct, frozen=True):
    name: str = ""
    image: str = ""


class PodSpec(KubeStruct, frozen=True):
    serviceAccountName: str = ""
    serviceAccount: str = ""
    imagePullSecrets: tuple[LocalObjectReference, ...] = ()
    initContainers: tuple[ContainerSpec, ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    ephemeralContainers: tuple[ContainerSpec, ...] = ()


class ContainerStateWaiting(KubeStruct, frozen=True):
    reason: str = ""
    message: str = ""


class ContainerState(KubeStruct, frozen=True):
    waiting: ContainerStateWaiting | None = None
    """``None`` unless the container is waiting (running and terminated are not read)."""


class ContainerStatus(KubeStruct, frozen=True):
    name: str = ""
    state: ContainerState = ContainerState()


class PodCondition(KubeStruct, frozen=True):
    type: str = ""
    status: str = ""
    lastTransitionTime: str = ""


class PodStatus(KubeStruct, frozen=True):
    conditions: tuple[PodCondition, ...] = ()
    initContainerStatuses: tuple[ContainerStatus, ...] = ()
    containerStatuses: tuple[ContainerStatus, ...] = ()
    ephemeralContainerStatuses: tuple[ContainerStatus, ...] = ()


class Pod(KubeStruct, frozen=True):
    metadata: NameMeta = NameMeta()
    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()


class Secret(KubeStruct, frozen=True):
    metadata: ObjectMeta = ObjectMeta()
    type: str = ""
    data: dict[str, str] = {}


class ServiceAccount(KubeStruct, frozen=True):
    metadata: NameMeta = NameMeta()
    imagePullSecrets: tuple[LocalObjectReference, ...] = ()


class ObjectReference(KubeStruct, frozen=True):
    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    fieldPath: str = ""


class EventSeries(KubeStruct, frozen=True):
    count: int = 0
    lastObservedTime: str = ""


class Event(KubeStruct, frozen=True):
    metadata: EventMeta = EventMeta()
    involvedObject: ObjectReference | None = None
    reason: str = ""
    message: str = ""
    count: int = 0
    series: EventSeries | None = None


class PartialObjectMetadata(KubeStruct, frozen=True):
    """What a metadata-only LIST or watch returns per object."""

    metadata: NameMeta = NameMeta()


class Page(KubeStruct, Generic[T], frozen=True):
    """A LIST response."""

    metadata: ListMeta = ListMeta()
    items: tuple[T, ...] = ()


Named = Pod | Secret | ServiceAccount | PartialObjectMetadata
"""Objects known by ``(namespace, name)``."""

SinkObject = KubeStruct | dict[str, Any]
"""What a reflector's sink takes: a decoded object, or a JSON object (a test's, a tool's)
that the sink converts as the decoder converts a malformed one."""
