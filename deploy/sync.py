"""Copy the alert rules and dashboards into the Helm chart, or check that the copies are current.

Helm can only read files inside the chart, so the chart carries copies of ``alerts/*.rules.yml``
(in ``files/alerts/``) and ``grafana/*.json`` (in ``files/dashboards/``)::

    python deploy/sync.py           # update the copies (adds, replaces, removes)
    python deploy/sync.py --check   # exit 1 naming each stale copy; change nothing

The generated rules file is the exception: the chart gets the generator's chart variant
(``alerts/generate.py --chart``), the same rules with ``@@tokens@@`` where thresholds,
``for:`` durations and the job selector go, which templates/prometheusrule.yaml replaces
from the chart's values. Rendered with the default values it equals the rules file.
"""

from __future__ import annotations

import argparse
import subprocess
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
# The rules file alerts/generate.py writes, and the config it reads.
GENERATED_RULES = Path("alerts/imagepull-exporter.rules.yml")
GENERATOR = Path("alerts/generate.py")
GENERATOR_CONFIG = Path("alerts/config.yaml")

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
        if self.source == GENERATED_RULES:
            return f"{self.copy}: {self.problem} (chart variant of {self.source})"
        return f"{self.copy}: {self.problem} (copy of {self.source})"


def chart_content(root: Path, source: Path) -> bytes:
    """What the chart's copy of ``source`` (relative to ``root``) must hold."""
    if source == GENERATED_RULES and (root / GENERATOR).is_file():
        # The generator in a subprocess: it is a script of the checkout, not a package.
        result = subprocess.run(
            [
                sys.executable,
                str(root / GENERATOR),
                "--chart",
                "--config",
                str(root / GENERATOR_CONFIG),
                "--output",
                "-",
            ],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(result.stderr.decode(errors="replace").strip())
        return result.stdout
    return (root / source).read_bytes()


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
            relative = source.relative_to(root)
            if name not in copies:
                found.append(Difference(copy, "missing", relative))
            elif copies[name].read_bytes() != chart_content(root, relative):
                found.append(Difference(copy, "stale", relative))
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
            target.write_bytes(chart_content(root, difference.source))
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
