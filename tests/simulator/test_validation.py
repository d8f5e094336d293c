"""What an update may not change: a pod's spec (but its images), a secret's type."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from exporter.simulator import Simulator
from exporter.simulator.validation import UPDATABLE_POD_SPEC_FIELDS
from tests.simulator.manifests import pod, secret

MERGE = {"Content-Type": "application/merge-patch+json"}
STRATEGIC = {"Content-Type": "application/strategic-merge-patch+json"}
PULL_CONFIG = {".dockerconfigjson": '{"auths":{}}'}


async def patch(
    http: aiohttp.ClientSession, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with http.patch(path, data=json.dumps(body), headers=headers) as response:
        result: dict[str, Any] = await response.json()
        return response.status, result


@pytest.mark.parametrize(
    "change",
    [
        {"spec": {"containers": [{"name": "c", "image": "nginx:1.28"}]}},
        {"spec": {"activeDeadlineSeconds": 600}},
        {"spec": {"tolerations": [{"key": "k", "operator": "Exists"}]}},
        {"metadata": {"labels": {"any": "label"}}},
    ],
    ids=["image", "deadline", "added-toleration", "labels"],
)
async def test_a_pod_update_may_change_images_and_what_validation_allows(
    sim: Simulator, http: aiohttp.ClientSession, change: dict[str, Any]
) -> None:
    sim.create(pod("web"))
    status, _ = await patch(http, "/api/v1/namespaces/default/pods/web", change, STRATEGIC)
    assert status == 200


@pytest.mark.parametrize(
    "change",
    [
        {"spec": {"containers": [{"name": "c", "image": "nginx:1.27", "args": ["-v"]}]}},
        {"spec": {"containers": [{"name": "side", "image": "busybox:1"}]}},  # adds one
        {"spec": {"nodeName": "other-node"}},
        {"spec": {"imagePullSecrets": [{"name": "regcred"}]}},
        {"spec": {"serviceAccountName": "builder"}},
    ],
    ids=["args", "added-container", "node", "pull-secrets", "service-account"],
)
async def test_any_other_pod_spec_change_is_forbidden_as_on_a_real_server(
    sim: Simulator, http: aiohttp.ClientSession, change: dict[str, Any]
) -> None:
    sim.create(pod("web", nodeName="node-1"))
    before = sim.get("pods", "default", "web")
    status, body = await patch(http, "/api/v1/namespaces/default/pods/web", change, STRATEGIC)
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == (
        'Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than '
        + UPDATABLE_POD_SPEC_FIELDS
    )
    assert body["details"]["causes"][0]["reason"] == "FieldValueForbidden"
    assert sim.get("pods", "default", "web") == before


async def test_a_pod_replace_with_a_changed_spec_is_forbidden_but_status_is_not(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(pod("web"))
    current = sim.get("pods", "default", "web")
    changed = {**current, "spec": {**current["spec"], "hostNetwork": True}}
    async with http.put("/api/v1/namespaces/default/pods/web", json=changed) as response:
        assert response.status == 422
    status_only = {**current, "status": {"phase": "Running"}}
    async with http.put("/api/v1/namespaces/default/pods/web/status", json=status_only) as response:
        assert response.status == 200
        assert (await response.json())["status"]["phase"] == "Running"


async def test_a_secrets_type_is_immutable(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.create(secret("regcred", stringData={"k": "v"}))  # type defaults to Opaque
    change = {"type": "kubernetes.io/dockerconfigjson", "stringData": PULL_CONFIG}
    status, body = await patch(http, "/api/v1/namespaces/default/secrets/regcred", change, MERGE)
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == (
        'Secret "regcred" is invalid: type: Invalid value: "kubernetes.io/dockerconfigjson": '
        "field is immutable"
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "kubernetes.io/dockerconfigjson": field is immutable',
            "field": "type",
        }
    ]
    assert sim.get("secrets", "default", "regcred")["type"] == "Opaque"


async def test_an_immutable_secret_keeps_its_data(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("frozen", stringData={"k": "v"}, immutable=True))
    path = "/api/v1/namespaces/default/secrets/frozen"
    status, body = await patch(http, path, {"stringData": {"k": "w"}}, MERGE)
    assert (status, body["details"]["causes"][0]["field"]) == (422, "data")
    status, body = await patch(http, path, {"immutable": False}, MERGE)
    assert (status, body["details"]["causes"][0]["field"]) == (422, "immutable")
    status, _ = await patch(http, path, {"metadata": {"labels": {"a": "b"}}}, MERGE)
    assert status == 200
