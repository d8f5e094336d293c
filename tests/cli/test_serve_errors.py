"""Bad operator input ends ``imagepull-exporter`` at start: one line on stderr, exit 2; and
``--help`` documents every flag with its default."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from exporter.settings import Settings

EXEC_MISSING = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "/no-such-plugin"}


def _kubeconfig(path: Path, server: str = "https://127.0.0.1:1", **user: object) -> Path:
    path.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "x",
                        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                        "clusters": [{"name": "c", "cluster": {"server": server}}],
                        "users": [{"name": "u", "user": user or {"token": "t"}}]})
    )  # fmt: skip
    return path


def _run(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


CASES: dict[str, tuple[list[str], str]] = {
    "unknown-flag": (["--bogus"], "unrecognized arguments: --bogus"),
    "log-level": (["--log-level", "loud"], "loud"),
    "listen-address": (["--web.listen-address", "nowhere"], "listen"),
    "namespace": (["--namespace", "Not_A_Namespace"], "namespace"),
    "cap": (["--max-failing-containers", "many"], "invalid int value"),
    "config-missing": (["--config.file", "{tmp}/none.yaml"], "none.yaml"),
    "config-directory": (["--config.file", "{tmp}"], "config"),
    "config-not-mapping": (["--config.file", "{tmp}/list.yaml"], "config"),
    "config-unknown-key": (["--config.file", "{tmp}/unknown.yaml"], "no-such-setting"),
    "config-bad-yaml": (["--config.file", "{tmp}/bad.yaml"], "config"),
    "kubeconfig-missing": (["--kubeconfig", "{tmp}/none"], "does not exist"),
    "kubeconfig-garbage": (["--kubeconfig", "{tmp}/bad.yaml"], "not valid YAML"),
    "kubeconfig-context": (["--kubeconfig", "{tmp}/kc", "--context", "nope"], "nope"),
    "kubeconfig-exec": (["--kubeconfig", "{tmp}/exec"], "exec credential plugin failed"),
    "kubeconfig-server": (["--kubeconfig", "{tmp}/noserver"], "server is not an http"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "unknown.yaml").write_text("no-such-setting: 1\n")
    (tmp_path / "bad.yaml").write_text("key: [unclosed\n")
    _kubeconfig(tmp_path / "kc")
    _kubeconfig(tmp_path / "exec", exec=EXEC_MISSING)
    _kubeconfig(tmp_path / "noserver", server="not a url")
    args, expected = CASES[case]
    done = _run(*(a.format(tmp=tmp_path) for a in args))
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]


def test_taken_listen_address_is_one_line_and_exit_2(tmp_path: Path, taken_port: int) -> None:
    kubeconfig = _kubeconfig(tmp_path / "kc")
    done = _run("--kubeconfig", str(kubeconfig), "--web.listen-address", f"127.0.0.1:{taken_port}")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if " INFO " not in line]
    assert len(errors) == 1, done.stderr  # no "Unclosed client session" after it
    assert "cannot serve" in errors[0]


def test_help_shows_every_flag_with_its_default() -> None:
    done = _run("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split("options:", 1)[1].split())
    defaults = Settings()
    for flag, shown in [
        ("--web.listen-address", defaults.listen_address),
        ("--web.telemetry-path", defaults.telemetry_path),
        ("--kubeconfig", "$KUBECONFIG"),
        ("--context", "current context"),
        ("--namespace", "all"),
        ("--exclude-namespace", "none"),
        ("--log-level", defaults.log_level),
        ("--log-format", defaults.log_format),
        ("--config.file", "none"),
        ("--max-failing-containers", str(defaults.max_failing_containers)),
        ("--max-secret-series", str(defaults.max_secret_series)),
        ("--shard-index", str(defaults.shard_index)),
        ("--shard-count", str(defaults.shard_count)),
        ("--registry-probe-interval", "15m"),
        ("--registry-probe-timeout", "10s"),
        ("--registry-probe-concurrency", str(defaults.registry_probe_concurrency)),
    ]:
        # The flag's help text, up to the next flag, names its default.
        match = re.search(r"(?:^| )" + re.escape(flag) + r" .*?\(default: ([^)]*)\)", text)
        assert match, flag
        assert shown in match.group(1), (flag, match.group(1))
