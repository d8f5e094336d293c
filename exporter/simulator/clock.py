"""Timestamps in the API server's formats."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def rfc3339(seconds: float | None = None) -> str:
    """Seconds since the epoch (default: now) as the API server writes times.

    >>> rfc3339(0)
    '1970-01-01T00:00:00Z'
    """
    moment = time.time() if seconds is None else seconds
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> float:
    """The inverse of :func:`rfc3339` (accepts fractional seconds and offsets too)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
