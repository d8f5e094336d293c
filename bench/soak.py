"""Chaos soak: the exporter against a chaotic simulator and a churning workload.

    python -m bench.soak --duration 600 --chaos-rate 0.05 --seed 1 --stall-seconds 100

Runs the seeded workload (``exporter.simulator.workload``) against a simulator in chaos
mode for ``--duration`` seconds while an exporter (a child process with the production
settings, so that its RSS is its own) watches it, then turns chaos off and checks
convergence: every metric equals what a fresh exporter started on the same simulator
reports, and ``imagepull_failures_total`` equals the growth the workload recorded. A
chaotic stall lasts ``--stall-seconds``, by default longer than the exporter's 90 s
inactivity timeout, so the exporter's stall detection (restart reason ``stalled``) is
what ends it. The workload deletes events that grew once the exporter's ``/metrics`` show
their growth (:class:`SeenFailures`). Then it stops the simulator and checks that
``/metrics`` keeps serving the last state with ``imagepull_exporter_watch_up 0``. Prints
the faults injected, restarts by reason, and the exporter's RSS next to the number of
objects at start and end (a leak check). ``tests/chaos/test_convergence.py`` is the
short CI version.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from exporter.kube.config import load_api_config
from exporter.kube.reflector import ReflectorSettings
from exporter.pullerrors import pull_failure_event
from exporter.service import Exporter
from exporter.settings import Settings
from exporter.simulator import Simulator
from exporter.simulator.workload import EventRecord, Workload

SeriesKey = tuple[str, tuple[tuple[str, str], ...]]
Series = dict[SeriesKey, float]
Labels = tuple[tuple[str, str], ...]
FAILURES = "imagepull_failures_total"
PER_INSTANCE = ("imagepull_exporter_", "process_", "python_")
FIRST_SEEN = "imagepull_container_waiting_since_timestamp_seconds"
UNKNOWN_REGISTRY = "unknown"
CHAOS_SETTINGS = ReflectorSettings(
    inactivity_timeout=2.0,
    watch_timeout_seconds=30,
    backoff_initial=0.2,
    backoff_max=2.0,
)
"""Short enough that a stalled stream or a back-off never outlasts the 10 s to converge."""
STALL_SECONDS = ReflectorSettings().inactivity_timeout + 10
"""A soak stall outlasts the production inactivity timeout the child exporter runs with."""


# --- metrics -----------------------------------------------------------------------------


async def scrape(url: str) -> Series:
    """Every sample of ``url``/metrics, keyed by name and sorted labels."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        response.raise_for_status()
        text = await response.text()
    series: Series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return series


def cluster_series(series: Series) -> Series:
    """What the cluster implies: without self-metrics, first-seen times and failures."""
    return {
        key: value
        for key, value in series.items()
        if not key[0].startswith(PER_INSTANCE)
        and key[0] not in (FIRST_SEEN, FAILURES)
        and not key[0].endswith("_created")
    }


def failures(series: Series) -> Counter[Labels]:
    """``imagepull_failures_total`` by label set, zero series left out."""
    return Counter({labels: v for (name, labels), v in series.items() if name == FAILURES and v})


@functools.lru_cache(maxsize=4096)
def failure_labels(namespace: str, reason: str, message: str) -> Labels | None:
    """The ``imagepull_failures_total`` labels an exporter gives an event (None: not a
    pull failure); the workload repeats its messages, so this is cached."""
    classification = pull_failure_event(reason, message)
    if classification is None:
        return None
    labels = {
        "namespace": namespace,
        "registry": classification.registry or UNKNOWN_REGISTRY,
        "reason": reason,
        "cause": classification.cause.value,
    }
    return tuple(sorted(labels.items()))


def expected_failures(workload: Workload) -> Counter[Labels]:
    """The growth the workload recorded, labelled as the exporter labels it."""
    expected: Counter[Labels] = Counter()
    for namespace, reason, message, growth in workload.failure_growth():
        labels = failure_labels(namespace, reason, message)
        if labels is not None:
            expected[labels] += growth
    return expected


class SeenFailures:
    """What an exporter has counted, scraped from its ``/metrics`` in the background.

    ``settled(record)`` holds when the exporter's total for the record's labels equals
    the workload's total for them *now*: then it has seen every growth of those events
    and none happened since its scrape, so deleting one loses nothing it could count.
    """

    def __init__(self, url: str, workload: Workload, *, interval: float = 0.1) -> None:
        self.url, self.workload, self.interval = url, workload, interval
        self.counted: Counter[Labels] = Counter()
        self._expected: tuple[int, Counter[Labels]] = (-1, Counter())  # (at step, totals)

    async def run(self) -> None:
        """Scrape until cancelled (a failed scrape keeps the last one)."""
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                self.counted = failures(await scrape(self.url))
            await asyncio.sleep(self.interval)  # pacing, not synchronisation

    def settled(self, record: EventRecord) -> bool:
        labels = failure_labels(record.namespace, record.reason, record.message)
        if labels is None:
            return True  # not counted by the exporter at all
        if self._expected[0] != self.workload.steps:  # once per step, not per candidate
            self._expected = (self.workload.steps, expected_failures(self.workload))
        return self.counted[labels] == self._expected[1][labels]

    @contextlib.asynccontextmanager
    async def observing(self) -> AsyncIterator[SeenFailures]:
        """Scrape while the block runs, and let the workload delete what has settled."""
        task = asyncio.create_task(self.run())
        self.workload.settled = self.settled
        try:
            yield self
        finally:
            self.workload.settled = None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def differences(actual: Series, wanted: Series, *, limit: int = 20) -> list[str]:
    """Human-readable differences between two sets of series (empty when equal)."""
    out = []
    for key in sorted(set(actual) | set(wanted)):
        if actual.get(key) != wanted.get(key):
            labels = ",".join(f'{k}="{v}"' for k, v in key[1])
            out.append(f"{key[0]}{{{labels}}} got {actual.get(key)} want {wanted.get(key)}")
    return out[:limit]


def watch_up(series: Series) -> dict[str, float]:
    """``imagepull_exporter_watch_up`` by resource."""
    return {
        dict(labels).get("resource", ""): value
        for (name, labels), value in series.items()
        if name == "imagepull_exporter_watch_up"
    }


def restarts(series: Series) -> Counter[str]:
    """``imagepull_exporter_watch_restarts_total`` summed by reason."""
    out: Counter[str] = Counter()
    for (name, labels), value in series.items():
        if name == "imagepull_exporter_watch_restarts_total":
            out[dict(labels).get("reason", "")] += int(value)
    return out


# --- running -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_exporter(
    kubeconfig: Path, settings: ReflectorSettings = CHAOS_SETTINGS
) -> AsyncIterator[Exporter]:
    """An in-process exporter on a free port, stopped on exit."""
    exporter = Exporter(
        Settings(listen_address="127.0.0.1:0"),
        load_api_config(str(kubeconfig)),
        reflector_settings=settings,
    )
    await exporter.start()
    try:
        yield exporter
    finally:
        await exporter.stop()


async def until(condition: Callable[[], bool], within: float, what: str) -> float:
    """Poll ``condition`` until it holds; returns the seconds it took (TimeoutError after)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            raise TimeoutError(f"{what}: not within {within:g}s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def converged(
    url: str, reference_url: str, workload: Workload, within: float
) -> tuple[float | None, list[str]]:
    """Seconds until the exporter at ``url`` matches the one at ``reference_url`` and the
    workload's failure record; None and the last differences when not within ``within``."""
    started = time.monotonic()
    wanted_failures = expected_failures(workload)
    while True:
        actual, wanted = await scrape(url), await scrape(reference_url)
        diff = differences(cluster_series(actual), cluster_series(wanted))
        diff += differences(
            {(FAILURES, k): v for k, v in failures(actual).items()},
            {(FAILURES, k): float(v) for k, v in wanted_failures.items()},
        )
        if not diff:
            return time.monotonic() - started, []
        if time.monotonic() - started > within:
            return None, diff
        await asyncio.sleep(0.1)


def rss_mib(pid: int) -> float:
    """Resident set size of process ``pid``, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def ready(url: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError):
        async with aiohttp.ClientSession() as session, session.get(f"{url}/readyz") as response:
            return response.status == 200
    return False


@contextlib.asynccontextmanager
async def exporter_process(kubeconfig: Path) -> AsyncIterator[tuple[int, str]]:
    """``imagepull-exporter`` as a child process (its RSS is its own): (pid, url)."""
    port = free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "exporter",
        "--kubeconfig",
        str(kubeconfig),
        "--web.listen-address",
        f"127.0.0.1:{port}",
        "--log-level",
        "error",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not await ready(url):
            if time.monotonic() > deadline or child.returncode is not None:
                raise TimeoutError("the exporter did not become ready within 30s")
            await asyncio.sleep(0.1)
        yield child.pid, url
    finally:
        if child.returncode is None:
            child.terminate()
        await child.wait()


def population(sim: Simulator) -> dict[str, int]:
    """Objects per resource, to read the RSS against."""
    return {plural: len(table.objects) for plural, table in sim.cluster.tables.items()}


async def soak(duration: float, rate: float, seed: int, workdir: Path, stall: float) -> int:
    """The whole soak; prints a report and returns the exit status (0: converged)."""
    sim = Simulator(bookmark_interval=1.0, chaos_seed=seed, chaos_stall_seconds=stall)
    workload = Workload(sim, seed=seed)
    workload.populate()
    await sim.start()
    kubeconfig = workdir / "soak.kubeconfig"
    sim.write_kubeconfig(kubeconfig)
    try:
        async with exporter_process(kubeconfig) as (pid, url):
            rss_start, objects_start = rss_mib(pid), population(sim)
            sim.set_chaos(rate)
            async with SeenFailures(url, workload).observing():
                await workload.run(duration)
            sim.set_chaos(0.0)  # also ends the stalls in progress
            async with running_exporter(kubeconfig) as fresh:
                await until(lambda: fresh.state.synced, 10, "fresh exporter sync")
                took, diff = await converged(url, fresh.url, workload, within=10.0)
            before = await scrape(url)
            rss_end, objects_end = rss_mib(pid), population(sim)
            await sim.stop()
            during = before
            deadline = time.monotonic() + 30
            while any(watch_up(during).values()) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                during = await scrape(url)
    finally:
        await sim.stop()
    kept = cluster_series(during) == cluster_series(before)
    print(f"workload: {workload.steps} changes {dict(sorted(workload.done.items()))}")
    print(f"chaos injected: {dict(sorted(sim.injected().items()))}")
    print(f"watch restarts by reason: {dict(sorted(restarts(before).items()))}")
    print(f"failures counted: {sum(failures(before).values()):g}")
    if took is None:
        print("convergence: FAILED within 10 s")
        for line in diff:
            print(f"  {line}")
    else:
        print(f"convergence: {took:.1f} s after chaos off")
    print(f"API down: watch_up {watch_up(during)}, last state kept: {kept}")
    print(f"exporter RSS: {rss_start:.1f} MiB at start with {objects_start}")
    print(f"              {rss_end:.1f} MiB at end with {objects_end}")
    return 0 if took is not None and kept and not any(watch_up(during).values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of chaos")
    parser.add_argument("--chaos-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=STALL_SECONDS,
        help="length of a chaotic stall (default %(default)s: past the exporter's 90 s "
        "inactivity timeout, so stall detection ends it)",
    )
    args = parser.parse_args(argv)
    return asyncio.run(
        soak(args.duration, args.chaos_rate, args.seed, args.workdir, args.stall_seconds)
    )


if __name__ == "__main__":
    sys.exit(main())
