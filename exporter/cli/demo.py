"""``imagepull-exporter demo``: the exporter against a simulated cluster, in one process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
import time
from pathlib import Path

from exporter.kube.config import load_api_config
from exporter.logs import configure_logging
from exporter.service import Exporter
from exporter.settings import Settings, SettingsError
from exporter.simulator import Simulator

NAME = "demo"
KUBELET_RETRY_SECONDS = 10.0
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
        asyncio.run(_demo(settings, args.scenario, args.duration))
    except (OSError, ValueError, LookupError) as exc:
        print(f"imagepull-exporter demo: error: {exc}", file=sys.stderr)
        return 2
    return 0


async def _demo(settings: Settings, scenario: str, duration: float | None) -> None:
    simulator = Simulator(bookmark_interval=30.0)
    simulator.load_scenario(scenario)
    await simulator.start()
    with tempfile.TemporaryDirectory(prefix="imagepull-demo-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        simulator.write_kubeconfig(kubeconfig)
        exporter = Exporter(settings, load_api_config(str(kubeconfig)))
        try:
            url = await exporter.start()
            print(f"simulated cluster: {simulator.url} (scenario {scenario})")
            print(f"metrics: {url}{settings.telemetry_path}")
            print("try: curl -s " + f"{url}{settings.telemetry_path} | grep '^imagepull_'")
            sys.stdout.flush()
            kubelet = asyncio.create_task(_keep_failing(simulator))
            await _wait(duration)
            kubelet.cancel()
        finally:
            await exporter.stop()
            await simulator.stop()


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
