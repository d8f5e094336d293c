"""Owner-declared expiry annotations."""

from __future__ import annotations

import pytest

from exporter.credentials.annotations import DeclaredExpiry, read_declared_expiry

NOW = 1_780_000_000.0
JUNE_1 = 1_780_272_000.0  # 2026-06-01T00:00:00Z
JULY_1 = 1_782_864_000.0  # 2026-07-01T00:00:00Z


@pytest.mark.parametrize(
    ("annotations", "registry", "expected"),
    [
        ({}, "ghcr.io", None),
        ({"imagepull-exporter/expires-at": "2026-06-01T00:00:00Z"}, "ghcr.io", JUNE_1),
        ({"imagepull-exporter/expires-at": "2026-06-01T00:00:00Z"}, "registry.local:5000",
         JUNE_1),
        # the per-registry annotation wins for its registry only
        ({"imagepull-exporter/expires-at": "2026-06-01T00:00:00Z",
          "imagepull-exporter/expires-at.ghcr.io": "2026-07-01T00:00:00Z"}, "ghcr.io", JULY_1),
        ({"imagepull-exporter/expires-at": "2026-06-01T00:00:00Z",
          "imagepull-exporter/expires-at.ghcr.io": "2026-07-01T00:00:00Z"}, "quay.io", JUNE_1),
        ({"imagepull-exporter/expires-at.GHCR.io": "2026-07-01T00:00:00Z"}, "ghcr.io", JULY_1),
        # Docker Hub by any of its names (kubectl writes index.docker.io)
        ({"imagepull-exporter/expires-at.docker.io": "2026-07-01T00:00:00Z"},
         "index.docker.io", JULY_1),
        # external-secrets ECRAuthorizationToken template: expiresAt: "{{ .expires_at }}"
        ({"expiresAt": "1780272000"}, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", JUNE_1),
        ({"expires_at": "2026-06-01T00:00:00Z"}, "ghcr.io", JUNE_1),
        ({"expires_at": "1780272000", "expiresAt": "1782864000"}, "ghcr.io", JULY_1),
        ({"expiresAt": "1782864000", "imagepull-exporter/expires-at": "1780272000"}, "ghcr.io",
         JUNE_1),
        # bad values are ignored, and do not hide a good one of lower precedence
        ({"imagepull-exporter/expires-at": "soon", "expiresAt": "1780272000"}, "ghcr.io",
         JUNE_1),
        ({"imagepull-exporter/expires-at": "2026-06-01T00:00:00"}, "ghcr.io", None),
        ({"imagepull-exporter/expires-at": "99999999999999"}, "ghcr.io", None),
        ({"imagepull-exporter/expires-at.ghcr.io": "never"}, "ghcr.io", None),
        ({"imagepull-exporter/expires-at.": "1780272000"}, "ghcr.io", None),
        # unrelated annotations
        ({"kubectl.kubernetes.io/last-applied-configuration": "{}"}, "ghcr.io", None),
    ],
)  # fmt: skip
def test_declared_expiry(
    annotations: dict[str, str], registry: str, expected: float | None
) -> None:
    assert read_declared_expiry(annotations, now=NOW).for_registry(registry) == expected


def test_non_string_annotation_values_are_ignored() -> None:
    hostile: dict[str, object] = {"expiresAt": 1780272000, "imagepull-exporter/expires-at.x": None}
    assert read_declared_expiry(hostile, now=NOW) == DeclaredExpiry()  # type: ignore[arg-type]
