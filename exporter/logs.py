"""Logging set-up: text or JSON lines on stderr.

Records the ``kubernetes`` package logs are kept, but not their text: its kubeconfig
loader logs an exec credential plugin's stderr verbatim whenever the plugin fails (at
start and at every token refresh), and plugins print tokens, URLs with credentials and
anything else there. Only the level, the package's module and line stay.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import sys
import time


def _package_dirs(name: str) -> tuple[str, ...]:
    """Where the package ``name`` is installed (without importing it), with a separator."""
    spec = importlib.util.find_spec(name)
    locations = spec.submodule_search_locations if spec else None
    return tuple(os.path.join(os.path.realpath(d), "") for d in locations or ())


_realpath = functools.lru_cache(maxsize=512)(os.path.realpath)


class WithholdLibraryText(logging.Filter):
    """Replaces the message of records logged from inside ``packages`` (by source path,
    since the ``kubernetes`` package logs through the root logger)."""

    def __init__(self, packages: tuple[str, ...] = ("kubernetes",)) -> None:
        super().__init__()
        self._dirs = tuple(d for package in packages for d in _package_dirs(package))

    def filter(self, record: logging.LogRecord) -> bool:
        path = _realpath(record.pathname)
        if self._dirs and path.startswith(self._dirs):
            module = record.module
            record.msg = (
                f"{module}:{record.lineno} logged a message, withheld (it may quote "
                "credentials, e.g. an exec plugin's stderr)"
            )
            record.args = None
            record.exc_info = record.exc_text = None
            record.name = f"kubernetes.{module}" if record.name == "root" else record.name
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and exception type)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry)


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(WithholdLibraryText())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
