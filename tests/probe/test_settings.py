"""The operator's probe settings: durations, finite numbers, the GitHub API URL, and the
flags as ``imagepull-exporter`` reads them (bad input: one stderr line, exit 2)."""

from __future__ import annotations

import pytest

from exporter.cli.main import main
from exporter.errors import SettingsError
from exporter.probe.settings import ProbeSettings, format_duration, parse_duration


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "infinity", "1e999"])
def test_non_finite_durations_are_refused(text: str) -> None:
    with pytest.raises(SettingsError, match="not a finite duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        # From --config.file, where YAML's .inf and .nan are numbers.
        {"interval": float("inf")},
        {"interval": float("nan")},
        {"timeout": float("nan")},
        {"rate": float("nan")},  # min(burst, nan) would keep the bucket full: no limit
        {"rate": float("inf")},
    ],
)
def test_non_finite_numbers_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(SettingsError, match="must be a finite number"):
        ProbeSettings(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://api.github.com",  # the token would cross the network in clear text
        "https://user:pw@api.github.com",
        "https://api.github.com/?x=1",
        "api.github.com",
    ],
)
def test_github_api_must_be_plain_https(url: str) -> None:
    with pytest.raises(SettingsError, match="--registry-probe-github-api"):
        ProbeSettings(github_api=url)


def test_github_api_defaults_to_github_and_may_be_turned_off() -> None:
    assert ProbeSettings().github_api == "https://api.github.com"
    assert ProbeSettings(github_api="").github_api == ""
    assert ProbeSettings(github_api="https://127.0.0.1:8443/api").github_api


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--registry-probe-interval", "inf"], "not a finite duration: 'inf'"),
        (["--registry-probe-timeout", "nan"], "not a finite duration: 'nan'"),
        (["--registry-probe-rate", "nan"], "--registry-probe-rate must be a finite number"),
        (["--registry-probe-github-api", "http://x"], "must be an https:// URL"),
    ],
)
def test_bad_flags_end_the_program_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main([*argv, "--kubeconfig", "/nonexistent/kubeconfig"])
    except SystemExit as exc:  # argparse's own errors
        status = int(exc.code or 0)
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


def test_help_shows_durations_as_the_flags_take_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "jittered (default: 15m)" in text
    assert "handshake (default: 10s)" in text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(900.0, "15m"), (10.0, "10s"), (5400.0, "1h30m"), (90.0, "1m30s"), (0.25, "250ms")],
)
def test_format_duration_round_trips(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
