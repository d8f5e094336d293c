"""Registry keys of a docker config, normalised the way kubelet's keyring stores them.

kubelet (pkg/credentialprovider/keyring.go, ``BasicDockerKeyring.Add``) lends a key an
``https://`` scheme when it has none, parses it as a URL, keeps host (with port) and
path, and treats a ``/v1/`` or ``/v2/`` path prefix as no path, following docker's
``ResolveAuthConfig``. This module does the same without ``net/url``, and refuses keys
that Go would parse into something other than what the owner wrote.

>>> normalise_registry_key("https://index.docker.io/v1/")
'index.docker.io'
>>> normalise_registry_key("http://registry.local:5000/v2/")
'registry.local:5000'
>>> normalise_registry_key("example.com/team")
'example.com/team'
>>> normalise_registry_key("ghcr .io") is None
True
"""

from __future__ import annotations

import re

#: The key ``kubectl create secret docker-registry`` writes when no server is given
#: normalises to this; kubelet falls back to it for images on Docker Hub.
DEFAULT_REGISTRY_KEY = "index.docker.io"
MAX_REGISTRY_KEY_CHARS = 1024

# kubelet checks these two prefixes case-sensitively; anything else is part of the host.
_SCHEMES = ("https://", "http://")
# Host labels as Go's url.Parse accepts them, minus sub-delimiters no registry uses;
# "*" is kubelet's per-label glob.
_HOST = re.compile(r"[A-Za-z0-9_~*-]+(?:\.[A-Za-z0-9_~*-]*)*")
_IPV6_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_PORT = re.compile(r"[0-9]*")
_PATH = re.compile(r"[A-Za-z0-9._~/*:@!$&'()+,;=-]*")
_VERSION_PREFIXES = ("/v1/", "/v2/")


def split_host_port(authority: str) -> tuple[str, str]:
    """(host, port) like Go's ``net.SplitHostPort``, falling back to (authority, "").

    >>> split_host_port("registry.local:5000")
    ('registry.local', '5000')
    >>> split_host_port("[::1]:5000")
    ('::1', '5000')
    >>> split_host_port("ghcr.io")
    ('ghcr.io', '')
    """
    if authority.startswith("["):
        end = authority.find("]")
        if end != -1 and authority[end + 1 : end + 2] == ":" and ":" not in authority[end + 2 :]:
            return authority[1:end], authority[end + 2 :]
        return authority, ""
    if authority.count(":") == 1:
        host, _, port = authority.partition(":")
        return host, port
    return authority, ""


def _valid_authority(authority: str) -> str | None:
    """``host[:port]`` as kubelet would key it, or ``None`` when Go's parser rejects it."""
    if authority.startswith("["):
        host, bracket, port = authority.partition("]")
        host += bracket
        if not _IPV6_HOST.fullmatch(host) or (port and not port.startswith(":")):
            return None
        port = port[1:]
    elif authority.count(":") <= 1:
        host, _, port = authority.partition(":")
        if not _HOST.fullmatch(host):
            return None
    else:
        return None
    if not _PORT.fullmatch(port):
        return None
    # Go accepts an empty port ("host:"), which then matches like no port at all.
    return f"{host}:{port}" if port else host


def normalise_registry_key(location: str) -> str | None:
    """kubelet's keyring key for a docker config key, or ``None`` when it is unusable.

    Host case is kept: kubelet matches case-sensitively, and a key in capitals is as
    wrong for it as a typo.
    """
    if not location or len(location) > MAX_REGISTRY_KEY_CHARS:
        return None
    rest = location
    for scheme in _SCHEMES:
        if rest.startswith(scheme):
            rest = rest[len(scheme) :]
            break
    authority, slash, path = rest.partition("/")
    path = slash + path
    # Go would read "?"/"#" as query/fragment and "@" as user info: the key kubelet uses
    # would not be the one written, so the entry is reported instead of reinterpreted.
    if "@" in authority or "://" in rest or not _PATH.fullmatch(path):
        return None
    host_port = _valid_authority(authority)
    if host_port is None:
        return None
    if path.startswith(_VERSION_PREFIXES):
        path = path[3:]
    return host_port if path in ("", "/") else host_port + path
