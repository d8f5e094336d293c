"""Compact records: only what the metrics need, never raw secret data.

Records are frozen msgspec Structs kept out of the cyclic garbage collector (``gc=False``:
they hold strings, numbers, tuples and other records, never a cycle). Built once per
object and compared on every update, they cost a tenth of a frozen dataclass to make and
nothing to the collector, which at 150,000 pods would otherwise walk them all.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from exporter.credentials import Credential, Problem

ContainerKind = Literal["init", "regular", "ephemeral"]


class ContainerRecord(msgspec.Struct, frozen=True, weakref=True):
    """Shared between pods (interned, held weakly), so tracked by the collector: msgspec
    allows weak references only to tracked Structs."""

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


class PodRecord(msgspec.Struct, frozen=True, gc=False):
    namespace: str
    name: str
    service_account: str
    image_pull_secrets: tuple[str, ...]
    containers: tuple[ContainerRecord, ...]


class ServiceAccountRecord(msgspec.Struct, frozen=True, gc=False):
    namespace: str
    name: str
    image_pull_secrets: tuple[str, ...]


class SecretRecord(msgspec.Struct, frozen=True, gc=False):
    namespace: str
    name: str
    type: str
    created: float | None
    last_rotated: float | None
    data_digest: str
    """Keyed hash of the data: tells a rotation apart from a metadata-only update."""
    credentials: tuple[Credential, ...]
    problems: frozenset[Problem]


class EventRecord(msgspec.Struct, frozen=True, gc=False):
    uid: str
    namespace: str
    pod: str
    reason: str
    cause: str
    registry: str
    count: int
    """The Event's own ``series.count`` or ``count``: how often kubelet saw it."""


class OtherSecretRecord(msgspec.Struct, frozen=True, gc=False):
    """A secret of a type kubelet ignores for pulls; only its name is known (metadata only)."""

    namespace: str
    name: str
