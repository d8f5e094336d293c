"""The examples in exporter.pullerrors docstrings are true (they are the user docs' too)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import exporter.pullerrors

PACKAGE = exporter.pullerrors
MODULES = pkgutil.iter_modules(PACKAGE.__path__)
MODULE_NAMES = sorted(
    [PACKAGE.__name__, *(f"{PACKAGE.__name__}.{module.name}" for module in MODULES)]
)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
