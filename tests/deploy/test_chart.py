"""The Helm chart, rendered by Helm's own Go SDK for every documented variant.

Each variant is linted, every manifest is validated against several Kubernetes versions'
OpenAPI schemas (strict: unknown fields fail), custom resources are checked by hand, and the
security rules (read-only RBAC, hardened pods, probes) are asserted on what Helm rendered.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import helm_python as helm
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from exporter.kube.targets import watch_targets
from tests.deploy.chart import (
    CHART,
    NAMESPACE,
    ROOT,
    VARIANTS,
    Manifest,
    Rendered,
    annotations_of,
    render,
)

# The chart's oldest supported version (kubeVersion in Chart.yaml), two between, the newest.
KUBERNETES_VERSIONS = ("1.28", "1.31", "1.34", "1.37")
CUSTOM_RESOURCES = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}
READ_VERBS = ["get", "list", "watch"]
# Exactly what the exporter lists and watches; the registry probe GETs a secret, already there.
RESOURCES = {target.resource for target in watch_targets()}
RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def rendered(request: pytest.FixtureRequest) -> Rendered:
    """Each documented variant, rendered once for this module."""
    return render(VARIANTS[request.param], name=request.param)


def _pod_specs(r: Rendered) -> list[Manifest]:
    return [r.pod_spec, r.test_pod["spec"]]


# --- Helm lint (the values it refuses: test_chart_values.py) --------------------------------


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_helm_lint_finds_nothing_above_info(name: str) -> None:
    report = helm.lint(CHART, VARIANTS[name], strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert (report["errors"], problems) == ([], [])


# --- Kubernetes OpenAPI validation -----------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_strictly(rendered: Rendered, version: str) -> None:
    for manifest in rendered.manifests:
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_RESOURCES:
            continue  # no OpenAPI schema offline: checked by hand below
        kubernetes_validate.validate(manifest, version, strict=True)


def test_custom_resources_are_the_only_unvalidated_kinds(rendered: Rendered) -> None:
    for manifest in rendered.manifests:
        kind = (manifest["apiVersion"], manifest["kind"])
        if kind in CUSTOM_RESOURCES:
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(manifest, KUBERNETES_VERSIONS[-1], strict=True)


def test_service_monitor_scrapes_the_service(rendered: Rendered) -> None:
    service = rendered.one("Service")
    for monitor in rendered.of_kind("ServiceMonitor"):
        spec = monitor["spec"]
        assert set(spec) <= {"jobLabel", "namespaceSelector", "selector", "endpoints"}
        assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
        assert spec["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        # The alerts select job="imagepull-exporter" whatever the release is called.
        assert service["metadata"]["labels"][spec["jobLabel"]] == "imagepull-exporter"
        (endpoint,) = spec["endpoints"]
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
        assert endpoint["path"] == "/metrics"
        # namespace/pod/container are the exporter's labels, not the target's.
        assert endpoint["honorLabels"] is True
        # The target's own pod/container/service/endpoint never reach a series (the operator
        # adds them before these relabelings run, so a labeldrop here removes them).
        drop = endpoint["relabelings"][0]
        assert drop == {"action": "labeldrop", "regex": "pod|container|service|endpoint"}
        assert set(endpoint) <= {
            "port", "path", "interval", "scrapeTimeout", "honorLabels", "scheme",
            "tlsConfig", "basicAuth", "metricRelabelings", "relabelings",
        }  # fmt: skip
        if rendered.name == "tls":
            assert endpoint["scheme"] == "https"
            assert set(endpoint["tlsConfig"]) == {"ca"}
            assert set(endpoint["basicAuth"]) == {"username", "password"}
        if rendered.name == "monitoring":
            assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_prometheus_rules_are_well_formed(rendered: Rendered) -> None:
    for rule in rendered.of_kind("PrometheusRule"):
        assert set(rule["spec"]) == {"groups"}
        for group in rule["spec"]["groups"]:
            assert group["name"]
            assert group["rules"]
            for item in group["rules"]:
                assert ("alert" in item) != ("record" in item)
                assert isinstance(item["expr"], str)
                assert set(item) <= RULE_KEYS


# --- The shipped alerts and dashboards, exactly ----------------------------------------------


def test_prometheus_rules_carry_exactly_the_alerts_directory() -> None:
    sources = sorted((ROOT / "alerts").glob("*.rules.yml"))
    rules = render(VARIANTS["monitoring"]).of_kind("PrometheusRule")
    assert [r["spec"] for r in rules] == [yaml.safe_load(p.read_text()) for p in sources]


def test_dashboard_config_maps_carry_exactly_the_grafana_directory() -> None:
    sources = {p.name: p.read_text() for p in (ROOT / "grafana").glob("*.json")}
    maps = render(VARIANTS["monitoring"]).of_kind("ConfigMap")
    assert {k: v for m in maps for k, v in m["data"].items()} == sources
    for config_map in maps:
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_embedding_is_exact_for_awkward_files(tmp_path: Path) -> None:
    """Runs whatever alerts/ and grafana/ hold today: a Go-template-looking rule, tabs,
    quotes and non-ASCII text survive the chart byte for byte."""
    chart = tmp_path / "imagepull-exporter"
    shutil.copytree(CHART, chart)
    for folder in ("alerts", "dashboards"):
        for old in (chart / "files" / folder).glob("*.*"):
            old.unlink()
    rules = (
        "# comment kept\n"
        "groups:\n"
        "  - name: t\n"
        "    rules:\n"
        "      - alert: T\n"
        "        expr: |\n"
        '          max by (namespace) (up{job="imagepull-exporter"}) == 0\n'
        "        annotations:\n"
        "          summary: '{{ $labels.namespace }} is down: \"quoted\" ünïcode'\n"
    )
    dashboard = json.dumps({"title": "Pulls — ünïcode", "x": "{{ .Values }}\t'\""}, indent=2)
    (chart / "files" / "alerts" / "extra.rules.yml").write_text(rules)
    (chart / "files" / "dashboards" / "pull_failures.json").write_text(dashboard + "\n")
    dashboards = {"enabled": True, "label": "dash", "labelValue": "yes"}
    r = render({**VARIANTS["monitoring"], "dashboards": dashboards}, chart)
    rule = r.one("PrometheusRule")
    assert rule["metadata"]["name"] == "imagepull-exporter-extra"
    assert rule["spec"] == yaml.safe_load(rules)
    config_map = r.one("ConfigMap")
    assert config_map["metadata"]["name"] == "imagepull-exporter-dashboard-pull-failures"
    assert config_map["metadata"]["labels"]["dash"] == "yes"
    assert config_map["data"] == {"pull_failures.json": dashboard + "\n"}
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(config_map, version, strict=True)


# --- RBAC: get, list, watch on five core resources; nothing else ------------------------------


def test_namespaced_mode_watches_the_same_resources() -> None:
    # One grant serves both modes: a Role per namespace holds what a ClusterRole would.
    assert {t.resource for t in watch_targets(["a"], ["b"])} == RESOURCES


def test_rbac_is_read_only_on_exactly_the_watched_resources(rendered: Rendered) -> None:
    roles = rendered.of_kind("ClusterRole") + rendered.of_kind("Role")
    assert roles
    for role in roles:
        granted: set[str] = set()
        for rule in role["rules"]:
            assert set(rule) == {"apiGroups", "resources", "verbs"}  # no resourceNames, no URLs
            assert rule["apiGroups"] == [""]
            assert rule["verbs"] == READ_VERBS
            assert "*" not in rule["resources"]
            granted |= set(rule["resources"])
        # No `namespaces`: the exporter never lists them (it needs no cluster-scoped read).
        assert granted == RESOURCES


def test_rbac_scope_follows_namespaces(rendered: Rendered) -> None:
    values = VARIANTS[rendered.name]
    excluded = values.get("excludeNamespaces", [])
    namespaces = [ns for ns in values.get("namespaces", []) if ns not in excluded]
    sa = rendered.one("ServiceAccount")["metadata"]["name"]
    bindings = rendered.of_kind("ClusterRoleBinding") + rendered.of_kind("RoleBinding")
    if namespaces:
        assert rendered.of_kind("ClusterRole") == rendered.of_kind("ClusterRoleBinding") == []
        assert sorted(r["metadata"]["namespace"] for r in rendered.of_kind("Role")) == namespaces
        assert sorted(b["metadata"]["namespace"] for b in bindings) == namespaces
        args = rendered.exporter["args"]
        assert [a for a in args if a.startswith("--namespace=")] == [
            f"--namespace={ns}" for ns in namespaces
        ]
        assert "--exclude-namespace=team-b-tmp" in args
    else:
        assert rendered.of_kind("Role") == rendered.of_kind("RoleBinding") == []
    for binding in bindings:
        kind = "ClusterRole" if binding["kind"] == "ClusterRoleBinding" else "Role"
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "imagepull-exporter",
        }  # fmt: skip
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}
        ]


# --- Pods: hardened, probed, sized ------------------------------------------------------------


def test_pods_run_hardened(rendered: Rendered) -> None:
    for spec in _pod_specs(rendered):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert pod["runAsUser"] == 65532
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec)
        assert all("hostPath" not in volume for volume in spec.get("volumes", []))
        for container in spec["containers"]:
            ctx = container["securityContext"]
            assert ctx["runAsNonRoot"] is True
            assert ctx["runAsUser"] == 65532
            assert ctx["readOnlyRootFilesystem"] is True
            assert ctx["allowPrivilegeEscalation"] is False
            assert ctx["capabilities"] == {"drop": ["ALL"]}
            assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
            assert container["resources"]["limits"]["memory"]
            assert container["resources"]["requests"]["memory"]


def test_only_the_exporter_pod_gets_a_token(rendered: Rendered) -> None:
    assert rendered.one("ServiceAccount")["automountServiceAccountToken"] is False
    assert rendered.workload["spec"]["template"]["spec"]["automountServiceAccountToken"] is True
    assert rendered.test_pod["spec"]["automountServiceAccountToken"] is False


def test_default_resources(rendered: Rendered) -> None:
    # values.yaml cites bench/RESULTS.md for these figures; a change is a deliberate one.
    assert rendered.exporter["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"memory": "256Mi"},
    }


def test_probes_hit_healthz_and_readyz_on_a_plain_port(rendered: Rendered) -> None:
    container = rendered.exporter
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    probes = {
        kind: container[f"{kind}Probe"]["httpGet"] for kind in ("startup", "liveness", "readiness")
    }
    assert {kind: get["path"] for kind, get in probes.items()} == {
        "startup": "/healthz", "liveness": "/healthz", "readiness": "/readyz",
    }  # fmt: skip
    args = container["args"]
    assert "--web.listen-address=:9917" in args
    assert ports["http"] == 9917
    if rendered.name == "tls":
        # /metrics needs TLS and a password; the kubelet and `helm test` have neither.
        assert {get["port"] for get in probes.values()} == {"probes"}
        assert ports["probes"] == 9918
        assert "--web.probe-address=:9918" in args
        assert "--web.config.file=/etc/imagepull-exporter/web/web-config.yml" in args
    else:
        assert {get["port"] for get in probes.values()} == {"http"}
        assert not [a for a in args if a.startswith(("--web.probe-address", "--web.config"))]


def test_web_config_secret_only_with_tls_or_basic_auth(rendered: Rendered) -> None:
    secrets = rendered.of_kind("Secret")
    if rendered.name != "tls":
        assert secrets == []
        return
    (secret,) = secrets
    config = yaml.safe_load(secret["stringData"]["web-config.yml"])
    assert config["tls_server_config"]["cert_file"] == "/etc/imagepull-exporter/tls/tls.crt"
    assert list(config["basic_auth_users"]) == ["prometheus"]
    pod = rendered.workload["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["web-config"]["secret"]["secretName"] == secret["metadata"]["name"]
    assert volumes["tls"]["secret"]["secretName"] == "imagepull-exporter-tls"
    mounts = {m["name"]: m for m in rendered.exporter["volumeMounts"]}
    assert mounts["web-config"] == {
        "name": "web-config", "mountPath": "/etc/imagepull-exporter/web", "readOnly": True,
    }  # fmt: skip
    annotations = rendered.workload["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/web-config" in annotations  # a changed password rolls the pods


def test_helm_test_pod_checks_readyz_with_the_exporter_image(rendered: Rendered) -> None:
    pod = rendered.test_pod
    assert annotations_of(pod)["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    assert container["image"] == rendered.exporter["image"] == "imagepull-exporter:0.1.0"
    assert container["command"][:2] == ["python", "-c"]
    compile(container["command"][2], "helm-test", "exec")
    port = 9918 if rendered.name == "tls" else 9917
    service = rendered.one("Service")["metadata"]["name"]
    assert container["command"][3] == f"http://{service}.{NAMESPACE}.svc:{port}/readyz"
    assert port in {p["port"] for p in rendered.one("Service")["spec"]["ports"]}


# --- Replicas, disruption budget, sharding ----------------------------------------------------


def test_replicas_and_disruption_budget(rendered: Rendered) -> None:
    replicas = rendered.workload["spec"]["replicas"]
    expected = {"ha": 2, "sharded": 3}.get(rendered.name, 1)
    assert replicas == expected
    budgets = rendered.of_kind("PodDisruptionBudget")
    if replicas == 1:
        assert budgets == []
        return
    (budget,) = budgets
    assert budget["spec"]["maxUnavailable"] == 1
    pod_labels = rendered.workload["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_selectors_match_the_pods(rendered: Rendered) -> None:
    pod_labels = rendered.workload["spec"]["template"]["metadata"]["labels"]
    assert rendered.workload["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert rendered.one("Service")["spec"]["selector"].items() <= pod_labels.items()
    for policy in rendered.of_kind("NetworkPolicy"):
        assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()


def test_sharded_mode_derives_the_index_from_the_pod_ordinal(rendered: Rendered) -> None:
    args = rendered.exporter["args"]
    if rendered.name != "sharded":
        assert rendered.workload["kind"] == "Deployment"
        assert not [a for a in args if a.startswith("--shard")]
        return
    statefulset = rendered.workload
    assert statefulset["kind"] == "StatefulSet"
    service = rendered.one("Service")
    assert service["spec"]["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == service["metadata"]["name"]
    assert statefulset["spec"]["podManagementPolicy"] == "Parallel"
    assert "--shard-count=3" in args
    assert "--shard-index=$(SHARD_INDEX)" in args
    (env,) = [e for e in rendered.exporter["env"] if e["name"] == "SHARD_INDEX"]
    # Set by the StatefulSet controller from the pod name's ordinal (<name>-<ordinal>).
    assert env["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}
    }


def test_network_policy_allows_scrapes_dns_and_the_api_server(rendered: Rendered) -> None:
    policies = rendered.of_kind("NetworkPolicy")
    if not VARIANTS[rendered.name].get("networkPolicy"):
        assert policies == []
        return
    (policy,) = policies
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    ingress_ports = [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]]
    assert "http" in ingress_ports
    egress = policy["spec"]["egress"]
    assert {p["port"] for p in egress[0]["ports"]} == {53}
    assert {p["port"] for p in egress[1]["ports"]} == {443, 6443}
    values = VARIANTS[rendered.name]
    registry_rules = egress[2:]
    assert bool(registry_rules) == bool(values.get("registryProbe"))
    for rule in registry_rules:
        ports = values["networkPolicy"].get("registryPorts", [443])
        assert [p["port"] for p in rule["ports"]] == ports


def test_optional_flags_render_only_when_set(rendered: Rendered) -> None:
    args = rendered.exporter["args"]
    values = VARIANTS[rendered.name]
    assert ("--registry-probe" in args) == bool(values.get("registryProbe"))
    ca_flags = [a for a in args if a.startswith("--registry-probe-ca-file=")]
    assert bool(ca_flags) == ("registryProbeCA" in values)
    assert rendered.exporter["image"] == "imagepull-exporter:0.1.0"
