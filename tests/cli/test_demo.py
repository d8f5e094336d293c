"""``imagepull-exporter demo`` as a user runs it: a subprocess whose printed URLs lead to
the exporter's /metrics. With the demo registry, the registry probe reports the revoked
credential of namespace reports as unauthorized and the other as ok, and the demo never
prints either password (canaries read back from the simulated cluster)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from exporter.cli.demo_monitoring import DISABLE_ENV

T = TypeVar("T")
STARTUP_TIMEOUT = 20.0
# The first probe round runs once the exporter has listed the cluster; then every 10 s.
PROBE_TIMEOUT = 15.0
# A user's proxy settings must not hide the demo registry on 127.0.0.1 from the probe.
DEAD_PROXY = {name: "http://127.0.0.1:9" for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy")}


def _eventually(probe: Callable[[], T | None], what: str, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


# Everything the tests fetch is on 127.0.0.1: never through an HTTP(S)_PROXY.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> str:
    with _OPENER.open(url, timeout=5) as response:
        return str(response.read().decode())


class Demo:
    def __init__(self, tmp_path: Path, *flags: str) -> None:
        self.out, self.err = tmp_path / "demo.out", tmp_path / "demo.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "exporter", "demo", "--web.listen-address", "127.0.0.1:0",
                 "--duration", "90", "--no-monitoring", "--log-level", "debug", *flags],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                env={**os.environ, DISABLE_ENV: "off", **DEAD_PROXY},
            )  # fmt: skip
        self.lines = _eventually(self._started, "the demo's URLs", STARTUP_TIMEOUT)
        self.metrics_url = self._printed("metrics: ").split()[0]
        self.cluster_url = self._printed("simulated cluster: ").split()[0]

    def _started(self) -> list[str] | None:
        if self.process.poll() is not None:
            raise AssertionError(f"the demo exited: {self.output()}")
        lines = self.out.read_text().splitlines()
        return lines if any(line.startswith("metrics: ") for line in lines) else None

    def _printed(self, prefix: str) -> str:
        return next(line[len(prefix) :] for line in self.lines if line.startswith(prefix))

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.output()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _probe_results(metrics: str) -> dict[str, str]:
    """secret -> result of the reports namespace's imagepull_registry_probe_result series."""
    results = {}
    for line in metrics.splitlines():
        if line.startswith("imagepull_registry_probe_result{") and 'namespace="reports"' in line:
            labels = dict(
                part.split("=", 1)
                for part in line[line.index("{") + 1 : line.index("}")].split(",")
            )
            results[labels["secret"].strip('"')] = labels["result"].strip('"')
    return results


def _canaries(cluster_url: str) -> list[str]:
    """The passwords of the reports secrets, and the `auth` strings that carry them."""
    found = []
    for name in ("api-pull", "worker-pull"):
        secret = json.loads(_get(f"{cluster_url}/api/v1/namespaces/reports/secrets/{name}"))
        config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
        for entry in config["auths"].values():
            found += [entry["password"], entry["auth"]]
    assert len(found) == 4
    assert all(len(canary) >= 16 for canary in found)
    return found


def test_the_probe_reports_the_revoked_credential_and_the_accepted_one(demo: Demo) -> None:
    registry = next(line for line in demo.lines if line.startswith("demo registry: "))
    assert "api-pull" in registry
    assert any("ImagePullCredentialRejected" in line for line in demo.lines)

    def both_probed() -> dict[str, str] | None:
        results = _probe_results(_get(demo.metrics_url))
        return results if len(results) == 2 else None

    results = _eventually(both_probed, "probe results for reports", PROBE_TIMEOUT)
    assert results == {"api-pull": "unauthorized", "worker-pull": "ok"}


def test_the_demo_never_prints_the_passwords(demo: Demo) -> None:
    canaries = _canaries(demo.cluster_url)
    _eventually(
        lambda: len(_probe_results(_get(demo.metrics_url))) == 2 or None,
        "probe results for reports",
        PROBE_TIMEOUT,
    )
    metrics = _get(demo.metrics_url)
    output = demo.stop()
    assert "registry probe 127.0.0.1:" in output  # the DEBUG log lines of the probe are there
    for canary in canaries:
        assert canary not in output
        assert canary not in metrics


def test_without_the_registry_there_is_no_probe(tmp_path: Path) -> None:
    demo = Demo(tmp_path, "--no-registry")
    try:
        metrics = _get(demo.metrics_url)
        assert "imagepull_secret_info" in metrics
        assert "imagepull_registry_probe" not in metrics
        assert 'namespace="reports"' not in metrics
        assert not any(line.startswith("demo registry: ") for line in demo.lines)
    finally:
        demo.stop()
