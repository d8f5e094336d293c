"""Image references as distribution/reference and kubelet normalise them."""

from __future__ import annotations

import doctest

import pytest

import exporter.images.reference as reference_module
from exporter.images.reference import ImageReference, parse_image, registry_of

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ImageReference("docker.io", "library/nginx", "latest", None)),
        ("nginx:1.27", ImageReference("docker.io", "library/nginx", "1.27", None)),
        ("bitnami/redis:7", ImageReference("docker.io", "bitnami/redis", "7", None)),
        ("docker.io/nginx", ImageReference("docker.io", "library/nginx", "latest", None)),
        ("index.docker.io/library/nginx",
         ImageReference("docker.io", "library/nginx", "latest", None)),
        ("ghcr.io/acme/api:v2", ImageReference("ghcr.io", "acme/api", "v2", None)),
        ("localhost/app", ImageReference("localhost", "app", "latest", None)),
        ("localhost:5000/app:dev", ImageReference("localhost:5000", "app", "dev", None)),
        (f"quay.io/prometheus/node-exporter@{DIGEST}",
         ImageReference("quay.io", "prometheus/node-exporter", None, DIGEST)),
        (f"registry.local:5000/team/app:1@{DIGEST}",
         ImageReference("registry.local:5000", "team/app", "1", DIGEST)),
        ("[::1]:5000/a/b", ImageReference("[::1]:5000", "a/b", "latest", None)),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1",
         ImageReference("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "api", "1", None)),
    ],
)  # fmt: skip
def test_valid_references(image: str, expected: ImageReference) -> None:
    assert parse_image(image) == expected


@pytest.mark.parametrize(
    "image",
    ["", " nginx", "UPPER/case", "nginx:", "nginx@sha256:short", "a..b.io/x", "host:port/x",
     "-bad.io/x", "a" * 5000, "ghcr.io/acme/api:" + "t" * 200],
)  # fmt: skip
def test_invalid_references(image: str) -> None:
    assert parse_image(image) is None
    assert registry_of(image) is None


def test_long_host_labels_do_not_backtrack() -> None:
    # Found by fuzzing: the old host pattern backtracked exponentially on this shape
    # (40 characters took days). Linear now, so this returns at once.
    assert parse_image("a" * 4000 + ".:x/y") is None
    assert parse_image("a" * 60 + "-" * 60 + ".io/x") is None


def test_docstring_examples() -> None:
    assert doctest.testmod(reference_module).failed == 0
