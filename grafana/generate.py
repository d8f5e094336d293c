"""Render the Grafana dashboards (grafana/*.json) from the panel lists in grafana/panels.py.

    python grafana/generate.py            # regenerate the committed dashboards
    python grafana/generate.py --check    # exit 1 when a committed dashboard is stale

Panels are declared as data (title, description, queries, unit, thresholds); this module
turns them into Grafana's JSON model (schemaVersion 39: Grafana 10.3+ and 11 import it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `grafana.panels` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grafana.panels import DASHBOARDS, Dashboard, Panel, Target

HERE = Path(__file__).resolve().parent
SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24
# Series labels that say where a sample came from, not what it is about.
HIDDEN_COLUMNS = ("Time", "__name__", "job", "instance", "endpoint", "service")

JSON = dict[str, object]


def _thresholds(steps: Sequence[tuple[str, float | None]]) -> JSON:
    return {
        "mode": "absolute",
        "steps": [{"color": color, "value": value} for color, value in steps],
    }


def _target(target: Target, ref: str, instant: bool, table: bool) -> JSON:
    return {
        "datasource": DATASOURCE,
        "refId": ref,
        "expr": target.expr,
        "legendFormat": target.legend or "__auto",
        "instant": instant,
        "range": not instant,
        "format": "table" if table else "time_series",
    }


def _field_config(panel: Panel) -> JSON:
    defaults: JSON = {
        "unit": panel.unit,
        "thresholds": _thresholds(panel.thresholds),
        "color": {"mode": "thresholds"},
        "mappings": [
            {
                "type": "value",
                "options": {
                    str(value): {"text": text, "color": color, "index": index}
                    for index, (value, text, color) in enumerate(panel.value_texts)
                },
            }
        ]
        if panel.value_texts
        else [],
    }
    if panel.decimals is not None:
        defaults["decimals"] = panel.decimals
    if panel.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 10 if panel.stacked else 0,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if panel.stacked else "none", "group": "A"},
            "thresholdsStyle": {"mode": "line" if panel.threshold_lines else "off"},
        }
    overrides: list[JSON] = []
    if panel.kind == "table":
        defaults["custom"] = {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": True}
        overrides.append(
            {
                "matcher": {"id": "byName", "options": panel.value_column},
                "properties": [
                    {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                    {"id": "unit", "value": panel.unit},
                ],
            }
        )
    return {"defaults": defaults, "overrides": overrides}


def _options(panel: Panel) -> JSON:
    if panel.kind == "stat":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": panel.text_mode,
        }
    if panel.kind == "bargauge":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "orientation": "horizontal",
            "displayMode": "gradient",
            "showUnfilled": True,
            "valueMode": "color",
        }
    if panel.kind == "table":
        return {
            "showHeader": True,
            "cellHeight": "sm",
            "footer": {"show": False, "reducer": ["sum"], "countRows": False},
            "sortBy": [{"displayName": panel.value_column, "desc": panel.sort_desc}],
        }
    return {
        "legend": {"displayMode": "table", "placement": "right", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }


def _transformations(panel: Panel) -> list[JSON]:
    if panel.kind != "table":
        return []
    return [
        {
            "id": "organize",
            "options": {
                "excludeByName": {name: True for name in (*HIDDEN_COLUMNS, *panel.hide)},
                "renameByName": {"Value": panel.value_column},
                "indexByName": {},
            },
        }
    ]


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> JSON:
    instant = panel.kind in ("stat", "table", "bargauge") and not panel.range_query
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "targets": [
            _target(t, chr(ord("A") + i), instant, panel.kind == "table")
            for i, t in enumerate(panel.targets)
        ],
        "fieldConfig": _field_config(panel),
        "options": _options(panel),
        "transformations": _transformations(panel),
    }


def _layout(rows: Sequence[Sequence[Panel]]) -> list[JSON]:
    panels: list[JSON] = []
    y = 0
    for row in rows:
        x = 0
        for panel in row:
            panels.append(_panel(panel, len(panels) + 1, x, y))
            x += panel.width
        if x > GRID_WIDTH:
            raise ValueError(f"row starting with {row[0].title!r} is {x} wide (max 24)")
        y += max(panel.height for panel in row)
    return panels


def _query_variable(name: str, label: str, query: str) -> JSON:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2,
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "sort": 1,
        "hide": 0,
        "regex": "",
    }


def _templating() -> JSON:
    namespaces = (
        'label_values({__name__=~"imagepull_secret_info|imagepull_secret_missing|'
        'imagepull_registry_uncovered_pods|imagepull_containers_waiting|imagepull_failures_total", '
        'cluster=~"$cluster", job=~"$job"}, namespace)'
    )
    return {
        "list": [
            {
                "name": "datasource",
                "label": "Data source",
                "type": "datasource",
                "query": "prometheus",
                "current": {},
                "hide": 0,
                "includeAll": False,
                "multi": False,
                "options": [],
                "refresh": 1,
                "regex": "",
            },
            _query_variable(
                "cluster", "Cluster", "label_values(imagepull_exporter_build_info, cluster)"
            ),
            _query_variable(
                "job",
                "Job",
                'label_values(imagepull_exporter_build_info{cluster=~"$cluster"}, job)',
            ),
            _query_variable("namespace", "Namespace", namespaces),
        ]
    }


def dashboard_json(dashboard: Dashboard) -> JSON:
    """Grafana's JSON model of one dashboard."""
    return {
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "description": dashboard.description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [
            {
                "title": "Runbooks",
                "type": "link",
                "url": dashboard.runbooks_url,
                "targetBlank": True,
                "icon": "doc",
                "tooltip": "What each alert means and how to fix it",
            },
            {
                "title": "imagepull-exporter",
                "type": "dashboards",
                "tags": ["imagepull-exporter"],
                "asDropdown": True,
            },
        ],
        "panels": _layout(dashboard.rows),
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["imagepull-exporter", "kubernetes"],
        "templating": _templating(),
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": dashboard.title,
        "uid": dashboard.uid,
        "version": 1,
        "weekStart": "",
    }


def render(dashboard: Dashboard) -> str:
    return json.dumps(dashboard_json(dashboard), indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render grafana/*.json from grafana/panels.py")
    parser.add_argument("--check", action="store_true", help="exit 1 if a dashboard is stale")
    args = parser.parse_args(argv)
    stale = []
    for dashboard in DASHBOARDS:
        path = HERE / dashboard.filename
        text = render(dashboard)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
    if stale:
        print(f"stale: {', '.join(stale)}; run python grafana/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
