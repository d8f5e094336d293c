"""Hostile and broken input: bounded work, no exception, no secret in any output."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import astuple

import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.credentials import Problem, parse_pull_secret
from exporter.credentials.dockerconfig import EntrySecrets
from exporter.credentials.limits import MAX_REGISTRIES

NOW = 1_780_000_000.0
JSON_TYPE = "kubernetes.io/dockerconfigjson"
CFG_TYPE = "kubernetes.io/dockercfg"


def b64(raw: str | bytes) -> str:
    return base64.b64encode(raw.encode() if isinstance(raw, str) else raw).decode()


def parse(config: str | bytes, secret_type: str = JSON_TYPE) -> tuple[int, set[str]]:
    key = ".dockerconfigjson" if secret_type == JSON_TYPE else ".dockercfg"
    parsed = parse_pull_secret(secret_type, {key: b64(config)}, {}, now=NOW)
    return len(parsed.credentials), {p.value for p in parsed.problems}


def test_deeply_nested_json_is_invalid_not_a_recursion_error() -> None:
    assert parse("[" * 500_000 + "]" * 500_000) == (0, {"invalid_json"})
    nested_entry = '{"auths": {"q.io": {"username": ' + "[" * 200_000 + "]" * 200_000 + "}}}"
    assert parse(nested_entry) == (0, {"invalid_json"})


def test_oversized_data_value_is_refused_before_decoding() -> None:
    started = time.perf_counter()
    parsed = parse_pull_secret(JSON_TYPE, {".dockerconfigjson": "e30=" * 5_000_000}, {}, now=NOW)
    assert parsed.problems == {Problem.too_large}
    assert time.perf_counter() - started < 0.5


def tiny_registries(count: int) -> str:
    # 100k distinct keys only fit the 1 MiB Secret limit when tiny: "a0b1":0
    keys = (f"{i:05x}" for i in range(count))
    return json.dumps(dict.fromkeys(keys, 0), separators=(",", ":"))


def test_a_hundred_thousand_registries_are_refused_before_parsing() -> None:
    config = tiny_registries(100_000)
    assert len(config) < 1024 * 1024
    assert parse(config, CFG_TYPE) == (0, {"too_large"})
    # the bound counts colons, so blanks around them change nothing
    assert parse(config.replace(":", " : "), CFG_TYPE) == (0, {"too_large"})


def test_registries_past_the_cap_are_skipped() -> None:
    count, problems = parse(tiny_registries(MAX_REGISTRIES + 500), CFG_TYPE)
    assert (count, problems) == (MAX_REGISTRIES, {"too_large", "invalid_json"})


def test_the_member_bound_leaves_room_for_real_secrets() -> None:
    # MAX_REGISTRIES entries as kubectl writes them, each with colons in key and password
    entry = {"username": "u:x", "password": "p:a:s:s", "email": "e", "auth": b64("u:x:p:a:s:s")}
    config = json.dumps({"auths": {f"https://r{i}.example.com:5000": entry
                                   for i in range(MAX_REGISTRIES)}})  # fmt: skip
    assert parse(config) == (MAX_REGISTRIES, set())


def test_invalid_utf8_in_decoded_auth_is_a_password_like_any_other() -> None:
    auth = b64(b"user:\xff\xfe\xc3(")
    other = b64(b"user:\xff\xfe\xc3)")
    config = json.dumps(
        {"auths": {"a.example.com": {"auth": auth}, "b.example.com": {"auth": other}}}
    )
    parsed = parse_pull_secret(JSON_TYPE, {".dockerconfigjson": b64(config)}, {}, now=NOW)
    assert parsed.problems == frozenset()
    first, second = parsed.credentials
    assert first.kind.value == "basic"
    assert first.fingerprint != second.fingerprint


def test_invalid_utf8_in_the_json_document_is_replaced_like_go_does() -> None:
    raw = b'{"auths": {"q.io": {"username": "u\xff", "password": "p\xfe"}}}'
    assert parse(raw) == (1, set())


def test_lone_surrogates_in_json_strings() -> None:
    assert parse('{"auths": {"q.io": {"username": "\\ud800", "password": "\\udfff"}}}') == (
        1,
        set(),
    )


def test_control_characters_in_registry_keys() -> None:
    keys = [
        "ghcr.io\x00",
        "ghcr.io\r\nX-Injected: 1",
        "\x1b[31mghcr.io",
        "ghcr.io\t",
        "ghcr\u2028.io",
    ]
    config = json.dumps({"auths": {key: {"auth": "dTpw"} for key in keys}})
    assert parse(config) == (0, {"invalid_registry_key"})


def test_alg_none_and_junk_jwts_in_every_token_field() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    junk = [f"{header}.{'A' * 50_000}.", f"{header}.e30.", "eyJ!.e30.", "eyJhbGciOiJub25lIn0.[].x"]
    entries = {
        f"r{i}.example.com": {"username": "u", "password": token, "identitytoken": token,
                               "registrytoken": token}
        for i, token in enumerate(junk)
    }  # fmt: skip
    data = {".dockerconfigjson": b64(json.dumps({"auths": entries}))}
    parsed = parse_pull_secret(JSON_TYPE, data, {}, now=NOW)
    assert [c.expires_at for c in parsed.credentials] == [None] * len(junk)


def test_huge_single_fields_stay_bounded() -> None:
    big = "x" * 300_000
    config = json.dumps({"auths": {"q.io": {"username": big, "password": "eyJ" + big}}})
    started = time.perf_counter()
    assert parse(config) == (1, set())
    assert time.perf_counter() - started < 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
entry_fields = st.dictionaries(
    st.sampled_from(["auth", "username", "password", "email", "identitytoken", "registrytoken",
                     "Auth", "PASSWORD"]),
    st.none() | st.text(max_size=40) | st.integers() | st.builds(b64, st.binary(max_size=40)),
    max_size=5,
)  # fmt: skip
configs = st.one_of(
    json_values.map(json.dumps),
    st.dictionaries(st.text(max_size=30), entry_fields | json_values, max_size=5).map(
        lambda auths: json.dumps({"auths": auths})
    ),
    st.dictionaries(st.text(max_size=30), entry_fields, max_size=5).map(json.dumps),
)
data_values = st.one_of(
    st.none() | st.integers() | st.binary(max_size=10),  # not what the API sends, still no crash
    st.text(max_size=60),
    configs.map(b64),
    st.binary(max_size=60).map(b64),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    secret_type=st.sampled_from([JSON_TYPE, CFG_TYPE, "Opaque", ""]),
    data=st.dictionaries(
        st.sampled_from([".dockerconfigjson", ".dockercfg", "other"]) | st.text(max_size=8),
        data_values,
        max_size=3,
    ),
    annotations=st.dictionaries(
        st.sampled_from(
            [
                "expiresAt",
                "expires_at",
                "imagepull-exporter/expires-at",
                "imagepull-exporter/expires-at.ghcr.io",
            ]
        )
        | st.text(max_size=40),
        st.text(max_size=40),
        max_size=4,
    ),
)
def test_parse_pull_secret_never_raises(
    secret_type: str, data: dict[str, str], annotations: dict[str, str]
) -> None:
    parsed = parse_pull_secret(secret_type, data, annotations, now=NOW)
    assert all(len(c.fingerprint) == 16 for c in parsed.credentials)
    assert parsed.problems <= set(Problem)


# --- canaries: planted secrets must never come back out ----------------------------------

CANARY_PASSWORD = "canary-password-7f3a9c"
CANARY_PAT = "ghp_CANARYcanaryCANARYcanary0123456789"
CANARY_JWT = jwt.encode({"exp": int(NOW) + 3600, "canary": "jwt-claim-51e2"}, "k" * 32,
                        algorithm="HS256")  # fmt: skip
CANARY_IDENTITY = "canary-identity-token-0d9e"
CANARY_USER = "canary-user-44b1"


def test_no_secret_appears_in_any_returned_object() -> None:
    auths = {
        "ghcr.io": {"auth": b64(f"{CANARY_USER}:{CANARY_PAT}")},
        "quay.io": {"username": CANARY_USER, "password": CANARY_PASSWORD},
        "myreg.azurecr.io": {"username": "00000000-0000-0000-0000-000000000000",
                             "password": CANARY_JWT},
        "r.example.com": {"identitytoken": CANARY_IDENTITY, "registrytoken": CANARY_JWT},
        "broken.example.com": {"auth": b64(f"{CANARY_USER}{CANARY_PASSWORD}")},
    }  # fmt: skip
    data = {".dockerconfigjson": b64(json.dumps({"auths": auths}))}
    parsed = parse_pull_secret(JSON_TYPE, data, {}, now=NOW)
    assert len(parsed.credentials) == 5
    rendered = [repr(parsed), str(parsed)]
    rendered += [
        text for c in parsed.credentials for text in (repr(c), str(c), *map(str, astuple(c)))
    ]
    planted = [CANARY_PASSWORD, CANARY_PAT, CANARY_JWT, CANARY_IDENTITY, CANARY_USER,
               "jwt-claim-51e2", *(a["auth"] for a in auths.values() if "auth" in a)]  # fmt: skip
    planted += [b64(secret) for secret in planted] + [b64(f"{CANARY_USER}:{CANARY_PAT}")]
    planted += [CANARY_JWT.split(".")[1]]
    for text in rendered:
        for secret in planted:
            assert secret not in text


def test_parsing_internals_redact_their_repr() -> None:
    assert CANARY_PASSWORD not in repr(EntrySecrets("u", CANARY_PASSWORD, "", ""))
