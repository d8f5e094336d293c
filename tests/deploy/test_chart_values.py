"""Values the chart refuses, and how: the schema for single values, the templates for what
the schema cannot say without quoting a secret (a `pattern` error prints the value) or
what spans several values. Each is refused at `helm install`, before a pod could crash-loop
on it, with a message that never contains a password or a hash."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import pytest

from tests.deploy.chart import BCRYPT_HASH, CHART, NAMESPACE, render

TLS = {"enabled": True, "existingSecret": "tls"}
# A plain password typed where a hash belongs: the mistake the bcrypt check exists for.
PLAIN_PASSWORD = "S3cretPlainPassw0rd-canary"


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replica": 2}, "additional properties 'replica' not allowed"),
        ({"image": {"tagg": "1"}}, "additional properties 'tagg' not allowed"),
        ({"web": {"tls": {"enabled": True}}}, "existingSecret"),
        ({"namespaces": ["Team_A"]}, "namespaces"),
        ({"log": {"format": "logfmt"}}, "format"),
        ({"extraArgs": ["web.listen-address=:1"]}, "extraArgs"),
        # The exporter refuses both at start (exporter/http/webconfig.py, UNSUPPORTED_VALUES).
        ({"web": {"tls": {**TLS, "minVersion": "TLS10"}}}, "minVersion"),
        ({"web": {"tls": {**TLS, "minVersion": "TLS11"}}}, "minVersion"),
        ({"web": {"basicAuthUsers": {"prometheus": 12345}}}, "basicAuthUsers"),
        ({"podAntiAffinity": "sometimes"}, "podAntiAffinity"),
        ({"networkPolicy": {"registryPorts": []}}, "registryPorts"),
        ({"networkPolicy": {"registryPorts": [70000]}}, "registryPorts"),
        ({"registryProbeCA": {"key": "../etc/passwd"}}, "key"),
        ({"serviceMonitor": {"dropTargetLabels": ["not-a-label"]}}, "dropTargetLabels"),
    ],
)
def test_schema_rejects_bad_values(values: dict[str, Any], complaint: str) -> None:
    with pytest.raises(helm.HelmValuesError, match=complaint):
        render(values)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"web": {"basicAuthUsers": {"prometheus": "$2$nothash"}}}, "prometheus: not a bcrypt"),
        # Cost 03 and a hash one character short: the exporter's regex refuses both.
        ({"web": {"basicAuthUsers": {"p": "$2y$03$" + "x" * 53}}}, "p: not a bcrypt"),
        ({"web": {"basicAuthUsers": {"p": "$2y$10$" + "x" * 52}}}, "p: not a bcrypt"),
        ({"web": {"basicAuthUsers": {"pro:m": BCRYPT_HASH}}}, "contains ':'"),
        # Two listeners on one port: one of them cannot bind.
        ({"web": {"tls": TLS, "probePort": 9917}}, "web.probePort and web.port are both 9917"),
        (
            {"web": {"basicAuthUsers": {"p": BCRYPT_HASH}, "port": 8080, "probePort": 8080}},
            "both 8080",
        ),
        ({"registryProbeCA": {"secretName": "ca"}}, "registryProbe is false"),
        (
            {"registryProbe": True, "registryProbeCA": {"secretName": "a", "configMapName": "b"}},
            "not both",
        ),
        ({"namespaces": ["a"], "excludeNamespaces": ["a"]}, "nothing would be watched"),
    ],
)
def test_templates_reject_what_the_schema_cannot_say(
    values: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(helm.HelmRenderError, match=complaint):
        render(values)


def test_probe_port_may_equal_the_metrics_port_when_unused() -> None:
    # Without TLS or basic auth there is no second listener: nothing to clash.
    render({"web": {"probePort": 9917}})


@pytest.mark.parametrize(
    "password",
    [
        PLAIN_PASSWORD,
        "$2y$" + PLAIN_PASSWORD,  # looks like the start of a hash
        "$2y$10$" + PLAIN_PASSWORD + "x" * 30,
        "hunter2",
    ],
)
def test_a_plain_password_is_never_echoed(password: str, capfd: pytest.CaptureFixture[str]) -> None:
    """Helm prints this error to the terminal or the CI log: it names the user, never the
    value (the old schema `pattern` quoted it). Helm's Go code also logs to stderr."""
    values = {"web": {"basicAuthUsers": {"prometheus": password}}}
    with pytest.raises(helm.HelmError) as raised:
        render(values)
    message = str(raised.value)
    assert "web.basicAuthUsers.prometheus: not a bcrypt hash" in message
    assert "value is not shown" in message
    assert password not in message
    # helm lint (lenient about `fail`, so it reports nothing) must not print it either.
    report = helm.lint(CHART, values, strict=True, namespace=NAMESPACE)
    assert password not in repr(report)
    printed = capfd.readouterr()
    assert password not in printed.out + printed.err
