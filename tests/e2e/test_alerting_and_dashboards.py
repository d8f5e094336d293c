"""The bundle against the real thing: the demo scenario scraped by Debian's Prometheus with
the shipped rules, alerts routed by Debian's Alertmanager to a webhook in the test, and
every dashboard query answered by Prometheus' HTTP API."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack, eventually
from tests.grafana.queries import PanelQuery, load_dashboards, panel_queries

pytestmark = pytest.mark.e2e
RUNBOOKS = "https://github.com/imagepull-exporter/imagepull-exporter/blob/main/docs/runbooks.md"


def _received(stack: Stack, alertname: str, **labels: str) -> dict[str, object] | None:
    stack.check_alive()
    for alert in stack.webhook.received():
        got = alert["labels"]
        assert isinstance(got, dict)
        if got.get("alertname") == alertname and all(got.get(k) == v for k, v in labels.items()):
            return alert
    return None


def test_prometheus_scrapes_the_demo_exporter(stack: Stack) -> None:
    up = eventually(
        lambda: stack.query('up{job="imagepull-exporter"} == 1') or None, "the first scrape"
    )
    assert len(up) == 1


def test_expired_ghcr_credential_pages_with_its_runbook(stack: Stack) -> None:
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
    assert alert["labels"]["severity"] == "critical"  # type: ignore[index]
    annotations = alert["annotations"]
    assert isinstance(annotations, dict)
    assert annotations["runbook_url"] == f"{RUNBOOKS}#imagepullcredentialexpired"
    assert "payments/ghcr-pull expired 8h" in annotations["description"]


def test_auth_failures_page_with_their_runbook(stack: Stack) -> None:
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
    assert "payments-api-7d9f8b6c5d-m8j3n" in annotations["description"]


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


def test_healthy_platform_namespace_raises_nothing(stack: Stack) -> None:
    # by now (the two pages above arrived) every rule has been evaluated on the demo's data
    eventually(lambda: _received(stack, "ImagePullCredentialExpired"), "a first page")
    firing = stack.query('ALERTS{namespace="platform"}')
    assert firing == []
    sent = [a for a in stack.webhook.received() if a["labels"].get("namespace") == "platform"]  # type: ignore[attr-defined]
    assert sent == []


def _has_data(stack: Stack, query: PanelQuery, instant: bool) -> bool:
    """At least one number: a histogram quantile over no observations is NaN, not data."""
    result = stack.query(query.promql) if instant else stack.query_range(query.promql)
    samples: list[object] = []
    for series in result:
        points = [series["value"]] if "value" in series else series["values"]
        assert isinstance(points, list)
        samples += [point[1] for point in points]
    return any(value not in ("NaN", "+Inf", "-Inf") for value in samples)


def test_every_dashboard_panel_query_returns_data(stack: Stack) -> None:
    instant = {
        (str(d["uid"]), panel["id"], target["refId"]): bool(target["instant"])
        for d in load_dashboards()
        for panel in d["panels"]  # type: ignore[attr-defined]
        for target in panel["targets"]
    }
    pending = panel_queries()
    assert len(pending) > 20

    def remaining() -> list[PanelQuery] | None:
        nonlocal pending
        stack.check_alive()
        pending = [
            q for q in pending if not _has_data(stack, q, instant[(q.dashboard, q.panel_id, q.ref)])
        ]
        return [] if not pending else None

    try:
        eventually(remaining, "data for every panel", timeout=30)
    except AssertionError:
        pytest.fail("panels without data:\n" + "\n".join(f"{q}: {q.promql}" for q in pending))
