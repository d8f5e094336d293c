"""deploy/Dockerfile, checked statically (no Docker engine here), and deploy/requirements.lock,
proved by installing it the way the Dockerfile does and running the console script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LOCK = ROOT / "deploy" / "requirements.lock"
BUILD_LOCK = ROOT / "deploy" / "build.lock"
VENV = "/opt/imagepull-exporter"

Instruction = tuple[str, str]


def _instructions(text: str) -> list[Instruction]:
    """(INSTRUCTION, arguments) per instruction: continuations joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found: list[Instruction] = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def _stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction[0] == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return _stages(_instructions(DOCKERFILE.read_text()))


def _args(stage: list[Instruction], keyword: str) -> list[str]:
    return [args for kw, args in stage if kw == keyword]


def test_multi_stage_on_a_pinned_slim_python(stages: list[list[Instruction]]) -> None:
    assert len(stages) >= 2
    bases = {_args(stage, "FROM")[0].split()[0] for stage in stages}
    (base,) = bases  # one base: the venv's interpreter path is the same in both stages
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", base), base


def test_runs_as_a_numeric_non_root_user(stages: list[list[Instruction]]) -> None:
    (user,) = _args(stages[-1], "USER")
    uid, _, gid = user.partition(":")
    assert uid == "65532"
    assert gid in ("", "65532")


def test_exec_form_entrypoint_and_no_healthcheck(stages: list[list[Instruction]]) -> None:
    (entrypoint,) = _args(stages[-1], "ENTRYPOINT")
    assert json.loads(entrypoint) == ["imagepull-exporter"]
    assert all(not _args(stage, "HEALTHCHECK") for stage in stages)
    assert not _args(stages[-1], "CMD")


def test_read_only_root_friendly(stages: list[list[Instruction]]) -> None:
    runtime = stages[-1]
    assert any("PYTHONDONTWRITEBYTECODE=1" in env for env in _args(runtime, "ENV"))
    assert not _args(runtime, "RUN"), "the runtime stage only copies the built venv"
    assert any("compileall" in run for run in _args(stages[0], "RUN"))


def test_oci_labels(stages: list[list[Instruction]]) -> None:
    labels = " ".join(_args(stages[-1], "LABEL"))
    keys = ("title", "description", "version", "revision", "source", "licenses", "base.name")
    for key in keys:
        assert f"org.opencontainers.image.{key}=" in labels


def _pip_commands(stage: list[Instruction]) -> list[str]:
    """Every pip invocation of the stage's RUN lines, one string each."""
    runs = " && ".join(_args(stage, "RUN"))
    return [part.strip() for part in runs.split("&&") if "-m pip" in part]


def test_dependencies_come_only_from_the_locks(stages: list[list[Instruction]]) -> None:
    commands = _pip_commands(stages[0])
    installs = [c for c in commands if " install " in c]
    assert installs
    for command in installs:
        assert "--no-deps" in command, command  # nothing is resolved at build time
        assert "--only-binary=:all:" in command or command.endswith("/wheels/*.whl"), command
    assert any(c.endswith("--only-binary=:all: -r requirements.lock") for c in installs)
    assert any(c.endswith("--only-binary=:all: -r build.lock") for c in installs)
    assert any(c.endswith(" check") for c in commands)


def test_the_image_carries_no_package_installer(stages: list[list[Instruction]]) -> None:
    """The runtime venv is made without pip; everything goes into it through the build
    stage's own pip (--python), so neither pip nor setuptools reaches the image."""
    assert f"python -m venv --without-pip {VENV}" in _args(stages[0], "RUN")[0]
    for command in _pip_commands(stages[0]):
        if command.endswith("-r build.lock") or " wheel " in command:
            assert "--python" not in command, command  # the build backend stays out
        else:
            assert f"--python {VENV}/bin/python" in command, command
    assert not [c for c in _pip_commands(stages[0]) if f"{VENV}/bin/pip" in c]
    (copied,) = [c for c in _args(stages[-1], "COPY") if c.startswith("--from=")]
    assert copied == f"--from=build {VENV} {VENV}"


def test_the_wheel_is_built_with_the_pinned_setuptools(stages: list[list[Instruction]]) -> None:
    (wheel,) = [c for c in _pip_commands(stages[0]) if " wheel " in c]
    assert "--no-build-isolation" in wheel  # isolation would download setuptools unpinned
    pins = _pins(BUILD_LOCK)
    assert set(pins) == {"setuptools"}
    build_system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    for requirement in map(Requirement, build_system["requires"]):
        assert requirement.specifier.contains(pins[canonicalize_name(requirement.name)])


def test_versions_agree() -> None:
    """The image's VERSION, the package's version and the chart's appVersion are one."""
    (arg,) = re.findall(r"^ARG VERSION=(\S+)$", DOCKERFILE.read_text(), re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    chart = yaml.safe_load((ROOT / "deploy/helm/imagepull-exporter/Chart.yaml").read_text())
    assert arg == project["version"] == chart["appVersion"]


def _dockerignore_pattern(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore syntax (Go filepath.Match plus ``**``); a pattern that names
    a directory also covers everything under it."""
    regex = ""
    for part in re.split(r"(\*\*/?|\*|\?)", pattern.strip("/")):
        if part.startswith("**"):
            regex += "(?:.*/)?" if part.endswith("/") else ".*"
        elif part == "*":
            regex += "[^/]*"
        elif part == "?":
            regex += "[^/]"
        else:
            regex += re.escape(part)
    return re.compile(regex + "(?:/.*)?")


def _sent_to_docker(path: str, patterns: list[str]) -> bool:
    sent = True
    for pattern in patterns:  # the last matching pattern wins
        negated = pattern.startswith("!")
        if _dockerignore_pattern(pattern.lstrip("!")).fullmatch(path):
            sent = negated
    return sent


def test_dockerignore_sends_exactly_what_the_build_copies(
    stages: list[list[Instruction]],
) -> None:
    # The docs build with the repository root as context, where .dockerignore must sit.
    assert "-f deploy/Dockerfile" in DOCKERFILE.read_text()
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = [source for copy in _args(stages[0], "COPY") for source in copy.split()[:-1]]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    for path in tracked:
        needed = any(path == c or path.startswith(c.rstrip("/") + "/") for c in copied)
        assert _sent_to_docker(path, patterns) == needed, path
    for junk in (".git/HEAD", "exporter/__pycache__/x.cpython-311.pyc", ".cache/x"):
        assert not _sent_to_docker(junk, patterns), junk


def _pins(lock: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", line).groups()  # type: ignore[union-attr]
            pins[canonicalize_name(name)] = version
    return pins


def _lock() -> dict[str, str]:
    return _pins(LOCK)


def test_lock_pins_every_project_dependency_exactly() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {
        re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", d).group()).lower()  # type: ignore[union-attr]
        for d in project["dependencies"]
    }
    assert needed <= set(_lock())


def _copy_build_context(stages: list[list[Instruction]], destination: Path) -> Path:
    """The files the build stage COPYs, laid out as in its WORKDIR."""
    for copy in _args(stages[0], "COPY"):
        *sources, target = copy.split()
        for source in sources:
            path = ROOT / source
            out = destination / (target if target not in ("./", ".") else path.name)
            if target.endswith("/"):
                out = destination / target / path.name
            if path.is_dir():
                shutil.copytree(path, out, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, out)
    return destination


def test_lock_installs_and_the_console_script_runs(
    stages: list[list[Instruction]], tmp_path: Path
) -> None:
    """What the Dockerfile's build stage does, in a venv (the pip cache keeps it quick)."""
    context = _copy_build_context(stages, tmp_path / "src")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The test runner's pip installs into the venv (pip >= 22.3): no pip bootstrap per run.
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    pip += ["--disable-pip-version-check", "-q"]

    def run(*args: str) -> str:
        done = subprocess.run(
            [*pip, *args], check=False, cwd=context, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    # --no-compile: byte-compiling the kubernetes models is most of an install's time.
    run("install", "--no-compile", "--no-deps", "--only-binary=:all:", "-r", "requirements.lock")
    # The build stage's own Python: the pinned setuptools, then the wheel without isolation.
    builder = tmp_path / "builder"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(builder)], check=True)
    build = [*pip[:3], "--python", str(builder / "bin" / "python"), *pip[5:]]
    for args in (
        ("install", "--no-compile", "--no-deps", "--only-binary=:all:", "-r", "build.lock"),
        (
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            ".",
        ),
    ):
        done = subprocess.run(
            [*build, *args], check=False, cwd=context, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "wheels").glob("imagepull_exporter-*.whl")
    run("install", "--no-compile", "--no-deps", str(wheel))
    run("check")
    assert not list(venv.glob("lib/python*/site-packages/pip")), "pip reached the image"
    helped = subprocess.run(
        [str(venv / "bin" / "imagepull-exporter"), "--help"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert helped.returncode == 0, helped.stderr
    assert "--web.listen-address" in helped.stdout
