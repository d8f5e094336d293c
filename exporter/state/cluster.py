"""The cluster as the exporter knows it: one store per resource plus watch health."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from exporter.kube.reflector import ReflectorStatus, Sink, WatchTarget
from exporter.kube.types import Event, PartialObjectMetadata, Pod, Secret, ServiceAccount
from exporter.state import reducers
from exporter.state.failures import FailureCounter
from exporter.state.records import (
    EventRecord,
    OtherSecretRecord,
    PodRecord,
    SecretRecord,
    ServiceAccountRecord,
)
from exporter.state.sharding import Shard, ShardedSink
from exporter.state.store import ObjectStore

RESOURCES = ("pods", "events", "secrets", "serviceaccounts")
AnyStore = (
    ObjectStore[PodRecord]
    | ObjectStore[SecretRecord]
    | ObjectStore[ServiceAccountRecord]
    | ObjectStore[EventRecord]
    | ObjectStore[OtherSecretRecord]
)


@dataclass
class ClusterState:
    """Written only by reflectors (through the stores), read by the collector."""

    clock: Callable[[], float] = time.time
    shard: Shard = field(default_factory=Shard)
    pods: ObjectStore[PodRecord] = field(init=False)
    secrets: ObjectStore[SecretRecord] = field(init=False)
    serviceaccounts: ObjectStore[ServiceAccountRecord] = field(init=False)
    events: ObjectStore[EventRecord] = field(init=False)
    other_secrets: ObjectStore[OtherSecretRecord] = field(init=False)
    """Secrets of other types, by name only: a pod referencing one has a wrong_type secret."""
    secrets_elsewhere: ObjectStore[OtherSecretRecord] = field(init=False)
    """Pull secrets of namespaces other shards own, by name only (found_in_other_namespace)."""
    watches: list[tuple[str, ReflectorStatus]] = field(default_factory=list)
    failures: FailureCounter = field(default_factory=FailureCounter)

    def __post_init__(self) -> None:
        by_name = reducers.key_by_name
        self.pods = ObjectStore(reducers.make_pod_reducer(self.clock), by_name, Pod)
        self.secrets = ObjectStore(reducers.make_secret_reducer(self.clock), by_name, Secret)
        self.serviceaccounts = ObjectStore(reducers.reduce_service_account, by_name, ServiceAccount)
        self.events = ObjectStore(reducers.reduce_event, reducers.key_by_uid, Event)
        self.events.add_listener(self.failures)
        names_only = PartialObjectMetadata
        self.other_secrets = ObjectStore(reducers.reduce_other_secret, by_name, names_only)
        self.secrets_elsewhere = ObjectStore(reducers.reduce_other_secret, by_name, names_only)

    def sink_for(self, target: WatchTarget) -> Sink:
        """A new sink for ``target``'s reflector: a partition of the store it feeds."""
        owned: Sink
        if target.resource == "secrets" and target.metadata_only:
            owned = self.other_secrets.partition()
        else:
            owned = self.store_for(target.resource).partition()
        if self.shard.count == 1:
            return owned
        elsewhere = None
        if target.resource == "secrets" and not target.metadata_only:
            elsewhere = self.secrets_elsewhere.partition()
        return ShardedSink(self.shard, owned, elsewhere)

    def store_for(self, resource: str) -> AnyStore:
        stores: dict[str, AnyStore] = {
            "pods": self.pods,
            "secrets": self.secrets,
            "serviceaccounts": self.serviceaccounts,
            "events": self.events,
        }
        return stores[resource]

    def register_watch(self, resource: str) -> ReflectorStatus:
        """A status object for one more reflector of ``resource``."""
        status = ReflectorStatus()
        self.watches.append((resource, status))
        return status

    @property
    def synced(self) -> bool:
        """Every reflector has completed its first LIST (what ``/readyz`` reports)."""
        return bool(self.watches) and all(status.synced for _, status in self.watches)
