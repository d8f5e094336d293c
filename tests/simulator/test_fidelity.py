"""The official ``kubernetes`` client and real ``kubectl`` work against the simulator.

The kubectl tests run with the ``kubectl`` on PATH (1.32 on CI machines) and with every
other binary named in ``IMAGEPULL_TEST_KUBECTLS`` (colon-separated), e.g. Debian's 1.20,
which needs ``/openapi/v2``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch

from exporter.simulator import Simulator
from tests.conftest import eventually
from tests.simulator.manifests import pod, secret

KUBECTL = shutil.which("kubectl")
KUBECTLS = [
    KUBECTL or "kubectl",
    *filter(None, os.environ.get("IMAGEPULL_TEST_KUBECTLS", "").split(":")),
]


@pytest.fixture
async def tls_sim(tmp_path: Path) -> AsyncIterator[tuple[Simulator, Path]]:
    simulator = Simulator(token="fidelity-token", tls=True, bookmark_interval=1.0)
    await simulator.start()
    kubeconfig = tmp_path / "kubeconfig"
    simulator.write_kubeconfig(kubeconfig)
    yield simulator, kubeconfig
    await simulator.stop()


def core_api(kubeconfig: Path) -> Any:
    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig), client_configuration=configuration
    )
    return client.CoreV1Api(client.ApiClient(configuration))


async def test_official_client_create_list_patch_watch_delete(
    tls_sim: tuple[Simulator, Path],
) -> None:
    _, kubeconfig = tls_sim
    api = core_api(kubeconfig)
    body = client.V1Secret(metadata=client.V1ObjectMeta(name="s1"), string_data={"k": "v"})
    created = await asyncio.to_thread(api.create_namespaced_secret, "default", body)
    assert created.type == "Opaque"
    assert created.data == {"k": "dg=="}
    listed = await asyncio.to_thread(api.list_secret_for_all_namespaces, limit=10)
    assert [s.metadata.name for s in listed.items] == ["s1"]
    patched = await asyncio.to_thread(
        api.patch_namespaced_secret, "s1", "default", {"metadata": {"labels": {"a": "b"}}}
    )
    assert patched.metadata.labels == {"a": "b"}

    def watch_two() -> list[tuple[str, str]]:
        stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
            api.list_namespaced_pod,
            "default",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=5,
        )
        seen = []
        for event in stream:
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 2:
                break
        return seen

    watcher = asyncio.create_task(asyncio.to_thread(watch_two))
    await asyncio.to_thread(api.create_namespaced_pod, "default", client.V1Pod(**_pod_kwargs("p1")))
    await asyncio.to_thread(api.delete_namespaced_pod, "p1", "default")
    assert await asyncio.wait_for(watcher, 10) == [("ADDED", "p1"), ("DELETED", "p1")]
    status = await asyncio.to_thread(api.delete_namespaced_secret, "s1", "default")
    assert status["status"] == "Success"


def _pod_kwargs(name: str) -> dict[str, Any]:
    return {
        "metadata": client.V1ObjectMeta(name=name),
        "spec": client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1.27")]),
    }


def kubectl(kubeconfig: Path, *args: str, binary: str | None = None, fails: bool = False) -> str:
    """stdout of a successful kubectl run (stderr of a failed one, with ``fails``)."""
    program = binary or KUBECTL
    assert program, "kubectl is required for the fidelity tests (CI installs it)"
    cache = kubeconfig.parent / f"kubectl-cache-{Path(program).name}"
    result = subprocess.run(
        [program, f"--kubeconfig={kubeconfig}", f"--cache-dir={cache}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode != 0) == fails, result.stderr or result.stdout
    return result.stderr if fails else result.stdout


@pytest.fixture(params=KUBECTLS)
def kubectl_binary(request: pytest.FixtureRequest) -> str:
    binary: str = request.param
    return binary


async def test_kubectl_get_apply_create_delete(
    tls_sim: tuple[Simulator, Path], tmp_path: Path, kubectl_binary: str
) -> None:
    sim, kubeconfig = tls_sim
    sim.apply_objects([pod("web", "shop", labels={"app": "web"})])

    def run(*args: str) -> str:
        return kubectl(kubeconfig, *args, binary=kubectl_binary)

    table = await asyncio.to_thread(run, "get", "pods", "-A")
    assert table.splitlines()[0].split() == [
        "NAMESPACE",
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
    ]
    assert table.splitlines()[1].split()[:4] == ["shop", "web", "0/1", "Pending"]
    as_json = json.loads(await asyncio.to_thread(run, "get", "pods", "-n", "shop", "-o", "json"))
    assert as_json["items"][0]["metadata"]["name"] == "web"

    manifest = tmp_path / "pod.yaml"
    manifest.write_text(json.dumps(pod("applied", labels={"v": "1"})))
    assert "pod/applied created" in await asyncio.to_thread(run, "apply", "-f", str(manifest))
    manifest.write_text(json.dumps(pod("applied", labels={"v": "2"})))
    assert "pod/applied configured" in await asyncio.to_thread(run, "apply", "-f", str(manifest))
    applied = sim.get("pods", "default", "applied")
    assert applied["metadata"]["labels"] == {"v": "2"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in applied["metadata"]["annotations"]

    out = await asyncio.to_thread(
        run,
        "create",
        "secret",
        "docker-registry",
        "regcred",
        "--docker-server=ghcr.io",
        "--docker-username=bot",
        "--docker-password=hunter2",
    )
    assert "secret/regcred created" in out
    created = sim.get("secrets", "default", "regcred")
    assert created["type"] == "kubernetes.io/dockerconfigjson"
    assert [m["manager"] for m in created["metadata"]["managedFields"]] == ["kubectl-create"]
    listed = await asyncio.to_thread(run, "get", "secrets")
    assert listed.split()[:4] == ["NAME", "TYPE", "DATA", "AGE"]

    assert 'secret "regcred" deleted' in await asyncio.to_thread(run, "delete", "secret", "regcred")
    assert 'pod "applied" deleted' in await asyncio.to_thread(run, "delete", "-f", str(manifest))
    assert sim.cluster.table("secrets").objects == {}


async def test_kubectl_describe_finds_pod_events(tls_sim: tuple[Simulator, Path]) -> None:
    sim, kubeconfig = tls_sim
    sim.load_scenario("demo")
    out = await asyncio.to_thread(
        kubectl, kubeconfig, "describe", "pod", "-n", "payments", "payments-api-7d9f8b6c5d-x2k4q"
    )
    assert "401 Unauthorized" in out
    assert "Back-off pulling image" in out


async def test_kubectl_get_watch_prints_rows_in_the_tables_columns(
    tls_sim: tuple[Simulator, Path], kubectl_binary: str
) -> None:
    """A watch asked for as Table gets Table rows: the events print in the same columns
    as the list, with no second header."""
    sim, kubeconfig = tls_sim
    sim.apply_objects([secret("first", stringData={"a": "1"})])
    cache = kubeconfig.parent / f"kubectl-cache-{Path(kubectl_binary).name}"
    process = await asyncio.create_subprocess_exec(
        kubectl_binary,
        f"--kubeconfig={kubeconfig}",
        f"--cache-dir={cache}",
        "get",
        "secrets",
        "--watch",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20):
            header = (await process.stdout.readline()).decode().split()
            listed = (await process.stdout.readline()).decode().split()
            await eventually(lambda: bool(sim.cluster.table("secrets").watches), within=20)
            sim.create(secret("second", stringData={"a": "1", "b": "2"}))
            watched = (await process.stdout.readline()).decode().split()
    finally:
        process.kill()
        await process.wait()
    assert header == ["NAME", "TYPE", "DATA", "AGE"]
    assert listed[:3] == ["first", "Opaque", "1"]
    assert watched[:3] == ["second", "Opaque", "2"]


async def test_kubectl_patch_and_apply_replace_a_service_accounts_pull_secrets(
    tls_sim: tuple[Simulator, Path], tmp_path: Path, kubectl_binary: str
) -> None:
    """ServiceAccount.imagePullSecrets has no patch strategy: a strategic merge patch
    replaces the list (a pod's would merge by name)."""
    sim, kubeconfig = tls_sim
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "builder", "namespace": "default"},
        "imagePullSecrets": [{"name": "x1"}, {"name": "x2"}],
    }
    manifest = tmp_path / "sa.json"
    manifest.write_text(json.dumps(account))

    def run(*args: str) -> str:
        return kubectl(kubeconfig, *args, binary=kubectl_binary)

    await asyncio.to_thread(run, "apply", "-f", str(manifest))
    patch = '{"imagePullSecrets":[{"name":"x3"}]}'
    assert "patched" in await asyncio.to_thread(
        run, "patch", "serviceaccount", "builder", "-p", patch
    )
    assert sim.get("serviceaccounts", "default", "builder")["imagePullSecrets"] == [{"name": "x3"}]
    manifest.write_text(json.dumps({**account, "imagePullSecrets": [{"name": "x1"}]}))
    assert "configured" in await asyncio.to_thread(run, "apply", "-f", str(manifest))
    assert sim.get("serviceaccounts", "default", "builder")["imagePullSecrets"] == [{"name": "x1"}]


async def test_kubectl_apply_of_an_immutable_change_fails_as_on_a_real_cluster(
    tls_sim: tuple[Simulator, Path], tmp_path: Path, kubectl_binary: str
) -> None:
    sim, kubeconfig = tls_sim
    manifest = tmp_path / "objects.json"

    def apply(*objects: dict[str, Any], fails: bool = False) -> str:
        manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        return kubectl(kubeconfig, "apply", "-f", str(manifest), binary=kubectl_binary, fails=fails)

    web = pod("web")
    regcred = secret("regcred", stringData={"k": "v"})
    await asyncio.to_thread(apply, web, regcred)
    moved = {**web, "spec": {**web["spec"], "nodeName": "node-2"}}
    out = await asyncio.to_thread(apply, moved, fails=True)
    assert 'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields' in out
    retyped = {**regcred, "type": "kubernetes.io/basic-auth", "stringData": {"username": "u"}}
    out = await asyncio.to_thread(apply, retyped, fails=True)
    assert 'Secret "regcred" is invalid: type: Invalid value: "kubernetes.io/basic-auth"' in out
    assert sim.get("secrets", "default", "regcred")["type"] == "Opaque"


def test_kubectl_is_installed() -> None:
    assert KUBECTL, "kubectl is required for the fidelity tests (CI installs it)"
