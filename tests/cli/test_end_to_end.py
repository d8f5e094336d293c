"""End to end: ``simulate`` and the exporter as subprocesses, objects made with the official
client, ``/metrics`` read over HTTP.

Set ``IMAGEPULL_E2E_KUBECONFIG`` to run the same tests against a real cluster instead of
the simulator: they work in a namespace of their own and delete it afterwards. Container
states are written through the pods ``/status`` subresource, which only the simulator
keeps (a real kubelet overwrites it), so that one test runs on the simulator only.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from prometheus_client.parser import text_string_to_metric_families

REAL_CLUSTER = os.environ.get("IMAGEPULL_E2E_KUBECONFIG")
DEADLINE = 2.0  # the promise: every change shows within 2 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    args: list[str], ready: Callable[[subprocess.Popen[str]], bool]
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not ready(process):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            raise AssertionError(f"{args[0]} did not start: {out}\n{err}")
        time.sleep(0.05)
    return process


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError("did not stop within 10 s of SIGTERM") from None
    assert process.returncode == 0, err
    return err


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if REAL_CLUSTER:
        yield Path(REAL_CLUSTER)
        return
    kubeconfig = tmp_path_factory.mktemp("sim") / "kubeconfig"
    sim = _start(
        ["simulate", "--listen", "127.0.0.1:0", "--kubeconfig-out", str(kubeconfig),
         "--scenario", "empty", "--bookmark-interval", "1"],
        lambda p: p.stdout is not None and "ready" in p.stdout.readline(),
    )  # fmt: skip
    yield kubeconfig
    _stop(sim)


@pytest.fixture(scope="module")
def metrics_url(cluster: Path) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    def ready(_: subprocess.Popen[str]) -> bool:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    exporter = _start(
        ["--kubeconfig", str(cluster), "--web.listen-address", f"127.0.0.1:{port}",
         "--log-level", "debug"],
        ready,
    )  # fmt: skip
    yield f"{base}/metrics"
    stderr = _stop(exporter)
    assert "Traceback" not in stderr
    assert CANARY not in stderr


@pytest.fixture(scope="module")
def api(cluster: Path) -> Iterator[client.CoreV1Api]:
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(cluster), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        yield client.CoreV1Api(api_client)


@pytest.fixture(scope="module")
def namespace(api: client.CoreV1Api) -> Iterator[str]:
    name = f"imagepull-e2e-{uuid.uuid4().hex[:6]}"
    api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    api.delete_namespace(name)


def samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(url: str, name: str, **labels: str) -> float | None:
    wanted = set(labels.items())
    for (sample, labelset), v in samples(url).items():
        if sample == name and wanted <= labelset:
            return v
    return None


def within_deadline(check: Callable[[], bool]) -> float:
    """Seconds until ``check()`` held; fails past :data:`DEADLINE`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > DEADLINE:
            raise AssertionError(f"not reflected within {DEADLINE}s")
        time.sleep(0.05)
    return time.monotonic() - started


CANARY = "canary-e2e-password-7f3a9c"


def pull_secret(name: str, namespace: str, expires: float) -> client.V1Secret:
    auth = base64.b64encode(f"robot:{CANARY}".encode()).decode()
    blob = {"auths": {"registry.example.com": {"auth": auth}}}
    return client.V1Secret(
        metadata=client.V1ObjectMeta(
            name=name,
            namespace=namespace,
            annotations={
                "imagepull-exporter/expires-at": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)
                )
            },
        ),
        type="kubernetes.io/dockerconfigjson",
        data={".dockerconfigjson": base64.b64encode(json.dumps(blob).encode()).decode()},
    )


def test_objects_are_counted_and_follow_changes(
    api: client.CoreV1Api, namespace: str, metrics_url: str
) -> None:
    before = value(metrics_url, "imagepull_exporter_objects", resource="secrets") or 0
    expires = float(int(time.time()) + 3 * 86400)
    api.create_namespaced_secret(namespace, pull_secret("registry", namespace, expires))
    within_deadline(
        lambda: value(metrics_url, "imagepull_exporter_objects", resource="secrets") == before + 1
    )
    within_deadline(
        lambda: (
            value(
                metrics_url,
                "imagepull_credential_expiry_timestamp_seconds",
                namespace=namespace,
                secret="registry",
                registry="registry.example.com",
                source="annotation",
            )
            == expires
        )
    )
    api.patch_namespaced_secret(
        "registry", namespace, {"metadata": {"annotations": {
            "imagepull-exporter/expires-at": "2030-01-01T00:00:00Z"}}},
    )  # fmt: skip
    within_deadline(
        lambda: (
            value(metrics_url, "imagepull_credential_expiry_timestamp_seconds", secret="registry")
            == 1893456000.0
        )
    )
    api.create_namespaced_service_account(
        namespace,
        client.V1ServiceAccount(
            metadata=client.V1ObjectMeta(name="builder"),
            image_pull_secrets=[client.V1LocalObjectReference(name="registry")],
        ),
    )
    within_deadline(
        lambda: (
            value(metrics_url, "imagepull_exporter_objects", resource="serviceaccounts") is not None
        )
    )
    api.delete_namespaced_secret("registry", namespace)
    within_deadline(
        lambda: value(metrics_url, "imagepull_secret_info", namespace=namespace) is None
    )
    assert CANARY not in repr(samples(metrics_url))


@pytest.mark.skipif(bool(REAL_CLUSTER), reason="a real kubelet owns pod status")
def test_pod_in_image_pull_backoff_shows_its_cause(
    api: client.CoreV1Api, namespace: str, metrics_url: str
) -> None:
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="api-1", namespace=namespace),
        spec=client.V1PodSpec(
            containers=[client.V1Container(name="api", image="ghcr.io/acme/api:2")],
            image_pull_secrets=[client.V1LocalObjectReference(name="ghcr")],
        ),
    )
    api.create_namespaced_pod(namespace, pod)
    message = (
        'failed to pull and unpack image "ghcr.io/acme/api:2": failed to resolve reference '
        '"ghcr.io/acme/api:2": failed to authorize: failed to fetch oauth token: unexpected '
        "status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fapi%3Apull"
        "&service=ghcr.io: 401 Unauthorized"
    )
    status = {"status": {"phase": "Pending", "containerStatuses": [{
        "name": "api", "image": "ghcr.io/acme/api:2", "imageID": "", "ready": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": "ImagePullBackOff", "message": message}}}]}}  # fmt: skip
    api.patch_namespaced_pod_status("api-1", namespace, status)
    labels = {"namespace": namespace, "registry": "ghcr.io", "cause": "auth"}
    within_deadline(lambda: value(metrics_url, "imagepull_containers_waiting", **labels) == 1.0)
    assert value(metrics_url, "imagepull_secret_missing", namespace=namespace, secret="ghcr")
    api.delete_namespaced_pod("api-1", namespace)
    within_deadline(lambda: value(metrics_url, "imagepull_containers_waiting", **labels) is None)


def test_referenced_secret_of_the_wrong_type_is_reported(
    api: client.CoreV1Api, namespace: str, metrics_url: str
) -> None:
    opaque = client.V1Secret(
        metadata=client.V1ObjectMeta(name="opaque-creds"),
        type="Opaque",
        data={"password": base64.b64encode(CANARY.encode()).decode()},
    )
    api.create_namespaced_secret(namespace, opaque)
    api.create_namespaced_service_account(
        namespace,
        client.V1ServiceAccount(
            metadata=client.V1ObjectMeta(name="deployer"),
            image_pull_secrets=[client.V1LocalObjectReference(name="opaque-creds")],
        ),
    )
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="deployer-1"),
        spec=client.V1PodSpec(
            service_account_name="deployer",
            containers=[client.V1Container(name="app", image="registry.example.com/app:1")],
        ),
    )
    api.create_namespaced_pod(namespace, pod)
    labels = {"namespace": namespace, "secret": "opaque-creds"}
    within_deadline(
        lambda: (
            value(metrics_url, "imagepull_secret_problem", problem="wrong_type", **labels) == 1.0
        )
    )
    assert value(metrics_url, "imagepull_secret_missing", **labels) is None
    assert CANARY not in repr(samples(metrics_url))
    api.delete_namespaced_pod("deployer-1", namespace)
