"""What kind of credential a registry entry holds, and what it says about its expiry.

Kinds come from the label set in DESIGN.md. They are recognised from the username
(ECR, ACR, GCP conventions), documented token prefixes (GitHub, GitLab, Docker Hub), and
the JWT shape; the first rule that applies wins, in the order of ``classify_credential``.

>>> classify_credential("ghcr.io", "octocat", "ghp_" + "a" * 36, (), now=0.0)
Classification(kind=<Kind.github_pat: 'github_pat'>, times=None)
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

from exporter.credentials.ecr import (
    ECR_TOKEN_LIFETIME_SECONDS,
    ECR_USERNAME,
    is_ecr_registry,
    read_ecr_times,
)
from exporter.credentials.jwt_claims import TokenTimes, read_jwt_times


class Kind(StrEnum):
    """Credential kind; the value is the ``kind`` label value."""

    jwt = "jwt"
    ecr = "ecr"
    acr = "acr"
    gcp_access_token = "gcp_access_token"
    gcp_service_account_key = "gcp_service_account_key"
    github_pat = "github_pat"
    github_fine_grained_pat = "github_fine_grained_pat"
    github_token = "github_token"
    gitlab_token = "gitlab_token"
    dockerhub_pat = "dockerhub_pat"
    basic = "basic"
    unknown = "unknown"


#: ``az acr login --expose-token`` and ACR's token exchange: this fixed username, with an
#: ACR refresh token (a JWT) as the password.
ACR_USERNAME = "00000000-0000-0000-0000-000000000000"
#: Google's documented usernames for registry auth (Artifact Registry / GCR).
GCP_ACCESS_TOKEN_USERNAME = "oauth2accesstoken"
GCP_KEY_USERNAMES = frozenset({"_json_key", "_json_key_base64"})

# Documented prefixes. GitHub: "Behind GitHub's new authentication token formats" (2021).
# GitLab: "GitLab token overview" → Token prefixes (glpat- is the only configurable one).
# Docker: personal (dckr_pat_) and organization (dckr_oat_) access tokens.
# Longest prefix first so "github_pat_" is never read as something shorter.
_PREFIX_KINDS: tuple[tuple[str, Kind], ...] = (
    ("github_pat_", Kind.github_fine_grained_pat),
    ("ghp_", Kind.github_pat),
    ("gho_", Kind.github_token),
    ("ghu_", Kind.github_token),
    ("ghs_", Kind.github_token),
    ("ghr_", Kind.github_token),
    ("glpat-", Kind.gitlab_token),
    ("gldt-", Kind.gitlab_token),
    ("glcbt-", Kind.gitlab_token),
    ("glptt-", Kind.gitlab_token),
    ("glrtr-", Kind.gitlab_token),
    ("glrt-", Kind.gitlab_token),
    ("glft-", Kind.gitlab_token),
    ("glimt-", Kind.gitlab_token),
    ("glagent-", Kind.gitlab_token),
    ("gloas-", Kind.gitlab_token),
    ("glwt-", Kind.gitlab_token),
    ("glsoat-", Kind.gitlab_token),
    ("glffct-", Kind.gitlab_token),
    ("dckr_pat_", Kind.dockerhub_pat),
    ("dckr_oat_", Kind.dockerhub_pat),
)

# One C-level startswith rules out most passwords before the loop below (it runs for
# every token of up to 1000 registries of a secret).
_ANY_PREFIX = tuple(prefix for prefix, _ in _PREFIX_KINDS)

_TYPICAL_LIFETIME_SECONDS: dict[Kind, float] = {
    Kind.ecr: ECR_TOKEN_LIFETIME_SECONDS,
    Kind.acr: 3 * 3600.0,  # Azure docs: the token from az acr login is valid for 3 hours
    Kind.gcp_access_token: 3600.0,  # OAuth 2.0 access tokens from Google: 1 hour
}


class Classification(NamedTuple):
    """A kind, and the times decoded from the credential itself (``None``: none found)."""

    kind: Kind
    times: TokenTimes | None


def typical_lifetime_seconds(kind: Kind) -> float | None:
    """How long a freshly minted credential of ``kind`` lives, when the issuer fixes it.

    For alerting on short-lived credentials whose refresh job may have stopped.

    >>> typical_lifetime_seconds(Kind.ecr)
    43200.0
    >>> typical_lifetime_seconds(Kind.github_pat) is None
    True
    """
    return _TYPICAL_LIFETIME_SECONDS.get(kind)


def prefix_kind(token: str) -> Kind | None:
    """The kind a documented token prefix announces.

    >>> prefix_kind("glpat-xxxxxxxxxxxxxxxxxxxx")
    <Kind.gitlab_token: 'gitlab_token'>
    >>> prefix_kind("hunter2") is None
    True
    """
    if not token.startswith(_ANY_PREFIX):
        return None
    for prefix, kind in _PREFIX_KINDS:
        if token.startswith(prefix):
            return kind
    return None


def _first_jwt_times(tokens: Sequence[str], now: float) -> TokenTimes | None:
    for token in tokens:
        times = read_jwt_times(token, now=now) if token else None
        if times is not None:
            return times
    return None


def classify_credential(
    registry_key: str,
    username: str,
    password: str,
    other_tokens: Sequence[str],
    *,
    now: float,
) -> Classification:
    """Kind of one registry entry, with the times its tokens carry.

    ``other_tokens`` are ``identitytoken`` and ``registrytoken``: read for a JWT expiry
    and for a prefix, never for the kind's username conventions. When the password and a
    token are both JWTs, the password wins: it is what kubelet sends.
    """
    tokens = (password, *other_tokens)
    jwt_times = _first_jwt_times(tokens, now)
    if username == ECR_USERNAME:
        ecr_times = read_ecr_times(password, now=now)
        if ecr_times is not None or is_ecr_registry(registry_key):
            return Classification(Kind.ecr, ecr_times)
    if username == ACR_USERNAME:
        return Classification(Kind.acr, jwt_times)
    if username == GCP_ACCESS_TOKEN_USERNAME:
        return Classification(Kind.gcp_access_token, jwt_times)
    if username in GCP_KEY_USERNAMES:
        # A service-account key file carries no expiry; nothing of it is read or kept.
        return Classification(Kind.gcp_service_account_key, None)
    for token in tokens:
        kind = prefix_kind(token)
        if kind is not None:
            return Classification(kind, jwt_times)
    if jwt_times is not None:
        return Classification(Kind.jwt, jwt_times)
    if password:
        return Classification(Kind.basic, None)
    return Classification(Kind.unknown, None)
