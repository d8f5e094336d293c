"""The committed dashboards: generated, well-formed for Grafana 10/11, valid PromQL, and
built only from metrics the exporter declares."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from exporter.metrics.contract import declared_metrics
from tests.grafana.queries import GRAFANA, load_dashboards, panel_queries

DASHBOARDS = load_dashboards()
IDS = [str(d["uid"]) for d in DASHBOARDS]
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
METRIC = re.compile(r"\b(imagepull_[a-z0-9_]+)\b")
PANEL_KINDS = {"stat", "timeseries", "table", "bargauge"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def _panels(dashboard: dict[str, object]) -> list[dict[str, object]]:
    panels = dashboard["panels"]
    assert isinstance(panels, list)
    return panels


def test_committed_dashboards_match_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(GRAFANA / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_two_dashboards_exist() -> None:
    assert sorted(str(d["title"]) for d in DASHBOARDS) == [
        "Image pull credentials",
        "Image pull failures",
    ]
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=IDS)
def test_schema_is_grafana_10_or_newer(dashboard: dict[str, object]) -> None:
    assert isinstance(dashboard["schemaVersion"], int)
    assert dashboard["schemaVersion"] >= 37
    assert dashboard["id"] is None  # importable into any Grafana
    assert dashboard["uid"]
    assert dashboard["description"]


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=IDS)
def test_variables_datasource_cluster_job_namespace(dashboard: dict[str, object]) -> None:
    templating = dashboard["templating"]
    assert isinstance(templating, dict)
    variables = {v["name"]: v for v in templating["list"]}
    assert list(variables) == ["datasource", "cluster", "job", "namespace"]
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("cluster", "job", "namespace"):
        assert variables[name]["datasource"] == DATASOURCE
        assert variables[name]["includeAll"] is True
        assert variables[name]["allValue"] == ".*"


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=IDS)
def test_panels_have_unique_ids_and_a_grid_place(dashboard: dict[str, object]) -> None:
    panels = _panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(set(ids)) == len(ids)
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert isinstance(grid, dict)
        assert set(grid) == {"h", "w", "x", "y"}
        assert grid["w"] > 0
        assert grid["h"] > 0
        assert grid["x"] >= 0
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=IDS)
def test_every_panel_is_described_has_units_thresholds_and_the_datasource(
    dashboard: dict[str, object],
) -> None:
    for panel in _panels(dashboard):
        title = panel["title"]
        assert panel["type"] in PANEL_KINDS, title
        assert isinstance(panel["description"], str)
        assert len(panel["description"]) > 40, title
        assert panel["datasource"] == DATASOURCE, title
        field_config = panel["fieldConfig"]
        assert isinstance(field_config, dict)
        defaults = field_config["defaults"]
        assert defaults["unit"], title
        assert defaults["thresholds"]["steps"][0]["value"] is None, title
        targets = panel["targets"]
        assert isinstance(targets, list)
        assert targets, title
        for target in targets:
            assert target["datasource"] == DATASOURCE, title
            assert target["expr"].strip(), title


def test_every_query_filters_on_the_dashboard_variables() -> None:
    for query in panel_queries():
        for selector in re.findall(r"\b(?:imagepull_[a-z0-9_]+|up)\{([^}]*)\}", query.expr):
            assert 'cluster=~"$cluster"' in selector, query
            assert 'job=~"$job"' in selector, query


def test_every_query_is_valid_promql(tmp_path: Path, promtool: Path) -> None:
    # promtool has no "check expression": a recording rule per query is the next best thing.
    rules = [
        {
            "record": f"dashboard:{q.dashboard.replace('-', '_')}:panel_{q.panel_id}_{q.ref}",
            "expr": q.promql,
        }
        for q in panel_queries()
    ]
    path = tmp_path / "dashboard-queries.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [str(promtool), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def _family(name: str, types: dict[str, str]) -> str:
    """The declared metric a series belongs to: a histogram's ``_bucket``, ``_sum`` and
    ``_count`` series belong to the histogram."""
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and types.get(base) == "histogram":
            return base
    return name


def test_every_metric_in_the_dashboards_is_in_the_catalog() -> None:
    types = {spec.name: spec.type for spec in declared_metrics()}
    used = {(str(q), name) for q in panel_queries() for name in METRIC.findall(q.expr)}
    assert used
    missing = [f"{panel}: {name}" for panel, name in used if _family(name, types) not in types]
    assert sorted(missing) == []


def test_a_histogram_is_read_through_its_series_not_its_bare_name() -> None:
    types = {spec.name: spec.type for spec in declared_metrics()}
    assert _family("imagepull_registry_probe_duration_seconds_bucket", types) == (
        "imagepull_registry_probe_duration_seconds"
    )
    assert _family("imagepull_secret_info_count", types) == "imagepull_secret_info_count"
    for query in panel_queries():
        for name in METRIC.findall(query.expr):
            assert types.get(name) != "histogram", f"{query}: {name} has no series of that name"
