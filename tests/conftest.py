"""Shared fixtures: a running simulator, a kubeconfig for it, and bounded waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from exporter.simulator import Simulator


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    sim = Simulator(token="test-token-not-secret", bookmark_interval=0.2)
    sim.load_scenario("empty")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def kubeconfig(simulator: Simulator, tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    simulator.write_kubeconfig(path)
    return path


async def eventually(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until ``predicate()`` holds; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.01)
