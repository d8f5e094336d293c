"""The aiohttp application: ``/metrics``, ``/healthz``, ``/readyz`` and a landing page."""

from __future__ import annotations

import gzip
import html
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

GZIP_MIN_BYTES = 1024


def build_app(
    registry: CollectorRegistry,
    *,
    ready: Callable[[], bool],
    telemetry_path: str = "/metrics",
) -> web.Application:
    """An app serving ``registry``; ``ready`` says whether every initial LIST completed."""

    async def metrics(request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        body = encoder(registry)
        headers = {"Content-Type": content_type}
        if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)

    async def healthz(_: web.Request) -> web.Response:
        # Answering at all proves the event loop is alive.
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        if ready():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="initial list not complete\n")

    async def index(_: web.Request) -> web.Response:
        path = html.escape(telemetry_path)
        page = (
            "<!doctype html><html><head><title>imagepull-exporter</title></head><body>"
            "<h1>imagepull-exporter</h1><ul>"
            f'<li><a href="{path}">{path}</a></li>'
            '<li><a href="/healthz">/healthz</a></li>'
            '<li><a href="/readyz">/readyz</a></li>'
            "</ul></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get(telemetry_path, metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if telemetry_path != "/":
        app.router.add_get("/", index)
    return app
