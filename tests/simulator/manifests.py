"""Small manifests the simulator tests build on."""

from __future__ import annotations

from typing import Any


def secret(name: str, namespace: str = "default", **extra: Any) -> dict[str, Any]:
    """A minimal Secret manifest."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        **extra,
    }


def pod(
    name: str, namespace: str = "default", labels: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    """A minimal Pod manifest."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], **spec},
    }
