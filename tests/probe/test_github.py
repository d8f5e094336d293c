"""The expiry of GitHub tokens, asked of GitHub's API (a fake on 127.0.0.1 with TLS from
the test CA, ``--registry-probe-github-api``): parsing, when it is asked, what is not
believed, and the whole prober publishing it as ``source="probe"``."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from exporter.metrics.catalog import all_metrics
from exporter.metrics.exposition import Exposition
from exporter.probe import ProbeResults, ProbeSettings, run_prober
from exporter.probe.github import github_token_expiry, parse_github_expiry
from exporter.probe.handshake import HandshakeOutcome
from exporter.probe.login import Login
from exporter.probe.outcomes import Outcome
from exporter.probe.targets import ProbeTarget
from exporter.state.cluster import ClusterState
from tests.conftest import eventually
from tests.probe.fronts import FakeGitHubApi
from tests.probe.pki import Pki

# Token-shaped test strings (ghp_ + 36 characters), not real tokens.
EXPIRING = "ghp_" + "E" * 36
FOREVER = "ghp_" + "F" * 36
BOGUS = "github_pat_" + "B" * 71


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # The format GitHub sends (gh-aw#20097: "2021-10-07 19:07:53 UTC") ...
        ("2021-10-07 19:07:53 UTC", 1633633673.0),
        # ... and with a numeric offset (google/go-github#3708: "2025-09-05 17:55:53 +0500").
        ("2025-09-05 17:55:53 +0500", 1757076953.0),
        ("", None),
        ("2021-10-07T19:07:53Z", None),
    ],
)
def test_parse_github_expiry(header: str, expected: float | None) -> None:
    assert parse_github_expiry(header) == expected


@pytest.fixture
async def github(pki: Pki) -> AsyncIterator[FakeGitHubApi]:
    now = time.time()
    api = FakeGitHubApi(pki, tokens={
        EXPIRING: "2031-01-02 03:04:05 UTC",
        FOREVER: None,
        # go-github#3708: fine-grained PATs got the current time instead of the expiry.
        BOGUS: time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(now)),
    })  # fmt: skip
    await api.start()
    yield api
    await api.stop()


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (EXPIRING, 1925089445.0),  # 2031-01-02 03:04:05 UTC
        (FOREVER, None),  # no expiry set: GitHub sends no header
        (BOGUS, None),  # an accepted token "expiring" now is not believed
        ("ghp_" + "R" * 36, None),  # revoked: 401 Bad credentials
    ],
)
async def test_github_token_expiry(
    session: aiohttp.ClientSession, github: FakeGitHubApi, token: str, expected: float | None
) -> None:
    expiry = await github_token_expiry(session, github.url, token, now=time.time(), time_limit=5.0)
    assert expiry == expected
    assert github.seen == [("GET", "/rate_limit", True)]


async def test_an_unreachable_api_is_no_expiry(session: aiohttp.ClientSession) -> None:
    gone = "https://127.0.0.1:9"
    assert await github_token_expiry(session, gone, EXPIRING, now=0.0, time_limit=2.0) is None


def pull_secret(name: str, password: str, registry: str = "ghcr.io") -> dict[str, object]:
    auth = base64.b64encode(f"octocat:{password}".encode()).decode()
    config = json.dumps({"auths": {registry: {"auth": auth}}})
    return {
        "metadata": {"namespace": "a", "name": name, "uid": f"a-{name}"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(config.encode()).decode()},
    }


async def test_the_prober_publishes_the_api_expiry_for_ghcr_only(
    github: FakeGitHubApi, trusting_settings: ProbeSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    passwords = {
        "pat": EXPIRING,
        "basic": "hunter2",  # not a GitHub token: never sent to GitHub
        "elsewhere": EXPIRING,  # the same PAT for another registry: not asked for
    }
    state = ClusterState()
    secrets = state.secrets.partition()
    secrets.upsert(pull_secret("pat", EXPIRING))
    secrets.upsert(pull_secret("basic", "hunter2"))
    secrets.upsert(pull_secret("elsewhere", EXPIRING, registry="quay.io"))

    async def fetch(target: ProbeTarget) -> Login:
        # What fetch_login reads from the API (tests/probe/test_prober_end_to_end.py).
        return Login("octocat", passwords[target.secrets[0][1]])

    async def probe(target: ProbeTarget, login: Login) -> HandshakeOutcome:
        return HandshakeOutcome(Outcome.ok, "check", 200)  # the registry took it

    settings = ProbeSettings(enabled=True, ca_file=trusting_settings.ca_file, jitter=0.0,
                             github_api=github.url, timeout=5.0)  # fmt: skip
    results = ProbeResults()
    task = asyncio.create_task(run_prober(None, state, settings, results, fetch=fetch,  # type: ignore[arg-type]
                                          probe=probe, rng=random.Random(1)))  # fmt: skip
    try:
        await eventually(lambda: results.rounds >= 1, within=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert list(results.expiries()) == [(("a", "pat", "ghcr.io"), 1925089445.0)]
    assert github.seen == [("GET", "/rate_limit", True)], "one call, for the GitHub token"
    text = Exposition(state, catalog=all_metrics(probe=True), probe=results).render().decode()
    assert (
        'imagepull_credential_expiry_timestamp_seconds{kind="github_pat",namespace="a",'
        'registry="ghcr.io",secret="pat",source="probe"} 1.925089445e+09' in text
    )
    assert EXPIRING not in caplog.text, "the token never reaches a log line"


async def test_an_empty_github_api_asks_nothing(
    github: FakeGitHubApi, trusting_settings: ProbeSettings
) -> None:
    state = ClusterState()
    state.secrets.partition().upsert(pull_secret("pat", EXPIRING))

    async def fetch(target: ProbeTarget) -> Login:
        return Login("octocat", EXPIRING)

    async def probe(target: ProbeTarget, login: Login) -> HandshakeOutcome:
        return HandshakeOutcome(Outcome.ok, "check", 200)

    settings = ProbeSettings(enabled=True, ca_file=trusting_settings.ca_file, jitter=0.0,
                             github_api="")  # fmt: skip
    results = ProbeResults()
    task = asyncio.create_task(run_prober(None, state, settings, results, fetch=fetch,  # type: ignore[arg-type]
                                          probe=probe))  # fmt: skip
    try:
        await eventually(lambda: results.rounds >= 1, within=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert list(results.expiries()) == []
    assert github.seen == []
