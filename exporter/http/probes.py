"""A second, plain listener for the kubelet's probes (``--web.probe-address``).

With TLS client certificates or basic auth on the metrics port, the kubelet cannot pass
its probes there: it sends no client certificate and would need the password in the pod
spec. This app serves only ``/healthz`` and ``/readyz``, which say nothing about the
cluster, on a port the chart exposes to the kubelet alone; ``/metrics`` stays protected.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web


def add_probe_routes(app: web.Application, ready: Callable[[], bool]) -> None:
    """``/healthz`` (the event loop answers) and ``/readyz`` (``ready()``: initial lists done)."""

    async def healthz(_: web.Request) -> web.Response:
        # Answering at all proves the event loop is alive.
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        if ready():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="initial list not complete\n")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


def build_probe_app(ready: Callable[[], bool]) -> web.Application:
    """An app serving only the probes, for ``--web.probe-address``."""
    app = web.Application()
    add_probe_routes(app, ready)
    return app
