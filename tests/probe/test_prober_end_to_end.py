"""The whole probe: secrets served by the API simulator, fetched at probe time, probed
against the real registry, published as metrics; a canary: the password and the
registry's tokens appear in no log line (DEBUG), result, metric or token-service URL; a
rejection that outlives its registry going away; a secret rotated behind the state."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from exporter.kube.client import KubeClient
from exporter.kube.config import load_api_config
from exporter.metrics.catalog import all_metrics
from exporter.metrics.exposition import Exposition
from exporter.metrics.probe import ProbeCollector
from exporter.probe import ProbeResults, ProbeSettings, run_prober
from exporter.probe.login import Login
from exporter.probe.outcomes import Outcome
from exporter.probe.scheduler import fetch_login
from exporter.probe.targets import plan_round
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


def render(state: ClusterState, results: ProbeResults) -> str:
    """/metrics as the exporter serves it with --registry-probe."""
    exposition = Exposition(state, catalog=all_metrics(probe=True),
                            extra=[ProbeCollector(results)], probe=results)  # fmt: skip
    return exposition.render().decode()


@asynccontextmanager
async def prober(
    kubeconfig: Path, state: ClusterState, settings: ProbeSettings, results: ProbeResults
) -> AsyncIterator[None]:
    """The prober running against the simulator's API while the block runs."""
    client = KubeClient(load_api_config(str(kubeconfig)))
    task = asyncio.create_task(run_prober(client, state, settings, results))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


def state_of(simulator: Simulator, secrets: list[dict[str, object]]) -> ClusterState:
    """A state holding ``secrets`` as the reflector would (records without secret data)."""
    state = ClusterState()
    sink = state.secrets.partition()
    for secret in secrets:
        meta = secret["metadata"]
        assert isinstance(meta, dict)
        sink.upsert(simulator.get("secrets", meta["namespace"], meta["name"]))
    return state


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
        pull_secret("shop", "revoked-pat", host, "revoked-pat", CANARY_PASSWORD),
    ]
    simulator.apply_objects(secrets)
    state = state_of(simulator, secrets)
    pods = state.pods.partition()
    uses = [("web", "registry-creds"), ("old", "revoked"), ("job", "no-scope"),
            ("ci", "revoked-pat")]  # fmt: skip
    for name, secret_name in uses:
        pods.upsert(pod("shop", name, secret_name, image))

    results = ProbeResults()
    pushed_requests = len(token_server.requests)  # the image push asked for a token too
    async with prober(kubeconfig, state, trusting_settings, results):
        await eventually(lambda: results.rounds >= 1, within=20)

    outcomes = {key: result.outcome for key, result in results.items()}
    assert outcomes == {
        ("ci", "registry-creds-copy", host): Outcome.ok,
        ("shop", "no-scope", host): Outcome.forbidden,
        ("shop", "registry-creds", host): Outcome.ok,
        ("shop", "revoked", host): Outcome.unauthorized,
        # GHCR-style 403 DENIED from the token service: the login is refused.
        ("shop", "revoked-pat", host): Outcome.unauthorized,
    }
    # One handshake for the credential the two "registry-creds" secrets share.
    probe_requests = token_server.requests[pushed_requests:]
    assert len(probe_requests) == 4
    assert all(q.endswith(f"scope=repository:{REPOSITORY}:pull") for q in probe_requests)

    metrics = render(state, results)
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
    settings = ProbeSettings(enabled=True, timeout=2.0, jitter=0.0)
    async with prober(kubeconfig, state, settings, results):
        await eventually(lambda: results.rounds >= 1, within=10)
    result = results.get(("shop", "deleted", "ghcr.io"))
    assert result is not None
    assert (result.outcome, result.stage) == (Outcome.error, "secret")
    assert results.durations() == [], "no handshake, nothing timed"
    assert "cannot read a secret holding its credential (ApiError)" in caplog.text


async def test_a_rejection_outlives_its_registry_going_away(
    simulator: Simulator,
    *,
    kubeconfig: Path,
    pushed: Registry,
    trusting_settings: ProbeSettings,
) -> None:
    revoked = pull_secret("shop", "revoked", pushed.host, "alice", "old-" + CANARY_PASSWORD)
    simulator.apply_objects([revoked])
    state = state_of(simulator, [revoked])
    state.pods.partition().upsert(pod("shop", "old", "revoked", f"{pushed.host}/{REPOSITORY}:v1"))
    results = ProbeResults()
    settings = dataclasses.replace(trusting_settings, interval=1.0, timeout=1.0)
    key = ("shop", "revoked", pushed.host)
    async with prober(kubeconfig, state, settings, results):
        await eventually(lambda: results.rounds >= 1, within=20)
        first = results.get(key)
        assert first is not None
        assert (first.outcome, first.accepted) == (Outcome.unauthorized, False)
        pushed.stop()
        await eventually(lambda: (r := results.get(key)) is not None and r.stage == "ping")
    latest = results.get(key)
    assert latest is not None
    assert (latest.outcome, latest.result, latest.accepted) == (
        Outcome.network, Outcome.unauthorized, False,
    )  # fmt: skip
    metrics = render(state, results)
    assert (
        f'imagepull_registry_probe_result{{namespace="shop",registry="{pushed.host}",'
        f'result="unauthorized",secret="revoked"}} 1.0' in metrics
    ), "ImagePullCredentialRejected must not resolve because the registry went away"


async def test_a_secret_rotated_behind_the_state_is_not_probed_for_its_old_copies(
    simulator: Simulator, kubeconfig: Path
) -> None:
    old = [pull_secret(ns, "pull", "ghcr.io", "bot", "ghp_old") for ns in ("a", "b")]
    simulator.apply_objects(old)
    state = state_of(simulator, old)  # both copies hold the old credential
    [target] = plan_round(state, ProbeSettings())
    assert target.secrets == (("a", "pull"), ("b", "pull"))
    client = KubeClient(load_api_config(str(kubeconfig)))
    try:
        # "a" is rotated at the API; the watch has not told the state yet.
        simulator.apply_objects([pull_secret("a", "pull", "ghcr.io", "bot", "ghp_new")])
        from_copy = await fetch_login(client, target)
        assert isinstance(from_copy, Login)
        assert from_copy.password == "ghp_old", "the copy that still holds it"
        # And once no secret holds the planned credential any more: nothing to probe.
        simulator.apply_objects([pull_secret("b", "pull", "ghcr.io", "bot", "ghp_new")])
        assert await fetch_login(client, target) is None
    finally:
        await client.close()
