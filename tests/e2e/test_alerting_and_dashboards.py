"""The bundle against the real thing: the demo scenario scraped by Debian's Prometheus with
the shipped rules, alerts routed by Debian's Alertmanager to a webhook in the test, and
every dashboard query answered by Prometheus' HTTP API.

Prometheus scrapes the exporter as two targets (two identical HA replicas, see conftest):
the alerts and panels below must come out as they would with one."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import FLOOD_REGISTRIES, REPLICAS, Stack, eventually
from tests.grafana.queries import PanelQuery, load_dashboards, panel_queries

pytestmark = pytest.mark.e2e
RUNBOOKS = "https://github.com/imagepull-exporter/imagepull-exporter/blob/main/docs/runbooks.md"
FALLBACK = re.compile(r"\s*or (?:on \(\) )?vector\(0\)\s*$")
# (alertname, namespace, severity) of everything the demo, plus the conftest's additions,
# raises; a page or a ticket outside this set is a false alarm.
EXPECTED_ALERTS = {
    # the seed's outage: an expired GHCR PAT, pods in ImagePullBackOff for 8 h
    ("ImagePullCredentialExpired", "payments", "critical"),
    ("ImagePullAuthenticationFailing", "payments", "critical"),
    ("ImagePullBackOffStuck", "payments", "warning"),
    # an ECR token with under a quarter of its 12 h left: its refresh job stopped
    ("ImagePullCredentialExpiryCritical", "checkout", "critical"),
    # a secret that exists only in namespace default
    ("ImagePullSecretMissing", "web", "warning"),
    ("ImagePullRegistryNotCovered", "web", "warning"),
    ("ImagePullAuthenticationFailing", "web", "critical"),
    ("ImagePullBackOffStuck", "web", "warning"),
    # the demo registry rejects a password pods still depend on
    ("ImagePullCredentialRejected", "reports", "critical"),
    # the conftest's long-lived credential, 5 days left and no pod using it yet
    ("ImagePullCredentialExpiringSoon", "e2e-expiring", "warning"),
}
# Stat panels whose value the demo fixes: what one exporter reports, whatever the replicas.
EXPECTED_STATS = {
    "Expired credentials in use": 1,  # payments/ghcr-pull
    "Long-lived credentials expiring within 14 days": 1,  # e2e-expiring/quay-robot
    "Pods referencing missing secrets": 1,  # web/quay-pull
    "Malformed pull secrets": 1,  # e2e-broken/broken-pull
    "Rejected credentials in use": 1,  # reports/api-pull
    "Containers failing to pull now": 3,  # 2 payments pods, 1 web pod
    "Rejected credentials now": 3,  # all three fail with auth errors
    "Exporter targets up": len(REPLICAS),  # targets, not facts: one per replica
}


def _received(stack: Stack, alertname: str, **labels: str) -> dict[str, object] | None:
    stack.check_alive()
    for alert in stack.webhook.received():
        got = alert["labels"]
        assert isinstance(got, dict)
        if got.get("alertname") == alertname and all(got.get(k) == v for k, v in labels.items()):
            return alert
    return None


def test_prometheus_scrapes_the_demo_exporter_as_two_replicas(stack: Stack) -> None:
    def both_up() -> list[dict[str, object]] | None:
        up = stack.query('up{job="imagepull-exporter"} == 1')
        return up if len(up) == len(REPLICAS) else None

    up = eventually(both_up, "the first scrape of both targets")
    assert sorted(s["metric"]["instance"] for s in up) == sorted(REPLICAS)  # type: ignore[index]


def test_expired_ghcr_credential_pages_once_with_its_runbook(stack: Stack) -> None:
    alert = eventually(
        lambda: _received(
            stack,
            "ImagePullCredentialExpired",
            namespace="payments",
            secret="ghcr-pull",
            registry="ghcr.io",
        ),
        "ImagePullCredentialExpired at the webhook",
    )
    assert alert["status"] == "firing"
    labels = alert["labels"]
    assert isinstance(labels, dict)
    assert labels["severity"] == "critical"
    assert "instance" not in labels  # one alert for both replicas
    annotations = alert["annotations"]
    assert isinstance(annotations, dict)
    assert annotations["runbook_url"] == f"{RUNBOOKS}#imagepullcredentialexpired"
    assert "payments/ghcr-pull expired 8h" in annotations["description"]
    firing = stack.query('ALERTS{alertname="ImagePullCredentialExpired", alertstate="firing"}')
    assert len(firing) == 1


def test_auth_failures_page_naming_each_pod_once(stack: Stack) -> None:
    alert = eventually(
        lambda: _received(
            stack,
            "ImagePullAuthenticationFailing",
            namespace="payments",
            registry="ghcr.io",
            cause="auth",
        ),
        "ImagePullAuthenticationFailing at the webhook",
    )
    assert alert["status"] == "firing"
    annotations = alert["annotations"]
    assert isinstance(annotations, dict)
    assert annotations["runbook_url"] == f"{RUNBOOKS}#imagepullauthenticationfailing"
    assert annotations["description"].endswith(
        "Waiting pods: payments-api-7d9f8b6c5d-m8j3n payments-api-7d9f8b6c5d-x2k4q."
    )


def test_credential_the_demo_registry_rejects_pages_with_its_runbook(stack: Stack) -> None:
    # the demo's reports/api-pull holds a password its registry no longer accepts; its pods
    # still run, so only the registry probe can tell
    alert = eventually(
        lambda: _received(
            stack,
            "ImagePullCredentialRejected",
            namespace="reports",
            secret="api-pull",
            result="unauthorized",
        ),
        "ImagePullCredentialRejected at the webhook",
    )
    assert alert["status"] == "firing"
    labels = alert["labels"]
    assert isinstance(labels, dict)
    assert labels["severity"] == "critical"
    assert labels["registry"].startswith("127.0.0.1:")
    annotations = alert["annotations"]
    assert isinstance(annotations, dict)
    assert annotations["runbook_url"] == f"{RUNBOOKS}#imagepullcredentialrejected"
    assert "2 pod(s) in reports reference it" in annotations["description"]
    # the credential the registry accepts raises nothing
    assert (
        stack.query('ALERTS{alertname="ImagePullCredentialRejected", secret="worker-pull"}') == []
    )
    assert _received(stack, "ImagePullCredentialRejected", secret="worker-pull") is None


def test_long_lived_credential_expiring_within_14_days_raises_a_ticket(stack: Stack) -> None:
    alert = eventually(
        lambda: _received(stack, "ImagePullCredentialExpiringSoon", namespace="e2e-expiring"),
        "ImagePullCredentialExpiringSoon at the webhook",
    )
    labels = alert["labels"]
    assert isinstance(labels, dict)
    assert (labels["secret"], labels["registry"], labels["severity"]) == (
        "quay-robot",
        "quay.io",
        "warning",
    )
    annotations = alert["annotations"]
    assert isinstance(annotations, dict)
    assert "expires in 4d 23h" in annotations["description"]


def _firing(stack: Stack) -> set[tuple[str, str, str]]:
    return {
        (m["alertname"], m.get("namespace", ""), m["severity"])
        for m in (s["metric"] for s in stack.query('ALERTS{alertstate="firing"}'))
        if isinstance(m, dict)
    }


def test_exactly_the_expected_alerts_fire(stack: Stack) -> None:
    # `for:` is 0s: every rule fires at its first evaluation with data, and a scrape slower
    # than the 1s interval fires ImagePullExporterDown for a second; wait for the set
    try:
        eventually(
            lambda: True if _firing(stack) == EXPECTED_ALERTS else None,
            "exactly the expected alerts firing",
            timeout=60,
        )
    except AssertionError:
        firing = _firing(stack)
        pytest.fail(
            f"unexpected: {sorted(firing - EXPECTED_ALERTS)}, "
            f"missing: {sorted(EXPECTED_ALERTS - firing)}"
        )
    # the healthy namespace, with its uncovered public image, raises nothing
    sent = [a for a in stack.webhook.received() if a["labels"].get("namespace") == "platform"]  # type: ignore[attr-defined]
    assert sent == []


def test_the_uncovered_public_image_is_listed_but_quiet(stack: Stack) -> None:
    uncovered = eventually(
        lambda: (
            stack.query(
                "imagepull_registry_uncovered_pods"
                '{namespace="platform", registry="registry.k8s.io"}'
            )
            or None
        ),
        "the uncovered public image",
    )
    assert {s["value"][1] for s in uncovered} == {"1"}  # type: ignore[index]
    assert (
        stack.query('ALERTS{alertname="ImagePullRegistryNotCovered", namespace="platform"}') == []
    )


def _without_fallback(query: PanelQuery) -> str:
    """The panel's query without its trailing ``or vector(0)``: with it, a stat returns 0 for
    a broken query as for a quiet cluster."""
    return FALLBACK.sub("", query.promql)


def _numbers(stack: Stack, promql: str, instant: bool) -> list[float]:
    """The query's values: a histogram quantile over no observations is NaN, not data."""
    result = stack.query(promql) if instant else stack.query_range(promql)
    values: list[float] = []
    for series in result:
        points = [series["value"]] if "value" in series else series["values"]
        assert isinstance(points, list)
        values += [float(point[1]) for point in points if point[1] not in ("NaN", "+Inf", "-Inf")]
    return values


def test_a_fallback_is_stripped_before_a_panel_is_checked() -> None:
    stat = PanelQuery("d", 1, "p", "A", 'count(up{job=~"$job"} == 0) or vector(0)')
    assert _without_fallback(stat) == 'count(up{job=~".*"} == 0)'
    per_instance = PanelQuery("d", 1, "p", "A", "sum by (instance) (x) or on () vector(0)")
    assert _without_fallback(per_instance) == "sum by (instance) (x)"
    inner = PanelQuery("d", 1, "p", "A", "sum(a or vector(0)) by (x)")
    assert _without_fallback(inner) == inner.promql


def test_every_dashboard_panel_query_returns_data(stack: Stack) -> None:
    instant = {
        (str(d["uid"]), panel["id"], target["refId"]): bool(target["instant"])
        for d in load_dashboards()
        for panel in d["panels"]  # type: ignore[attr-defined]
        for target in panel["targets"]
    }
    pending = panel_queries()
    assert len(pending) > 20
    assert any(FALLBACK.search(q.promql) for q in pending)

    def remaining() -> list[PanelQuery] | None:
        nonlocal pending
        stack.check_alive()
        pending = [
            q
            for q in pending
            if not _numbers(stack, _without_fallback(q), instant[(q.dashboard, q.panel_id, q.ref)])
        ]
        return [] if not pending else None

    try:
        # range panels over subqueries step on whole minutes: allow one to pass
        eventually(remaining, "data for every panel", timeout=90)
    except AssertionError:
        pytest.fail(
            "panels without data:\n" + "\n".join(f"{q}: {_without_fallback(q)}" for q in pending)
        )


def test_stat_panels_count_each_fact_once(stack: Stack) -> None:
    stats = {q.panel: q for q in panel_queries() if q.panel in EXPECTED_STATS}
    assert set(stats) == set(EXPECTED_STATS)

    def values() -> dict[str, list[float]] | None:
        got = {title: _numbers(stack, q.promql, instant=True) for title, q in stats.items()}
        wanted = {title: [float(v)] for title, v in EXPECTED_STATS.items()}
        return got if got == wanted else None

    try:
        eventually(values, "the stat panels' values", timeout=60)
    except AssertionError:
        got = {title: _numbers(stack, q.promql, instant=True) for title, q in stats.items()}
        pytest.fail(f"stat values {got}, expected {EXPECTED_STATS}")


def test_self_health_panels_show_the_restarts_and_the_dropped_series(stack: Stack) -> None:
    by_title = {q.panel: q for q in panel_queries()}
    restarts = _numbers(stack, by_title["Watch restarts in the time range"].promql, instant=True)
    dropped = _numbers(stack, by_title["Series dropped in the time range"].promql, instant=True)
    # per exporter instance: both "replicas" report the same
    assert len(restarts) == len(REPLICAS)
    assert min(restarts) > 0
    assert len(dropped) == len(REPLICAS)
    assert min(dropped) > 0
    folded = stack.query('imagepull_failures_total{namespace="e2e-flood", registry="other"}')
    assert folded, f"{FLOOD_REGISTRIES} registries in one namespace fold the last into other"
