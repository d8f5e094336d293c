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

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LOCK = ROOT / "deploy" / "requirements.lock"

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
    for key in ("title", "description", "version", "revision", "licenses", "base.name"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_dependencies_come_only_from_the_lock(stages: list[list[Instruction]]) -> None:
    runs = " ".join(_args(stages[0], "RUN"))
    assert "--no-deps --only-binary=:all: -r requirements.lock" in runs
    assert "pip check" in runs
    assert all("--no-deps" in part for part in runs.split("pip install")[1:])


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", line).groups()  # type: ignore[union-attr]
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


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
    run("wheel", "--no-deps", "--wheel-dir", str(tmp_path / "wheels"), ".")
    (wheel,) = (tmp_path / "wheels").glob("imagepull_exporter-*.whl")
    run("install", "--no-compile", "--no-deps", str(wheel))
    run("check")
    helped = subprocess.run(
        [str(venv / "bin" / "imagepull-exporter"), "--help"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert helped.returncode == 0, helped.stderr
    assert "--web.listen-address" in helped.stdout
