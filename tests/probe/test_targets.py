"""Planning a round: one probe per distinct credential and registry key, aimed at an
image pods run."""

from __future__ import annotations

import base64
import json

from exporter.probe.settings import ProbeSettings
from exporter.probe.targets import ProbeTarget, plan_round
from exporter.state.cluster import ClusterState


def pull_secret(namespace: str, name: str, auths: dict[str, tuple[str, str]]) -> dict[str, object]:
    config = {"auths": {key: {"username": u, "password": p} for key, (u, p) in auths.items()}}
    value = base64.b64encode(json.dumps(config).encode()).decode()
    return {
        "metadata": {"namespace": namespace, "name": name, "uid": f"{namespace}-{name}"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": value},
    }


def pod(namespace: str, name: str, secrets: list[str], *images: str) -> dict[str, object]:
    return {
        "metadata": {"namespace": namespace, "name": name, "uid": f"{namespace}-{name}"},
        "spec": {
            "imagePullSecrets": [{"name": s} for s in secrets],
            "containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)],
        },
    }


def state_with(*objects: dict[str, object]) -> ClusterState:
    state = ClusterState()
    secrets, pods = state.secrets.partition(), state.pods.partition()
    for obj in objects:
        (secrets if "data" in obj else pods).upsert(obj)
    return state


def summary(targets: list[ProbeTarget]) -> list[tuple[object, ...]]:
    return [(t.registry, t.host, t.repository, t.reference, t.secrets) for t in targets]


def test_same_credential_in_two_namespaces_is_probed_once() -> None:
    login = {"ghcr.io": ("bot", "pat")}
    state = state_with(
        pull_secret("a", "ghcr", login),
        pull_secret("b", "ghcr-copy", login),
        pod("a", "api", ["ghcr"], "ghcr.io/acme/api:1.2"),
    )
    assert summary(plan_round(state, ProbeSettings())) == [
        ("ghcr.io", "ghcr.io", "acme/api", "1.2", (("a", "ghcr"), ("b", "ghcr-copy"))),
    ]


def test_different_credentials_for_one_registry_are_probed_apart() -> None:
    state = state_with(
        pull_secret("a", "one", {"ghcr.io": ("bot", "pat-1")}),
        pull_secret("a", "two", {"ghcr.io": ("bot", "pat-2")}),
    )
    targets = plan_round(state, ProbeSettings())
    assert len(targets) == 2
    assert {t.secrets for t in targets} == {(("a", "one"),), (("a", "two"),)}


def test_scope_is_the_image_most_pods_run() -> None:
    state = state_with(
        pull_secret("a", "hub", {"https://index.docker.io/v1/": ("u", "p")}),
        pod("a", "p1", ["hub"], "acme/web:2", "ghcr.io/other/x:1"),
        pod("a", "p2", ["hub"], "acme/web:2"),
        pod("a", "p3", ["hub"], "nginx@sha256:" + "a" * 64),
    )
    assert summary(plan_round(state, ProbeSettings())) == [
        ("index.docker.io", "docker.io", "acme/web", "2", (("a", "hub"),)),
    ]


def test_glob_key_is_probed_at_the_host_pods_pull_from() -> None:
    state = state_with(
        pull_secret("a", "acr", {"*.azurecr.io": ("00000000-0000", "token")}),
        pull_secret("a", "unused-glob", {"*.example.com": ("u", "p")}),
        pod("a", "p", ["acr"], "myreg.azurecr.io/team/api:7"),
    )
    assert summary(plan_round(state, ProbeSettings())) == [
        ("*.azurecr.io", "myreg.azurecr.io", "team/api", "7", (("a", "acr"),)),
    ]


def test_a_stored_key_is_matched_as_stored() -> None:
    # kubelet strips one /v1/ or /v2/: the key ghcr.io/v1/v2/acme is kept as
    # ghcr.io/v2/acme, which normalising again would turn into ghcr.io/acme
    state = state_with(
        pull_secret("a", "s", {"ghcr.io/v1/v2/acme": ("bot", "pat")}),
        pod("a", "p", ["s"], "ghcr.io/v2/acme/app:1"),
    )
    assert summary(plan_round(state, ProbeSettings())) == [
        ("ghcr.io/v2/acme", "ghcr.io", "v2/acme/app", "1", (("a", "s"),)),
    ]


def test_unused_key_is_probed_without_a_repository() -> None:
    state = state_with(pull_secret("a", "s", {"registry.local:5000/team": ("u", "p")}))
    assert summary(plan_round(state, ProbeSettings())) == [
        ("registry.local:5000/team", "registry.local:5000", None, None, (("a", "s"),)),
    ]


def test_allow_and_deny_lists() -> None:
    state = state_with(
        pull_secret("a", "s", {"ghcr.io": ("u", "p"), "quay.io": ("u", "p"),
                               "index.docker.io": ("u", "p")}),
    )  # fmt: skip
    allowed = plan_round(state, ProbeSettings(allow=("ghcr.io", "quay.*")))
    assert [t.registry for t in allowed] == ["ghcr.io", "quay.io"]
    denied = plan_round(state, ProbeSettings(deny=("*.io",)))
    assert denied == []


def test_service_account_secrets_count_as_the_pods() -> None:
    state = state_with(pull_secret("a", "sa-secret", {"ghcr.io": ("u", "p")}))
    state.serviceaccounts.partition().upsert(
        {"metadata": {"namespace": "a", "name": "builder"},
         "imagePullSecrets": [{"name": "sa-secret"}]}
    )  # fmt: skip
    state.pods.partition().upsert(
        {"metadata": {"namespace": "a", "name": "p", "uid": "u"},
         "spec": {"serviceAccountName": "builder",
                  "containers": [{"name": "c", "image": "ghcr.io/acme/job:3"}]}}
    )  # fmt: skip
    [target] = plan_round(state, ProbeSettings())
    assert (target.repository, target.reference) == ("acme/job", "3")
