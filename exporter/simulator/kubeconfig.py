"""Kubeconfig files pointing at a running simulator."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml


def kubeconfig(
    url: str, *, token: str | None, namespace: str | None = None, authority: bytes | None = None
) -> dict[str, Any]:
    """A kubeconfig with one cluster, user and current context named ``simulator``;
    ``authority`` is the PEM certificate to trust for an https ``url``."""
    cluster: dict[str, Any] = {"server": url}
    if authority:
        cluster["certificate-authority-data"] = base64.b64encode(authority).decode()
    context: dict[str, Any] = {"cluster": "simulator", "user": "simulator"}
    if namespace:
        context["namespace"] = namespace
    user: dict[str, Any] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "simulator", "cluster": cluster}],
        "users": [{"name": "simulator", "user": user}],
        "contexts": [{"name": "simulator", "context": context}],
        "current-context": "simulator",
        "preferences": {},
    }


def write_kubeconfig(path: str | os.PathLike[str], config: dict[str, Any]) -> None:
    """Write ``config`` readable only by its owner (it may hold a token)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    temporary.replace(target)  # readers never see a half-written file
