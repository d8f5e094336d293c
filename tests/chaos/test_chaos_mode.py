"""Chaos mode: random faults at a rate, seeded, on API paths only, switchable at run time."""

from __future__ import annotations

import doctest
import importlib
import json
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from exporter.cli.main import main
from exporter.simulator import Simulator, Stall, TruncatedLine
from exporter.simulator.chaos import KINDS, Chaos
from tests.simulator.manifests import secret

TOKEN = "test-token"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(token=TOKEN, bookmark_interval=60.0, chaos_seed=3)
    simulator.chaos.stall_seconds = 0.5
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(base_url=sim.url, headers=headers) as session:
        yield session


def decisions(chaos: Chaos, count: int) -> list[str]:
    out = []
    for i in range(count):
        verb = ("list", "watch", "get", "update")[i % 4]
        fault = chaos.request_fault("pods", verb) if i % 3 else chaos.event_fault()
        out.append(repr(fault))
    return out


def test_a_seed_repeats_the_sequence_of_decisions() -> None:
    first, again, other = Chaos(0.3, seed=1), Chaos(0.3, seed=1), Chaos(0.3, seed=2)
    assert decisions(first, 300) == decisions(again, 300) != decisions(other, 300)
    assert first.injected == again.injected


def test_the_rate_is_the_share_of_requests_that_fail() -> None:
    chaos = Chaos(0.1, seed=5)
    faults = [chaos.request_fault("pods", "list") for _ in range(5000)]
    assert 400 < sum(f is not None for f in faults) < 600
    restarts = sum(chaos.restart_now() for _ in range(5000))
    assert 25 < restarts < 75  # rate / 10
    assert Chaos(0.0).request_fault("pods", "list") is None


def test_every_kind_of_fault_is_drawn() -> None:
    chaos = Chaos(1.0, seed=9)
    for i in range(600):
        chaos.request_fault("pods", ("list", "watch", "update")[i % 3])
        chaos.event_fault()
        chaos.restart_now()
    assert set(chaos.injected) == KINDS


def test_a_chaotic_stall_lasts_the_stall_seconds_given() -> None:
    chaos = Chaos(1.0, seed=9, stall_seconds=120.0)
    stalls = {f for f in (chaos.event_fault() for _ in range(200)) if isinstance(f, Stall)}
    assert stalls == {Stall(seconds=120.0)}
    with pytest.raises(ValueError, match="positive"):
        Chaos(0.1, stall_seconds=0.0)


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
def test_a_rate_outside_zero_to_one_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Chaos(rate)


async def test_control_and_discovery_paths_are_never_affected(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.set_chaos(1.0)
    for path in ("/version", "/api", "/api/v1", "/apis", "/healthz", "/simulator/v1/chaos"):
        for _ in range(20):
            async with http.get(path) as response:
                assert response.status == 200, path
                await response.read()
    failed = 0
    for _ in range(20):
        async with http.get("/api/v1/secrets") as response:
            try:
                failed += response.status != 200 or not (await response.json()).get("items")
            except (aiohttp.ClientPayloadError, ValueError):
                failed += 1
    assert failed == 20


async def test_chaos_is_switched_over_http(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post("/simulator/v1/chaos", json={"rate": 1, "seed": 4}) as response:
        assert response.status == 200
    async with http.get("/api/v1/namespaces") as response:
        assert sim.chaos.injected or response.status != 200
    async with http.post("/simulator/v1/chaos", json={"rate": 0}) as response:
        report = await response.json()
    assert report["rate"] == 0
    assert sum(report["injected"].values()) >= 1
    async with http.get("/api/v1/namespaces") as response:
        assert response.status == 200
        assert (await response.json())["items"]


@pytest.mark.parametrize(
    "body",
    [{"rate": 2}, {"rate": "often"}, {"rate": True}, {"seed": 1}, {"rate": 0.1, "seed": 0.5}],
)
async def test_bad_chaos_settings_are_a_400(
    sim: Simulator, http: aiohttp.ClientSession, body: dict[str, object]
) -> None:
    async with http.post("/simulator/v1/chaos", json=body) as response:
        assert response.status == 400
        assert "invalid chaos settings" in (await response.json())["message"]
    assert sim.chaos.rate == 0.0


async def test_a_watch_breaks_in_the_middle_of_its_events(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    """Each way chaos can break a stream ends it (or the connection) before the event."""
    endings: set[str] = set()
    for attempt in range(40):
        sim.set_chaos(0.0)
        params = {"watch": "1", "resourceVersion": str(sim.cluster.rv)}
        async with http.get("/api/v1/namespaces/default/secrets", params=params) as response:
            assert response.status == 200
            sim.set_chaos(1.0, seed=attempt)  # the next event draws a fault, for sure
            sim.create(secret(f"s{attempt}"))
            try:
                lines = [line async for line in response.content]
            except aiohttp.ClientPayloadError:
                endings.add("dropped")
                continue
        sim.set_chaos(0.0)
        decoded = []
        for line in lines:
            try:
                decoded.append(json.loads(line))
            except ValueError:
                endings.add("truncated")
        for event in decoded:
            assert event["type"] == "ERROR", event  # never the ADDED it broke
            endings.add(f"error {event['object']['code']}")
        if not lines:
            endings.add("stalled, then ended")
    assert endings == {"dropped", "truncated", "error 410", "error 500", "stalled, then ended"}


async def test_a_truncated_list_body_is_a_complete_answer_that_is_not_json(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.inject(TruncatedLine(resource="namespaces", verb="list"))
    async with http.get("/api/v1/namespaces") as response:
        assert response.status == 200
        body = await response.read()
    with pytest.raises(json.JSONDecodeError, match=r"Unterminated|Expecting"):
        json.loads(body)


async def test_a_chaotic_restart_expires_the_watch_cache(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("a"))
    old = {"watch": "1", "resourceVersion": str(sim.cluster.rv - 1)}
    seed = next(s for s in range(1000) if Chaos(1.0, seed=s).restart_now())
    sim.set_chaos(1.0, seed=seed)  # the first request restarts the server
    async with http.get("/api/v1/secrets", params=old) as response:
        await response.read()
    sim.set_chaos(0.0)
    assert sim.chaos.injected["restart"] == 1
    async with http.get("/api/v1/secrets", params=old) as response:
        [line] = [json.loads(line) async for line in response.content]
    assert (line["type"], line["object"]["code"]) == ("ERROR", 410)


def test_simulate_serves_the_chaos_stall_seconds_given(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    flags = ["--no-auth", "--scenario", "empty", "--kubeconfig-out", str(kubeconfig)]
    flags += ["--chaos-rate", "0.2", "--chaos-stall-seconds", "120"]
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter", "simulate", *flags],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        url = ready.split()[3]
        with urllib.request.urlopen(f"{url}/simulator/v1/chaos", timeout=10) as response:
            report = json.load(response)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (report["rate"], report["stall_seconds"]) == (0.2, 120.0)


def test_simulate_refuses_a_chaos_rate_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--chaos-rate", "1.5", "--kubeconfig-out", "/nonexistent/kc"])
    err = capsys.readouterr().err
    assert status == 2
    assert err == "imagepull-exporter simulate: --chaos-rate must be between 0 and 1, got 1.5\n"


@pytest.mark.parametrize("name", ["chaos", "workload"])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"exporter.simulator.{name}")
    assert doctest.testmod(module).failed == 0
