"""Scenarios: multi-document YAML files of ordinary Kubernetes objects.

Built-in scenarios live in ``exporter/simulator/scenarios/NAME.yaml``; any other path
is read as a file. String values may hold templates, see :mod:`exporter.simulator.templates`.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from exporter.errors import yaml_problem
from exporter.simulator.templates import TemplateError, render_tree

JSONObject = dict[str, Any]


class ScenarioError(ValueError):
    """A scenario that does not exist or cannot be read."""


def _builtin_dir() -> Path:
    return Path(str(resources.files("exporter.simulator") / "scenarios"))


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios, e.g. ``['demo', 'empty']``."""
    return sorted(p.stem for p in _builtin_dir().glob("*.yaml"))


def scenario_path(name_or_path: str) -> Path:
    """The file of a built-in scenario name, or ``name_or_path`` itself if it is a file."""
    builtin = _builtin_dir() / f"{name_or_path}.yaml"
    if "/" not in name_or_path and builtin.is_file():
        return builtin
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise ScenarioError(
        f"no scenario {name_or_path!r}: not a file and not one of {', '.join(list_scenarios())}"
    )


def load_scenario_objects(name_or_path: str, *, now: float | None = None) -> list[JSONObject]:
    """The objects of a scenario with templates rendered at ``now`` (default: now)."""
    path = scenario_path(name_or_path)
    moment = time.time() if now is None else now
    try:
        documents = list(yaml.safe_load_all(path.read_text()))
    except OSError as error:
        raise ScenarioError(f"cannot read scenario {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"cannot read scenario {path}: {yaml_problem(error)}") from None
    objects = []
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict) or "kind" not in document:
            raise ScenarioError(f"scenario {path}: every document must be a Kubernetes object")
        try:
            objects.append(render_tree(document, now=moment))
        except TemplateError as error:
            raise ScenarioError(f"scenario {path}: {error}") from None
    return objects
