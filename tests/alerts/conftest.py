"""Fixtures for the alerting rules: the rules as data, and promtool."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.binaries import require

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "alerts" / "imagepull-exporter.rules.yml"
UNIT_TESTS = Path(__file__).resolve().parent / "imagepull-exporter.tests.yml"
RUNBOOKS = REPO / "docs" / "runbooks.md"


def load_alert_rules() -> list[dict[str, object]]:
    """Every alerting rule of the committed rules file, in file order."""
    content = yaml.safe_load(RULES.read_text())
    return [rule for group in content["groups"] for rule in group["rules"] if "alert" in rule]


@pytest.fixture(scope="session")
def promtool() -> Path:
    return require("promtool")
