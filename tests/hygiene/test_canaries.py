"""Canary credentials in every field of every pull secret never reach an output.

Searched: ``/metrics`` (text and OpenMetrics), the exporter's stderr at ``--log-level
debug`` in text and JSON (through faults, an API that goes away and a rejected token, so
the exception paths log), ``check`` (text, JSON and its errors), ``classify`` and ``demo``.
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hygiene.canaries import Canaries, b64
from tests.hygiene.processes import (
    Simulator,
    get,
    run,
    start_exporter,
    start_simulator,
    wait_for,
)


@pytest.fixture(scope="module")
def canaries() -> Canaries:
    return Canaries()


@pytest.fixture(scope="module")
def scenario(canaries: Canaries, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return canaries.write_scenario(tmp_path_factory.mktemp("canaries") / "scenario.yaml")


@pytest.fixture
def simulator(canaries: Canaries, scenario: Path, tmp_path: Path) -> Iterator[Simulator]:
    # The API token is a credential too: it must not be logged either.
    token = canaries.canary("apitoken")
    canaries.planted.append(token)
    sim = start_simulator(scenario, tmp_path, "--token", token)
    yield sim
    if sim.process.poll() is None:
        sim.stop()


def _post(url: str, token: str, body: object = None) -> None:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    context = ssl._create_unverified_context()  # the simulator's self-signed certificate
    with urllib.request.urlopen(request, timeout=5, context=context):
        pass


def _families(text: str) -> set[str]:
    return set(re.findall(r"^(imagepull_\w+?)(?:\{| )", text, re.MULTILINE))


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_metrics_and_debug_logs_through_faults_and_an_outage(
    canaries: Canaries, simulator: Simulator, log_format: str
) -> None:
    exporter = start_exporter(simulator.kubeconfig, log_format)
    try:
        exporter.wait_ready()
        wait_for(lambda: "all-fields" in exporter.scrape()[0])
        scrapes = exporter.scrape()
        # Faults on the pull secrets' LIST and watch: truncated and cut lines, a 410.
        faults = [{"type": "truncated_line", "resource": "secrets"},
                  {"type": "disconnect_mid_line", "resource": "secrets"},
                  {"type": "status", "resource": "secrets", "code": 500}]  # fmt: skip
        token = canaries.canary("apitoken")
        _post(f"{simulator.url}/simulator/v1/faults", token, faults)
        _post(f"{simulator.url}/simulator/v1/restart", token)
        time.sleep(2)
        scrapes += exporter.scrape()
        simulator.stop()  # the API goes away mid-run
        wait_for(lambda: 'imagepull_exporter_watch_up{resource="secrets"} 0.0'
                 in exporter.scrape()[0])  # fmt: skip
        time.sleep(1.5)  # a retry or two more
        scrapes += exporter.scrape()
    finally:
        logs = exporter.stop()
    assert "imagepull_secret_problem" in _families(scrapes[0])
    assert 'secret="bad-auth"' in scrapes[0]
    assert "# EOF" in scrapes[1]
    assert "watch failed" in logs
    assert "debug" in logs.lower() or "DEBUG" in logs
    assert canaries.leaks([*scrapes, logs]) == []


def test_a_rejected_token_is_not_logged(
    canaries: Canaries, simulator: Simulator, tmp_path: Path
) -> None:
    bad = canaries.canary("badtoken")
    canaries.planted.append(bad)
    text = simulator.kubeconfig.read_text().replace(canaries.canary("apitoken"), bad)
    kubeconfig = tmp_path / "bad-token"
    kubeconfig.write_text(text)
    exporter = start_exporter(kubeconfig, "text")
    try:
        wait_for(lambda: "unauthorized" in exporter.scrape()[0])
        scrapes = exporter.scrape()
    finally:
        logs = exporter.stop()
    assert "401" in logs or "nauthorized" in logs
    assert canaries.leaks([*scrapes, logs]) == []


def test_a_kubeconfig_that_cannot_be_read_does_not_echo_its_token(
    canaries: Canaries, tmp_path: Path
) -> None:
    token = canaries.canary("kubeconfig-token")
    canaries.planted.append(token)
    broken = tmp_path / "broken"
    broken.write_text(f"apiVersion: v1\nusers:\n- name: u\n  user: {{token: {token}\n"
                      f"  client-key-data: [{token}\n")  # fmt: skip
    serve = run("--kubeconfig", str(broken), "--log-level", "debug")
    check = run("check", "--kubeconfig", str(broken))
    assert serve.returncode == 2
    assert check.returncode == 2
    assert canaries.leaks([serve.stdout, serve.stderr, check.stdout, check.stderr]) == []


@pytest.mark.parametrize("output", ["text", "json"])
def test_check_output_and_its_errors(
    canaries: Canaries, simulator: Simulator, output: str, tmp_path: Path
) -> None:
    good = run("check", "--kubeconfig", str(simulator.kubeconfig), "-o", output)
    assert good.returncode == 1, good.stderr  # the planted secrets need action
    assert "all-fields" in good.stdout
    assert "bad-auth" in good.stdout
    bad = tmp_path / "bad-token"
    bad.write_text(simulator.kubeconfig.read_text().replace(canaries.canary("apitoken"), "nope"))
    rejected = run("check", "--kubeconfig", str(bad), "-o", output)
    simulator.stop()
    unreachable = run("check", "--kubeconfig", str(simulator.kubeconfig), "-o", output)
    assert rejected.returncode == 2
    assert unreachable.returncode == 2
    outputs = [p.stdout + p.stderr for p in (good, rejected, unreachable)]
    assert canaries.leaks(outputs) == []


def test_classify_never_echoes_a_message(canaries: Canaries) -> None:
    secret = canaries.canary("pass")
    messages = [
        f'Failed to pull image "ghcr.io/acme/api:v1": unauthorized: password {secret}',
        f'Get "https://ghcr.io/v2/": Authorization: Basic {secret}',
        f"  Warning  Failed  3m (x4 over 5m)  kubelet  {secret} denied",
        f"{secret}",
    ]
    as_arguments = run("classify", "--explain", *messages)
    from_stdin = run("classify", stdin="\n".join(messages) + "\n")
    never_pull = run("classify", "--reason", "ErrImageNeverPull", secret)
    outputs = [p.stdout + p.stderr for p in (as_arguments, from_stdin, never_pull)]
    assert [json.loads(line)["input"] for line in from_stdin.stdout.splitlines()] == [1, 2, 3, 4]
    assert canaries.leaks(outputs) == []


def test_demo_output(canaries: Canaries, scenario: Path) -> None:
    demo = run("demo", "--scenario", str(scenario), "--web.listen-address", "127.0.0.1:0",
               "--duration", "4", "--no-monitoring", "--log-level", "debug")  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert "metrics:" in demo.stdout
    assert canaries.leaks([demo.stdout, demo.stderr]) == []


def test_the_canaries_are_found_when_present() -> None:
    # The search itself: every planted string is found as-is and base64-encoded at any
    # alignment (an encoding of an encoding is found because the encodings are planted too).
    canaries = Canaries()
    canaries.objects(api_valid_only=False)
    assert len(canaries.planted) > 30
    for value in canaries.planted:
        for prefix in ("", "a", "ab"):
            assert value[:40] in canaries.leaks([f"x{value}y"])
            assert value[:40] in canaries.leaks([b64(prefix + value + prefix)])
    assert canaries.leaks(["nothing here", get("http://127.0.0.1:9/")[1]]) == []
