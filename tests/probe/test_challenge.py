"""Reading registries' WWW-Authenticate challenges (rows are real registries' headers)."""

from __future__ import annotations

import pytest

from exporter.probe.challenge import Challenge, parse_challenges, pick_challenge

DOCKER_HUB = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # Docker Hub, GET /v2/
        (DOCKER_HUB, [Challenge("bearer", {"realm": "https://auth.docker.io/token",
                                           "service": "registry.docker.io"})]),
        # ghcr.io, GET /v2/ (scope names the registry itself)
        ('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"',
         [Challenge("bearer", {"realm": "https://ghcr.io/token", "service": "ghcr.io",
                               "scope": "repository:user/image:pull"})]),
        # Amazon ECR: Basic with the registry URL as realm
        ('Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
         [Challenge("basic", {"realm": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
                              "service": "ecr.amazonaws.com"})]),
        # distribution 2.8 with htpasswd
        ('Basic realm="Registry Realm"', [Challenge("basic", {"realm": "Registry Realm"})]),
        # distribution 2.8 token auth, valid token without the scope
        ('Bearer realm="https://auth.local/token",service="reg",scope="repository:a/b:pull",'
         'error="insufficient_scope"',
         [Challenge("bearer", {"realm": "https://auth.local/token", "service": "reg",
                               "scope": "repository:a/b:pull", "error": "insufficient_scope"})]),
        # Azure Container Registry
        ('Bearer realm="https://myreg.azurecr.io/oauth2/token",service="myreg.azurecr.io"',
         [Challenge("bearer", {"realm": "https://myreg.azurecr.io/oauth2/token",
                               "service": "myreg.azurecr.io"})]),
        # Spacing, case and escapes RFC 7235 allows
        ('bearer  Realm = "https://a/t?x=\\"y\\"" , Service=svc',
         [Challenge("bearer", {"realm": 'https://a/t?x="y"', "service": "svc"})]),
        # Two challenges in one header value
        ('Basic realm="r", Bearer realm="https://a/t",service="s"',
         [Challenge("basic", {"realm": "r"}),
          Challenge("bearer", {"realm": "https://a/t", "service": "s"})]),
        # token68 credential form, and nothing at all
        ("Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg==", [Challenge("negotiate", {})]),
        ("", []),
        # Garbage stops the parse instead of raising
        ('Bearer realm="unterminated', [Challenge("bearer", {"realm": "unterminated"})]),
        ("=== ,,, ", []),
    ],
)  # fmt: skip
def test_parse_challenges(header: str, expected: list[Challenge]) -> None:
    assert parse_challenges(header) == expected


def test_bearer_wins_over_basic_across_headers() -> None:
    picked = pick_challenge(['Basic realm="r"', DOCKER_HUB])
    assert picked is not None
    assert picked.scheme == "bearer"


def test_no_supported_challenge() -> None:
    assert pick_challenge(["Negotiate", 'Digest realm="x"']) is None
    assert pick_challenge([]) is None


def test_huge_header_is_cut_not_parsed_forever() -> None:
    challenges = parse_challenges("Bearer " + ",".join(f'k{i}="v"' for i in range(100_000)))
    assert challenges[0].scheme == "bearer"
    assert len(challenges[0].params) < 1000
