"""``docs/metrics.md`` rendered from the catalog: ``python -m exporter.metrics.reference``."""

from __future__ import annotations

import sys

from exporter.metrics.contract import declared_metrics

HEADER = """# Metrics reference

Generated from the metric catalog (`exporter/metrics/catalog.py` and the modules it
lists, plus the registry probe's `exporter/metrics/probe.py`) by
`python -m exporter.metrics.reference > docs/metrics.md`; a test fails when this file is
stale. Timestamps are unix seconds: compute ages in PromQL with `time()`.
Label values come from cluster objects and are capped at 256 characters. The
`imagepull_registry_probe_*` metrics exist only with `--registry-probe`.

Per-object metrics are capped (`--max-failing-containers`, `--max-secret-series`): series
past the cap are left out and counted in `imagepull_exporter_series_dropped_total{metric}`.

| metric | type | labels | capped by | stability | description |
| --- | --- | --- | --- | --- | --- |
"""


def _flag(cap: str | None) -> str:
    return f"`--{cap.replace('_', '-')}`" if cap else ""


def render() -> str:
    rows = [
        f"| `{m.name}` | {m.type} | {', '.join(f'`{label}`' for label in m.labels)} "
        f"| {_flag(m.cap)} | {m.stability} | {m.help} |"
        for m in declared_metrics()
    ]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
