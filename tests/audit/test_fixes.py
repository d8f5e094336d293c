"""The fix commands' own pieces: the jq program agrees with the exporter's key rules."""

from __future__ import annotations

import doctest
import json
import shutil
import subprocess

import pytest

from exporter.audit import fixes, report
from exporter.credentials import normalise_registry_key

# Keys as tools write them (kubectl, docker login, podman, Helm charts); each must map to
# kubelet's keyring key in jq exactly as in exporter.credentials.registry_keys.
KEYS = [
    "https://index.docker.io/v1/",  # kubectl's default server
    "index.docker.io",
    "https://ghcr.io",
    "ghcr.io/",
    "http://registry.local:5000/v2/",
    "registry.local:5000",
    "registry.local:",  # an empty port matches like none
    "quay.io/v2/",
    "quay.io/v1/team/app",
    "example.com/team",
    "example.com/team/",
    "*.azurecr.io",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "[::1]:5000",
    "ghcr.io/v1/v2/x",  # one prefix only, as kubelet strips it
]


@pytest.fixture(scope="module")
def jq() -> str:
    path = shutil.which("jq")
    if path is None:
        pytest.skip("jq not installed")
    return path


def test_jq_norm_is_kubelets_key(jq: str) -> None:
    program = f"{fixes.JQ_NORM} map(norm)"
    completed = subprocess.run([jq, "-c", program], input=json.dumps(KEYS), check=True,
                               capture_output=True, text=True, timeout=30)  # fmt: skip
    assert json.loads(completed.stdout) == [normalise_registry_key(k) for k in KEYS]


@pytest.mark.parametrize("module", [fixes, report])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
