"""Wire-protocol tests of the simulator with a plain aiohttp client."""

from __future__ import annotations

import json

import aiohttp
import pytest

from exporter.simulator import Simulator
from exporter.simulator.listing import CONTINUE_EXPIRED
from tests.simulator.manifests import pod, secret


async def test_requests_without_the_token_get_a_401_status(sim: Simulator) -> None:
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.get(f"{sim.url}/api/v1/pods") as response,
    ):
        assert response.status == 401
        body = await response.json()
    assert body["kind"] == "Status"
    assert body["reason"] == "Unauthorized"


async def test_discovery_advertises_types_short_names_and_status_subresource(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/api/v1") as response:
        resources = {r["name"]: r for r in (await response.json())["resources"]}
    assert resources["pods"]["shortNames"] == ["po"]
    assert resources["serviceaccounts"]["shortNames"] == ["sa"]
    assert resources["namespaces"]["namespaced"] is False
    assert resources["pods/status"]["verbs"] == ["get", "patch", "update"]
    async with http.get("/apis") as response:
        assert (await response.json())["groups"] == []


async def test_list_pages_with_limit_and_continue(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.apply_objects([secret(f"s{i:02}", "a") for i in range(7)] + [secret("other", "b")])
    names, token, versions = [], "", set()
    while True:
        params = {"limit": "3", **({"continue": token} if token else {})}
        async with http.get("/api/v1/namespaces/a/secrets", params=params) as response:
            body = await response.json()
        assert body["kind"] == "SecretList"
        assert "kind" not in body["items"][0]
        names += [item["metadata"]["name"] for item in body["items"]]
        versions.add(body["metadata"]["resourceVersion"])
        token = body["metadata"].get("continue", "")
        if not token:
            break
    assert names == [f"s{i:02}" for i in range(7)]
    assert len(versions) == 1


async def test_all_namespaces_list_and_remaining_count(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.apply_objects([secret("x", "a"), secret("y", "b")])
    async with http.get("/api/v1/secrets", params={"limit": "1"}) as response:
        body = await response.json()
    assert body["metadata"]["remainingItemCount"] == 1


async def test_expired_continue_token_is_410(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.apply_objects([secret(f"s{i}") for i in range(3)])
    async with http.get("/api/v1/secrets", params={"limit": "1"}) as response:
        token = (await response.json())["metadata"]["continue"]
    sim.create(secret("later"))
    sim.compact()
    async with http.get("/api/v1/secrets", params={"limit": "1", "continue": token}) as response:
        assert response.status == 410
        assert (await response.json())["reason"] == "Expired"


async def test_field_and_label_selectors(sim: Simulator, http: aiohttp.ClientSession) -> None:
    docker_config = {".dockerconfigjson": '{"auths":{}}'}
    pull = secret("pull", type="kubernetes.io/dockerconfigjson", stringData=docker_config)
    sim.apply_objects([pull, secret("plain")])
    sim.apply_objects(
        [pod("web", labels={"app": "web", "tier": "front"}), pod("db", labels={"app": "db"})]
    )

    async def names(path: str, **params: str) -> list[str]:
        async with http.get(path, params=params) as response:
            assert response.status == 200, await response.text()
            return [i["metadata"]["name"] for i in (await response.json())["items"]]

    assert await names("/api/v1/secrets", fieldSelector="type=kubernetes.io/dockerconfigjson") == [
        "pull"
    ]
    assert await names("/api/v1/secrets", fieldSelector="type!=kubernetes.io/dockerconfigjson") == [
        "plain"
    ]
    assert await names("/api/v1/pods", labelSelector="app in (web,api),tier") == ["web"]
    assert await names("/api/v1/pods", labelSelector="!tier") == ["db"]
    assert await names("/api/v1/pods", labelSelector="app notin (web)") == ["db"]
    assert await names("/api/v1/pods", fieldSelector="metadata.name==db,status.phase=Pending") == [
        "db"
    ]
    async with http.get("/api/v1/pods", params={"fieldSelector": "spec.image=x"}) as response:
        assert response.status == 400
        assert "field label not supported: spec.image" in (await response.json())["message"]


async def test_create_conflicts_and_missing_namespace(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    async with http.post("/api/v1/namespaces/default/secrets", json=secret("a")) as response:
        assert response.status == 201
        created = await response.json()
    assert created["type"] == "Opaque"
    assert created["metadata"]["uid"]
    async with http.post("/api/v1/namespaces/default/secrets", json=secret("a")) as response:
        assert (response.status, (await response.json())["reason"]) == (409, "AlreadyExists")
    async with http.post("/api/v1/namespaces/nope/secrets", json=secret("a", "nope")) as response:
        body = await response.json()
        assert (response.status, body["message"]) == (404, 'namespaces "nope" not found')
    generated = {"apiVersion": "v1", "kind": "Secret", "metadata": {"generateName": "gen-"}}
    async with http.post("/api/v1/namespaces/default/secrets", json=generated) as response:
        assert (await response.json())["metadata"]["name"].startswith("gen-")
    stale = {**created, "metadata": {**created["metadata"], "resourceVersion": "1"}}
    async with http.put("/api/v1/namespaces/default/secrets/a", json=stale) as response:
        assert (response.status, (await response.json())["reason"]) == (409, "Conflict")


async def test_patch_kinds(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.create(pod("web", labels={"app": "web"}))
    path = "/api/v1/namespaces/default/pods/web"

    async def patch(content_type: str, body: object) -> dict[str, object]:
        headers = {"Content-Type": content_type}
        async with http.patch(path, data=json.dumps(body), headers=headers) as response:
            assert response.status == 200, await response.text()
            result: dict[str, object] = await response.json()
            return result

    merged = await patch(
        "application/merge-patch+json", {"metadata": {"labels": {"app": None, "x": "1"}}}
    )
    assert merged["metadata"]["labels"] == {"x": "1"}  # type: ignore[index]
    strategic = await patch(
        "application/strategic-merge-patch+json",
        {"spec": {"containers": [{"name": "c", "image": "nginx:1.28"}]}},
    )
    [container] = strategic["spec"]["containers"]  # type: ignore[index]
    assert (container["name"], container["image"]) == ("c", "nginx:1.28")
    assert container["imagePullPolicy"] == "IfNotPresent"  # merged into, not replaced
    assert strategic["metadata"]["generation"] == 2  # type: ignore[index]
    json_patched = await patch(
        "application/json-patch+json",
        [{"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:2"}],
    )
    assert json_patched["spec"]["containers"][0]["image"] == "nginx:2"  # type: ignore[index]


async def test_status_subresource_writes_only_status(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(pod("web"))
    body = {"metadata": {"labels": {"ignored": "yes"}}, "status": {"phase": "Running"}}
    async with http.patch(
        "/api/v1/namespaces/default/pods/web/status",
        data=json.dumps(body),
        headers={"Content-Type": "application/merge-patch+json"},
        params={"fieldManager": "kubelet"},
    ) as response:
        updated = await response.json()
    assert updated["status"]["phase"] == "Running"
    assert "ignored" not in (updated["metadata"].get("labels") or {})
    kubelet = [m for m in updated["metadata"]["managedFields"] if m["manager"] == "kubelet"]
    assert kubelet[0]["subresource"] == "status"
    assert "f:status" in kubelet[0]["fieldsV1"]


async def test_managed_fields_record_who_changed_data_and_when(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.create(secret("rotating", data={"k": "djE="}))
    patch = {"data": {"k": "djI="}}
    async with http.patch(
        "/api/v1/namespaces/default/secrets/rotating",
        data=json.dumps(patch),
        headers={"Content-Type": "application/merge-patch+json", "User-Agent": "rotator/1.0"},
    ) as response:
        fields = (await response.json())["metadata"]["managedFields"]
    owners = {m["manager"]: m for m in fields}
    assert "f:data" in owners["rotator"]["fieldsV1"]
    assert owners["rotator"]["time"].endswith("Z")
    assert "f:data" not in owners.get("imagepull-simulator", {}).get("fieldsV1", {})


async def test_delete_returns_status_for_secrets_and_object_for_pods(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.apply_objects([secret("s"), pod("p")])
    async with http.delete("/api/v1/namespaces/default/secrets/s") as response:
        assert (await response.json())["status"] == "Success"
    async with http.delete("/api/v1/namespaces/default/pods/p") as response:
        assert (await response.json())["kind"] == "Pod"
    async with http.get("/api/v1/namespaces/default/pods/p") as response:
        assert (response.status, (await response.json())["reason"]) == (404, "NotFound")


async def test_table_for_kubectl_get(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.create(pod("web"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    async with http.get("/api/v1/pods", headers={"Accept": accept}) as response:
        body = await response.json()
    assert body["kind"] == "Table"
    assert [c["name"] for c in body["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    assert body["rows"][0]["cells"][:3] == ["web", "0/1", "Pending"]
    assert body["rows"][0]["object"]["metadata"]["namespace"] == "default"


METHOD_NOT_ALLOWED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "the server does not allow this method on the requested resource",
    "reason": "MethodNotAllowed",
    "details": {},
    "code": 405,
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/pods"),  # deletecollection is namespaced only
        ("DELETE", "/api/v1/secrets"),
        ("POST", "/api/v1/pods"),  # create needs a namespace in the path
        ("DELETE", "/api/v1/namespaces"),  # namespaces have no deletecollection
        ("POST", "/api/v1/namespaces/default/pods/web"),
        ("DELETE", "/api/v1/namespaces/default/pods/web/status"),
    ],
)
async def test_methods_a_path_does_not_take_are_405_and_change_nothing(
    sim: Simulator, http: aiohttp.ClientSession, method: str, path: str
) -> None:
    sim.apply_objects([pod("web"), secret("s", "other")])
    before = {plural: dict(t.objects) for plural, t in sim.cluster.tables.items()}
    async with http.request(method, path, json={}) as response:
        assert (response.status, await response.json()) == (405, METHOD_NOT_ALLOWED)
    assert {plural: dict(t.objects) for plural, t in sim.cluster.tables.items()} == before


async def test_discovery_has_no_deletecollection_for_namespaces(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/api/v1") as response:
        verbs = {r["name"]: r["verbs"] for r in (await response.json())["resources"]}
    assert "deletecollection" not in verbs["namespaces"]
    assert "deletecollection" in verbs["pods"]


async def test_namespaced_delete_collection_deletes_only_there(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.apply_objects([secret("a", "one"), secret("b", "one"), secret("c", "two")])
    async with http.delete("/api/v1/namespaces/one/secrets") as response:
        assert response.status == 200
    assert list(sim.cluster.table("secrets").objects) == [("two", "c")]


async def test_expired_continue_offers_an_inconsistent_continue_token(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    """etcd3's handleCompactedErrorForPaging: the 410 carries a token that continues after
    the same key at the latest version."""
    sim.apply_objects([secret(f"s{i}") for i in range(3)])
    async with http.get("/api/v1/secrets", params={"limit": "1"}) as response:
        token = (await response.json())["metadata"]["continue"]
    sim.create(secret("s9"))
    sim.compact()
    async with http.get("/api/v1/secrets", params={"limit": "1", "continue": token}) as response:
        assert response.status == 410
        status = await response.json()
    assert status["message"] == CONTINUE_EXPIRED
    assert "details" not in status
    names, token = [], status["metadata"]["continue"]
    while token:
        params = {"limit": "1", "continue": token}
        async with http.get("/api/v1/secrets", params=params) as response:
            body = await response.json()
        names += [item["metadata"]["name"] for item in body["items"]]
        token = body["metadata"].get("continue", "")
    assert names == ["s1", "s2", "s9"]  # after s0, at the latest version (s9 included)


async def test_get_in_a_missing_namespace_names_the_object(http: aiohttp.ClientSession) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        headers = {"Content-Type": "application/merge-patch+json"}
        path = "/api/v1/namespaces/nosuchns/secrets/nope"
        async with http.request(method, path, data=b"{}", headers=headers) as response:
            assert response.status == 404, method
            assert (await response.json())["message"] == 'secrets "nope" not found', method


async def test_list_at_resource_version_0_is_served_whole_as_from_the_watch_cache(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.apply_objects([secret(f"s{i}") for i in range(5)])
    params = {"limit": "2", "resourceVersion": "0"}
    async with http.get("/api/v1/secrets", params=params) as response:
        body = await response.json()
    assert len(body["items"]) == 5
    assert set(body["metadata"]) == {"resourceVersion"}
    async with http.get("/api/v1/secrets", params={"limit": "2"}) as response:
        assert len((await response.json())["items"]) == 2  # without it, pages as before


async def test_continue_with_a_resource_version_is_a_400(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.apply_objects([secret(f"s{i}") for i in range(3)])
    async with http.get("/api/v1/secrets", params={"limit": "1"}) as response:
        token = (await response.json())["metadata"]["continue"]
    params = {"limit": "1", "continue": token, "resourceVersion": str(sim.cluster.rv)}
    async with http.get("/api/v1/secrets", params=params) as response:
        assert response.status == 400
        assert (await response.json())["message"] == (
            "specifying resource version is not allowed when using continue"
        )


async def test_a_deeply_nested_body_is_a_400_not_a_crash(http: aiohttp.ClientSession) -> None:
    body = b'{"metadata":' * 100_000 + b"{}" + b"}" * 100_000
    headers = {"Content-Type": "application/json"}
    async with http.post("/api/v1/namespaces/default/secrets", data=body, headers=headers) as r:
        assert (r.status, (await r.json())["reason"]) == (400, "BadRequest")
