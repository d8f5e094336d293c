"""The exporter under chaos: it converges once the API behaves, counts no failure twice,
and keeps serving the last known state while the API is gone.

The long version is ``python -m bench.soak``; this one runs in CI in about half a minute.
Random chaos alone may miss a kind of fault in so short a run, and it rarely reaches a
watch that is held open for long, so the test also forces every kind it missed and a 410
on every open watch (the pull-secret ones included), then checks each was injected.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.soak import (
    CHAOS_SETTINGS,
    FAILURES,
    SeenFailures,
    cluster_series,
    converged,
    running_exporter,
    scrape,
    until,
    watch_up,
)
from exporter.kube.reflector import ReflectorSettings, ReflectorStatus
from exporter.service import Exporter
from exporter.simulator import (
    DisconnectMidLine,
    ErrorEvent,
    Fault,
    Gone,
    Simulator,
    Stall,
    StatusFault,
    TooManyRequests,
    TruncatedLine,
)
from exporter.simulator.chaos import KINDS, RESTART
from exporter.simulator.clock import parse_rfc3339
from exporter.simulator.workload import Workload

SEED = 20251125
CHAOS_RATE = 0.05
CHAOS_SECONDS = 14.0
MORE_CHAOS_SECONDS = 4.0
CONVERGE_SECONDS = 10.0
STALL_SECONDS = CHAOS_SETTINGS.inactivity_timeout + 1.0  # stall detection must end it
STREAM_FAULTS: dict[str, Fault] = {
    "gone": Gone(),
    "error_event_500": ErrorEvent(code=500, message="forced watch error"),
    "stall": Stall(seconds=STALL_SECONDS),
    "disconnect_mid_line": DisconnectMidLine(events=0),
    "truncated_line": TruncatedLine(events=0),
}
REQUEST_FAULTS: dict[str, Fault] = {
    "status_500": StatusFault(code=500, message="forced"),
    "status_503": StatusFault(code=503, message="forced"),
    "too_many_requests": TooManyRequests(retry_after=1),
}
SECRET_INFO = "imagepull_secret_info"
LAST_ROTATED = "imagepull_secret_last_rotated_timestamp_seconds"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(bookmark_interval=1.0, chaos_seed=SEED, chaos_stall_seconds=STALL_SECONDS)
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


async def all_watching(sim: Simulator, exporter: Exporter, resource: str) -> int:
    """Wait until every reflector of ``resource`` holds a watch open; how many there are."""
    wanted = Counter(r for r, _ in exporter.state.watches)[resource]
    table = sim.cluster.table(resource)
    await until(lambda: len(table.watches) == wanted, 15, f"{resource} watches open")
    return wanted


async def force_every_kind(sim: Simulator, exporter: Exporter) -> None:
    """A 410 on every open watch, then each kind of fault random chaos has not drawn."""
    for resource in sorted({r for r, _ in exporter.state.watches}):
        wanted = await all_watching(sim, exporter, resource)
        assert sim.break_watches(resource, Gone()) == wanted  # no await since the count
    for kind in sorted(KINDS - set(sim.injected())):
        if kind == RESTART:
            sim.restart()
        elif kind in REQUEST_FAULTS:  # the relist after a 410 meets it
            sim.inject(dataclasses.replace(REQUEST_FAULTS[kind], resource="pods", verb="list"))
            await all_watching(sim, exporter, "pods")
            sim.break_watches("pods", Gone())
            await until(lambda: not len(sim.faults), 15, f"{kind} taken")
        else:
            await all_watching(sim, exporter, "events")
            sim.break_watches("events", STREAM_FAULTS[kind])


async def test_metrics_converge_after_chaos(sim: Simulator, kubeconfig: Path) -> None:
    workload = Workload(sim, seed=SEED)
    workload.populate()
    async with running_exporter(kubeconfig) as exporter:
        await until(lambda: exporter.state.synced, 10, "initial sync")
        async with SeenFailures(exporter.url, workload).observing():
            churn = asyncio.create_task(workload.run(CHAOS_SECONDS + MORE_CHAOS_SECONDS + 5))
            sim.set_chaos(CHAOS_RATE)
            await asyncio.sleep(CHAOS_SECONDS)  # the workload churns meanwhile
            sim.set_chaos(0.0)  # forced faults land where they are aimed
            await force_every_kind(sim, exporter)
            sim.set_chaos(CHAOS_RATE)
            await asyncio.sleep(MORE_CHAOS_SECONDS)
            sim.set_chaos(0.0)
            await churn
        async with running_exporter(kubeconfig) as fresh:
            took, diff = await converged(exporter.url, fresh.url, workload, within=CONVERGE_SECONDS)
        assert took is not None, "\n".join(diff)
        series = await scrape(exporter.url)
    assert set(sim.injected()) >= KINDS, sim.injected()
    assert sum(sim.chaos.injected.values()) > 10, sim.chaos.injected  # random ones too
    restarts = [(resource, status.restarts) for resource, status in exporter.state.watches]
    assert all(r["gone"] >= 1 for _, r in restarts), restarts  # every reflector relisted
    assert sum(r["stalled"] for _, r in restarts) >= 1, restarts  # a stall was detected
    assert workload.done["delete_grown_event"] >= 5, workload.done
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
