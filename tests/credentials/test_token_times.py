"""Expiry decoding from JWTs and ECR tokens, and plausibility of decoded times."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from exporter.credentials.ecr import is_ecr_registry, read_ecr_times
from exporter.credentials.jwt_claims import TokenTimes, looks_like_jwt, read_jwt_times
from exporter.credentials.timestamps import parse_timestamp, plausible_timestamp

NOW = 1_780_000_000.0  # 2026-05-28T20:26:40Z
HOUR = 3600


def _b64url(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def unsigned_jwt(claims: object, header: object | None = None) -> str:
    """A JWT with ``alg: none`` and an empty signature, crafted by hand (RFC 7519 §6)."""
    return f"{_b64url(header or {'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}."


def ecr_password(expiration: object) -> str:
    """The shape GetAuthorizationToken returns after ``AWS:``: base64 of a KMS envelope."""
    envelope = {
        "payload": base64.b64encode(b"\x01\x02" * 300).decode(),
        "datakey": base64.b64encode(b"\x03\x04" * 90).decode(),
        "version": "2",
        "type": "DATA_KEY",
        "expiration": expiration,
    }
    return base64.b64encode(json.dumps(envelope).encode()).decode()


HS256_TOKEN = jwt.encode(
    {"exp": int(NOW) + 3 * HOUR, "iat": int(NOW), "iss": "Azure Container Registry"},
    "not-a-real-key-but-long-enough-for-hs256",
    algorithm="HS256",
)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # minted with pyjwt, as an ACR refresh token carries exp/iat
        (HS256_TOKEN, TokenTimes(NOW + 3 * HOUR, NOW)),
        # alg: none is read too: the signature is never checked
        (unsigned_jwt({"exp": NOW + 60, "iat": NOW - 60}), TokenTimes(NOW + 60, NOW - 60)),
        # unknown alg, junk signature
        (f"{_b64url({'alg': 'XX999'})}.{_b64url({'exp': 1_790_000_000})}.c2ln",
         TokenTimes(1_790_000_000.0, None)),
        # headers pyjwt refuses still carry a readable payload: a non-string kid, an
        # unknown crit extension, RFC 7797's unencoded payload flag
        (unsigned_jwt({"exp": NOW + 60}, {"alg": "none", "kid": {"x": 1}}),
         TokenTimes(NOW + 60, None)),
        (unsigned_jwt({"exp": NOW + 60}, {"alg": "HS256", "crit": ["exp"], "exp": 1}),
         TokenTimes(NOW + 60, None)),
        (unsigned_jwt({"exp": NOW + 60}, {"alg": "HS256", "b64": False, "crit": ["b64"]}),
         TokenTimes(NOW + 60, None)),
        (unsigned_jwt({"exp": NOW + 60}, {}), TokenTimes(NOW + 60, None)),  # no alg at all
        # fractional NumericDate is allowed by RFC 7519
        (unsigned_jwt({"exp": NOW + 0.5}), TokenTimes(NOW + 0.5, None)),
        # claims present but unusable: ignored one by one
        (unsigned_jwt({"exp": "tomorrow", "iat": True}), TokenTimes(None, None)),
        (unsigned_jwt({"exp": (NOW + HOUR) * 1000}), TokenTimes(None, None)),  # milliseconds
        (unsigned_jwt({"exp": 253_402_300_799}), TokenTimes(None, None)),  # year 9999
        (unsigned_jwt({"exp": 10**400}), TokenTimes(None, None)),
        (unsigned_jwt({"exp": -1}), TokenTimes(None, None)),
        (unsigned_jwt({"sub": "no times at all"}), TokenTimes(None, None)),
        # not JWTs
        (unsigned_jwt([1, 2, 3]), None),  # payload is not an object
        (f"{_b64url({'alg': 'none'})}.bm90IGpzb24.", None),  # payload not JSON
        (f"{_b64url({'alg': 'none'})}.@@@.", None),
        ("eyJ.eyJ.", None),
        (f"eyJub3Q.{_b64url({'exp': 1_790_000_000})}.", None),  # header not JSON
        (f"{_b64url({'alg': 'none'})}.{_b64url({'exp': 1})}x.", None),  # impossible length
        (f"{_b64url('just a string')}.{_b64url({'exp': 1})}.", None),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", None),
        ("hunter2", None),
        ("", None),
        (unsigned_jwt({"exp": NOW, "pad": "x" * 20_000}), None),  # over the 16 KiB cap
    ],
)  # fmt: skip
def test_read_jwt_times(token: str, expected: TokenTimes | None) -> None:
    assert read_jwt_times(token, now=NOW) == expected


def test_looks_like_jwt_refuses_huge_strings_cheaply() -> None:
    assert not looks_like_jwt("eyJ" + "a" * 2_000_000 + ".e30.")


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", True),
        ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", True),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", True),
        ("123456789012.dkr-ecr.eu-west-1.on.aws", True),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com:443", True),
        ("*.dkr.ecr.*.amazonaws.com", True),
        ("public.ecr.aws", True),
        ("ecr.example.com", False),
        ("dkr.ecr.eu-west-1.amazonaws.com", False),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example", False),
    ],
)
def test_is_ecr_registry(registry: str, expected: bool) -> None:
    assert is_ecr_registry(registry) is expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        # a fresh token: 12 h left, issued now (derived from the fixed lifetime)
        (ecr_password(int(NOW) + 12 * HOUR), TokenTimes(NOW + 12 * HOUR, NOW)),
        (ecr_password(int(NOW) + HOUR), TokenTimes(NOW + HOUR, NOW - 11 * HOUR)),
        (ecr_password("soon"), None),
        (ecr_password(None), None),
        (ecr_password(float("nan")), None),
        (base64.b64encode(b"[1, 2]").decode(), None),
        (base64.b64encode(b"\xff\xfe not json").decode(), None),
        ("not base64 at all!", None),
        ("", None),
        ("A" * 20_000, None),  # over the cap: not decoded
    ],
)
def test_read_ecr_times(password: str, expected: TokenTimes | None) -> None:
    assert read_ecr_times(password, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NOW, NOW),
        (int(NOW), NOW),
        (True, None),
        (None, None),
        ("1780000000", None),  # a string is not a NumericDate
        (float("inf"), None),
        (float("nan"), None),
        (NOW * 1000, None),
        (NOW - 31 * 365.25 * 86400, None),
        (NOW + 101 * 365.25 * 86400, None),
        (2**64, None),
    ],
)
def test_plausible_timestamp(value: object, expected: float | None) -> None:
    assert plausible_timestamp(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01T00:00:00Z", 1_780_272_000.0),
        ("2026-06-01t00:00:00z", 1_780_272_000.0),  # RFC 3339 allows lower case
        ("2026-06-01T02:00:00+02:00", 1_780_272_000.0),
        # Kubernetes writes nanoseconds; they are cut to microseconds
        ("2026-06-01T00:00:00.123456789Z", pytest.approx(1_780_272_000.123456)),
        ("2026-06-01T00:00:00.5Z", 1_780_272_000.5),
        ("1780272000", 1_780_272_000.0),  # external-secrets' expires_at: unix seconds
        (" 1780272000 ", 1_780_272_000.0),
        ("1780272000.25", 1_780_272_000.25),
        ("2026-06-01T00:00:00", None),  # no offset: not RFC 3339, zone unknown
        ("2026-06-01", None),
        ("next tuesday", None),
        ("", None),
        ("-1780272000", None),
        ("9" * 80, None),
        ("1780272000000", None),  # milliseconds
    ],
)
def test_parse_timestamp(text: str, expected: object) -> None:
    assert parse_timestamp(text, now=NOW) == expected
