"""Prometheus and Alertmanager next to ``imagepull-exporter demo``, when they are installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BIN_DIR_ENV = "IMAGEPULL_BIN_DIR"
# Where scripts/install-monitoring-binaries unpacks Debian's packages.
LOCAL_BIN_DIR = Path(".cache") / "debian-bin" / "bin"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def binary_dirs() -> list[Path]:
    """Folders searched after PATH: $IMAGEPULL_BIN_DIR, then .cache/debian-bin/bin of the
    source checkout and of the working directory."""
    dirs = [Path(os.environ[BIN_DIR_ENV]) / "bin"] if os.environ.get(BIN_DIR_ENV) else []
    dirs += [_REPO_ROOT / LOCAL_BIN_DIR, Path.cwd() / LOCAL_BIN_DIR]
    return dirs


def find_binary(name: str) -> Path | None:
    """The executable ``name`` on PATH or in :func:`binary_dirs`: ``"promtool"`` ->
    ``Path("/usr/bin/promtool")``; None when it is nowhere."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for folder in binary_dirs():
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None
