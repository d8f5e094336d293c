"""Prometheus and Alertmanager next to ``imagepull-exporter demo``, when they are installed.

``start_monitoring(metrics_url, workdir=...)`` starts Debian's ``prometheus`` (scraping the
demo exporter every second with the shipped rules) and ``prometheus-alertmanager`` on free
127.0.0.1 ports, or returns None when either binary is missing. The end-to-end tests reuse
the config renderers below.

The shipped rules come with the package: a wheel carries them in ``exporter/bundle/``
(setup.py copies them from ``alerts/`` at build time); a checkout reads ``alerts/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import os
import shutil
import socket
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import yaml

BIN_DIR_ENV = "IMAGEPULL_BIN_DIR"
# Set to "off" to keep the demo (and the tests that run it) from starting Prometheus.
DISABLE_ENV = "IMAGEPULL_DEMO_MONITORING"
# Where scripts/install-monitoring-binaries unpacks Debian's packages.
LOCAL_BIN_DIR = Path(".cache") / "debian-bin" / "bin"
_REPO_ROOT = Path(__file__).resolve().parents[2]
RULES_FILE = "imagepull-exporter.rules.yml"
PROMETHEUS = "prometheus"
ALERTMANAGER = "prometheus-alertmanager"
JOB = "imagepull-exporter"
READY_TIMEOUT = 15.0


def shipped_rules() -> Traversable:
    """The shipped rules file: the installed package's copy, else the checkout's."""
    bundled = importlib.resources.files("exporter").joinpath("bundle", "alerts", RULES_FILE)
    return bundled if bundled.is_file() else _REPO_ROOT / "alerts" / RULES_FILE


SHIPPED_RULES = shipped_rules()


class MonitoringError(RuntimeError):
    """Prometheus or Alertmanager did not come up; the message ends with its log's tail."""


def binary_dirs() -> list[Path]:
    """Folders searched after PATH: $IMAGEPULL_BIN_DIR/bin, then .cache/debian-bin/bin of
    the source checkout and of the working directory."""
    dirs = [Path(os.environ[BIN_DIR_ENV]) / "bin"] if os.environ.get(BIN_DIR_ENV) else []
    dirs += [_REPO_ROOT / LOCAL_BIN_DIR, Path.cwd() / LOCAL_BIN_DIR]
    return dirs


def find_binary(name: str) -> Path | None:
    """The executable ``name`` on PATH or in :func:`binary_dirs`: ``"promtool"`` ->
    ``Path("/usr/bin/promtool")``; None when it is nowhere."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for folder in binary_dirs():
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rules_with_for(rules_yaml: str, duration: str) -> str:
    """The rules file with every alert's ``for:`` set to ``duration`` (tests, demos)."""
    content = yaml.safe_load(rules_yaml)
    for group in content["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = duration
    return yaml.safe_dump(content, sort_keys=False, width=10_000)


def prometheus_config(
    metrics_url: str,
    *,
    rule_files: Sequence[Path],
    alertmanager: str,
    interval: str = "1s",
    instances: Sequence[str] = (),
) -> str:
    """prometheus.yml scraping ``metrics_url`` as job imagepull-exporter, alerting to
    ``alertmanager`` (``host:port``). With ``instances``, the exporter is scraped once per
    name, as that ``instance``: what Prometheus sees of identical HA replicas."""
    url = urlsplit(metrics_url)
    targets: list[dict[str, object]] = [
        {"targets": [url.netloc], "labels": {"instance": name}} for name in instances
    ] or [{"targets": [url.netloc]}]
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": JOB,
                "honor_labels": True,
                "scheme": url.scheme or "http",
                "metrics_path": url.path or "/metrics",
                "static_configs": targets,
            }
        ],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
    }
    return yaml.safe_dump(config, sort_keys=False)


def alertmanager_config(webhook_url: str | None = None) -> str:
    """alertmanager.yml routing every alert at once to ``webhook_url`` (or nowhere)."""
    receiver: dict[str, object] = {"name": "default"}
    if webhook_url:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    config = {
        "route": {
            "receiver": "default",
            "group_by": ["alertname", "namespace"],
            "group_wait": "0s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [receiver],
    }
    return yaml.safe_dump(config, sort_keys=False)


@dataclass(frozen=True, slots=True)
class AlertState:
    """One alert as Prometheus reports it."""

    name: str
    state: str  # pending | firing
    labels: tuple[tuple[str, str], ...]
    summary: str

    def describe(self, change: str) -> str:
        """``"firing: ImagePullCredentialExpired{namespace=payments, ...} [critical] ..."``"""
        shown = ", ".join(f"{k}={v}" for k, v in self.labels if k not in _NOISE)
        severity = dict(self.labels).get("severity", "")
        return f"{change}: {self.name}{{{shown}}} [{severity}] {self.summary}".rstrip()


_NOISE = frozenset({"alertname", "severity", "job", "instance"})


def parse_alerts(payload: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], AlertState]:
    """Prometheus' ``/api/v1/alerts`` answer as states keyed by (name, labels)."""
    alerts: dict[tuple[str, tuple[tuple[str, str], ...]], AlertState] = {}
    data = payload.get("data") if isinstance(payload, dict) else None
    items = data.get("alerts") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        raw_labels = item.get("labels")
        raw_annotations = item.get("annotations")
        labels = _str_map(raw_labels)
        annotations = _str_map(raw_annotations)
        key = tuple(sorted(labels.items()))
        name = labels.get("alertname", "?")
        alerts[(name, key)] = AlertState(
            name, str(item.get("state", "")), key, annotations.get("summary", "")
        )
    return alerts


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


@dataclass
class MonitoringStack:
    """A running Prometheus + Alertmanager pair; :meth:`stop` ends both."""

    prometheus_url: str
    alertmanager_url: str
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    poll_interval: float = 1.0
    evaluation_interval: float = 1.0
    """Prometheus' ``evaluation_interval`` (``prometheus_config``'s ``interval``)."""

    first_scrape_timeout: float = 15.0

    async def alerts_changes(self) -> AsyncGenerator[str, None]:
        """Lines as alerts become pending, fire and resolve, polled from Prometheus.

        Polling starts once Prometheus has scraped the exporter (or tried to): a rule
        evaluated before the first scrape sees no ``up`` at all, and the demo would open on
        a pending ImagePullExporterDown that resolves a second later.
        """
        known: dict[tuple[str, tuple[tuple[str, str], ...]], AlertState] = {}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            await self._first_scrape(session)
            while True:
                try:
                    async with session.get(f"{self.prometheus_url}/api/v1/alerts") as response:
                        payload: object = await response.json()
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    await asyncio.sleep(self.poll_interval)
                    continue
                current = parse_alerts(payload)
                for key, alert in current.items():
                    before = known.get(key)
                    if before is None or before.state != alert.state:
                        yield alert.describe(alert.state)
                for key, alert in known.items():
                    if key not in current:
                        yield alert.describe("resolved")
                known = current
                await asyncio.sleep(self.poll_interval)

    async def _first_scrape(self, session: aiohttp.ClientSession) -> None:
        """Until ``up`` of the exporter's job exists (whatever its value), then two
        evaluation intervals, so that no alert still stands from an evaluation before it;
        at most :attr:`first_scrape_timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + self.first_scrape_timeout
        query = {"query": f'up{{job="{JOB}"}}'}
        while asyncio.get_running_loop().time() < deadline:
            try:
                async with session.get(
                    f"{self.prometheus_url}/api/v1/query", params=query
                ) as response:
                    payload: object = await response.json()
            except (aiohttp.ClientError, TimeoutError, ValueError):
                payload = None
            data = payload.get("data") if isinstance(payload, dict) else None
            if isinstance(data, dict) and data.get("result"):
                await asyncio.sleep(2 * self.evaluation_interval)
                return
            await asyncio.sleep(self.poll_interval)

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


async def start_monitoring(
    metrics_url: str,
    *,
    workdir: Path,
    rules: Traversable = SHIPPED_RULES,
    for_duration: str | None = None,
    webhook_url: str | None = None,
) -> MonitoringStack | None:
    """Start Prometheus (scraping ``metrics_url`` every second with ``rules``) and
    Alertmanager under ``workdir``; None when a binary or the rules are missing, or when
    $IMAGEPULL_DEMO_MONITORING is "off". ``for_duration`` overrides every alert's ``for:``.
    """
    prometheus, alertmanager = find_binary(PROMETHEUS), find_binary(ALERTMANAGER)
    if os.environ.get(DISABLE_ENV, "").lower() in ("off", "0", "false", "no"):
        return None
    if prometheus is None or alertmanager is None or not rules.is_file():
        return None
    am_port, prom_port = free_port(), free_port()
    _write_configs(
        workdir,
        metrics_url,
        rules=rules,
        for_duration=for_duration,
        webhook_url=webhook_url,
        alertmanager=f"127.0.0.1:{am_port}",
    )
    stack = MonitoringStack(f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{am_port}")
    try:
        stack.processes.append(
            await _spawn(
                [
                    str(alertmanager),
                    f"--config.file={workdir / 'alertmanager.yml'}",
                    f"--storage.path={workdir / 'alertmanager-data'}",
                    f"--web.listen-address=127.0.0.1:{am_port}",
                    "--cluster.listen-address=",
                ],
                workdir / "alertmanager.log",
            )
        )
        stack.processes.append(
            await _spawn(
                [
                    str(prometheus),
                    f"--config.file={workdir / 'prometheus.yml'}",
                    f"--storage.tsdb.path={workdir / 'prometheus-data'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                    "--rules.alert.resend-delay=1s",
                ],
                workdir / "prometheus.log",
            )
        )
        await _wait_ready(stack.alertmanager_url, stack.processes[0], workdir / "alertmanager.log")
        await _wait_ready(stack.prometheus_url, stack.processes[1], workdir / "prometheus.log")
    except BaseException:
        await stack.stop()
        raise
    return stack


def _write_configs(
    workdir: Path,
    metrics_url: str,
    *,
    rules: Traversable,
    for_duration: str | None,
    webhook_url: str | None,
    alertmanager: str,
) -> None:
    # A few small files at start-up: not worth a thread.
    workdir.mkdir(parents=True, exist_ok=True)
    rules_text = rules.read_text()
    if for_duration is not None:
        rules_text = rules_with_for(rules_text, for_duration)
    rules_copy = workdir / "imagepull-exporter.rules.yml"
    rules_copy.write_text(rules_text)
    (workdir / "alertmanager.yml").write_text(alertmanager_config(webhook_url))
    (workdir / "prometheus.yml").write_text(
        prometheus_config(metrics_url, rule_files=[rules_copy], alertmanager=alertmanager)
    )


def _log_tail(log: Path, lines: int = 3) -> str:
    return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])


async def _spawn(argv: Sequence[str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out
        )


async def _wait_ready(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        while asyncio.get_running_loop().time() < deadline:
            if process.returncode is not None:
                break
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{url}/-/ready") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise MonitoringError(f"{url} did not become ready: {_log_tail(log)}")
