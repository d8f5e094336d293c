"""Virtual time for the prober: ``sleep`` waits until the test advances the clock."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class FakeClock:
    """Starts at ``start`` Unix time; ``monotonic`` is the same number."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        """Every duration slept, in order (to check intervals and back-off)."""
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def settle(self) -> None:
        """Let every task run until all of them wait on the clock (or on nothing)."""
        for _ in range(200):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking sleepers in deadline order as it passes them."""
        target = self.now + seconds
        await self.settle()
        while self._waiters and self._waiters[0][0] <= target:
            deadline, _, future = heapq.heappop(self._waiters)
            self.now = max(self.now, deadline)
            if not future.done():
                future.set_result(None)
            await self.settle()
        self.now = target
