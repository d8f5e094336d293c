"""``/simulator/v1/...``: fault injection and cluster control over HTTP.

- ``POST /simulator/v1/faults``: a fault as JSON (or a list of them), see
  :mod:`exporter.simulator.faults`; ``DELETE`` clears pending faults.
- ``POST /simulator/v1/compact``, ``POST /simulator/v1/restart``.
- ``POST /simulator/v1/chaos`` ``{"rate": 0.05, "seed": 1}`` (seed optional; rate 0 turns
  chaos off); ``GET`` answers the rate, the stall length and the faults injected so far
  by type: ``injected`` (chaos draws) and ``fired`` (one-shot faults, broken watches,
  restarts).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from exporter.simulator.errors import bad_request
from exporter.simulator.faults import fault_from_json

if TYPE_CHECKING:
    from exporter.simulator.server import Simulator


def add_routes(app: web.Application, sim: Simulator) -> None:
    """Mount the control endpoints for ``sim`` on ``app``."""

    async def faults(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            sim.faults.clear()
            return web.json_response({"pending": 0})
        try:
            data = json.loads(await request.read())
            items = data if isinstance(data, list) else [data]
            parsed = [fault_from_json(item) for item in items]
        except (ValueError, TypeError, AttributeError) as error:
            raise bad_request(f"invalid fault: {error}") from None
        for fault in parsed:
            sim.inject(fault)
        return web.json_response({"pending": len(sim.faults)}, status=201)

    async def compact(_: web.Request) -> web.Response:
        sim.compact()
        return web.json_response({"resourceVersion": str(sim.cluster.rv)})

    async def restart(_: web.Request) -> web.Response:
        sim.restart()
        return web.json_response({"resourceVersion": str(sim.cluster.rv)})

    async def chaos(request: web.Request) -> web.Response:
        if request.method == "POST":
            try:
                data = json.loads(await request.read())
                seed = data.get("seed")
                if isinstance(data.get("rate"), bool) or not isinstance(seed, int | None):
                    raise TypeError("rate must be a number and seed an integer")
                sim.set_chaos(float(data["rate"]), seed)
            except (ValueError, TypeError, AttributeError, KeyError) as error:
                raise bad_request(f"invalid chaos settings: {error}") from None
        return web.json_response(
            {
                "rate": sim.chaos.rate,
                "stall_seconds": sim.chaos.stall_seconds,
                "injected": dict(sorted(sim.chaos.injected.items())),
                "fired": dict(sorted(sim.faults.fired.items())),
            }
        )

    app.router.add_post("/simulator/v1/faults", faults)
    app.router.add_delete("/simulator/v1/faults", faults)
    app.router.add_post("/simulator/v1/compact", compact)
    app.router.add_post("/simulator/v1/restart", restart)
    app.router.add_post("/simulator/v1/chaos", chaos)
    app.router.add_get("/simulator/v1/chaos", chaos)
