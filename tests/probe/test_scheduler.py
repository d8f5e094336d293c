"""The prober's schedule in virtual time: rounds, jitter (the first round's too),
concurrency, rate limit, back-off after 429, deduplication, results kept and dropped, the
expiry step, and no probe at all when disabled."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from itertools import pairwise

from exporter.kube.client import KubeClient
from exporter.probe.handshake import HandshakeOutcome
from exporter.probe.login import Login
from exporter.probe.outcomes import Outcome
from exporter.probe.results import ProbeResults
from exporter.probe.scheduler import run_prober
from exporter.probe.settings import ProbeSettings
from exporter.probe.targets import ProbeTarget
from exporter.state.cluster import ClusterState
from tests.probe.fake_clock import FakeClock
from tests.probe.test_targets import pod, pull_secret, state_with

# run_prober only uses the client through ``fetch``, which these tests replace.
NO_CLIENT: KubeClient = None  # type: ignore[assignment]


class FakeRegistries:
    """Answers handshakes from a script per registry host, counting calls in flight."""

    def __init__(self, clock: FakeClock, seconds: float = 0.5) -> None:
        self.clock = clock
        self.seconds = seconds
        self.script: dict[str, Callable[[], HandshakeOutcome]] = {}
        self.calls: list[tuple[float, str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def fetch(self, target: ProbeTarget) -> Login:
        return Login("robot", "canary-password")

    async def probe(self, target: ProbeTarget, login: Login) -> HandshakeOutcome:
        self.calls.append((self.clock.now, target.host, target.registry))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.clock.sleep(self.seconds)
        finally:
            self.in_flight -= 1
        answer = self.script.get(target.host)
        return answer() if answer else HandshakeOutcome(Outcome.ok, "check", 200)


@asynccontextmanager
async def prober(
    state: ClusterState, settings: ProbeSettings, clock: FakeClock, registries: FakeRegistries
) -> AsyncIterator[ProbeResults]:
    results = ProbeResults()
    task = asyncio.create_task(
        run_prober(NO_CLIENT, state, settings, results, clock=clock, fetch=registries.fetch,
                   probe=registries.probe, rng=random.Random(7))
    )  # fmt: skip
    try:
        yield results
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled(), "run_prober must only end by cancellation"


def many_registries(count: int) -> ClusterState:
    auths = {f"r{i:02d}.example.com": ("u", "p") for i in range(count)}
    return state_with(pull_secret("a", "many", auths))


SETTINGS = ProbeSettings(enabled=True, interval=600.0, jitter=0.1, concurrency=4, rate=100.0,
                         burst=100)  # fmt: skip
#: The longest wait before the first round with SETTINGS: interval x jitter.
START = 60.0


async def test_disabled_probes_nothing() -> None:
    clock, state = FakeClock(), many_registries(3)
    registries = FakeRegistries(clock)
    async with prober(state, ProbeSettings(enabled=False), clock, registries) as results:
        await clock.advance(10_000)
    assert registries.calls == []
    assert results.items() == []


async def test_rounds_repeat_at_the_jittered_interval() -> None:
    clock, state = FakeClock(), many_registries(1)
    registries = FakeRegistries(clock)
    async with prober(state, SETTINGS, clock, registries) as results:
        await clock.advance(3 * 660 + 10)
    starts = [when for when, _, _ in registries.calls]
    gaps = [b - a for a, b in pairwise(starts)]
    assert len(starts) >= 3
    assert all(540 <= gap - registries.seconds <= 660 for gap in gaps), gaps
    assert len(set(gaps)) > 1, "the interval is jittered"
    assert results.rounds == len(starts)


async def test_concurrency_is_capped() -> None:
    clock, state = FakeClock(), many_registries(12)
    registries = FakeRegistries(clock)
    async with prober(state, SETTINGS, clock, registries) as results:
        await clock.advance(START + 5)
    assert len(registries.calls) == 12
    assert registries.max_in_flight == 4
    assert results.rounds == 1


async def test_global_rate_limit_spreads_probes() -> None:
    clock, state = FakeClock(), many_registries(10)
    registries = FakeRegistries(clock, seconds=0.0)
    settings = ProbeSettings(enabled=True, interval=600.0, concurrency=10, rate=2.0, burst=2)
    async with prober(state, settings, clock, registries):
        await clock.advance(START + 60)
    first = registries.calls[0][0]
    starts = sorted(when - first for when, _, _ in registries.calls[:10])
    # Two at once (the burst), then one every half second.
    assert starts == [0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]


async def test_429_backs_off_that_registry_only() -> None:
    clock = FakeClock()
    state = state_with(
        pull_secret("a", "busy", {"busy.example.com": ("u", "p")}),
        pull_secret("a", "calm", {"calm.example.com": ("u", "p")}),
    )
    registries = FakeRegistries(clock)
    registries.script["busy.example.com"] = lambda: HandshakeOutcome(
        Outcome.rate_limited, "token", 429, retry_after=1500.0
    )
    async with prober(state, SETTINGS, clock, registries) as results:
        await clock.advance(START + 1300)  # rounds at ~20, ~580, ~1200
        busy = [when for when, host, _ in registries.calls if host == "busy.example.com"]
        calm = [when for when, host, _ in registries.calls if host == "calm.example.com"]
        assert len(busy) == 1
        assert len(calm) == 3
        result = results.get(("a", "busy", "busy.example.com"))
        assert result is not None
        assert result.outcome is Outcome.rate_limited
        await clock.advance(1200)  # Retry-After has passed: probed again
    busy = [when for when, host, _ in registries.calls if host == "busy.example.com"]
    assert len(busy) >= 2
    assert busy[1] - busy[0] >= 1500


async def test_429_without_retry_after_doubles() -> None:
    clock = FakeClock()
    state = state_with(pull_secret("a", "s", {"busy.example.com": ("u", "p")}))
    registries = FakeRegistries(clock)
    registries.script["busy.example.com"] = lambda: HandshakeOutcome(
        Outcome.rate_limited, "check", 429
    )
    settings = ProbeSettings(enabled=True, interval=10.0, jitter=0.0, timeout=5.0,
                             backoff=25.0, max_backoff=100.0)  # fmt: skip
    async with prober(state, settings, clock, registries):
        await clock.advance(400)
    starts = [when for when, _, _ in registries.calls]
    gaps = [b - a for a, b in pairwise(starts)]
    # Each gap is the back-off (25, 50, then 100 capped) up to the next 10 s round.
    for gap, backoff in zip(gaps, [25.0, 50.0, 100.0, 100.0], strict=False):
        assert backoff <= gap <= backoff + 11.0, gaps
    assert len(gaps) >= 4


async def test_results_follow_the_secrets() -> None:
    clock, state = FakeClock(), ClusterState()
    secrets = state.secrets.partition()
    secrets.upsert(pull_secret("a", "one", {"ghcr.io": ("bot", "pat")}))
    secrets.upsert(pull_secret("b", "two", {"ghcr.io": ("bot", "pat")}))
    state.pods.partition().upsert(pod("a", "p", ["one"], "ghcr.io/acme/api:1"))
    registries = FakeRegistries(clock)
    async with prober(state, SETTINGS, clock, registries) as results:
        await clock.advance(START + 1)
        assert [key for key, _ in results.items()] == [("a", "one", "ghcr.io"),
                                                       ("b", "two", "ghcr.io")]  # fmt: skip
        assert len(registries.calls) == 1, "one probe for both secrets"
        secrets.delete({"metadata": {"namespace": "b", "name": "two"}})
        await clock.advance(700)
        assert [key for key, _ in results.items()] == [("a", "one", "ghcr.io")]


async def test_a_probe_that_raises_is_an_error_result_and_probing_goes_on() -> None:
    clock, state = FakeClock(), many_registries(2)
    registries = FakeRegistries(clock)

    def broken() -> HandshakeOutcome:
        raise RuntimeError("bug")

    registries.script["r00.example.com"] = broken
    async with prober(state, SETTINGS, clock, registries) as results:
        await clock.advance(1300)
    outcomes = {key[2]: result.outcome for key, result in results.items()}
    assert outcomes == {"r00.example.com": Outcome.error, "r01.example.com": Outcome.ok}
    assert results.rounds == 3


async def test_the_first_round_waits_a_random_part_of_interval_times_jitter() -> None:
    # Replicas started together (or an exporter restarting in a loop, which keeps no
    # back-off state) must not all probe every registry at once.
    firsts = []
    for seed in (1, 2, 3):
        clock, state = FakeClock(), many_registries(1)
        registries = FakeRegistries(clock)
        results = ProbeResults()
        task = asyncio.create_task(
            run_prober(NO_CLIENT, state, SETTINGS, results, clock=clock,
                       fetch=registries.fetch, probe=registries.probe,
                       rng=random.Random(seed))
        )  # fmt: skip
        start = clock.now
        await clock.advance(START)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        [(when, _, _)] = registries.calls
        firsts.append(when - start)
    assert all(0 <= first <= START for first in firsts), firsts
    assert len(set(firsts)) == 3, "the start is drawn, not fixed"


class ExpiryReader:
    """Answers the expiry step; counts who it was asked for."""

    def __init__(self, expiry: float | None = 1_900_000_000.0, fail: bool = False) -> None:
        self.expiry = expiry
        self.fail = fail
        self.asked: list[str] = []

    async def __call__(self, target: ProbeTarget, login: Login) -> float | None:
        self.asked.append(target.host)
        if self.fail:
            raise RuntimeError("bug")
        return self.expiry


async def test_expiry_is_asked_only_after_the_registry_took_the_login() -> None:
    clock = FakeClock()
    state = state_with(
        pull_secret("a", "good", {"good.example.com": ("u", "p")}),
        pull_secret("a", "gone", {"gone.example.com": ("u", "p")}),
        pull_secret("a", "down", {"down.example.com": ("u", "p")}),
    )
    registries = FakeRegistries(clock)
    registries.script["gone.example.com"] = lambda: HandshakeOutcome(
        Outcome.unauthorized, "token", 401
    )
    registries.script["down.example.com"] = lambda: HandshakeOutcome(Outcome.network, "ping")
    reader = ExpiryReader()
    results = ProbeResults()
    task = asyncio.create_task(
        run_prober(NO_CLIENT, state, SETTINGS, results, clock=clock, fetch=registries.fetch,
                   probe=registries.probe, read_expiry=reader, rng=random.Random(7))
    )  # fmt: skip
    try:
        await clock.advance(START + 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert reader.asked == ["good.example.com"]
    assert list(results.expiries()) == [(("a", "good", "good.example.com"), 1_900_000_000.0)]


async def test_a_failing_expiry_step_leaves_the_outcome_alone() -> None:
    clock, state = FakeClock(), many_registries(1)
    registries = FakeRegistries(clock)
    results = ProbeResults()
    task = asyncio.create_task(
        run_prober(NO_CLIENT, state, SETTINGS, results, clock=clock, fetch=registries.fetch,
                   probe=registries.probe, read_expiry=ExpiryReader(fail=True),
                   rng=random.Random(7))
    )  # fmt: skip
    try:
        await clock.advance(START + 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [(_, result)] = results.items()
    assert (result.outcome, result.expires_at) == (Outcome.ok, None)
