"""Image references, normalised the way the container runtime and kubelet read them.

Docker's reference grammar (distribution/reference ``ParseNormalizedNamed``): the part
before the first ``/`` is a registry host only when it contains ``.`` or ``:`` or is
``localhost``; otherwise the image lives on Docker Hub, and a single-component name gets
the ``library/`` prefix.

>>> parse_image("nginx")
ImageReference(registry='docker.io', repository='library/nginx', tag='latest', digest=None)
>>> parse_image("ghcr.io/acme/api:v2").registry
'ghcr.io'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
_LEGACY_HUB_HOSTS = frozenset({"index.docker.io", "registry-1.docker.io"})
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
# One DNS label; the host is labels joined by single dots. (A "(label.?)+" form backtracks
# exponentially on a long run of label characters: found by fuzzing, it froze the loop.)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(
    rf"^{_LABEL}(?:\.{_LABEL})*\.?(?::[0-9]+)?$"  # name[:port]
    r"|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$"  # [ipv6][:port]
)
MAX_REFERENCE_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A parsed image reference; ``repository`` has no registry host, tag or digest."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """``registry/repository``, the string kubelet's credential keyring matches."""
        return f"{self.registry}/{self.repository}"


def split_registry(name: str) -> tuple[str, str]:
    """Split a reference name into (registry host, remainder), Docker Hub by default.

    >>> split_registry("quay.io/prometheus/node-exporter")
    ('quay.io', 'prometheus/node-exporter')
    >>> split_registry("library/nginx")
    ('docker.io', 'library/nginx')
    """
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host = first.lower()
        if host in _LEGACY_HUB_HOSTS:
            host = DOCKER_HUB
        if host == DOCKER_HUB and "/" not in rest:
            rest = f"library/{rest}"
        return host, rest
    if not sep:
        return DOCKER_HUB, f"library/{name}"
    return DOCKER_HUB, name


def parse_image(image: str) -> ImageReference | None:
    """Parse an image reference; ``None`` when it is not a valid reference.

    >>> parse_image("registry.local:5000/team/app@sha256:" + "a" * 64).digest[:10]
    'sha256:aaa'
    >>> parse_image("UPPER/case") is None
    True
    """
    if not image or len(image) > MAX_REFERENCE_LENGTH or image != image.strip():
        return None
    remainder, _, digest = image.partition("@")
    if digest and not _DIGEST.match(digest):
        return None
    tag: str | None = None
    slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    if colon > slash:
        remainder, tag = remainder[:colon], remainder[colon + 1 :]
        if not _TAG.match(tag):
            return None
    registry, repository = split_registry(remainder)
    if not _HOST.match(registry) or not repository:
        return None
    if not all(_COMPONENT.match(part) for part in repository.split("/")):
        return None
    if tag is None and not digest:
        tag = "latest"
    return ImageReference(registry, repository, tag, digest or None)


def registry_of(image: str) -> str | None:
    """The registry host an image is pulled from, or ``None`` for an invalid reference.

    >>> registry_of("nginx:1.27")
    'docker.io'
    >>> registry_of("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1")
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com'
    """
    ref = parse_image(image)
    return ref.registry if ref else None
