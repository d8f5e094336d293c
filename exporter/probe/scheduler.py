"""The prober task: every interval (jittered), one round of probes over the credentials
in the cluster state, paced by a semaphore, a global rate limit and per-registry back-off.

Log lines name the registry and the outcome, never a secret, a token or a server message.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp

from exporter import __version__
from exporter.kube.client import KubeClient
from exporter.kube.errors import KubeError
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
    """The target's login, from the first of its secrets the API returns.

    ``None``: no secret holds a usable login for the key any more (rotated or emptied
    since the state saw it); the round after the reflector catches up plans anew. An
    ``error`` outcome at stage ``secret``: the API returned none of the secrets.
    """
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
        login = login_for(secret, target.registry)
        del secret  # drop the material as soon as the login is out
        return login
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
    ) -> None:
        self.state = state
        self.settings = settings
        self.results = results
        self.fetch = fetch
        self.probe = probe
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
        del login
        self._record(target, outcome, self.clock.monotonic() - started)

    def _record(self, target: ProbeTarget, outcome: HandshakeOutcome, duration: float) -> None:
        previous = self.results.get(target.result_keys[0]) if target.secrets else None
        now = self.clock.monotonic()
        if outcome.outcome is Outcome.rate_limited:
            delay = self.backoff.rate_limited(target.host, now, outcome.retry_after)
            log.info("registry probe %s: rate limited, backing off %.0fs", target.host, delay)
        elif outcome.stage != "secret":
            self.backoff.answered(target.host)
        result = ProbeResult(
            outcome.outcome,
            outcome.stage,
            self.clock.time(),
            duration,
            outcome.http_status,
            outcome.retry_after,
            outcome.expires_at,
        )
        self.results.record(target, result)
        # INFO when a credential starts failing or recovers; DEBUG while nothing changes.
        changed = previous is None or previous.outcome is not result.outcome
        recovered_or_failing = previous is not None or not result.success
        log.log(
            logging.INFO if changed and recovered_or_failing else logging.DEBUG,
            "registry probe %s (key %s, %d secrets): %s at %s%s",
            target.host,
            target.registry,
            len(target.secrets),
            result.outcome.value,
            result.stage,
            f" (HTTP {result.http_status})" if result.http_status else "",
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
    rng: random.Random | None = None,
) -> None:
    """Probe until cancelled; never raises. Disabled settings: wait without probing.

    ``fetch`` and ``probe`` replace the secret GET and the handshake (tests drive the
    schedule with them); ``rng`` draws the jitter.
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

        prober = Prober(
            state,
            settings=settings,
            results=results,
            fetch=fetch or fetch_target_login,
            probe=probe or probe_target,
            clock=clock,
        )
        # Plan from a complete picture: the first LIST of every watch.
        while state.watches and not state.synced:
            await clock.sleep(SYNC_POLL_SECONDS)
        while True:
            try:
                await prober.round()
            except Exception as exc:  # a bug must not end probing for the process's life
                # The type only: a message could quote whatever the failing code held.
                log.error("registry probe round failed: %s", type(exc).__name__)
            await clock.sleep(prober.next_delay(rng))
