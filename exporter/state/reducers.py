"""Pure functions from a raw API object (and the previous record) to a compact record.

A reducer returns ``None`` for an object the exporter does not keep. It never raises on
malformed input: a field of the wrong type reads as absent.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from typing import Generic, TypeVar, cast

from exporter.credentials import parse_pull_secret
from exporter.kube.types import (
    Event,
    ObjectMeta,
    RawObject,
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


def _str(value: object, limit: int = MAX_NAME) -> str:
    return value[:limit] if isinstance(value, str) else ""


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


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _meta(raw: RawObject) -> ObjectMeta:
    meta = raw.get("metadata")
    return cast(ObjectMeta, meta) if isinstance(meta, dict) else ObjectMeta()


def key_by_name(raw: RawObject) -> Hashable | None:
    """``(namespace, name)``, the identity pods, secrets and service accounts are joined by."""
    meta = _meta(raw)
    name = _str(meta.get("name"))
    return (_str(meta.get("namespace")), name) if name else None


def key_by_uid(raw: RawObject) -> Hashable | None:
    """The object's UID: events are counted per UID, so a recreated name counts anew."""
    return _str(_meta(raw).get("uid")) or None


def _names(refs: object) -> tuple[str, ...]:
    if not isinstance(refs, list):
        return ()
    names = []
    for ref in refs:
        if isinstance(ref, dict) and (name := _str(ref.get("name"))):
            names.append(interning.text(name))
    return tuple(names)


def make_pod_reducer(
    clock: Clock = time.time,
) -> Callable[[RawObject, PodRecord | None], PodRecord]:
    """A reducer for pods; ``clock`` stamps when a container was first seen waiting."""

    def reduce_pod(raw: RawObject, old: PodRecord | None) -> PodRecord:
        meta = _meta(raw)
        spec, status = _dict(raw.get("spec")), _dict(raw.get("status"))
        waiting = _waiting_containers(status)
        containers: list[ContainerRecord] = []
        for kind, spec_key, _ in _CONTAINER_FIELDS:
            specs = spec.get(spec_key)
            if not specs:  # init and ephemeral containers, in most pods
                continue
            for c in _dicts(specs)[:MAX_CONTAINERS]:
                name = _str(c.get("name"))
                image = _str(c.get("image"), MAX_MESSAGE)
                state = waiting.get((kind, name)) if waiting else None
                if state is None:
                    # Nearly every container: one shared record per (kind, name, image).
                    containers.append(_running(kind, name, image))
                else:
                    containers.append(
                        _waiting_container(kind, name, image, state, old=old, status=status)
                    )
        account = _str(spec.get("serviceAccountName") or spec.get("serviceAccount"))
        return PodRecord(
            namespace=interning.text(_str(meta.get("namespace"))),
            name=_str(meta.get("name")),
            service_account=interning.text(account or "default"),
            image_pull_secrets=_names(spec.get("imagePullSecrets")),
            containers=tuple(containers),
        )

    def _waiting_container(
        kind: ContainerKind,
        name: str,
        image: str,
        waiting: tuple[str, str],
        *,
        old: PodRecord | None,
        status: dict[str, object],
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
    status: dict[str, object],
) -> dict[tuple[ContainerKind, str], tuple[str, str]]:
    """``(reason, message)`` of each waiting container, by (kind, name); usually empty.

    For a name listed twice, the last status counts, as it would in a dict by name.
    """
    found: dict[tuple[ContainerKind, str], tuple[str, str]] = {}
    for kind, _, status_key in _CONTAINER_FIELDS:
        statuses = status.get(status_key)
        if not isinstance(statuses, list):
            continue
        for entry in statuses:
            if not isinstance(entry, dict):
                continue
            state = entry.get("state")
            waiting = state.get("waiting") if isinstance(state, dict) else None
            if isinstance(waiting, dict):
                reason = _str(waiting.get("reason"), 128)
                found[(kind, _str(entry.get("name")))] = (
                    reason,
                    _str(waiting.get("message"), MAX_MESSAGE),
                )
            elif found:
                found.pop((kind, _str(entry.get("name"))), None)
    return found


_CONTAINER_FIELDS: tuple[tuple[ContainerKind, str, str], ...] = (
    ("init", "initContainers", "initContainerStatuses"),
    ("regular", "containers", "containerStatuses"),
    ("ephemeral", "ephemeralContainers", "ephemeralContainerStatuses"),
)


_CONDITION_OF_KIND: dict[str, ContainerKind] = {
    "Initialized": "init",
    "ContainersReady": "regular",
}


def _not_ready_since(status: dict[str, object]) -> dict[ContainerKind, float]:
    """When the pod's init / regular containers last stopped being ready, per kind."""
    since: dict[ContainerKind, float] = {}
    for condition in _dicts(status.get("conditions")):
        kind = _CONDITION_OF_KIND.get(_str(condition.get("type")))
        when = parse_rfc3339(condition.get("lastTransitionTime"))
        if kind and condition.get("status") == "False" and when is not None:
            since[kind] = when
    return since


def reduce_service_account(
    raw: RawObject, old: ServiceAccountRecord | None
) -> ServiceAccountRecord:
    sa = cast(ServiceAccount, raw)
    meta = _meta(raw)
    return ServiceAccountRecord(
        namespace=_str(meta.get("namespace")),
        name=_str(meta.get("name")),
        image_pull_secrets=_names(sa.get("imagePullSecrets")),
    )


def make_secret_reducer(
    clock: Clock = time.time,
) -> Callable[[RawObject, SecretRecord | None], SecretRecord]:
    """A reducer for secrets: keeps derived facts, drops the data itself."""

    def reduce_secret(raw: RawObject, old: SecretRecord | None) -> SecretRecord:
        secret = cast(Secret, raw)
        meta = _meta(raw)
        data = _dict(raw.get("data"))
        digest = _digest(data.items())
        created = parse_rfc3339(meta.get("creationTimestamp"))
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
        annotations = _dict(meta.get("annotations"))
        secret_type = _str(secret.get("type"), 256) or "Opaque"
        parsed = parse_pull_secret(
            secret_type,
            {str(k): v for k, v in data.items() if isinstance(v, str)},
            {str(k): v for k, v in annotations.items() if isinstance(v, str)},
            now=clock(),
        )
        return SecretRecord(
            namespace=_str(meta.get("namespace")),
            name=_str(meta.get("name")),
            type=secret_type,
            created=created,
            last_rotated=rotated,
            data_digest=digest,
            credentials=parsed.credentials,
            problems=parsed.problems,
        )

    return reduce_secret


def _digest(items: Iterable[tuple[str, object]]) -> str:
    mac = hmac.new(_DIGEST_KEY, digestmod=hashlib.sha256)
    for key, value in sorted((str(k), str(v)) for k, v in items):
        mac.update(key.encode(errors="replace") + b"\0" + value.encode(errors="replace") + b"\0")
    return mac.hexdigest()[:16]


def _data_write_time(meta: ObjectMeta) -> float | None:
    """Latest managedFields time of a manager that owns the secret's data.

    An entry's time is its manager's last write to any field: a manager that owns the
    data and later changes only an annotation looks like a rotation (the API keeps no
    per-field time). A manager that never touched the data never counts.
    """
    latest: float | None = None
    for entry in _dicts(meta.get("managedFields")):
        fields = entry.get("fieldsV1")
        if isinstance(fields, dict) and ("f:data" in fields or "f:stringData" in fields):
            when = parse_rfc3339(entry.get("time"))
            if when is not None and (latest is None or when > latest):
                latest = when
    return latest


def reduce_other_secret(raw: RawObject, old: OtherSecretRecord | None) -> OtherSecretRecord:
    """Names of secrets that are not pull secrets (annotations may hold data: dropped)."""
    meta = _meta(raw)
    return OtherSecretRecord(_str(meta.get("namespace")), _str(meta.get("name")))


def reduce_event(raw: RawObject, old: EventRecord | None) -> EventRecord | None:
    """Pull-failure events about pods; every other event is dropped at once."""
    event = cast(Event, raw)
    involved = event.get("involvedObject")
    reason = _str(event.get("reason"), 128)
    if not isinstance(involved, dict) or involved.get("kind") != "Pod":
        return None
    classification = _pull_failure_event(reason, _str(event.get("message"), MAX_MESSAGE))
    if classification is None:
        return None
    series = event.get("series")
    count = series.get("count") if isinstance(series, dict) else event.get("count")
    meta = _meta(raw)
    return EventRecord(
        uid=_str(meta.get("uid")),
        namespace=_str(meta.get("namespace")) or _str(involved.get("namespace")),
        pod=_str(involved.get("name")),
        reason=reason,
        cause=classification.cause.value,
        registry=classification.registry or UNKNOWN_REGISTRY,
        count=min(count, MAX_EVENT_COUNT) if isinstance(count, int) and count > 0 else 1,
    )
