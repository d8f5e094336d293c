"""End to end, every credential metric exact: ``simulate`` and the exporter as
subprocesses, a mixed set of pull secrets (made by ``kubectl``), an Opaque secret, a
service account and pods (made with the official client), then updates and deletions.

After each change the whole set of credential series of the test's two namespaces must
equal the expected one within the issue's 2 s. The fixtures (and
``IMAGEPULL_E2E_KUBECONFIG`` for a real cluster) are those of ``test_end_to_end.py``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from kubernetes import client

from exporter.metrics.credentials import METRICS
from tests.cli.conftest import DEADLINE, samples, start_exporter, stop, temporary_namespace

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed")

CREDENTIAL_METRICS = frozenset(spec.name for spec in METRICS)
ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
# Planted in every secret; none may reach /metrics.
CANARIES = ("ghp_CANARYe2eTOKEN1234567890abcdefghijkl", "dckr_pat_CANARYe2e5sQkLWOj2Iuq",
            "canary-e2e-mixed-pw-5c1d", "canary-e2e-rotated-pw-77aa")  # fmt: skip
GHCR_PAT, HUB_PAT, PASSWORD, ROTATED_PASSWORD = CANARIES

Key = tuple[str, frozenset[tuple[str, str]]]
MISSING, UNCOVERED = "imagepull_secret_missing", "imagepull_registry_uncovered_pods"
REFERENCING, VALID = "imagepull_secret_referencing_pods", "imagepull_secret_valid"
PROBLEM, INFO = "imagepull_secret_problem", "imagepull_credential_info"
EXPIRY = "imagepull_credential_expiry_timestamp_seconds"
ISSUED = "imagepull_credential_issued_timestamp_seconds"


def key(name: str, namespace: str, **labels: str) -> Key:
    assert name in CREDENTIAL_METRICS, name
    return name, frozenset({"namespace": namespace, **labels}.items())


def b64(raw: str | bytes) -> str:
    return base64.b64encode(raw.encode() if isinstance(raw, str) else raw).decode()


def unix(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


class Cluster:
    """The test's view of the cluster: kubectl, the official client, and what the
    exporter must say about the two namespaces."""

    def __init__(self, kubeconfig: Path, api: client.CoreV1Api, a: str, b: str) -> None:
        self.kubeconfig, self.api, self.a, self.b = kubeconfig, api, a, b
        self.expected: dict[Key, float] = {}

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        assert KUBECTL is not None
        cache = self.kubeconfig.parent / "kubectl-cache"
        done = subprocess.run(
            [KUBECTL, f"--kubeconfig={self.kubeconfig}", f"--cache-dir={cache}", *args],
            input=stdin, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def made_by_kubectl(self, namespace: str, name: str, *flags: str) -> dict[str, Any]:
        """``kubectl create secret docker-registry --dry-run=client -o yaml``, as a dict."""
        made = self.kubectl("create", "secret", "docker-registry", name, "--namespace",
                            namespace, *flags, "--dry-run=client", "-o", "yaml")  # fmt: skip
        secret = yaml.safe_load(made)
        assert isinstance(secret, dict)
        return secret

    def apply(self, obj: dict[str, Any]) -> None:
        self.kubectl("apply", "-f", "-", stdin=json.dumps(obj))

    def raw_secret(self, namespace: str, name: str) -> dict[str, Any]:
        response = self.api.read_namespaced_secret(name, namespace, _preload_content=False)
        document: dict[str, Any] = json.loads(response.data)
        return document

    def expect_secret(self, namespace: str, name: str, *, referenced_by: int = 0) -> None:
        """The per-secret series of a pull secret, times read back from the API: created
        is its creationTimestamp, last rotated the newest managedFields time of a manager
        owning its data (else creation)."""
        meta = self.raw_secret(namespace, name)["metadata"]
        created = unix(meta["creationTimestamp"])
        writes = [unix(e["time"]) for e in meta.get("managedFields", [])
                  if {"f:data", "f:stringData"} & set(e.get("fieldsV1", {}))]  # fmt: skip
        secret_type = self.raw_secret(namespace, name)["type"]
        self.expected |= {
            key("imagepull_secret_info", namespace, secret=name, type=secret_type): 1.0,
            key("imagepull_secret_created_timestamp_seconds", namespace, secret=name): created,
            key("imagepull_secret_last_rotated_timestamp_seconds", namespace, secret=name):
                max(writes, default=created),
            key("imagepull_secret_valid", namespace, secret=name): 1.0,
            key("imagepull_secret_referencing_pods", namespace, secret=name):
                float(referenced_by),
        }  # fmt: skip

    def forget(self, namespace: str, secret: str) -> None:
        """Drop every expected series of one secret (all metrics but missing/uncovered)."""
        for k in [
            k
            for k in self.expected
            if ("secret", secret) in k[1]
            and ("namespace", namespace) in k[1]
            and k[0] != "imagepull_secret_missing"
        ]:
            del self.expected[k]  # fmt: skip

    def set(self, k: Key, value: float | None) -> None:
        if value is None:
            self.expected.pop(k, None)
        else:
            self.expected[k] = value

    def actual(self, url: str) -> dict[Key, float]:
        found = samples(url)
        text = repr(found)
        for canary in CANARIES:
            assert canary not in text
        return {
            k: v
            for k, v in found.items()
            if k[0] in CREDENTIAL_METRICS and dict(k[1]).get("namespace") in (self.a, self.b)
        }

    def settle(self, url: str, step: str) -> None:
        """The exporter's credential series equal the expected ones within the deadline."""
        started = time.monotonic()
        while (actual := self.actual(url)) != self.expected:
            if time.monotonic() - started > DEADLINE:
                assert actual == self.expected, f"{step}: not reflected within {DEADLINE}s"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def metrics_url(cluster: Path) -> Iterator[str]:
    exporter, url = start_exporter(cluster)
    yield url
    stderr = stop(exporter)  # the exporter logs at debug level
    assert "Traceback" not in stderr
    for canary in CANARIES:
        assert canary not in stderr


@pytest.fixture(scope="module")
def other_namespace(api: client.CoreV1Api) -> Iterator[str]:
    yield from temporary_namespace(api, "imagepull-e2e-b")


def _pod(
    name: str, images: list[str], secrets: Sequence[str] = (), account: str | None = None
) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(
            service_account_name=account,
            image_pull_secrets=[client.V1LocalObjectReference(name=s) for s in secrets] or None,
            containers=[client.V1Container(name=f"c{i}", image=im) for i, im in enumerate(images)],
        ),
    )


def _account(names: list[str]) -> client.V1ServiceAccount:
    return client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="builder"),
        image_pull_secrets=[client.V1LocalObjectReference(name=n) for n in names],
    )


def _create_mixed_set(c: Cluster, now: int) -> dict[str, float]:
    """The secrets, account and pods; returns the token times the exporter must decode."""
    a, b = c.a, c.b
    ghcr = c.made_by_kubectl(
        a,
        "ghcr",
        "--docker-server=https://ghcr.io",
        "--docker-username=octocat",
        f"--docker-password={GHCR_PAT}",
    )
    ghcr["metadata"]["annotations"] = {
        "imagepull-exporter/expires-at.ghcr.io": "2030-01-01T00:00:00Z"
    }
    c.apply(ghcr)
    c.apply(c.made_by_kubectl(a, "hub", "--docker-username=acme", f"--docker-password={HUB_PAT}"))
    times = {"ecr_exp": float(now + 11 * 3600), "jwt_exp": float(now + 5 * 86400),
             "jwt_iat": float(now - 3600)}  # fmt: skip
    envelope = b64(
        json.dumps(
            {
                "payload": "cGF5bG9hZA==",
                "datakey": "ZGF0YWtleQ==",
                "version": "2",
                "type": "DATA_KEY",
                "expiration": int(times["ecr_exp"]),
            }
        )
    )
    config = c.kubeconfig.parent / "multi-config.json"
    config.write_text(
        json.dumps(
            {
                "auths": {
                    f"https://{ECR_HOST}": {"auth": b64(f"AWS:{envelope}")},
                    "quay.io": {"auth": b64(f"acme+bot:{PASSWORD}")},
                }
            }
        )
    )
    c.apply(c.made_by_kubectl(a, "multi", f"--from-file=.dockerconfigjson={config}"))
    token = jwt.encode({"exp": int(times["jwt_exp"]), "iat": int(times["jwt_iat"]),
                        "iss": "harbor-token-issuer"}, "k" * 32, algorithm="HS256")  # fmt: skip
    c.apply(
        c.made_by_kubectl(
            a,
            "harbor",
            "--docker-server=harbor.example.com",
            "--docker-username=robot$ci",
            f"--docker-password={token}",
        )
    )
    # a hand-written auth without the colon: kubectl cannot make it, so it is edited in
    bad = c.made_by_kubectl(a, "bad", "--docker-server=quay.io", "--docker-username=u",
                            f"--docker-password={PASSWORD}")  # fmt: skip
    bad["data"][".dockerconfigjson"] = b64(
        json.dumps({"auths": {"quay.io": {"auth": b64(f"u{PASSWORD}")}}})
    )
    c.apply(bad)
    c.kubectl("create", "secret", "generic", "opaque", "--namespace", a,
              f"--from-literal=password={PASSWORD}")  # fmt: skip
    c.api.create_namespaced_secret(
        a,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="legacy"),
            type="kubernetes.io/dockercfg",
            data={
                ".dockercfg": b64(
                    json.dumps(
                        {
                            "https://index.docker.io/v1/": {
                                "auth": b64(f"acme:{PASSWORD}"),
                                "email": "ops@example.com",
                            }
                        }
                    )
                )
            },
        ),
    )
    c.apply(
        c.made_by_kubectl(
            b,
            "only-b",
            "--docker-server=harbor.example.com",
            "--docker-username=robot",
            f"--docker-password={PASSWORD}",
        )
    )
    c.api.create_namespaced_service_account(a, _account(["ghcr", "only-b", "nothere"]))
    for pod in (
        _pod("p1", ["ghcr.io/acme/api:1", "nginx", "quay.io/z/w:1"], account="builder"),
        _pod("p2", ["nginx:1", "registry.local:5000/app", "quay.io/q/r"], ["hub", "bad"]),
        _pod("p3", ["quay.io/public/img"]),  # public: no secret, never uncovered
        _pod("p4", ["ghcr.io/x/y:1"], ["opaque"]),
        _pod("p5", ["ghcr.io/x/y:2"], ["ghcr"], account="builder"),
        _pod("p6", [f"{ECR_HOST}/app:1", "harbor.example.com/x/y:1", "quay.io/m/n"],
             ["multi", "harbor"]),
    ):  # fmt: skip
        c.api.create_namespaced_pod(a, pod)
    return times


def test_every_credential_metric_is_exact_and_follows_changes(  # noqa: PLR0915 (one scenario)
    cluster: Path,
    api: client.CoreV1Api,
    namespace: str,
    other_namespace: str,
    metrics_url: str,
) -> None:
    c = Cluster(cluster, api, namespace, other_namespace)
    a, b = namespace, other_namespace
    times = _create_mixed_set(c, int(time.time()))

    for ns, name, pods in ((a, "ghcr", 2), (a, "hub", 1), (a, "multi", 1), (a, "harbor", 1),
                           (a, "bad", 1), (a, "legacy", 0), (b, "only-b", 0)):  # fmt: skip
        c.expect_secret(ns, name, referenced_by=pods)
    c.expected |= {
        key(VALID, a, secret="bad"): 0.0,
        key(PROBLEM, a, secret="bad", problem="invalid_base64"): 1.0,
        key(VALID, a, secret="opaque"): 0.0,  # referenced, of a type kubelet ignores
        key(PROBLEM, a, secret="opaque", problem="wrong_type"): 1.0,
        key(REFERENCING, a, secret="opaque"): 1.0,
        key(MISSING, a, secret="only-b", found_in_other_namespace="true"): 2.0,
        key(MISSING, a, secret="nothere", found_in_other_namespace="false"): 2.0,
        key(INFO, a, secret="ghcr", registry="ghcr.io", kind="github_pat"): 1.0,
        key(INFO, a, secret="hub", registry="index.docker.io", kind="dockerhub_pat"): 1.0,
        key(INFO, a, secret="multi", registry=ECR_HOST, kind="ecr"): 1.0,
        key(INFO, a, secret="multi", registry="quay.io", kind="basic"): 1.0,
        key(INFO, a, secret="harbor", registry="harbor.example.com", kind="jwt"): 1.0,
        key(INFO, a, secret="bad", registry="quay.io", kind="unknown"): 1.0,
        key(INFO, a, secret="legacy", registry="index.docker.io", kind="basic"): 1.0,
        key(INFO, b, secret="only-b", registry="harbor.example.com", kind="basic"): 1.0,
        key(EXPIRY, a, secret="ghcr", registry="ghcr.io", kind="github_pat", source="annotation"):
            1_893_456_000.0,
        key(EXPIRY, a, secret="multi", registry=ECR_HOST, kind="ecr", source="token"):
            times["ecr_exp"],
        key(EXPIRY, a, secret="harbor", registry="harbor.example.com", kind="jwt", source="token"):
            times["jwt_exp"],
        key(ISSUED, a, secret="multi", registry=ECR_HOST, kind="ecr"): times["ecr_exp"] - 12 * 3600,
        key(ISSUED, a, secret="harbor", registry="harbor.example.com", kind="jwt"):
            times["jwt_iat"],
        # p1 pulls nginx and quay.io with only ghcr.io covered; p2's registry.local:5000 has
        # no key; p4's only secret is Opaque; p3 has no secret and counts nowhere
        key(UNCOVERED, a, registry="docker.io"): 1.0,
        key(UNCOVERED, a, registry="quay.io"): 1.0,
        key(UNCOVERED, a, registry="registry.local:5000"): 1.0,
        key(UNCOVERED, a, registry="ghcr.io"): 1.0,
    }  # fmt: skip
    assert {k[0] for k in c.expected} == CREDENTIAL_METRICS  # every metric is exercised
    c.settle(metrics_url, "mixed set")

    # the service account's secret deleted: missing for both its pods, ghcr.io uncovered
    api.delete_namespaced_secret("ghcr", a)
    c.forget(a, "ghcr")
    c.set(key(MISSING, a, secret="ghcr", found_in_other_namespace="false"), 2.0)
    c.set(key(UNCOVERED, a, registry="ghcr.io"), 3.0)  # p1, p4, p5
    c.settle(metrics_url, "delete ghcr")

    # made again, in the wrong namespace
    c.apply(
        c.made_by_kubectl(
            b,
            "ghcr",
            "--docker-server=ghcr.io",
            "--docker-username=octocat",
            f"--docker-password={GHCR_PAT}",
        )
    )
    c.expect_secret(b, "ghcr")
    c.set(key(INFO, b, secret="ghcr", registry="ghcr.io", kind="github_pat"), 1.0)
    c.set(key(MISSING, a, secret="ghcr", found_in_other_namespace="false"), None)
    c.set(key(MISSING, a, secret="ghcr", found_in_other_namespace="true"), 2.0)
    c.settle(metrics_url, "ghcr created in the other namespace")

    # the service account no longer lists "nothere" (a PUT: its list is atomic)
    api.replace_namespaced_service_account("builder", a, _account(["ghcr", "only-b"]))
    c.set(key(MISSING, a, secret="nothere", found_in_other_namespace="false"), None)
    c.settle(metrics_url, "service account updated")

    # a pod deleted: its references and the registries only it pulled go
    api.delete_namespaced_pod("p1", a, grace_period_seconds=0)
    c.set(key(MISSING, a, secret="ghcr", found_in_other_namespace="true"), 1.0)
    c.set(key(MISSING, a, secret="only-b", found_in_other_namespace="true"), 1.0)
    c.set(key(UNCOVERED, a, registry="docker.io"), None)
    c.set(key(UNCOVERED, a, registry="quay.io"), None)
    c.set(key(UNCOVERED, a, registry="ghcr.io"), 2.0)  # p4, p5
    c.settle(metrics_url, "delete p1")

    # an owner-declared expiry: a metadata-only write, last rotated stays
    c.kubectl("annotate", "secret", "hub", "--namespace", a,
              "imagepull-exporter/expires-at=2029-01-01T00:00:00Z")  # fmt: skip
    hub = {"secret": "hub", "registry": "index.docker.io", "kind": "dockerhub_pat"}
    c.set(key(EXPIRY, a, source="annotation", **hub), 1_861_920_000.0)
    c.settle(metrics_url, "annotate hub")

    # rotated by kubectl apply, a second later than it was made
    created = key("imagepull_secret_created_timestamp_seconds", a, secret="hub")
    while time.time() < c.expected[created] + 1.0:
        time.sleep(0.05)
    c.apply(
        c.made_by_kubectl(
            a, "hub", "--docker-username=acme", f"--docker-password={ROTATED_PASSWORD}"
        )
    )
    rotated = key("imagepull_secret_last_rotated_timestamp_seconds", a, secret="hub")
    before = c.expected[rotated]
    c.expect_secret(a, "hub", referenced_by=1)
    assert c.expected[rotated] > before
    c.set(key(INFO, a, **hub), None)
    c.set(key(EXPIRY, a, source="annotation", **hub), None)
    hub["kind"] = "basic"
    c.set(key(INFO, a, **hub), 1.0)
    c.set(key(EXPIRY, a, source="annotation", **hub), 1_861_920_000.0)
    c.settle(metrics_url, "rotate hub")

    # the malformed secret fixed with a patch of its data
    good = b64(json.dumps({"auths": {"quay.io": {"auth": b64(f"u:{PASSWORD}")}}}))
    api.patch_namespaced_secret("bad", a, {"data": {".dockerconfigjson": good}})
    c.expect_secret(a, "bad", referenced_by=1)
    c.set(key(PROBLEM, a, secret="bad", problem="invalid_base64"), None)
    c.set(key(INFO, a, secret="bad", registry="quay.io", kind="unknown"), None)
    c.set(key(INFO, a, secret="bad", registry="quay.io", kind="basic"), 1.0)
    c.settle(metrics_url, "fix bad")

    # the Opaque secret deleted: now simply missing
    api.delete_namespaced_secret("opaque", a)
    c.forget(a, "opaque")
    c.set(key(MISSING, a, secret="opaque", found_in_other_namespace="false"), 1.0)
    c.settle(metrics_url, "delete opaque")
    api.delete_namespaced_pod("p4", a, grace_period_seconds=0)
    c.set(key(MISSING, a, secret="opaque", found_in_other_namespace="false"), None)
    c.set(key(UNCOVERED, a, registry="ghcr.io"), 1.0)  # p5
    c.settle(metrics_url, "delete p4")

    # the other namespace's copy deleted: never made, as far as the exporter can tell
    api.delete_namespaced_secret("only-b", b)
    c.forget(b, "only-b")
    c.set(key(MISSING, a, secret="only-b", found_in_other_namespace="true"), None)
    c.set(key(MISSING, a, secret="only-b", found_in_other_namespace="false"), 1.0)
    c.settle(metrics_url, "delete only-b")

    # the service account deleted: p5 keeps only its own reference
    api.delete_namespaced_service_account("builder", a)
    c.set(key(MISSING, a, secret="only-b", found_in_other_namespace="false"), None)
    c.settle(metrics_url, "delete the service account")

    # everything deleted: nothing left of either namespace
    for pod in ("p2", "p3", "p5", "p6"):
        api.delete_namespaced_pod(pod, a, grace_period_seconds=0)
    for ns, name in ((a, "hub"), (a, "multi"), (a, "harbor"), (a, "bad"), (a, "legacy"),
                     (b, "ghcr")):  # fmt: skip
        api.delete_namespaced_secret(name, ns)
    c.expected.clear()
    c.settle(metrics_url, "delete everything")
