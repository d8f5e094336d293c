"""The reflector against the simulator: every edge case through the real wire protocol."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from exporter.kube.client import KubeClient
from exporter.kube.config import load_api_config
from exporter.kube.reflector import Reflector, ReflectorSettings, ReflectorStatus, WatchTarget
from exporter.simulator import Simulator
from exporter.simulator.faults import (
    DisconnectMidLine,
    ErrorEvent,
    ExpireContinue,
    Gone,
    Stall,
    StatusFault,
    TooManyRequests,
)
from exporter.state.records import ServiceAccountRecord
from exporter.state.reducers import key_by_name, reduce_service_account
from exporter.state.store import ObjectStore
from tests.conftest import eventually

FAST = ReflectorSettings(
    page_size=2,
    watch_timeout_seconds=30,
    inactivity_timeout=0.5,
    backoff_initial=0.01,
    backoff_max=0.05,
)


def service_account(name: str, namespace: str = "default", *secrets: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
        "imagePullSecrets": [{"name": s} for s in secrets],
    }


class Running:
    """A reflector over service accounts running in the background of a test."""

    def __init__(self, store: ObjectStore[ServiceAccountRecord], status: ReflectorStatus) -> None:
        self.store = store
        self.status = status

    def names(self) -> set[str]:
        return {record.name for record in self.store}

    def has(self, names: set[str]) -> Callable[[], bool]:
        return lambda: self.names() == names


@pytest.fixture
async def reflect(simulator: Simulator, kubeconfig: Path) -> AsyncIterator[Running]:
    for n in range(5):
        simulator.create(service_account(f"sa-{n}"))
    client = KubeClient(load_api_config(str(kubeconfig)))
    store = ObjectStore(reduce_service_account, key_by_name)
    status = ReflectorStatus()
    target = WatchTarget("serviceaccounts", "/api/v1/serviceaccounts")
    task = asyncio.create_task(Reflector(client, target, store.partition(), FAST, status).run())
    running = Running(store, status)
    try:
        await eventually(lambda: status.synced)
        yield running
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


INITIAL = {f"sa-{n}" for n in range(5)} | {"default"}  # the SA controller made "default"


async def test_paginated_list_then_watch_follows_changes(
    simulator: Simulator, reflect: Running
) -> None:
    assert reflect.names() == INITIAL
    assert reflect.status.up
    simulator.create(service_account("new"))
    simulator.replace(service_account("sa-0", "default", "pull"))
    simulator.delete("serviceaccounts", "default", "sa-1")
    await eventually(reflect.has(INITIAL - {"sa-1"} | {"new"}))

    def sa0_has_pull_secret() -> bool:
        record = reflect.store.get(("default", "sa-0"))
        return record is not None and record.image_pull_secrets == ("pull",)

    await eventually(sa0_has_pull_secret)
    assert not reflect.status.restarts


async def test_objects_deleted_while_disconnected_vanish_on_relist(
    simulator: Simulator, reflect: Running
) -> None:
    # A restart of the API server closes the watch and forgets history: the reflector's
    # resourceVersion is now too old, so it must relist, and the relist replaces the store.
    simulator.restart()
    simulator.delete("serviceaccounts", "default", "sa-2")
    simulator.compact()
    await eventually(reflect.has(INITIAL - {"sa-2"}))
    await eventually(lambda: reflect.status.restarts["gone"] >= 1)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Gone(resource="serviceaccounts", verb="watch"), "gone"),
        (ErrorEvent(resource="serviceaccounts", code=500), "server_error"),
        (DisconnectMidLine(resource="serviceaccounts", verb="watch", events=0), "disconnected"),
        (Stall(resource="serviceaccounts", seconds=5.0), "stalled"),
        (StatusFault(resource="serviceaccounts", verb="watch", code=503, times=2), "server_error"),
    ],
    ids=["gone", "error-event", "disconnect-mid-line", "stall", "503"],
)
async def test_watch_faults_recover_and_are_counted(
    simulator: Simulator, reflect: Running, fault: Any, reason: str
) -> None:
    simulator.inject(fault)
    simulator.restart()  # end the current watch so the next one meets the fault
    simulator.create(service_account("after-fault"))
    await eventually(reflect.has(INITIAL | {"after-fault"}))
    await eventually(lambda: reflect.status.restarts[reason] >= 1)
    await eventually(lambda: reflect.status.up)


async def test_retry_after_is_honoured_on_429(simulator: Simulator, reflect: Running) -> None:
    simulator.inject(TooManyRequests(resource="serviceaccounts", verb="watch", retry_after=1))
    simulator.restart()
    loop = asyncio.get_running_loop()
    started = loop.time()
    simulator.create(service_account("after-429"))
    await eventually(reflect.has(INITIAL | {"after-429"}))
    assert reflect.status.restarts["throttled"] == 1
    # The reflector waited at least Retry-After before it watched again.
    assert loop.time() - started >= 0.9


async def test_expired_continue_token_restarts_the_list(
    simulator: Simulator, reflect: Running
) -> None:
    simulator.inject(ExpireContinue(resource="serviceaccounts"))
    simulator.inject(Gone(resource="serviceaccounts", verb="watch"))
    simulator.restart()
    simulator.create(service_account("late"))
    await eventually(reflect.has(INITIAL | {"late"}))
    await eventually(lambda: reflect.status.restarts["gone"] >= 2)


async def test_bookmarks_keep_the_last_event_time_fresh(reflect: Running) -> None:
    first = reflect.status.last_event_time
    assert first is not None
    await eventually(lambda: (reflect.status.last_event_time or 0) > first)
    assert reflect.names() == INITIAL


async def test_wrong_token_is_reported_down(simulator: Simulator, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "bad"
    simulator.write_kubeconfig(kubeconfig)
    kubeconfig.write_text(kubeconfig.read_text().replace("test-token-not-secret", "wrong"))
    client = KubeClient(load_api_config(str(kubeconfig)))
    status = ReflectorStatus()
    store = ObjectStore(reduce_service_account, key_by_name)
    target = WatchTarget("serviceaccounts", "/api/v1/serviceaccounts")
    task = asyncio.create_task(Reflector(client, target, store.partition(), FAST, status).run())
    try:
        await eventually(lambda: status.restarts["unauthorized"] >= 2)
        assert not status.up
        assert not status.synced
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
