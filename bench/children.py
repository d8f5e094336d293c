"""Child processes of a benchmark run: started in their own process group, read from
``/proc``, and always ended (``terminate_all`` in a ``finally``).

    >>> child = spawn("sleep", ["sleep", "30"], log_dir=Path("/tmp"))  # doctest: +SKIP
    >>> proc_status(child.pid)["VmRSS"]  # doctest: +SKIP
    1232896
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TERMINATE_GRACE_SECONDS = 5.0


@dataclass
class Child:
    """One started process; ``started`` (``time.time()``) and ``started_monotonic`` are
    taken just before the fork."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    started: float
    started_monotonic: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            text = self.log.read_text(errors="replace").splitlines()
            return "\n".join(text[-lines:])
        return ""


_children: list[Child] = []


def spawn(
    name: str,
    argv: list[str],
    *,
    log_dir: Path,
    stdout: int | None = None,
) -> Child:
    """Start ``argv`` in a new session (so its whole group can be killed), logging to a
    file; ``stdout=subprocess.PIPE`` keeps stdout for the caller (stderr still logged)."""
    log = log_dir / f"{name}.log"
    handle = log.open("wb")
    started, started_monotonic = time.time(), time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else handle,
        stderr=handle,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
    )
    handle.close()
    child = Child(name, process, log, started, started_monotonic)
    _children.append(child)
    return child


def python(script: str, *args: str) -> list[str]:
    """argv running a bench script with this interpreter."""
    return [sys.executable, str(ROOT / "bench" / script), *args]


def terminate(child: Child) -> None:
    """SIGTERM the child's group, SIGKILL it after a grace period; idempotent."""
    process = child.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(TERMINATE_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(TERMINATE_GRACE_SECONDS)
    else:
        # the leader is gone; anything it left in its group goes too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    if process.stdout is not None:
        process.stdout.close()
    if child in _children:
        _children.remove(child)


def terminate_all() -> None:
    """End every child this run started, newest first."""
    for child in reversed(list(_children)):
        terminate(child)


def proc_status(pid: int) -> dict[str, int]:
    """The ``kB`` fields of ``/proc/PID/status`` in bytes (VmRSS, VmHWM, ...)."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            parts = value.split()
            if len(parts) == 2 and parts[1] == "kB":
                fields[name] = int(parts[0]) * 1024
    return fields


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from ``/proc/PID/stat``, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        text = stat.read()
    # the command name may contain spaces: fields count from after its closing ')'
    after = text[text.rindex(")") + 2 :].split()
    utime, stime = int(after[11]), int(after[12])
    return (utime + stime) / CLOCK_TICKS


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
