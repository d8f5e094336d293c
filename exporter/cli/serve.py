"""``imagepull-exporter [flags]``: run the exporter until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from exporter import heap
from exporter.cli.cluster_flags import add_cluster_arguments
from exporter.errors import SettingsError
from exporter.http.webconfig import WebConfigError
from exporter.http.webconfig_watcher import WebConfigWatcher
from exporter.kube.config import load_api_config
from exporter.kube.errors import ConfigError
from exporter.logs import configure_logging
from exporter.probe.settings import build_ssl_context, duration_argument, format_duration
from exporter.service import Exporter
from exporter.settings import Settings, load_config_file, merge

NAME = "serve"
HELP = "Export image pull credential and failure metrics from a Kubernetes cluster."
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The exporter's flags; defaults are shown from :class:`Settings`."""
    d = Settings()
    add = parser.add_argument
    add(
        "--web.listen-address",
        dest="listen_address",
        metavar="HOST:PORT",
        help=f"address to serve metrics and probes on (default: {d.listen_address})",
    )
    add(
        "--web.telemetry-path",
        dest="telemetry_path",
        metavar="PATH",
        help=f"path of the metrics endpoint (default: {d.telemetry_path})",
    )
    add(
        "--web.config.file",
        dest="web_config_file",
        metavar="PATH",
        help="exporter-toolkit web config: TLS, client certificates, basic auth, headers; "
        "reloaded when it changes (default: none, plain HTTP)",
    )
    add(
        "--web.probe-address",
        dest="probe_address",
        metavar="HOST:PORT",
        help="also serve /healthz and /readyz here, without TLS or auth (default: none)",
    )
    add_cluster_arguments(parser, verb="watch")
    add(
        "--log-level",
        dest="log_level",
        choices=["debug", "info", "warning", "error"],
        help=f"log level (default: {d.log_level})",
    )
    add(
        "--log-format",
        dest="log_format",
        choices=["text", "json"],
        help=f"log format (default: {d.log_format})",
    )
    add(
        "--max-failing-containers",
        dest="max_failing_containers",
        type=int,
        metavar="N",
        help="cap on per-container failure series; the rest are counted in "
        f"imagepull_exporter_series_dropped_total (default: {d.max_failing_containers})",
    )
    add(
        "--max-secret-series",
        dest="max_secret_series",
        type=int,
        metavar="N",
        help="cap on the series of each per-secret and per-credential metric; the rest are "
        f"counted in imagepull_exporter_series_dropped_total (default: {d.max_secret_series})",
    )
    _add_probe_arguments(parser)
    add(
        "--shard-index",
        dest="shard_index",
        type=int,
        metavar="I",
        help="this instance's shard, 0..N-1, when N instances share the cluster by "
        f"namespace (default: {d.shard_index})",
    )
    add(
        "--shard-count",
        dest="shard_count",
        type=int,
        metavar="N",
        help="instances sharing the cluster; each keeps the namespaces whose stable hash "
        f"is its --shard-index (default: {d.shard_count})",
    )
    add(
        "--config.file",
        dest="config_file",
        metavar="PATH",
        help="YAML file with the same settings, keyed by flag name without dashes; "
        "flags win (default: none)",
    )


def _add_probe_arguments(parser: argparse.ArgumentParser) -> None:
    d = Settings()
    add = parser.add_argument
    add(
        "--registry-probe",
        dest="registry_probe",
        action="store_true",
        default=None,
        help="ask each registry whether each pull credential still authenticates, without "
        "pulling anything; a GitHub token accepted at ghcr.io is also shown to GitHub's API "
        "for its expiry (see --registry-probe-github-api) (default: off)",
    )
    add(
        "--registry-probe-interval",
        dest="registry_probe_interval",
        type=duration_argument,
        metavar="DURATION",
        help="time between probe rounds, jittered "
        f"(default: {format_duration(d.registry_probe_interval)})",
    )
    add(
        "--registry-probe-timeout",
        dest="registry_probe_timeout",
        type=duration_argument,
        metavar="DURATION",
        help=f"time for one probe handshake (default: {format_duration(d.registry_probe_timeout)})",
    )
    add(
        "--registry-probe-concurrency",
        dest="registry_probe_concurrency",
        type=int,
        metavar="N",
        help=f"probes in flight at once (default: {d.registry_probe_concurrency})",
    )
    add(
        "--registry-probe-rate",
        dest="registry_probe_rate",
        type=float,
        metavar="PER_SECOND",
        help=f"probes started per second at most (default: {d.registry_probe_rate:g})",
    )
    add(
        "--registry-probe-manifests",
        dest="registry_probe_manifests",
        action="store_true",
        default=None,
        help="HEAD the manifest of the image pods run instead of listing one tag (default: off)",
    )
    add(
        "--registry-probe-allow",
        dest="registry_probe_allow",
        action="append",
        metavar="GLOB",
        help="probe only registries matching; repeatable (default: all)",
    )
    add(
        "--registry-probe-deny",
        dest="registry_probe_deny",
        action="append",
        metavar="GLOB",
        help="never probe registries matching; repeatable (default: none)",
    )
    add(
        "--registry-probe-ca-file",
        dest="registry_probe_ca_file",
        metavar="PATH",
        help="PEM bundle of private CAs trusted for registries besides the system's "
        "(default: none)",
    )
    add("--registry-probe-insecure-registry", dest="registry_probe_insecure_registries",
        action="append", metavar="HOST[:PORT]",
        help="speak plain HTTP to this registry; repeatable (default: none)")  # fmt: skip
    add("--registry-probe-github-api", dest="registry_probe_github_api", metavar="URL",
        help="GitHub REST API asked for the expiry of GitHub tokens accepted at ghcr.io; "
        f'"" never asks (default: {d.registry_probe_github_api})')  # fmt: skip


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Merge flags over ``--config.file``; raises :class:`SettingsError`."""
    config = load_config_file(args.config_file) if args.config_file else {}
    flags = {k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items()}
    return merge(flags, config)


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        if settings.registry_probe:
            build_ssl_context(settings.probe())  # an unreadable CA file ends it here
        api = load_api_config(settings.kubeconfig, settings.context)
    except (SettingsError, ConfigError) as exc:
        print(f"imagepull-exporter: error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        web_config = (
            WebConfigWatcher(settings.web_config_file) if settings.web_config_file else None
        )
    except WebConfigError as exc:
        print(f"imagepull-exporter: error: {exc}", file=sys.stderr)
        return 2
    log.info("using %s, API server %s", api.source, api.host)
    heap.before_initial_sync()
    exporter = Exporter(settings, api, web_config=web_config, on_synced=heap.after_initial_sync)
    try:
        return asyncio.run(_serve(exporter))
    except OSError as exc:  # the listen address is taken or not ours
        print(f"imagepull-exporter: error: cannot serve: {exc.strerror or exc}", file=sys.stderr)
        return 2


async def _serve(exporter: Exporter) -> int:
    """Serve until SIGINT/SIGTERM (0), or until a background task fails (1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await exporter.start()
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(exporter.failed.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        log.info("shutting down")
        with contextlib.suppress(Exception):
            await exporter.stop()
    return 1 if exporter.failed.is_set() else 0
