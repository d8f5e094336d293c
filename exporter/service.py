"""The running exporter: reflectors feeding the state, and the HTTP server reading it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from prometheus_client import ProcessCollector
from prometheus_client.registry import Collector

from exporter.http.app import build_app
from exporter.http.probes import build_probe_app
from exporter.http.webconfig_watcher import WebConfigWatcher
from exporter.kube.client import KubeClient
from exporter.kube.config import ApiConfig
from exporter.kube.reflector import Reflector, ReflectorSettings
from exporter.kube.targets import watch_targets
from exporter.metrics.catalog import all_metrics
from exporter.metrics.exposition import Exposition
from exporter.metrics.probe import ProbeCollector
from exporter.metrics.view import Limits
from exporter.probe import ProbeResults, run_prober
from exporter.settings import Settings, host_port
from exporter.state.cluster import ClusterState
from exporter.state.sharding import Shard

log = logging.getLogger(__name__)
SHUTDOWN_SECONDS = 5.0
"""SIGTERM to exit, at most: in-flight scrapes get the first part, tasks the rest."""
DRAIN_SECONDS = 2.0
WARM_EVERY_SECONDS = 1.0
SYNC_POLL_SECONDS = 0.05


class Exporter:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is where it serves."""

    def __init__(
        self,
        settings: Settings,
        api: ApiConfig,
        *,
        reflector_settings: ReflectorSettings | None = None,
        state: ClusterState | None = None,
        web_config: WebConfigWatcher | None = None,
        on_synced: Callable[[], None] | None = None,
    ) -> None:
        """``on_synced`` runs once, when every initial LIST has completed."""
        self.settings = settings
        self._on_synced = on_synced
        self.state = state or ClusterState(shard=Shard(settings.shard_index, settings.shard_count))
        limits = Limits(
            max_failing_containers=settings.max_failing_containers,
            max_secret_series=settings.max_secret_series,
        )
        self.probe_settings = settings.probe()
        self.probe_results = ProbeResults()
        extra: list[Collector] = [ProcessCollector(registry=None)]
        if self.probe_settings.enabled:
            extra.append(ProbeCollector(self.probe_results))
        self.exposition = Exposition(
            self.state,
            catalog=all_metrics(probe=self.probe_settings.enabled),
            limits=limits,
            extra=tuple(extra),
            probe=self.probe_results,
        )
        self._client = KubeClient(api)
        self._reflector_settings = reflector_settings or ReflectorSettings()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._probe_runner: web.AppRunner | None = None
        self._web_config = web_config
        self.url = ""
        self.failed = asyncio.Event()
        """Set when a background task ended by itself: the process should exit non-zero."""

    async def start(self) -> str:
        """Start watching and serving; returns the base URL of the HTTP server.

        If serving cannot start (the address is taken), everything started is stopped
        before the error propagates.
        """
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(self._ended)
        self._tasks.append(task)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        # Every task loops until cancelled; one that ends is a bug. The exception type
        # only: messages of HTTP-library errors can quote header values.
        error = task.exception()
        log.critical(
            "%s ended (%s)", task.get_name(), type(error).__name__ if error else "returned"
        )
        self.failed.set()

    async def _start(self) -> str:
        targets = watch_targets(self.settings.namespaces, self.settings.exclude_namespaces)
        for target in targets:
            reflector = Reflector(
                self._client,
                target,
                self.state.sink_for(target),
                self._reflector_settings,
                self.state.register_watch(target.resource),
            )
            name = f"reflector {target.resource} {target.path} {target.field_selector}"
            self._spawn(reflector.run(), name)
        if self.probe_settings.enabled:
            prober = run_prober(self._client, self.state, self.probe_settings, self.probe_results)
            self._spawn(prober, "registry probe")
        self._spawn(self._keep_warm(), "exposition warmer")
        app = build_app(
            # Before the first sync, self-metrics only: a half-listed cluster would show
            # every pull secret not listed yet as missing, and page.
            lambda openmetrics: self.exposition.render(
                openmetrics_format=openmetrics, self_only=not self.state.synced
            ),
            ready=lambda: self.state.synced,
            telemetry_path=self.settings.telemetry_path,
        )
        ssl_context = None
        if self._web_config is not None:
            self._web_config.install(app)
            ssl_context = self._web_config.listener_ssl_context
            self._spawn(self._web_config.run(), "web config")
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=DRAIN_SECONDS)
        await self._runner.setup()
        host, port = host_port(self.settings.listen_address)
        await web.TCPSite(self._runner, host or None, port, ssl_context=ssl_context).start()
        bound = self._runner.addresses[0]
        shown = host if host else "localhost"
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://{_bracket(shown)}:{bound[1]}"
        if self.settings.probe_address:
            probes = build_probe_app(lambda: self.state.synced)
            self._probe_runner = web.AppRunner(
                probes, access_log=None, shutdown_timeout=DRAIN_SECONDS
            )
            await self._probe_runner.setup()
            probe_host, probe_port = host_port(self.settings.probe_address)
            await web.TCPSite(self._probe_runner, probe_host or None, probe_port).start()
        log.info("serving metrics at %s%s", self.url, self.settings.telemetry_path)
        return self.url

    async def _keep_warm(self) -> None:
        """Render changed families soon after changes, so scrapes find them ready.

        A scrape still renders what changed since (it never serves stale data); this only
        moves the work of a quiet moment off the scrape, e.g. right after the first sync.
        """
        synced_before = False
        while True:
            # Soon after the first sync (a scrape may come right after /readyz), then
            # at a slower pace.
            await asyncio.sleep(WARM_EVERY_SECONDS if synced_before else SYNC_POLL_SECONDS)
            if not self.state.synced:
                continue
            if not synced_before and self._on_synced is not None:
                self._on_synced()
            synced_before = True
            if self.exposition.stale():
                # A namespace at a time: /readyz, /healthz and watch events are served
                # in between (at 150k pods the first render takes most of a second).
                for _ in self.exposition.warm_steps():
                    await asyncio.sleep(0)

    async def stop(self) -> None:
        """Stop serving (in-flight scrapes get :data:`DRAIN_SECONDS`), then watching; all
        within :data:`SHUTDOWN_SECONDS`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_SECONDS
        try:
            for runner in (self._runner, self._probe_runner):
                if runner is not None:
                    # held to the budget: a scrape that will not finish must not hold it up
                    budget = min(DRAIN_SECONDS + 0.5, max(deadline - loop.time() - 1.0, 0.1))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(runner.cleanup(), budget)
        finally:
            self._runner = self._probe_runner = None
            for task in self._tasks:
                task.remove_done_callback(self._ended)
                task.cancel()
            if self._tasks:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*self._tasks, return_exceptions=True),
                        max(deadline - loop.time() - 0.5, 0.1),
                    )
            self._tasks.clear()
            await self._client.close()


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
