"""The examples in the simulator's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "__init__",
    "server",
    "templates",
    "selectors",
    "tables",
    "patches",
    "errors",
    "clock",
    "scenarios",
    "faults",
    "store",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(
        "exporter.simulator" if name == "__init__" else f"exporter.simulator.{name}"
    )
    result = doctest.testmod(module)
    assert result.failed == 0
