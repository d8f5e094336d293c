"""Reading ``exp`` and ``iat`` from a JWT without verifying it.

The exporter holds no keys and needs none: it only asks "when does this token say it
expires". The signature is not checked, any ``alg`` is accepted (``none`` included), and
nothing from the token other than the two times is kept. The segments are decoded here
rather than by a JWT library: a library validates headers (``kid`` type, ``crit``,
``b64``) that say nothing about when the token expires, and would lose its ``exp``.

>>> token = ("eyJhbGciOiJub25lIn0"          # {"alg":"none"}
...          ".eyJleHAiOjE5MDAwMDAwMDAsImlhdCI6MTg5OTk5NjQwMH0.")
>>> read_jwt_times(token, now=1_899_990_000.0)
TokenTimes(expires_at=1900000000.0, issued_at=1899996400.0)
>>> read_jwt_times("ghp_notajwt", now=1_899_990_000.0) is None
True
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import NamedTuple

from exporter.credentials.limits import MAX_JWT_CHARS
from exporter.credentials.timestamps import plausible_timestamp

# header.payload.signature, base64url without padding; the signature is empty for alg=none.
# Checked (fullmatch: "$" would accept a trailing newline) before anything is decoded.
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


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


def _segment_object(segment: str) -> dict[str, object] | None:
    """A base64url (unpadded) segment holding a JSON object, else ``None``."""
    if len(segment) % 4 == 1:
        return None  # no base64 string has this length
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        document: object = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        # Messages can quote the input; the exception is dropped, never logged.
        return None
    return document if isinstance(document, dict) else None


def read_jwt_claims(token: str) -> Mapping[str, object] | None:
    """The payload of ``token`` when it is JWT-shaped (unverified), else ``None``.

    Both the header and the payload must be base64url JSON objects; the header's content
    is not looked at. Segments that are not make it "not a JWT", never an error.

    >>> read_jwt_claims("eyJhbGciOiJub25lIiwia2lkIjp7IngiOjF9fQ.eyJleHAiOjF9.")  # kid: {...}
    {'exp': 1}
    """
    if not looks_like_jwt(token):
        return None
    header, payload, _ = token.split(".")
    if _segment_object(header) is None:
        return None
    return _segment_object(payload)


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
