"""What is published per secret: the latest attempt, the verdict and the expiry that
carry over while later attempts are inconclusive, and nothing carried to a new credential."""

from __future__ import annotations

import pytest

from exporter.probe.outcomes import Outcome
from exporter.probe.results import ProbeResult, ProbeResults
from exporter.probe.targets import ProbeTarget

KEY = ("a", "hub", "index.docker.io")


def hub(fingerprint: str = "fp-1") -> ProbeTarget:
    return ProbeTarget(fingerprint, "index.docker.io", "docker.io", None, None, (("a", "hub"),))


def attempt(outcome: Outcome, expires_at: float | None = None) -> ProbeResult:
    return ProbeResult(outcome, "check", 1_800_000_000.0, 0.1, None, None, expires_at)


@pytest.mark.parametrize(
    ("outcomes", "result", "accepted"),
    [
        ([Outcome.network], Outcome.network, None),
        ([Outcome.unauthorized, Outcome.network], Outcome.unauthorized, False),
        ([Outcome.forbidden, Outcome.tls, Outcome.error], Outcome.forbidden, False),
        ([Outcome.unauthorized, Outcome.rate_limited], Outcome.unauthorized, False),
        # An accepted verdict is kept too, but the result shows the registry is not
        # answering: nothing is being confirmed any more.
        ([Outcome.ok, Outcome.network], Outcome.network, True),
        ([Outcome.unauthorized, Outcome.ok], Outcome.ok, True),
        ([Outcome.unauthorized, Outcome.not_found], Outcome.not_found, True),
        ([Outcome.ok, Outcome.forbidden], Outcome.forbidden, False),
    ],
)
def test_verdict_carries_over_inconclusive_attempts(
    outcomes: list[Outcome], result: Outcome, accepted: bool | None
) -> None:
    results = ProbeResults()
    for outcome in outcomes:
        results.record(hub(), attempt(outcome))
    published = results.get(KEY)
    assert published is not None
    assert (published.outcome, published.result, published.accepted) == (
        outcomes[-1], result, accepted,
    )  # fmt: skip


def test_a_rotated_secret_starts_without_the_old_verdict_or_expiry() -> None:
    results = ProbeResults()
    results.record(hub("fp-old"), attempt(Outcome.unauthorized, expires_at=1_700_000_000.0))
    results.record(hub("fp-new"), attempt(Outcome.network))
    published = results.get(KEY)
    assert published is not None
    assert (published.result, published.accepted, published.expires_at) == (
        Outcome.network, None, None,
    )  # fmt: skip


def test_the_expiry_carries_over_attempts_that_learn_none() -> None:
    results = ProbeResults()
    results.record(hub(), attempt(Outcome.ok, expires_at=1_900_000_000.0))
    results.record(hub(), attempt(Outcome.network))
    assert list(results.expiries()) == [(KEY, 1_900_000_000.0)]
    results.record(hub(), attempt(Outcome.ok, expires_at=1_950_000_000.0))
    assert list(results.expiries()) == [(KEY, 1_950_000_000.0)]


def test_an_unreadable_secret_keeps_the_time_of_the_last_real_probe() -> None:
    """The registry was not asked: the probe's timestamp must age, so that
    ImagePullRegistryProbeStale fires for a secret the exporter cannot read."""
    results = ProbeResults()
    results.record(hub(), attempt(Outcome.ok))
    for later in (1_800_000_900.0, 1_800_001_800.0):
        results.record(hub(), ProbeResult(Outcome.error, "secret", later, 0.0))
    published = results.get(KEY)
    assert published is not None
    assert (published.outcome, published.stage) == (Outcome.error, "secret")
    assert published.timestamp == 1_800_000_000.0
    assert published.accepted is True  # the last verdict is kept, as for any outage


def test_a_copy_of_the_secret_gets_the_attempt_without_history() -> None:
    results = ProbeResults()
    results.record(hub(), attempt(Outcome.unauthorized))
    both = ProbeTarget("fp-1", "index.docker.io", "docker.io", None, None,
                       (("a", "hub"), ("b", "hub-copy")))  # fmt: skip
    results.record(both, attempt(Outcome.network))
    held, fresh = results.get(KEY), results.get(("b", "hub-copy", "index.docker.io"))
    assert held is not None
    assert fresh is not None
    assert (held.result, fresh.result) == (Outcome.unauthorized, Outcome.network)


def test_retain_forgets_results_and_their_history() -> None:
    results = ProbeResults()
    results.record(hub(), attempt(Outcome.unauthorized))
    results.retain([])
    results.record(hub(), attempt(Outcome.network))
    published = results.get(KEY)
    assert published is not None
    assert published.accepted is None
