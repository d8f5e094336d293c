"""Where the time goes: py-spy profiles of the simulator's load, the exporter's sync, its
first scrape, or the watch path replaying a burst.

    pip install py-spy
    python bench/profile.py load --pods 150000 --secrets 10000    # simulator generate+apply
    python bench/profile.py sync --pods 150000 --secrets 10000    # exporter spawn -> /readyz
    python bench/profile.py scrape --pods 150000 --secrets 10000  # first scrape after sync
    python bench/profile.py watch --pods 50000 --secrets 10000    # replay of a fail burst

Records with ``py-spy record --format raw`` (collapsed stacks, 100 samples/s, idle frames
left out) and prints the functions with the most samples, by self and by total time. The
raw profile is kept with ``--output`` (flame graphs: ``flamegraph.pl`` or speedscope).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench import children, scrape, watch_replay
from bench.run import BURST_MAX, delivered, json_output, log, start_exporter, wait_for_200

RATE = "100"


def py_spy() -> str:
    found = shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    return found


def record(target: list[str], output: Path) -> list[str]:
    """argv recording ``target`` (``["--pid", PID]`` or ``["--", argv...]``)."""
    return [py_spy(), "record", "--format", "raw", "--rate", RATE, "-o", str(output), *target]


def stop_recording(recorder: children.Child) -> None:
    """py-spy writes its output when interrupted."""
    os.kill(recorder.pid, signal.SIGINT)
    try:
        recorder.process.wait(60)
    except subprocess.TimeoutExpired:
        children.terminate(recorder)


def simulator_argv(args: argparse.Namespace, kubeconfig: Path) -> list[str]:
    argv = children.python("simserver.py", "--pods", str(args.pods))
    argv += ["--secrets", str(args.secrets), "--failing-fraction", str(args.failing_fraction)]
    return [*argv, "--kubeconfig", str(kubeconfig)]


async def profile_load(args: argparse.Namespace, workdir: Path, output: Path) -> None:
    argv = record(["--", *simulator_argv(args, workdir / "kubeconfig")], output)
    sim = children.spawn("simulator", argv, log_dir=workdir, stdout=subprocess.PIPE)
    loaded = await json_output(sim, 120 + args.pods * 0.005, prefix="ready ")
    log(f"loaded in {time.monotonic() - sim.started_monotonic:.1f}s: {loaded}")
    stop_recording(sim)


async def start_simulator(args: argparse.Namespace, workdir: Path, burst: int = 0) -> str:
    argv = [*simulator_argv(args, workdir / "kubeconfig"), "--burst", str(burst)]
    sim = children.spawn("simulator", argv, log_dir=workdir, stdout=subprocess.PIPE)
    url: str = (await json_output(sim, 120 + args.pods * 0.005, prefix="ready "))["url"]
    return url


def record_pid(pid: int, workdir: Path, output: Path) -> children.Child:
    return children.spawn("py-spy", record(["--pid", str(pid)], output), log_dir=workdir)


async def profile_sync(args: argparse.Namespace, workdir: Path, output: Path) -> None:
    await start_simulator(args, workdir)
    exporter, url = start_exporter(workdir / "kubeconfig", workdir, "exporter")
    recorder = record_pid(exporter.pid, workdir, output)
    async with aiohttp.ClientSession() as session:
        synced = await wait_for_200(session, url + "/readyz", exporter, 60 + args.pods * 0.01)
    status = children.proc_status(exporter.pid)
    log(f"synced in {synced:.1f}s, RSS {status['VmRSS'] >> 20} MiB, peak {status['VmHWM'] >> 20}")
    stop_recording(recorder)


async def profile_scrape(args: argparse.Namespace, workdir: Path, output: Path) -> None:
    await start_simulator(args, workdir)
    exporter, url = start_exporter(workdir / "kubeconfig", workdir, "exporter")
    async with aiohttp.ClientSession() as session:
        await wait_for_200(session, url + "/readyz", exporter, 60 + args.pods * 0.01)
        recorder = record_pid(exporter.pid, workdir, output)
        await asyncio.sleep(1)  # py-spy attaches
        times, _ = await scrape.scrape_times(url + "/metrics", 3)
    log("scrapes: " + ", ".join(f"{t:.3f}s" for t in times))
    stop_recording(recorder)


async def profile_watch(args: argparse.Namespace, workdir: Path, output: Path) -> None:
    """This process replays a burst in which pods start failing, as run.py does."""
    events = min(args.pods, BURST_MAX)
    sim_url = await start_simulator(args, workdir, burst=events)
    replica = watch_replay.PodsReplica(str(workdir / "kubeconfig"))
    try:
        await replica.list()
        async with aiohttp.ClientSession() as session:
            async with session.post(sim_url + "/bench/burst", params={"n": str(events)}) as r:
                burst = await r.json()
            await delivered(session, sim_url, 300)
        recorder = record_pid(os.getpid(), workdir, output)
        await asyncio.sleep(1)  # py-spy attaches
        count, seconds = await replica.replay(burst["before"], burst["after"])
        log(f"{count} events in {seconds:.2f}s: {count / seconds:,.0f}/s")
        stop_recording(recorder)
    finally:
        await replica.close()


def summary(raw: Path, top: int) -> str:
    """The ``top`` functions by self samples and by total samples."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    lines = [f"{samples} samples at {RATE}/s"]
    for title, counter in (("self", own), ("total", total)):
        lines.append(f"--- by {title} time")
        for frame, count in counter.most_common(top):
            lines.append(f"{count / samples:6.1%}  {frame[:150]}")
    return "\n".join(lines)


STEPS = {
    "load": profile_load,
    "sync": profile_sync,
    "scrape": profile_scrape,
    "watch": profile_watch,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=sorted(STEPS))
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--secrets", type=int, required=True)
    parser.add_argument("--failing-fraction", type=float, default=0.05)
    parser.add_argument("--output", type=Path, help="keep the raw profile here")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="imagepull-profile-") as workdir:
            output = args.output or Path(workdir) / "profile.txt"
            asyncio.run(STEPS[args.what](args, Path(workdir), output))
            print(summary(output, args.top))
    finally:
        children.terminate_all()


if __name__ == "__main__":
    main()
