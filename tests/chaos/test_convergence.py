"""The exporter under chaos: it converges once the API behaves, counts no failure twice,
and keeps serving the last known state while the API is gone.

The long version is ``python -m bench.soak``; this one runs in CI in about half a minute.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.soak import (
    FAILURES,
    cluster_series,
    converged,
    running_exporter,
    scrape,
    until,
    watch_up,
)
from exporter.kube.reflector import ReflectorSettings, ReflectorStatus
from exporter.service import Exporter
from exporter.simulator import DisconnectMidLine, Simulator, StatusFault
from exporter.simulator.clock import parse_rfc3339
from exporter.simulator.workload import Workload

SEED = 20251125
CHAOS_RATE = 0.05
CHAOS_SECONDS = 22.0
CONVERGE_SECONDS = 10.0
SECRET_INFO = "imagepull_secret_info"
LAST_ROTATED = "imagepull_secret_last_rotated_timestamp_seconds"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(bookmark_interval=1.0, chaos_seed=SEED)
    simulator.chaos.stall_seconds = 3.0  # longer than the exporter's inactivity timeout
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def kubeconfig(sim: Simulator, tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    sim.write_kubeconfig(path)
    return path


def total_failures(exporter: Exporter) -> int:
    return sum(exporter.state.failures.totals.values())


def watch_status(exporter: Exporter, resource: str) -> ReflectorStatus:
    [status] = [s for r, s in exporter.state.watches if r == resource]
    return status


async def test_metrics_converge_after_chaos(sim: Simulator, kubeconfig: Path) -> None:
    workload = Workload(sim, seed=SEED)
    workload.populate()
    async with running_exporter(kubeconfig) as exporter:
        await until(lambda: exporter.state.synced, 10, "initial sync")
        sim.set_chaos(CHAOS_RATE)
        await workload.run(CHAOS_SECONDS)
        sim.set_chaos(0.0)
        async with running_exporter(kubeconfig) as fresh:
            took, diff = await converged(exporter.url, fresh.url, workload, within=CONVERGE_SECONDS)
        assert took is not None, "\n".join(diff)
        series = await scrape(exporter.url)
    assert sum(sim.chaos.injected.values()) > 20, sim.chaos.injected
    assert sum(v for (name, _), v in series.items() if name == FAILURES) > 0
    pull_secrets = {
        key
        for key, s in sim.cluster.table("secrets").objects.items()
        if s["type"] == "kubernetes.io/dockerconfigjson"
    }
    reported = {
        (dict(labels)["namespace"], dict(labels)["secret"])
        for name, labels in series
        if name == SECRET_INFO
    }
    assert reported == pull_secrets  # none deleted still reported, none missing


async def test_last_state_is_served_while_the_api_is_gone(sim: Simulator, kubeconfig: Path) -> None:
    Workload(sim, seed=SEED).populate()
    async with running_exporter(kubeconfig) as exporter:
        await until(lambda: exporter.state.synced, 10, "initial sync")
        before = await scrape(exporter.url)
        assert set(watch_up(before).values()) == {1.0}
        await sim.stop()
        await until(lambda: not any(s.up for _, s in exporter.state.watches), 10, "watch down")
        during = await scrape(exporter.url)
    assert watch_up(during) == dict.fromkeys(("events", "pods", "secrets", "serviceaccounts"), 0.0)
    assert cluster_series(during) == cluster_series(before)
    assert any(name == SECRET_INFO for name, _ in cluster_series(during))


async def test_a_watch_broken_after_some_events_does_not_count_them_again(
    sim: Simulator, kubeconfig: Path
) -> None:
    """Resuming from where the broken stream started would replay count 2 then 3 after 3
    was applied, and the step from 2 to 3 would be counted twice."""
    workload = Workload(sim, seed=SEED)
    workload.create_pod()
    settings = ReflectorSettings(
        watch_timeout_seconds=1, inactivity_timeout=5, backoff_initial=1.0, backoff_jitter=0
    )
    async with running_exporter(kubeconfig, settings) as exporter:
        await until(lambda: exporter.state.synced, 10, "initial sync")
        workload.create_event()
        [(namespace, _, _, first)] = workload.failure_growth()
        await until(lambda: total_failures(exporter) == first, 5, "first event counted")
        # The next events watch fails (the reflector backs off 1 s), the one after is cut
        # after the two changes made during the back-off.
        sim.inject(StatusFault(resource="events", verb="watch", code=500))
        sim.inject(DisconnectMidLine(resource="events", verb="watch", events=2))
        events = watch_status(exporter, "events")
        await until(lambda: events.restarts["server_error"] == 1, 5, "watch failed")
        workload.bump_event()
        workload.bump_event()
        await until(lambda: events.restarts["disconnected"] == 1, 5, "watch cut")
        workload.create_event()  # a marker: once it is counted, any replay was too
        expected = sum(growth for *_, growth in workload.failure_growth())
        await until(lambda: len(exporter.state.events) == 2, 5, "marker seen")
        series = await scrape(exporter.url)
    counted = sum(v for (name, _), v in series.items() if name == FAILURES)
    assert counted == expected, f"{namespace}: counted {counted}, grew by {expected}"


def pull_secret(name: str, password: str) -> dict[str, Any]:
    config = {"auths": {"ghcr.io": {"username": "bot", "password": password}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": name, "namespace": "default"},
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def data_written(obj: dict[str, Any]) -> str:
    [entry] = [e for e in obj["metadata"]["managedFields"] if "f:data" in e["fieldsV1"]]
    return str(entry["time"])


async def test_a_rotation_in_the_same_second_reports_the_time_the_api_says(
    sim: Simulator, kubeconfig: Path
) -> None:
    """One exporter sees the create and the rotation; one started later lists the secret
    once: both must report the rotation time from managedFields, not when they saw it."""
    async with running_exporter(kubeconfig) as exporter:
        await until(lambda: exporter.state.synced, 10, "initial sync")
        for attempt in range(5):  # until both writes fall in one second
            name = f"pull-{attempt}"
            created = sim.create(pull_secret(name, "first"))
            rotated = sim.replace(pull_secret(name, "second"))
            if data_written(created) == data_written(rotated):
                break
        sim.create(pull_secret("marker", "x"))  # seen after both writes: the watch is ordered
        await until(
            lambda: exporter.state.secrets.get(("default", "marker")) is not None, 5, "seen"
        )
        series = await scrape(exporter.url)
    key = (LAST_ROTATED, (("namespace", "default"), ("secret", name)))
    assert series[key] == parse_rfc3339(data_written(rotated))
