"""Scenarios, templates and the ``simulate`` command."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from exporter.cli.main import main
from exporter.simulator import ScenarioError, Simulator, list_scenarios
from exporter.simulator.clock import parse_rfc3339
from exporter.simulator.templates import TemplateError, render


def _auths(sim: Simulator, namespace: str, name: str) -> dict[str, dict[str, str]]:
    data = sim.get("secrets", namespace, name)["data"][".dockerconfigjson"]
    auths: dict[str, dict[str, str]] = json.loads(base64.b64decode(data))["auths"]
    return auths


def test_builtin_scenarios_are_listed() -> None:
    assert {"demo", "empty"} <= set(list_scenarios())


def test_demo_reproduces_the_outage_relative_to_now() -> None:
    sim = Simulator()
    sim.load_scenario("demo")
    now = time.time()
    ghcr = sim.get("secrets", "payments", "ghcr-pull")
    expires = parse_rfc3339(ghcr["metadata"]["annotations"]["imagepull-exporter/expires-at"])
    assert abs(expires - (now - 8 * 3600)) < 60
    assert _auths(sim, "payments", "ghcr-pull")["ghcr.io"]["password"].startswith("ghp_")

    ecr_auth = _auths(sim, "checkout", "ecr-pull")["123456789012.dkr.ecr.eu-west-1.amazonaws.com"]
    token = json.loads(base64.b64decode(ecr_auth["password"]))
    assert {"payload", "datakey", "version", "type", "expiration"} <= set(token)
    assert abs(token["expiration"] - (now + 3 * 3600)) < 60

    pods = sim.cluster.table("pods").objects
    waiting = [
        p["status"]["containerStatuses"][0]["state"]["waiting"]
        for (ns, _), p in pods.items()
        if ns == "payments"
    ]
    assert len(waiting) == 2
    assert all(w["reason"] == "ImagePullBackOff" for w in waiting)
    # issue 2: "pods in ImagePullBackOff with 'unauthorized: authentication required'"
    # (dockerd's wording on one node; containerd's 401 from the token endpoint on the other)
    messages = sorted(w["message"] for w in waiting)
    assert messages[0].endswith("401 Unauthorized")
    assert messages[1].endswith(": unauthorized: authentication required")
    events = sim.cluster.table("events").objects.values()
    failed = [
        e
        for e in events
        if e["reason"] == "Failed" and e["message"].startswith('Failed to pull image "ghcr.io')
    ]
    assert len(failed) == 2
    assert {e["message"].rsplit(": ", 1)[1] for e in failed} == {
        "401 Unauthorized",
        "authentication required",
    }
    assert all(e["count"] > 1 and e["involvedObject"].get("uid") for e in failed)
    assert ("default", "quay-pull") in sim.cluster.table("secrets").objects
    assert ("web", "quay-pull") not in sim.cluster.table("secrets").objects
    platform_sa = sim.get("serviceaccounts", "platform", "default")
    assert platform_sa["imagePullSecrets"] == [{"name": "dockerhub-pull"}]


def test_templates() -> None:
    assert render("{{ now-8h }}", now=8 * 3600) == "1970-01-01T00:00:00Z"
    assert render("at {{ unix:now+1d2h }}", now=0) == "at 93600"
    claims = jwt.decode(
        render("{{ jwt(exp=now+1h, iat=now, iss='https://issuer.example') }}", now=1000),
        options={"verify_signature": False, "verify_exp": False},
    )
    assert claims == {"exp": 4600, "iat": 1000, "iss": "https://issuer.example"}
    config = json.loads(
        base64.b64decode(render("{{ dockerconfigjson(registry=r.io, username=u, password=p) }}"))
    )
    assert config["auths"]["r.io"]["auth"] == base64.b64encode(b"u:p").decode()
    with pytest.raises(TemplateError):
        render("{{ nope() }}")


def test_unknown_scenario_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no scenario 'missing'"):
        Simulator().load_scenario("missing")
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: a map\n")
    with pytest.raises(ScenarioError):
        Simulator().load_scenario(str(bad))


_RUNNER = """
import argparse, sys
from exporter.cli import simulate
parser = argparse.ArgumentParser()
simulate.add_arguments(parser)
sys.exit(simulate.run(parser.parse_args(sys.argv[1:])))
"""


def test_simulate_command_prints_ready_line_and_stops_on_sigterm(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    process = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, "--kubeconfig-out", str(kubeconfig), "--scenario", "empty"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("simulator ready at https://127.0.0.1:")
        assert f"(kubeconfig: {kubeconfig})" in line
        assert "token:" in kubeconfig.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_simulate_command_rejects_a_bad_scenario(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUNNER,
            "--kubeconfig-out",
            str(tmp_path / "kc"),
            "--scenario",
            "nope",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nope" in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--scenario", "{bad_yaml}"],
            "cannot read scenario {bad_yaml}: expected ',' or ']', but got '<stream end>' "
            "(line 3, column 1)",
        ),
        (
            ["--kubeconfig-out", "{file}/kc"],
            "cannot write --kubeconfig-out {file}/kc: File exists",
        ),
        (
            ["--chaos-stall-seconds", "0"],
            "--chaos-stall-seconds must be a positive number, got 0.0",
        ),
        (
            ["--chaos-stall-seconds", "nan"],
            "--chaos-stall-seconds must be a positive number, got nan",
        ),
    ],
    ids=["bad-yaml", "unwritable-kubeconfig", "zero-stall", "nan-stall"],
)
def test_simulate_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("a: [\n  b: c\n")  # the secret-free error names line and column
    file = tmp_path / "a-file"
    file.write_text("")
    values = {"bad_yaml": str(bad_yaml), "file": str(file)}
    argv = ["simulate", "--scenario", "empty", "--kubeconfig-out", str(tmp_path / "kc")]
    argv += [flag.format(**values) for flag in flags]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == f"imagepull-exporter simulate: {message.format(**values)}\n"
    assert captured.out == ""
