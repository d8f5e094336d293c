"""The running exporter: reflectors feeding the state, and the HTTP server reading it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from prometheus_client import ProcessCollector

from exporter.http.app import build_app
from exporter.kube.client import KubeClient
from exporter.kube.config import ApiConfig
from exporter.kube.reflector import Reflector, ReflectorSettings
from exporter.kube.targets import watch_targets
from exporter.metrics.exposition import Exposition
from exporter.metrics.view import Limits
from exporter.settings import Settings, host_port
from exporter.state.cluster import ClusterState
from exporter.state.sharding import Shard

log = logging.getLogger(__name__)
SHUTDOWN_SECONDS = 5.0


class Exporter:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is where it serves."""

    def __init__(
        self,
        settings: Settings,
        api: ApiConfig,
        *,
        reflector_settings: ReflectorSettings | None = None,
        state: ClusterState | None = None,
    ) -> None:
        self.settings = settings
        self.state = state or ClusterState(shard=Shard(settings.shard_index, settings.shard_count))
        limits = Limits(
            max_failing_containers=settings.max_failing_containers,
            max_secret_series=settings.max_secret_series,
        )
        self.exposition = Exposition(
            self.state, limits=limits, extra=(ProcessCollector(registry=None),)
        )
        self._client = KubeClient(api)
        self._reflector_settings = reflector_settings or ReflectorSettings()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Start watching and serving; returns the base URL of the HTTP server."""
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
            self._tasks.append(asyncio.create_task(reflector.run(), name=name))
        app = build_app(
            lambda openmetrics: self.exposition.render(openmetrics_format=openmetrics),
            ready=lambda: self.state.synced,
            telemetry_path=self.settings.telemetry_path,
        )
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await self._runner.setup()
        host, port = host_port(self.settings.listen_address)
        site = web.TCPSite(self._runner, host or None, port)
        await site.start()
        bound = self._runner.addresses[0]
        shown = host if host else "localhost"
        self.url = f"http://{_bracket(shown)}:{bound[1]}"
        log.info("serving metrics at %s%s", self.url, self.settings.telemetry_path)
        return self.url

    async def stop(self) -> None:
        """Stop watching and serving, within :data:`SHUTDOWN_SECONDS`."""
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*self._tasks, return_exceptions=True), SHUTDOWN_SECONDS
            )
        self._tasks.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._client.close()


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
