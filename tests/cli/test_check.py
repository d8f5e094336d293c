"""``imagepull-exporter check`` against the in-process simulator, run as a subprocess."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from exporter.audit import workload_of
from exporter.audit.render import expires_in
from exporter.simulator import Simulator

CANARY_PASSWORD = "canary-pw-7f3a9c1e5b2d4608"
_RUN = (
    "import argparse, sys\n"
    "from exporter.cli import check\n"
    "p = argparse.ArgumentParser(); check.add_arguments(p)\n"
    "sys.exit(check.run(p.parse_args(sys.argv[1:])))\n"
)


async def _check(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RUN, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _started(scenario: str, tmp_path: Path, *, tls: bool = False) -> tuple[Simulator, Path]:
    # kubectl sends a bearer token over TLS only
    sim = Simulator(token="t", tls=tls)
    sim.load_scenario(scenario)
    await sim.start()
    path = tmp_path / "kubeconfig"
    sim.write_kubeconfig(path)
    return sim, path


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Path]:
    sim, path = await _started("demo", tmp_path)
    try:
        yield path
    finally:
        await sim.stop()


def _dockerconfigjson(registry: str, user: str, password: str) -> str:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = {"auths": {registry: {"username": user, "password": password, "auth": auth}}}
    return base64.b64encode(json.dumps(config).encode()).decode()


def _pod(namespace: str, name: str, image: str, secret: str, waiting: str | None = None):  # type: ignore[no-untyped-def]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "imagePullSecrets": [{"name": secret}],
            "containers": [{"name": "app", "image": image}],
        },
        "status": {"phase": "Pending"},
    }
    if waiting:
        pod["status"]["containerStatuses"] = [  # type: ignore[index]
            {"name": "app", "image": image, "ready": False, "restartCount": 0,
             "state": {"waiting": {"reason": "ImagePullBackOff", "message": waiting}}}
        ]  # fmt: skip
    return pod


@pytest.fixture
async def planted(tmp_path: Path) -> AsyncIterator[Path]:
    """An expired secret holding a canary password, a wrong-namespace reference, a 401."""
    sim, path = await _started("empty", tmp_path)
    expired = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 8 * 3600))
    for ns in ("shop", "other"):
        sim.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    sim.create({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": "ghcr-pull", "namespace": "shop",
                     "annotations": {"imagepull-exporter/expires-at": expired}},
        "data": {".dockerconfigjson": _dockerconfigjson("ghcr.io", "ci", CANARY_PASSWORD)},
    })  # fmt: skip
    sim.create({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": "quay-pull", "namespace": "other"},
        "data": {".dockerconfigjson": _dockerconfigjson("quay.io", "bot", CANARY_PASSWORD)},
    })  # fmt: skip
    message = (
        'Failed to pull image "ghcr.io/acme/api:1": failed to authorize: failed to fetch '
        "oauth token: unexpected status from GET request to https://ghcr.io/token: "
        "401 Unauthorized"
    )
    sim.create(_pod("shop", "api-7d9f8b6c5d-x2k4q", "ghcr.io/acme/api:1", "ghcr-pull", message))
    sim.create(_pod("shop", "web-5f7d8c9b4-fz9xl", "quay.io/acme/web:1", "quay-pull"))
    try:
        yield path
    finally:
        await sim.stop()


async def test_planted_problems_and_fixes(planted: Path) -> None:
    status, out, err = await _check("--kubeconfig", str(planted))
    assert status == 1, err
    assert "ghcr-pull" in out
    assert "EXPIRED 8h ago" in out
    assert "read -rsp 'new token for ghcr.io: ' TOKEN_1 && " in out
    assert (
        "&& export config && kubectl get secret ghcr-pull --namespace shop -o json | jq "
    ) in out
    assert "| kubectl replace -f -; unset TOKEN_1 config" in out
    assert "kubectl apply" not in out
    assert "kubectl rollout restart deployment/api --namespace shop" in out
    assert "exists in namespace other" in out
    assert "kubectl get secret quay-pull --namespace other -o json | jq " in out
    assert "| kubectl create --namespace shop -f -" in out
    # web pulls fine today and will pull with the copy next time: no restart for it
    assert "kubectl rollout restart deployment/web" not in out
    assert "api-7d9f8b6c5d-x2k4q" in out
    assert " auth " in out


async def test_json_has_the_same_sections(planted: Path) -> None:
    status, out, _ = await _check("--kubeconfig", str(planted), "--output", "json")
    assert status == 1
    doc = json.loads(out)
    assert doc["needs_action"] is True
    [ghcr] = [c for c in doc["credentials"] if c["secret"] == "ghcr-pull"]
    assert ghcr["status"] == "expired"
    assert ghcr["registry"] == "ghcr.io"
    assert ghcr["pods"] == 1
    assert doc["missing_secrets"] == [
        {"namespace": "shop", "secret": "quay-pull", "pods": 1, "found_in": ["other"]}
    ]
    assert [f["cause"] for f in doc["failing_pods"]] == ["auth"]
    assert any("--namespace other" in c for f in doc["fixes"] for c in f["commands"])


async def test_canary_password_appears_nowhere(planted: Path) -> None:
    encoded = base64.b64encode(f"ci:{CANARY_PASSWORD}".encode()).decode()
    for output in ("text", "json"):
        _, out, err = await _check("--kubeconfig", str(planted), "--output", output)
        for leak in (CANARY_PASSWORD, encoded, CANARY_PASSWORD[:12]):
            assert leak not in out
            assert leak not in err


async def test_namespace_selection(planted: Path) -> None:
    status, out, _ = await _check("--kubeconfig", str(planted), "--exclude-namespace", "shop")
    assert status == 0, out
    assert "quay-pull" in out
    assert "ghcr-pull" not in out


async def test_demo_names_each_problem(demo: Path) -> None:
    status, out, err = await _check("--kubeconfig", str(demo))
    assert status == 1, err
    assert "EXPIRED 8h ago" in out
    assert "github_pat" in out
    ecr = next(line for line in out.splitlines() if line.startswith("checkout   ecr-pull"))
    assert "expiring" in ecr
    assert 'TOKEN_1="$(aws ecr get-login-password --region eu-west-1)"' in out
    assert "kubectl get secret ecr-pull --namespace checkout -o json | jq " in out
    assert "kubectl get secret ghcr-pull --namespace payments -o json | jq " in out
    assert "kubectl rollout restart deployment/payments-api --namespace payments" in out
    assert "kubectl get secret quay-pull --namespace default -o json | jq " in out
    assert "kubectl rollout restart deployment/web-frontend --namespace web" in out


async def test_healthy_cluster_exits_zero(tmp_path: Path) -> None:
    sim, path = await _started("empty", tmp_path)
    try:
        status, out, err = await _check("--kubeconfig", str(path))
        assert (status, err) == (0, "")
        assert "OK: nothing needs action" in out
        status, out, _ = await _check("--kubeconfig", str(path), "-o", "json")
        assert status == 0
        assert json.loads(out)["needs_action"] is False
    finally:
        await sim.stop()


async def test_bad_kubeconfig_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("this: is: not: a kubeconfig\n")
    status, out, err = await _check("--kubeconfig", str(bad))
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "error" in err
    status, _, err = await _check("--kubeconfig", str(tmp_path / "missing"))
    assert status == 2
    assert len(err.strip().splitlines()) == 1


async def test_unreachable_api_is_exit_2(tmp_path: Path) -> None:
    sim, path = await _started("empty", tmp_path)
    await sim.stop()
    status, out, err = await _check("--kubeconfig", str(path))
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1


def test_workload_and_expiry_wording() -> None:
    assert workload_of("payments-api-7d9f8b6c5d-x2k4q") == "deployment/payments-api"
    assert workload_of("db-0") == "statefulset/db"
    assert workload_of("lonely") == "deployment/<workload>"
    assert expires_in(None, 0) == "unknown"
    assert expires_in(1000 - 8 * 3600, 1000) == "EXPIRED 8h ago"
    assert expires_in(1000 + 3 * 3600 + 5, 1000) == "in 3h"


# --- the printed fixes, run as printed ------------------------------------------------------

FRESH_TOKEN = "fresh-token-2b7e"


async def _shell(
    command: str, kubeconfig: Path, stdin: str = "", path: str | None = None
) -> tuple[int, str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PATH": path or os.environ["PATH"]}
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", command, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def _argv_recorders(tmp_path: Path, log: Path) -> str:
    """A PATH whose kubectl and jq write their command line to ``log``, then run."""
    shims = tmp_path / "shims"
    shims.mkdir()
    for tool in ("kubectl", "jq"):
        real = shutil.which(tool)
        shim = shims / tool
        shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec {real} "$@"\n')
        shim.chmod(0o755)
    return f"{shims}:{os.environ['PATH']}"


def _docker_config(sim: Simulator, namespace: str, name: str) -> dict[str, Any]:
    secret = sim.get("secrets", namespace, name)
    [(key, value)] = secret["data"].items()
    document = json.loads(base64.b64decode(value))
    return dict(document["auths"] if key == ".dockerconfigjson" else document)


@pytest.mark.skipif(not (shutil.which("kubectl") and shutil.which("jq")), reason="kubectl, jq")
async def test_fixes_run_as_printed_and_keep_what_works(tmp_path: Path) -> None:
    """An expired registry in a three-registry secret, an Opaque secret used as pull
    secret, and a secret made in the wrong namespace: paste every printed command (the
    placeholders filled in, the tokens typed at the prompts), and check finds nothing
    left, with the healthy entries kept and no token on any command line."""
    sim, kubeconfig = await _started("empty", tmp_path, tls=True)
    try:
        for ns in ("shop", "other"):
            sim.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        expired = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        config = {key: {"auth": base64.b64encode(login).decode()} for key, login in (
            ("https://ghcr.io", b"ci:old"), ("quay.io", b"bot:quay"),
            ("registry.local:5000", b"admin:local"))}  # fmt: skip
        (tmp_path / "config.json").write_text(json.dumps({"auths": config}))
        for command in (
            "kubectl create secret docker-registry multi --namespace shop "
            f"--from-file=.dockerconfigjson={tmp_path / 'config.json'}",
            "kubectl annotate secret multi --namespace shop "
            f"imagepull-exporter/expires-at.ghcr.io={expired}",
            "kubectl create secret generic tool-creds --namespace shop --from-literal=password=x",
            # one registry, expired, last written by kubectl apply (its old token sits in
            # the last-applied annotation), with an annotation of its owner's
            "kubectl create secret docker-registry solo --namespace shop "
            "--docker-server=quay.io --docker-username=bot --docker-password=old "
            "--dry-run=client -o yaml | kubectl apply -f -",
            f"kubectl annotate secret solo --namespace shop team=payments "
            f"imagepull-exporter/expires-at={expired}",
            "kubectl create secret docker-registry shared --namespace other "
            "--docker-server=harbor.example.com --docker-username=robot --docker-password=h",
        ):
            code, output = await _shell(command, kubeconfig)
            assert code == 0, f"{command}\n{output}"
        sim.create(_pod("shop", "api-7d9f8b6c5d-x2k4q", "ghcr.io/acme/api:1", "multi"))
        sim.create(_pod("shop", "tool-0", "harbor.example.com/t/tool:1", "tool-creds"))
        sim.create(_pod("shop", "web-5f7d8c9b4-fz9xl", "harbor.example.com/t/web:1", "shared"))
        sim.create(_pod("shop", "solo-0", "quay.io/acme/solo:1", "solo"))

        status, out, _ = await _check("--kubeconfig", str(kubeconfig), "-o", "json")
        assert status == 1
        fixes = {f["problem"].partition(":")[0]: f["commands"] for f in json.loads(out)["fixes"]}
        assert sorted(fixes) == ["shop/multi", "shop/shared", "shop/solo", "shop/tool-creds"]
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 90 * 86400))
        argv_log = tmp_path / "argv.log"
        path = _argv_recorders(tmp_path, argv_log)
        for command in (c for commands in fixes.values() for c in commands):
            filled = command.replace("<user>", "robot").replace("<new expiry, RFC 3339>", later)
            typed = f"{FRESH_TOKEN}\n" * command.count("read -rsp ")
            code, output = await _shell(filled, kubeconfig, typed, path)
            assert code == 0, f"{filled}\n{output}"
        logged = argv_log.read_text()
        assert "replace -f -" in logged  # the recorders saw the commands ...
        assert FRESH_TOKEN not in logged  # ... and no token on their command lines
        assert base64.b64encode(f"robot:{FRESH_TOKEN}".encode()).decode() not in logged

        status, out, err = await _check("--kubeconfig", str(kubeconfig))
        assert (status, err) == (0, ""), out
        assert out.rstrip().endswith("OK: nothing needs action")
        fresh = base64.b64encode(f"robot:{FRESH_TOKEN}".encode()).decode()
        multi = _docker_config(sim, "shop", "multi")
        assert {k: v["auth"] for k, v in multi.items()} == {
            "quay.io": config["quay.io"]["auth"],
            "registry.local:5000": config["registry.local:5000"]["auth"],
            "ghcr.io": fresh,
        }
        assert sim.get("secrets", "shop", "tool-creds")["type"] == "kubernetes.io/dockerconfigjson"
        assert list(_docker_config(sim, "shop", "tool-creds")) == ["harbor.example.com"]
        assert _docker_config(sim, "shop", "shared") == _docker_config(sim, "other", "shared")
        assert _docker_config(sim, "shop", "solo") == {
            "quay.io": {"username": "robot", "password": FRESH_TOKEN, "auth": fresh}
        }
        solo = sim.get("secrets", "shop", "solo")["metadata"].get("annotations", {})
        assert solo.get("team") == "payments"  # the owner's annotations are kept
        assert "kubectl.kubernetes.io/last-applied-configuration" not in solo
    finally:
        await sim.stop()
