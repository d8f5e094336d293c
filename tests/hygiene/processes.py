"""The simulator and the exporter as child processes, their output collected whole."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def exporter_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporter", *args]


def run(
    *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        exporter_command(*args), input=stdin, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


@dataclass
class Simulator:
    process: subprocess.Popen[str]
    kubeconfig: Path
    url: str

    def stop(self) -> str:
        """Stop it; its whole output (the tests search it too: the fixtures are ours)."""
        self.process.terminate()
        out, err = self.process.communicate(timeout=10)
        return out + err


def start_simulator(scenario: Path, workdir: Path, *extra: str) -> Simulator:
    kubeconfig = workdir / "kubeconfig"
    process = subprocess.Popen(
        exporter_command("simulate", "--listen", "127.0.0.1:0", "--kubeconfig-out",
                         str(kubeconfig), "--scenario", str(scenario),
                         "--bookmark-interval", "60", *extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if "ready at" not in line:
        process.kill()
        raise AssertionError(f"simulator did not start: {line}{process.communicate()}")
    return Simulator(process, kubeconfig, line.split("ready at ")[1].split()[0])


def get(url: str, accept: str = "text/plain", timeout: float = 5) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except OSError as error:
        return getattr(error, "code", 0) or 0, ""


@dataclass
class Exporter:
    process: subprocess.Popen[str]
    url: str

    def wait_ready(self, within: float = 20) -> None:
        deadline = time.monotonic() + within
        while get(f"{self.url}/readyz")[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"exporter not ready: {self.stop()}")
            time.sleep(0.1)

    def scrape(self) -> list[str]:
        """/metrics in the text format and in OpenMetrics."""
        return [get(f"{self.url}/metrics")[1], get(f"{self.url}/metrics", OPENMETRICS)[1]]

    def stop(self) -> str:
        """SIGTERM, then everything it wrote (stdout and stderr)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            out, err = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return out + err


def start_exporter(kubeconfig: Path, log_format: str, *extra: str) -> Exporter:
    port = free_port()
    process = subprocess.Popen(
        exporter_command("--kubeconfig", str(kubeconfig), "--web.listen-address",
                         f"127.0.0.1:{port}", "--log-level", "debug", "--log-format",
                         log_format, *extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return Exporter(process, f"http://127.0.0.1:{port}")


def wait_for(predicate: Callable[[], bool], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        time.sleep(0.1)
