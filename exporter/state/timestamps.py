"""RFC 3339 timestamps from the API, as unix seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_rfc3339(value: object) -> float | None:
    """Unix seconds of an API timestamp, ``None`` when absent or malformed.

    >>> parse_rfc3339("2026-11-25T08:00:00Z")
    1795593600.0
    >>> parse_rfc3339("yesterday") is None
    True
    """
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # the API always means UTC
    try:
        return parsed.timestamp()
    except (ValueError, OverflowError):
        return None
