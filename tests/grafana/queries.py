"""The committed dashboards' panel queries, and the variable values tests run them with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GRAFANA = Path(__file__).resolve().parents[2] / "grafana"
# Values that match every series, as Grafana sends them with "All" selected, and windows
# short enough for a Prometheus that has scraped for a few seconds.
VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "1h",
    "$cluster": ".*",
    "$job": ".*",
    "$namespace": ".*",
}


@dataclass(frozen=True, slots=True)
class PanelQuery:
    dashboard: str
    panel_id: int
    panel: str
    ref: str
    expr: str

    @property
    def promql(self) -> str:
        """The query with Grafana's variables replaced: what Prometheus receives."""
        text = self.expr
        for variable, value in VARIABLES.items():
            text = text.replace(variable, value)
        return text

    def __str__(self) -> str:
        return f"{self.dashboard} #{self.panel_id} {self.panel!r} {self.ref}"


def dashboard_files() -> list[Path]:
    return sorted(GRAFANA.glob("*.json"))


def load_dashboards() -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in dashboard_files()]


def panel_queries() -> list[PanelQuery]:
    queries = []
    for dashboard in load_dashboards():
        panels = dashboard["panels"]
        assert isinstance(panels, list)
        for panel in panels:
            for target in panel.get("targets", []):
                queries.append(
                    PanelQuery(
                        str(dashboard["uid"]),
                        panel["id"],
                        panel["title"],
                        target["refId"],
                        target["expr"],
                    )
                )
    return queries
