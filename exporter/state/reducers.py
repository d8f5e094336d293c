"""Pure functions from a decoded API object (and the previous record) to a compact record.

A reducer returns ``None`` for an object the exporter does not keep. The objects come from
:mod:`exporter.kube.decoding`, where a field of the wrong type already reads as absent;
reducers still bound every string they keep (names, images, messages).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from operator import attrgetter
from typing import Any, Generic, TypeVar

from exporter.credentials import parse_pull_secret
from exporter.kube.types import (
    ContainerSpec,
    ContainerStatus,
    Event,
    LocalObjectReference,
    Named,
    ObjectMeta,
    PartialObjectMetadata,
    Pod,
    PodStatus,
    Secret,
    ServiceAccount,
)
from exporter.pullerrors import PULL_WAITING_REASONS, classify, pull_failure_event
from exporter.state import interning
from exporter.state.records import (
    ContainerKind,
    ContainerRecord,
    EventRecord,
    OtherSecretRecord,
    PodRecord,
    SecretRecord,
    ServiceAccountRecord,
)
from exporter.state.timestamps import parse_rfc3339

Clock = Callable[[], float]
T = TypeVar("T")
MAX_NAME = 253  # DNS subdomain names; anything longer is not a real object name
MAX_MESSAGE = 4096
# Real pods have a handful of containers; a hostile one with thousands must not hold the
# event loop (the API's object size limit allows ~10k): the rest are not looked at.
MAX_CONTAINERS = 256
# The cache of running containers' records holds images this long at most: real ones are
# far shorter, and 65,536 hostile 4 KiB images would keep 270 MB after their pods are gone.
MAX_CACHED_IMAGE = 512
MAX_EVENT_COUNT = 2**31 - 1  # Event.count is an int32; JSON may bring 4300 digits
UNKNOWN_REGISTRY = interning.UNKNOWN_REGISTRY
_DIGEST_KEY = os.urandom(32)  # per process: the digest reveals nothing across restarts


class _ByDigest(Generic[T]):
    """A pure function of (reason, message), remembered for the last ``kept`` inputs.

    Replicas of one deployment repeat the same waiting message and the same kubelet
    event text, so each is classified once. Keyed by a digest, not the text: messages are
    cluster data that must not be kept beyond the record.
    """

    def __init__(self, compute: Callable[[str, str], T], kept: int = 1024) -> None:
        self._compute = compute
        self._kept = kept
        self._results: OrderedDict[bytes, T] = OrderedDict()

    def __call__(self, reason: str, message: str) -> T:
        text = f"{reason}\0{message}".encode(errors="replace")
        digest = hashlib.blake2b(text, digest_size=16, key=_DIGEST_KEY).digest()
        try:
            return self._results[digest]
        except KeyError:
            result = self._results[digest] = self._compute(reason, message)
            if len(self._results) > self._kept:
                self._results.popitem(last=False)
            return result


_waiting_cause = _ByDigest(lambda reason, message: classify(message, reason=reason).cause.value)
_pull_failure_event = _ByDigest(pull_failure_event)


def key_by_name(obj: Named) -> Hashable | None:
    """``(namespace, name)``, the identity pods, secrets and service accounts are joined by."""
    meta = obj.metadata
    name = meta.name[:MAX_NAME]
    return (meta.namespace[:MAX_NAME], name) if name else None


def key_by_uid(obj: Event) -> Hashable | None:
    """The object's UID: events are counted per UID, so a recreated name counts anew."""
    return obj.metadata.uid[:MAX_NAME] or None


def _names(refs: tuple[LocalObjectReference, ...]) -> tuple[str, ...]:
    return tuple(interning.text(ref.name[:MAX_NAME]) for ref in refs if ref.name)


def make_pod_reducer(
    clock: Clock = time.time,
) -> Callable[[Pod, PodRecord | None], PodRecord]:
    """A reducer for pods; ``clock`` stamps when a container was first seen waiting."""

    def reduce_pod(pod: Pod, old: PodRecord | None) -> PodRecord:
        meta, spec, status = pod.metadata, pod.spec, pod.status
        waiting = _waiting_containers(status)
        containers: list[ContainerRecord] = []
        for kind, specs_of, _ in _CONTAINER_FIELDS:
            specs: tuple[ContainerSpec, ...] = specs_of(spec)
            if not specs:  # init and ephemeral containers, in most pods
                continue
            for c in specs[:MAX_CONTAINERS]:
                name = c.name[:MAX_NAME]
                image = c.image[:MAX_MESSAGE]
                state = waiting.get((kind, name)) if waiting else None
                if state is None:
                    # Nearly every container: one shared record per (kind, name, image).
                    containers.append(_running(kind, name, image))
                else:
                    containers.append(
                        _waiting_container(kind, name, image, state, old=old, status=status)
                    )
        account = (spec.serviceAccountName or spec.serviceAccount)[:MAX_NAME]
        return PodRecord(
            namespace=interning.text(meta.namespace[:MAX_NAME]),
            name=meta.name[:MAX_NAME],
            service_account=interning.text(account or "default"),
            image_pull_secrets=_names(spec.imagePullSecrets),
            containers=tuple(containers),
        )

    def _waiting_container(
        kind: ContainerKind,
        name: str,
        image: str,
        waiting: tuple[str, str],
        *,
        old: PodRecord | None,
        status: PodStatus,
    ) -> ContainerRecord:
        reason, message = waiting
        image = interning.text(image)
        before = (
            next((c for c in old.containers if (c.kind, c.name) == (kind, name)), None)
            if old
            else None
        )
        # Kept while the container keeps waiting: ErrImagePull and ImagePullBackOff
        # alternate for one and the same outage. Seen for the first time (e.g. after a
        # restart), the pod's condition says since when.
        if before and before.waiting_since:
            since = before.waiting_since
        else:
            since = _not_ready_since(status).get(kind) or clock()
        cause = None
        if reason in PULL_WAITING_REASONS:
            cause = _waiting_cause(reason, message)
            # Older kubelets alternate ErrImagePull (the error) with a bare
            # "Back-off pulling image": the outage keeps the cause of its error.
            if cause == "backoff" and before and before.image == image:
                cause = before.pull_cause or cause
        return interning.record(
            ContainerRecord(
                name=interning.text(name),
                kind=kind,
                image=image,
                registry=interning.registry_for(image),
                waiting_reason=interning.text(reason),
                pull_cause=cause,
                waiting_since=since,
            )
        )

    return reduce_pod


def _running(kind: ContainerKind, name: str, image: str) -> ContainerRecord:
    """The record of a container that is not waiting, shared by every replica (cached
    unless its image is too long to be worth keeping)."""
    if len(image) <= MAX_CACHED_IMAGE:
        return _running_cached(kind, name, image)
    return _running_record(kind, name, image)


def _running_record(kind: ContainerKind, name: str, image: str) -> ContainerRecord:
    image = interning.text(image)
    return interning.record(
        ContainerRecord(interning.text(name), kind, image, interning.registry_for(image))
    )


_running_cached = lru_cache(maxsize=65536)(_running_record)


def _waiting_containers(
    status: PodStatus,
) -> dict[tuple[ContainerKind, str], tuple[str, str]]:
    """``(reason, message)`` of each waiting container, by (kind, name); usually empty.

    For a name listed twice, the last status counts, as it would in a dict by name.
    """
    found: dict[tuple[ContainerKind, str], tuple[str, str]] = {}
    for kind, _, statuses_of in _CONTAINER_FIELDS:
        statuses: tuple[ContainerStatus, ...] = statuses_of(status)
        for entry in statuses:
            waiting = entry.state.waiting
            if waiting is not None:
                found[(kind, entry.name[:MAX_NAME])] = (
                    waiting.reason[:128],
                    waiting.message[:MAX_MESSAGE],
                )
            elif found:
                found.pop((kind, entry.name[:MAX_NAME]), None)
    return found


_CONTAINER_FIELDS: tuple[tuple[ContainerKind, attrgetter[Any], attrgetter[Any]], ...] = (
    ("init", attrgetter("initContainers"), attrgetter("initContainerStatuses")),
    ("regular", attrgetter("containers"), attrgetter("containerStatuses")),
    ("ephemeral", attrgetter("ephemeralContainers"), attrgetter("ephemeralContainerStatuses")),
)
"""Each kind of container: its specs in ``PodSpec``, its statuses in ``PodStatus``."""


_CONDITION_OF_KIND: dict[str, ContainerKind] = {
    "Initialized": "init",
    "ContainersReady": "regular",
}


def _not_ready_since(status: PodStatus) -> dict[ContainerKind, float]:
    """When the pod's init / regular containers last stopped being ready, per kind."""
    since: dict[ContainerKind, float] = {}
    for condition in status.conditions:
        kind = _CONDITION_OF_KIND.get(condition.type)
        when = parse_rfc3339(condition.lastTransitionTime)
        if kind and condition.status == "False" and when is not None:
            since[kind] = when
    return since


def reduce_service_account(
    sa: ServiceAccount, old: ServiceAccountRecord | None
) -> ServiceAccountRecord:
    return ServiceAccountRecord(
        namespace=sa.metadata.namespace[:MAX_NAME],
        name=sa.metadata.name[:MAX_NAME],
        image_pull_secrets=_names(sa.imagePullSecrets),
    )


def make_secret_reducer(
    clock: Clock = time.time,
) -> Callable[[Secret, SecretRecord | None], SecretRecord]:
    """A reducer for secrets: keeps derived facts, drops the data itself."""

    def reduce_secret(secret: Secret, old: SecretRecord | None) -> SecretRecord:
        meta = secret.metadata
        digest = _digest(secret.data.items())
        created = parse_rfc3339(meta.creationTimestamp)
        written = _data_write_time(meta)
        if old is None:
            rotated = written or created
        elif digest != old.data_digest:
            # The API's word when it has one, so that a restart usually reports the same
            # time (not when the data's manager has since written only metadata: its
            # managedFields time moved with that write); else we saw it now.
            rotated = written if written is not None else clock()
        else:
            rotated = old.last_rotated
        secret_type = secret.type[:256] or "Opaque"
        parsed = parse_pull_secret(secret_type, secret.data, meta.annotations, now=clock())
        return SecretRecord(
            namespace=meta.namespace[:MAX_NAME],
            name=meta.name[:MAX_NAME],
            type=secret_type,
            created=created,
            last_rotated=rotated,
            data_digest=digest,
            credentials=parsed.credentials,
            problems=parsed.problems,
        )

    return reduce_secret


def _digest(items: Iterable[tuple[str, str]]) -> str:
    mac = hmac.new(_DIGEST_KEY, digestmod=hashlib.sha256)
    for key, value in sorted(items):
        mac.update(key.encode(errors="replace") + b"\0" + value.encode(errors="replace") + b"\0")
    return mac.hexdigest()[:16]


def _data_write_time(meta: ObjectMeta) -> float | None:
    """Latest managedFields time of a manager that owns the secret's data.

    An entry's time is its manager's last write to any field: a manager that owns the
    data and later changes only an annotation looks like a rotation (the API keeps no
    per-field time). A manager that never touched the data never counts.
    """
    latest: float | None = None
    for entry in meta.managedFields:
        fields = entry.fieldsV1
        if "f:data" in fields or "f:stringData" in fields:
            when = parse_rfc3339(entry.time)
            if when is not None and (latest is None or when > latest):
                latest = when
    return latest


def reduce_other_secret(
    obj: PartialObjectMetadata | Secret, old: OtherSecretRecord | None
) -> OtherSecretRecord:
    """Names of secrets that are not pull secrets (annotations may hold data: dropped)."""
    return OtherSecretRecord(obj.metadata.namespace[:MAX_NAME], obj.metadata.name[:MAX_NAME])


def reduce_event(event: Event, old: EventRecord | None) -> EventRecord | None:
    """Pull-failure events about pods; every other event is dropped at once."""
    involved = event.involvedObject
    reason = event.reason[:128]
    if involved is None or involved.kind != "Pod":
        return None
    classification = _pull_failure_event(reason, event.message[:MAX_MESSAGE])
    if classification is None:
        return None
    count = event.series.count if event.series is not None else event.count
    meta = event.metadata
    return EventRecord(
        uid=meta.uid[:MAX_NAME],
        namespace=meta.namespace[:MAX_NAME] or involved.namespace[:MAX_NAME],
        pod=involved.name[:MAX_NAME],
        reason=reason,
        cause=classification.cause.value,
        registry=classification.registry or UNKNOWN_REGISTRY,
        count=min(count, MAX_EVENT_COUNT) if count > 0 else 1,
    )
