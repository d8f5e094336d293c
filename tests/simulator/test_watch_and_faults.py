"""Watch semantics and every injected fault, seen from a plain aiohttp client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from exporter.simulator import (
    DisconnectMidLine,
    ErrorEvent,
    ExpireContinue,
    Gone,
    Simulator,
    Stall,
    StatusFault,
    TooManyRequests,
)
from exporter.simulator.faults import fault_name
from tests.conftest import eventually
from tests.simulator.manifests import pod, secret

JSON = dict[str, Any]


async def events(response: aiohttp.ClientResponse) -> AsyncIterator[JSON]:
    """Decoded watch events, one per line."""
    async for line in response.content:
        yield json.loads(line)


async def take(response: aiohttp.ClientResponse, count: int, within: float = 5.0) -> list[JSON]:
    """The next ``count`` events, failing if they do not arrive in time."""
    out: list[JSON] = []
    async with asyncio.timeout(within):
        async for event in events(response):
            out.append(event)
            if len(out) == count:
                break
    return out


async def test_watch_from_zero_sends_current_objects_then_changes(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("a"))
    async with http.get(
        "/api/v1/secrets", params={"watch": "1", "resourceVersion": "0"}
    ) as response:
        [added] = await take(response, 1)
        assert (added["type"], added["object"]["metadata"]["name"]) == ("ADDED", "a")
        assert added["object"]["kind"] == "Secret"
        sim.replace(secret("a", data={"k": "dg=="}))
        sim.delete("secrets", "default", "a")
        changes = await take(response, 2)
    assert [e["type"] for e in changes] == ["MODIFIED", "DELETED"]
    assert int(changes[1]["object"]["metadata"]["resourceVersion"]) > int(
        changes[0]["object"]["metadata"]["resourceVersion"]
    )


async def test_watch_from_a_version_replays_later_changes_only(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    first = sim.create(secret("a"))
    sim.create(secret("b"))
    params = {"watch": "true", "resourceVersion": first["metadata"]["resourceVersion"]}
    async with http.get("/api/v1/namespaces/default/secrets", params=params) as response:
        [event] = await take(response, 1)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "b")


async def test_bookmarks_and_timeout_end_the_stream_cleanly(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("a"))
    params = {
        "watch": "1",
        "resourceVersion": str(sim.cluster.rv),
        "allowWatchBookmarks": "true",
        "timeoutSeconds": "1",
    }
    async with http.get("/api/v1/secrets", params=params) as response:
        received = [e async for e in events(response)]  # ends by itself after 1 s
    assert received
    assert {e["type"] for e in received} == {"BOOKMARK"}
    bookmark = received[0]["object"]
    assert bookmark == {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(sim.cluster.rv)},
    }


async def test_too_old_resource_version_is_an_error_event(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("a"))
    old = str(sim.cluster.rv - 1)
    sim.create(secret("b"))
    sim.compact()
    async with http.get(
        "/api/v1/secrets", params={"watch": "1", "resourceVersion": old}
    ) as response:
        assert response.status == 200
        received = [e async for e in events(response)]
    assert received[0]["type"] == "ERROR"
    status = received[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old} (")


async def test_object_leaving_the_selector_is_sent_as_deleted(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(pod("web", labels={"app": "web"}))
    params = {"watch": "1", "labelSelector": "app=web"}
    async with http.get("/api/v1/pods", params=params) as response:
        await take(response, 1)
        sim.replace(pod("web", labels={"app": "other"}))
        [event] = await take(response, 1)
    assert event["type"] == "DELETED"
    # as the cacher sends it: the object as it last matched, at the change's version
    assert event["object"]["metadata"]["labels"] == {"app": "web"}
    current = sim.get("pods", "default", "web")["metadata"]
    assert event["object"]["metadata"]["resourceVersion"] == current["resourceVersion"]


async def test_restart_closes_open_watches_and_expires_history(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("a"))
    before = str(sim.cluster.rv - 1)
    async with http.get("/api/v1/secrets", params={"watch": "1"}) as response:
        await take(response, 1)
        async with (
            aiohttp.ClientSession(headers=http.headers) as control,
            control.post(f"{sim.url}/simulator/v1/restart") as answer,
        ):
            assert answer.status == 200
        async with asyncio.timeout(5):
            assert [e async for e in events(response)] == []
    async with http.get(
        "/api/v1/secrets", params={"watch": "1", "resourceVersion": before}
    ) as response:
        [event] = await take(response, 1)
    assert event["object"]["code"] == 410


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [
        (StatusFault(resource="pods", verb="list", code=503), 503, "ServiceUnavailable"),
        (TooManyRequests(resource="*", verb="list", retry_after=7), 429, "TooManyRequests"),
        (Gone(resource="pods", verb="list"), 410, "Expired"),
    ],
)
async def test_list_faults_answer_once_with_a_status(
    sim: Simulator, http: aiohttp.ClientSession, fault: Any, status: int, reason: str
) -> None:
    sim.inject(fault)
    async with http.get("/api/v1/pods") as response:
        assert (response.status, (await response.json())["reason"]) == (status, reason)
        if status == 429:
            assert response.headers["Retry-After"] == "7"
    async with http.get("/api/v1/pods") as response:
        assert response.status == 200


async def test_faults_respect_times_resource_and_verb(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.inject(StatusFault(resource="secrets", verb="list", code=500, times=2))
    async with http.get("/api/v1/pods") as response:
        assert response.status == 200
    for expected in (500, 500, 200):
        async with http.get("/api/v1/secrets") as response:
            assert response.status == expected


async def test_faults_over_http(sim: Simulator, http: aiohttp.ClientSession) -> None:
    fault = {"type": "status", "resource": "pods", "verb": "get", "code": 500}
    async with http.post("/simulator/v1/faults", json=fault) as response:
        assert response.status == 201
    async with http.post("/simulator/v1/faults", json={"type": "nonsense"}) as response:
        assert response.status == 400
    sim.create(pod("web"))
    async with http.get("/api/v1/namespaces/default/pods/web") as response:
        assert response.status == 500


async def test_expire_continue_hits_only_a_continued_list(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.apply_objects([secret("a"), secret("b")])
    sim.inject(ExpireContinue())
    async with http.get("/api/v1/secrets", params={"limit": "1"}) as response:
        token = (await response.json())["metadata"]["continue"]
    async with http.get("/api/v1/secrets", params={"limit": "1", "continue": token}) as response:
        assert (response.status, (await response.json())["reason"]) == (410, "Expired")


@pytest.mark.parametrize(
    ("fault", "code"), [(Gone(verb="watch"), 410), (ErrorEvent(code=500), 500)]
)
async def test_watch_error_faults_send_one_error_event_and_close(
    sim: Simulator, http: aiohttp.ClientSession, fault: Any, code: int
) -> None:
    sim.inject(fault)
    async with http.get("/api/v1/pods", params={"watch": "1"}) as response:
        received = [e async for e in events(response)]
    assert [(e["type"], e["object"]["code"]) for e in received] == [("ERROR", code)]


async def test_disconnect_mid_line_on_watch(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.apply_objects([secret("a"), secret("b"), secret("c")])
    sim.inject(DisconnectMidLine(resource="secrets", verb="watch", events=2))
    lines: list[bytes] = []

    async def read_all() -> None:
        async with http.get("/api/v1/secrets", params={"watch": "1"}) as response:
            async for line in response.content:
                lines.append(line)

    with pytest.raises(aiohttp.ClientPayloadError):
        await read_all()
    assert [json.loads(line)["object"]["metadata"]["name"] for line in lines[:2]] == ["a", "b"]
    assert lines[2:] == [] or not lines[2].endswith(b"\n")


async def test_disconnect_mid_body_on_list(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.create(secret("a"))
    sim.inject(DisconnectMidLine(verb="list"))
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.get("/api/v1/secrets") as response:
            await response.read()


async def test_stall_sends_headers_then_nothing(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("a"))
    sim.inject(Stall(seconds=30))
    async with http.get("/api/v1/secrets", params={"watch": "1"}) as response:
        assert response.status == 200
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await response.content.readline()


TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@pytest.fixture
def short_cache_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The watch cache's 3 s wait for a future version, shortened."""
    monkeypatch.setattr("exporter.simulator.routes.CACHE_WAIT_SECONDS", 0.1)


async def test_a_table_watch_sends_each_object_as_a_table_row(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    """kubectl get --watch asks for Tables; the apiserver's watch encoder sends column
    definitions with the first object only."""
    sim.create(secret("a", stringData={"k": "v"}))
    params = {"watch": "1", "resourceVersion": str(sim.cluster.rv - 1)}
    headers = {"Accept": TABLE}
    async with http.get("/api/v1/namespaces/default/secrets", params=params, headers=headers) as r:
        [first] = await take(r, 1)
        sim.delete("secrets", "default", "a")
        [second] = await take(r, 1)
    assert first["type"] == "ADDED"
    assert first["object"]["kind"] == "Table"
    names = [c["name"] for c in first["object"]["columnDefinitions"]]
    assert names == ["Name", "Type", "Data", "Age"]
    assert first["object"]["rows"][0]["cells"][:3] == ["a", "Opaque", 1]
    assert first["object"]["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert second["type"] == "DELETED"
    assert second["object"]["columnDefinitions"] is None
    assert second["object"]["rows"][0]["cells"][0] == "a"


async def test_a_table_watch_from_now_with_include_object(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    params = {"watch": "1", "resourceVersion": str(sim.cluster.rv), "includeObject": "Object"}
    async with http.get("/api/v1/pods", params=params, headers={"Accept": TABLE}) as response:
        sim.create(pod("web"))
        [event] = await take(response, 1)
    row = event["object"]["rows"][0]
    assert row["cells"][:3] == ["web", "0/1", "Pending"]
    assert row["object"]["spec"]["containers"][0]["image"] == "nginx:1.27"


async def test_a_watch_from_the_future_waits_for_the_cluster_to_get_there(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    """The watch cache neither errors nor sends older changes: it waits (until the watch
    times out) and then sends the changes after the requested version."""
    future = sim.cluster.rv + 2
    params = {"watch": "1", "resourceVersion": str(future), "allowWatchBookmarks": "true"}
    async with http.get("/api/v1/secrets", params=params) as response:
        assert response.status == 200
        for name in ("a", "b", "c", "d"):
            sim.create(secret(name))
        received = await take(response, 2)
    assert [e["object"]["metadata"]["name"] for e in received] == ["c", "d"]
    assert [int(e["object"]["metadata"]["resourceVersion"]) for e in received] == [
        future + 1,
        future + 2,
    ]


async def test_a_future_watch_sends_no_bookmark_behind_its_version(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    params = {
        "watch": "1",
        "resourceVersion": str(sim.cluster.rv + 100),
        "allowWatchBookmarks": "true",
        "timeoutSeconds": "1",
    }
    async with http.get("/api/v1/secrets", params=params) as response:
        assert [e async for e in events(response)] == []  # bookmark interval is 0.2 s


@pytest.mark.parametrize(
    ("path", "params", "retry"),
    [
        ("/api/v1/secrets", {}, 1),  # served by the watch cache: waits, then retry in 1 s
        ("/api/v1/namespaces/default/secrets/a", {}, 1),
        ("/api/v1/secrets", {"limit": "5"}, 0),  # paginated: etcd, no wait, no retry hint
    ],
)
@pytest.mark.usefixtures("short_cache_wait")
async def test_get_or_list_at_a_future_version_is_504_too_large(
    sim: Simulator, http: aiohttp.ClientSession, path: str, params: dict[str, str], retry: int
) -> None:
    sim.create(secret("a"))
    current = sim.cluster.rv
    query = {**params, "resourceVersion": str(current + 5)}
    async with http.get(path, params=query) as response:
        status = await response.json()
        assert response.status == 504
        assert response.headers.get("Retry-After") == (str(retry) if retry else None)
    assert status["reason"] == "Timeout"
    assert status["message"] == (
        f"Timeout: Too large resource version: {current + 5}, current: {current}"
    )
    assert status["details"]["causes"] == [
        {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
    ]
    assert status["details"].get("retryAfterSeconds", 0) == retry


async def test_a_get_at_a_version_reached_while_waiting_succeeds(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("a"))
    params = {"resourceVersion": str(sim.cluster.rv + 1)}
    request = asyncio.create_task(http.get("/api/v1/namespaces/default/secrets/a", params=params))
    await eventually(lambda: sim.cluster.waiting > 0)  # the request waits for the version
    sim.create(secret("b"))
    async with await request as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("fault", "ending"),
    [
        (Gone(), "error 410"),
        (ErrorEvent(code=500), "error 500"),
        (DisconnectMidLine(events=0), "dropped"),
    ],
)
async def test_break_watches_reaches_every_open_watch_of_a_resource(
    sim: Simulator, http: aiohttp.ClientSession, fault: Any, ending: str
) -> None:
    async def watch(path: str) -> str:
        params = {"watch": "1", "resourceVersion": str(sim.cluster.rv)}
        try:
            async with http.get(path, params=params) as response:
                received = [e async for e in events(response)]
        except aiohttp.ClientPayloadError:
            return "dropped"
        return " ".join(f"{e['type'].lower()} {e['object'].get('code')}" for e in received)

    paths = ["/api/v1/secrets", "/api/v1/namespaces/default/secrets", "/api/v1/pods"]
    watches = [asyncio.create_task(watch(p)) for p in paths]
    await eventually(
        lambda: (
            len(sim.cluster.table("secrets").watches) == 2
            and len(sim.cluster.table("pods").watches) == 1
        )
    )
    assert sim.break_watches("secrets", fault) == 2
    assert await asyncio.gather(*watches[:2]) == [ending, ending]
    assert not watches[2].done()  # pods were not broken
    sim.cluster.table("pods").close_watches()
    await watches[2]
    assert sim.injected()[fault_name(fault)] == 1


async def test_turning_chaos_off_ends_the_stalls_it_started(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.inject(Stall(resource="secrets", verb="watch", seconds=300))
    async with http.get("/api/v1/secrets", params={"watch": "1"}) as response:
        await eventually(lambda: any(w.stalled for w in sim.cluster.table("secrets").watches))
        sim.set_chaos(0.0)
        assert await response.read() == b""  # the stream ended cleanly, long before 300 s


async def test_one_shot_faults_and_restarts_are_counted(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.inject(StatusFault(resource="pods", verb="list", code=503))
    sim.inject(TooManyRequests(resource="pods", verb="list"))
    for _ in range(3):
        async with http.get("/api/v1/pods") as response:
            await response.read()
    sim.restart()
    assert sim.injected() == {"status_503": 1, "too_many_requests": 1, "restart": 1}
