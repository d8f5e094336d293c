"""A read-only view of the cluster state for one scrape: the joins metrics need."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from exporter import __version__
from exporter.state.cluster import RESOURCES, ClusterState


@dataclass
class ClusterView:
    """Derived from :class:`ClusterState` at the start of a scrape; never mutated after."""

    state: ClusterState
    version: str = __version__
    series_dropped: Counter[str] = field(default_factory=Counter)

    def watch_health(self) -> dict[str, tuple[bool, float | None, Counter[str]]]:
        """Per resource: all its watches up, latest event time, restarts by reason."""
        health: dict[str, tuple[bool, float | None, Counter[str]]] = {}
        for resource, status in self.state.watches:
            up, last, restarts = health.get(resource, (True, None, Counter()))
            if status.last_event_time is not None:
                last = max(last or 0.0, status.last_event_time)
            health[resource] = (up and status.up, last, restarts + status.restarts)
        return health

    def object_counts(self) -> dict[str, int]:
        return {resource: len(self.state.store_for(resource)) for resource in RESOURCES}
