"""Scrape timing, and the naive rendering it is compared with.

``scrape_times`` GETs ``/metrics`` in the text format without compression, one request at
a time, and times each from request to the last byte read. ``naive_render_seconds`` is
what an exporter that builds fresh metric families at every scrape pays: the scraped text
is parsed once into families, then ``generate_latest`` runs over a registry whose
collector copies them sample by sample (fresh ``Metric`` objects and label dicts, as
``add_metric`` makes them) at each call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import aiohttp
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

TEXT_FORMAT = "text/plain;version=0.0.4"
NAIVE_RUNS = 5


async def scrape_times(url: str, count: int) -> tuple[list[float], str]:
    """Seconds per scrape of ``url``, and the text of the last one."""
    times: list[float] = []
    text = ""
    headers = {"Accept": TEXT_FORMAT, "Accept-Encoding": "identity"}
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        for _ in range(count):
            started = time.perf_counter()
            async with session.get(url, headers=headers) as response:
                response.raise_for_status()
                body = await response.read()
            times.append(time.perf_counter() - started)
            text = body.decode()
    return times, text


def series_count(text: str) -> int:
    """Sample lines of a text exposition."""
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def percentile(values: list[float], fraction: float) -> float:
    """Linear-interpolation percentile (numpy's default), e.g. 0.99 for p99."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _FreshCopies(Collector):
    """Yields new families equal to ``families`` on every ``collect()``."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        for family in self._families:
            fresh = Metric(family.name, family.documentation, family.type, family.unit)
            for sample in family.samples:
                fresh.add_sample(sample.name, dict(sample.labels), sample.value)
            yield fresh


def naive_render_seconds(text: str) -> float:
    """Median seconds of ``generate_latest`` over fresh families equal to ``text``'s."""
    families = list(text_string_to_metric_families(text))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_FreshCopies(families))
    runs = []
    for _ in range(NAIVE_RUNS):
        started = time.perf_counter()
        generate_latest(registry)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)
