"""``imagepull-exporter demo``: the exporter against a simulated cluster, in one process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from exporter.cli.demo_monitoring import MonitoringError, MonitoringStack, start_monitoring
from exporter.cli.demo_registry import (
    ACCEPTED_SECRET,
    NAMESPACE,
    REVOKED_SECRET,
    DemoRegistry,
    reports_objects,
)
from exporter.errors import SettingsError
from exporter.kube.config import load_api_config
from exporter.logs import configure_logging
from exporter.service import Exporter
from exporter.settings import Settings
from exporter.simulator import Simulator

NAME = "demo"
KUBELET_RETRY_SECONDS = 10.0
# The demo registry is local and cheap to ask: probe it often so a revoked login shows fast.
REGISTRY_PROBE_INTERVAL = 10.0
REGISTRY_PROBE_TIMEOUT = 5.0
HELP = "run the exporter against a simulated cluster replaying a classic pull-secret outage"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--scenario", default="demo", help="simulator scenario name or YAML file (default: demo)")
    add(
        "--web.listen-address",
        dest="listen_address",
        default="127.0.0.1:9917",
        metavar="HOST:PORT",
        help="where the exporter serves (default: 127.0.0.1:9917; port 0 picks a free one)",
    )
    add(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: run until Ctrl-C)",
    )
    add(
        "--alerts-for",
        default="30s",
        metavar="DURATION",
        help="when Prometheus and Alertmanager are installed they start too, with the "
        "shipped rules; every alert's for: becomes this so the outage pages quickly "
        "('shipped' keeps the rules' own) (default: 30s)",
    )
    add("--no-monitoring", action="store_true", help="do not start Prometheus/Alertmanager")
    add(
        "--no-registry",
        action="store_true",
        help="do not start the demo registry (namespace reports, one revoked credential) "
        "nor the exporter's --registry-probe",
    )
    add("--log-level", default="warning", choices=["debug", "info", "warning", "error"])


def run(args: argparse.Namespace) -> int:
    if args.duration is not None and args.duration <= 0:
        print("imagepull-exporter demo: error: --duration must be positive", file=sys.stderr)
        return 2
    try:
        settings = Settings(listen_address=args.listen_address, log_level=args.log_level)
    except SettingsError as exc:
        print(f"imagepull-exporter demo: error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(_demo(settings, args))
    except (OSError, ValueError, LookupError, MonitoringError) as exc:
        print(f"imagepull-exporter demo: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _with_probe(settings: Settings, registry: DemoRegistry) -> Settings:
    """Probe the demo registry only (plain HTTP); never the scenario's real registries."""
    # The probe honours HTTPS_PROXY/HTTP_PROXY; a proxy cannot reach our 127.0.0.1.
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, (os.environ.get(name), "127.0.0.1")))
    return dataclasses.replace(
        settings,
        registry_probe=True,
        registry_probe_interval=REGISTRY_PROBE_INTERVAL,
        registry_probe_timeout=REGISTRY_PROBE_TIMEOUT,
        registry_probe_allow=(registry.host,),
        registry_probe_insecure_registries=(registry.host,),
    )


async def _demo(settings: Settings, args: argparse.Namespace) -> None:
    simulator = Simulator(bookmark_interval=30.0)
    simulator.load_scenario(args.scenario)
    registry = None if args.no_registry else DemoRegistry.with_random_passwords()
    if registry is not None:
        await registry.start()
        simulator.apply_objects(reports_objects(registry))
        settings = _with_probe(settings, registry)
    await simulator.start()
    with tempfile.TemporaryDirectory(prefix="imagepull-demo-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        simulator.write_kubeconfig(kubeconfig)
        exporter = Exporter(settings, load_api_config(str(kubeconfig)))
        stack: MonitoringStack | None = None
        tasks: list[asyncio.Task[None]] = []
        try:
            url = await exporter.start()
            metrics_url = f"{url}{settings.telemetry_path}"
            print(f"simulated cluster: {simulator.url} (scenario {args.scenario})")
            if registry is not None:
                _announce_registry(registry)
            print(f"metrics: {metrics_url}")
            print(f"try: curl -s {metrics_url} | grep '^imagepull_'")
            tasks.append(asyncio.create_task(_keep_failing(simulator)))
            if not args.no_monitoring:
                workdir = Path(tmp) / "monitoring"
                workdir.mkdir()
                for_duration = None if args.alerts_for == "shipped" else args.alerts_for
                stack = await start_monitoring(
                    metrics_url, workdir=workdir, for_duration=for_duration
                )
                _announce(stack)
            if stack is not None:
                tasks.append(asyncio.create_task(_print_alerts(stack)))
            sys.stdout.flush()
            await _wait(args.duration)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if stack is not None:
                await stack.stop()
            await exporter.stop()
            await simulator.stop()
            if registry is not None:
                await registry.stop()


def _announce_registry(registry: DemoRegistry) -> None:
    print(
        f"demo registry: http://{registry.host} (namespace {NAMESPACE}: the password in "
        f"secret {REVOKED_SECRET} was changed at the registry, {ACCEPTED_SECRET} still works)"
    )
    print(
        f"registry probe: every {REGISTRY_PROBE_INTERVAL:.0f}s; "
        f"{NAMESPACE}/{REVOKED_SECRET} shows as imagepull_registry_probe_result"
        '{result="unauthorized"} and pages ImagePullCredentialRejected while its pods still run'
    )


def _announce(stack: MonitoringStack | None) -> None:
    if stack is None:
        print(
            "alerts: Prometheus and Alertmanager are not installed; "
            "see scripts/install-monitoring-binaries"
        )
        return
    print(f"prometheus: {stack.prometheus_url}  alertmanager: {stack.alertmanager_url}")
    print("alerts will be printed as they go pending, fire and resolve:")


async def _print_alerts(stack: MonitoringStack) -> None:
    async for line in stack.alerts_changes():
        print(line, flush=True)


async def _keep_failing(simulator: Simulator, every: float = KUBELET_RETRY_SECONDS) -> None:
    """Play kubelet: failing pulls keep failing, so their Events' counts keep growing."""
    while True:
        await asyncio.sleep(every)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for event in list(simulator.cluster.table("events").objects.values()):
            # BackOff is a Normal event, Failed a Warning: kubelet repeats both.
            if event.get("reason") in ("Failed", "BackOff"):
                simulator.replace({**event, "count": int(event.get("count", 1)) + 1,
                                   "lastTimestamp": now})  # fmt: skip


async def _wait(duration: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), duration)
