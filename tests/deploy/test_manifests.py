"""deploy/manifests/ is exactly what deploy/render.py makes from the chart, and kustomize
builds it into the default install: namespace monitoring, no Helm bookkeeping, no test hook."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "manifests"


@pytest.fixture(scope="module")
def render(deploy_script: Callable[[str], ModuleType]) -> ModuleType:
    return deploy_script("render")


def test_committed_manifests_equal_a_fresh_render(render: ModuleType) -> None:
    assert render.differences() == [], "run: python deploy/render.py"


def test_a_hand_edit_a_leftover_and_a_deletion_are_caught(
    render: ModuleType, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "deploy" / "helm", tmp_path / "deploy" / "helm")
    shutil.copytree(MANIFESTS, tmp_path / "deploy" / "manifests")
    manifests = tmp_path / "deploy" / "manifests"
    (manifests / "service.yaml").write_text((manifests / "service.yaml").read_text() + "# x\n")
    (manifests / "serviceaccount.yaml").unlink()
    (manifests / "old.yaml").write_text("{}\n")
    assert render.differences(tmp_path) == [
        "deploy/manifests/service.yaml: differs",
        "deploy/manifests/serviceaccount.yaml: missing",
        "deploy/manifests/old.yaml: not rendered by the chart",
    ]
    render.write(tmp_path)
    assert render.differences(tmp_path) == []


def _kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed (.ci/install installs it)"
    built = subprocess.run(
        [kubectl, "kustomize", str(folder)], check=True, capture_output=True, text=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(built) if doc]


def test_kustomize_builds_the_default_install() -> None:
    objects = _kustomize(MANIFESTS)
    kinds = sorted(str(o["kind"]) for o in objects)
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount"]
    for obj in objects:
        metadata = obj["metadata"]
        assert isinstance(metadata, dict)
        labels = metadata["labels"]
        assert "helm.sh/chart" not in labels
        assert "app.kubernetes.io/managed-by" not in labels
        if obj["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            assert metadata["namespace"] == "monitoring"


def test_kustomize_builds_the_prometheus_operator_objects() -> None:
    kinds = {str(o["kind"]) for o in _kustomize(MANIFESTS / "monitoring")}
    assert "ServiceMonitor" in kinds
    assert kinds <= {"ServiceMonitor", "PrometheusRule", "ConfigMap"}


def _documented_overlays() -> dict[str, str]:
    """docs/install.md's kustomization examples, by the folder their first line names."""
    text = (ROOT / "docs" / "install.md").read_text()
    blocks = re.findall(r"```yaml\n# ([\w-]+)/kustomization\.yaml\n(.*?)```", text, re.S)
    return dict(blocks)


def test_the_documented_overlays_move_everything_to_their_namespace(tmp_path: Path) -> None:
    """Built exactly as docs/install.md writes them, next to a ``deploy`` folder."""
    overlays = _documented_overlays()
    assert set(overlays) == {"my-overlay", "my-monitoring-overlay"}
    (tmp_path / "deploy").symlink_to(ROOT / "deploy")
    for folder, text in overlays.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "kustomization.yaml").write_text(text)
    base = _kustomize(tmp_path / "my-overlay")
    for obj in base:
        metadata = obj["metadata"]
        assert isinstance(metadata, dict)
        if obj["kind"] == "ClusterRoleBinding":
            assert obj["subjects"] == [
                {
                    "kind": "ServiceAccount",
                    "name": "imagepull-exporter",
                    "namespace": "observability",
                }
            ]
        elif obj["kind"] != "ClusterRole":
            assert metadata["namespace"] == "observability", obj["kind"]
    (deployment,) = [o for o in base if o["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/imagepull-exporter:0.1.0"
    monitoring = _kustomize(tmp_path / "my-monitoring-overlay")
    assert {o["metadata"]["namespace"] for o in monitoring} == {"observability"}
    (monitor,) = [o for o in monitoring if o["kind"] == "ServiceMonitor"]
    # Where Prometheus looks for the exporter's Service: moved with it.
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["observability"]}
