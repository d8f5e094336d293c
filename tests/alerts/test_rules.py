"""The shipped rules: generated from the config, valid, and unit tested with promtool."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alerts.generate import ALERTS, ConfigError, load_config, parse_duration, render
from tests.alerts.conftest import REPO, RULES, UNIT_TESTS, load_alert_rules

SEVERITIES = {"critical", "warning", "info"}


def test_committed_rules_match_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, "alerts/generate.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_promtool_accepts_the_rules(promtool: Path) -> None:
    result = subprocess.run(
        [str(promtool), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass(promtool: Path) -> None:
    result = subprocess.run(
        [str(promtool), "test", "rules", str(UNIT_TESTS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    cases = [
        case
        for test in yaml.safe_load(UNIT_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    firing = {c["alertname"] for c in cases if c.get("exp_alerts")}
    silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    names = {str(rule["alert"]) for rule in load_alert_rules()}
    assert names - firing == set(), "alerts without a firing case"
    assert names - silent == set(), "alerts without a non-firing case"


def test_every_firing_case_asserts_severity_and_all_annotations() -> None:
    for test in yaml.safe_load(UNIT_TESTS.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            for alert in case.get("exp_alerts") or []:
                assert alert["exp_labels"]["severity"] in SEVERITIES, test["name"]
                assert set(alert["exp_annotations"]) == {"summary", "description", "runbook_url"}


@pytest.mark.parametrize("rule", load_alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_alert_carries_severity_summary_description_and_runbook(rule: dict[str, object]) -> None:
    labels = rule["labels"]
    annotations = rule["annotations"]
    assert isinstance(labels, dict)
    assert isinstance(annotations, dict)
    assert labels["severity"] in SEVERITIES
    assert annotations["summary"]
    assert "$labels" in annotations["description"] or "{job=" in annotations["description"]
    assert annotations["runbook_url"].endswith("#" + str(rule["alert"]).lower())


def test_all_declared_alerts_are_in_the_rules_file() -> None:
    assert [str(rule["alert"]) for rule in load_alert_rules()] == [a.name for a in ALERTS]


def test_only_credentials_pods_depend_on_may_page() -> None:
    for rule in load_alert_rules():
        expr = str(rule["expr"])
        about_a_credential = "credential_expiry" in expr or "registry_probe_result" in expr
        if about_a_credential and rule["labels"] == {"severity": "critical"}:
            assert "imagepull_secret_referencing_pods" in expr, rule["alert"]


def test_a_rejected_credential_pages_only_when_pods_use_it_and_waits_longer_otherwise() -> None:
    rejected = {
        str(rule["labels"]["severity"]): rule  # type: ignore[index]
        for rule in load_alert_rules()
        if rule["alert"] == "ImagePullCredentialRejected"
    }
    assert set(rejected) == {"critical", "warning"}
    config = load_config(REPO / "alerts" / "config.yaml")
    critical, warning = rejected["critical"], rejected["warning"]
    assert parse_duration(str(warning["for"]), "w") > parse_duration(str(critical["for"]), "c")
    assert critical["for"] == config.for_["ImagePullCredentialRejected"]["critical"]  # type: ignore[index]
    assert "group_left" in str(critical["expr"])
    assert "unless on" in str(warning["expr"])


def test_a_custom_config_renders_valid_rules(tmp_path: Path, promtool: Path) -> None:
    config = yaml.safe_load((REPO / "alerts" / "config.yaml").read_text())
    config["job_selector"] = 'job="kube-system/imagepull", cluster="eu-1"'
    config["thresholds"]["credential_expiring_soon"] = "30d"
    config["for"]["ImagePullCredentialExpired"] = "0s"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    output = tmp_path / "custom.rules.yml"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "alerts" / "generate.py"),
            "--config",
            str(tmp_path / "config.yaml"),
            "--output",
            str(output),
        ],
        check=True,
    )
    text = output.read_text()
    assert (
        'max without (instance) (imagepull_secret_missing{job="kube-system/imagepull", '
        'cluster="eu-1"}) > 0'
    ) in text
    assert "< 2592000" in text
    result = subprocess.run(
        [str(promtool), "check", "rules", str(output)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"job_selector": ""}, "job_selector: expected a non-empty string"),
        ({"thresholds": {"credential_expiring_soon": "2 weeks"}}, "is not a duration"),
        ({"thresholds": {"short_lived_left_fraction": 2}}, "short_lived_left_fraction"),
        ({"for": {"ImagePullNoSuchAlert": "5m"}}, "unknown alert(s) ImagePullNoSuchAlert"),
        ({"target_labels": ["cluster", "not a label"]}, "target_labels"),
        (
            {"for": {"ImagePullCredentialRejected": {"critical": "5m"}}},
            "for.ImagePullCredentialRejected.warning: missing",
        ),
        (
            {
                "for": {
                    "ImagePullCredentialRejected": {"critical": "5m", "warning": "1h", "info": "9m"}
                }
            },
            "ImagePullCredentialRejected is not raised at severity info",
        ),
        ({"for": {"ImagePullCredentialRejected": {"page": "5m"}}}, "expected a duration or"),
        ({"thresholds": {"registry_probe_stale_after": "3 rounds"}}, "is not a duration"),
        (
            {"thresholds": {"credential_expiry_critical": "14d"}},
            "credential_expiry_critical: must be shorter than credential_expiring_soon",
        ),
        (
            {"thresholds": {"credential_expiry_soon": "14d"}},
            "unknown key(s) credential_expiry_soon",
        ),
        ({"thresholds": {"exporter_restart_grace": "a while"}}, "exporter_restart_grace"),
        ({"replica_labels": []}, "replica_labels: expected at least one label"),
        ({"replica_labels": ["instance", "cluster"]}, "cluster cannot also be a target label"),
        ({"short_lived_kinds": {"ecr": "0s"}}, "short_lived_kinds.ecr: a lifetime must be"),
        ({"short_lived_kinds": {"ECR!": "12h"}}, "short_lived_kinds: expected a mapping"),
        ({"issued_at_rotation_kinds": "jwt"}, "issued_at_rotation_kinds: expected a list"),
        ({"sharded": "yes"}, "sharded: expected true or false"),
        ({"job_selector": 'job="a@@b"'}, "job_selector: must not contain"),
        ({"for": {"ImagePullExporterDown": "ten minutes"}}, "for.ImagePullExporterDown"),
    ],
)
def test_a_bad_config_is_one_clear_error(
    tmp_path: Path, edit: dict[str, object], message: str
) -> None:
    config = yaml.safe_load((REPO / "alerts" / "config.yaml").read_text())
    for key, value in edit.items():
        if isinstance(value, dict):
            config[key].update(value)
        else:
            config[key] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render(load_config(path))


@pytest.mark.parametrize(
    ("text", "seconds"), [("90d", 7776000), ("1d12h", 129600), ("5m", 300), ("1w", 604800)]
)
def test_durations_read_like_prometheus(text: str, seconds: int) -> None:
    assert parse_duration(text, "key") == seconds


def _render_with(tmp_path: Path, **edits: object) -> list[dict[str, object]]:
    config = yaml.safe_load((REPO / "alerts" / "config.yaml").read_text())
    config.update(edits)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    content = yaml.safe_load(render(load_config(path)))
    return [rule for group in content["groups"] for rule in group["rules"]]


def test_one_target_down_pages_only_when_the_exporter_is_sharded(tmp_path: Path) -> None:
    def severities(**edits: object) -> list[str]:
        return [
            str(rule["labels"]["severity"])  # type: ignore[index]
            for rule in _render_with(tmp_path, **edits)
            if rule["alert"] == "ImagePullExporterDown"
        ]

    # every target down or gone, then one target down
    assert severities() == ["critical", "warning"]
    assert severities(sharded=True) == ["critical", "critical"]


def _infers_an_expiry(rule: dict[str, object]) -> bool:
    return '"expiry", "inferred"' in str(rule["expr"])


def test_an_expiry_is_inferred_only_for_the_kinds_with_a_fixed_lifetime(
    tmp_path: Path, promtool: Path
) -> None:
    inferring = {str(rule["alert"]) for rule in load_alert_rules() if _infers_an_expiry(rule)}
    assert inferring == {"ImagePullCredentialExpired", "ImagePullCredentialExpiryCritical"}
    critical = next(
        r for r in load_alert_rules() if r["alert"] == "ImagePullCredentialExpiryCritical"
    )
    for kind, lifetime in {"ecr": "43200", "gcp_access_token": "3600", "acr": "10800"}.items():
        info = f'imagepull_credential_info{{job="imagepull-exporter", kind="{kind}"}}'
        assert f"{lifetime} * group without (instance) ({info})" in str(critical["expr"])

    # no kind with a fixed lifetime: nothing to infer, and the rules stay valid
    rules = _render_with(tmp_path, short_lived_kinds={})
    assert not any(_infers_an_expiry(rule) for rule in rules)
    assert not any("inferred" in str(rule["annotations"]) for rule in rules)
    path = tmp_path / "no-kinds.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}))
    result = subprocess.run(
        [str(promtool), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


ON_OR_BY = re.compile(r"\b(?:on|by|without) \(([^)]*)\)")


@pytest.mark.parametrize("rule", load_alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_cluster_alerts_do_not_tell_replicas_apart(rule: dict[str, object]) -> None:
    """An alert about the cluster must not keep `instance`: two replicas would raise it
    twice, and each exporter restart would resolve it and raise it anew."""
    about_the_exporter = {"ImagePullExporterDown", "ImagePullExporterWatchFailing"}
    about_the_exporter.add("ImagePullRegistryProbeStale")
    expr = str(rule["expr"])
    if rule["alert"] in about_the_exporter:
        return
    kept = [labels for labels in ON_OR_BY.findall(expr) if not labels.startswith("instance")]
    assert kept, expr
    assert all("instance" not in labels.split(", ") for labels in kept), kept
