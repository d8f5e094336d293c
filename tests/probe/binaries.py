"""Locate the registry tools the probe tests run; a missing one fails the test, never
skips it (CI must not go green by testing nothing).

Install with ``scripts/install-monitoring-binaries --registry`` (docker-registry unpacked
under .cache/debian-bin/, htpasswd from apache2-utils) or
``apt-get install docker-registry apache2-utils``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
LOCAL = REPO / ".cache" / "debian-bin"
INSTALL_HINT = "run scripts/install-monitoring-binaries --registry"


def find(name: str) -> Path | None:
    """``name`` on PATH, else in .cache/debian-bin/bin or any .cache/debian-bin/**/usr/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = [LOCAL / "bin" / name, *sorted(LOCAL.glob(f"**/usr/bin/{name}"))]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def require(name: str) -> Path:
    """The path of ``name`` (``docker-registry``, ``htpasswd``, ``openssl``); fails the
    calling test when it is missing."""
    path = find(name)
    if path is None:
        pytest.fail(f"{name} not found on PATH nor under {LOCAL}: {INSTALL_HINT}", pytrace=False)
    return path
