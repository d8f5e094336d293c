"""Processes for the end-to-end tests: ``simulate`` and the exporter as subprocesses, the
official client for objects, ``/metrics`` over HTTP.

Set ``IMAGEPULL_E2E_KUBECONFIG`` to run against a real cluster instead of the simulator.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from prometheus_client.parser import text_string_to_metric_families

REAL_CLUSTER = os.environ.get("IMAGEPULL_E2E_KUBECONFIG")
DEADLINE = 2.0  # the promise: every change shows within 2 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], ready: Callable[[subprocess.Popen[str]], bool]) -> subprocess.Popen[str]:
    """``python -m exporter ARGS``, once ``ready(process)`` holds (20 s at most)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not ready(process):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            raise AssertionError(f"{args[0]} did not start: {out}\n{err}")
        time.sleep(0.05)
    return process


SHUTDOWN_SECONDS = 5.0
"""The issue's promise for SIGTERM (exporter.service.SHUTDOWN_SECONDS); the simulator too."""


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, then the process's stderr; it must exit 0 within the shutdown budget."""
    process.terminate()
    try:
        _, err = process.communicate(timeout=SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"did not stop within {SHUTDOWN_SECONDS:g} s of SIGTERM") from None
    assert process.returncode == 0, err
    return err


def start_exporter(kubeconfig: Path) -> tuple[subprocess.Popen[str], str]:
    """The exporter on a free port, once ``/readyz`` answers 200; and its ``/metrics`` URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def ready(_: subprocess.Popen[str]) -> bool:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    exporter = start(
        ["--kubeconfig", str(kubeconfig), "--web.listen-address", f"127.0.0.1:{port}",
         "--log-level", "debug"],
        ready,
    )  # fmt: skip
    return exporter, f"{base}/metrics"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if REAL_CLUSTER:
        yield Path(REAL_CLUSTER)
        return
    kubeconfig = tmp_path_factory.mktemp("sim") / "kubeconfig"
    sim = start(
        ["simulate", "--listen", "127.0.0.1:0", "--kubeconfig-out", str(kubeconfig),
         "--scenario", "empty", "--bookmark-interval", "1"],
        lambda p: p.stdout is not None and "ready" in p.stdout.readline(),
    )  # fmt: skip
    yield kubeconfig
    stop(sim)


@pytest.fixture(scope="module")
def api(cluster: Path) -> Iterator[client.CoreV1Api]:
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(cluster), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        yield client.CoreV1Api(api_client)


def temporary_namespace(api: client.CoreV1Api, prefix: str) -> Iterator[str]:
    """A namespace of a random name under ``prefix``, deleted afterwards (a fixture body)."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    api.delete_namespace(name)


@pytest.fixture(scope="module")
def namespace(api: client.CoreV1Api) -> Iterator[str]:
    yield from temporary_namespace(api, "imagepull-e2e")


def samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(url: str, name: str, **labels: str) -> float | None:
    wanted = set(labels.items())
    for (sample, labelset), v in samples(url).items():
        if sample == name and wanted <= labelset:
            return v
    return None


def within_deadline(check: Callable[[], bool], deadline: float = DEADLINE) -> float:
    """Seconds until ``check()`` held; fails past ``deadline`` (the issue's 2 s)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > deadline:
            raise AssertionError(f"not reflected within {deadline}s")
        time.sleep(0.05)
    return time.monotonic() - started
