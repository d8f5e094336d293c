"""Errors shared across the exporter's packages."""

from __future__ import annotations

import re

import yaml

# PyYAML quotes the offending token: a structural one ('<stream end>', ',') says where the
# syntax broke; anything longer is the document's own text (an alias or tag name).
_QUOTED = re.compile(r"'([^']*)'")


class SettingsError(ValueError):
    """Operator input that cannot work; the message is the one line printed at exit."""


def yaml_problem(error: yaml.YAMLError) -> str:
    """One line for a YAML error: the parser's complaint and where, never the multi-line
    snippet PyYAML prints, which may quote a token or a password.

    >>> try:
    ...     yaml.safe_load("a: [")
    ... except yaml.YAMLError as error:
    ...     print(yaml_problem(error))
    expected the node content, but found '<stream end>' (line 1, column 5)
    >>> try:
    ...     yaml.safe_load("password: *Hunter2pw")
    ... except yaml.YAMLError as error:
    ...     print(yaml_problem(error))
    found undefined alias '...' (line 1, column 11)
    """
    problem = _QUOTED.sub(_structural, getattr(error, "problem", None) or "not valid YAML")
    mark = getattr(error, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


def _structural(quoted: re.Match[str]) -> str:
    token = quoted.group(1)
    keep = len(token) <= 1 or (token.startswith("<") and token.endswith(">"))
    return quoted.group(0) if keep else "'...'"
