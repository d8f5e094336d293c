"""The chart's PrometheusRule takes thresholds, `for:` durations and the job selector from
its values, and is the generator's output for them.

With the default values it is exactly alerts/imagepull-exporter.rules.yml; with other values
it is exactly what alerts/generate.py renders from an alerts/config.yaml holding them, and
promtool accepts it. Rendered by Helm's own Go SDK, like tests/deploy/test_chart.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from alerts.generate import load_config, render
from alerts.settings import camel
from tests.e2e.binaries import require

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "imagepull-exporter"
RULES = ROOT / "alerts" / "imagepull-exporter.rules.yml"
CONFIG = ROOT / "alerts" / "config.yaml"

CHANGED: dict[str, Any] = {
    "jobSelector": 'job="kube-system/imagepull", cluster="eu-1"',
    "thresholds": {
        "credentialExpiringSoon": "30d",
        "credentialExpiryCritical": "1w",
        "secretRotationMaxAge": "1d12h",
        "failureWindow": "15m",
        "backoffStuckAfter": "30m",
        "registryProbeStaleAfter": "1h30m",
        "exporterRestartGrace": "10m",
    },
    "shortLivedLeftFraction": 0.3,
    "for": {
        "ImagePullCredentialExpiryCritical": "20m",
        "ImagePullCredentialRejected": {"critical": "2m", "warning": "3h"},
        "ImagePullExporterDown": "15m",
    },
}


def _rules(values: dict[str, Any], chart: Path = CHART) -> dict[str, Any]:
    """The spec of the one PrometheusRule the chart renders with ``values``."""
    rendered = helm.Chart.load(chart).render(
        {**values, "prometheusRule": {"enabled": True, **values.get("prometheusRule", {})}},
        name="imagepull-exporter",
        namespace="monitoring",
        is_install=True,
    )
    (text,) = (t for path, t in rendered.items() if path.endswith("/prometheusrule.yaml"))
    (rule,) = [doc for doc in yaml.safe_load_all(text) if doc]
    spec: dict[str, Any] = rule["spec"]
    return spec


def _merged(values: dict[str, Any]) -> dict[str, Any]:
    """The chart's prometheusRule values with ``values`` merged over them."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["prometheusRule"]
    merged = {**defaults, **values}
    for key in ("thresholds", "for"):
        merged[key] = {**defaults[key], **values.get(key, {})}
    return merged


def _config_for(values: dict[str, Any], tmp_path: Path) -> Path:
    """alerts/config.yaml with the chart's prometheusRule values in it."""
    config = yaml.safe_load(CONFIG.read_text())
    merged = _merged(values)
    config["job_selector"] = merged["jobSelector"]
    snake = {camel(name): name for name in config["thresholds"]}
    config["thresholds"] = {snake[k]: v for k, v in merged["thresholds"].items()}
    config["thresholds"]["short_lived_left_fraction"] = merged["shortLivedLeftFraction"]
    config["for"] = merged["for"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))  # the kinds keep their order
    return path


def _alert(spec: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [rule for group in spec["groups"] for rule in group["rules"] if rule["alert"] == name]


def test_default_values_render_exactly_the_rules_file() -> None:
    assert _rules({}) == yaml.safe_load(RULES.read_text())


def test_the_values_defaults_are_the_alerts_config() -> None:
    config = load_config(CONFIG)
    defaults = _merged({})
    assert defaults["jobSelector"] == config.job_selector
    assert defaults["thresholds"] == {camel(k): v for k, v in config.thresholds.items()}
    assert defaults["shortLivedLeftFraction"] == config.short_lived_left_fraction
    assert defaults["for"] == config.for_


def test_changed_values_render_the_generators_rules_for_them(tmp_path: Path) -> None:
    spec = _rules({"prometheusRule": CHANGED})
    expected = yaml.safe_load(render(load_config(_config_for(CHANGED, tmp_path))))
    assert spec == expected
    assert spec != yaml.safe_load(RULES.read_text())
    (critical,) = _alert(spec, "ImagePullCredentialExpiryCritical")
    assert critical["for"] == "20m"
    assert "< 2592000 > 0" in critical["expr"]  # 30d: shorter lives are short-lived
    assert "or 604800 + 0 *" in critical["expr"]  # 1w left pages a long-lived credential
    assert "0.3 * (" in critical["expr"]
    assert "less than 30% of their lifetime" in critical["annotations"]["description"]
    (stale,) = _alert(spec, "ImagePullRegistryProbeStale")
    assert "> 5400\n" in stale["expr"]
    assert "more than 1h30m ago" in stale["annotations"]["description"]
    (rotated,) = _alert(spec, "ImagePullSecretNotRotated")
    assert "> 129600\n" in rotated["expr"]
    assert '{job="kube-system/imagepull", cluster="eu-1"}' in rotated["expr"]
    assert "[10m:]" in rotated["expr"]


def test_changed_values_render_rules_promtool_accepts(tmp_path: Path) -> None:
    path = tmp_path / "chart.rules.yml"
    path.write_text(yaml.safe_dump(_rules({"prometheusRule": CHANGED})))
    result = subprocess.run(
        [str(require("promtool")), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 16 rules found" in result.stdout


def test_one_target_down_pages_when_the_chart_runs_shards() -> None:
    def severities(values: dict[str, Any]) -> list[str]:
        return [r["labels"]["severity"] for r in _alert(_rules(values), "ImagePullExporterDown")]

    assert severities({}) == ["critical", "warning"]
    assert severities({"sharding": {"enabled": True, "shards": 3}}) == ["critical", "critical"]


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("90d", 7776000), ("1d12h", 129600), ("1w", 604800), ("2w3d", 1468800), ("45s", 45)],
)
def test_durations_become_seconds_as_prometheus_reads_them(duration: str, seconds: int) -> None:
    spec = _rules({"prometheusRule": {"thresholds": {"secretRotationMaxAge": duration}}})
    (rotated,) = _alert(spec, "ImagePullSecretNotRotated")
    assert re.search(rf"> {seconds}\n", rotated["expr"]), rotated["expr"]
    assert f"policy of {duration}." in rotated["annotations"]["description"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"thresholds": {"failureWindow": "10 minutes"}},
            "/prometheusRule/thresholds/failureWindow",
        ),
        ({"thresholds": {"failureWindow": "5m1h"}}, "/prometheusRule/thresholds/failureWindow"),
        (
            {"thresholds": {"credentialExpiryCritical": "14d"}},
            "credentialExpiryCritical: must be shorter than credentialExpiringSoon",
        ),
        ({"shortLivedLeftFraction": 1}, "/prometheusRule/shortLivedLeftFraction"),
        ({"jobSelector": "job=`x`"}, "/prometheusRule/jobSelector"),
        ({"for": {"ImagePullNoSuchAlert": "5m"}}, "ImagePullNoSuchAlert"),
        (
            {"for": {"ImagePullCredentialRejected": "5m"}},
            "/prometheusRule/for/ImagePullCredentialRejected",
        ),
    ],
)
def test_bad_values_fail_the_render_naming_the_value(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmError, match=re.escape(message)):
        _rules({"prometheusRule": values})
