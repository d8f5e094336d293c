"""exporter.credentials stays pure: stdlib, pyjwt and image references only, no I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import exporter.credentials

PACKAGE_DIR = Path(exporter.credentials.__file__).parent
MODULES = sorted(PACKAGE_DIR.glob("*.py"))
ALLOWED_PREFIXES = ("exporter.credentials", "exporter.images", "jwt")
# Reading files, sockets, subprocesses, logging: none belongs in pure parsing code.
FORBIDDEN_MODULES = {"logging", "os", "socket", "subprocess", "urllib", "http", "pathlib"}


def _imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_imports_only_stdlib_pyjwt_and_images(module: Path) -> None:
    for name in _imported_modules(module.read_text()):
        top = name.partition(".")[0]
        if name.startswith(ALLOWED_PREFIXES) or top == "__future__":
            continue
        assert top in sys.stdlib_module_names, f"{module.name} imports {name}"
        assert top not in FORBIDDEN_MODULES, f"{module.name} imports {name}"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_no_print_or_open(module: Path) -> None:
    calls = {
        node.func.id
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & {"print", "open", "input", "eval", "exec"}


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_modules_stay_small(module: Path) -> None:
    assert len(module.read_text().splitlines()) < 400
