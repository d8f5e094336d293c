"""End to end: ``simulate`` and the exporter as subprocesses (tests/cli/conftest.py), objects
made with the official client, ``/metrics`` read over HTTP.

Set ``IMAGEPULL_E2E_KUBECONFIG`` to run the same tests against a real cluster instead of
the simulator: they work in a namespace of their own and delete it afterwards. Container
states are written through the pods ``/status`` subresource, which only the simulator
keeps (a real kubelet overwrites it), so that one test runs on the simulator only.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from tests.cli.conftest import REAL_CLUSTER, samples, start_exporter, stop, value, within_deadline


@pytest.fixture(scope="module")
def metrics_url(cluster: Path) -> Iterator[str]:
    exporter, url = start_exporter(cluster)
    yield url
    stderr = stop(exporter)
    assert "Traceback" not in stderr
    assert CANARY not in stderr


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
    accounts = counted(metrics_url, "serviceaccounts")
    api.create_namespaced_service_account(
        namespace,
        client.V1ServiceAccount(
            metadata=client.V1ObjectMeta(name="builder"),
            image_pull_secrets=[client.V1LocalObjectReference(name="registry")],
        ),
    )
    within_deadline(lambda: count_is(metrics_url, "serviceaccounts", accounts + 1))
    pods = counted(metrics_url, "pods")
    api.create_namespaced_pod(namespace, _pod("counted", "builder"))
    within_deadline(lambda: count_is(metrics_url, "pods", pods + 1))
    within_deadline(
        lambda: value(metrics_url, "imagepull_secret_referencing_pods", namespace=namespace,
                      secret="registry") == 1.0  # through the service account
    )  # fmt: skip
    api.patch_namespaced_service_account("builder", namespace, {"imagePullSecrets": []})
    within_deadline(
        lambda: value(metrics_url, "imagepull_secret_referencing_pods", namespace=namespace,
                      secret="registry") == 0.0
    )  # fmt: skip
    api.delete_namespaced_pod("counted", namespace, grace_period_seconds=0)
    within_deadline(lambda: count_is(metrics_url, "pods", pods))
    api.delete_namespaced_service_account("builder", namespace)
    within_deadline(lambda: count_is(metrics_url, "serviceaccounts", accounts))
    api.delete_namespaced_secret("registry", namespace)
    within_deadline(
        lambda: value(metrics_url, "imagepull_secret_info", namespace=namespace) is None
    )
    within_deadline(lambda: count_is(metrics_url, "secrets", before))
    assert CANARY not in repr(samples(metrics_url))


def counted(metrics_url: str, resource: str) -> float:
    return value(metrics_url, "imagepull_exporter_objects", resource=resource) or 0.0


def count_is(metrics_url: str, resource: str, expected: float) -> bool:
    """``imagepull_exporter_objects`` is ``expected`` (on the simulator; on a real cluster
    other namespaces change meanwhile, and its own objects show in per-object series)."""
    return bool(REAL_CLUSTER) or counted(metrics_url, resource) == expected


def _pod(name: str, account: str) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(
            service_account_name=account,
            containers=[client.V1Container(name="c", image="registry.k8s.io/pause:3.9")],
        ),
    )


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
