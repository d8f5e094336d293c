"""The chart, rendered by Helm's own Go SDK: the documented variants and what they render to.

Shared by the tests in this folder; helm-python-sdk is imported unconditionally, so without
it these tests fail at collection rather than being skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "imagepull-exporter"
RELEASE = "imagepull-exporter"
NAMESPACE = "monitoring"

Manifest = dict[str, Any]

# A well-formed bcrypt hash (of nothing anyone knows): the chart checks the format only.
BCRYPT_HASH = "$2y$10$" + "x" * 53

# Every variant docs/install.md documents, with the values it documents.
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "ha": {"replicas": 2},
    "namespaced": {"namespaces": ["team-a", "team-b"], "excludeNamespaces": ["team-b-tmp"]},
    "sharded": {"sharding": {"enabled": True, "shards": 3}},
    "tls": {
        "web": {
            "tls": {"enabled": True, "existingSecret": "imagepull-exporter-tls"},
            "basicAuthUsers": {"prometheus": BCRYPT_HASH},
        },
        "serviceMonitor": {
            "enabled": True,
            "tlsConfig": {"ca": {"secret": {"name": "ca", "key": "ca.crt"}}},
            "basicAuth": {
                "username": {"name": "scrape-auth", "key": "username"},
                "password": {"name": "scrape-auth", "key": "password"},
            },
        },
        "networkPolicy": {"enabled": True},
    },
    "monitoring": {
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True},
        "dashboards": {"enabled": True},
        "networkPolicy": {"enabled": True},
        "registryProbe": True,
    },
    "private-registry": {
        "registryProbe": True,
        "registryProbeCA": {"secretName": "registry-ca", "key": "bundle.pem"},
        "networkPolicy": {"enabled": True, "registryPorts": [443, 5000]},
    },
}


@dataclass(frozen=True)
class Rendered:
    """The manifests one set of values renders to."""

    name: str
    manifests: list[Manifest]

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def one(self, kind: str) -> Manifest:
        (found,) = self.of_kind(kind)
        return found

    @property
    def workload(self) -> Manifest:
        (found,) = [m for m in self.manifests if m["kind"] in ("Deployment", "StatefulSet")]
        return found

    @property
    def pod_spec(self) -> Manifest:
        spec: Manifest = self.workload["spec"]["template"]["spec"]
        return spec

    @property
    def exporter(self) -> Manifest:
        container: Manifest
        (container,) = self.pod_spec["containers"]
        return container

    @property
    def test_pod(self) -> Manifest:
        (found,) = [m for m in self.of_kind("Pod") if "helm.sh/hook" in annotations_of(m)]
        return found


def annotations_of(manifest: Manifest) -> dict[str, str]:
    found: dict[str, str] = manifest["metadata"].get("annotations") or {}
    return found


def render(
    values: dict[str, Any], chart: Path = CHART, name: str = "", release: str = RELEASE
) -> Rendered:
    """Render like ``helm install <release> -n monitoring``; NOTES.txt is left out."""
    templates = helm.Chart.load(chart).render(
        values, name=release, namespace=NAMESPACE, is_install=True
    )
    manifests = [
        doc
        for path, text in sorted(templates.items())
        if path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]
    return Rendered(name, manifests)
