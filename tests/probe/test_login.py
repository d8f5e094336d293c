"""Reading one registry's login out of a Secret fetched at probe time."""

from __future__ import annotations

import base64
import json

import pytest

from exporter.credentials.pull_secret import parse_pull_secret
from exporter.probe.login import Login, login_for

CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKERCFG = "kubernetes.io/dockercfg"


def secret(document: object, secret_type: str = CONFIG_JSON) -> dict[str, object]:
    key = ".dockerconfigjson" if secret_type == CONFIG_JSON else ".dockercfg"
    value = base64.b64encode(json.dumps(document).encode()).decode()
    return {"kind": "Secret", "type": secret_type, "data": {key: value}}


def auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("obj", "registry", "expected"),
    [
        # kubectl create secret docker-registry --docker-server=https://index.docker.io/v1/
        (secret({"auths": {"https://index.docker.io/v1/": {"username": "u", "password": "p",
                                                            "auth": auth("u", "p")}}}),
         "index.docker.io", ("u", "p")),
        # "auth" wins over username/password, as in kubelet
        (secret({"auths": {"ghcr.io": {"username": "x", "password": "y",
                                       "auth": auth("octocat", "ghp_abc:def")}}}),
         "ghcr.io", ("octocat", "ghp_abc:def")),
        # .dockercfg: no "auths" wrapper
        (secret({"registry.local:5000": {"username": "ci", "password": "pw"}}, DOCKERCFG),
         "registry.local:5000", ("ci", "pw")),
        # ECR token as password, case-folded field names as Go reads them
        (secret({"auths": {"123.dkr.ecr.eu-west-1.amazonaws.com": {"Username": "AWS",
                                                                   "Password": "eyJ"}}}),
         "123.dkr.ecr.eu-west-1.amazonaws.com", ("AWS", "eyJ")),
        # The first entry of a key is the one described by the metrics
        (secret({"auths": {"https://ghcr.io": {"auth": auth("first", "1")},
                           "ghcr.io": {"auth": auth("second", "2")}}}),
         "ghcr.io", ("first", "1")),
        # No entry for the key, an empty one, broken auth, broken JSON, wrong type
        (secret({"auths": {"ghcr.io": {"auth": auth("u", "p")}}}), "quay.io", None),
        (secret({"auths": {"ghcr.io": {}}}), "ghcr.io", None),
        (secret({"auths": {"ghcr.io": {"auth": "!!!"}}}), "ghcr.io", None),
        ({"type": CONFIG_JSON, "data": {".dockerconfigjson": "bm90IGpzb24="}}, "ghcr.io", None),
        ({"type": "Opaque", "data": {"x": "eA=="}}, "ghcr.io", None),
        ({"type": CONFIG_JSON}, "ghcr.io", None),
    ],
)  # fmt: skip
def test_login_for(obj: dict[str, object], registry: str, expected: tuple[str, str] | None) -> None:
    login = login_for(obj, registry)
    assert (None if login is None else (login.username, login.password)) == expected


def test_login_never_shows_itself() -> None:
    login = Login("user", "canary-password")
    assert "canary" not in repr(login)
    assert "canary" not in str(login)
    assert "canary" not in repr([login, {"k": login}])


def test_basic_authorization_keeps_non_utf8_bytes() -> None:
    raw = base64.b64encode(b"u:\xff\xfepw").decode()
    login = login_for(secret({"auths": {"r.io": {"auth": raw}}}), "r.io")
    assert login is not None
    assert login.basic_authorization() == "Basic " + raw


def test_the_login_carries_the_fingerprint_the_state_has() -> None:
    # fetch_login compares the two to skip a secret rotated since the round was planned.
    obj = secret({"auths": {"ghcr.io": {"auth": auth("octocat", "ghp_abc"),
                                        "identitytoken": "id-tok"}}})  # fmt: skip
    login = login_for(obj, "ghcr.io")
    [credential] = parse_pull_secret(CONFIG_JSON, obj["data"], {}).credentials  # type: ignore[arg-type]
    assert login is not None
    assert login.fingerprint == credential.fingerprint
    rotated = login_for(secret({"auths": {"ghcr.io": {"auth": auth("octocat", "ghp_xyz")}}}),
                        "ghcr.io")  # fmt: skip
    assert rotated is not None
    assert rotated.fingerprint != credential.fingerprint
