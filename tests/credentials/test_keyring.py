"""kubelet's registry matching, row by row from kubelet's own tests.

Rows marked "kubelet:" restate cases of kubernetes/kubernetes
pkg/credentialprovider/keyring_test.go (TestURLsMatch, TestDockerKeyringForGlob,
TestKeyringMiss, TestDockerKeyringLookup, TestIssue3797, TestIsDefaultRegistryMatch,
TestKeyringHitWith*DockerHub); kubelet looks images up by their normalised name, so the
images below are written the way a pod spec would hold them.
"""

from __future__ import annotations

import pytest

from exporter.credentials.keyring import (
    covering_keys,
    is_default_registry_match,
    registry_matches,
    urls_match,
)


@pytest.mark.parametrize(
    ("key", "target", "expected"),
    [
        # kubelet TestURLsMatch: no path component
        ("*.kubernetes.io", "prefix.kubernetes.io", True),
        ("prefix.*.io", "prefix.kubernetes.io", True),
        ("prefix.kubernetes.*", "prefix.kubernetes.io", True),
        ("*-good.kubernetes.io", "prefix-good.kubernetes.io", True),
        # kubelet TestURLsMatch: with paths, and with ports
        ("*.kubernetes.io/blah", "prefix.kubernetes.io/blah", True),
        ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", True),
        ("*.kubernetes.io:1111/blah", "prefix.kubernetes.io:1111/blah", True),
        ("prefix.*.io:1111/foo", "prefix.kubernetes.io:1111/foo/bar", True),
        # kubelet TestURLsMatch: label count differs
        ("*.kubernetes.io", "kubernetes.io", False),
        ("*.*.kubernetes.io", "prefix.kubernetes.io", False),
        ("*.*.kubernetes.io", "kubernetes.io", False),
        # kubelet TestURLsMatch: a label differs
        ("kubernetes.io", "kubernetes.com", False),
        ("k*.io", "quay.io", False),
        # kubelet TestURLsMatch: ports differ, or the key has none
        ("*.kubernetes.io:1234/blah", "prefix.kubernetes.io:1111/blah", False),
        ("prefix.*.io/foo", "prefix.kubernetes.io:1111/foo/bar", False),
    ],
)
def test_urls_match_follows_kubelet(key: str, target: str, expected: bool) -> None:
    assert urls_match(key, target) is expected


@pytest.mark.parametrize(
    ("key", "image", "expected"),
    [
        # kubelet TestDockerKeyringForGlob (images are "<target>/foo/bar")
        ("https://hello.kubernetes.io", "hello.kubernetes.io/foo/bar", True),
        ("https://*.docker.io", "prefix.docker.io/foo/bar", True),
        ("https://prefix.*.io/path", "prefix.docker.io/path/subpath/foo/bar", True),
        ("https://*.docker.io:8888", "prefix.docker.io:8888/foo/bar", True),
        ("https://*.docker.io/v1/", "prefix.docker.io/path/foo/bar", True),
        ("https://*.docker.io/v2/", "prefix.docker.io/path/foo/bar", True),
        ("prefix.docker.io:1111", "prefix.docker.io:1111/path/foo/bar", True),
        ("*.docker.io:1111", "prefix.docker.io:1111/path/foo/bar", True),
        # kubelet TestKeyringMiss
        ("https://hello.kubernetes.io", "world.mesos.org/foo/bar", False),
        ("https://*.docker.com", "prefix.docker.io/foo/bar", False),
        ("https://suffix.*.io", "prefix.docker.io/foo/bar", False),
        ("https://prefix.docker.c*", "prefix.docker.io/foo/bar", False),
        ("suffix.*.io", "prefix.docker.io/foo/bar", False),
        # kubelet TestIssue3797: a scheme and /v1/ path still match the bare host
        ("https://quay.io/v1/", "quay.io/foo", True),
        ("https://quay.io/v1/", "quay.io/foo/bar", True),
        # kubelet TestDockerKeyringLookup: a path key is a plain string prefix
        ("bar.example.com/pong", "bar.example.com/pong", True),
        ("bar.example.com/pong", "bar.example.com/pongz", True),
        ("bar.example.com/pong", "bar.example.com/pong/pang", True),
        ("bar.example.com/pong", "bar.example.com/ping", False),
        ("bar.example.com", "foo.example.com/app", False),
        # kubelet TestKeyringHitWith*DockerHub: the default key serves Docker Hub names
        ("https://index.docker.io/v1/", "google/docker-registry", True),
        ("https://index.docker.io/v1/", "jenkins", True),
        ("https://index.docker.io/v1/", "index.docker.io/google/docker-registry", True),
        # kubelet TestKeyringMissWithDockerHubCredentials
        ("https://index.docker.io/v1/", "world.mesos.org/foo/bar", False),
        # everyday keys
        ("docker.io", "nginx:1.27", True),
        ("index.docker.io", "docker.io/bitnami/redis:7", True),
        ("https://ghcr.io", "ghcr.io/acme/api:v2", True),
        ("ghcr.io", "docker.io/acme/api", False),  # the typo this exporter exists for
        ("*.azurecr.io", "myreg.azurecr.io/team/app@sha256:" + "a" * 64, True),
        ("*.azurecr.io", "azurecr.io/app", False),
        ("*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api", True),
        ("registry.local:5000", "registry.local:5000/app", True),
        ("registry.local", "registry.local:5000/app", False),
        ("registry.local:5000", "registry.local/app", False),
        ("example.com/team", "example.com/team/app", True),
        ("example.com/team", "example.com/other/app", False),
        ("GHCR.IO", "ghcr.io/acme/api", False),  # kubelet compares hosts case-sensitively
        # registry-1.docker.io is not a key kubelet maps to Docker Hub
        ("registry-1.docker.io", "nginx", False),
        # kubelet's isDefaultRegistryMatch looks for "." or ":" only: localhost qualifies
        ("index.docker.io", "localhost/app", True),
        ("index.docker.io", "localhost:5000/app", False),
        # unusable keys and images never match
        ("", "nginx", False),
        ("ghcr .io", "ghcr.io/a/b", False),
        ("ghcr.io", "Not A Valid Image", False),
    ],
)
def test_registry_matches(key: str, image: str, expected: bool) -> None:
    assert registry_matches(key, image) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # kubelet TestIsDefaultRegistryMatch, verbatim
        ("foo/bar", True),
        ("docker.io/foo/bar", True),
        ("index.docker.io/foo/bar", True),
        ("foo", True),
        ("", False),
        ("registry.tld/foo/bar", False),
        ("registry:5000/foo/bar", False),
        ("myhostdocker.io/foo/bar", False),
    ],
)
def test_is_default_registry_match(name: str, expected: bool) -> None:
    assert is_default_registry_match(name) is expected


@pytest.mark.parametrize(
    ("keys", "image", "expected"),
    [
        # kubelet TestDockerKeyringLookup: deeper path first, then the host
        (["bar.example.com", "bar.example.com/pong"], "bar.example.com/pong",
         ["bar.example.com/pong", "bar.example.com"]),
        (["bar.example.com", "bar.example.com/pong"], "bar.example.com/ping",
         ["bar.example.com"]),
        (["bar.example.com", "bar.example.com/pong"], "example.com/app", []),
        # concrete labels before globs (reverse lexical order, "*" sorts low)
        (["*.azurecr.io", "myreg.azurecr.io"], "myreg.azurecr.io/app",
         ["myreg.azurecr.io", "*.azurecr.io"]),
        # the Docker Hub fallback is used only when nothing else matches
        (["https://index.docker.io/v1/", "docker.io"], "nginx", ["docker.io"]),
        (["https://index.docker.io/v1/", "ghcr.io"], "nginx", ["https://index.docker.io/v1/"]),
        (["https://index.docker.io/v1/"], "ghcr.io/acme/api", []),
        # keys are returned as given, each once; unusable ones are skipped
        (["ghcr.io", "https://ghcr.io", "ghcr.io", "bad key"], "ghcr.io/acme/api",
         ["ghcr.io", "https://ghcr.io"]),
        ([], "nginx", []),
        (["ghcr.io"], "::not an image::", []),
    ],
)  # fmt: skip
def test_covering_keys_in_kubelet_order(keys: list[str], image: str, expected: list[str]) -> None:
    assert covering_keys(keys, image) == expected
