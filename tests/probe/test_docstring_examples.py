"""The examples in exporter.probe docstrings (and the probe metrics module) are true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import exporter.probe

PACKAGE = exporter.probe
MODULE_NAMES = sorted(
    [f"{PACKAGE.__name__}.{m.name}" for m in pkgutil.iter_modules(PACKAGE.__path__)]
    + ["exporter.metrics.probe"]
)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
