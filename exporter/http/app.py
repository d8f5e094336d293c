"""The aiohttp application: ``/metrics``, ``/healthz``, ``/readyz`` and a landing page."""

from __future__ import annotations

import gzip
import html
from collections.abc import Callable

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as TEXT
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS

from exporter.http.probes import add_probe_routes

GZIP_MIN_BYTES = 1024


Render = Callable[[bool], bytes]
"""Exposition bytes; the argument asks for OpenMetrics instead of the text format."""


def wants_openmetrics(accept: str) -> bool:
    """Content negotiation as Prometheus does it: OpenMetrics only when asked for first."""
    for media in accept.split(","):
        kind = media.split(";")[0].strip()
        if kind == "application/openmetrics-text":
            return True
        if kind in ("text/plain", "*/*"):
            return False
    return False


def build_app(
    render: Render,
    *,
    ready: Callable[[], bool],
    telemetry_path: str = "/metrics",
) -> web.Application:
    """An app serving ``render``; ``ready`` says whether every initial LIST completed."""

    async def metrics(request: web.Request) -> web.Response:
        openmetrics = wants_openmetrics(request.headers.get("Accept", ""))
        body = render(openmetrics)
        headers = {"Content-Type": OPENMETRICS if openmetrics else TEXT}
        if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)

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
    add_probe_routes(app, ready)
    if telemetry_path != "/":
        app.router.add_get("/", index)
    return app
