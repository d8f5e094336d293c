"""Operator settings: config file, precedence and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.errors import SettingsError
from exporter.settings import Settings, host_port, load_config_file, merge


def test_flags_win_over_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("web.listen-address: 127.0.0.1:9100\nnamespace: [a, b]\nlog-level: debug\n")
    settings = merge({"log_level": "error", "namespaces": None}, load_config_file(str(config)))
    assert settings == Settings(
        listen_address="127.0.0.1:9100", namespaces=("a", "b"), log_level="error"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("web.listen-adress: :1\n", "unknown key 'web.listen-adress'"),
        ("namespace: [1]\n", "list of names"),
        ("a: [\n", r"not valid YAML: .* \(line 2, column 1\)"),
        ("log-level: 3\n", "must be a string"),
    ],
)
def test_bad_config_files_give_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_config_file(str(config))


def test_missing_config_file() -> None:
    with pytest.raises(SettingsError, match=r"cannot read --config\.file"):
        load_config_file("/nonexistent/config.yaml")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"listen_address": "9917"},
        {"listen_address": ":99999"},
        {"telemetry_path": "metrics"},
        {"telemetry_path": "/readyz"},
        {"namespaces": ("Bad_Name",)},
        {"log_level": "loud"},
        {"shard_index": 3, "shard_count": 3},
        {"shard_count": 0},
        {"max_failing_containers": -1},
    ],
)
def test_invalid_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(SettingsError):
        Settings(**kwargs)  # type: ignore[arg-type]


def test_host_port_forms() -> None:
    assert host_port(":9917") == ("", 9917)
    assert host_port("0.0.0.0:1") == ("0.0.0.0", 1)
    assert host_port("[::]:9917") == ("::", 9917)
