"""What the probe found, kept in memory for the collector: per (namespace, secret,
registry) the last result with the verdict and expiry that carry over inconclusive
probes of the same credential, and per registry host a histogram of probe durations.
A restart forgets all of it.

Written by the prober task, read by ``collect()`` on the same event loop: no locks.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from exporter.probe.outcomes import REJECTIONS, VERDICTS, Outcome, Stage
from exporter.probe.targets import ProbeTarget, ResultKey

#: Upper bounds of the duration histogram, seconds (a handshake is 2-4 round trips).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Registry hosts with a duration histogram of their own; the rest share ``other``.
MAX_DURATION_HOSTS = 100
OTHER_HOST = "other"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one probe. No secret material, no server-provided text."""

    outcome: Outcome
    """What the latest attempt found."""
    stage: Stage
    """Where the outcome was decided (``ping``, ``token``, ``login``, ``check``, ``secret``)."""
    timestamp: float
    """Unix time the probe finished."""
    duration: float
    """Seconds the handshake took."""
    http_status: int | None = None
    """The HTTP status that decided the outcome, when one did."""
    retry_after: float | None = None
    """Seconds the registry asked to wait (429), capped."""
    expires_at: float | None = None
    """Unix time the credential expires, when GitHub's API said so (see
    ``exporter.probe.github``): an expiry with ``source="probe"``. Kept for the credential
    while later probes learn none."""
    verdict: Outcome | None = None
    """The last conclusive outcome for this credential (``ok``, ``not_found``,
    ``unauthorized``, ``forbidden``), kept while later attempts are inconclusive;
    ``None`` until one was conclusive."""

    @property
    def accepted(self) -> bool | None:
        """``imagepull_registry_probe_success``: the verdict; ``None``: no verdict yet."""
        return None if self.verdict is None else VERDICTS[self.verdict]

    @property
    def result(self) -> Outcome:
        """``imagepull_registry_probe_result``: the latest attempt's outcome, except that an
        inconclusive attempt (network, tls, rate_limited, error) does not replace a
        rejection: a registry that stops answering must not clear the alert of a credential
        it rejected."""
        if self.outcome not in VERDICTS and self.verdict in REJECTIONS:
            return self.verdict
        return self.outcome

    def following(self, previous: ProbeResult | None) -> ProbeResult:
        """This attempt as published after ``previous`` (the same credential's last
        result): the verdict and the expiry carry over when this attempt brings none.

        >>> rejected = ProbeResult(Outcome.unauthorized, "token", 1.0, 0.1).following(None)
        >>> later = ProbeResult(Outcome.network, "ping", 2.0, 0.1).following(rejected)
        >>> later.outcome.value, later.result.value, later.accepted
        ('network', 'unauthorized', False)
        """
        verdict = self.outcome if self.outcome in VERDICTS else self.verdict
        expires_at = self.expires_at
        timestamp = self.timestamp
        if previous is not None:
            verdict = verdict or previous.verdict
            expires_at = expires_at if expires_at is not None else previous.expires_at
            if self.stage == "secret":
                # Its secret could not be read: the registry was not asked, so the last
                # probe stays when it was (and goes stale: ImagePullRegistryProbeStale).
                timestamp = previous.timestamp
        return replace(self, verdict=verdict, expires_at=expires_at, timestamp=timestamp)


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

    def __init__(self, *, max_hosts: int = MAX_DURATION_HOSTS) -> None:
        self._results: dict[ResultKey, ProbeResult] = {}
        self._fingerprints: dict[ResultKey, str] = {}
        self._durations: dict[str, DurationHistogram] = {}
        self._max_hosts = max_hosts
        self.rounds = 0
        """Completed rounds (for tests and logs)."""
        self.version = 0

    def record(self, target: ProbeTarget, result: ProbeResult) -> ProbeResult:
        """Publish ``result`` for every secret holding the target's credential; returns it
        as published for the first (with the verdict and expiry it carries over)."""
        published = []
        for key in target.result_keys:
            # A rotated secret keeps its key but holds another credential: nothing of the
            # old one's verdict or expiry may carry over to it.
            same = self._fingerprints.get(key) == target.fingerprint
            published.append(result.following(self._results.get(key) if same else None))
            self._results[key] = published[-1]
            self._fingerprints[key] = target.fingerprint
        if result.stage != "secret":  # no handshake happened: nothing to time
            self._histogram(target.host).observe(result.duration)
        self.version += 1
        return published[0] if published else result

    def _histogram(self, host: str) -> DurationHistogram:
        # Hosts come from images in the cluster: past the cap they share one series.
        if host not in self._durations and len(self._durations) >= self._max_hosts:
            host = OTHER_HOST
        return self._durations.setdefault(host, DurationHistogram())

    def retain(self, keys: Iterable[ResultKey]) -> None:
        """Forget results of secrets and keys no longer planned (deleted, denied)."""
        wanted = set(keys)
        stale = [key for key in self._results if key not in wanted]
        for key in stale:
            del self._results[key]
            del self._fingerprints[key]
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
        """``((namespace, secret, registry), expiry)`` learnt from GitHub's API, for the
        credential expiry metric's ``source="probe"`` series."""
        for key, result in self.items():
            if result.expires_at is not None:
                yield key, result.expires_at
