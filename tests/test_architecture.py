"""Layering: data flows one way, and the pure packages do no I/O (STYLE.md, principle 1).

kube (API I/O) -> state (records, reducers) -> metrics (catalog, exposition) -> http;
credentials, pullerrors and images are pure and import none of those. The simulator is a
separate program and shares nothing with the exporter's layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "exporter"

# For each package: the exporter packages it must never import.
FORBIDDEN = {
    "images": {"kube", "state", "metrics", "http", "cli", "service", "simulator", "probe",
               "credentials", "pullerrors", "audit"},
    "credentials": {"kube", "state", "metrics", "http", "cli", "service", "simulator", "probe",
                    "pullerrors", "audit"},
    "pullerrors": {"kube", "state", "metrics", "http", "cli", "service", "simulator", "probe",
                   "credentials", "audit"},
    "kube": {"state", "metrics", "http", "cli", "service", "simulator", "probe", "audit"},
    "state": {"metrics", "http", "cli", "service", "simulator", "audit"},
    "metrics": {"http", "cli", "service", "simulator", "audit"},
    "http": {"kube", "state", "cli", "service", "simulator", "probe", "audit"},
    "probe": {"metrics", "http", "cli", "service", "simulator", "audit"},
    "simulator": {"kube", "state", "metrics", "http", "service", "probe", "audit",
                  "credentials", "pullerrors"},
}  # fmt: skip
PURE = ("images", "credentials", "pullerrors")
IO_MODULES = {"aiohttp", "socket", "subprocess", "urllib", "requests", "kubernetes", "ssl"}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downstream(package: str) -> None:
    assert modules(package), f"exporter/{package} has no modules"
    for path in modules(package):
        for name in imports_of(path):
            parts = name.split(".")
            if parts[0] == "exporter" and len(parts) > 1:
                assert parts[1] not in FORBIDDEN[package], f"{path} imports {name}"


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_do_no_io(package: str) -> None:
    for path in modules(package):
        for name in imports_of(path):
            assert name.split(".")[0] not in IO_MODULES, f"{path} imports {name}"
