"""parse_pull_secret on secrets as kubectl and controllers write them, and on every problem."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from exporter.credentials import Credential, Kind, ParsedSecret, Problem, parse_pull_secret

KubectlSecret = Callable[..., tuple[str, dict[str, str]]]  # the conftest fixture's type
NOW = 1_780_000_000.0
HOUR = 3600
JSON_TYPE = "kubernetes.io/dockerconfigjson"
CFG_TYPE = "kubernetes.io/dockercfg"
ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def config_json(auths: Mapping[str, object]) -> dict[str, str]:
    return {".dockerconfigjson": b64(json.dumps({"auths": auths}))}


def ecr_password(expiration: int) -> str:
    return b64(json.dumps({"payload": "cA==", "datakey": "ZA==", "version": "2",
                           "type": "DATA_KEY", "expiration": expiration}))  # fmt: skip


def parse(data: Mapping[str, str], annotations: Mapping[str, str] | None = None,
          secret_type: str = JSON_TYPE) -> ParsedSecret:  # fmt: skip
    return parse_pull_secret(secret_type, data, annotations or {}, now=NOW)


Row = tuple[str, str, float | None, str | None]


def summary(parsed: ParsedSecret) -> tuple[list[Row], set[str]]:
    """(registry, kind, expiry, source) per credential, and the problem label values."""
    rows: list[Row] = [
        (c.registry, c.kind.value, c.expires_at, c.expiry_source) for c in parsed.credentials
    ]
    return rows, {p.value for p in parsed.problems}


# --- secrets made by the real kubectl -------------------------------------------------


def test_kubectl_default_server_is_docker_hub(kubectl_secret: KubectlSecret) -> None:
    secret = kubectl_secret("hub", "--docker-username=acme",
                            "--docker-password=dckr_pat_2YQ0yBk0bB5sQkLWOj2IuqWsmp4")  # fmt: skip
    secret_type, data = secret
    assert secret_type == JSON_TYPE
    parsed = parse(data)
    assert summary(parsed) == ([("index.docker.io", "dockerhub_pat", None, None)], set())


def test_kubectl_ghcr_pat_with_declared_expiry(kubectl_secret: KubectlSecret) -> None:
    secret = kubectl_secret(
        "ghcr", "--docker-server=https://ghcr.io", "--docker-username=octocat",
        "--docker-password=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    )  # fmt: skip
    annotations = {"imagepull-exporter/expires-at.ghcr.io": "2026-06-01T00:00:00Z"}
    parsed = parse(secret[1], annotations)
    assert summary(parsed) == ([("ghcr.io", "github_pat", 1_780_272_000.0, "annotation")], set())


def test_kubectl_ecr_token(kubectl_secret: KubectlSecret) -> None:
    secret = kubectl_secret("ecr", f"--docker-server=https://{ECR_HOST}", "--docker-username=AWS",
                            f"--docker-password={ecr_password(int(NOW) + 11 * HOUR)}")  # fmt: skip
    # a stale expiresAt annotation does not override what the token itself says
    parsed = parse(secret[1], {"expiresAt": "1780000001"})
    [credential] = parsed.credentials
    assert (credential.kind, credential.expires_at, credential.issued_at) == (
        Kind.ecr, NOW + 11 * HOUR, NOW - HOUR)  # fmt: skip
    assert credential.expiry_source == "token"


def test_kubectl_registry_with_port_and_same_password_twice(kubectl_secret: KubectlSecret) -> None:
    flags = ("--docker-username=admin", "--docker-password=S3cr3t-Passw0rd")
    local = kubectl_secret("local", "--docker-server=registry.local:5000", *flags)
    other = kubectl_secret("other", "--docker-server=http://registry.local:5000/v2/", *flags)
    [first] = parse(local[1]).credentials
    [second] = parse(other[1]).credentials
    assert first == second == Credential("registry.local:5000", Kind.basic, None, None, None,
                                         first.fingerprint)  # fmt: skip


@dataclass(frozen=True)
class FromFile:
    """``--from-file=KEY=PATH`` of a file holding ``content`` (JSON unless a str)."""

    key: str
    content: object

    def flag(self, tmp_path: Path) -> str:
        path = tmp_path / self.key.lstrip(".")
        text = self.content if isinstance(self.content, str) else json.dumps(self.content)
        path.write_text(text)
        return f"--from-file={self.key}={path}"


Data = dict[str, str]
Mutation = Callable[[Data], Data]
BASE = ("--docker-server=quay.io", "--docker-username=acme+bot",
        "--docker-password=S3cr3t-Passw0rd")  # fmt: skip


def edit_config(edit: Callable[[str], str]) -> Mutation:
    """Decode the secret's one data value, ``edit`` the JSON text, encode it again."""

    def mutate(data: Data) -> Data:
        [(key, value)] = data.items()
        return {key: b64(edit(base64.b64decode(value).decode()))}

    return mutate


def edit_entry(field: str, value: object) -> Mutation:
    def edit(text: str) -> str:
        document = json.loads(text)
        [entry] = document["auths"].values()
        entry[field] = value
        return json.dumps(document)

    return edit_config(edit)


def plain_in_data(data: Data) -> Data:
    # the config written under data: (base64) where stringData: (plain) was meant
    [(key, value)] = data.items()
    return {key: base64.b64decode(value).decode()}


KUBECTL_PROBLEM_CASES: list[tuple[str, tuple[str | FromFile, ...], Mutation | None,
                                  list[Row], set[str]]] = [
    # invalid_base64: plain JSON under data:, and a hand-written auth without the colon
    ("docker-registry", BASE, plain_in_data, [], {"invalid_base64"}),
    ("docker-registry", BASE, edit_entry("auth", b64("acme+bot")),
     [("quay.io", "unknown", None, None)], {"invalid_base64"}),
    # invalid_json: cut short by a copy and paste; a template writing the password as a number
    ("docker-registry", BASE, edit_config(lambda text: text[:-2]), [], {"invalid_json"}),
    ("docker-registry", BASE, edit_entry("password", 1234),
     [("quay.io", "unknown", None, None)], {"invalid_json"}),
    # no_auths: amazon-ecr-credential-helper's config.json holds only credsStore ...
    ("docker-registry", (FromFile(".dockerconfigjson", {"credsStore": "ecr-login"}),), None,
     [], {"no_auths"}),
    # ... and a config.json loaded as a legacy .dockercfg secret
    ("generic", ("--type=kubernetes.io/dockercfg",
                 FromFile(".dockercfg", {"auths": {"quay.io": {"auth": b64("u:p")}}})),
     None, [], {"no_auths"}),
    # empty_credentials: Docker Desktop's config.json, the password kept by its credsStore
    ("docker-registry", (FromFile(".dockerconfigjson", {
        "auths": {"https://index.docker.io/v1/": {}}, "credsStore": "desktop"}),), None,
     [("index.docker.io", "unknown", None, None)], {"empty_credentials"}),
    # invalid_registry_key: a blank typed into the server, credentials in its URL
    ("docker-registry", ("--docker-server=ghcr .io", *BASE[1:]), None, [],
     {"invalid_registry_key"}),
    ("docker-registry", ("--docker-server=https://acme:pw@ghcr.io", *BASE[1:]), None, [],
     {"invalid_registry_key"}),
    # wrong_type: `kubectl create secret generic` without --type makes it Opaque
    ("generic", (FromFile(".dockerconfigjson", {"auths": {"quay.io": {"auth": b64("u:p")}}}),),
     None, [], {"wrong_type"}),
    # too_large: kubectl --dry-run prints what the API server refuses (over 1 MiB) ...
    ("docker-registry", (FromFile(".dockerconfigjson", {
        "auths": {"quay.io": {"auth": b64("u:p"), "email": "x" * 1_100_000}}}),), None,
     [], {"too_large"}),
    # ... and 20k registries, which fit in less
    ("docker-registry", (FromFile(".dockerconfigjson", {
        "auths": {f"r{i}.io": {} for i in range(20_000)}}),), None, [], {"too_large"}),
    # no problem: a valid legacy secret, for contrast with the pasted config.json above
    ("generic", ("--type=kubernetes.io/dockercfg",
                 FromFile(".dockercfg", {"https://index.docker.io/v1/": {"auth": b64("u:p")}})),
     None, [("index.docker.io", "basic", None, None)], set()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "flags", "mutate", "credentials", "problems"), KUBECTL_PROBLEM_CASES
)
def test_problems_of_kubectl_secrets(  # noqa: PLR0917 (one argument per table column)
    kubectl_secret: KubectlSecret,
    tmp_path: Path,
    command: str,
    flags: tuple[str | FromFile, ...],
    mutate: Mutation | None,
    credentials: list[Row],
    problems: set[str],
) -> None:
    """Every problem on a secret made by kubectl, edited afterwards where kubectl cannot
    produce the bad input itself."""
    args = [f.flag(tmp_path) if isinstance(f, FromFile) else f for f in flags]
    secret_type, data = kubectl_secret("pull", *args, command=command)
    if mutate is not None:
        data = mutate(data)
    assert summary(parse(data, secret_type=secret_type)) == (credentials, problems)


def test_every_problem_has_a_kubectl_row() -> None:
    found = set().union(*(row[4] for row in KUBECTL_PROBLEM_CASES))
    assert found == {p.value for p in Problem}


def test_each_entry_carries_its_own_problem(kubectl_secret: KubectlSecret) -> None:
    # one secret, two good entries and two bad ones: a fix replaces only the bad ones
    _, data = kubectl_secret("pull", *BASE)
    good = {"auth": b64("u:p")}
    entries = {"ghcr.io": good, "quay.io": {"auth": "%%%"}, "harbor.example.com": {},
               "index.docker.io": {"username": "u", "password": "p"}}  # fmt: skip
    data = edit_config(lambda text: json.dumps({"auths": entries}))(data)
    parsed = parse(data)
    assert [(c.registry, c.problem) for c in parsed.credentials] == [
        ("ghcr.io", None), ("quay.io", Problem.invalid_base64),
        ("harbor.example.com", Problem.empty_credentials), ("index.docker.io", None)]  # fmt: skip


def test_registry_token_is_read_for_expiry(kubectl_secret: KubectlSecret, tmp_path: Path) -> None:
    # docker's registrytoken: never sent by kubelet, but its exp is the entry's expiry
    token = jwt.encode({"exp": int(NOW) + 2 * HOUR, "iat": int(NOW) - HOUR}, "k" * 32,
                       algorithm="HS256")  # fmt: skip
    config = FromFile(".dockerconfigjson", {"auths": {"r.example.com": {
        "auth": b64("robot:S3cr3t-Passw0rd"), "registrytoken": token}}})  # fmt: skip
    _, data = kubectl_secret("pull", config.flag(tmp_path))
    [credential] = parse(data).credentials
    assert (credential.kind, credential.expires_at, credential.issued_at) == (
        Kind.jwt, NOW + 2 * HOUR, NOW - HOUR)  # fmt: skip


# --- parsing rules ---------------------------------------------------------------------


ACR_TOKEN = jwt.encode({"exp": int(NOW) + 3 * HOUR, "iat": int(NOW)}, "k" * 32, algorithm="HS256")


@pytest.mark.parametrize(
    ("data", "secret_type", "expected"),
    [
        # auth wins over username/password, split on the first colon
        (config_json({"quay.io": {"auth": b64("acme+bot:pa:ss"), "username": "x",
                                  "password": "ghp_16C7e42F292c6912E7710c838347Ae178B4a"}}),
         JSON_TYPE, ([("quay.io", "basic", None, None)], set())),
        # unpadded auth, as some tools write it (kubelet accepts RawStdEncoding)
        (config_json({"quay.io": {"auth": b64("u:ghp_16C7e42F292c6912E7710c838347Ae178B4a")
                                  .rstrip("=")}}),
         JSON_TYPE, ([("quay.io", "github_pat", None, None)], set())),
        # an empty auth falls back to username/password
        (config_json({"quay.io": {"auth": "", "username": "u", "password": "p"}}),
         JSON_TYPE, ([("quay.io", "basic", None, None)], set())),
        # field names match case-insensitively, like Go's encoding/json
        (config_json({"quay.io": {"Username": "u", "PASSWORD": "p"}}),
         JSON_TYPE, ([("quay.io", "basic", None, None)], set())),
        # ACR: username/password from `az acr login --expose-token`
        (config_json({"myreg.azurecr.io": {"username": "00000000-0000-0000-0000-000000000000",
                                           "password": ACR_TOKEN}}),
         JSON_TYPE, ([("myreg.azurecr.io", "acr", NOW + 3 * HOUR, "token")], set())),
        # .dockercfg: a bare map, legacy keys with scheme and /v1/
        ({".dockercfg": b64(json.dumps({"https://index.docker.io/v1/": {"auth": b64("u:p"),
                                        "email": "u@example.com"}}))},
         CFG_TYPE, ([("index.docker.io", "basic", None, None)], set())),
        # keys normalised like kubelet's keyring: scheme and /v2/ dropped, path kept
        (config_json({"https://ghcr.io/v2/": {"auth": b64("u:p")},
                      "example.com/team": {"auth": b64("u:p")}}),
         JSON_TYPE, ([("ghcr.io", "basic", None, None),
                      ("example.com/team", "basic", None, None)], set())),
        # extra top-level fields next to auths are fine
        ({".dockerconfigjson": b64(json.dumps({"auths": {"quay.io": {"auth": b64("u:p")}},
                                               "HttpHeaders": {"User-Agent": "x"}}))},
         JSON_TYPE, ([("quay.io", "basic", None, None)], set())),
    ],
)  # fmt: skip
def test_parsing(data: dict[str, str], secret_type: str, expected: object) -> None:
    assert summary(parse(data, secret_type=secret_type)) == expected


# --- every problem -------------------------------------------------------------------------


PROBLEM_CASES = [
    # invalid_base64: the data value, or an entry's auth
    ({".dockerconfigjson": "not base64!!"}, JSON_TYPE, [], {"invalid_base64"}),
    (config_json({"quay.io": {"auth": "%%%"}}), JSON_TYPE,
     [("quay.io", "unknown", None, None)], {"invalid_base64"}),
    (config_json({"quay.io": {"auth": b64("no-colon-here")}}), JSON_TYPE,
     [("quay.io", "unknown", None, None)], {"invalid_base64"}),
    # invalid_json: not JSON, NaN, not an object, or a shape kubelet cannot unmarshal
    ({".dockerconfigjson": b64("{auths:")}, JSON_TYPE, [], {"invalid_json"}),
    ({".dockerconfigjson": b64('{"auths": {"q.io": {"password": NaN}}}')}, JSON_TYPE, [],
     {"invalid_json"}),
    ({".dockerconfigjson": b64("[]")}, JSON_TYPE, [], {"invalid_json"}),
    ({".dockerconfigjson": b64('{"auths": ["quay.io"]}')}, JSON_TYPE, [], {"invalid_json"}),
    (config_json({"quay.io": "dXNlcjpwYXNz"}), JSON_TYPE,
     [("quay.io", "unknown", None, None)], {"invalid_json"}),
    (config_json({"quay.io": {"username": "u", "password": 1234}}), JSON_TYPE,
     [("quay.io", "unknown", None, None)], {"invalid_json"}),
    # no_auths: nothing kubelet reads
    ({".dockerconfigjson": b64("{}")}, JSON_TYPE, [], {"no_auths"}),
    ({".dockerconfigjson": b64('{"auths": {}}')}, JSON_TYPE, [], {"no_auths"}),
    ({".dockerconfigjson": b64('{"auths": null}')}, JSON_TYPE, [], {"no_auths"}),
    ({".dockerconfigjson": b64('{"credsStore": "ecr-login"}')}, JSON_TYPE, [], {"no_auths"}),
    ({".dockerconfigjson": b64('{"credHelpers": {"gcr.io": "gcloud"}}')}, JSON_TYPE, [],
     {"no_auths"}),
    ({".dockerconfigjson": ""}, JSON_TYPE, [], {"no_auths"}),
    ({}, JSON_TYPE, [], {"no_auths"}),
    # declared type and data key disagree: kubelet skips the secret (no_auths, by choice)
    ({".dockercfg": b64('{"quay.io": {"auth": "dTpw"}}')}, JSON_TYPE, [], {"no_auths"}),
    (config_json({"quay.io": {"auth": "dTpw"}}), CFG_TYPE, [], {"no_auths"}),
    # a config.json pasted into a .dockercfg secret
    ({".dockercfg": b64('{"auths": {"quay.io": {"auth": "dTpw"}}}')}, CFG_TYPE, [],
     {"no_auths"}),
    # empty_credentials: kubelet would send no password
    (config_json({"quay.io": {"email": "ops@example.com"}}), JSON_TYPE,
     [("quay.io", "unknown", None, None)], {"empty_credentials"}),
    (config_json({"quay.io": None}), JSON_TYPE,
     [("quay.io", "unknown", None, None)], {"empty_credentials"}),
    (config_json({"quay.io": {"username": "acme", "password": ""}}), JSON_TYPE,
     [("quay.io", "unknown", None, None)], {"empty_credentials"}),
    # docker's identitytoken is decoded for expiry, but kubelet never sends it
    (config_json({"r.example.com": {"identitytoken": ACR_TOKEN}}), JSON_TYPE,
     [("r.example.com", "jwt", NOW + 3 * HOUR, "token")], {"empty_credentials"}),
    # invalid_registry_key: the entry is skipped, the others are kept
    (config_json({"": {"auth": "dTpw"}, "quay.io": {"auth": "dTpw"}}), JSON_TYPE,
     [("quay.io", "basic", None, None)], {"invalid_registry_key"}),
    (config_json({"ghcr .io": {"auth": "dTpw"}}), JSON_TYPE, [], {"invalid_registry_key"}),
    (config_json({"https://user:pw@ghcr.io": {"auth": "dTpw"}}), JSON_TYPE, [],
     {"invalid_registry_key"}),
    (config_json({"ghcr.io\n": {"auth": "dTpw"}}), JSON_TYPE, [], {"invalid_registry_key"}),
    (config_json({"ghcr.io:https": {"auth": "dTpw"}}), JSON_TYPE, [],
     {"invalid_registry_key"}),
    # wrong_type: kubelet reads pull credentials from two secret types only
    (config_json({"quay.io": {"auth": "dTpw"}}), "Opaque", [], {"wrong_type"}),
    (config_json({"quay.io": {"auth": "dTpw"}}), "kubernetes.io/basic-auth", [],
     {"wrong_type"}),
    # too_large: bigger than the API server would ever store
    ({".dockerconfigjson": "A" * (1_400_000)}, JSON_TYPE, [], {"too_large"}),
    # several problems in one secret
    (config_json({"": {"auth": "dTpw"}, "quay.io": {"auth": "!"}, "ghcr.io": {}}), JSON_TYPE,
     [("quay.io", "unknown", None, None), ("ghcr.io", "unknown", None, None)],
     {"invalid_registry_key", "invalid_base64", "empty_credentials"}),
]  # fmt: skip


@pytest.mark.parametrize(("data", "secret_type", "credentials", "problems"), PROBLEM_CASES)
def test_problems(
    data: dict[str, str], secret_type: str, credentials: list[object], problems: set[str]
) -> None:
    assert summary(parse(data, secret_type=secret_type)) == (credentials, problems)


def test_every_problem_has_a_row() -> None:
    assert set().union(*(row[3] for row in PROBLEM_CASES)) == {p.value for p in Problem}


def test_valid_means_no_problem() -> None:
    assert parse(config_json({"quay.io": {"auth": "dTpw"}})).valid
    assert not parse({}).valid


def test_same_key_twice_yields_one_credential() -> None:
    data = {".dockercfg": b64(json.dumps({"https://quay.io": {"auth": "dTpw"},
                                          "quay.io": {"auth": "dTpw"}}))}  # fmt: skip
    assert len(parse(data, secret_type=CFG_TYPE).credentials) == 1


def test_fingerprints_tell_credentials_apart_and_ignore_the_registry() -> None:
    parsed = parse(config_json({"a.example.com": {"auth": b64("u:p1")},
                                "b.example.com": {"auth": b64("u:p2")},
                                "c.example.com": {"username": "u", "password": "p1"}}))  # fmt: skip
    a, b, c = (credential.fingerprint for credential in parsed.credentials)
    assert a != b
    assert a == c
    assert all(len(f) == 16 and int(f, 16) >= 0 for f in (a, b, c))


def test_now_defaults_to_the_clock() -> None:
    token = jwt.encode({"exp": 4_000_000_000}, "k" * 32, algorithm="HS256")
    data = config_json({"r.example.com": {"username": "u", "password": token}})
    [credential] = parse_pull_secret(JSON_TYPE, data, {}).credentials
    assert credential.expires_at == 4_000_000_000.0
