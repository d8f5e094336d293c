"""Chart behaviour beyond the documented variants: scheduling of several pods, names and
labels within Kubernetes' limits, the `job` label under `nameOverride`, Roles only where
the exporter watches, and the registry probe's CA bundle."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.deploy.chart import NAMESPACE, VARIANTS, Manifest, Rendered, render

SELECTOR = {
    "app.kubernetes.io/name": "imagepull-exporter",
    "app.kubernetes.io/instance": "imagepull-exporter",
    "app.kubernetes.io/component": "exporter",
}
SOFT = {
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": {"matchLabels": SELECTOR},
                },
            }
        ]
    }
}
HARD = {
    "podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": SELECTOR}}
        ]
    }
}
MINE = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchExpressions": [
        {"key": "pool", "operator": "In", "values": ["monitoring"]}]}]}}}  # fmt: skip


@pytest.mark.parametrize(
    ("values", "affinity"),
    [
        ({}, None),  # one pod: nothing to spread
        ({"replicas": 2}, SOFT),
        ({"replicas": 3, "podAntiAffinity": "hard"}, HARD),
        ({"replicas": 2, "podAntiAffinity": "none"}, None),
        ({"sharding": {"enabled": True, "shards": 3}}, SOFT),
        ({"sharding": {"enabled": True, "shards": 1}, "replicas": 2}, None),
        ({"replicas": 2, "affinity": MINE}, MINE),  # the user's own wins, whole
    ],
)
def test_several_pods_are_kept_on_different_nodes(
    values: dict[str, Any], affinity: Manifest | None
) -> None:
    r = render(values)
    assert r.pod_spec.get("affinity") == affinity
    pod_labels = r.workload["spec"]["template"]["metadata"]["labels"]
    assert SELECTOR.items() <= pod_labels.items()  # the term selects the chart's own pods
    kubernetes_validate.validate(r.workload, "1.28", strict=True)


def test_the_job_label_survives_name_override() -> None:
    r = render({"nameOverride": "pull-watch", "serviceMonitor": {"enabled": True}})
    service = r.one("Service")
    assert service["metadata"]["name"] == "imagepull-exporter-pull-watch"
    job_label = r.one("ServiceMonitor")["spec"]["jobLabel"]
    # The shipped alerts select job="imagepull-exporter".
    assert service["metadata"]["labels"][job_label] == "imagepull-exporter"


LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
DNS_LABEL_KINDS = {"Service"}  # names that must be a DNS-1035 label (63 characters)


@pytest.mark.parametrize(
    "values",
    [
        {"sharding": {"enabled": True, "shards": 3}},
        {"replicas": 2, "serviceMonitor": {"enabled": True}, "networkPolicy": {"enabled": True}},
    ],
)
def test_names_and_labels_fit_kubernetes_limits_for_long_names(values: dict[str, Any]) -> None:
    """Helm allows release names up to 53 characters; the full name is cut at 63."""
    release = "r" * 53
    r = render({**values, "nameOverride": "n" * 20}, release=release)
    for manifest in r.manifests:
        metadata = manifest["metadata"]
        limit = 63 if manifest["kind"] in DNS_LABEL_KINDS else 253
        assert len(metadata["name"]) <= limit, (manifest["kind"], metadata["name"])
        for value in (metadata.get("labels") or {}).values():
            assert len(value) <= 63, value
            assert LABEL_VALUE.fullmatch(value), value
    template_labels = r.workload["spec"]["template"]["metadata"]["labels"]
    assert all(len(v) <= 63 for v in template_labels.values())
    if r.workload["kind"] == "StatefulSet":
        # The controller labels pods controller-revision-hash=<name>-<10 characters>, and
        # names them <name>-<ordinal>: both must stay within 63.
        name = r.workload["metadata"]["name"]
        assert len(name) <= 52
        assert not name.endswith("-")
        assert r.workload["spec"]["serviceName"] == r.one("Service")["metadata"]["name"]


def test_no_role_in_an_excluded_namespace() -> None:
    r = render({"namespaces": ["team-a", "team-b"], "excludeNamespaces": ["team-b"]})
    for kind in ("Role", "RoleBinding"):
        assert [m["metadata"]["namespace"] for m in r.of_kind(kind)] == ["team-a"]
    assert r.of_kind("ClusterRole") == []
    # The exporter still gets both flags; it skips team-b itself (exporter/kube/targets.py).
    assert "--exclude-namespace=team-b" in r.exporter["args"]


@pytest.mark.parametrize("kind", ["secretName", "configMapName"])
def test_the_registry_ca_bundle_is_mounted_and_passed(kind: str) -> None:
    values = {"registryProbe": True, "registryProbeCA": {kind: "corp-ca", "key": "ca.pem"}}
    r = render(values)
    (flag,) = [a for a in r.exporter["args"] if a.startswith("--registry-probe-ca-file=")]
    path = flag.partition("=")[2]
    (mount,) = [m for m in r.exporter["volumeMounts"] if m["name"] == "registry-ca"]
    assert mount["readOnly"] is True
    assert path == f"{mount['mountPath']}/ca.pem"
    (volume,) = [v for v in r.pod_spec["volumes"] if v["name"] == "registry-ca"]
    source = volume["secret"] if kind == "secretName" else volume["configMap"]
    assert source["items"] == [{"key": "ca.pem", "path": "ca.pem"}]
    assert source.get("secretName", source.get("name")) == "corp-ca"
    kubernetes_validate.validate(r.workload, "1.37", strict=True)


def test_the_monitoring_objects_follow_the_release_namespace() -> None:
    r: Rendered = render(VARIANTS["monitoring"])
    (monitor,) = r.of_kind("ServiceMonitor")
    assert monitor["metadata"]["namespace"] == NAMESPACE
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
