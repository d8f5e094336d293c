"""The simulator of a benchmark run, in its own process so its CPU and memory are not
the exporter's.

    python bench/simserver.py --pods 10000 --secrets 1000 --kubeconfig /tmp/k --burst 10000

Generates the cluster (:mod:`bench.cluster`), applies it, forgets the watch history of
the load, serves plain HTTP without a token, writes the kubeconfig, then prints one line
``ready {json}`` (URL, object counts, load times, RSS). Bench-only routes:

- ``POST /bench/burst?n=N``: N pod status updates (container ``c0`` of N pods toggles
  between running and ImagePullBackOff), as the kubelet writes them; answers
  ``{"before": rv, "after": rv, "events": N, "seconds": s}``.
- ``GET /bench/stats``: object counts, open watches, watch lines queued and bytes not yet
  taken by the kernel (both 0: every event has left), resourceVersion, RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from bench.cluster import AUTH_401, generate
from exporter.simulator import Simulator
from exporter.simulator.store import clone

JSONObject = dict[str, Any]
APPLY_BATCH = 1000
KUBELET = "kubelet"


class BenchSimulator(Simulator):
    """The simulator plus the ``/bench/...`` routes, and the transports of open watches
    (so ``/bench/stats`` can tell when every event has left this process)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.watch_transports: set[asyncio.BaseTransport] = set()

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if request.query.get("watch") not in ("1", "true") or transport is None:
            return await super()._handle_api(request)
        self.watch_transports.add(transport)
        try:
            return await super()._handle_api(request)
        finally:
            self.watch_transports.discard(transport)

    def unsent_bytes(self) -> int:
        """Bytes written to watch streams that the kernel has not taken yet."""
        return sum(
            t.get_write_buffer_size()
            for t in self.watch_transports
            if isinstance(t, asyncio.WriteTransport) and not t.is_closing()
        )

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.router.add_post("/bench/burst", self._burst)
        app.router.add_get("/bench/stats", self._stats)
        return app

    async def _burst(self, request: web.Request) -> web.Response:
        count = int(request.query.get("n", "1000"))
        before = self.cluster.rv
        started = time.perf_counter()
        written = burst(self, count)
        return web.json_response(
            {
                "before": str(before),
                "after": str(self.cluster.rv),
                "events": written,
                "seconds": time.perf_counter() - started,
            }
        )

    async def _stats(self, _: web.Request) -> web.Response:
        return web.json_response(stats(self))


def toggled_status(pod: JSONObject) -> JSONObject:
    """The pod's status with container ``c0`` flipped between running and pulling failed."""
    status: JSONObject = clone(pod.get("status") or {})
    containers = status.get("containerStatuses") or []
    if not containers:
        return status
    first = containers[0]
    image = first.get("image", "")
    if "running" in first.get("state", {}):
        registry = image.split("/")[0]
        message = AUTH_401.format(image=image, registry=registry)
        first["state"] = {"waiting": {"reason": "ImagePullBackOff", "message": message}}
        first.update(ready=False, started=False, imageID="")
        first.pop("containerID", None)
        status["phase"] = "Pending"
    else:
        first["state"] = {"running": {"startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ")}}
        first.update(ready=True, started=True, imageID=f"{image.split(':')[0]}@sha256:{'a' * 64}")
        status["phase"] = "Running"
    return status


def burst(sim: Simulator, count: int) -> int:
    """Write ``count`` pod status updates (spread over the pods); returns how many."""
    table = sim.cluster.tables["pods"]
    keys = table.keys
    if not keys:
        return 0
    step = max(1, len(keys) // count)
    written = 0
    for index in range(count):
        namespace, name = keys[(index * step) % len(keys)]
        pod = table.objects[(namespace, name)]
        body = {"metadata": {"name": name, "namespace": namespace}, "status": toggled_status(pod)}
        sim.cluster.replace("pods", namespace, name, body, manager=KUBELET, subresource="status")
        written += 1
    return written


def stats(sim: BenchSimulator) -> JSONObject:
    """Object counts, open watches with the lines and bytes not yet sent to them,
    resourceVersion, RSS."""
    tables = sim.cluster.tables
    return {
        "objects": {plural: len(t.objects) for plural, t in tables.items()},
        "watches": {plural: len(t.watches) for plural, t in tables.items()},
        "queued_lines": sum(w.queue.qsize() for t in tables.values() for w in t.watches),
        "unsent_bytes": sim.unsent_bytes(),
        "resourceVersion": str(sim.cluster.rv),
        **memory(),
    }


def memory() -> dict[str, int]:
    fields: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) * 1024
    return {"rss_bytes": fields["VmRSS"], "peak_rss_bytes": fields["VmHWM"]}


def load(sim: Simulator, pods: int, secrets: int, failing: float) -> dict[str, float]:
    """Generate and apply the cluster in batches; returns the seconds spent on each."""
    generating = applying = 0.0
    objects = generate(pods, secrets, failing)
    gc.disable()  # hundreds of thousands of long-lived dicts: collections would only rescan
    try:
        while True:
            started = time.perf_counter()
            batch = [obj for _, obj in zip(range(APPLY_BATCH), objects, strict=False)]
            generated = time.perf_counter()
            generating += generated - started
            if not batch:
                break
            sim.apply_objects(batch)
            applying += time.perf_counter() - generated
    finally:
        gc.enable()
    gc.freeze()  # the loaded cluster is permanent: keep it out of every later collection
    sim.compact()  # the load is not history a watch should replay
    return {"generate_seconds": generating, "apply_seconds": applying}


async def serve(args: argparse.Namespace) -> None:
    sim = BenchSimulator(history_limit=max(10_000, args.burst + 1_000))
    timings = load(sim, args.pods, args.secrets, args.failing_fraction)
    url = await sim.start("127.0.0.1", args.port)
    sim.write_kubeconfig(args.kubeconfig)
    print("ready " + json.dumps({"url": url, **timings, **stats(sim)}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--secrets", type=int, required=True)
    parser.add_argument("--failing-fraction", type=float, default=0.05)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--burst", type=int, default=0, help="largest burst to replay")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
