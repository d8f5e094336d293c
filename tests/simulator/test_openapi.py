"""``/openapi/v2`` as client-go's discovery reads it (gnostic protobuf), and as JSON."""

from __future__ import annotations

import aiohttp
import yaml

from exporter.simulator.openapi import PROTOBUF_TYPES
from exporter.simulator.protobuf import read_fields
from exporter.simulator.resources import RESOURCES

Fields = dict[int, list[bytes | int]]


def fields(data: bytes) -> Fields:
    """A protobuf message as {field number: values}, read by the simulator's decoder of
    request bodies (exporter/simulator/protobuf.py), independent of the openapi encoder."""
    out: Fields = {}
    for number, value in read_fields(data):
        out.setdefault(number, []).append(value)
    return out


def one(message: Fields, number: int) -> bytes:
    [value] = message[number]
    assert isinstance(value, bytes)
    return value


def text(message: Fields, number: int) -> str:
    return one(message, number).decode()


async def test_openapi_v2_protobuf_is_a_gnostic_document_of_the_served_paths(
    http: aiohttp.ClientSession,
) -> None:
    """Field numbers from gnostic's openapiv2/OpenAPIv2.proto: Document.swagger=1, info=2,
    paths=8; Paths.path=2 (NamedPathItem name=1, value=2); PathItem.patch=8;
    Operation.vendor_extension=13 (NamedAny name=1, value=2: Any.yaml=2)."""
    # the Accept header client-go 1.20's DiscoveryClient.OpenAPISchema sends
    headers = {"Accept": PROTOBUF_TYPES[0]}
    async with http.get("/openapi/v2", headers=headers) as response:
        assert response.status == 200
        # '@' is not a valid media type character: Go's mime parser (and so client-go)
        # rejects it, kube-openapi answers with the '.' spelling
        assert response.headers["Content-Type"] == PROTOBUF_TYPES[1]
        document = fields(await response.read())
    assert text(document, 1) == "2.0"
    info = fields(one(document, 2))
    assert (text(info, 1), text(info, 2)) == ("Kubernetes", "v1.32.0")
    paths = {}
    for named in fields(one(document, 8))[2]:
        assert isinstance(named, bytes)
        item = fields(named)
        paths[text(item, 1)] = fields(one(item, 2))
    assert set(paths) == {
        f"/api/v1/namespaces/{{namespace}}/{r.plural}/{{name}}"
        if r.namespaced
        else f"/api/v1/{r.plural}/{{name}}"
        for r in RESOURCES.values()
    }
    patch = fields(one(paths["/api/v1/namespaces/{namespace}/pods/{name}"], 8))
    extensions = {}
    for named in patch[13]:
        assert isinstance(named, bytes)
        extension = fields(named)
        extensions[text(extension, 1)] = yaml.safe_load(text(fields(one(extension, 2)), 2))
    assert extensions == {
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": "", "kind": "Pod", "version": "v1"},
    }
    consumes = [value.decode() for value in patch[7] if isinstance(value, bytes)]
    assert "application/strategic-merge-patch+json" in consumes


async def test_openapi_v2_json_has_schemaless_definitions_kubectl_will_not_use(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/openapi/v2", headers={"Accept": "application/json"}) as response:
        document = await response.json()
    assert document["swagger"] == "2.0"
    definitions = document["definitions"]
    assert set(definitions) == {f"io.k8s.api.core.v1.{r.kind}" for r in RESOURCES.values()}
    # a definition tagged with its kind would make kubectl validate manifests against it
    assert not any("x-kubernetes-group-version-kind" in d for d in definitions.values())
    patch = document["paths"]["/api/v1/namespaces/{namespace}/secrets/{name}"]["patch"]
    assert {p["name"] for p in patch["parameters"]} >= {"dryRun", "fieldValidation"}
