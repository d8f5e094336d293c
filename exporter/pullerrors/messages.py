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
# Each pattern runs only when its keyword is in the text: a plain substring test is far
# cheaper than trying a regex alternation at every position of a long message.
_QUOTED_KEYWORDS = (
    "failed to pull image",
    "back-off pulling image",
    "container image",
    "failed to inspect image",
    "failed to apply default image tag",
    "pulling image",
    "failed to pull and unpack image",
    "failed to resolve reference",
    "failed to resolve image",
    "failed to get image",
    "short-name",
)
_QUOTED_IMAGE = tuple(
    (keyword, re.compile(re.escape(keyword) + r"\s+" + _IMAGE, re.IGNORECASE))
    for keyword in _QUOTED_KEYWORDS
)
_UNQUOTED_IMAGE = (
    # kubelet ErrRegistryUnavailable
    ("image pull failed for", re.compile(r"image pull failed for ([^\s,\"]{1,512})", re.I)),
    # dockershim / cri-dockerd
    ("pull access denied for", re.compile(r"pull access denied for ([^\s,\"]{1,512}), repo", re.I)),
    ("manifest for", re.compile(r"manifest for ([^\s\"]{1,512}) not found", re.I)),
    # containers/image "initializing source docker://REFERENCE: ..."
    ("docker://", re.compile(r"docker://([^\s\"]{1,512}?):?(?:\s|$)", re.I)),
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
    lowered = text.lower()
    for keyword, pattern in (*_QUOTED_IMAGE, *_UNQUOTED_IMAGE):
        if keyword in lowered:
            for match in pattern.finditer(text):
                yield match.group(1)
    for match in _READING_MANIFEST.finditer(text) if "reading manifest" in lowered else ():
        reference, repository = match.groups()
        separator = "@" if ":" in reference else ":"  # sha256:... is a digest, not a tag
        yield f"{repository}{separator}{reference}"
    for match in _REGISTRY_URL.finditer(text) if "/v2/" in text else ():
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
    lowered = text.lower()
    for keyword, pattern in (("pinging", _PINGING), ("/v2/", _REGISTRY_URL)):
        for match in pattern.finditer(text) if keyword in lowered else ():
            registry = _registry_host(match.group(1))
            if registry is not None:
                return None, registry
    return None, None
