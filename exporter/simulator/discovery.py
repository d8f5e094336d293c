"""Discovery documents: ``/version``, ``/api``, ``/api/v1``, ``/apis`` and a minimal
OpenAPI v3 document.

kubectl's ``apply``/``create`` validation asks ``/openapi/v3`` whether PATCH of the type
accepts the ``fieldValidation`` parameter; announcing it lets kubectl leave validation to
the server (which this simulator does not do strictly) instead of failing to download a
full schema. No ``/openapi/v2`` is served: kubectl then builds strategic merge patches from
its compiled-in types, as it does for any built-in type.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from exporter.simulator.resources import RESOURCES, ResourceType

JSONObject = dict[str, Any]

VERSION: JSONObject = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(server_address: str) -> JSONObject:
    """``/api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


API_GROUPS: JSONObject = {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}


def _entry(resource: ResourceType) -> JSONObject:
    entry: JSONObject = {
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": resource.verbs,
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.plural == "pods":
        entry["categories"] = ["all"]
    entry["storageVersionHash"] = hashlib.sha256(resource.plural.encode()).hexdigest()[:11]
    return entry


def api_resource_list() -> JSONObject:
    """``/api/v1``: every served type plus the status subresources."""
    resources = []
    for resource in RESOURCES.values():
        resources.append(_entry(resource))
        if resource.has_status:
            resources.append(
                {
                    "name": f"{resource.plural}/status",
                    "singularName": "",
                    "namespaced": resource.namespaced,
                    "kind": resource.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    return {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources}


def _operation(resource: ResourceType, action: str) -> JSONObject:
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
            action: _operation(resource, action) for action in ("get", "put", "patch", "delete")
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
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
