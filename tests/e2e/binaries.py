"""Locate the Prometheus tools the tests run; a missing one fails the test, never skips it.

Install them with ``scripts/install-monitoring-binaries`` (into .cache/debian-bin/bin) or
``apt-get install prometheus prometheus-alertmanager`` (onto PATH).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.cli.demo_monitoring import binary_dirs, find_binary


def require(name: str) -> Path:
    """The path of ``name`` (e.g. ``"promtool"``); fails the calling test when it is missing."""
    path = find_binary(name)
    if path is None:
        searched = ", ".join(str(d) for d in binary_dirs())
        pytest.fail(
            f"{name} not found on PATH nor in {searched}: run scripts/install-monitoring-binaries",
            pytrace=False,
        )
    return path
