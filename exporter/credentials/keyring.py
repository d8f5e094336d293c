"""Which registry keys kubelet would use for an image (pkg/credentialprovider/keyring.go).

kubelet's ``BasicDockerKeyring.Lookup`` compares every key with the image's normalised
name (``docker.io/library/nginx``: registry and repository, no tag) by ``URLsMatch``:

* ports must be equal (a key without a port never matches an image with one);
* host names must have the same number of dot-separated labels;
* each key label is a glob (``filepath.Match``: ``*`` matches within one label, so
  ``*.azurecr.io`` matches ``myreg.azurecr.io`` but not ``azurecr.io`` or ``a.b.azurecr.io``);
* the key's path must be a plain string prefix of the image's path (``/pong`` covers
  ``/pongz`` too, as kubelet's own tests record).

Matching keys are used in reverse lexical order (its index is sorted and reversed):
longer paths before their prefixes, concrete labels before ``*``. Only when no key
matches does kubelet fall back to the ``index.docker.io`` key for images it considers
Docker Hub ones (``isDefaultRegistryMatch``).

>>> registry_matches("*.azurecr.io", "myreg.azurecr.io/api:1")
True
>>> registry_matches("https://index.docker.io/v1/", "nginx")
True
>>> covering_keys(["quay.io", "quay.io/coreos", "ghcr.io"], "quay.io/coreos/etcd")
['quay.io/coreos', 'quay.io']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from exporter.credentials.registry_keys import (
    DEFAULT_REGISTRY_KEY,
    normalise_registry_key,
    split_host_port,
)
from exporter.images.reference import parse_image

_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io"})


@functools.lru_cache(maxsize=4096)
def _label_pattern(glob: str) -> re.Pattern[str]:
    # Registry keys cannot carry "?" or "[" past Go's URL parser, so "*" is the only
    # wildcard left of filepath.Match; a label has no "/" for "*" to stop at.
    return re.compile(".*".join(re.escape(part) for part in glob.split("*")), re.DOTALL)


def _split_url(schemeless: str) -> tuple[list[str], str, str]:
    authority, slash, path = schemeless.partition("/")
    host, port = split_host_port(authority)
    return host.split("."), port, slash + path


def urls_match(key: str, target: str) -> bool:
    """kubelet's ``URLsMatch`` of a normalised key against a schemeless image name.

    >>> urls_match("prefix.*.io:1111/foo", "prefix.kubernetes.io:1111/foo/bar")
    True
    >>> urls_match("*.kubernetes.io", "kubernetes.io")
    False
    """
    key_labels, key_port, key_path = _split_url(key)
    target_labels, target_port, target_path = _split_url(target)
    if key_port != target_port or len(key_labels) != len(target_labels):
        return False
    if not target_path.startswith(key_path):
        return False
    return all(
        _label_pattern(glob).fullmatch(label) is not None
        for glob, label in zip(key_labels, target_labels, strict=True)
    )


def is_default_registry_match(image_name: str) -> bool:
    """kubelet's ``isDefaultRegistryMatch``: would the Docker Hub key serve this name?

    kubelet asks of the first path component only "is it docker.io / index.docker.io,
    or free of '.' and ':'?", so ``localhost/app`` also gets the Docker Hub fallback.

    >>> is_default_registry_match("docker.io/library/nginx")
    True
    >>> is_default_registry_match("registry:5000/foo/bar")
    False
    """
    first, _, _ = image_name.partition("/")
    if not first:
        return False
    return first in _DOCKER_HUB_HOSTS or not any(c in first for c in ".:")


def _image_name(image: str) -> str | None:
    ref = parse_image(image)
    return ref.name if ref else None


def key_matches(key: str, image: str) -> bool:
    """:func:`registry_matches` for a key already normalised (``Credential.registry``).

    Normalising is not idempotent (kubelet strips one ``/v1/`` or ``/v2/``), so a stored
    key must not be normalised again: ``ghcr.io/v1/v2/x`` is kept as ``ghcr.io/v2/x``.

    >>> key_matches("ghcr.io/v2/x", "ghcr.io/v2/x/app")
    True
    >>> registry_matches("ghcr.io/v2/x", "ghcr.io/v2/x/app")  # normalised to ghcr.io/x
    False
    """
    target = _image_name(image)
    if target is None:
        return False
    if urls_match(key, target):
        return True
    return key == DEFAULT_REGISTRY_KEY and is_default_registry_match(target)


def registry_matches(key: str, image: str) -> bool:
    """Whether kubelet would offer the credential stored under ``key`` for ``image``.

    ``key`` may be raw (``https://ghcr.io``) or normalised; ``image`` is a pod's image
    reference. The Docker Hub fallback is included: of all keys of a pod, kubelet uses
    it only when no other key matches (see ``covering_keys``).

    >>> registry_matches("ghcr.io", "docker.io/acme/api")
    False
    >>> registry_matches("registry.local", "registry.local:5000/app")
    False
    """
    normalised = normalise_registry_key(key)
    return normalised is not None and key_matches(normalised, image)


def covering_keys(keys: Iterable[str], image: str) -> list[str]:
    """The keys kubelet would try for ``image``, in kubelet's order, most specific first.

    Keys are returned as given (duplicates once); unusable keys never cover anything.
    Empty means kubelet would pull without credentials from these keys.

    >>> covering_keys(["*.azurecr.io", "myreg.azurecr.io"], "myreg.azurecr.io/app")
    ['myreg.azurecr.io', '*.azurecr.io']
    >>> covering_keys(["ghcr.io", "index.docker.io"], "nginx")
    ['index.docker.io']
    """
    target = _image_name(image)
    if target is None:
        return []
    normalised = [
        (key, norm)
        for key in dict.fromkeys(keys)
        if (norm := normalise_registry_key(key)) is not None
    ]
    direct = [(key, norm) for key, norm in normalised if urls_match(norm, target)]
    if direct:
        # sorted() keeps ties in input order even when reversed.
        return [key for key, _ in sorted(direct, key=lambda pair: pair[1], reverse=True)]
    if is_default_registry_match(target):
        return [key for key, norm in normalised if norm == DEFAULT_REGISTRY_KEY]
    return []
