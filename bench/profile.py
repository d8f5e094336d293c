"""Where the time goes: py-spy profiles of the simulator's load or the exporter's sync.

    pip install py-spy
    python bench/profile.py load --pods 150000 --secrets 10000   # simulator generate+apply
    python bench/profile.py sync --pods 150000 --secrets 10000   # exporter spawn -> /readyz

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

from bench import children
from bench.run import json_output, log, start_exporter, wait_for_200

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


async def profile_sync(args: argparse.Namespace, workdir: Path, output: Path) -> None:
    kubeconfig = workdir / "kubeconfig"
    sim = children.spawn(
        "simulator", simulator_argv(args, kubeconfig), log_dir=workdir, stdout=subprocess.PIPE
    )
    await json_output(sim, 120 + args.pods * 0.005, prefix="ready ")
    exporter, url = start_exporter(kubeconfig, workdir, "exporter")
    recorder = children.spawn(
        "py-spy", record(["--pid", str(exporter.pid)], output), log_dir=workdir
    )
    async with aiohttp.ClientSession() as session:
        synced = await wait_for_200(session, url + "/readyz", exporter, 60 + args.pods * 0.01)
    status = children.proc_status(exporter.pid)
    log(f"synced in {synced:.1f}s, RSS {status['VmRSS'] >> 20} MiB, peak {status['VmHWM'] >> 20}")
    stop_recording(recorder)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["load", "sync"])
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--secrets", type=int, required=True)
    parser.add_argument("--failing-fraction", type=float, default=0.05)
    parser.add_argument("--output", type=Path, help="keep the raw profile here")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="imagepull-profile-") as workdir:
            output = args.output or Path(workdir) / "profile.txt"
            step = profile_load if args.what == "load" else profile_sync
            asyncio.run(step(args, Path(workdir), output))
            print(summary(output, args.top))
    finally:
        children.terminate_all()


if __name__ == "__main__":
    main()
