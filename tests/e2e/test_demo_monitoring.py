"""exporter.cli.demo_monitoring: the Prometheus + Alertmanager pair the demo starts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from exporter.cli.demo_monitoring import (
    DISABLE_ENV,
    SHIPPED_RULES,
    MonitoringStack,
    parse_alerts,
    prometheus_config,
    rules_with_for,
    start_monitoring,
)

PENDING_DOWN = {
    "status": "success",
    "data": {
        "alerts": [
            {
                "labels": {
                    "alertname": "ImagePullExporterDown",
                    "job": "imagepull-exporter",
                    "severity": "warning",
                },
                "annotations": {"summary": "Prometheus cannot scrape imagepull-exporter."},
                "state": "pending",
            },
            {
                "labels": {
                    "alertname": "ImagePullCredentialExpired",
                    "namespace": "payments",
                    "secret": "ghcr-pull",
                    "severity": "critical",
                },
                "annotations": {"summary": "A registry credential that pods use has expired."},
                "state": "firing",
            },
        ]
    },
}


def test_alert_lines_name_the_alert_its_labels_and_severity() -> None:
    lines = sorted(alert.describe(alert.state) for alert in parse_alerts(PENDING_DOWN).values())
    assert lines == [
        "firing: ImagePullCredentialExpired{namespace=payments, secret=ghcr-pull} [critical] "
        "A registry credential that pods use has expired.",
        "pending: ImagePullExporterDown{} [warning] Prometheus cannot scrape imagepull-exporter.",
    ]


async def test_alerts_are_reported_from_the_first_scrape_on() -> None:
    """Before Prometheus has scraped the exporter, rules see no ``up`` and ExporterDown goes
    pending for an evaluation: the demo must not open on it."""
    queries = 0
    after_scrape = {"status": "success", "data": {"alerts": PENDING_DOWN["data"]["alerts"][1:]}}

    async def query(request: web.Request) -> web.Response:
        nonlocal queries
        queries += 1
        assert request.query["query"] == 'up{job="imagepull-exporter"}'
        result = [{"metric": {}, "value": [0, "1"]}] if queries >= 3 else []
        return web.json_response({"status": "success", "data": {"result": result}})

    async def alerts(request: web.Request) -> web.Response:
        return web.json_response(after_scrape if queries >= 3 else PENDING_DOWN)

    app = web.Application()
    app.router.add_get("/api/v1/query", query)
    app.router.add_get("/api/v1/alerts", alerts)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        stack = MonitoringStack(
            f"http://127.0.0.1:{port}", "", poll_interval=0.05, evaluation_interval=0.05
        )
        changes = stack.alerts_changes()
        line = await asyncio.wait_for(anext(changes), timeout=10)
        await changes.aclose()
    finally:
        await runner.cleanup()
    assert queries == 3
    assert line.startswith("firing: ImagePullCredentialExpired{"), line


@pytest.mark.parametrize("payload", [None, {}, {"data": {"alerts": "x"}}, {"data": []}])
def test_odd_api_answers_mean_no_alerts(payload: object) -> None:
    assert parse_alerts(payload) == {}


def test_rules_copy_changes_only_for() -> None:
    original = yaml.safe_load(SHIPPED_RULES.read_text())
    copy = yaml.safe_load(rules_with_for(SHIPPED_RULES.read_text(), "0s"))
    for group, group_copy in zip(original["groups"], copy["groups"], strict=True):
        for rule, rule_copy in zip(group["rules"], group_copy["rules"], strict=True):
            assert rule_copy.pop("for") == "0s"
            rule.pop("for")
            assert rule_copy == rule


def test_prometheus_scrapes_the_metrics_url_as_the_rules_job() -> None:
    config = yaml.safe_load(
        prometheus_config(
            "http://127.0.0.1:9917/metrics",
            rule_files=[Path("/r.yml")],
            alertmanager="127.0.0.1:9093",
        )
    )
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "imagepull-exporter"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:9917"]}]
    assert job["metrics_path"] == "/metrics"


def test_replicas_are_the_same_target_under_two_instances() -> None:
    config = yaml.safe_load(
        prometheus_config(
            "http://127.0.0.1:9917/metrics",
            rule_files=[],
            alertmanager="127.0.0.1:9093",
            instances=("a", "b"),
        )
    )
    (job,) = config["scrape_configs"]
    assert job["static_configs"] == [
        {"targets": ["127.0.0.1:9917"], "labels": {"instance": "a"}},
        {"targets": ["127.0.0.1:9917"], "labels": {"instance": "b"}},
    ]


REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "alerts" / "imagepull-exporter.rules.yml"


def test_a_checkout_loads_the_rules_of_its_alerts_folder() -> None:
    assert SHIPPED_RULES.read_text() == RULES.read_text()


@pytest.mark.e2e
def test_a_wheel_carries_the_rules_the_demo_loads(tmp_path: Path) -> None:
    """`pip install . && imagepull-exporter demo`, without a checkout: the wheel has the
    rules (setup.py bundles them) and the demo finds them in the installed package."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        bundled = archive.read("exporter/bundle/alerts/imagepull-exporter.rules.yml")
        archive.extractall(site)
    assert bundled == RULES.read_bytes()
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from exporter.cli.demo_monitoring import SHIPPED_RULES; print(SHIPPED_RULES)",
        ],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == str(site / "exporter/bundle/alerts/imagepull-exporter.rules.yml")


async def test_disabled_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "off")
    assert await start_monitoring("http://127.0.0.1:1/metrics", workdir=tmp_path) is None


@pytest.mark.e2e
async def test_starts_both_reports_alerts_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    # Nothing listens on port 1: the exporter is "down", which the shipped rules report.
    stack = await start_monitoring(
        "http://127.0.0.1:1/metrics", workdir=tmp_path, for_duration="0s"
    )
    assert stack is not None, "prometheus/prometheus-alertmanager not found"
    try:
        async with aiohttp.ClientSession() as session:
            for url in (stack.prometheus_url, stack.alertmanager_url):
                async with session.get(f"{url}/-/ready") as response:
                    assert response.status == 200
        changes = stack.alerts_changes()
        line = await asyncio.wait_for(anext(changes), timeout=15)
        await changes.aclose()
        assert line.startswith("firing: ImagePullExporterDown{")
    finally:
        await stack.stop()
    assert all(process.returncode is not None for process in stack.processes)
