"""PartialObjectMetadata: lists, gets and watches that carry metadata only."""

from __future__ import annotations

import json

import aiohttp

from exporter.simulator import Simulator

METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "type": "Opaque",
    "metadata": {"name": "db", "namespace": "default", "labels": {"app": "db"}},
    "data": {"password": "c2VjcmV0LWNhbmFyeQ=="},
}


async def test_list_and_get_carry_metadata_only(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(SECRET)
    async with http.get("/api/v1/secrets", headers={"Accept": METADATA_LIST}) as response:
        body = await response.json()
    assert body["kind"] == "PartialObjectMetadataList"
    assert body["apiVersion"] == "meta.k8s.io/v1"
    assert body["metadata"]["resourceVersion"]
    item = body["items"][0]
    assert item["kind"] == "PartialObjectMetadata"
    assert set(item) == {"kind", "apiVersion", "metadata"}
    assert item["metadata"]["labels"] == {"app": "db"}
    path = "/api/v1/namespaces/default/secrets/db"
    async with http.get(path, headers={"Accept": METADATA}) as response:
        one = await response.json()
    assert one["kind"] == "PartialObjectMetadata"
    assert "data" not in one


async def test_watch_carries_metadata_only(sim: Simulator, http: aiohttp.ClientSession) -> None:
    params = {"watch": "true", "timeoutSeconds": "1", "fieldSelector": "type!=kubernetes.io/tls"}
    async with http.get("/api/v1/secrets", params=params, headers={"Accept": METADATA}) as r:
        sim.create(SECRET)
        lines = [json.loads(line) async for line in r.content if line.strip()]
    assert [e["type"] for e in lines] == ["ADDED"]
    assert lines[0]["object"]["kind"] == "PartialObjectMetadata"
    assert "c2VjcmV0LWNhbmFyeQ==" not in json.dumps(lines)
