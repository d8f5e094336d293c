"""The machine a run happened on, the readable table of a run against the targets of
issue 7, and Markdown tables of several runs side by side (for ``bench/RESULTS.md``):

    python bench/report.py 10k.json 50k.json 150k.json   # files ending in run.py --json
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
Result = dict[str, Any]


def revision() -> str:
    """The commit measured, ``+dirty`` when the work tree has changes."""
    try:
        run = subprocess.run(
            ["git", "describe", "--always", "--dirty=+dirty"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return run.stdout.strip()


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, kernel and Python version."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


@dataclass(frozen=True)
class Target:
    """One target: a ratio computed from a result and the bound it must meet."""

    name: str
    value: Callable[[Result], float]
    bound: float
    at_most: bool  # True: value <= bound passes; False: value >= bound passes
    unit: str = "x"

    def met(self, result: Result) -> bool:
        value = self.value(result)
        return value <= self.bound if self.at_most else value >= self.bound


def _ratio(top: str, bottom: str) -> Callable[[Result], float]:
    return lambda r: r[top] / r[bottom] if r[bottom] else float("inf")


TARGETS = (
    Target("sync / floor", _ratio("sync_seconds", "floor_seconds"), 2.0, at_most=True),
    Target("naive / sync", _ratio("naive_client_seconds", "sync_seconds"), 20.0, at_most=False),
    Target("RSS after sync", lambda r: r["rss_bytes"] / MIB, 200.0, at_most=True, unit=" MiB"),
    Target("peak / RSS", _ratio("peak_rss_bytes", "rss_bytes"), 1.3, at_most=True),
    Target("scrape p99 / naive", _ratio("scrape_seconds_p99", "scrape_naive_seconds"), 0.5, True),
    Target(
        "churn p99 / naive",
        lambda r: r["extra"].get("scrape_churn_seconds_p99", math.nan) / r["scrape_naive_seconds"],
        0.5,
        at_most=True,
    ),
    Target(
        "watch / floor",
        _ratio("watch_events_per_second", "watch_floor_events_per_second"),
        0.5,
        at_most=False,
    ),
    Target("idle CPU", lambda r: r["idle_cpu_fraction"], 0.01, at_most=True, unit=""),
)


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / MIB:.1f} MiB"


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def table(result: Result) -> str:
    """The figures, then each target with its ratio and whether it is met."""
    extra = result.get("extra", {})
    m = extra.get("machine", {})
    pods = max(result["pods"], 1)
    lines = [
        f"machine: {m.get('cpu')}, {m.get('cores')} cores, "
        f"{m.get('memory_bytes', 0) / 1024**3:.1f} GiB RAM, Linux {m.get('kernel')}, "
        f"Python {m.get('python')}; commit {extra.get('revision', 'unknown')}",
        f"cluster: {result['pods']} pods, {result['secrets']} pull secrets, "
        f"{extra.get('failing_fraction', 0):.0%} failing; simulator loaded in "
        f"{extra.get('simulator', {}).get('load_seconds', 0):.1f} s",
        "",
        f"{'figure':<32}{'value':>16}   note",
        f"{'sync_seconds':<32}{_seconds(result['sync_seconds']):>16}   "
        f"spawn -> /readyz 200, includes start-up; "
        f"{result['sync_seconds'] / pods * 1e6:.1f} us/pod",
        f"{'  minus start-up':<32}{_seconds(extra.get('sync_minus_startup_seconds', 0)):>16}   "
        f"start-up = spawn -> /healthz 200 on an empty cluster: "
        f"{_seconds(extra.get('startup_seconds', 0))}",
        f"{'floor_seconds':<32}{_seconds(result['floor_seconds']):>16}   "
        f"first request -> last page parsed by the exporter's decoders; its start-up "
        f"{_seconds(extra.get('floor_startup_seconds', 0))} not included",
        f"{'  parsed by json.loads':<32}{_seconds(extra.get('floor_json_seconds', 0)):>16}   "
        f"whole pages into dicts; with the GC off "
        f"{_seconds(extra.get('floor_json_gc_off_seconds', 0))}",
        f"{'naive_client_seconds':<32}{_seconds(result['naive_client_seconds']):>16}   "
        f"kubernetes client, pods + pull secrets into typed models",
        f"{'rss_bytes':<32}{result['rss_bytes'] / MIB:>12.1f} MiB   "
        f"{result['rss_bytes'] / pods / 1024:.2f} KiB/pod",
        f"{'peak_rss_bytes':<32}{result['peak_rss_bytes'] / MIB:>12.1f} MiB   VmHWM",
        f"{'scrape_seconds_p50':<32}{_seconds(result['scrape_seconds_p50']):>16}",
        f"{'scrape_seconds_p99':<32}{_seconds(result['scrape_seconds_p99']):>16}   "
        f"over {extra.get('scrapes', 0)} scrapes of {extra.get('scrape_bytes', 0) / MIB:.2f} MiB "
        "once settled",
        f"{'  first scrape at /readyz':<32}{_seconds(extra.get('scrape_first_seconds', 0)):>16}   "
        "meets the first render under way",
        f"{'  p50 / p99 under churn':<32}"
        f"{_seconds(extra.get('scrape_churn_seconds_p50', 0)):>7} /"
        f"{_seconds(extra.get('scrape_churn_seconds_p99', 0)):>8}   "
        "each right after 50 pod updates spread over the namespaces",
        f"{'series':<32}{result['series']:>16}",
        f"{'scrape_naive_seconds':<32}{_seconds(result['scrape_naive_seconds']):>16}   "
        "generate_latest over fresh families, median of 5",
        f"{'watch_events_per_second':<32}{result['watch_events_per_second']:>16,.0f}   "
        f"{len(extra.get('watch_runs', []))} bursts of {extra.get('burst_events', 0)} pod "
        "updates (fail, recover), events / seconds over all",
        f"{'watch_floor_events_per_second':<32}{result['watch_floor_events_per_second']:>16,.0f}",
        f"{'idle_cpu_fraction':<32}{result['idle_cpu_fraction']:>16.4f}   "
        f"over {extra.get('idle_seconds', 0):g} s",
        f"{'classifier_messages_per_second':<32}{result['classifier_messages_per_second']:>16,.0f}",
        "",
        f"{'target':<24}{'value':>12}{'bound':>12}   met",
    ]
    for target in TARGETS:
        value = target.value(result)
        bound = f"{'<=' if target.at_most else '>='} {target.bound:g}{target.unit}"
        shown = f"{value:.4f}" if target.unit == "" else f"{value:.2f}{target.unit}"
        lines.append(
            f"{target.name:<24}{shown:>12}{bound:>12}   {'yes' if target.met(result) else 'NO'}"
        )
    return "\n".join(lines)


ROWS: tuple[tuple[str, Callable[[Result], str]], ...] = (
    ("commit", lambda r: f"`{r['extra'].get('revision', 'unknown')}`"),
    ("pull secrets", lambda r: f"{r['secrets']:,}"),
    ("simulator load", lambda r: f"{r['extra']['simulator']['load_seconds']:.1f} s"),
    ("  512 MiB touched after it", lambda r: _seconds(r["extra"]["memory_warmup_seconds"])),
    ("sync_seconds (spawn → /readyz)", lambda r: _seconds(r["sync_seconds"])),
    ("  per pod", lambda r: f"{r['sync_seconds'] / r['pods'] * 1e6:.0f} µs"),
    ("  start-up (spawn → /healthz, empty)", lambda r: _seconds(r["extra"]["startup_seconds"])),
    ("  sync − start-up", lambda r: _seconds(r["extra"]["sync_minus_startup_seconds"])),
    ("floor_seconds", lambda r: _seconds(r["floor_seconds"])),
    ("  floor parsed by json.loads", lambda r: _seconds(r["extra"]["floor_json_seconds"])),
    ("  json.loads with the GC off", lambda r: _seconds(r["extra"]["floor_json_gc_off_seconds"])),
    ("  its client's start-up", lambda r: _seconds(r["extra"]["floor_startup_seconds"])),
    ("naive_client_seconds", lambda r: _seconds(r["naive_client_seconds"])),
    ("rss_bytes (after sync)", lambda r: f"{r['rss_bytes'] / MIB:.1f} MiB"),
    ("  per pod", lambda r: f"{r['rss_bytes'] / r['pods'] / 1024:.2f} KiB"),
    ("  RSS on an empty cluster", lambda r: _mib(r["extra"].get("empty_rss_bytes"))),
    ("peak_rss_bytes (VmHWM)", lambda r: f"{r['peak_rss_bytes'] / MIB:.1f} MiB"),
    ("RSS after the scrapes", lambda r: f"{r['extra']['rss_after_scrapes_bytes'] / MIB:.1f} MiB"),
    ("series", lambda r: f"{r['series']:,}"),
    ("scrape size", lambda r: f"{r['extra']['scrape_bytes'] / MIB:.2f} MiB"),
    ("scrape_seconds_p50", lambda r: _seconds(r["scrape_seconds_p50"])),
    ("scrape_seconds_p99", lambda r: _seconds(r["scrape_seconds_p99"])),
    ("  first scrape at /readyz", lambda r: _seconds(r["extra"]["scrape_first_seconds"])),
    ("  p50 under churn", lambda r: _seconds(r["extra"]["scrape_churn_seconds_p50"])),
    ("  p99 under churn", lambda r: _seconds(r["extra"]["scrape_churn_seconds_p99"])),
    ("scrape_naive_seconds", lambda r: _seconds(r["scrape_naive_seconds"])),
    ("watch_events_per_second", lambda r: f"{r['watch_events_per_second']:,.0f}"),
    ("  fail burst / recover burst", lambda r: " / ".join(
        f"{run['events'] / run['seconds']:,.0f}" for run in r["extra"]["watch_runs"])),
    ("watch_floor_events_per_second", lambda r: f"{r['watch_floor_events_per_second']:,.0f}"),
    ("exporter CPU to apply a live burst", lambda r: " / ".join(
        f"{cpu:.1f} s" for cpu in r["extra"]["burst_exporter_cpu_seconds"])),
    ("idle_cpu_fraction", lambda r: f"{r['idle_cpu_fraction']:.4f}"),
    ("classifier_messages_per_second", lambda r: f"{r['classifier_messages_per_second']:,.0f}"),
    ("simulator RSS", lambda r: f"{r['extra']['simulator_after']['rss_bytes'] / MIB:,.0f} MiB"),
)  # fmt: skip


def markdown(results: list[Result]) -> str:
    """The figures and targets of several runs side by side, as Markdown tables."""
    head = "| pods | " + " | ".join(f"{r['pods']:,}" for r in results) + " |"
    rule = "| --- |" + " ---: |" * len(results)
    lines = [head, rule]
    lines += [f"| {name} | " + " | ".join(cell(r) for r in results) + " |" for name, cell in ROWS]
    lines += ["", "| target | " + " | ".join(f"{r['pods']:,}" for r in results) + " |", rule]
    for target in TARGETS:
        bound = f"{'≤' if target.at_most else '≥'} {target.bound:g}{target.unit.strip()}"
        cells = []
        for r in results:
            value = target.value(r)
            shown = f"{value:.4f}" if target.unit == "" else f"{value:.2f}{target.unit.strip()}"
            cells.append(f"{shown} {'✓' if target.met(r) else '✗'}")
        lines.append(f"| {target.name} {bound} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    # python bench/report.py 10k.json 50k.json ...: files holding run.py --json output
    runs = [json.loads(Path(p).read_text().splitlines()[-1]) for p in sys.argv[1:]]
    print(markdown(runs))
