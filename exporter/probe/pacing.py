"""Manners towards registries: a clock to wait on, a global rate limit, and back-off
per registry after 429."""

from __future__ import annotations

import asyncio
import email.utils
import math
import time
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    """Time as the prober sees it; tests pass a fake one instead of sleeping."""

    def time(self) -> float:
        """Unix time (timestamps of results)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (durations, back-off, the rate limit)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clocks and ``asyncio.sleep``."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            self._refill()
            while self._tokens < 1.0:
                await self._clock.sleep((1.0 - self._tokens) / self._rate)
                self._refill()
            self._tokens -= 1.0


@dataclass
class RegistryBackoff:
    """When each registry host may be probed again after answering 429."""

    base: float
    cap: float
    _until: dict[str, float] = field(default_factory=dict)
    _streak: dict[str, int] = field(default_factory=dict)

    def waiting(self, host: str, now: float) -> bool:
        return self._until.get(host, 0.0) > now

    def rate_limited(self, host: str, now: float, retry_after: float | None) -> float:
        """Note a 429; returns the seconds the host is left alone. ``Retry-After`` wins,
        else the back-off doubles with each 429 in a row."""
        streak = self._streak.get(host, 0)
        self._streak[host] = streak + 1
        delay = retry_after if retry_after is not None else self.base * 2**streak
        delay = min(max(delay, 1.0), self.cap)
        self._until[host] = max(self._until.get(host, 0.0), now + delay)
        return delay

    def answered(self, host: str) -> None:
        """Any answer other than 429 ends the streak."""
        self._streak.pop(host, None)
        self._until.pop(host, None)


def parse_retry_after(value: str | None, now: float, cap: float) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or an HTTP date), capped.

    >>> parse_retry_after("120", now=0.0, cap=3600.0)
    120.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=30.0, cap=3600.0)
    30.0
    >>> parse_retry_after("soon", now=0.0, cap=3600.0) is None
    True
    """
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), cap)
