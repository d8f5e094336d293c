"""Copy the alert rules and dashboards into the Helm chart, or check that the copies are current.

Helm can only read files inside the chart, so the chart carries copies of ``alerts/*.rules.yml``
(in ``files/alerts/``) and ``grafana/*.json`` (in ``files/dashboards/``)::

    python deploy/sync.py           # update the copies (adds, replaces, removes)
    python deploy/sync.py --check   # exit 1 naming each stale copy; change nothing
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
CHART_FILES = Path("deploy/helm/imagepull-exporter/files")

# (source folder, file pattern, folder under the chart's files/)
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("alerts", "*.rules.yml", "alerts"),
    ("grafana", "*.json", "dashboards"),
)

Problem = Literal["missing", "stale", "extra"]


@dataclass(frozen=True, slots=True)
class Difference:
    """One chart copy that does not match its source: ``copy`` relative to the repository."""

    copy: Path
    problem: Problem
    source: Path | None

    def __str__(self) -> str:
        if self.problem == "extra":
            return f"{self.copy}: extra (its source is gone)"
        return f"{self.copy}: {self.problem} (copy of {self.source})"


def differences(root: Path = ROOT) -> list[Difference]:
    """Every chart copy that is missing, differs from its source, or has no source.

    >>> differences()  # in a synced checkout
    []
    """
    found: list[Difference] = []
    for source_dir, pattern, target_dir in SOURCES:
        sources = {p.name: p for p in sorted((root / source_dir).glob(pattern))}
        copies = {p.name: p for p in sorted((root / CHART_FILES / target_dir).glob(pattern))}
        for name, source in sources.items():
            copy = CHART_FILES / target_dir / name
            if name not in copies:
                found.append(Difference(copy, "missing", source.relative_to(root)))
            elif copies[name].read_bytes() != source.read_bytes():
                found.append(Difference(copy, "stale", source.relative_to(root)))
        found += [
            Difference(CHART_FILES / target_dir / name, "extra", None)
            for name in copies
            if name not in sources
        ]
    return found


def sync(root: Path = ROOT) -> list[Difference]:
    """Make the chart copies equal their sources; returns what was fixed."""
    fixed = differences(root)
    for difference in fixed:
        target = root / difference.copy
        if difference.source is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / difference.source, target)
    return fixed


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale copies")
    args = parser.parse_args(argv)
    if args.check:
        stale = differences(root)
        for difference in stale:
            print(f"{difference} — run: python deploy/sync.py", file=sys.stderr)
        return 1 if stale else 0
    for difference in sync(root):
        print(f"synced {difference.copy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
