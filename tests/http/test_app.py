"""The HTTP endpoints: metrics negotiation and gzip, probes, landing page."""

from __future__ import annotations

import gzip

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter.http.app import build_app, wants_openmetrics


async def client_for(ready: list[bool]) -> TestClient[object, object]:
    registry = CollectorRegistry()
    gauge = Gauge("imagepull_test", "Test gauge.", ["n"], registry=registry)
    for n in range(200):
        gauge.labels(str(n)).set(n)

    def render(openmetrics: bool) -> bytes:
        if openmetrics:
            data: bytes = generate_openmetrics(registry)
            return data
        return generate_latest(registry)

    app = build_app(render, ready=lambda: ready[0], telemetry_path="/custom")
    client: TestClient[object, object] = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_metrics_text_openmetrics_and_gzip() -> None:
    client = await client_for([True])
    try:
        plain = await client.get("/custom", headers={"Accept-Encoding": "identity"})
        assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert 'imagepull_test{n="7"} 7.0' in await plain.text()
        om = await client.get(
            "/custom", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        assert om.headers["Content-Type"].startswith("application/openmetrics-text")
        assert (await om.text()).endswith("# EOF\n")
        zipped = await client.get(
            "/custom", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
        )
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert b"imagepull_test" in gzip.decompress(await zipped.read())
    finally:
        await client.close()


async def test_probes_and_index() -> None:
    ready = [False]
    client = await client_for(ready)
    try:
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/readyz")).status == 503
        ready[0] = True
        assert (await client.get("/readyz")).status == 200
        index = await client.get("/")
        assert 'href="/custom"' in await index.text()
        assert (await client.get("/metrics")).status == 404
    finally:
        await client.close()


def test_content_negotiation_as_prometheus_asks() -> None:
    prometheus_2 = (
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    )
    assert wants_openmetrics(prometheus_2)
    assert not wants_openmetrics("text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
    assert not wants_openmetrics("")
    assert not wants_openmetrics("*/*")
