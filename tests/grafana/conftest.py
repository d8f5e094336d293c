"""Fixtures for the dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.binaries import require


@pytest.fixture(scope="session")
def promtool() -> Path:
    return require("promtool")
