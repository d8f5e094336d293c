"""The reflector against the simulator: every edge case through the real wire protocol."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from exporter.kube.client import KubeClient
from exporter.kube.config import load_api_config
from exporter.kube.reflector import (
    Reflector,
    ReflectorSettings,
    ReflectorStatus,
    Sink,
    WatchTarget,
    backoff_delay,
)
from exporter.kube.types import ServiceAccount
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
from exporter.state.store import ObjectStore, StorePartition
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


@contextlib.asynccontextmanager
async def reflecting(
    kubeconfig: Path,
    sink: Sink,
    status: ReflectorStatus,
    settings: ReflectorSettings = FAST,
) -> AsyncIterator[asyncio.Task[None]]:
    """A reflector over service accounts into ``sink``, running until the block ends."""
    client = KubeClient(load_api_config(str(kubeconfig)))
    target = WatchTarget("serviceaccounts", "/api/v1/serviceaccounts")
    task = asyncio.create_task(Reflector(client, target, sink, settings, status).run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


@pytest.fixture
async def reflect(simulator: Simulator, kubeconfig: Path) -> AsyncIterator[Running]:
    for n in range(5):
        simulator.create(service_account(f"sa-{n}"))
    store = ObjectStore(reduce_service_account, key_by_name, ServiceAccount)
    status = ReflectorStatus()
    async with reflecting(kubeconfig, store.partition(), status):
        await eventually(lambda: status.synced)
        yield Running(store, status)


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
    store = ObjectStore(reduce_service_account, key_by_name, ServiceAccount)
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


@pytest.mark.parametrize(
    ("failures", "draw", "expected"),
    [(0, 0.0, 0.8), (1, 0.0, 1.6), (3, 0.0, 6.4), (5, 0.0, 25.6), (6, 0.0, 30.0),
     (10_000, 0.0, 30.0), (0, 0.5, 1.0), (6, 0.999, 30.0 * 1.4995)],
    ids=["first", "doubles", "grows", "below-cap", "capped", "a-day-of-failures",
         "jitter", "jitter-at-cap"],
)  # fmt: skip
def test_backoff_grows_is_capped_and_jittered(failures: int, draw: float, expected: float) -> None:
    assert backoff_delay(ReflectorSettings(), failures, draw) == pytest.approx(expected)


class RaisingOnce(StorePartition[ServiceAccountRecord]):
    """A sink whose first LIST raises what no error class foresaw (outside any one
    object: those are left out and counted, see the test below)."""

    def __init__(self) -> None:
        self.store = ObjectStore(reduce_service_account, key_by_name, ServiceAccount)
        super().__init__(self.store)
        self.raised = False

    def begin_relist(self, *, initial: bool) -> None:
        if not self.raised:
            self.raised = True
            raise ValueError("Forbidden control character detected in headers")
        super().begin_relist(initial=initial)


async def test_an_unexpected_exception_is_counted_and_retried(
    simulator: Simulator, kubeconfig: Path, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.create(service_account("sa-0"))
    store, status = RaisingOnce(), ReflectorStatus()
    async with reflecting(kubeconfig, store, status) as task:
        await eventually(lambda: status.synced)
        assert status.restarts["error"] == 1
        assert {r.name for r in store.store} == {"sa-0", "default"}
        assert not task.done()
        (line,) = [r.getMessage() for r in caplog.records if "unexpectedly" in r.getMessage()]
        assert "ValueError" in line
        assert "control character" not in line  # messages may quote header values


class CountingLists(StorePartition[ServiceAccountRecord]):
    def __init__(self) -> None:
        super().__init__(ObjectStore(reduce_service_account, key_by_name, ServiceAccount))
        self.lists = 0

    def begin_relist(self, *, initial: bool) -> None:
        self.lists += 1
        super().begin_relist(initial=initial)


async def test_repeated_410_relists_with_back_off(simulator: Simulator, kubeconfig: Path) -> None:
    # An API server whose watch cache lags answers every watch with 410: without back-off
    # that is hundreds of full LISTs a second. Back-off from 0.2 s doubling: a handful.
    simulator.inject(Gone(resource="serviceaccounts", verb="watch", times=10_000))
    store, status = CountingLists(), ReflectorStatus()
    paced = ReflectorSettings(page_size=2, inactivity_timeout=5, backoff_initial=0.2)
    async with reflecting(kubeconfig, store, status, paced):
        await eventually(lambda: status.restarts["gone"] >= 3)
        await asyncio.sleep(1.0)
        assert store.lists <= 6


async def test_expired_continue_tokens_after_a_healthy_watch_are_paced(
    simulator: Simulator, kubeconfig: Path
) -> None:
    # A watch that delivered events, then a 410 and a relist whose continue token keeps
    # expiring: the events came before this LIST, so they must not skip the back-off.
    for n in range(6):
        simulator.create(service_account(f"paced-{n}"))
    store, status = CountingLists(), ReflectorStatus()
    paced = ReflectorSettings(page_size=2, inactivity_timeout=5, backoff_initial=0.2)
    async with reflecting(kubeconfig, store, status, paced):
        await eventually(lambda: status.synced)
        simulator.create(service_account("paced-event"))  # a watch event: progress
        await eventually(lambda: store._store.get(("default", "paced-event")) is not None)
        simulator.inject(ExpireContinue(resource="serviceaccounts", times=10_000))
        assert simulator.break_watches("serviceaccounts", Gone()) == 1
        await eventually(lambda: status.restarts["gone"] >= 3)
        lists = store.lists
        await asyncio.sleep(1.0)
        assert store.lists - lists <= 4


class Poisoned(StorePartition[ServiceAccountRecord]):
    """A sink that cannot take one object (a reducer bug, say)."""

    def __init__(self) -> None:
        super().__init__(ObjectStore(reduce_service_account, key_by_name, ServiceAccount))

    def upsert(self, obj: Any) -> None:  # a decoded ServiceAccount
        if obj.metadata.name == "poison":
            raise KeyError("a bug")
        super().upsert(obj)


async def test_an_object_the_sink_cannot_take_is_left_out_and_counted(
    simulator: Simulator, kubeconfig: Path
) -> None:
    for name in ("a", "poison", "b"):
        simulator.create(service_account(name))
    store, status = Poisoned(), ReflectorStatus()
    async with reflecting(kubeconfig, store, status):
        await eventually(lambda: status.synced)  # the LIST completes despite it
        assert status.skipped == 1
        simulator.replace(service_account("poison", "default", "s"))  # the watch goes on
        simulator.create(service_account("c"))
        await eventually(lambda: store._store.get(("default", "c")) is not None)
        assert status.skipped == 2
        assert status.restarts["error"] == 0


class RecordingSimulator(Simulator):
    """The simulator, remembering the query of every API request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queries: list[dict[str, str]] = []

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        self.queries.append(dict(request.query))
        return await super()._handle_api(request)


async def test_lists_are_paginated_and_watches_bounded(tmp_path: Path) -> None:
    sim = RecordingSimulator(token="test-token-not-secret", bookmark_interval=0.2)
    sim.load_scenario("empty")
    await sim.start()
    for n in range(5):
        sim.create(service_account(f"sa-{n}"))
    sim.write_kubeconfig(tmp_path / "kubeconfig")
    client = KubeClient(load_api_config(str(tmp_path / "kubeconfig")))
    status = ReflectorStatus()
    target = WatchTarget("serviceaccounts", "/api/v1/serviceaccounts")
    store = ObjectStore(reduce_service_account, key_by_name, ServiceAccount)
    task = asyncio.create_task(Reflector(client, target, store.partition(), FAST, status).run())
    try:
        await eventually(lambda: any(q.get("watch") == "true" for q in sim.queries))
        lists = [q for q in sim.queries if "watch" not in q]
        (watch,) = [q for q in sim.queries if q.get("watch") == "true"]
        assert len(lists) == 3  # 6 objects, pages of 2
        assert all(q["limit"] == "2" for q in lists)
        assert [bool(q.get("continue")) for q in lists] == [False, True, True]
        assert watch["allowWatchBookmarks"] == "true"
        assert 30 <= int(watch["timeoutSeconds"]) <= 60
        assert watch["resourceVersion"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
        await sim.stop()
