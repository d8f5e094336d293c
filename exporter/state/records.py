"""Compact records: only what the metrics need, never raw secret data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ContainerKind = Literal["init", "regular", "ephemeral"]


@dataclass(frozen=True, slots=True)
class ContainerRecord:
    name: str
    kind: ContainerKind
    image: str
    waiting_reason: str | None = None
    waiting_message: str | None = None
    waiting_since: float | None = None
    """When we first saw the container waiting with this reason (kept across updates)."""


@dataclass(frozen=True, slots=True)
class PodRecord:
    namespace: str
    name: str
    uid: str
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
    uid: str
    type: str
    created: float | None
    last_rotated: float | None
    data_digest: str
    """Keyed hash of the data: tells a rotation apart from a metadata-only update."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    uid: str
    namespace: str
    pod: str
    reason: str
    message: str
    count: int
