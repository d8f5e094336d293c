"""Fixtures: a running simulator and an aiohttp session pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from exporter.simulator import Simulator

TOKEN = "test-token"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(token=TOKEN, bookmark_interval=0.2, history_limit=50)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(base_url=sim.url, headers=headers) as session:
        yield session
