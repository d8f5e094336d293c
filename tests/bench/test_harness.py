"""The benchmark harness end to end at a small scale: it runs, cleans up, and reports
every figure with a sane value. No timing assertions: CI machines vary too much."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ["--pods", "300", "--secrets", "30", "--failing-fraction", "0.05", "--json"]
SMOKE += ["--idle-seconds", "1", "--scrapes", "5", "--classifier-seconds", "0.5"]
KEYS = {
    "pods", "secrets", "sync_seconds", "floor_seconds", "naive_client_seconds", "rss_bytes",
    "peak_rss_bytes", "scrape_seconds_p50", "scrape_seconds_p99", "series",
    "scrape_naive_seconds", "watch_events_per_second", "watch_floor_events_per_second",
    "idle_cpu_fraction", "classifier_messages_per_second",
}  # fmt: skip


def _children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_small_run_reports_every_figure_and_leaves_no_process() -> None:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "run.py"), *SMOKE],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, stderr[-3000:]
    result = json.loads(stdout.strip().splitlines()[-1])

    assert set(result) == KEYS | {"extra"}
    assert (result["pods"], result["secrets"]) == (300, 30)
    for key in KEYS - {"idle_cpu_fraction"}:
        assert result[key] > 0, key
        assert math.isfinite(result[key]), key
    assert 0 <= result["idle_cpu_fraction"] < 1
    assert result["peak_rss_bytes"] >= result["rss_bytes"]
    assert result["scrape_seconds_p99"] >= result["scrape_seconds_p50"]
    assert result["series"] >= 30  # imagepull_secret_info alone has one per secret
    extra = result["extra"]
    assert extra["naive_objects"] == {"pods": 300, "secrets": 30}
    assert extra["floor"]["targets"]["pods"]["objects"] == 300
    assert extra["burst_events"] == 300
    assert all(run["events"] == 300 for run in extra["watch_runs"] + extra["watch_floor_runs"])


def test_table_names_the_machine_and_every_target() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.report import TARGETS, table

    figures: dict[str, object] = {key: 1.0 for key in KEYS}
    figures |= {"pods": 10, "secrets": 1, "series": 5}
    figures["extra"] = {"machine": {"cpu": "Test CPU", "cores": 2, "python": "3.11.7"}}
    text = table(figures)
    assert "Test CPU, 2 cores" in text
    assert "Python 3.11.7" in text
    for target in TARGETS:
        assert target.name in text


def test_floor_lists_what_the_exporter_lists() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.floor import TARGETS
    from exporter.kube.targets import watch_targets

    exporter = [(t.path, t.field_selector, t.metadata_only) for t in watch_targets()]
    assert list(TARGETS) == exporter
