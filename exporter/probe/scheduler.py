"""The prober task: every interval (jittered), one round of probes over the credentials
in the cluster state, paced by a semaphore, a global rate limit and per-registry back-off.

Pacing lives in memory: a restarted exporter has no back-off or rate state, so its first
round waits a random part of ``interval * jitter`` after the first sync instead.

Log lines name the registry and the outcome, never a secret, a token or a server message.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import aiohttp

from exporter import __version__
from exporter.kube.client import KubeClient
from exporter.kube.errors import KubeError
from exporter.probe.github import asks_github, github_token_expiry
from exporter.probe.handshake import Endpoint, HandshakeOutcome, handshake
from exporter.probe.login import Login, login_for
from exporter.probe.outcomes import Outcome
from exporter.probe.pacing import SYSTEM_CLOCK, Clock, RegistryBackoff, TokenBucket
from exporter.probe.results import ProbeResult, ProbeResults
from exporter.probe.settings import ProbeSettings, build_ssl_context
from exporter.probe.targets import ProbeTarget, api_host, plan_round
from exporter.state.cluster import ClusterState

log = logging.getLogger(__name__)

SYNC_POLL_SECONDS = 1.0
PROBE_GRACE_SECONDS = 1.0
#: Fetches a target's login: the login, an outcome when that failed, ``None`` when there
#: is nothing to probe with.
LoginFetcher = Callable[[ProbeTarget], Awaitable[Login | HandshakeOutcome | None]]
#: Probes a target with its login (the handshake); never raises.
LoginProber = Callable[[ProbeTarget, Login], Awaitable[HandshakeOutcome]]
#: The expiry of an accepted login, when its issuer says (GitHub's API), else ``None``.
ExpiryReader = Callable[[ProbeTarget, Login], Awaitable[float | None]]
#: Outcomes after which the registry took the login: its expiry is worth asking.
_LOGIN_ACCEPTED = frozenset({Outcome.ok, Outcome.not_found, Outcome.forbidden})


def endpoint_for(target: ProbeTarget, settings: ProbeSettings) -> Endpoint:
    """The URL base and image a target is probed at.

    >>> endpoint_for(ProbeTarget("f", "index.docker.io", "docker.io", "library/nginx",
    ...     "1.27", ()), ProbeSettings()).base_url
    'https://registry-1.docker.io'
    """
    host = api_host(target.host)
    insecure = settings.is_insecure(target.host) or settings.is_insecure(target.registry)
    scheme = "http" if insecure else "https"
    return Endpoint(f"{scheme}://{host}", target.repository, target.reference)


async def fetch_login(client: KubeClient, target: ProbeTarget) -> Login | HandshakeOutcome | None:
    """The target's login, from the first of its secrets the API returns holding the
    planned credential (its fingerprint).

    ``None``: no secret holds that credential for the key any more (rotated or emptied
    since the state saw it): probing the new one would publish its verdict for every copy
    still holding the old one; the round after the reflector catches up plans anew. An
    ``error`` outcome at stage ``secret``: the API returned none of the secrets.
    """
    answered = False
    for namespace, name in target.secrets:
        try:
            secret: dict[str, Any] = await client.get_json(
                f"/api/v1/namespaces/{namespace}/secrets/{name}", {}
            )
        except KubeError as exc:
            log.warning(
                "registry probe %s: cannot read a secret holding its credential (%s)",
                target.registry,
                type(exc).__name__,
            )
            continue
        answered = True
        login = login_for(secret, target.registry)
        del secret  # drop the material as soon as the login is out
        if login is not None and login.fingerprint == target.fingerprint:
            return login
        del login
    if answered:
        log.debug("registry probe %s: its credential changed since planned", target.registry)
        return None
    return HandshakeOutcome(Outcome.error, "secret")


class Prober:
    """One exporter's probing: pacing state that lives across rounds."""

    def __init__(
        self,
        state: ClusterState,
        *,
        settings: ProbeSettings,
        results: ProbeResults,
        fetch: LoginFetcher,
        probe: LoginProber,
        clock: Clock,
        read_expiry: ExpiryReader | None = None,
    ) -> None:
        self.state = state
        self.settings = settings
        self.results = results
        self.fetch = fetch
        self.probe = probe
        self.read_expiry = read_expiry
        self.clock = clock
        self.limiter = TokenBucket(settings.rate, settings.burst, clock)
        self.backoff = RegistryBackoff(settings.backoff, settings.max_backoff)

    async def _one(self, target: ProbeTarget) -> None:
        if self.backoff.waiting(target.host, self.clock.monotonic()):
            return  # keep the last result; the registry asked us to wait
        await self.limiter.acquire()
        try:
            login = await self.fetch(target)
        except Exception as exc:  # fetch_login reports API errors itself; this is a bug
            log.error("registry probe %s: reading its secret failed: %s", target.registry,
                      type(exc).__name__)  # fmt: skip
            login = HandshakeOutcome(Outcome.error, "secret")
        if not isinstance(login, Login):
            if login is not None:
                self._record(target, login, 0.0)
            return
        started = self.clock.monotonic()
        try:
            # The handshake keeps its own time; this only guards against one that hangs.
            async with asyncio.timeout(self.settings.timeout + PROBE_GRACE_SECONDS):
                outcome = await self.probe(target, login)
        except TimeoutError:
            outcome = HandshakeOutcome(Outcome.network, "check")
        except Exception as exc:  # the handshake never raises; a bug must not stop a round
            log.error("registry probe %s failed: %s", target.host, type(exc).__name__)
            outcome = HandshakeOutcome(Outcome.error, "check")
        duration = self.clock.monotonic() - started
        if self.read_expiry is not None and outcome.outcome in _LOGIN_ACCEPTED:
            outcome = replace(outcome, expires_at=await self._expiry(target, login))
        del login
        self._record(target, outcome, duration)

    async def _expiry(self, target: ProbeTarget, login: Login) -> float | None:
        assert self.read_expiry is not None
        try:
            async with asyncio.timeout(self.settings.timeout + PROBE_GRACE_SECONDS):
                return await self.read_expiry(target, login)
        except Exception as exc:  # an expiry is extra: never worth failing the probe for
            log.debug("registry probe %s: no expiry (%s)", target.host, type(exc).__name__)
            return None

    def _record(self, target: ProbeTarget, outcome: HandshakeOutcome, duration: float) -> None:
        previous = self.results.get(target.result_keys[0]) if target.secrets else None
        now = self.clock.monotonic()
        if outcome.outcome is Outcome.rate_limited:
            delay = self.backoff.rate_limited(target.host, now, outcome.retry_after)
            log.info("registry probe %s: rate limited, backing off %.0fs", target.host, delay)
        elif outcome.stage != "secret":
            self.backoff.answered(target.host)
        attempt = ProbeResult(
            outcome.outcome,
            outcome.stage,
            self.clock.time(),
            duration,
            outcome.http_status,
            outcome.retry_after,
            outcome.expires_at,
        )
        result = self.results.record(target, attempt)
        # INFO when a credential starts failing or recovers; DEBUG while nothing changes.
        changed = previous is None or previous.outcome is not result.outcome
        recovered_or_failing = previous is not None or result.outcome is not Outcome.ok
        held = result.result is not result.outcome
        log.log(
            logging.INFO if changed and recovered_or_failing else logging.DEBUG,
            "registry probe %s (key %s, %d secrets): %s at %s%s%s",
            target.host,
            target.registry,
            len(target.secrets),
            result.outcome.value,
            result.stage,
            f" (HTTP {result.http_status})" if result.http_status else "",
            f"; still {result.result.value} from the last conclusive probe" if held else "",
        )

    async def round(self) -> None:
        """Probe every planned target once (unless backing off), then drop stale results."""
        targets = plan_round(self.state, self.settings)
        queue: Iterator[ProbeTarget] = iter(targets)

        async def worker() -> None:
            for target in queue:  # workers share one iterator: each target once
                await self._one(target)

        workers = min(self.settings.concurrency, len(targets))
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
        self.results.retain(key for target in targets for key in target.result_keys)
        self.results.rounds += 1

    def next_delay(self, rng: random.Random) -> float:
        spread = self.settings.interval * self.settings.jitter
        return self.settings.interval + rng.uniform(-spread, spread)

    def first_delay(self, rng: random.Random) -> float:
        """Before the first round: replicas started together, and an exporter restarting
        in a loop, do not all probe every registry at the same moment."""
        return rng.uniform(0.0, self.settings.interval * self.settings.jitter)


def _session(settings: ProbeSettings) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        ssl=build_ssl_context(settings), limit=settings.concurrency * 2, force_close=True
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": f"imagepull-exporter/{__version__} (registry probe)"},
        timeout=aiohttp.ClientTimeout(total=settings.timeout),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=True,  # HTTPS_PROXY / NO_PROXY: clusters often reach registries via a proxy
    )


async def run_prober(
    client: KubeClient,
    state: ClusterState,
    settings: ProbeSettings,
    results: ProbeResults,
    *,
    clock: Clock = SYSTEM_CLOCK,
    fetch: LoginFetcher | None = None,
    probe: LoginProber | None = None,
    read_expiry: ExpiryReader | None = None,
    rng: random.Random | None = None,
) -> None:
    """Probe until cancelled; never raises. Disabled settings: wait without probing.

    ``fetch``, ``probe`` and ``read_expiry`` replace the secret GET, the handshake and the
    GitHub API call (tests drive the schedule with them); ``rng`` draws the jitter.
    """
    if not settings.enabled:
        await asyncio.Event().wait()
    rng = rng or random.Random()
    async with _session(settings) as session:

        async def fetch_target_login(target: ProbeTarget) -> Login | HandshakeOutcome | None:
            return await fetch_login(client, target)

        async def probe_target(target: ProbeTarget, login: Login) -> HandshakeOutcome:
            endpoint = endpoint_for(target, settings)
            return await handshake(
                session, endpoint, login, manifests=settings.manifests, time_limit=settings.timeout
            )

        async def github_expiry(target: ProbeTarget, login: Login) -> float | None:
            if not asks_github(target.host, login.password, settings.github_api):
                return None
            return await github_token_expiry(
                session,
                settings.github_api,
                login.password,
                now=clock.time(),
                time_limit=settings.timeout,
            )

        prober = Prober(
            state,
            settings=settings,
            results=results,
            fetch=fetch or fetch_target_login,
            probe=probe or probe_target,
            read_expiry=read_expiry or github_expiry,
            clock=clock,
        )
        # Plan from a complete picture: the first LIST of every watch.
        while state.watches and not state.synced:
            await clock.sleep(SYNC_POLL_SECONDS)
        await clock.sleep(prober.first_delay(rng))
        while True:
            try:
                await prober.round()
            except Exception as exc:  # a bug must not end probing for the process's life
                # The type only: a message could quote whatever the failing code held.
                log.error("registry probe round failed: %s", type(exc).__name__)
            await clock.sleep(prober.next_delay(rng))
