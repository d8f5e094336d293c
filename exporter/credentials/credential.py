"""What the exporter keeps of a pull secret: registry keys, kinds, times, fingerprints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from exporter.credentials.kinds import Kind
from exporter.credentials.problems import Problem

#: Where an expiry came from: decoded from the credential, or declared by its owner in an
#: annotation. ("probe", from a registry's answer, is added by the probe module.)
ExpirySource = Literal["token", "annotation", "probe"]


@dataclass(frozen=True, slots=True)
class Credential:
    """One registry entry of a pull secret, without its secret.

    ``registry`` is the key as kubelet's keyring stores it (scheme and ``/v1/``/``/v2/``
    dropped, port and path kept): ``"ghcr.io"``, ``"index.docker.io"`` (Docker Hub, as
    ``kubectl create secret docker-registry`` writes it), ``"registry.local:5000"``,
    ``"*.azurecr.io"``, ``"example.com/team"``. ``fingerprint`` is equal for equal
    credentials in one process and reveals nothing about them. ``problem`` is what is
    wrong with this entry itself (``invalid_base64``, ``invalid_json``,
    ``empty_credentials``), so a fix can replace just the entries that need it.
    """

    registry: str
    kind: Kind
    expires_at: float | None
    expiry_source: ExpirySource | None
    issued_at: float | None
    fingerprint: str
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class ParsedSecret:
    """The credentials of a pull secret and everything found wrong with it."""

    credentials: tuple[Credential, ...]
    problems: frozenset[Problem]

    @property
    def valid(self) -> bool:
        """No problem found (``imagepull_secret_valid``)."""
        return not self.problems
