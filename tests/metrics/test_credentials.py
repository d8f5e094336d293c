"""The credential metrics of exporter/metrics/credentials.py, exact, on in-memory states."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
from prometheus_client.parser import text_string_to_metric_families

from exporter.metrics.exposition import Exposition
from exporter.state.cluster import ClusterState

NOW = 1_780_000_000
ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def pull_secret(name: str, auths: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "a", "name": name, **meta},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": b64(json.dumps({"auths": auths}))},
    }


def pod(name: str, secrets: list[str], images: list[str], account: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "imagePullSecrets": [{"name": s} for s in secrets],
        "containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)],
    }
    if account:
        spec["serviceAccountName"] = account
    return {"metadata": {"namespace": "a", "name": name}, "spec": spec}


def state_of(*objects: dict[str, Any]) -> ClusterState:
    state = ClusterState(clock=lambda: float(NOW))
    sinks = {"Secret": state.secrets.partition(), "Pod": state.pods.partition(),
             "ServiceAccount": state.serviceaccounts.partition()}  # fmt: skip
    for raw in objects:
        kind = raw.pop("kind", "Secret" if "type" in raw else "Pod")
        sinks[kind].upsert(raw)
    return state


def samples(state: ClusterState, prefix: str) -> Samples:
    text = Exposition(state).render().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith(prefix)
    }


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset({"namespace": "a", **labels}.items())


AUTH = {"auth": b64("u:p")}


def test_uncovered_pods_follow_kubelets_matching() -> None:
    state = state_of(
        pull_secret("ghcr", {"ghcr.io": AUTH}),
        # two pods whose secret does not cover quay.io: counted once each
        pod("p1", ["ghcr"], ["ghcr.io/x/y", "quay.io/z/w", "quay.io/z/v"]),
        pod("p2", ["ghcr"], ["quay.io/z/w"]),
        # public images without any pull secret are not uncovered
        pod("public", [], ["quay.io/public/img", "nginx"]),
        # a pod whose only secret is missing pulls without credentials: uncovered
        pod("orphan", ["gone"], ["registry.local:5000/app"]),
    )
    assert samples(state, "imagepull_registry_uncovered_pods") == {
        key("imagepull_registry_uncovered_pods", registry="quay.io"): 2.0,
        key("imagepull_registry_uncovered_pods", registry="registry.local:5000"): 1.0,
    }


def test_a_stored_key_is_not_normalised_twice() -> None:
    # kubelet keys "https://ghcr.io/v1/v2/x" as ghcr.io/v2/x, which covers ghcr.io/v2/x/app
    state = state_of(pull_secret("odd", {"https://ghcr.io/v1/v2/x": AUTH}),
                     pod("p", ["odd"], ["ghcr.io/v2/x/app:1"]))  # fmt: skip
    assert samples(state, "imagepull_registry_uncovered_pods") == {}


def test_referencing_pods_counts_every_pod_direct_or_through_its_account() -> None:
    account = {"kind": "ServiceAccount", "metadata": {"namespace": "a", "name": "builder"},
               "imagePullSecrets": [{"name": "shared"}]}  # fmt: skip
    state = state_of(
        pull_secret("shared", {"ghcr.io": AUTH}),
        pull_secret("unused", {"ghcr.io": AUTH}),
        account,
        pod("direct", ["shared"], ["ghcr.io/x/y"]),
        pod("via-account", [], ["ghcr.io/x/y"], account="builder"),
        pod("both", ["shared"], ["ghcr.io/x/y"], account="builder"),  # once, not twice
    )
    assert samples(state, "imagepull_secret_referencing_pods") == {
        key("imagepull_secret_referencing_pods", secret="shared"): 3.0,
        key("imagepull_secret_referencing_pods", secret="unused"): 0.0,
    }


def test_created_rotated_expiry_and_issued_timestamps() -> None:
    token = jwt.encode({"exp": NOW + 7200, "iat": NOW - 3600}, "k" * 32, algorithm="HS256")
    envelope = b64(json.dumps({"payload": "cA==", "expiration": NOW + 39600}))
    state = state_of(
        pull_secret("harbor", {"harbor.example.com": {"username": "robot", "password": token}},
                    creationTimestamp="2026-05-01T00:00:00Z"),
        pull_secret("ecr", {ECR_HOST: {"username": "AWS", "password": envelope}},
                    creationTimestamp="2026-05-02T00:00:00Z",
                    managedFields=[{"manager": "rotator", "time": "2026-05-28T19:00:00Z",
                                    "fieldsV1": {"f:data": {}}}]),
        pull_secret("pat", {"ghcr.io": {"username": "o", "password": "ghp_" + "a" * 36}},
                    creationTimestamp="2026-05-03T00:00:00Z",
                    annotations={"imagepull-exporter/expires-at": "2026-06-01T00:00:00Z"}),
    )  # fmt: skip
    harbor = {"secret": "harbor", "registry": "harbor.example.com", "kind": "jwt"}
    ecr = {"secret": "ecr", "registry": ECR_HOST, "kind": "ecr"}
    pat = {"secret": "pat", "registry": "ghcr.io", "kind": "github_pat"}
    assert samples(state, "imagepull_secret_created") == {
        key("imagepull_secret_created_timestamp_seconds", secret="harbor"): 1_777_593_600.0,
        key("imagepull_secret_created_timestamp_seconds", secret="ecr"): 1_777_680_000.0,
        key("imagepull_secret_created_timestamp_seconds", secret="pat"): 1_777_766_400.0,
    }
    assert samples(state, "imagepull_secret_last_rotated") == {
        key("imagepull_secret_last_rotated_timestamp_seconds", secret="harbor"): 1_777_593_600.0,
        key("imagepull_secret_last_rotated_timestamp_seconds", secret="ecr"): 1_779_994_800.0,
        key("imagepull_secret_last_rotated_timestamp_seconds", secret="pat"): 1_777_766_400.0,
    }
    assert samples(state, "imagepull_credential_expiry") == {
        key("imagepull_credential_expiry_timestamp_seconds", source="token", **harbor):
            NOW + 7200.0,
        key("imagepull_credential_expiry_timestamp_seconds", source="token", **ecr):
            NOW + 39600.0,
        key("imagepull_credential_expiry_timestamp_seconds", source="annotation", **pat):
            1_780_272_000.0,
    }  # fmt: skip
    # issued: from iat, and for ECR expiration - 12 h; an opaque PAT says nothing
    assert samples(state, "imagepull_credential_issued") == {
        key("imagepull_credential_issued_timestamp_seconds", **harbor): NOW - 3600.0,
        key("imagepull_credential_issued_timestamp_seconds", **ecr): NOW - 3600.0,
    }
    assert samples(state, "imagepull_credential_info") == {
        key("imagepull_credential_info", **labels): 1.0 for labels in (harbor, ecr, pat)
    }
