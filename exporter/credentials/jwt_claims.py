"""Reading ``exp`` and ``iat`` from a JWT without verifying it.

The exporter holds no keys and needs none: it only asks "when does this token say it
expires". The signature is not checked, any ``alg`` is accepted (``none`` included), and
nothing from the token other than the two times is kept.

>>> token = ("eyJhbGciOiJub25lIn0"          # {"alg":"none"}
...          ".eyJleHAiOjE5MDAwMDAwMDAsImlhdCI6MTg5OTk5NjQwMH0.")
>>> read_jwt_times(token, now=1_899_990_000.0)
TokenTimes(expires_at=1900000000.0, issued_at=1899996400.0)
>>> read_jwt_times("ghp_notajwt", now=1_899_990_000.0) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import jwt

from exporter.credentials.limits import MAX_JWT_CHARS
from exporter.credentials.timestamps import plausible_timestamp

# header.payload.signature, base64url without padding; the signature is empty for alg=none.
# Checked (fullmatch: "$" would accept a trailing newline) before pyjwt sees the string.
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_NO_VERIFICATION: jwt.types.Options = {
    "verify_signature": False,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


class TokenTimes(NamedTuple):
    """Times a credential carries about itself, unix seconds; ``None`` when absent."""

    expires_at: float | None
    issued_at: float | None


def looks_like_jwt(token: str) -> bool:
    """Cheap shape test: three base64url segments, a JSON-object header (``eyJ``).

    >>> looks_like_jwt("eyJhbGciOiJIUzI1NiJ9.e30.sig")
    True
    >>> looks_like_jwt("dckr_pat_abc.def.ghi")
    False
    """
    return len(token) <= MAX_JWT_CHARS and _JWT_SHAPE.fullmatch(token) is not None


def read_jwt_claims(token: str) -> Mapping[str, object] | None:
    """The payload of ``token`` when it is a well-formed JWT (unverified), else ``None``.

    Segments that are not base64url JSON objects make it "not a JWT", never an error.
    """
    if not looks_like_jwt(token):
        return None
    try:
        claims: dict[str, object] = jwt.decode(token, options=_NO_VERIFICATION)
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        # pyjwt's messages can quote the token; the exception is dropped, never logged.
        return None
    return claims


def read_jwt_times(token: str, *, now: float) -> TokenTimes | None:
    """``exp``/``iat`` of a JWT; ``None`` when ``token`` is not one.

    A claim that is missing, not a number, or implausibly far from ``now`` is ``None``.
    """
    claims = read_jwt_claims(token)
    if claims is None:
        return None
    return TokenTimes(
        expires_at=plausible_timestamp(claims.get("exp"), now=now),
        issued_at=plausible_timestamp(claims.get("iat"), now=now),
    )
