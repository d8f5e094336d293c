"""Compact records: only what the metrics need, never raw secret data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from exporter.credentials import Credential, Problem

ContainerKind = Literal["init", "regular", "ephemeral"]


@dataclass(frozen=True, slots=True, weakref_slot=True)
class ContainerRecord:
    name: str
    kind: ContainerKind
    image: str
    registry: str
    """Registry host of ``image`` as kubelet normalises it; ``unknown`` if unparsable."""
    waiting_reason: str | None = None
    pull_cause: str | None = None
    """Why the pull fails (a ``Cause`` value), when waiting with an image-pull reason."""
    waiting_since: float | None = None
    """When we first saw the container waiting (kept while it keeps waiting)."""


@dataclass(frozen=True, slots=True)
class PodRecord:
    namespace: str
    name: str
    service_account: str
    image_pull_secrets: tuple[str, ...]
    containers: tuple[ContainerRecord, ...]


@dataclass(frozen=True, slots=True)
class ServiceAccountRecord:
    namespace: str
    name: str
    image_pull_secrets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SecretRecord:
    namespace: str
    name: str
    type: str
    created: float | None
    last_rotated: float | None
    data_digest: str
    """Keyed hash of the data: tells a rotation apart from a metadata-only update."""
    credentials: tuple[Credential, ...]
    problems: frozenset[Problem]


@dataclass(frozen=True, slots=True)
class EventRecord:
    uid: str
    namespace: str
    pod: str
    reason: str
    cause: str
    registry: str
    count: int
    """The Event's own ``series.count`` or ``count``: how often kubelet saw it."""


@dataclass(frozen=True, slots=True)
class OtherSecretRecord:
    """A secret of a type kubelet ignores for pulls; only its name is known (metadata only)."""

    namespace: str
    name: str
