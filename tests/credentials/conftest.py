"""Fixtures for pull-secret tests: secrets made by the real kubectl, and raw builders."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pytest
import yaml

#: (type, data) of the Secret kubectl printed.
KubectlSecret = Callable[..., tuple[str, dict[str, str]]]


@pytest.fixture(scope="session")
def kubectl_secret() -> KubectlSecret:
    """Run ``kubectl create secret docker-registry --dry-run=client -o yaml``.

    Returns the Secret's type and data, so tests read exactly what kubectl writes
    (including its default server ``https://index.docker.io/v1/`` and its ``auth``).
    ``command="generic"`` runs ``kubectl create secret generic`` instead.
    """
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")

    def create(
        name: str, *flags: str, command: str = "docker-registry"
    ) -> tuple[str, dict[str, str]]:
        completed = subprocess.run(
            [kubectl, "create", "secret", command, name, *flags,
             "--dry-run=client", "-o", "yaml"],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        secret = yaml.safe_load(completed.stdout)
        assert isinstance(secret, dict)
        # kubectl leaves "type" out for generic secrets: the API server makes them Opaque
        secret_type = str(secret.get("type", "Opaque"))
        return secret_type, {str(k): str(v) for k, v in secret["data"].items()}

    return create
