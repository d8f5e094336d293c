"""A read-only view of the cluster state for one scrape: the joins metrics need."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

from exporter import __version__
from exporter.credentials import key_matches
from exporter.probe.results import ProbeResults
from exporter.state.cluster import RESOURCES, ClusterState
from exporter.state.failures import FailureKey
from exporter.state.joins import pod_secret_refs
from exporter.state.records import ContainerRecord, PodRecord, SecretRecord
from exporter.state.reducers import UNKNOWN_REGISTRY

# Pods share images and secrets share registry keys: each pair is matched once. Keys are
# Credential.registry, already normalised: normalising again would strip a second /v2/.
_matches = lru_cache(maxsize=65536)(key_matches)


class FailingContainer(NamedTuple):
    pod: PodRecord
    container: ContainerRecord


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on per-object series; what is over a cap is counted as dropped."""

    max_failing_containers: int = 2000
    """Series per failing container (``--max-failing-containers``)."""
    max_secret_series: int = 50000
    """Series per pull-secret and per-credential metric (``--max-secret-series``)."""


@dataclass
class ClusterView:
    """Derived from :class:`ClusterState` at the start of a scrape; never mutated after.

    A view of the whole cluster, or, made by :meth:`scoped`, of one namespace: every join
    a metric needs (a pod's secrets, its service account, the secrets' registries) stays
    inside a namespace, so each namespace's series can be computed, and cached, on their
    own. The one cross-namespace fact, which namespaces hold a secret of a given name
    (``found_in_other_namespace``), is computed once and shared by the scoped views.
    """

    state: ClusterState
    limits: Limits = field(default_factory=Limits)
    version: str = __version__
    series_dropped: Counter[str] = field(default_factory=Counter)
    probe: ProbeResults | None = None
    """The registry probe's results, when it runs (expiries it learnt, e.g. from GHCR)."""
    namespace: str | None = None
    """The one namespace this view sees; None: all of them."""
    parent: ClusterView | None = None

    _scoped: dict[str, ClusterView] = field(default_factory=dict, repr=False)
    covered: dict[tuple[tuple[str, ...], str], bool] = field(default_factory=dict, repr=False)
    """Whether registry keys cover an image, shared by the namespaces of one render."""
    _keys_cache: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = field(
        default_factory=dict, repr=False
    )

    def forget(self, namespace: str) -> None:
        """Drop the scoped view of ``namespace`` and what it computed."""
        self._scoped.pop(namespace, None)

    @cached_property
    def root(self) -> ClusterView:
        """The unscoped view (itself, or its parent's root): read once per pod and
        container in a render, so looked up once per view."""
        return self.parent.root if self.parent is not None else self

    def scoped(self, namespace: str) -> ClusterView:
        """The same view, restricted to ``namespace`` (one per namespace: families that
        read the same joins compute them once)."""
        view = self._scoped.get(namespace)
        if view is None:
            view = self._scoped[namespace] = ClusterView(
                self.state,
                self.limits,
                self.version,
                self.series_dropped,
                self.probe,
                namespace=namespace,
                parent=self,
            )
        return view

    def pods(self) -> Iterable[PodRecord]:
        state = self.state
        return state.pods if self.namespace is None else state.pods.in_namespace(self.namespace)

    @cached_property
    def secrets(self) -> list[SecretRecord]:
        """Pull secrets, sorted by namespace and name."""
        state = self.state
        secrets = (
            state.secrets if self.namespace is None else state.secrets.in_namespace(self.namespace)
        )
        return sorted(secrets, key=lambda s: (s.namespace, s.name))

    def failure_totals(self) -> list[tuple[FailureKey, int]]:
        """``imagepull_failures_total`` per (namespace, registry, reason, cause), sorted."""
        failures = self.state.failures
        if self.namespace is None:
            return sorted(failures.totals.items())
        return failures.in_namespace(self.namespace)

    @cached_property
    def failing_containers(self) -> list[FailingContainer]:
        """Containers waiting on an image pull, sorted by namespace, pod, container."""
        failing = [
            FailingContainer(pod, container)
            for pod in self.pods()
            for container in pod.containers
            if container.pull_cause is not None
        ]
        failing.sort(key=lambda f: (f.pod.namespace, f.pod.name, f.container.name))
        return failing

    @cached_property
    def pod_secret_refs(self) -> list[tuple[PodRecord, tuple[str, ...]]]:
        """Each pod with its pull secrets (see :func:`pod_secret_refs`)."""
        return pod_secret_refs(self.state, self.pods())

    @cached_property
    def referencing_pods(self) -> Counter[tuple[str, str]]:
        """Pods per referenced (namespace, secret), whether the secret exists or not."""
        counts: Counter[tuple[str, str]] = Counter()
        for pod, names in self.pod_secret_refs:
            for name in names:
                counts[(pod.namespace, name)] += 1
        return counts

    @cached_property
    def wrong_type_secrets(self) -> list[tuple[str, str]]:
        """Referenced (namespace, secret)s that exist with a type kubelet ignores for pulls."""
        return sorted(
            key
            for key in self.referencing_pods
            if self.state.secrets.get(key) is None and self.state.other_secrets.get(key)
        )

    @cached_property
    def _probe_expiries_by_namespace(self) -> dict[str, list[tuple[tuple[str, str, str], float]]]:
        grouped: dict[str, list[tuple[tuple[str, str, str], float]]] = {}
        if self.probe is not None:
            for key, expires_at in self.probe.expiries():
                grouped.setdefault(key[0], []).append((key, expires_at))
        return grouped

    def probe_expiries(self) -> list[tuple[tuple[str, str, str], float]]:
        """``((namespace, secret, registry), expiry)`` the probe learnt, in this view's
        namespace: grouped once on the root view, not gathered again per namespace."""
        grouped = self.root._probe_expiries_by_namespace
        if self.namespace is not None:
            return grouped.get(self.namespace, [])
        return [item for items in grouped.values() for item in items]

    @cached_property
    def secret_namespaces(self) -> dict[str, set[str]]:
        """Namespaces holding a pull secret of each name (all namespaces, even if scoped)."""
        if self.parent is not None:
            return self.parent.secret_namespaces
        found: dict[str, set[str]] = {}
        for secret in (*self.state.secrets, *self.state.secrets_elsewhere):
            found.setdefault(secret.name, set()).add(secret.namespace)
        return found

    @cached_property
    def uncovered_pods(self) -> Counter[tuple[str, str]]:
        """Pods per (namespace, image registry) whose pull secrets do not cover an image.

        Only pods that reference pull secrets count: a public image pulled without any
        secret is not uncovered. Pods share secret lists and images, so each secret list's
        registry keys are gathered once, and each (keys, image) pair is matched once.
        """
        counts: Counter[tuple[str, str]] = Counter()
        keys_of, covers = self._keys_of, self._covers
        for pod, names in self.pod_secret_refs:
            if not names:
                continue
            keys = keys_of(pod.namespace, names)
            registries = {
                c.registry
                for c in pod.containers
                if c.registry != UNKNOWN_REGISTRY and not covers(keys, c.image)
            }
            for registry in registries:
                counts[(pod.namespace, registry)] += 1
        return counts

    @cached_property
    def _secrets_of(self) -> dict[tuple[str, str], tuple[str, ...]]:
        return {(pod.namespace, pod.name): names for pod, names in self.pod_secret_refs}

    def coverage(self, pod: PodRecord, container: ContainerRecord) -> str:
        """Whether the pod's pull secrets cover the container's image under kubelet's
        matching rules: ``true``, ``false``, or ``none`` when the pod has no pull secret
        (a public image needs none)."""
        names = self._secrets_of.get((pod.namespace, pod.name), ())
        if not names:
            return "none"
        covered = self._covers(self._keys_of(pod.namespace, names), container.image)
        return "true" if covered else "false"

    def _covers(self, keys: tuple[str, ...], image: str) -> bool:
        """Whether any of ``keys`` covers ``image`` under kubelet's matching rules; each
        (keys, image) pair is matched once for the whole view."""
        covered = self.root.covered
        pair = (keys, image)
        match = covered.get(pair)
        if match is None:
            match = covered[pair] = any(_matches(k, image) for k in keys)
        return match

    def _keys_of(self, namespace: str, names: tuple[str, ...]) -> tuple[str, ...]:
        """The registry keys of the named pull secrets that exist in ``namespace``; pods
        share secret lists, so each list's keys are gathered once for this view."""
        keys = self._keys_cache.get((namespace, names))
        if keys is None:
            keys = self._keys_cache[(namespace, names)] = tuple(
                credential.registry
                for name in names
                if (secret := self.state.secrets.get((namespace, name))) is not None
                for credential in secret.credentials
            )
        return keys

    def watch_health(self) -> dict[str, tuple[bool, float | None, Counter[str]]]:
        """Per resource: all its watches up, latest event time, restarts by reason."""
        health: dict[str, tuple[bool, float | None, Counter[str]]] = {}
        for resource, status in self.state.watches:
            up, last, restarts = health.get(resource, (True, None, Counter()))
            if status.last_event_time is not None:
                last = max(last or 0.0, status.last_event_time)
            health[resource] = (up and status.up, last, restarts + status.restarts)
        return health

    def objects_skipped(self) -> Counter[str]:
        """Per resource: objects left out because applying them raised."""
        skipped: Counter[str] = Counter()
        for resource, status in self.state.watches:  # += 0 still lists the resource
            skipped[resource] += status.skipped
        return skipped

    def object_counts(self) -> dict[str, int]:
        return {resource: len(self.state.store_for(resource)) for resource in RESOURCES}
