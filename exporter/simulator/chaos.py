"""Chaos mode: random faults at a rate per API request and per watch event.

With rate R, each ``/api/v1`` request draws a fault with probability R (what it can draw
depends on the verb), and each object event a watch is about to send draws one with
probability R. Once in a while (R/10 per request) the whole server restarts: watches
close, history and continue tokens expire. Control paths (``/simulator/``), discovery
and probes are never affected.

The draws come from one ``random.Random(seed)``: with a seed, the sequence of decisions is
the same on every run (which request gets which decision still depends on timing).

>>> chaos = Chaos(rate=1.0, seed=7)
>>> chaos.request_fault("pods", "list") is not None
True
>>> Chaos(rate=0.0).request_fault("pods", "list") is None
True
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from exporter.simulator.faults import (
    DisconnectMidLine,
    ErrorEvent,
    Fault,
    Gone,
    Stall,
    StatusFault,
    TooManyRequests,
    TruncatedLine,
    fault_name,
)

RESTART = "restart"
KINDS = frozenset(
    {
        "status_500",
        "status_503",
        "too_many_requests",
        "gone",
        "error_event_500",
        "stall",
        "disconnect_mid_line",
        "truncated_line",
        RESTART,
    }
)
"""Every kind of fault chaos injects, as counted in ``injected``."""
RETRY_AFTER_SECONDS = 1
DEFAULT_STALL_SECONDS = 5.0
FaultMaker = Callable[[random.Random, float], Fault]

_SERVER_ERRORS: tuple[FaultMaker, ...] = (
    lambda _, __: StatusFault(code=500, message="chaos: internal error"),
    lambda _, __: StatusFault(code=503, message="chaos: service unavailable"),
    lambda _, __: TooManyRequests(retry_after=RETRY_AFTER_SECONDS),
)
_BROKEN_STREAMS: tuple[FaultMaker, ...] = (
    lambda _, __: Gone(),
    lambda _, __: ErrorEvent(code=500, message="chaos: watch error"),
    lambda _, stall: Stall(seconds=stall),
    lambda r, __: DisconnectMidLine(events=r.randint(0, 2)),
    lambda r, __: TruncatedLine(events=r.randint(0, 2)),
)
_BROKEN_BODIES: tuple[FaultMaker, ...] = (
    lambda _, __: Gone(),
    lambda _, __: DisconnectMidLine(),
    lambda _, __: TruncatedLine(),
)
MENU: dict[str, tuple[FaultMaker, ...]] = {
    "watch": _SERVER_ERRORS + _BROKEN_STREAMS,
    "list": _SERVER_ERRORS + _BROKEN_BODIES,
    "get": _SERVER_ERRORS + _BROKEN_BODIES,
}
"""What a request of each verb can draw; other verbs (writes) draw from ``_SERVER_ERRORS``."""
EVENT_MENU: tuple[FaultMaker, ...] = (
    lambda _, __: Gone(),
    lambda _, __: ErrorEvent(code=500, message="chaos: watch error"),
    lambda _, stall: Stall(seconds=stall),
    lambda _, __: DisconnectMidLine(events=0),
    lambda _, __: TruncatedLine(events=0),
)
"""What breaks a watch stream in the middle, just before an event."""


def validate_stall_seconds(seconds: float) -> float:
    """``seconds`` if it is a usable stall length (positive and finite), else ``ValueError``."""
    if not 0.0 < seconds < float("inf"):  # also rejects NaN
        raise ValueError(f"chaos stall seconds must be positive, got {seconds!r}")
    return seconds


def validate_rate(rate: float) -> float:
    """``rate`` if it is a probability, else ``ValueError``.

    >>> validate_rate(0.05)
    0.05
    """
    if not 0.0 <= rate <= 1.0:  # also rejects NaN
        raise ValueError(f"chaos rate must be between 0 and 1, got {rate!r}")
    return rate


class Chaos:
    """Draws faults for requests and watch events; ``injected`` counts them by type."""

    def __init__(
        self,
        rate: float = 0.0,
        seed: int | None = None,
        *,
        stall_seconds: float = DEFAULT_STALL_SECONDS,
    ) -> None:
        self.rate = validate_rate(rate)
        self.stall_seconds = validate_stall_seconds(stall_seconds)
        self.injected: Counter[str] = Counter()
        self._random = random.Random(seed)

    def set(self, rate: float, seed: int | None = None) -> None:
        """Change the rate at run time (0 turns chaos off); a seed restarts the sequence."""
        self.rate = validate_rate(rate)
        if seed is not None:
            self._random = random.Random(seed)

    def restart_now(self) -> bool:
        """Whether this request restarts the server first (rate/10)."""
        if self.rate <= 0.0 or self._random.random() >= self.rate / 10:
            return False
        self.injected[RESTART] += 1
        return True

    def request_fault(self, resource: str, verb: str) -> Fault | None:
        """The fault for one request on ``resource``, or None (probability 1 - rate)."""
        return self._draw(MENU.get(verb, _SERVER_ERRORS))

    def event_fault(self) -> Fault | None:
        """The fault that breaks a watch just before its next event, or None."""
        return self._draw(EVENT_MENU)

    def _draw(self, menu: tuple[FaultMaker, ...]) -> Fault | None:
        if self.rate <= 0.0 or self._random.random() >= self.rate:
            return None
        fault = self._random.choice(menu)(self._random, self.stall_seconds)
        self.injected[fault_name(fault)] += 1
        return fault
