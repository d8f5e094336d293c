"""Expiry declared by a secret's owner, for credentials that do not carry their own.

A GitHub PAT or a Docker Hub token is opaque, but whoever created it chose its expiry.
They can write it on the secret:

* ``imagepull-exporter/expires-at: "2026-03-01T00:00:00Z"`` for every registry;
* ``imagepull-exporter/expires-at.ghcr.io: ...`` for one registry (wins over the above);
* ``expiresAt`` (or ``expires_at``), which the external-secrets ECR generator's documented
  template writes from the generator's ``expires_at`` output (unix seconds).

Values are RFC 3339 with an offset, or unix seconds. A value that is neither, or is
implausibly far from now, is ignored: a typo never becomes a fake expiry.

>>> declared = read_declared_expiry(
...     {"imagepull-exporter/expires-at": "2030-01-01T00:00:00Z",
...      "imagepull-exporter/expires-at.ghcr.io": "1900000000"}, now=1_800_000_000.0)
>>> declared.for_registry("ghcr.io"), declared.for_registry("quay.io")
(1900000000.0, 1893456000.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.credentials.timestamps import parse_timestamp

EXPIRES_AT_ANNOTATION = "imagepull-exporter/expires-at"
EXPIRES_AT_REGISTRY_PREFIX = EXPIRES_AT_ANNOTATION + "."
#: Written by external-secrets ECRAuthorizationToken templates; earlier names win.
GENERATOR_EXPIRY_ANNOTATIONS = ("expiresAt", "expires_at")
# Annotation names cannot hold ":" or "/", and kubectl writes Docker Hub as
# index.docker.io; the names an owner would write for Docker Hub all mean the same key.
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def _lookup_name(registry: str) -> str:
    name = registry.lower()
    return "docker.io" if name in _DOCKER_HUB_ALIASES else name


@dataclass(frozen=True, slots=True)
class DeclaredExpiry:
    """Owner-declared expiries of one secret, unix seconds."""

    secret_wide: float | None = None
    by_registry: Mapping[str, float] = field(default_factory=dict)

    def for_registry(self, registry_key: str) -> float | None:
        """The declared expiry for a normalised registry key, if any.

        Keys with a port or path cannot be named in an annotation (Kubernetes forbids
        ``:`` and a second ``/`` in annotation names); they use the secret-wide value.
        """
        return self.by_registry.get(_lookup_name(registry_key), self.secret_wide)


def read_declared_expiry(annotations: Mapping[str, str], *, now: float) -> DeclaredExpiry:
    """Collect the expiry annotations of a secret; unreadable values are skipped."""
    secret_wide: float | None = None
    by_registry: dict[str, float] = {}
    for name in (*GENERATOR_EXPIRY_ANNOTATIONS[::-1], EXPIRES_AT_ANNOTATION):
        value = annotations.get(name)
        parsed = parse_timestamp(value, now=now) if isinstance(value, str) else None
        if parsed is not None:
            secret_wide = parsed  # later names in this loop have precedence
    for name, value in annotations.items():
        if not isinstance(name, str) or not name.startswith(EXPIRES_AT_REGISTRY_PREFIX):
            continue
        registry = name[len(EXPIRES_AT_REGISTRY_PREFIX) :]
        parsed = parse_timestamp(value, now=now) if isinstance(value, str) else None
        if registry and parsed is not None:
            by_registry[_lookup_name(registry)] = parsed
    return DeclaredExpiry(secret_wide, by_registry)
