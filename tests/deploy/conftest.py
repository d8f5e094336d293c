"""Fixtures for the deployment tests.

helm-python-sdk (Helm's Go SDK) and kubernetes-validate are imported unconditionally by the
test modules: without them these tests fail at collection, they are never skipped.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def deploy_script() -> Callable[[str], ModuleType]:
    """Load ``deploy/<name>.py`` as a module (deploy/ is a folder of scripts, not a package)."""

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(
            f"deploy_{name}", ROOT / "deploy" / f"{name}.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
        return module

    return load
