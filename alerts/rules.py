"""The alerts of the bundle: one query, severity and text each, over alerts/config.yaml.

Alerts about the cluster (credentials, secrets, pulls) carry no ``instance``: their labels
are the same whichever replica exported the facts, so two replicas raise one alert and an
exporter restart neither resolves nor restarts one (see :func:`alerts.promql.held`). Alerts
about the exporter itself stay per instance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts import promql
from alerts.promql import Scope, indent
from alerts.settings import Config, ConfigError, parse_duration

UNCOVERED = "imagepull_registry_uncovered_pods"
WAITING_INFO = "imagepull_container_waiting_info"
AUTH_CAUSES = "auth|denied"
WAITING_SINCE = "imagepull_container_waiting_since_timestamp_seconds"
PROBE_RESULT = "imagepull_registry_probe_result"
PROBE_TIMESTAMP = "imagepull_registry_probe_timestamp_seconds"
# How long a cluster whose exporter targets all vanished from discovery stays reported.
VANISHED_WITHIN = "1d"


def scope(c: Config) -> Scope:
    return Scope(c.selector, c.target_labels, c.replica_labels)


def _fill(text: str, **values: str) -> str:
    # Go templates own the braces, PromQL the square brackets: placeholders are @name@.
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


# --- the queries ------------------------------------------------------------------------


def _kind_lifetimes(c: Config) -> dict[str, str]:
    """Seconds each kind of ``short_lived_kinds`` lives, as PromQL numbers."""
    return {
        kind: str(parse_duration(lifetime, f"short_lived_kinds.{kind}"))
        for kind, lifetime in c.short_lived_kinds.items()
    }


def _short_lived(c: Config) -> str:
    return promql.short_lived(
        scope(c),
        c.seconds("credential_expiring_soon"),
        _kind_lifetimes(c),
        c.issued_at_rotation_kinds,
    )


def _or_inferred(
    c: Config, decoded: str, inferred: Callable[[str], str], s: Scope | None = None
) -> str:
    """``decoded``, or ``inferred`` over the expiry inferred for credentials of a
    fixed-lifetime kind that show none (``expiry="inferred"``): without this, such a token
    whose refresh job stopped would page nobody until ImagePullSecretNotRotated."""
    kinds = _kind_lifetimes(c)
    if not kinds:
        return decoded
    s = s or scope(c)
    expected = f"(\n{indent(promql.inferred_expiry(s, kinds))}\n)"
    marked = promql.mark_inferred(inferred(expected))
    return (
        f"(\n{indent(decoded)}\n)\n"
        "# a fixed-lifetime kind showing no expiry: its secret's last rotation + its lifetime\n"
        f"or {marked}"
    )


def expr_credential_expired(c: Config, s: Scope | None = None) -> str:
    """Also the credentials dashboard's "Expired credentials in use", over its ``s``."""
    s = s or scope(c)
    expired = _or_inferred(
        c,
        f"time() - {promql.expiry(s)} >= 0",
        lambda expected: f"time() - {expected} >= 0",
        s,
    )
    return f"(\n{indent(expired)}\n)\nand {promql.referenced(s)}"


def expr_credential_expiry_critical(c: Config) -> str:
    s = scope(c)
    decoded = _fill(
        "@expiry@ - time()\n"
        "# short-lived: a fraction of the lifetime left; long-lived: a fixed time left\n"
        "< (\n"
        "  @fraction@ * (@short@)\n"
        "  or @critical@ + 0 * @expiry@\n"
        ")",
        expiry=promql.expiry(s),
        fraction=c.fraction,
        short=indent(_short_lived(c)).lstrip(),
        critical=c.seconds("credential_expiry_critical"),
    )
    lifetime = promql.kind_lifetime(s, _kind_lifetimes(c))
    left = _or_inferred(
        c,
        decoded,
        lambda expected: f"{expected} - time()\n< {c.fraction} * (\n{indent(lifetime)}\n)",
    )
    return f"(\n{indent(left)}\n) > 0\nand {promql.referenced(s)}"


def expr_credential_expiring_soon(c: Config) -> str:
    s = scope(c)
    return _fill(
        "(@expiry@ - time() < @soon@) > 0\n"
        "unless (@short@)\n"
        "# those a pod uses with less than the critical time left page instead\n"
        "unless (\n"
        "  @expiry@ - time() < @critical@\n"
        "  and @referenced@\n"
        ")",
        expiry=promql.expiry(s),
        short=_short_lived(c),
        soon=c.seconds("credential_expiring_soon"),
        critical=c.seconds("credential_expiry_critical"),
        referenced=promql.referenced(s),
    )


def expr_secret_not_rotated(c: Config) -> str:
    s = scope(c)
    return f"time() - {s.one(promql.ROTATED, agg='min')} > {c.seconds('secret_rotation_max_age')}"


def expr_secret_missing(c: Config) -> str:
    return f"{scope(c).one('imagepull_secret_missing')} > 0"


def expr_secret_invalid(c: Config) -> str:
    s = scope(c)
    return (
        f"{s.one('imagepull_secret_problem')}\n"
        f"* on ({s.on('namespace', 'secret')}) group_left ()\n"
        f"({s.one(promql.REFERENCING)} > 0)"
    )


def _covered_hosts(s: Scope) -> str:
    """The registry hosts the pull secrets pods use have keys for, as ``registry`` labels
    like the images': the key's host (a path-scoped key counts for its whole host), and
    Docker Hub's legacy key hosts as ``docker.io``."""
    keys = f"{s.one(promql.CREDENTIAL_INFO)} and {promql.referenced(s)}"
    return (
        "label_replace(\n"
        "  label_replace(\n"
        f"    {keys},\n"
        '    "registry", "$1", "registry", "([^/]+).*"\n'
        "  ),\n"
        '  "registry", "docker.io", "registry", "(index|registry-1)[.]docker[.]io"\n'
        ")"
    )


def expr_registry_not_covered(c: Config) -> str:
    s = scope(c)
    by = s.on("namespace", "registry")
    facts = f'cause=~"{AUTH_CAUSES}"'
    uncovered = 'covered="false"'
    return (
        "# each failing pod says whether its own pull secrets cover the image's registry\n"
        f"count by ({by}) (\n"
        f"  group by ({by}, pod) ({WAITING_INFO}{s.sel(facts, uncovered)})\n"
        ")\n"
        "# no per-pod series (the pods restarted, or past --max-failing-containers): pods of\n"
        "# the namespace that are uncovered, while pulls from the registry fail there\n"
        "or (\n"
        f"  {s.one(UNCOVERED)} > 0\n"
        f"  and on ({by}) (\n"
        f"{indent(promql.failing(s, AUTH_CAUSES, by, c.duration('failure_window')), 4)}\n"
        "  )\n"
        "  # not when a secret pods in the namespace use has a key for that registry: then the\n"
        "  # uncovered pods pull public images and the failing ones fail for another reason\n"
        f"  unless on ({by})\n{indent(_covered_hosts(s))}\n"
        "  # nor when the failing pods say so themselves (covered true or none)\n"
        f"  unless on ({by}) {WAITING_INFO}{s.sel(facts)}\n"
        ")"
    )


def expr_authentication_failing(c: Config) -> str:
    s = scope(c)
    return promql.failing(
        s, AUTH_CAUSES, s.on("namespace", "registry", "cause"), c.duration("failure_window")
    )


def expr_backoff_stuck(c: Config) -> str:
    s = scope(c)
    container = s.on("namespace", "pod", "container")
    # kubelet alternates reason between ErrImagePull and ImagePullBackOff: not a label here,
    # or the alert would restart its `for:` at every retry; topk keeps one series per
    # container while replicas disagree for a scrape.
    return (
        f"(time() - {s.one(WAITING_SINCE, agg='min')} > {c.seconds('backoff_stuck_after')})\n"
        f"* on ({container}) group_left (image, registry, cause)\n"
        f"topk by ({container}) (1, max without ({s.replicas}, reason) "
        f"({WAITING_INFO}{s.sel()}))"
    )


def expr_rate_limited(c: Config) -> str:
    s = scope(c)
    return promql.failing(
        s, "rate_limit", s.on("namespace", "registry"), c.duration("failure_window")
    )


def _rejected(s: Scope) -> str:
    # The probe's `registry` is the secret's registry key, as in imagepull_credential_*.
    return s.one(PROBE_RESULT, 'result=~"unauthorized|forbidden"')


def expr_credential_rejected(c: Config) -> str:
    """Critical: pods reference the secret; the value is how many."""
    s = scope(c)
    return (
        f"{_rejected(s)}\n"
        f"* on ({s.on('namespace', 'secret')}) group_left ()\n"
        f"({s.one(promql.REFERENCING)} > 0)"
    )


def expr_credential_rejected_unused(c: Config) -> str:
    """Warning: no pod references the secret (yet); the next one to use it fails."""
    s = scope(c)
    return (
        f"{_rejected(s)}\n"
        f"unless on ({s.on('namespace', 'secret')})\n"
        f"({s.one(promql.REFERENCING)} > 0)"
    )


def expr_registry_probe_stale(c: Config) -> str:
    s = scope(c)
    by = ", ".join([*s.target_labels, *s.replica_labels, "registry"])
    return (
        f"count by ({by}) (\n"
        f"  time() - {PROBE_TIMESTAMP}{s.sel()} > {c.seconds('registry_probe_stale_after')}\n"
        ")"
    )


def expr_exporter_down(c: Config) -> str:
    # absent() keeps the selector's equality labels (job); a plain `absent(up == 1)` would not.
    s = scope(c)
    by = ", ".join(s.target_labels)
    up = f"up{s.sel()}"
    return (
        f"absent({up})\n"
        f"or max by ({by}) ({up}) == 0\n"
        "# a cluster whose exporter targets all vanished from service discovery (absent()\n"
        "# cannot tell one cluster from another in a Prometheus holding several)\n"
        f"or (\n"
        f"  group by ({by}) (last_over_time({up}[{VANISHED_WITHIN}]))\n"
        f"  unless on ({by}) group by ({by}) ({up})\n"
        ")"
    )


def expr_exporter_target_down(c: Config) -> str:
    s = scope(c)
    by = ", ".join(s.target_labels)
    up = f"up{s.sel()}"
    return (
        f"{up} == 0\n"
        "# every target down: the critical rule above\n"
        f"unless on ({by}) (max by ({by}) ({up}) == 0)"
    )


def expr_watch_failing(c: Config) -> str:
    return f"imagepull_exporter_watch_up{scope(c).sel()} == 0"


# --- the alerts ---------------------------------------------------------------------------


def _pods_query(c: Config, title: str, cause: str | None = None, covered: str | None = None) -> str:
    """A description sentence listing the pods of the alert's own cluster, job, namespace
    and registry, once each (replicas export the same series), with the alert's cause or
    ``cause``, and ``covered`` when given: `` Waiting pods: api-7d9 worker-5f2.``"""
    labels = [*c.target_labels, "namespace", "registry", *([] if cause else ["cause"])]
    matchers = [f"{label}=%q" for label in labels] + ([f'cause=~"{cause}"'] if cause else [])
    matchers += [f'covered="{covered}"'] if covered else []
    args = " ".join(f"$labels.{label}" for label in labels)
    selector = ", ".join(matchers)
    return (
        f"{{{{ with printf `group by (pod) ({WAITING_INFO}{{{selector}}})` {args} | query }}}}"
        f' {title}:{{{{ range sortByLabel "pod" . }}}} {{{{ .Labels.pod }}}}{{{{ end }}}}.'
        "{{ end }}"
    )


def _namespaces_holding(c: Config) -> str:
    """Where a secret of the alert's name exists (the same cluster and job)."""
    labels = [*c.target_labels, "secret"]
    selector = ", ".join(f"{label}=%q" for label in labels)
    args = " ".join(f"$labels.{label}" for label in labels)
    return (
        f"{{{{ with printf `group by (namespace) (imagepull_secret_info{{{selector}}})` {args}"
        ' | query }} It exists in:{{ range sortByLabel "namespace" . }} '
        "{{ .Labels.namespace }}{{ end }}.{{ end }}"
    )


def _inferred_words(c: Config) -> str:
    """`` (inferred from the secret's last rotation: ...)`` on an alert whose expiry was
    inferred, naming the lifetime of the credential's kind; nothing on the others."""
    if not c.short_lived_kinds:
        return ""
    lifetimes = "".join(
        f'{{{{ if eq $labels.kind "{kind}" }}}}{lifetime}{{{{ end }}}}'
        for kind, lifetime in c.short_lived_kinds.items()
    )
    return (
        f'{{{{ if eq $labels.{promql.INFERRED_LABEL} "inferred" }}}} (inferred from the '
        "secret's last rotation: the token shows no expiry, and {{ $labels.kind }} tokens "
        f"live {lifetimes}){{{{ end }}}}"
    )


@dataclass(frozen=True, slots=True)
class Alert:
    name: str
    group: str
    severity: str
    expr: Callable[[Config], str]
    summary: str
    description: str | Callable[[Config], str]
    held: bool = True
    """About the cluster: hold the last result through an exporter restart."""
    label_severity: Callable[[Config], str] | None = None
    """The severity label when it depends on the config (``severity`` keys ``for:``)."""


def _auth_description(c: Config) -> str:
    return (
        "Image pulls from {{ $labels.registry }} in namespace {{ $labels.namespace }} fail "
        "with {{ $labels.cause }} errors: {{ $value }} container(s) waiting or failed pulls "
        "in the last @window@. The pull secret is expired, revoked, missing or lacks access."
        + _pods_query(c, "Waiting pods")
    )


def _not_covered_description(c: Config) -> str:
    return (
        "{{ $value }} pod(s) in namespace {{ $labels.namespace }} fail to pull images from "
        "{{ $labels.registry }} with auth/denied errors, and none of their pull secrets has "
        "a key matching {{ $labels.registry }}: the kubelet sends no credential for it. Add "
        "the registry to the pods' pull secret (check the registry key for typos, and that "
        "every secret the pods reference exists)."
        + _pods_query(c, "Failing pods", cause=AUTH_CAUSES, covered="false")
    )


def _missing_description(c: Config) -> str:
    return (
        "{{ $value }} pod(s) in namespace {{ $labels.namespace }} reference pull secret "
        "{{ $labels.secret }}, which does not exist in {{ $labels.namespace }}."
        '{{ if eq $labels.found_in_other_namespace "true" }} A secret named '
        "{{ $labels.secret }} exists in another namespace: pull secrets are "
        "namespace-bound, copy it into {{ $labels.namespace }}."
        + _namespaces_holding(c)
        + "{{ end }} Pulls of private images by these pods will fail."
    )


ALERTS: tuple[Alert, ...] = (
    Alert(
        "ImagePullCredentialExpired",
        "imagepull-credentials",
        "critical",
        expr_credential_expired,
        "A registry credential that pods use has expired.",
        "The {{ $labels.kind }} credential for {{ $labels.registry }} in secret "
        "{{ $labels.namespace }}/{{ $labels.secret }} expired "
        "{{ $value | humanizeDuration }} ago@inferred@, and pods in {{ $labels.namespace }} still "
        "reference it: every new pull of a private image from {{ $labels.registry }} will "
        "fail (ImagePullBackOff on the next rollout, reschedule or node).",
    ),
    Alert(
        "ImagePullCredentialExpiryCritical",
        "imagepull-credentials",
        "critical",
        expr_credential_expiry_critical,
        "A registry credential that pods use expires very soon.",
        "The {{ $labels.kind }} credential for {{ $labels.registry }} in secret "
        "{{ $labels.namespace }}/{{ $labels.secret }} expires in "
        "{{ $value | humanizeDuration }}@inferred@ and pods in {{ $labels.namespace }} depend "
        "on it. "
        "Long-lived credentials page @critical@ before expiry; short-lived ones (a lifetime "
        "under @soon@, or a kind that is always short-lived) page when less than @percent@ "
        "of their lifetime is left, which means the job that refreshes them has stopped.",
    ),
    Alert(
        "ImagePullCredentialExpiringSoon",
        "imagepull-credentials",
        "warning",
        expr_credential_expiring_soon,
        "A registry credential expires within @soon@.",
        "The {{ $labels.kind }} credential for {{ $labels.registry }} in secret "
        "{{ $labels.namespace }}/{{ $labels.secret }} expires in "
        "{{ $value | humanizeDuration }}. Renew it and update the secret before then.",
    ),
    Alert(
        "ImagePullCredentialRejected",
        "imagepull-credentials",
        "critical",
        expr_credential_rejected,
        "The registry rejects a credential that pods depend on.",
        "The registry rejected the credential for {{ $labels.registry }} in secret "
        "{{ $labels.namespace }}/{{ $labels.secret }} at the last registry probe "
        "({{ $labels.result }}"
        '{{ if eq $labels.result "forbidden" }}: the login works but may not pull the '
        "repository pods run{{ else }}: the password or token was changed, revoked or has "
        "expired{{ end }}) and {{ $value }} pod(s) in {{ $labels.namespace }} reference it. "
        "Running containers keep running; their next pull of a private image from "
        "{{ $labels.registry }} (rollout, reschedule, new node) will fail.",
    ),
    Alert(
        "ImagePullCredentialRejected",
        "imagepull-credentials",
        "warning",
        expr_credential_rejected_unused,
        "The registry rejects a pull credential that no pod uses yet.",
        "The registry has rejected the credential for {{ $labels.registry }} in secret "
        "{{ $labels.namespace }}/{{ $labels.secret }} ({{ $labels.result }}) for @for@. "
        "No pod references the secret now: the first one that does will fail to pull. "
        "Renew the credential, or delete the secret if nothing will use it.",
    ),
    Alert(
        "ImagePullSecretNotRotated",
        "imagepull-credentials",
        "warning",
        expr_secret_not_rotated,
        "A pull secret has not been rotated for longer than @max_age@.",
        "Secret {{ $labels.namespace }}/{{ $labels.secret }} was last rotated "
        "{{ $value | humanizeDuration }} ago, beyond the rotation policy of @max_age@. "
        "Rotate the credentials it holds, or delete it if nothing uses it.",
    ),
    Alert(
        "ImagePullSecretMissing",
        "imagepull-credentials",
        "warning",
        expr_secret_missing,
        "Pods reference a pull secret that does not exist in their namespace.",
        _missing_description,
    ),
    Alert(
        "ImagePullSecretInvalid",
        "imagepull-credentials",
        "warning",
        expr_secret_invalid,
        "Pods reference a malformed pull secret.",
        "Pull secret {{ $labels.namespace }}/{{ $labels.secret }} is unusable "
        "({{ $labels.problem }}) and {{ $value }} pod(s) reference it: the kubelet ignores "
        "it, so their pulls of private images will fail.",
    ),
    Alert(
        "ImagePullRegistryNotCovered",
        "imagepull-credentials",
        "warning",
        expr_registry_not_covered,
        "Pods fail to pull from a registry none of their pull secrets cover.",
        _not_covered_description,
    ),
    Alert(
        "ImagePullAuthenticationFailing",
        "imagepull-failures",
        "critical",
        expr_authentication_failing,
        "The registry rejects the credentials of image pulls.",
        _auth_description,
    ),
    Alert(
        "ImagePullBackOffStuck",
        "imagepull-failures",
        "warning",
        expr_backoff_stuck,
        "A container has been waiting on its image for more than @after@.",
        "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} "
        "has been waiting for {{ $value | humanizeDuration }} to pull {{ $labels.image }} "
        "from {{ $labels.registry }}; cause: {{ $labels.cause }}.",
    ),
    Alert(
        "ImagePullRateLimited",
        "imagepull-failures",
        "warning",
        expr_rate_limited,
        "A registry rate limits image pulls.",
        "{{ $labels.registry }} rejects image pulls from namespace {{ $labels.namespace }} "
        "with rate-limit errors: {{ $value }} container(s) waiting or failed pulls in the "
        "last @window@.",
    ),
    Alert(
        "ImagePullExporterDown",
        "imagepull-exporter",
        "critical",
        expr_exporter_down,
        "Prometheus cannot scrape imagepull-exporter; pull-credential alerts are blind.",
        "No target of job {{ $labels.job }}{{ with $labels.cluster }} in cluster "
        "{{ . }}{{ end }} has been scraped successfully for @for@ (all are down, or all "
        "vanished from service discovery). Until one is, no credential expiry, missing "
        "secret or pull failure alert can fire.",
        held=False,
    ),
    Alert(
        "ImagePullExporterDown",
        "imagepull-exporter",
        "warning",
        expr_exporter_target_down,
        "An imagepull-exporter target is down.",
        "Target {{ $labels.instance }} of job {{ $labels.job }}{{ with $labels.cluster }} in "
        "cluster {{ . }}{{ end }} has been down for @for@ while other targets are up. With "
        "replicas (HA) the others still export every series; with shards (--shard-count) "
        "the namespaces this one owns are blind and the alert is critical.",
        held=False,
        label_severity=Config.severity_of_a_target_down,
    ),
    Alert(
        "ImagePullExporterWatchFailing",
        "imagepull-exporter",
        "warning",
        expr_watch_failing,
        "imagepull-exporter cannot watch {{ $labels.resource }}; its metrics are stale.",
        "The exporter's list+watch of {{ $labels.resource }} on {{ $labels.instance }} has "
        "been failing for @for@: metrics derived from {{ $labels.resource }} are stale and "
        "alerts on them may not fire. Check the exporter's logs and its RBAC.",
        held=False,
    ),
    Alert(
        "ImagePullRegistryProbeStale",
        "imagepull-exporter",
        "warning",
        expr_registry_probe_stale,
        "The registry probe has not checked some pull credentials for @stale@.",
        "{{ $value }} pull secret(s) holding a credential for {{ $labels.registry }} were "
        "last probed by {{ $labels.instance }} more than @stale@ ago, several probe rounds "
        "late: ImagePullCredentialRejected cannot see a "
        "revoked credential for {{ $labels.registry }} until the probe runs again. The "
        "registry may be rate limiting the probe, or its secret cannot be read; check the "
        "exporter's `registry probe` log lines.",
        held=False,
    ),
)


def check_for(c: Config) -> None:
    """Every alert has a ``for:``, per severity where it is raised at several."""
    for alert in ALERTS:
        value = c.for_.get(alert.name)
        if value is None:
            raise ConfigError(f"for.{alert.name}: missing")
        if isinstance(value, dict) and alert.severity not in value:
            raise ConfigError(f"for.{alert.name}.{alert.severity}: missing")
    for name, value in c.for_.items():
        raised_at = {alert.severity for alert in ALERTS if alert.name == name}
        if not raised_at:
            continue
        if isinstance(value, dict) and set(value) - raised_at:
            extra = ", ".join(sorted(set(value) - raised_at))
            raise ConfigError(f"for.{name}: {name} is not raised at severity {extra}")
    unknown = set(c.for_) - {alert.name for alert in ALERTS}
    if unknown:
        raise ConfigError(f"for: unknown alert(s) {', '.join(sorted(unknown))}")


def alert_rule(c: Config, alert: Alert) -> dict[str, object]:
    for_ = c.for_duration(alert.name, alert.severity)
    words = {
        "critical": c.duration("credential_expiry_critical"),
        "percent": c.percent,
        "soon": c.duration("credential_expiring_soon"),
        "max_age": c.duration("secret_rotation_max_age"),
        "window": c.duration("failure_window"),
        "after": c.duration("backoff_stuck_after"),
        "stale": c.duration("registry_probe_stale_after"),
        "for": for_,
        "inferred": _inferred_words(c),
    }
    expr = alert.expr(c)
    if alert.held:
        expr = promql.held(scope(c), expr, c.duration("exporter_restart_grace"))
    description = alert.description if isinstance(alert.description, str) else alert.description(c)
    severity = alert.label_severity(c) if alert.label_severity else alert.severity
    return {
        "alert": alert.name,
        "expr": expr + "\n",
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {
            "summary": _fill(alert.summary, **words),
            "description": _fill(description, **words),
            "runbook_url": f"{c.runbook_url}#{alert.name.lower()}",
        },
    }


def rule_groups(c: Config) -> dict[str, object]:
    """The rules file's content, groups in the order their alerts are declared."""
    groups: dict[str, list[dict[str, object]]] = {}
    for alert in ALERTS:
        groups.setdefault(alert.group, []).append(alert_rule(c, alert))
    return {"groups": [{"name": name, "rules": rules} for name, rules in groups.items()]}
