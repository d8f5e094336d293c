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

The runtimes' repeats are unquoted (``docker.io/acme/x:1: not found``, ``reading manifest
1 in quay.io/acme/x``, ``manifest for acme/x:1 not found``), so the text the signals are
matched against has the found image's spellings blanked too (:func:`for_matching`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from exporter.images.reference import DOCKER_HUB, ImageReference, parse_image, registry_of

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
    # CRI-O internal/storage/image.go, short-name enforcement (its kubelet quote is "")
    ("image name", re.compile(r"image name ([^\s\"]{1,512}) returns ambiguous list", re.I)),
    # moby daemon/images: image with reference X was found but does not match the platform
    ("image with reference", re.compile(r"image with reference ([^\s\"]{1,512}) was found", re.I)),
)
# containers/image: reading manifest <tag or digest> in <registry>/<repository>: <error>
_READING_MANIFEST = re.compile(
    r"reading manifest ([\w][\w.:-]{0,127}) in ([^\s\"]{1,512}?):?(?:\s|$)", re.IGNORECASE
)
# containerd resolver.go: "docker.io/library/nginx:1.99: not found". containerd always
# normalises the name, so a one-word token before ": not found" ("bucket") is no image.
_CONTAINERD_NOT_FOUND = re.compile(r'(?<![^\s"])([^\s"]{1,512}): not found')
# A registry URL: https://HOST/v2/REPOSITORY/manifests/REFERENCE (or only the host).
_REGISTRY_URL = re.compile(
    r"https?://([A-Za-z0-9.\-\[\]:]{1,255})/v2/(?:([^\s\"?]{1,512}?)/manifests/"
    r"((?:[A-Za-z][A-Za-z0-9+._-]{0,31}:)?[^\s\"/?:]{1,255}))?",
    re.IGNORECASE,
)
# The host, with its port but not the colon that ends it ("pinging ... quay.io: Get").
_PINGING = re.compile(
    r"pinging (?:container|docker) registry ([A-Za-z0-9.\-]{1,253}(?::[0-9]{1,5})?)", re.I
)
# Quoted no-space tokens are images or URLs: a repository called "denied" must not decide.
_QUOTED_TOKEN = re.compile(r'\\*"[^"\\\s]{1,512}\\*"')
# An unquoted URL's path is a repository, its query a scope: blanked from "://" on (a
# literal first, so the scan is a fast substring search).
_URL_TAIL = re.compile(r'://[^\s"]{0,2048}')
# client-go's event correlator prefixes the message of an Event that aggregates more than
# 10 similar ones (tools/record/events_cache.go, EventAggregatorByReasonMessageFunc).
AGGREGATED_PREFIX = "(combined from similar events): "
# What may follow an image name in the runtimes' repeats: a tag and/or a digest.
_TAG = r"(?::[\w][\w.-]{0,127})"
_DIGEST = r"(?:@[a-z][a-z0-9]*(?:[+._-][a-z][a-z0-9]*)*:[0-9a-f]{32,256})"
# CRI-O names the tag on its own: "reading manifest TAG in REPOSITORY".
_READING_MANIFEST_TAG = re.compile(r"(?<=reading manifest )[\w][\w.:-]{0,127}(?= in )")
# Repository paths that are also words of a signal: never blanked ("i/o timeout").
_SIGNAL_PATHS = frozenset({"i/o", "input/output", "username/password"})


def bounded(message: str) -> str:
    """The part of ``message`` worth inspecting: all of it, or its head and tail.

    >>> len(bounded("x" * 100_000)) <= MAX_INSPECTED_CHARS + 1
    True
    """
    if len(message) <= MAX_INSPECTED_CHARS:
        return message
    tail = MAX_INSPECTED_CHARS - _HEAD_CHARS
    return f"{message[:_HEAD_CHARS]}\n{message[-tail:]}"


def without_aggregation_prefix(message: str) -> str:
    """``message`` without client-go's aggregation prefix, so it reads as kubelet wrote it.

    >>> without_aggregation_prefix('(combined from similar events): Failed to pull image "x"')
    'Failed to pull image "x"'
    """
    start = len(message) - len(message.lstrip())
    if message[start : start + len(AGGREGATED_PREFIX)].lower() == AGGREGATED_PREFIX:
        return message[start + len(AGGREGATED_PREFIX) :]
    return message


def without_quoted_tokens(text: str) -> str:
    """``text`` with quoted images and URLs blanked, so their spelling cannot pick a cause.

    >>> without_quoted_tokens('Back-off pulling image "ghcr.io/acme/denied:1"')
    'Back-off pulling image ""'
    """
    return _QUOTED_TOKEN.sub('""', text)


@lru_cache(maxsize=1024)  # replicas of a deployment repeat one image
def _spellings(spelled: str, reference: ImageReference) -> tuple[tuple[str, ...], ...]:
    """How the runtimes repeat an image, lower-cased: (paths, single-component names).

    ``acme/x:1`` is also ``docker.io/acme/x``; ``nginx`` is also ``docker.io/library/nginx``
    and ``library/nginx``.
    """
    name = spelled.partition("@")[0]
    if name.rfind(":") > name.rfind("/"):
        name = name[: name.rfind(":")]
    forms = {name.lower(), reference.name.lower(), reference.repository.lower()}
    if reference.registry == DOCKER_HUB:
        forms.add(reference.repository.lower().removeprefix("library/"))
    forms -= _SIGNAL_PATHS
    by_length = sorted(forms, key=len, reverse=True)
    return tuple(f for f in by_length if "/" in f), tuple(f for f in by_length if "/" not in f)


@lru_cache(maxsize=1024)
def _repeats(paths: tuple[str, ...], words: tuple[str, ...]) -> re.Pattern[str]:
    """The image's repeats as whole tokens. A one-word name (``denied``) is blanked only
    with a tag or digest after it: alone it may be the runtime's own word."""
    alternatives = []
    if paths:
        joined = "|".join(map(re.escape, paths))
        alternatives.append(rf"(?<![\w.-])(?:{joined}){_TAG}?{_DIGEST}?(?![\w/-])")
    if words:
        joined = "|".join(map(re.escape, words))
        alternatives.append(rf"(?<![\w./-])(?:{joined})(?:{_TAG}{_DIGEST}?|{_DIGEST})(?![\w/-])")
    return re.compile("|".join(alternatives))


def for_matching(text: str, image: tuple[str, ImageReference] | None = None) -> str:
    """``text`` lower-cased with what names the image blanked: quoted tokens, URLs, CRI-O's
    ``reading manifest TAG`` and the runtimes' unquoted repeats of ``image`` (as found,
    and its parsed reference).

    Repository names are free text: ``quay.io/acme/denied`` must not make a cause.

    >>> ref = parse_image("quay.io/acme/denied:1")
    >>> for_matching("reading manifest 1 in quay.io/acme/denied: manifest unknown",
    ...              ("quay.io/acme/denied:1", ref))
    'reading manifest  in : manifest unknown'
    """
    lowered = without_quoted_tokens(text).lower()
    if "://" in lowered:
        lowered = _URL_TAIL.sub("", lowered)
    if "reading manifest " in lowered:
        lowered = _READING_MANIFEST_TAG.sub("", lowered)
    if image is not None:
        paths, words = _spellings(*image)
        if any(form in lowered for form in (*paths, *words)):
            lowered = _repeats(paths, words).sub("", lowered)
    return lowered


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
    for match in _CONTAINERD_NOT_FOUND.finditer(text) if ": not found" in lowered else ():
        if "/" in match.group(1):
            yield match.group(1)
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


def find_reference(text: str) -> tuple[str, ImageReference] | None:
    """The first valid image reference in a message, as spelled there and parsed.

    >>> find_reference('Back-off pulling image "nginx"')[1].name
    'docker.io/library/nginx'
    """
    for candidate in _candidates(text):
        reference = parse_image(candidate)
        if reference is not None:
            return candidate, reference
    return None


def find_registry(text: str) -> str | None:
    """The registry a message names without an image: a registry URL or ``pinging``.

    >>> find_registry("pinging container registry quay.io: Get ...: EOF")
    'quay.io'
    """
    lowered = text.lower()
    for keyword, pattern in (("pinging", _PINGING), ("/v2/", _REGISTRY_URL)):
        for match in pattern.finditer(text) if keyword in lowered else ():
            registry = _registry_host(match.group(1))
            if registry is not None:
                return registry
    return None


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
    found = find_reference(text)
    if found is not None:
        return found[0], found[1].registry
    return None, find_registry(text)
