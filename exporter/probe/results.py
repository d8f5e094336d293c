"""What the probe found, kept in memory for the collector: per (namespace, secret,
registry) the last result, and per registry host a histogram of probe durations.

Written by the prober task, read by ``collect()`` on the same event loop: no locks.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from exporter.probe.outcomes import Outcome, Stage
from exporter.probe.targets import ProbeTarget, ResultKey

#: Upper bounds of the duration histogram, seconds (a handshake is 2-4 round trips).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one probe. No secret material, no server-provided text."""

    outcome: Outcome
    stage: Stage
    """Where the outcome was decided (``ping``, ``token``, ``check``, ``secret``)."""
    timestamp: float
    """Unix time the probe finished."""
    duration: float
    """Seconds the handshake took."""
    http_status: int | None = None
    """The HTTP status that decided the outcome, when one did."""
    retry_after: float | None = None
    """Seconds the registry asked to wait (429), capped."""
    expires_at: float | None = None
    """Unix time the credential expires, when the registry said so (GitHub's
    ``github-authentication-token-expiration`` header): an expiry with ``source="probe"``."""

    @property
    def success(self) -> bool:
        return self.outcome is Outcome.ok


@dataclass
class DurationHistogram:
    """Cumulative-on-read histogram of probe durations for one registry host."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(DURATION_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.total += seconds

    def buckets(self) -> list[tuple[str, float]]:
        """``(le, cumulative count)`` pairs, ending with ``+Inf``."""
        bounds = [repr(b) for b in DURATION_BUCKETS] + ["+Inf"]
        running, out = 0, []
        for bound, count in zip(bounds, self.counts, strict=True):
            running += count
            out.append((bound, float(running)))
        return out

    @property
    def count(self) -> int:
        return sum(self.counts)


class ProbeResults:
    """The probe's findings; ``version`` grows on every change, for render caches."""

    def __init__(self) -> None:
        self._results: dict[ResultKey, ProbeResult] = {}
        self._durations: dict[str, DurationHistogram] = {}
        self.rounds = 0
        """Completed rounds (for tests and logs)."""
        self.version = 0

    def record(self, target: ProbeTarget, result: ProbeResult) -> None:
        """Publish ``result`` for every secret holding the target's credential."""
        for key in target.result_keys:
            self._results[key] = result
        if result.stage != "secret":  # no handshake happened: nothing to time
            self._durations.setdefault(target.host, DurationHistogram()).observe(result.duration)
        self.version += 1

    def retain(self, keys: Iterable[ResultKey]) -> None:
        """Forget results of secrets and keys no longer planned (deleted, denied)."""
        wanted = set(keys)
        stale = [key for key in self._results if key not in wanted]
        for key in stale:
            del self._results[key]
        if stale:
            self.version += 1

    def get(self, key: ResultKey) -> ProbeResult | None:
        return self._results.get(key)

    def items(self) -> list[tuple[ResultKey, ProbeResult]]:
        """Results sorted by (namespace, secret, registry)."""
        return sorted(self._results.items())

    def durations(self) -> list[tuple[str, DurationHistogram]]:
        """Duration histograms sorted by registry host."""
        return sorted(self._durations.items())

    def expiries(self) -> Iterator[tuple[ResultKey, float]]:
        """``((namespace, secret, registry), expiry)`` learnt from registries, for the
        credential expiry metric's ``source="probe"`` series."""
        for key, result in self.items():
            if result.expires_at is not None:
                yield key, result.expires_at
