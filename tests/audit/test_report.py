"""``build_report`` on in-memory cluster states: rows, exit decision, and fix commands."""

from __future__ import annotations

import base64
import json
import shlex
import time
from typing import Any

import pytest

from exporter.audit import Report, build_report, render_json, render_text
from exporter.metrics.view import ClusterView
from exporter.state.cluster import ClusterState

NOW = 1_780_000_000.0
DAY = 86400
JSON_TYPE = "kubernetes.io/dockerconfigjson"
ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def rfc3339(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def auth(user: str = "u", password: str = "p") -> dict[str, str]:
    return {"auth": b64(f"{user}:{password}")}


def secret(
    name: str,
    auths: dict[str, object],
    *,
    namespace: str = "a",
    annotations: dict[str, str] | None = None,
    rotated: float = NOW - DAY,
    secret_type: str = JSON_TYPE,
) -> dict[str, Any]:
    key = ".dockerconfigjson" if secret_type == JSON_TYPE else ".dockercfg"
    config = {"auths": auths} if secret_type == JSON_TYPE else auths
    return {
        "metadata": {"namespace": namespace, "name": name, "creationTimestamp": rfc3339(rotated),
                     "annotations": annotations or {}},
        "type": secret_type,
        "data": {key: b64(json.dumps(config))},
    }  # fmt: skip


def pod(
    name: str,
    secrets: list[str],
    images: list[str],
    *,
    namespace: str = "a",
    waiting: str | None = None,
    service_account: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "imagePullSecrets": [{"name": s} for s in secrets],
        "containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)],
    }
    if service_account:
        spec["serviceAccountName"] = service_account
    raw: dict[str, Any] = {"metadata": {"namespace": namespace, "name": name}, "spec": spec}
    if waiting:
        state = {"waiting": {"reason": "ErrImagePull", "message": waiting}}
        raw["status"] = {"containerStatuses": [{"name": "c0", "state": state}]}
    return raw


def report(*objects: dict[str, Any], other_secrets: tuple[str, ...] = ()) -> Report:
    state = ClusterState(clock=lambda: NOW)
    secrets, pods, others = (state.secrets.partition(), state.pods.partition(),
                             state.other_secrets.partition())  # fmt: skip
    for raw in objects:
        (secrets if "type" in raw else pods).upsert(raw)
    for name in other_secrets:
        others.upsert({"metadata": {"namespace": "a", "name": name}})
    return build_report(ClusterView(state), NOW)


def fixes_for(rep: Report, secret_name: str) -> list[tuple[str, ...]]:
    return [f.commands for f in rep.fixes if f.problem.startswith(f"a/{secret_name}:")]


def steps(command: str) -> list[str]:
    """The ``&&``-chained steps of a command, without the trailing ``; unset ...``."""
    body, _, unset = command.partition("; unset ")
    assert unset.startswith("TOKEN_1"), command
    return body.split(" && ")


TOKEN_STEPS = ["read -rsp 'new token for {r}: ' TOKEN_1", '[ -n "$TOKEN_1" ]', "export TOKEN_1"]


def token_steps(registry: str) -> list[str]:
    return [TOKEN_STEPS[0].format(r=registry), *TOKEN_STEPS[1:]]


def new_config(registry: str, user: str = "<user>") -> str:
    return (
        f"config=\"$(jq -nc --arg r1 {registry} --arg u1 {user} 'def entry($u; $p): "
        '{username: $u, password: $p, auth: ("\\($u):\\($p)" | @base64)}; '
        "{auths: {($r1): entry($u1; $ENV.TOKEN_1)}}')\""
    )


EXPIRED = {"imagepull-exporter/expires-at": rfc3339(NOW - 3600)}
NOT_FOUND = 'Failed to pull image "nginx": rpc error: code = NotFound desc = not found'
UNAUTHORIZED = 'Failed to pull image "ghcr.io/x/y": 401 Unauthorized'


# --- wrong_type (audit gap 1) ----------------------------------------------------------


def test_a_referenced_secret_of_the_wrong_type_is_malformed_not_missing() -> None:
    rep = report(pod("p10", ["opaque2"], ["registry.example.com/app:1"]),
                 other_secrets=("opaque2",))  # fmt: skip
    [row] = rep.credentials
    assert (row.secret, row.problems, row.status, row.pods) == (
        "opaque2", ("wrong_type",), "malformed", 1)  # fmt: skip
    assert rep.missing == []
    assert rep.needs_action
    [fix] = rep.fixes
    assert "wrong_type" in fix.problem
    [command] = fix.commands
    # the new config is made before anything is deleted, and a type cannot be changed
    assert steps(command) == [
        *token_steps("registry.example.com"),
        new_config("registry.example.com"),
        "kubectl delete secret opaque2 --namespace a",
        "printf '%s' \"$config\" | kubectl create secret docker-registry opaque2 "
        "--from-file=.dockerconfigjson=/dev/stdin --namespace a",
    ]
    assert "kubectl apply" not in command
    assert "exists in no namespace" not in render_text(rep)


# --- one command per secret, keeping its other entries (audit gap 2) ---------------------


def test_two_expired_registries_of_one_secret_are_one_command() -> None:
    multi = secret("multi", {"ghcr.io": auth(), "quay.io": auth()}, annotations=EXPIRED)
    rep = report(multi, pod("api-7d9f8b6c5d-x2k4q", ["multi"], ["ghcr.io/x/y"]))
    [commands] = fixes_for(rep, "multi")
    writes = [c for c in commands if "secret multi" in c and "annotate" not in c]
    assert len(writes) == 1
    [write] = writes
    *tokens, edit = steps(write)
    assert tokens == [
        "read -rsp 'new token for ghcr.io: ' TOKEN_1", '[ -n "$TOKEN_1" ]',
        "read -rsp 'new token for quay.io: ' TOKEN_2", '[ -n "$TOKEN_2" ]',
        "export TOKEN_1 TOKEN_2",
    ]  # fmt: skip
    assert write.endswith("; unset TOKEN_1 TOKEN_2")
    assert edit.startswith("kubectl get secret multi --namespace a -o json | jq ")
    assert edit.endswith(" | kubectl replace -f -")
    assert "entry($u1; $ENV.TOKEN_1), ($r2): entry($u2; $ENV.TOKEN_2)" in edit
    assert "--arg r1 ghcr.io" in write
    assert "--arg r2 quay.io" in write
    assert "--argjson keep '[]'" in write
    assert "kubectl create secret docker-registry" not in write


def test_one_expired_registry_keeps_the_healthy_ones() -> None:
    expired = {"imagepull-exporter/expires-at.quay.io": rfc3339(NOW - 3600)}
    one_bad = secret("one-bad", {"ghcr.io": auth(), "https://quay.io": auth(),
                                 "harbor.example.com": auth()}, annotations=expired)  # fmt: skip
    [commands] = fixes_for(report(one_bad), "one-bad")
    assert '--argjson keep \'["ghcr.io","harbor.example.com"]\'' in commands[0]
    assert "--arg r1 quay.io" in commands[0]
    assert "--arg r2" not in commands[0]
    # the owner declared the old expiry: the fix declares the new one
    assert commands[1] == (
        "kubectl annotate secret one-bad --namespace a --overwrite "
        "imagepull-exporter/expires-at.quay.io=<new expiry, RFC 3339>"
    )


def test_a_single_registry_secret_is_rewritten_whole() -> None:
    ghcr = secret("ghcr", {"https://ghcr.io": auth()}, annotations=EXPIRED)
    [commands] = fixes_for(report(ghcr), "ghcr")
    assert steps(commands[0]) == [
        *token_steps("ghcr.io"),
        new_config("ghcr.io"),
        "export config",
        "kubectl get secret ghcr --namespace a -o json | jq "
        '\'.data[".dockerconfigjson"] = ($ENV.config | @base64) '
        '| del(.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"])\' '
        "| kubectl replace -f -",
    ]
    assert commands[0].endswith("; unset TOKEN_1 config")
    # kubectl apply would copy the new token into its last-applied annotation
    assert "kubectl apply" not in commands[0]


def test_a_legacy_dockercfg_secret_is_edited_not_turned_into_dockerconfigjson() -> None:
    # kubectl create secret docker-registry makes a dockerconfigjson: applying it over a
    # dockercfg secret would change its type, which the API server refuses
    legacy = secret("legacy", {"https://index.docker.io/v1/": auth()}, annotations=EXPIRED,
                    secret_type="kubernetes.io/dockercfg")  # fmt: skip
    [commands] = fixes_for(report(legacy), "legacy")
    assert steps(commands[0])[-1].startswith("kubectl get secret legacy --namespace a -o json")
    assert '.data[".dockercfg"] |=' in commands[0]


def test_broken_entries_are_replaced_and_unusable_keys_dropped() -> None:
    broken = secret("broken", {"quay.io": {"auth": "%%%"}, "ghcr .io": auth(), "ghcr.io": auth()})
    rep = report(broken)
    [fix] = [f for f in rep.fixes if f.problem.startswith("a/broken:")]
    assert "entry for quay.io is malformed (invalid_base64)" in fix.problem
    assert "invalid_registry_key" in fix.problem
    assert "--argjson keep '[\"ghcr.io\"]' --arg r1 quay.io " in fix.commands[0]


def test_an_unparsable_secret_is_recreated_with_what_its_pods_need() -> None:
    bad = secret("bad", {})
    bad["data"][".dockerconfigjson"] = b64('{"auths": ')
    rep = report(bad, secret("other", {"ghcr.io": auth()}),
                 pod("p", ["bad", "other"], ["ghcr.io/x/y", "quay.io/z/w"]))  # fmt: skip
    [commands] = fixes_for(rep, "bad")
    [command] = commands
    assert steps(command)[:4] == [*token_steps("quay.io"), new_config("quay.io")]
    assert steps(command)[-1].startswith("kubectl get secret bad --namespace a -o json | jq ")
    assert steps(command)[-1].endswith(" | kubectl replace -f -")


def test_a_missing_secret_gets_only_the_registries_no_other_secret_covers() -> None:
    other = secret("other", {"ghcr.io": auth(), "quay.io": auth()})
    web = pod("web-5f7d8c9b4-abcde", ["gone", "other"], ["nginx", "ghcr.io/x/y", "quay.io/z/w"])
    rep = report(other, web)
    [commands] = fixes_for(rep, "gone")
    [command] = commands
    assert steps(command) == [
        *token_steps("docker.io"),
        new_config("docker.io"),
        "printf '%s' \"$config\" | kubectl create secret docker-registry gone "
        "--from-file=.dockerconfigjson=/dev/stdin --namespace a",
    ]


def test_a_missing_secret_for_several_registries_is_one_new_secret() -> None:
    rep = report(pod("p", ["gone"], ["ghcr.io/x/y", "quay.io/z/w", "ghcr.io/x/z"]))
    [commands] = fixes_for(rep, "gone")
    [command] = commands
    config = steps(command)[5]
    assert config.startswith('config="$(jq -nc --arg r1 ghcr.io --arg u1 <user> --arg r2 quay.io ')
    assert "--arg r3" not in command
    assert "{auths: {($r1): entry($u1; $ENV.TOKEN_1), ($r2): entry($u2; $ENV.TOKEN_2)}}" in config
    assert steps(command)[-1].endswith(" --namespace a")


def test_a_missing_secret_nothing_needs_says_so() -> None:
    other = secret("other", {"ghcr.io": auth()})
    rep = report(other, pod("p", ["gone", "other"], ["ghcr.io/x/y"]))
    [fix] = [f for f in rep.fixes if f.problem.startswith("a/gone:")]
    assert "read -rsp 'new token for <registry>: ' TOKEN_1" in fix.commands[0]
    assert "--arg r1 <registry>" in fix.commands[0]
    assert any("removing the reference" in note for note in fix.notes)


def test_registry_logins_come_from_the_issuers_cli() -> None:
    ecr = secret("ecr", {ECR_HOST: {"username": "AWS", "password": "garbage"}},
                 rotated=NOW - 30 * DAY)  # fmt: skip
    gar = secret("gar", {"europe-docker.pkg.dev": {"username": "oauth2accesstoken",
                                                   "password": "ya29.opaque"}},
                 rotated=NOW - 2 * DAY)  # fmt: skip
    rep = report(ecr, gar)
    [ecr_fix] = fixes_for(rep, "ecr")
    assert steps(ecr_fix[0])[:4] == [
        'TOKEN_1="$(aws ecr get-login-password --region eu-west-1)"', '[ -n "$TOKEN_1" ]',
        "export TOKEN_1", new_config(ECR_HOST, user="AWS")]  # fmt: skip
    [gar_fix] = fixes_for(rep, "gar")
    assert steps(gar_fix[0])[0] == 'TOKEN_1="$(gcloud auth print-access-token)"'
    assert "--arg u1 oauth2accesstoken" in gar_fix[0]


def test_cluster_values_are_shell_quoted() -> None:
    hostile = "ghcr.io/$(touch;pwned)'x"  # a key kubelet accepts: "$();'" are path characters
    rep = report(secret("q", {hostile: auth()}, annotations=EXPIRED))
    [commands] = fixes_for(rep, "q")
    config = steps(commands[0])[3]
    assert "--arg r1 'ghcr.io/$(touch;pwned)'\"'\"'x' " in config
    # a POSIX shell reads the word back as the key, nothing run
    jq = shlex.split(config.removeprefix('config="$(').removesuffix(')"'))
    assert jq[3:5] == ["r1", hostile]
    prompt = steps(commands[0])[0]
    assert shlex.split(prompt)[2] == f"new token for {hostile}: "


# --- restarts only where they help ----------------------------------------------------------


def test_restarts_only_for_pods_failing_on_credentials() -> None:
    ghcr = secret("ghcr", {"ghcr.io": auth()}, annotations=EXPIRED)
    rep = report(
        ghcr,
        pod("api-7d9f8b6c5d-x2k4q", ["ghcr"], ["ghcr.io/x/y"], waiting=UNAUTHORIZED),
        pod("web-5f7d8c9b4-abcde", ["ghcr"], ["ghcr.io/x/y"]),
        pod("db-0", ["ghcr"], ["ghcr.io/x/db"], waiting=NOT_FOUND),
    )
    [commands] = fixes_for(rep, "ghcr")
    restarts = [c for c in commands if "rollout restart" in c]
    # web pulls fine and pulls with the new secret next time; db's tag does not exist
    assert restarts == ["kubectl rollout restart deployment/api --namespace a"]


# --- failing pulls make the exit status 1 (audit gap 3) -----------------------------------


def test_any_failing_pull_needs_action() -> None:
    rep = report(pod("web-5f7d8c9b4-abcde", [], ["nginx:nope"], waiting=NOT_FOUND))
    assert [r.cause for r in rep.failing] == ["not_found"]
    assert rep.needs_action
    text = render_text(rep)
    assert "OK: nothing needs action" not in text
    assert text.rstrip().endswith("NEEDS ACTION")
    assert json.loads(render_json(rep))["needs_action"] is True


def test_uncovered_registries_alone_do_not_need_action() -> None:
    rep = report(secret("ghcr", {"ghcr.io": auth()}),
                 pod("p", ["ghcr"], ["ghcr.io/x/y", "quay.io/public/img"]))  # fmt: skip
    assert [(r.registry, r.pods) for r in rep.uncovered] == [("quay.io", 1)]
    assert not rep.needs_action


# --- short-lived tokens whose rotation stopped (audit gap 4) -------------------------------


@pytest.mark.parametrize(
    ("kind_entry", "rotated_ago", "status", "expires_in"),
    [
        # gcp_access_token: opaque, ~1 h
        ({"username": "oauth2accesstoken", "password": "ya29.a0AfB_opaque"}, 335 * DAY,
         "expired", "EXPIRED 334d ago (inferred)"),
        ({"username": "oauth2accesstoken", "password": "ya29.a0AfB_opaque"}, 50 * 60,
         "expiring", "in 10m (inferred)"),
        ({"username": "oauth2accesstoken", "password": "ya29.a0AfB_opaque"}, 10 * 60,
         "ok", "in 50m (inferred)"),
        # ecr whose password cannot be decoded: 12 h
        ({"username": "AWS", "password": "not-an-envelope"}, 13 * 3600,
         "expired", "EXPIRED 1h ago (inferred)"),
        # a kind without a typical lifetime stays unknown
        ({"username": "u", "password": "p"}, 335 * DAY, "unknown", "unknown"),
    ],
)  # fmt: skip
def test_stale_short_lived_tokens_expire_from_their_last_rotation(
    kind_entry: dict[str, str], rotated_ago: float, status: str, expires_in: str
) -> None:
    registry = ECR_HOST if kind_entry["username"] == "AWS" else "europe-docker.pkg.dev"
    rep = report(secret("tok", {registry: kind_entry}, rotated=NOW - rotated_ago))
    [row] = rep.credentials
    assert row.status == status
    assert rep.needs_action == (status in ("expired", "expiring"))
    assert (row.expiry_source == "inferred") == (status != "unknown")
    assert expires_in in render_text(rep)
    assert json.loads(render_json(rep))["credentials"][0]["expires_in"] == expires_in


# --- wording under --namespace (audit nit) ---------------------------------------------------


def test_a_missing_secret_is_not_found_in_the_audited_namespaces() -> None:
    text = render_text(report(pod("p", ["gone"], ["ghcr.io/x/y"])))
    assert "not found in the audited namespaces" in text
    assert "every namespace" not in text
    assert "no namespace" not in text
