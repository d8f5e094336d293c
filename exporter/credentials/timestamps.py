"""Plausibility checks and parsing for points in time found in secrets and annotations.

A decoded ``exp`` of ``1e300``, ``NaN``, ``true`` or a value in milliseconds is not an
expiry anyone meant; such values are ignored rather than exported as a timestamp.

>>> plausible_timestamp(1_900_000_000, now=1_800_000_000.0)
1900000000.0
>>> plausible_timestamp(1_900_000_000_000, now=1_800_000_000.0) is None
True
>>> parse_timestamp("2030-01-02T03:04:05Z", now=1_800_000_000.0)
1893553445.0
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from exporter.credentials.limits import MAX_TIMESTAMP_CHARS

_YEAR_SECONDS = 365.25 * 24 * 3600
#: How far from ``now`` a timestamp may be and still mean something. Tokens that "never"
#: expire often carry exp = year 9999; treating that as no expiry is the honest reading.
PAST_WINDOW_SECONDS = 30 * _YEAR_SECONDS
FUTURE_WINDOW_SECONDS = 100 * _YEAR_SECONDS
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")


def plausible_timestamp(value: object, *, now: float) -> float | None:
    """``value`` as unix seconds when it is a finite number near ``now``, else ``None``.

    JSON ``true`` is a Python ``bool`` (an ``int`` subclass): it is not a time.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and abs(value) > 2**53:
        return None  # float() of a 400-digit JSON integer raises OverflowError
    seconds = float(value)
    if not math.isfinite(seconds):
        return None
    if not now - PAST_WINDOW_SECONDS <= seconds <= now + FUTURE_WINDOW_SECONDS:
        return None
    return seconds


def parse_timestamp(text: str, *, now: float) -> float | None:
    """Unix seconds from an RFC 3339 string or a decimal unix time, else ``None``.

    RFC 3339 requires an offset, so a timestamp without one (local time of an unknown
    zone) is rejected rather than guessed.

    >>> parse_timestamp("1893553445", now=1_800_000_000.0)
    1893553445.0
    >>> parse_timestamp("2030-01-02T03:04:05", now=1_800_000_000.0) is None
    True
    """
    text = text.strip()
    if not text or len(text) > MAX_TIMESTAMP_CHARS:
        return None
    if _UNIX_SECONDS.fullmatch(text):
        return plausible_timestamp(float(text), now=now)
    try:
        # RFC 3339 allows a lower-case "t" and "z"; fromisoformat only the upper case.
        parsed = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return plausible_timestamp(parsed.timestamp(), now=now)
