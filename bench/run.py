"""The performance benchmark of issue 7, in one run.

    python bench/run.py --pods 150000 --secrets 10000 --failing-fraction 0.05 [--json]

Starts the simulator in a child process (:mod:`bench.simserver`) with a generated cluster,
the exporter as another child (``python -m exporter``), and measures: sync time against
the LIST floor (:mod:`bench.floor`) and the official client (:mod:`bench.naive`), RSS,
scrape latency against naive rendering (:mod:`bench.scrape`), watch throughput against
its floor (:mod:`bench.watch_replay`), idle CPU, and the classifier's rate. Progress goes
to stderr; stdout gets the table, or with ``--json`` one JSON object as its last line.
Every child is ended on the way out, whatever happens; the run has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench import children, report, scrape, watch_replay
from bench.children import Child
from bench.classifier import classify_rate
from exporter.simulator import Simulator

POLL_SECONDS = 0.02
BURST_MAX = 20_000
STARTUP_RUNS = 3
SETTLE_SAMPLE_SECONDS = 0.25
SETTLE_CPU_SECONDS = 0.01
QUIET_SAMPLES = 4
CHURN_ROUNDS = 20
CHURN_PODS = 50
CHURN_APPLY_SECONDS = 0.1  # 50 watch events are applied in milliseconds; the warm waits 1 s
WARM_MEMORY_BYTES = 512 << 20
"""Touched once after the simulator's load, before the sync: see :meth:`Run.warm_memory`."""
Result = dict[str, Any]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A step failed; the message says which and shows the child's log tail."""


# --- children --------------------------------------------------------------------------


def start_exporter(kubeconfig: Path, workdir: Path, name: str) -> tuple[Child, str]:
    port = children.free_port()
    argv = [sys.executable, "-m", "exporter", "--kubeconfig", str(kubeconfig)]
    argv += ["--web.listen-address", f"127.0.0.1:{port}"]
    return children.spawn(name, argv, log_dir=workdir), f"http://127.0.0.1:{port}"


async def wait_for_200(
    session: aiohttp.ClientSession, url: str, child: Child, within: float
) -> float:
    """Poll ``url`` every 20 ms; seconds from the child's spawn to the first 200."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise BenchError(f"{child.name} exited ({child.process.returncode}):\n"
                             f"{child.log_tail()}")  # fmt: skip
        try:
            async with session.get(url) as response:
                await response.read()
                if response.status == 200:
                    return time.monotonic() - child.started_monotonic
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(POLL_SECONDS)
    raise BenchError(f"{url} not 200 within {within:.0f}s:\n{child.log_tail()}")


async def json_output(child: Child, within: float, prefix: str = "") -> dict[str, Any]:
    """The first stdout line of ``child`` starting with ``prefix``, decoded."""
    stdout = child.process.stdout
    assert stdout is not None

    def read() -> bytes:
        while line := stdout.readline():
            if line.startswith(prefix.encode()):
                return line
        return b""

    try:
        line = await asyncio.wait_for(asyncio.to_thread(read), within)
    except TimeoutError:
        children.terminate(child)  # unblocks the reading thread
        raise BenchError(f"{child.name}: no output within {within:.0f}s:\n"
                         f"{child.log_tail()}") from None  # fmt: skip
    if not line:
        child.process.wait()
        raise BenchError(f"{child.name} exited ({child.process.returncode}) without output:\n"
                         f"{child.log_tail()}")  # fmt: skip
    decoded: dict[str, Any] = json.loads(line[len(prefix) :])
    return decoded


async def run_script(name: str, argv: list[str], workdir: Path, within: float) -> Result:
    """Run a measuring child to completion; its JSON line plus its spawn time."""
    child = children.spawn(name, argv, log_dir=workdir, stdout=subprocess.PIPE)
    try:
        output = await json_output(child, within)
        output["spawned"] = child.started
        return output
    finally:
        children.terminate(child)


# --- measurements ----------------------------------------------------------------------


async def measure_startup(workdir: Path, session: aiohttp.ClientSession) -> Result:
    """The exporter's import + start cost, median of :data:`STARTUP_RUNS`: spawn →
    /healthz 200 on an empty simulator (served from this process), and → /readyz 200;
    and its RSS there (what the imports cost)."""
    sim = Simulator()
    await sim.start()
    kubeconfig = workdir / "kubeconfig-empty"
    sim.write_kubeconfig(kubeconfig)
    healthy, ready = [], []
    rss = 0
    try:
        for _ in range(STARTUP_RUNS):
            exporter, url = start_exporter(kubeconfig, workdir, "exporter-empty")
            try:
                healthy.append(await wait_for_200(session, url + "/healthz", exporter, 60))
                ready.append(await wait_for_200(session, url + "/readyz", exporter, 60))
                rss = children.proc_status(exporter.pid)["VmRSS"]
            finally:
                children.terminate(exporter)
    finally:
        await sim.stop()
    return {
        "startup_seconds": statistics.median(healthy),
        "empty_sync_seconds": statistics.median(ready),
        "startup_runs": healthy,
        "empty_rss_bytes": rss,
    }


async def settle(pid: int, within: float) -> float:
    """Wait until a process used no CPU for :data:`QUIET_SAMPLES` samples in a row;
    returns the CPU it used meanwhile."""
    start = previous = children.cpu_seconds(pid)
    quiet = 0
    deadline = time.monotonic() + within
    while quiet < QUIET_SAMPLES and time.monotonic() < deadline:
        await asyncio.sleep(SETTLE_SAMPLE_SECONDS)
        now = children.cpu_seconds(pid)
        quiet = quiet + 1 if now - previous <= SETTLE_CPU_SECONDS else 0
        previous = now
    return previous - start


async def delivered(session: aiohttp.ClientSession, sim_url: str, within: float) -> None:
    """Wait until the simulator has handed every watch event to the kernel: from then on
    the exporter has the rest in its socket and is busy until it has applied it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with session.get(sim_url + "/bench/stats") as response:
            stats = await response.json()
        if not stats["queued_lines"] and not stats["unsent_bytes"]:
            return
        await asyncio.sleep(SETTLE_SAMPLE_SECONDS)
    raise BenchError(f"the simulator's watch streams did not drain within {within:.0f}s")


async def measure_watch(
    sim_url: str, kubeconfig: Path, exporter_pid: int, events: int, repeats: int
) -> Result:
    """The burst replayed through the exporter's path and through the floor client."""
    replica = watch_replay.PodsReplica(str(kubeconfig))
    floor, ours, bursts, exporter_cpu = [], [], [], []
    try:
        await replica.list()
        async with aiohttp.ClientSession() as session:
            for _ in range(repeats):
                # each burst toggles the same pods back: every replayed event is a change
                async with session.post(
                    sim_url + "/bench/burst", params={"n": str(events)}
                ) as response:
                    response.raise_for_status()
                    burst = await response.json()
                bursts.append(burst)
                log(f"burst of {burst['events']} pod updates written in {burst['seconds']:.1f}s")
                # the exporter applies the burst too: replays start once it is done
                cpu_before = children.cpu_seconds(exporter_pid)
                await delivered(session, sim_url, 300)
                await settle(exporter_pid, 300)
                exporter_cpu.append(children.cpu_seconds(exporter_pid) - cpu_before)
                before, after = burst["before"], burst["after"]
                # the floor client holds no state: keep the replica's records out of its GC
                gc.collect()
                gc.freeze()
                try:
                    floor.append(await watch_replay.floor_replay(sim_url, before, after))
                finally:
                    gc.unfreeze()
                ours.append(await replica.replay(before, after))
    finally:
        await replica.close()
    # bursts alternate: pods start failing (messages classified), then recover
    return {
        "watch_events_per_second": sum(n for n, _ in ours) / sum(s for _, s in ours),
        "watch_floor_events_per_second": sum(n for n, _ in floor) / sum(s for _, s in floor),
        "extra": {
            "burst_events": bursts[0]["events"],
            "burst_write_seconds": [b["seconds"] for b in bursts],
            "burst_exporter_cpu_seconds": exporter_cpu,
            "watch_runs": [{"events": n, "seconds": s} for n, s in ours],
            "watch_floor_runs": [{"events": n, "seconds": s} for n, s in floor],
        },
    }


class Run:
    """The steps of one run, in order; each adds its figures to ``result`` or ``extra``."""

    def __init__(self, args: argparse.Namespace, workdir: Path, session: aiohttp.ClientSession):
        self.args, self.workdir, self.session = args, workdir, session
        self.result: Result = {"pods": args.pods, "secrets": args.secrets}
        self.extra: Result = {
            "machine": report.machine(),
            "revision": report.revision(),
            "failing_fraction": args.failing_fraction,
            "scrapes": args.scrapes,
            "idle_seconds": args.idle_seconds,
        }
        self.burst = min(args.pods, BURST_MAX)
        self.kubeconfig = workdir / "kubeconfig"
        self.sim_url = self.url = ""
        self.exporter: Child | None = None

    async def simulator(self) -> None:
        args = self.args
        log(f"simulator: generating and loading {args.pods} pods, {args.secrets} secrets")
        argv = children.python("simserver.py", "--pods", str(args.pods))
        argv += ["--secrets", str(args.secrets), "--failing-fraction", str(args.failing_fraction)]
        argv += ["--kubeconfig", str(self.kubeconfig), "--burst", str(self.burst)]
        sim = children.spawn("simulator", argv, log_dir=self.workdir, stdout=subprocess.PIPE)
        loaded = await json_output(sim, 120 + args.pods * 0.003, prefix="ready ")
        loaded["load_seconds"] = time.monotonic() - sim.started_monotonic
        self.extra["simulator"] = loaded
        self.sim_url = loaded["url"]
        log(f"simulator ready in {loaded['load_seconds']:.1f}s: {loaded['objects']}")

    async def warm_memory(self) -> None:
        """Touch memory in a throwaway process, so the sync starts on the footing of every
        later step. In a virtual machine the first touch of a guest page can cost far more
        than the page fault (here ~4 ms per MiB: the host backs it); the simulator's load
        takes gigabytes of fresh pages, so the next process pays that while the floor and
        the naive client, run later, reuse pages freed before them. Measured: the first
        sync after the load used 1.2-1.4 s more CPU than the second, the same as after
        this warm-up."""
        touch = "import sys; b'\\1' * int(sys.argv[1])"  # writes every byte: no lazy zero pages
        argv = [sys.executable, "-c", touch, str(WARM_MEMORY_BYTES)]
        started = time.monotonic()
        await (await asyncio.create_subprocess_exec(*argv)).wait()
        self.extra["memory_warmup_seconds"] = warmed = time.monotonic() - started
        log(f"{WARM_MEMORY_BYTES >> 20} MiB of memory touched in {warmed:.2f}s")

    async def sync(self) -> None:
        log("exporter: sync")
        exporter, self.url = start_exporter(self.kubeconfig, self.workdir, "exporter")
        self.exporter = exporter
        within = 60 + self.args.pods * 0.01
        sync = await wait_for_200(self.session, self.url + "/readyz", exporter, within)
        status = children.proc_status(exporter.pid)
        self.result["sync_seconds"] = sync
        self.result["rss_bytes"], self.result["peak_rss_bytes"] = status["VmRSS"], status["VmHWM"]
        self.extra["sync_minus_startup_seconds"] = sync - self.extra["startup_seconds"]
        log(f"synced in {sync:.2f}s, RSS {status['VmRSS'] / 2**20:.0f} MiB")
        # What a scrape arriving right at /readyz meets: the first render may be under way.
        (first,), _ = await scrape.scrape_times(self.url + "/metrics", 1)
        self.extra["scrape_first_seconds"] = first
        log(f"first scrape after /readyz: {first:.3f}s")

    @property
    def exporter_pid(self) -> int:
        assert self.exporter is not None
        return self.exporter.pid

    async def scrapes(self) -> None:
        # The exporter renders what changed when it changes (the first time right after
        # sync): scrapes of a settled exporter copy bytes. A changing cluster is measured
        # by churn() below.
        await settle(self.exporter_pid, 60)
        log(f"{self.args.scrapes} scrapes")
        times, text = await scrape.scrape_times(self.url + "/metrics", self.args.scrapes)
        self.result["scrape_seconds_p50"] = scrape.percentile(times, 0.5)
        self.result["scrape_seconds_p99"] = scrape.percentile(times, 0.99)
        self.result["series"] = scrape.series_count(text)
        self.result["scrape_naive_seconds"] = scrape.naive_render_seconds(text)
        self.extra["scrape_bytes"] = len(text.encode())
        self.extra["rss_after_scrapes_bytes"] = children.proc_status(self.exporter_pid)["VmRSS"]

    async def churn(self) -> None:
        """Scrapes of a cluster that changes between them: each follows a burst of
        :data:`CHURN_PODS` pod status updates spread over the namespaces, taken by the
        exporter but not yet rendered by it (the scrape does that work)."""
        log(f"{CHURN_ROUNDS} scrapes, each after {CHURN_PODS} pod updates")
        times = []
        for _ in range(CHURN_ROUNDS):
            await settle(self.exporter_pid, 30)
            async with self.session.post(
                self.sim_url + "/bench/burst", params={"n": str(CHURN_PODS)}
            ) as response:
                response.raise_for_status()
            await delivered(self.session, self.sim_url, 30)
            await asyncio.sleep(CHURN_APPLY_SECONDS)
            (seconds,), _ = await scrape.scrape_times(self.url + "/metrics", 1)
            times.append(seconds)
        self.extra["scrape_churn_seconds_p50"] = scrape.percentile(times, 0.5)
        self.extra["scrape_churn_seconds_p99"] = scrape.percentile(times, 0.99)

    async def idle(self) -> None:
        log(f"idle CPU over {self.args.idle_seconds:g}s")
        await settle(self.exporter_pid, 30)
        cpu_before, wall_before = children.cpu_seconds(self.exporter_pid), time.monotonic()
        await asyncio.sleep(self.args.idle_seconds)
        cpu = children.cpu_seconds(self.exporter_pid) - cpu_before
        self.result["idle_cpu_fraction"] = cpu / (time.monotonic() - wall_before)

    async def floor(self) -> None:
        log("floor: the same LIST pages, only parsed")
        within = 60 + self.args.pods * 0.01
        argv = children.python("floor.py", self.sim_url)
        floor = await run_script("floor", argv, self.workdir, within)
        self.result["floor_seconds"] = floor["done"] - floor["first_request"]
        self.extra["floor_startup_seconds"] = floor["imported"] - floor["spawned"]
        self.extra["floor"] = {k: floor[k] for k in ("pages", "bytes", "objects", "targets")}
        self.extra["floor_peak_rss_bytes"] = floor["peak_rss_bytes"]
        # without a schema: json.loads of whole pages, with and without the cyclic GC
        argv.append("--json")
        floor = await run_script("floor-json", argv, self.workdir, within)
        self.extra["floor_json_seconds"] = floor["done"] - floor["first_request"]
        argv.append("--gc-off")
        floor = await run_script("floor-json-gc-off", argv, self.workdir, within)
        self.extra["floor_json_gc_off_seconds"] = floor["done"] - floor["first_request"]

    async def naive(self) -> None:
        log("naive: the kubernetes client into typed models")
        argv = children.python("naive.py", str(self.kubeconfig))
        naive = await run_script("naive", argv, self.workdir, 120 + self.args.pods * 0.05)
        self.result["naive_client_seconds"] = naive["done"] - naive["first_request"]
        self.extra["naive_startup_seconds"] = naive["imported"] - naive["spawned"]
        self.extra["naive_peak_rss_bytes"] = naive["peak_rss_bytes"]
        self.extra["naive_objects"] = {"pods": naive["pods"], "secrets": naive["secrets"]}

    async def watch(self) -> None:
        log(f"watch: burst of {self.burst} pod updates, replayed")
        watch = await measure_watch(
            self.sim_url, self.kubeconfig, self.exporter_pid, self.burst, self.args.repeats
        )
        self.extra.update(watch.pop("extra"))
        self.result.update(watch)
        self.extra["rss_after_burst_bytes"] = children.proc_status(self.exporter_pid)["VmRSS"]

    async def classifier(self) -> None:
        log("classifier")
        self.result["classifier_messages_per_second"] = classify_rate(self.args.classifier_seconds)
        async with self.session.get(self.sim_url + "/bench/stats") as response:
            self.extra["simulator_after"] = await response.json()


async def bench(args: argparse.Namespace, workdir: Path) -> Result:
    """Every measurement, children started and ended here."""
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    run = Run(args, workdir, session)
    try:
        log("exporter start-up against an empty simulator")
        run.extra.update(await measure_startup(workdir, session))
        await run.simulator()
        await run.warm_memory()
        steps = (run.sync, run.scrapes, run.churn, run.idle, run.floor, run.naive, run.watch)
        for step in steps:
            await step()
        await run.classifier()
    finally:
        await session.close()
        children.terminate_all()
    return {**run.result, "extra": run.extra}


KEYS = (
    "pods", "secrets", "sync_seconds", "floor_seconds", "naive_client_seconds", "rss_bytes",
    "peak_rss_bytes", "scrape_seconds_p50", "scrape_seconds_p99", "series",
    "scrape_naive_seconds", "watch_events_per_second", "watch_floor_events_per_second",
    "idle_cpu_fraction", "classifier_messages_per_second",
)  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--secrets", type=int, required=True)
    parser.add_argument("--failing-fraction", type=float, default=0.05)
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument(
        "--repeats", type=int, default=2, help="bursts replayed (odd: pods fail, even: recover)"
    )
    parser.add_argument("--classifier-seconds", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, help="whole-run deadline (default: by size)")
    args = parser.parse_args(argv)
    if args.pods < 1 or args.secrets < 0 or args.scrapes < 1 or args.repeats < 1:
        parser.error("--pods and --scrapes must be positive, --secrets not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = args.timeout or 600 + args.pods * 0.1 + args.idle_seconds
    atexit.register(children.terminate_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with tempfile.TemporaryDirectory(prefix="imagepull-bench-") as workdir:
            result = asyncio.run(asyncio.wait_for(bench(args, Path(workdir)), deadline))
    except TimeoutError:
        log(f"the run did not finish within its {deadline:.0f}s deadline")
        return 1
    except BenchError as error:
        log(f"failed: {error}")
        return 1
    finally:
        children.terminate_all()
    ordered = {key: result[key] for key in KEYS} | {"extra": result["extra"]}
    print(json.dumps(ordered) if args.json else report.table(ordered), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
