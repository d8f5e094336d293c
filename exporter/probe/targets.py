"""Which probes a round makes: one per distinct (credential, registry key), deduplicated
across secrets, aimed at an image that pods using the credential actually run.

>>> api_host("docker.io"), api_host("ghcr.io")
('registry-1.docker.io', 'ghcr.io')
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from exporter.credentials import Credential, key_matches
from exporter.credentials.registry_keys import DEFAULT_REGISTRY_KEY
from exporter.images.reference import DOCKER_HUB, parse_image
from exporter.probe.settings import ProbeSettings
from exporter.state.cluster import ClusterState
from exporter.state.joins import pod_secret_refs

SecretKey = tuple[str, str]
"""(namespace, secret name)."""
ResultKey = tuple[str, str, str]
"""(namespace, secret name, registry key): what a result is published under."""

# Docker Hub's registry API lives on another host than its name and key.
_API_HOSTS = {DOCKER_HUB: "registry-1.docker.io", DEFAULT_REGISTRY_KEY: "registry-1.docker.io"}


def api_host(host: str) -> str:
    """The host serving the registry API for a registry host or key."""
    return _API_HOSTS.get(host, host)


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """One probe of a round. Holds no secret: the login is fetched when it runs."""

    fingerprint: str
    """The credential's fingerprint (equal credentials, one probe)."""
    registry: str
    """The registry key of the credential, as in ``imagepull_credential_info``."""
    host: str
    """The registry host probed, as images name it (``docker.io``, ``ghcr.io``)."""
    repository: str | None
    """A repository pods using the credential run from it; ``None`` when none does."""
    reference: str | None
    """That image's tag or digest (for the manifest HEAD)."""
    secrets: tuple[SecretKey, ...]
    """Every secret holding the credential under this key, sorted."""

    @property
    def result_keys(self) -> tuple[ResultKey, ...]:
        return tuple((namespace, name, self.registry) for namespace, name in self.secrets)


@dataclass
class _Group:
    secrets: list[SecretKey] = field(default_factory=list)
    images: Counter[str] = field(default_factory=Counter)


def _first_per_key(credentials: tuple[Credential, ...]) -> list[Credential]:
    """The credential kubelet's keyring keeps for each registry key (the first)."""
    seen: dict[str, Credential] = {}
    for credential in credentials:
        seen.setdefault(credential.registry, credential)
    return list(seen.values())


def _groups(state: ClusterState) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for secret in state.secrets:
        for credential in _first_per_key(secret.credentials):
            group = groups.setdefault((credential.fingerprint, credential.registry), _Group())
            group.secrets.append((secret.namespace, secret.name))
    for pod, names in pod_secret_refs(state):
        for name in names:
            referenced = state.secrets.get((pod.namespace, name))
            if referenced is None:
                continue
            for credential in _first_per_key(referenced.credentials):
                group = groups[(credential.fingerprint, credential.registry)]
                for container in pod.containers:
                    if key_matches(credential.registry, container.image):
                        group.images[container.image] += 1
    return groups


def _target(fingerprint: str, registry: str, group: _Group) -> ProbeTarget | None:
    # The image most pods run, ties broken by name: stable from round to round.
    for image, _ in sorted(group.images.items(), key=lambda item: (-item[1], item[0])):
        ref = parse_image(image)
        if ref is not None:
            return ProbeTarget(
                fingerprint,
                registry,
                ref.registry,
                ref.repository,
                ref.digest or ref.tag,
                tuple(sorted(set(group.secrets))),
            )
    host = registry.partition("/")[0]
    if "*" in host:
        return None  # a glob key names no host until a pod's image does
    return ProbeTarget(fingerprint, registry, host, None, None, tuple(sorted(set(group.secrets))))


def plan_round(state: ClusterState, settings: ProbeSettings) -> list[ProbeTarget]:
    """The probes of one round, sorted by registry and fingerprint.

    Only the first credential of each registry key in a secret is probed (the one the
    credential metrics describe); keys that the allow/deny lists exclude are left out.
    """
    targets = []
    for (fingerprint, registry), group in _groups(state).items():
        target = _target(fingerprint, registry, group)
        if target is not None and settings.allows(target.registry, target.host):
            targets.append(target)
    targets.sort(key=lambda t: (t.host, t.registry, t.fingerprint))
    return targets
