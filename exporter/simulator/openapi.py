"""OpenAPI documents: ``/openapi/v2`` (JSON or gnostic protobuf) and ``/openapi/v3``.

What kubectl does with them, and so what they hold:

- kubectl up to 1.26 (Debian's is 1.20) fetches ``/openapi/v2`` as protobuf
  (``application/com.github.proto-openapi.spec.v2@v1.0+protobuf``, decoded into gnostic's
  ``openapi_v2.Document``) before ``apply``/``create`` validate, and fails on a 404.
  Newer kubectl asks ``/openapi/v3`` first (it announces ``fieldValidation``, so kubectl
  leaves validation to the server) and falls back to v2.
- A schema is used for a kind only when a *definition* carries
  ``x-kubernetes-group-version-kind``: then client-side validation rejects every field
  the schema lacks, and ``apply`` computes its strategic merge patch from the schema's
  patch extensions. The definitions here carry no such tag, on purpose: a partial schema
  would reject valid manifests, while without one kubectl skips client-side validation
  (``validateResource``: "resource is not present, let's just skip validation") and
  patches from its compiled-in Go types, which are the real schema.
- The operations do carry ``x-kubernetes-group-version-kind`` and the query parameters
  kubectl probes for (``dryRun``, ``fieldValidation``), as on a real server.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import yaml

from exporter.simulator.resources import RESOURCES, ResourceType

JSONObject = dict[str, Any]
VERSION = "v1.32.0"
PROTOBUF_TYPES = (
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
)
PATCH_TYPES = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
]
_ACTIONS = {"get": "read", "put": "replace", "patch": "patch", "delete": "delete"}
_QUERY = {"dryRun", "fieldManager", "fieldValidation"}


def _definition(resource: ResourceType) -> str:
    return f"io.k8s.api.core.v1.{resource.kind}"


def _parameter(name: str, where: str) -> JSONObject:
    return {"name": name, "in": where, "type": "string", "uniqueItems": True, "required": False}


def _v2_operation(resource: ResourceType, action: str, scope: str) -> JSONObject:
    operation: JSONObject = {
        "tags": ["core_v1"],
        "description": f"{action} the specified {resource.kind}",
        "operationId": f"{_ACTIONS[action]}CoreV1{scope}{resource.kind}",
        "consumes": PATCH_TYPES if action == "patch" else ["*/*"],
        "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
        "schemes": ["https"],
        "responses": {
            "200": {
                "description": "OK",
                "schema": {"$ref": f"#/definitions/{_definition(resource)}"},
            },
            "401": {"description": "Unauthorized"},
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": "", "kind": resource.kind, "version": "v1"},
    }
    if action in ("put", "patch"):
        operation["parameters"] = [_parameter(p, "query") for p in sorted(_QUERY)]
    return operation


def openapi_v2_document() -> JSONObject:
    """``/openapi/v2``: each served object path, with its operations, and a definition of
    each kind that is deliberately schemaless (see the module docstring)."""
    paths: JSONObject = {}
    definitions: JSONObject = {}
    for resource in RESOURCES.values():
        scope = "Namespaced" if resource.namespaced else ""
        prefix = "/api/v1/namespaces/{namespace}" if resource.namespaced else "/api/v1"
        item: JSONObject = {action: _v2_operation(resource, action, scope) for action in _ACTIONS}
        item["parameters"] = [
            {**_parameter(p, "path"), "required": True}
            for p in (("name", "namespace") if resource.namespaced else ("name",))
        ]
        paths[f"{prefix}/{resource.plural}/{{name}}"] = item
        definitions[_definition(resource)] = {
            "description": f"{resource.kind} (schema not published by the simulator)",
            "type": "object",
        }
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": VERSION},
        "paths": paths,
        "definitions": definitions,
    }


# --- gnostic protobuf (github.com/google/gnostic openapiv2/OpenAPIv2.proto) -----------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _message(number: int, body: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(body)) + body


def _string(number: int, text: str) -> bytes:
    return _message(number, text.encode()) if text else b""


def _strings(number: int, texts: Iterable[str]) -> bytes:
    return b"".join(_message(number, t.encode()) for t in texts)


def _bool(number: int, value: bool) -> bytes:
    return _varint(number << 3) + b"\x01" if value else b""


def _extensions(number: int, obj: JSONObject) -> bytes:
    """``x-`` keys as NamedAny{name, Any{yaml}}, the form gnostic keeps them in."""
    return b"".join(
        _message(number, _string(1, key) + _message(2, _string(2, yaml.safe_dump(value))))
        for key, value in obj.items()
        if key.startswith("x-")
    )


def _schema(schema: JSONObject) -> bytes:
    type_item = _message(22, _strings(1, [schema["type"]])) if "type" in schema else b""
    return (
        _string(1, schema.get("$ref", ""))
        + _string(4, schema.get("description", ""))
        + type_item
        + _extensions(31, schema)
    )


def _parameter_item(parameter: JSONObject) -> bytes:
    # ParametersItem{Parameter{NonBodyParameter{query(3)|path(4) sub-schema}}}; the two
    # sub-schemas number their fields differently after `name`.
    query = parameter["in"] == "query"
    sub = (
        _bool(1, parameter.get("required", False))
        + _string(2, parameter["in"])
        + _string(4, parameter["name"])
        + _string(6 if query else 5, parameter["type"])
        + _bool(20 if query else 19, parameter.get("uniqueItems", False))
    )
    return _message(1, _message(2, _message(3 if query else 4, sub)))


def _response(code: str, response: JSONObject) -> bytes:
    """NamedResponseValue{code, ResponseValue{Response{description, SchemaItem{Schema}}}}."""
    body = _string(1, response["description"])
    if "schema" in response:
        body += _message(2, _message(1, _schema(response["schema"])))
    return _string(1, code) + _message(2, _message(1, body))


def _operation(operation: JSONObject) -> bytes:
    responses = b"".join(
        _message(1, _response(code, response))
        for code, response in operation.get("responses", {}).items()
    )
    return (
        _strings(1, operation.get("tags", []))
        + _string(3, operation.get("description", ""))
        + _string(5, operation.get("operationId", ""))
        + _strings(6, operation.get("produces", []))
        + _strings(7, operation.get("consumes", []))
        + b"".join(_message(8, _parameter_item(p)) for p in operation.get("parameters", []))
        + _message(9, responses)
        + _strings(10, operation.get("schemes", []))
        + _extensions(13, operation)
    )


_PATH_ITEM_FIELDS = {"get": 2, "put": 3, "post": 4, "delete": 5, "patch": 8}


def _path_item(item: JSONObject) -> bytes:
    operations = b"".join(
        _message(number, _operation(item[verb]))
        for verb, number in _PATH_ITEM_FIELDS.items()
        if verb in item
    )
    parameters = b"".join(_message(9, _parameter_item(p)) for p in item.get("parameters", []))
    return operations + parameters


def openapi_v2_protobuf(document: JSONObject) -> bytes:
    """``document`` (swagger 2.0 JSON as :func:`openapi_v2_document` builds it) encoded as
    a gnostic ``openapi.v2.Document``, the form client-go's ``OpenAPISchema()`` reads."""
    info = document["info"]
    paths = b"".join(
        _message(2, _string(1, path) + _message(2, _path_item(item)))
        for path, item in document["paths"].items()
    )
    definitions = b"".join(
        _message(1, _string(1, name) + _message(2, _schema(schema)))
        for name, schema in document.get("definitions", {}).items()
    )
    return (
        _string(1, document["swagger"])
        + _message(2, _string(1, info["title"]) + _string(2, info["version"]))
        + _message(8, paths)
        + _message(9, definitions)
    )


# --- v3 ---------------------------------------------------------------------------


def _v3_operation(resource: ResourceType, action: str) -> JSONObject:
    operation: JSONObject = {
        "operationId": f"{action}{resource.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": "", "version": "v1", "kind": resource.kind},
        "responses": {"200": {"description": "OK"}},
    }
    if action == "patch":
        operation["parameters"] = [
            {
                "name": "fieldValidation",
                "in": "query",
                "schema": {"type": "string", "uniqueItems": True},
            },
            {
                "name": "fieldManager",
                "in": "query",
                "schema": {"type": "string", "uniqueItems": True},
            },
        ]
    return operation


def openapi_v3_document() -> JSONObject:
    """``/openapi/v3/api/v1``: paths with their GVK and parameters, no schemas."""
    paths: JSONObject = {}
    for resource in RESOURCES.values():
        prefix = "/api/v1/namespaces/{namespace}" if resource.namespaced else "/api/v1"
        paths[f"{prefix}/{resource.plural}/{{name}}"] = {
            action: _v3_operation(resource, action) for action in ("get", "put", "patch", "delete")
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    }


V3_HASH = (
    hashlib.sha512(json.dumps(openapi_v3_document(), sort_keys=True).encode())
    .hexdigest()
    .upper()[:128]
)


def openapi_v3_root() -> JSONObject:
    """``/openapi/v3``: where each group-version's document lives."""
    return {"paths": {"api/v1": {"serverRelativeURL": f"/openapi/v3/api/v1?hash={V3_HASH}"}}}
