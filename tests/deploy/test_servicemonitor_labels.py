"""The chart's ServiceMonitor, as the Prometheus Operator turns it into a scrape config,
scraped by a real Prometheus from the demo exporter: every stored series carries exactly
the labels the exporter exposed, plus `instance`, `job` and (on series without one of
their own) the exporter's `namespace` — never the exporter pod's own `pod`, `container`,
`service` or `endpoint`.

The operator's part is reproduced from its config generator (prometheus-operator,
pkg/prometheus/promcfg.go, generateServiceMonitorConfig): it sets `pod`, `namespace`,
`service`, `container`, `job` (from `jobLabel`) and `endpoint` on each target, then appends
the endpoint's own `relabelings`. Without Kubernetes service discovery here, its
meta-label sources become the values they would hold for the exporter's pod.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from exporter.cli.demo_monitoring import free_port
from tests.deploy.chart import NAMESPACE, VARIANTS, render
from tests.e2e.binaries import require

EXPORTER_POD = "imagepull-exporter-7d9f8b6c5d-abcde"
TIMEOUT = 60.0


def _eventually(probe: Any, what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"no {what} within {TIMEOUT:g}s")


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            text: str = response.read().decode()
            return text
    except OSError:
        return None


def _scrape_config(target: str) -> dict[str, Any]:
    """What the operator generates for the chart's ServiceMonitor (default values)."""
    rendered = render(VARIANTS["monitoring"])
    monitor = rendered.one("ServiceMonitor")
    service = rendered.one("Service")
    (endpoint,) = monitor["spec"]["endpoints"]
    job = service["metadata"]["labels"][monitor["spec"]["jobLabel"]]
    operator_labels = {
        "pod": EXPORTER_POD,
        "namespace": NAMESPACE,
        "service": service["metadata"]["name"],
        "container": "exporter",
        "job": job,
        "endpoint": endpoint["port"],
    }
    relabel = [{"target_label": k, "replacement": v} for k, v in operator_labels.items()]
    for rule in endpoint.get("relabelings", []):
        relabel.append({_snake(key): value for key, value in rule.items()})
    return {
        "job_name": f"serviceMonitor/{NAMESPACE}/{monitor['metadata']['name']}/0",
        "honor_labels": endpoint["honorLabels"],
        "metrics_path": endpoint["path"],
        "scrape_interval": "1s",
        "static_configs": [{"targets": [target]}],
        "relabel_configs": relabel,
    }


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(exporter metrics URL, Prometheus URL), both running."""
    prometheus = require("prometheus")
    workdir: Path = tmp_path_factory.mktemp("servicemonitor")
    exporter_port, prometheus_port = free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        address = f"127.0.0.1:{exporter_port}"
        demo = [sys.executable, "-m", "exporter", "demo", "--no-monitoring", "--no-registry",
                "--web.listen-address", address, "--duration", "120"]  # fmt: skip
        log = (workdir / "demo.log").open("wb")
        processes.append(subprocess.Popen(demo, stdout=log, stderr=subprocess.STDOUT))
        metrics = f"http://127.0.0.1:{exporter_port}/metrics"
        _eventually(lambda: _get(metrics), "demo exporter")
        config = {"scrape_configs": [_scrape_config(f"127.0.0.1:{exporter_port}")]}
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        prom = [str(prometheus), f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}"]  # fmt: skip
        plog = (workdir / "prometheus.log").open("wb")
        processes.append(subprocess.Popen(prom, stdout=plog, stderr=subprocess.STDOUT))
        yield metrics, f"http://127.0.0.1:{prometheus_port}"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _series(prometheus: str, selector: str) -> list[dict[str, str]]:
    url = f"{prometheus}/api/v1/series?" + urllib.parse.urlencode({"match[]": selector})
    text = _get(url)
    found: list[dict[str, str]] = json.loads(text)["data"] if text else []
    return found


def test_series_carry_the_exporters_labels_not_its_pods(scraped: tuple[str, str]) -> None:
    metrics, prometheus = scraped
    # Once the secret metrics are in, the whole scrape is: one scrape is one append.
    _eventually(lambda: _series(prometheus, "imagepull_secret_missing"), "scraped series")
    exposed: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(_get(metrics) or ""):
        for sample in family.samples:
            exposed.setdefault(sample.name, []).append(dict(sample.labels))
    stored = _series(prometheus, '{__name__=~"imagepull_.+"}')
    assert {s["__name__"] for s in stored} >= {
        "imagepull_secret_missing",
        "imagepull_container_waiting_info",
    }
    for series in stored:
        labels = {k: v for k, v in series.items() if k not in ("__name__", "instance")}
        assert labels.pop("job") == "imagepull-exporter"
        candidates = exposed[series["__name__"]]
        if not any("namespace" in c for c in candidates):
            assert labels.pop("namespace") == NAMESPACE  # the target's: the exporter's own
        assert labels in candidates, series  # nothing added, nothing renamed exported_*
    for series in stored:
        assert series.get("pod") != EXPORTER_POD, series
    (up,) = _series(prometheus, "up")
    assert set(up) == {"__name__", "instance", "job", "namespace"}
