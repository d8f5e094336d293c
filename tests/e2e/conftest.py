"""The end-to-end stack: the demo (simulator + exporter), Debian's Prometheus and
Alertmanager on free 127.0.0.1 ports, and a webhook receiver in the test.

Prometheus scrapes the one exporter as two targets (``instance`` replica-a and replica-b),
which is what it sees of two identical HA replicas: every alert must still fire once and
every panel show what one replica would. The cluster gets a few objects on top of the demo
scenario, so that every panel has something real to show (see ``_add_cluster_facts``).

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
REPLICAS = ("replica-a", "replica-b")
EXPIRING_IN_DAYS = 5
# One past the exporter's bound of registries per namespace (state/failures.py), so the
# failures of the last one are folded into registry="other" and counted as dropped.
FLOOD_REGISTRIES = 65
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
            stack.metrics_url,
            rule_files=[rules],
            alertmanager=f"127.0.0.1:{am_port}",
            instances=REPLICAS,
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


def _create_namespace(simulator_url: str, namespace: str) -> None:
    http_json(
        f"{simulator_url}/api/v1/namespaces",
        method="POST",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
    )


def _add_pull_secret(
    simulator_url: str, namespace: str, metadata: dict[str, object], dockerconfig: str
) -> None:
    """A ``kubernetes.io/dockerconfigjson`` secret (``dockerconfig``: the data, base64) in
    a new namespace."""
    _create_namespace(simulator_url, namespace)
    http_json(
        f"{simulator_url}/api/v1/namespaces/{namespace}/secrets",
        method="POST",
        body={
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {**metadata, "namespace": namespace},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": dockerconfig},
        },
    )


def add_malformed_secret(simulator_url: str, namespace: str = "e2e-broken") -> None:
    """A pull secret whose ``auth`` is not base64, in a namespace of its own: the API
    server checks only that it is JSON; the exporter finds the problem."""
    _add_pull_secret(simulator_url, namespace, {"name": "broken-pull"}, MALFORMED_DOCKERCONFIG)


def add_expiring_secret(simulator_url: str, namespace: str = "e2e-expiring") -> None:
    """A long-lived Quay robot credential whose owner declared it expires in 5 days."""
    expires = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + EXPIRING_IN_DAYS * 86400)
    )
    auth = base64.b64encode(b"acme+deployer:robot-token-e2e").decode()
    config = json.dumps({"auths": {"quay.io": {"auth": auth}}}).encode()
    metadata = {"name": "quay-robot", "annotations": {"imagepull-exporter/expires-at": expires}}
    _add_pull_secret(simulator_url, namespace, metadata, base64.b64encode(config).decode())


def add_public_uncovered_pod(simulator_url: str, namespace: str = "platform") -> None:
    """A running pod of a public image from a registry its pull secret (the namespace's
    default service account carries a Docker Hub one) does not cover: listed on the
    dashboard as uncovered, and no alert."""
    image = "registry.k8s.io/pause:3.10"
    name = "pause-6d4f8b7c9-k2m4p"
    http_json(
        f"{simulator_url}/api/v1/namespaces/{namespace}/pods",
        method="POST",
        body={
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": "pause", "image": image}]},
        },
    )
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    http_json(
        f"{simulator_url}/api/v1/namespaces/{namespace}/pods/{name}/status",
        method="PATCH",
        body={
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "pause",
                        "image": image,
                        "imageID": f"{image}@sha256:" + "e" * 64,
                        "ready": True,
                        "started": True,
                        "restartCount": 0,
                        "state": {"running": {"startedAt": now}},
                    }
                ],
            }
        },
        content_type="application/merge-patch+json",
    )


def add_failures_from_many_registries(
    simulator_url: str, namespace: str = "e2e-flood", registries: int = FLOOD_REGISTRIES
) -> None:
    """Pull failures (not found) from more registries than the exporter keeps per namespace."""
    _create_namespace(simulator_url, namespace)
    for n in range(registries):
        image = f"r{n}.registry.example/app:1"
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        http_json(
            f"{simulator_url}/api/v1/namespaces/{namespace}/events",
            method="POST",
            body={
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"app-{n}.flood", "namespace": namespace},
                "involvedObject": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": f"app-{n}",
                    "namespace": namespace,
                    "fieldPath": "spec.containers{app}",
                },
                "reason": "Failed",
                # containerd's message for a tag that does not exist
                "message": f'Failed to pull image "{image}": rpc error: code = NotFound desc '
                f'= failed to pull and unpack image "{image}": failed to resolve reference '
                f'"{image}": {image}: not found',
                "type": "Warning",
                "count": 1,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "source": {"component": "kubelet"},
            },
        )


def restart_api_server(simulator_url: str) -> None:
    """Every watch closes and its history expires: each one relists (a "gone" restart)."""
    http_json(f"{simulator_url}/simulator/v1/restart", method="POST", body={})


def _scraped(stack: Stack, metric: str) -> Callable[[], list[dict[str, object]] | None]:
    def probe() -> list[dict[str, object]] | None:
        stack.check_alive()
        return stack.query(metric) or None

    return probe


def _add_cluster_facts(stack: Stack) -> None:
    """What the demo scenario lacks for a panel to show real data: a long-lived credential
    expiring within 14 days, an uncovered public image, watch restarts and dropped series.
    Counters are moved twice, with a scrape between, so their increase is not 0."""
    url = stack.simulator_url
    assert bump_pull_failure_events(url) > 0
    add_malformed_secret(url)
    add_expiring_secret(url)
    add_public_uncovered_pod(url)
    add_failures_from_many_registries(url)
    restart_api_server(url)
    for metric in (
        "imagepull_exporter_watch_restarts_total",
        "imagepull_exporter_series_dropped_total",
    ):
        eventually(_scraped(stack, metric), f"{metric} scraped", 60)
    restart_api_server(url)
    assert bump_pull_failure_events(url, "e2e-flood") == FLOOD_REGISTRIES


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    webhook = Webhook()
    running = Stack(tmp_path_factory.mktemp("e2e"), webhook)
    try:
        _start_demo(running)
        _start_monitoring(running)
        # While Prometheus discovers its targets (~6 s), make the cluster move.
        _add_cluster_facts(running)
        yield running
    finally:
        running.stop()
        webhook.close()
