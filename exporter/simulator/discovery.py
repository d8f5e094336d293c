"""Discovery documents: ``/version``, ``/api``, ``/api/v1`` and ``/apis`` (the OpenAPI
documents are in :mod:`exporter.simulator.openapi`)."""

from __future__ import annotations

import hashlib
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
