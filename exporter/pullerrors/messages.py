"""Reading kubelet pull messages: bounding the text, finding the image and its registry.

Kubelet quotes the image as written in the pod spec (``Failed to pull image "nginx": ...``);
the runtimes then repeat it in their own words: containerd fully normalised
(``failed to pull and unpack image "docker.io/library/nginx:latest"``), CRI-O's
containers/image as ``reading manifest TAG in REGISTRY/REPOSITORY``, dockershim and
cri-dockerd as ``pull access denied for NAME`` or a registry URL.

>>> find_image('Failed to pull image "nginx:1.27": rpc error: code = Unknown desc = ...')
('nginx:1.27', 'docker.io')
>>> find_image("reading manifest v1 in quay.io/acme/api: manifest unknown")
('quay.io/acme/api:v1', 'quay.io')
>>> find_image("no image here")
(None, None)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from exporter.images.reference import parse_image, registry_of

# Kubelet messages are a few hundred bytes; the cap bounds regex work on hostile input.
MAX_INSPECTED_CHARS = 8192
_HEAD_CHARS = 6144
# Images are short; a longer quoted token is not one, and the bound keeps scans linear.
_IMAGE = r'\\*"([^"\\\s]{1,512})\\*"'

# Ordered by trust: kubelet's spelling first (it is the pod spec's), then the runtimes'.
_QUOTED_IMAGE = re.compile(
    r"(?:failed to pull image|back-off pulling image|pulling image|container image"
    r"|failed to inspect image|failed to apply default image tag"
    r"|failed to pull and unpack image|failed to resolve reference|failed to resolve image"
    r"|failed to get image|short-name)\s+" + _IMAGE,
    re.IGNORECASE,
)
_UNQUOTED_IMAGE = re.compile(
    r"image pull failed for ([^\s,\"]{1,512})"  # kubelet ErrRegistryUnavailable
    r"|pull access denied for ([^\s,\"]{1,512}), repository"  # dockershim / cri-dockerd
    r"|manifest for ([^\s\"]{1,512}) not found"  # dockershim / cri-dockerd
    r"|docker://([^\s\"]{1,512}?):?(?:\s|$)",  # containers/image "initializing source"
    re.IGNORECASE,
)
# containers/image: reading manifest <tag or digest> in <registry>/<repository>: <error>
_READING_MANIFEST = re.compile(
    r"reading manifest ([\w][\w.:-]{0,127}) in ([^\s\"]{1,512}?):?(?:\s|$)", re.IGNORECASE
)
# A registry URL: https://HOST/v2/REPOSITORY/manifests/REFERENCE (or only the host).
_REGISTRY_URL = re.compile(
    r"https?://([A-Za-z0-9.\-\[\]:]{1,255})/v2/(?:([^\s\"?]{1,512}?)/manifests/"
    r"((?:[A-Za-z][A-Za-z0-9+._-]{0,31}:)?[^\s\"/?:]{1,255}))?",
    re.IGNORECASE,
)
_PINGING = re.compile(r"pinging (?:container|docker) registry ([A-Za-z0-9.\-:]{1,255})", re.I)
# Quoted no-space tokens are images or URLs: a repository called "denied" must not decide.
_QUOTED_TOKEN = re.compile(r'\\*"[^"\\\s]{1,512}\\*"')


def bounded(message: str) -> str:
    """The part of ``message`` worth inspecting: all of it, or its head and tail.

    >>> len(bounded("x" * 100_000)) <= MAX_INSPECTED_CHARS + 1
    True
    """
    if len(message) <= MAX_INSPECTED_CHARS:
        return message
    tail = MAX_INSPECTED_CHARS - _HEAD_CHARS
    return f"{message[:_HEAD_CHARS]}\n{message[-tail:]}"


def without_quoted_tokens(text: str) -> str:
    """``text`` with quoted images and URLs blanked, so their spelling cannot pick a cause.

    >>> without_quoted_tokens('Back-off pulling image "ghcr.io/acme/denied:1"')
    'Back-off pulling image ""'
    """
    return _QUOTED_TOKEN.sub('""', text)


def _candidates(text: str) -> Iterator[str]:
    for match in _QUOTED_IMAGE.finditer(text):
        yield match.group(1)
    for match in _UNQUOTED_IMAGE.finditer(text):
        yield next(group for group in match.groups() if group)
    for match in _READING_MANIFEST.finditer(text):
        reference, repository = match.groups()
        separator = "@" if ":" in reference else ":"  # sha256:... is a digest, not a tag
        yield f"{repository}{separator}{reference}"
    for match in _REGISTRY_URL.finditer(text):
        host, repository, reference = match.groups()
        if repository and reference:
            separator = "@" if ":" in reference else ":"
            yield f"{host}/{repository}{separator}{reference}"


def _registry_host(host: str) -> str | None:
    """A bare host (``registry-1.docker.io``) as the registry kubelet would name it."""
    if "." not in host and ":" not in host and host != "localhost":
        return None  # "myregistry/x" would read as a Docker Hub namespace
    return registry_of(f"{host}/probe")


def find_image(text: str) -> tuple[str | None, str | None]:
    """The first valid image reference in a message and its normalised registry host.

    The image keeps the message's spelling (``nginx``); the registry is normalised the
    way kubelet matches credentials (``docker.io``). Without an image, a registry URL or
    ``pinging container registry HOST`` still names the registry.

    >>> find_image('Back-off pulling image "localhost:5000/app@sha256:' + "a" * 64 + '"')[1]
    'localhost:5000'
    >>> find_image('Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout')
    (None, 'docker.io')
    """
    for candidate in _candidates(text):
        reference = parse_image(candidate)
        if reference is not None:
            return candidate, reference.registry
    for pattern in (_PINGING, _REGISTRY_URL):
        for match in pattern.finditer(text):
            registry = _registry_host(match.group(1))
            if registry is not None:
                return None, registry
    return None, None
