"""The examples in exporter.credentials docstrings are true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import exporter.credentials

PACKAGE = exporter.credentials
MODULES = pkgutil.iter_modules(PACKAGE.__path__)
MODULE_NAMES = sorted(f"{PACKAGE.__name__}.{module.name}" for module in MODULES)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
