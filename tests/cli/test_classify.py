"""The classify command: messages in, one bounded JSON object per message out."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys

import pytest

from exporter.cli import classify as command

DESCRIBE = """\
Events:
  Type     Reason     Age                From               Message
  ----     ------     ----               ----               -------
  Normal   Scheduled  47s                default-scheduler  Successfully assigned default/az-dns-forwarder-fc864c554-ctc82 to aks-pool01-30842998-vmss000001
  Normal   BackOff    19s (x3 over 45s)  kubelet            Back-off pulling image "ghcr.io/whiteducksoftware/az-dns-forwarder/az-dns-forwarder:latest"
  Warning  Failed     19s (x3 over 45s)  kubelet            Error: ImagePullBackOff
  Normal   Pulling    5s (x3 over 46s)   kubelet            Pulling image "ghcr.io/whiteducksoftware/az-dns-forwarder/az-dns-forwarder:latest"
  Warning  Failed     5s (x3 over 46s)   kubelet            Failed to pull image "ghcr.io/whiteducksoftware/az-dns-forwarder/az-dns-forwarder:latest": rpc error: code = Unknown desc = Error response from daemon: Get https://ghcr.io/v2/whiteducksoftware/az-dns-forwarder/az-dns-forwarder/manifests/latest: unauthorized

  Warning  FailedToRetrieveImagePullSecret  65s (x5 over 75s)  kubelet  Unable to retrieve some image pull secrets (ghcr-secret); attempting to pull the image may not succeed.
"""  # noqa: E501 -- kubectl describe output from whiteducksoftware/az-dns-forwarder#1


def _run(argv: list[str], stdin: str = "") -> tuple[int, list[dict[str, object]]]:
    parser = argparse.ArgumentParser(prog="imagepull-exporter classify")
    command.add_arguments(parser)
    out = io.StringIO()
    status = command.run(parser.parse_args(argv), stdin=io.StringIO(stdin), stdout=out)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_module_contract() -> None:
    assert command.NAME == "classify"
    assert command.HELP
    assert "\n" not in command.HELP


def test_arguments_are_classified_in_order() -> None:
    status, records = _run(
        [
            'Failed to pull image "nginx:1.27": pull QPS exceeded',
            "something nobody has seen",
        ]
    )
    assert status == 0
    assert records == [
        {"input": 1, "cause": "rate_limit", "registry": "docker.io", "image": "nginx:1.27"},
        {"input": 2, "cause": "unknown", "registry": None, "image": None},
    ]


def test_explain_adds_the_hint() -> None:
    _, [record] = _run(["--explain", "no basic auth credentials"])
    assert record["cause"] == "auth"
    assert "kubectl create secret docker-registry" in str(record["hint"])


def test_reason_flag_decides() -> None:
    _, [record] = _run(["--reason", "ErrImageNeverPull", "whatever the message"])
    assert record["cause"] == "never_pull"


def test_describe_events_are_read_from_stdin() -> None:
    status, records = _run([], stdin=DESCRIBE)
    assert status == 0
    assert [(r["input"], r["cause"]) for r in records] == [
        (4, "unknown"),
        (5, "backoff"),
        (6, "backoff"),
        (7, "unknown"),
        (8, "auth"),
        (10, "secret_missing"),
    ]
    assert records[4]["registry"] == "ghcr.io"


@pytest.mark.parametrize(
    ("line", "reason", "message"),
    [
        (
            "  Warning  Failed  1m  kubelet, node-1  spec.containers{web}  Error: ErrImagePull",
            "Failed",
            "Error: ErrImagePull",
        ),
        (
            "43s  Warning  ErrImageNeverPull  pod/generator-cc9975748-djczz  Container image"
            ' "app:1" is not present with pull policy of Never',
            "ErrImageNeverPull",
            'Container image "app:1" is not present with pull policy of Never',
        ),
        (
            '      Message:   Back-off pulling image "nginx"',
            None,
            'Back-off pulling image "nginx"',
        ),
        ('Back-off pulling image "nginx"', None, 'Back-off pulling image "nginx"'),
    ],
)
def test_pasted_lines_lose_their_columns(line: str, reason: str | None, message: str) -> None:
    assert command.split_line(line) == (reason, message)


def test_the_message_is_never_echoed() -> None:
    secret = "hunter2-ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    _, [record] = _run([f"unauthorized: bad password {secret}"])
    assert secret not in json.dumps(record)
    assert set(record) == {"input", "cause", "registry", "image"}


def test_garbage_on_stdin_still_exits_zero() -> None:
    status, records = _run([], stdin="\x00\x1b[31m\u202e" + "x" * 100_000 + "\n\n\ud800\n")
    assert status == 0
    assert [r["cause"] for r in records] == ["unknown", "unknown"]


# kubectl describe pod of a pod on CRI-O >= 1.34 and of one whose Failed events client-go
# aggregated, with its container section (getlago/lago-helm-charts#203; the x68 report).
DESCRIBE_CONTAINER = """\
    State:          Waiting
      Reason:       ImagePullBackOff
      Message:      Back-off pulling image "nginx:1.27": ErrImagePull: pull QPS exceeded
    Ready:          False
    Restart Count:  0
    Image:          https://deploy:glpat-not-a-real-token@registry.gitlab.com/g/p:1
  Warning  InspectFailed     87s (x163 over 36m)  kubelet            spec.containers{lago-migrate}: Failed to inspect image "": rpc error: code = Unknown desc = short name mode is enforcing, but image name getlago/api:v1.33.4 returns ambiguous list
  Warning  Failed   64s (x68 over 5h54m)    kubelet  (combined from similar events): Failed to pull image "busybox:1.36.1": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/busybox:1.36.1": failed to resolve reference "docker.io/library/busybox:1.36.1": failed to do request: Head "https://registry-1.docker.io/v2/library/busybox/manifests/1.36.1": dial tcp 104.244.46.186:443: i/o timeout
"""  # noqa: E501


def test_container_fields_are_skipped_and_a_bare_reason_is_read() -> None:
    status, records = _run([], stdin=DESCRIBE_CONTAINER)
    assert status == 0
    assert [(r["input"], r["cause"], r["image"]) for r in records] == [
        (2, "backoff", None),
        (3, "rate_limit", "nginx:1.27"),
        (7, "invalid_name", "getlago/api:v1.33.4"),
        (8, "network", "busybox:1.36.1"),
    ]
    assert "glpat" not in json.dumps(records)


def test_undecodable_stdin_under_a_strict_locale_is_replaced() -> None:
    strict = io.TextIOWrapper(
        io.BytesIO(b"401 Unauthorized\n\xff\xfe garbage \x80\nmanifest unknown\n"),
        encoding="utf-8",
        errors="strict",
    )
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    out = io.StringIO()
    assert command.run(parser.parse_args([]), stdin=strict, stdout=out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["cause"] for r in records] == ["auth", "unknown", "not_found"]


def test_binary_stdin_as_a_process_with_strict_decoding() -> None:
    # A laptop's en_US.UTF-8 locale without UTF-8 mode opens stdin with errors="strict".
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONUTF8": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "exporter", "classify"],
        input=b"ok 401 Unauthorized\n\xff\n" + bytes(b for b in range(256) if b != 10) + b"\n",
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    causes = [json.loads(line)["cause"] for line in done.stdout.splitlines()]
    assert causes[0] == "auth"
    assert len(causes) == 3


def test_runs_as_a_process() -> None:
    program = (
        "import argparse, sys\n"
        "from exporter.cli import classify as c\n"
        "p = argparse.ArgumentParser()\n"
        "c.add_arguments(p)\n"
        "sys.exit(c.run(p.parse_args(sys.argv[1:])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "--explain"],
        input='Failed to pull image "quay.io/acme/api:1": manifest unknown\n',
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["cause"], record["registry"]) == ("not_found", "quay.io")
