"""Image and repository names are free text: they never decide the cause.

The runtimes repeat the image unquoted in their own wording (containerd resolver.go
``NAME: not found``, CRI-O's containers/image ``reading manifest TAG in NAME`` and
``docker://NAME``, moby ``manifest for NAME not found`` and ``pull access denied for
NAME``) and inside registry URLs. Each row is a runtime's real wording around a
repository whose name spells another cause; the source names the wording.
"""
# ruff: noqa: E501  -- messages are kept verbatim, one per line, so they can be grepped.

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.pullerrors import Cause, classify

A, D, NF, NET = Cause.AUTH, Cause.DENIED, Cause.NOT_FOUND, Cause.NETWORK
DIGEST = "sha256:" + "0123456789abcdef" * 4


def row(source: str, message: str, cause: Cause, image: str | None, registry: str | None) -> object:
    return pytest.param(message, cause, image, registry, id=f"{cause.value}:{source}")


ROWS = [
    row(
        "CRI-O docker_image_src.go reading manifest, repository 'denied'",
        "reading manifest 1 in quay.io/acme/denied: manifest unknown",
        NF,
        "quay.io/acme/denied:1",
        "quay.io",
    ),
    row(
        "CRI-O reading manifest under kubelet's quote, repository 'denied'",
        'Failed to pull image "quay.io/acme/denied:1": rpc error: code = Unknown desc = reading manifest 1 in quay.io/acme/denied: manifest unknown',
        NF,
        "quay.io/acme/denied:1",
        "quay.io",
    ),
    row(
        "moby manifest for NAME not found, repository 'unauthorized'",
        "manifest for acme/unauthorized:1 not found: manifest unknown",
        NF,
        "acme/unauthorized:1",
        "docker.io",
    ),
    row(
        "moby through cri-dockerd, repository 'unauthorized'",
        'Failed to pull image "acme/unauthorized:1": rpc error: code = Unknown desc = Error response from daemon: manifest for acme/unauthorized:1 not found: manifest unknown: manifest unknown',
        NF,
        "acme/unauthorized:1",
        "docker.io",
    ),
    row(
        "containerd resolver.go NAME: not found, repository 'toomanyrequests'",
        "docker.io/acme/toomanyrequests:1: not found",
        NF,
        "docker.io/acme/toomanyrequests:1",
        "docker.io",
    ),
    row(
        "containerd resolver.go under kubelet's quote, repository 'toomanyrequests'",
        'Failed to pull image "acme/toomanyrequests:1": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/acme/toomanyrequests:1": failed to resolve reference "docker.io/acme/toomanyrequests:1": docker.io/acme/toomanyrequests:1: not found',
        NF,
        "acme/toomanyrequests:1",
        "docker.io",
    ),
    row(
        "containerd resolver.go NAME: not found, repository 'forbidden'",
        "ghcr.io/acme/forbidden:1: not found",
        NF,
        "ghcr.io/acme/forbidden:1",
        "ghcr.io",
    ),
    row(
        "containerd resolver.go NAME@DIGEST: not found, repository 'denied'",
        f"docker.io/acme/denied@{DIGEST}: not found",
        NF,
        f"docker.io/acme/denied@{DIGEST}",
        "docker.io",
    ),
    row(
        "containers/image docker:// source, repository 'x509'",
        "initializing source docker://quay.io/acme/x509:1: reading manifest 1 in quay.io/acme/x509: manifest unknown",
        NF,
        "quay.io/acme/x509:1",
        "quay.io",
    ),
    row(
        "moby unquoted registry URL, repository 'denied'",
        "Error response from daemon: Get https://ghcr.io/v2/acme/denied/manifests/latest: unauthorized",
        A,
        "ghcr.io/acme/denied:latest",
        "ghcr.io",
    ),
    row(
        "moby manifest for NAME not found, tag 'unauthorized'",
        "manifest for acme/app:unauthorized not found: manifest unknown",
        NF,
        "acme/app:unauthorized",
        "docker.io",
    ),
    row(
        "containerd resolver.go, library image 'eof'",
        'Failed to pull image "eof:1": failed to pull and unpack image "docker.io/library/eof:1": failed to resolve reference "docker.io/library/eof:1": docker.io/library/eof:1: not found',
        NF,
        "eof:1",
        "docker.io",
    ),
    # A one-word name alone may be the runtime's own word: moby's answer survives.
    row(
        "moby pull access denied, library image 'denied'",
        "Failed to pull image \"denied\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for denied, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        D,
        "denied",
        "docker.io",
    ),
    # A repository spelled like a signal's own path is not blanked from the signal.
    row(
        "containerd dial i/o timeout, repository 'i/o'",
        'Failed to pull image "i/o:1": failed to pull and unpack image "docker.io/i/o:1": failed to resolve reference "docker.io/i/o:1": failed to do request: Head "https://registry-1.docker.io/v2/i/o/manifests/1": dial tcp 162.125.2.3:443: i/o timeout',
        NET,
        "i/o:1",
        "docker.io",
    ),
]


@pytest.mark.parametrize(("message", "cause", "image", "registry"), ROWS)
def test_repository_names_do_not_decide(
    message: str, cause: Cause, image: str | None, registry: str | None
) -> None:
    found = classify(message)
    assert (found.cause, found.image, found.registry) == (cause, image, registry)


SIGNAL_WORDS = st.sampled_from(
    ["denied", "unauthorized", "forbidden", "toomanyrequests", "x509", "eof", "timeout",
     "not-found", "invalidimagename", "errimageneverpull", "notfound", "tls", "lookup"]
)  # fmt: skip
NAMES = st.lists(SIGNAL_WORDS, min_size=1, max_size=3).map("/".join)
# The runtimes' not-found wordings, with the image where each one repeats it.
NOT_FOUND_TEMPLATES = [
    'Failed to pull image "{host}/{name}:{tag}": rpc error: code = NotFound desc = failed to pull and unpack image "{host}/{name}:{tag}": failed to resolve reference "{host}/{name}:{tag}": {host}/{name}:{tag}: not found',
    "reading manifest {tag} in {host}/{name}: manifest unknown",
    "{host}/{name}:{tag}: not found",
    "initializing source docker://{host}/{name}:{tag}: reading manifest {tag} in {host}/{name}: manifest unknown",
    "Error response from daemon: manifest for {host}/{name}:{tag} not found: manifest unknown: manifest unknown",
]


@settings(max_examples=200, deadline=None)
@given(
    name=NAMES,
    tag=SIGNAL_WORDS,
    host=st.sampled_from(["quay.io", "ghcr.io", "docker.io", "registry.local:5000"]),
    template=st.sampled_from(NOT_FOUND_TEMPLATES),
)
def test_any_repository_name_leaves_a_not_found_not_found(
    name: str, tag: str, host: str, template: str
) -> None:
    message = template.format(host=host, name=name, tag=tag)
    assert classify(message).cause is NF, message
