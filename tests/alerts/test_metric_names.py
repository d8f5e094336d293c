"""Every metric an alert uses is one the exporter declares (the catalog is the contract)."""

from __future__ import annotations

import re

from exporter.metrics.contract import declared_metrics
from tests.alerts.conftest import load_alert_rules

METRIC = re.compile(r"\b(imagepull_[a-z0-9_]+)\b")
TARGET_LABELS = {"cluster", "job"}


def test_every_metric_in_the_rules_is_in_the_catalog() -> None:
    catalog = {spec.name for spec in declared_metrics()}
    used = {
        (str(rule["alert"]), name)
        for rule in load_alert_rules()
        for name in METRIC.findall(str(rule["expr"]) + str(rule["annotations"]))
    }
    assert used, "no imagepull_ metric found in the rules"
    missing = sorted(f"{alert}: {name}" for alert, name in used if name not in catalog)
    assert missing == []


def test_every_label_an_alert_matches_on_is_a_label_of_the_metric() -> None:
    """In the queries and in the descriptions' queries; the target labels (cluster, job)
    come from Prometheus, not from the exporter."""
    labels = {spec.name: set(spec.labels) for spec in declared_metrics()}
    selector = re.compile(r"\b(imagepull_[a-z0-9_]+)\{([^}]*)\}")
    matcher = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
    problems = []
    checked = 0
    for rule in load_alert_rules():
        for name, matchers in selector.findall(str(rule["expr"]) + str(rule["annotations"])):
            for label in matcher.findall(matchers):
                checked += 1
                if label not in TARGET_LABELS and label not in labels[name]:
                    problems.append(f"{rule['alert']}: {name} has no label {label}")
    assert checked > 20
    assert problems == []
