"""Credential kinds, one row per kind (and per documented prefix), realistic values."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest

from exporter.credentials import Problem, parse_pull_secret
from exporter.credentials.jwt_claims import TokenTimes
from exporter.credentials.kinds import Kind, classify_credential, typical_lifetime_seconds

KubectlSecret = Callable[..., tuple[str, dict[str, str]]]  # the conftest fixture's type

NOW = 1_780_000_000.0
HOUR = 3600
ACR_USER = "00000000-0000-0000-0000-000000000000"
ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def ecr_password(expiration: int) -> str:
    envelope = {"payload": "cGF5bG9hZA==", "datakey": "ZGF0YWtleQ==", "version": "2",
                "type": "DATA_KEY", "expiration": expiration}  # fmt: skip
    return base64.b64encode(json.dumps(envelope).encode()).decode()


# An ACR refresh token: issued by the registry's token exchange, 3 hours of life.
ACR_REFRESH = jwt.encode(
    {"jti": "f8c9f4a0", "sub": "user@example.com", "nbf": int(NOW), "iat": int(NOW),
     "exp": int(NOW) + 3 * HOUR, "iss": "Azure Container Registry", "aud": "myreg.azurecr.io",
     "grant_type": "refresh_token", "version": "1.0"},
    "acr-test-signing-key-32-bytes-long!", algorithm="HS256",
)  # fmt: skip
# A Harbor robot / generic registry JWT in the password field.
GENERIC_JWT = jwt.encode({"exp": int(NOW) + 7 * 24 * HOUR}, "k" * 32, algorithm="HS256")
GCP_KEY = json.dumps({"type": "service_account", "project_id": "demo",
                      "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE...\n",
                      "client_email": "puller@demo.iam.gserviceaccount.com"})  # fmt: skip


CLASSIFY_CASES = [
    # ecr: username AWS on an ECR host; expiry from the envelope, issue = exp - 12 h
    (ECR_HOST, "AWS", ecr_password(int(NOW) + 12 * HOUR), (), Kind.ecr,
     TokenTimes(NOW + 12 * HOUR, NOW)),
    # ecr through a pull-through cache host: recognised by the envelope
    ("mirror.example.com", "AWS", ecr_password(int(NOW) + HOUR), (), Kind.ecr,
     TokenTimes(NOW + HOUR, NOW - 11 * HOUR)),
    # ecr host, unreadable password: still ecr, expiry unknown
    (ECR_HOST, "AWS", "garbage", (), Kind.ecr, None),
    # "AWS" elsewhere with a plain password is just a password
    ("registry.example.com", "AWS", "hunter2", (), Kind.basic, None),
    # acr: the null-GUID username with a refresh token (az acr login --expose-token)
    ("myreg.azurecr.io", ACR_USER, ACR_REFRESH, (), Kind.acr,
     TokenTimes(NOW + 3 * HOUR, NOW)),
    # gcp: Google's documented usernames
    ("europe-docker.pkg.dev", "oauth2accesstoken", "ya29.a0AfB_byC-opaque", (),
     Kind.gcp_access_token, None),
    ("gcr.io", "_json_key", GCP_KEY, (), Kind.gcp_service_account_key, None),
    ("gcr.io", "_json_key_base64", base64.b64encode(GCP_KEY.encode()).decode(), (),
     Kind.gcp_service_account_key, None),
    # github: classic PAT, fine-grained PAT, and the other token families
    ("ghcr.io", "octocat", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", (), Kind.github_pat,
     None),
    ("ghcr.io", "octocat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", (),
     Kind.github_fine_grained_pat, None),
    ("ghcr.io", "x-access-token", "ghs_16C7e42F292c6912E7710c838347Ae178B4a", (),
     Kind.github_token, None),
    ("ghcr.io", "octocat", "gho_16C7e42F292c6912E7710c838347Ae178B4a", (), Kind.github_token,
     None),
    ("ghcr.io", "octocat", "ghu_16C7e42F292c6912E7710c838347Ae178B4a", (), Kind.github_token,
     None),
    ("ghcr.io", "octocat", "ghr_1B4a2e77838347a7E420ce178F2E7c6912E1692", (),
     Kind.github_token, None),
    # gitlab: PAT, deploy token, CI job token, trigger token
    ("registry.gitlab.com", "deployer", "glpat-z_sxgtrfAxKr8q1TPY8Y", (), Kind.gitlab_token,
     None),
    ("registry.gitlab.com", "gitlab+deploy-token-1", "gldt-Xh3vKz7wQ2mN9pL4rT6y", (),
     Kind.gitlab_token, None),
    ("registry.gitlab.com", "gitlab-ci-token", "glcbt-64_Xh3vKz7wQ2mN9pL4rT6y", (),
     Kind.gitlab_token, None),
    ("registry.gitlab.com", "bot", "glptt-0123456789abcdef0123456789abcdef01234567", (),
     Kind.gitlab_token, None),
    # docker hub: personal and organization access tokens
    ("index.docker.io", "acme", "dckr_pat_2YQ0yBk0bB5sQkLWOj2IuqWsmp4", (),
     Kind.dockerhub_pat, None),
    ("index.docker.io", "acme-org", "dckr_oat_7awgM4jG5SQvxcvmNzhKj8PQjxo", (),
     Kind.dockerhub_pat, None),
    # jwt: any JWT in the password, or in identitytoken / registrytoken
    ("harbor.example.com", "robot$ci", GENERIC_JWT, (), Kind.jwt,
     TokenTimes(NOW + 7 * 24 * HOUR, None)),
    ("registry.example.com", "", "", (GENERIC_JWT, ""), Kind.jwt,
     TokenTimes(NOW + 7 * 24 * HOUR, None)),
    ("registry.example.com", "", "", ("", GENERIC_JWT), Kind.jwt,
     TokenTimes(NOW + 7 * 24 * HOUR, None)),
    # basic: any other password
    ("quay.io", "acme+puller", "S3cr3t-Passw0rd", (), Kind.basic, None),
    ("registry.local:5000", "admin", "eyJ-not-really.a.jwt", (), Kind.basic, None),
    # unknown: nothing recognisable to send
    ("quay.io", "acme", "", (), Kind.unknown, None),
    ("quay.io", "", "", ("opaque-identity-token", ""), Kind.unknown, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("registry", "username", "password", "tokens", "kind", "times"), CLASSIFY_CASES
)
def test_classify_credential(  # noqa: PLR0917 (one argument per table column)
    registry: str,
    username: str,
    password: str,
    tokens: tuple[str, ...],
    kind: Kind,
    times: TokenTimes | None,
) -> None:
    assert classify_credential(registry, username, password, tokens, now=NOW) == (kind, times)


def docker_login_config(
    registry: str, username: str, password: str, tokens: tuple[str, ...]
) -> dict[str, object]:
    """``~/.docker/config.json`` as ``docker login`` leaves it: ``auth``, plus the
    ``identitytoken`` / ``registrytoken`` a token-based login stores."""
    entry: dict[str, str] = {}
    if username or password:
        entry["auth"] = base64.b64encode(f"{username}:{password}".encode()).decode()
    for field, token in zip(("identitytoken", "registrytoken"), tokens, strict=False):
        if token:
            entry[field] = token
    return {"auths": {registry: entry}}


@pytest.mark.parametrize(
    ("registry", "username", "password", "tokens", "kind", "times"), CLASSIFY_CASES
)
def test_every_kind_through_a_kubectl_secret(  # noqa: PLR0917 (one argument per table column)
    kubectl_secret: KubectlSecret,
    tmp_path: Path,
    registry: str,
    username: str,
    password: str,
    tokens: tuple[str, ...],
    kind: Kind,
    times: TokenTimes | None,
) -> None:
    """Each row as an SRE makes the secret: ``kubectl create secret docker-registry`` with
    the three flags, or, for token logins kubectl's flags cannot express, ``--from-file``
    of the docker config (``kubectl create secret docker-registry --help``)."""
    if username and password and not tokens:
        flags = [f"--docker-server={registry}", f"--docker-username={username}",
                 f"--docker-password={password}"]  # fmt: skip
    else:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(docker_login_config(registry, username, password, tokens)))
        flags = [f"--from-file=.dockerconfigjson={config}"]
    secret_type, data = kubectl_secret("pull", *flags)
    parsed = parse_pull_secret(secret_type, data, {}, now=NOW)
    [credential] = parsed.credentials
    expires_at = times.expires_at if times else None
    assert (credential.registry, credential.kind, credential.expires_at,
            credential.expiry_source, credential.issued_at) == (
        registry, kind, expires_at, "token" if expires_at else None,
        times.issued_at if times else None)  # fmt: skip
    # kubelet sends only auth (or username/password): a token-only entry sends nothing
    expected = set() if password else {Problem.empty_credentials}
    assert parsed.problems == expected
    assert credential.problem == (None if password else Problem.empty_credentials)


def test_every_kind_has_a_row() -> None:
    assert {row[4] for row in CLASSIFY_CASES} == set(Kind)


def test_password_jwt_wins_over_identity_token() -> None:
    later = jwt.encode({"exp": int(NOW) + 99 * HOUR}, "k" * 32, algorithm="HS256")
    _, times = classify_credential("r.example.com", "u", GENERIC_JWT, (later, ""), now=NOW)
    assert times == TokenTimes(NOW + 7 * 24 * HOUR, None)


@pytest.mark.parametrize(
    ("kind", "seconds"),
    [
        (Kind.ecr, 12 * HOUR),
        (Kind.acr, 3 * HOUR),
        (Kind.gcp_access_token, HOUR),
        (Kind.github_pat, None),
        (Kind.jwt, None),
        (Kind.basic, None),
    ],
)
def test_typical_lifetime_seconds(kind: Kind, seconds: float | None) -> None:
    assert typical_lifetime_seconds(kind) == seconds


def test_kind_values_are_the_label_values() -> None:
    assert [k.value for k in Kind] == [
        "jwt", "ecr", "acr", "gcp_access_token", "gcp_service_account_key", "github_pat",
        "github_fine_grained_pat", "github_token", "gitlab_token", "dockerhub_pat", "basic",
        "unknown",
    ]  # fmt: skip
