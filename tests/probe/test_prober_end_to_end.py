"""The whole probe: secrets served by the API simulator, fetched at probe time, probed
against the real registry, published as metrics; and a canary: the password and the
registry's tokens appear in no log line (DEBUG), result, metric or token-service URL."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter.kube.client import KubeClient
from exporter.kube.config import load_api_config
from exporter.metrics.probe import ProbeCollector
from exporter.probe import ProbeResults, ProbeSettings, run_prober
from exporter.probe.outcomes import Outcome
from exporter.simulator import Simulator
from exporter.state.cluster import ClusterState
from tests.conftest import eventually
from tests.probe.conftest import CANARY_PASSWORD, REPOSITORY
from tests.probe.registry import Registry
from tests.probe.token_server import TokenServer


def pull_secret(
    namespace: str, name: str, host: str, user: str, password: str
) -> dict[str, object]:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = json.dumps({"auths": {f"https://{host}": {"auth": auth}}})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"namespace": namespace, "name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(config.encode()).decode()},
    }


def pod(namespace: str, name: str, secret: str, image: str) -> dict[str, object]:
    return {
        "metadata": {"namespace": namespace, "name": name, "uid": f"uid-{namespace}-{name}"},
        "spec": {"imagePullSecrets": [{"name": secret}],
                 "containers": [{"name": "app", "image": image}]},
    }  # fmt: skip


async def test_probe_publishes_results_and_never_leaks_the_credential(
    simulator: Simulator,
    *,
    kubeconfig: Path,
    pushed: Registry,
    token_server: TokenServer,
    trusting_settings: ProbeSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    host = pushed.host
    image = f"{host}/{REPOSITORY}:v1"
    secrets = [
        pull_secret("shop", "registry-creds", host, "alice", CANARY_PASSWORD),
        pull_secret("ci", "registry-creds-copy", host, "alice", CANARY_PASSWORD),
        pull_secret("shop", "revoked", host, "alice", "old-" + CANARY_PASSWORD),
        pull_secret("shop", "no-scope", host, "scopeless", CANARY_PASSWORD),
    ]
    simulator.apply_objects(secrets)
    state = ClusterState()
    sink = state.secrets.partition()
    for secret in secrets:
        meta = secret["metadata"]
        assert isinstance(meta, dict)
        # The state keeps what the reflector keeps: records without secret data.
        sink.upsert(simulator.get("secrets", meta["namespace"], meta["name"]))
    pods = state.pods.partition()
    for name, secret_name in [("web", "registry-creds"), ("old", "revoked"), ("job", "no-scope")]:
        pods.upsert(pod("shop", name, secret_name, image))

    results = ProbeResults()
    pushed_requests = len(token_server.requests)  # the image push asked for a token too
    client = KubeClient(load_api_config(str(kubeconfig)))
    task = asyncio.create_task(run_prober(client, state, trusting_settings, results))
    try:
        await eventually(lambda: results.rounds >= 1, within=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()

    outcomes = {key: result.outcome for key, result in results.items()}
    assert outcomes == {
        ("ci", "registry-creds-copy", host): Outcome.ok,
        ("shop", "no-scope", host): Outcome.forbidden,
        ("shop", "registry-creds", host): Outcome.ok,
        ("shop", "revoked", host): Outcome.unauthorized,
    }
    # One handshake for the credential the two "registry-creds" secrets share.
    probe_requests = token_server.requests[pushed_requests:]
    assert len(probe_requests) == 3
    assert all(q.endswith(f"scope=repository:{REPOSITORY}:pull") for q in probe_requests)

    registry = CollectorRegistry()
    registry.register(ProbeCollector(results))
    metrics = generate_latest(registry).decode()
    assert (
        f'imagepull_registry_probe_result{{namespace="shop",registry="{host}",'
        f'result="unauthorized",secret="revoked"}} 1.0' in metrics
    )
    assert (
        f'imagepull_registry_probe_success{{namespace="shop",registry="{host}",'
        f'secret="registry-creds"}} 1.0' in metrics
    )

    assert any("unauthorized" in r.getMessage() for r in caplog.records), "outcome changes log"
    secrets_seen = [CANARY_PASSWORD, base64.b64encode(f"alice:{CANARY_PASSWORD}".encode()).decode()]
    secrets_seen += token_server.issued
    assert token_server.issued, "the token flow ran"
    places = {
        "logs": caplog.text + "".join(str(r.args) for r in caplog.records),
        "results": repr(results.items()),
        "metrics": metrics,
        "token URLs": " ".join(token_server.requests),
    }
    for where, text in places.items():
        for leaked in secrets_seen:
            assert leaked not in text, f"a credential or token leaked into the {where}"


async def test_secret_gone_from_the_api_is_an_error_at_stage_secret(
    simulator: Simulator, kubeconfig: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The state still has the secret (the watch has not caught up); the API has not.
    state = ClusterState()
    state.secrets.partition().upsert(pull_secret("shop", "deleted", "ghcr.io", "u", "p"))
    results = ProbeResults()
    client = KubeClient(load_api_config(str(kubeconfig)))
    settings = ProbeSettings(enabled=True, timeout=2.0)
    task = asyncio.create_task(run_prober(client, state, settings, results))
    try:
        await eventually(lambda: results.rounds >= 1, within=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
    result = results.get(("shop", "deleted", "ghcr.io"))
    assert result is not None
    assert (result.outcome, result.stage) == (Outcome.error, "secret")
    assert results.durations() == [], "no handshake, nothing timed"
    assert "cannot read a secret holding its credential (ApiError)" in caplog.text
