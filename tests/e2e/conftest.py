"""The end-to-end stack: the demo (simulator + exporter), Debian's Prometheus and
Alertmanager on free 127.0.0.1 ports, and a webhook receiver in the test.

Every process is started here, its PID remembered, and stopped at teardown. Nothing sleeps
blindly: each step polls for what it needs.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

import pytest

from exporter.cli.demo_monitoring import (
    ALERTMANAGER,
    DISABLE_ENV,
    PROMETHEUS,
    SHIPPED_RULES,
    alertmanager_config,
    free_port,
    prometheus_config,
    rules_with_for,
)
from tests.e2e.binaries import require

T = TypeVar("T")
STARTUP_TIMEOUT = 20.0
MALFORMED_DOCKERCONFIG = base64.b64encode(
    json.dumps({"auths": {"ghcr.io": {"auth": "not base64!"}}}).encode()
).decode()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: end-to-end against real Prometheus/Alertmanager "
        "(needs scripts/install-monitoring-binaries)",
    )


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something other than None; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def http_json(
    url: str, *, method: str = "GET", body: object = None, content_type: str = "application/json"
) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=5) as response:
        payload: object = json.loads(response.read())
        return payload


class Webhook:
    """Alertmanager's webhook receiver: remembers every alert it is sent."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, object]] = []
        self._lock = threading.Lock()
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                payload = json.loads(body)
                with received._lock:
                    received.alerts.extend(payload.get("alerts", []))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def received(self) -> list[dict[str, object]]:
        with self._lock:
            return list(self.alerts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Stack:
    workdir: Path
    webhook: Webhook
    metrics_url: str = ""
    simulator_url: str = ""
    prometheus_url: str = ""
    alertmanager_url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        log.close()

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited ({process.returncode}):\n{self.log(name)}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def query(self, expr: str) -> list[dict[str, object]]:
        url = f"{self.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        return _result(http_json(url))

    def query_range(self, expr: str, seconds: int = 60) -> list[dict[str, object]]:
        end = time.time()
        params = {"query": expr, "start": end - seconds, "end": end, "step": 1}
        url = f"{self.prometheus_url}/api/v1/query_range?" + urllib.parse.urlencode(params)
        return _result(http_json(url))


def _result(payload: object) -> list[dict[str, object]]:
    assert isinstance(payload, dict), payload
    assert payload.get("status") == "success", payload
    result = payload["data"]["result"]
    assert isinstance(result, list)
    return result


def _ready(url: str) -> bool | None:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return True if response.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def _start_demo(stack: Stack) -> None:
    env = {**os.environ, DISABLE_ENV: "off"}
    stack.start(
        "demo",
        [
            sys.executable,
            "-m",
            "exporter",
            "demo",
            "--web.listen-address",
            "127.0.0.1:0",
            "--duration",
            "120",
        ],
        env=env,
    )

    def urls() -> tuple[str, str] | None:
        stack.check_alive()
        lines = stack.log("demo").splitlines()
        metrics = [line.split(": ", 1)[1] for line in lines if line.startswith("metrics: ")]
        cluster = [line.split()[2] for line in lines if line.startswith("simulated cluster: ")]
        return (metrics[0], cluster[0]) if metrics and cluster else None

    stack.metrics_url, stack.simulator_url = eventually(urls, "the demo's URLs", STARTUP_TIMEOUT)


def _start_monitoring(stack: Stack) -> None:
    prometheus, alertmanager = require(PROMETHEUS), require(ALERTMANAGER)
    am_port, prom_port = free_port(), free_port()
    rules = stack.workdir / "rules.yml"
    # The shipped rules with `for: 0s`, so alerts fire on the first evaluation.
    rules.write_text(rules_with_for(SHIPPED_RULES.read_text(), "0s"))
    (stack.workdir / "alertmanager.yml").write_text(alertmanager_config(stack.webhook.url))
    (stack.workdir / "prometheus.yml").write_text(
        prometheus_config(
            stack.metrics_url, rule_files=[rules], alertmanager=f"127.0.0.1:{am_port}"
        )
    )
    stack.alertmanager_url = f"http://127.0.0.1:{am_port}"
    stack.prometheus_url = f"http://127.0.0.1:{prom_port}"
    stack.start(
        "alertmanager",
        [
            str(alertmanager),
            f"--config.file={stack.workdir / 'alertmanager.yml'}",
            f"--storage.path={stack.workdir / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
        ],
    )
    stack.start(
        "prometheus",
        [
            str(prometheus),
            f"--config.file={stack.workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={stack.workdir / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--rules.alert.resend-delay=1s",
        ],
    )
    for url in (stack.alertmanager_url, stack.prometheus_url):
        eventually(_ready_probe(stack, url), f"{url}/-/ready", 15)


def _ready_probe(stack: Stack, url: str) -> Callable[[], bool | None]:
    def probe() -> bool | None:
        stack.check_alive()
        return _ready(url)

    return probe


def bump_pull_failure_events(simulator_url: str, namespace: str = "payments") -> int:
    """Let the kubelet "retry": grow the count of each pull-failure event in ``namespace``,
    as a real kubelet does every back-off, so imagepull_failures_total moves."""
    listing = http_json(f"{simulator_url}/api/v1/namespaces/{namespace}/events")
    assert isinstance(listing, dict)
    bumped = 0
    for event in listing["items"]:
        if event.get("reason") not in ("Failed", "BackOff"):
            continue
        name = event["metadata"]["name"]
        http_json(
            f"{simulator_url}/api/v1/namespaces/{namespace}/events/{name}",
            method="PATCH",
            body={"count": int(event.get("count") or 1) + 3},
            content_type="application/merge-patch+json",
        )
        bumped += 1
    return bumped


def add_malformed_secret(simulator_url: str, namespace: str = "e2e-broken") -> None:
    """A pull secret whose ``auth`` is not base64, in a namespace of its own."""
    http_json(
        f"{simulator_url}/api/v1/namespaces",
        method="POST",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
    )
    http_json(
        f"{simulator_url}/api/v1/namespaces/{namespace}/secrets",
        method="POST",
        body={
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "broken-pull", "namespace": namespace},
            "type": "kubernetes.io/dockerconfigjson",
            # the API server checks only that this is JSON; the exporter finds the problem
            "data": {".dockerconfigjson": MALFORMED_DOCKERCONFIG},
        },
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    webhook = Webhook()
    running = Stack(tmp_path_factory.mktemp("e2e"), webhook)
    try:
        _start_demo(running)
        _start_monitoring(running)
        # While Prometheus discovers its target (~6 s), make the cluster move.
        assert bump_pull_failure_events(running.simulator_url) > 0
        add_malformed_secret(running.simulator_url)
        yield running
    finally:
        running.stop()
        webhook.close()
