"""Finding the image and its registry in a message, normalised as kubelet matches them."""
# ruff: noqa: E501  -- messages are kept verbatim, one per line, so they can be grepped.

from __future__ import annotations

import pytest

from exporter.pullerrors import classify

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("message", "image", "registry"),
    [
        pytest.param('Back-off pulling image "nginx"', "nginx", "docker.io", id="short name"),
        pytest.param(
            'Back-off pulling image "library/nginx:1"', "library/nginx:1", "docker.io", id="library"
        ),
        pytest.param(
            'Back-off pulling image "docker.io/library/nginx"',
            "docker.io/library/nginx",
            "docker.io",
            id="docker.io/library",
        ),
        pytest.param(
            'Back-off pulling image "index.docker.io/acme/api:1"',
            "index.docker.io/acme/api:1",
            "docker.io",
            id="index.docker.io",
        ),
        pytest.param(
            'Back-off pulling image "registry-1.docker.io/acme/api"',
            "registry-1.docker.io/acme/api",
            "docker.io",
            id="registry-1",
        ),
        pytest.param(
            'Back-off pulling image "localhost:5000/app"',
            "localhost:5000/app",
            "localhost:5000",
            id="localhost port",
        ),
        pytest.param(
            'Back-off pulling image "localhost/app:dev"',
            "localhost/app:dev",
            "localhost",
            id="localhost",
        ),
        pytest.param(
            'Back-off pulling image "10.0.0.5:5000/a/b/c:1"',
            "10.0.0.5:5000/a/b/c:1",
            "10.0.0.5:5000",
            id="ip port nested",
        ),
        pytest.param(
            'Back-off pulling image "Registry.Example.COM/app:1"',
            "Registry.Example.COM/app:1",
            "registry.example.com",
            id="host case",
        ),
        pytest.param(
            f'Back-off pulling image "ghcr.io/acme/api@{DIGEST}"',
            f"ghcr.io/acme/api@{DIGEST}",
            "ghcr.io",
            id="digest",
        ),
        pytest.param(
            f'Back-off pulling image "ghcr.io/acme/api:v1@{DIGEST}"',
            f"ghcr.io/acme/api:v1@{DIGEST}",
            "ghcr.io",
            id="tag and digest",
        ),
        pytest.param(
            f"reading manifest {DIGEST} in quay.io/acme/api: manifest unknown",
            f"quay.io/acme/api@{DIGEST}",
            "quay.io",
            id="CRI-O digest",
        ),
        pytest.param(
            'Back-off pulling image "myregistry/app:1"',
            "myregistry/app:1",
            "docker.io",
            id="dotless first part is a Hub namespace",
        ),
        pytest.param(
            'Back-off pulling image \\"nginx:1\\"',
            "nginx:1",
            "docker.io",
            id="journald escaped quotes",
        ),
        pytest.param(
            "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
            None,
            None,
            id="no image",
        ),
        pytest.param(
            'Failed to apply default image tag "UPPER/Case": couldn\'t parse image reference',
            None,
            None,
            id="invalid image is not reported",
        ),
        pytest.param('Back-off pulling image "a b"', None, None, id="space in image"),
        pytest.param(
            'pinging container registry registry.lab:8443: Get "https://registry.lab:8443/v2/": EOF',
            None,
            "registry.lab:8443",
            id="registry only",
        ),
        pytest.param(
            'pinging container registry myregistry: Get "https://myregistry/v2/": EOF',
            None,
            None,
            id="dotless host is not named",
        ),
        pytest.param("", None, None, id="empty"),
    ],
)
def test_image_and_registry(message: str, image: str | None, registry: str | None) -> None:
    found = classify(message)
    assert (found.image, found.registry) == (image, registry)


def test_kubelet_spelling_wins_over_the_runtime_spelling() -> None:
    message = (
        'Failed to pull image "nginx:1.99": failed to pull and unpack image '
        '"docker.io/library/nginx:1.99": not found'
    )
    assert classify(message).image == "nginx:1.99"


def test_an_image_named_like_a_cause_does_not_decide_it() -> None:
    assert (
        classify('Back-off pulling image "ghcr.io/acme/denied:not-found"').cause.value == "backoff"
    )


def test_the_image_is_bounded() -> None:
    long_name = "a" * 600
    assert classify(f'Back-off pulling image "{long_name}"').image is None
