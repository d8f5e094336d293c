"""The two dashboards, panel by panel, as data. grafana/generate.py turns them into JSON.

Every query filters on the dashboard variables (``S`` for namespace-scoped metrics, ``E``
for the exporter's own) and reads the cluster's facts through :mod:`alerts.promql`: one
value across the exporter's replicas (``max without (instance)``) and joins on
``cluster, job``, so one replica, two replicas and a restarted exporter show the same
numbers. Panels about the exporter itself show each instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from alerts import promql, rules
from alerts.generate import DEFAULT_CONFIG, load_config
from alerts.promql import Scope
from alerts.settings import parse_duration

PanelKind = Literal["stat", "timeseries", "table", "bargauge"]
Steps = tuple[tuple[str, float | None], ...]

RUNBOOKS_URL = "https://github.com/imagepull-exporter/imagepull-exporter/blob/main/docs/runbooks.md"
S = 'cluster=~"$cluster", job=~"$job", namespace=~"$namespace"'
E = 'cluster=~"$cluster", job=~"$job"'
NS = Scope(S)
EXP = Scope(E)
ON = "cluster, job"
DAY = 86400.0
# The alerts' thresholds, so that a panel counts what the alerts count.
CONFIG = load_config(DEFAULT_CONFIG)
SOON = parse_duration(CONFIG.thresholds["credential_expiring_soon"], "soon")
CRITICAL = parse_duration(CONFIG.thresholds["credential_expiry_critical"], "critical")

EXPIRY = promql.expiry(NS)
ISSUED = NS.one(promql.ISSUED, agg="min")
SHORT_LIVED = promql.short_lived(
    NS,
    str(SOON),
    {k: str(parse_duration(v, k)) for k, v in CONFIG.short_lived_kinds.items()},
    CONFIG.issued_at_rotation_kinds,
)
REFERENCED = promql.referenced(NS)
REFERENCING = NS.one(promql.REFERENCING)
REJECTED = 'result=~"unauthorized|forbidden"'
UNCLEAR = 'result!~"ok|not_found|unauthorized|forbidden"'
ACCEPTED = 'result=~"ok|not_found"'
AUTH_OR_DENIED = 'cause=~"auth|denied"'
# Counters over the dashboard's time range, across replicas and restarts: the replicas'
# largest increase per 5 minutes, summed over the range. A plain sum over instances would
# count every failure once per replica, a max over the whole range would count only one of
# the exporters that ran one after the other.
RANGE_STEP = "5m"

OK_IF_ZERO: Steps = (("green", None), ("red", 1))
WARN_IF_ANY: Steps = (("green", None), ("yellow", 1))
TIME_LEFT: Steps = (("red", None), ("orange", 0), ("yellow", 3 * DAY), ("green", 14 * DAY))
NEUTRAL: Steps = (("blue", None),)


@dataclass(frozen=True, slots=True)
class Target:
    expr: str
    legend: str = ""


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel; ``targets`` are PromQL with Grafana variables ($cluster, $__range...)."""

    kind: PanelKind
    title: str
    description: str
    targets: tuple[Target, ...]
    width: int
    height: int
    unit: str = "none"
    thresholds: Steps = NEUTRAL
    decimals: int | None = None
    value_texts: tuple[tuple[int, str, str], ...] = ()
    text_mode: str = "auto"
    stacked: bool = False
    threshold_lines: bool = False
    range_query: bool = False
    # tables: the column the value lands in, its sort order, and label columns to hide
    value_column: str = "Value"
    sort_desc: bool = True
    hide: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    filename: str
    description: str
    rows: tuple[tuple[Panel, ...], ...]
    runbooks_url: str = RUNBOOKS_URL


def _one(expr: str, legend: str = "") -> tuple[Target, ...]:
    return (Target(expr, legend),)


def _probe_result(matcher: str) -> str:
    """The probe's results; its `registry` is the secret's registry key, as in
    imagepull_credential_*, so the two join on namespace, secret and registry."""
    return NS.one("imagepull_registry_probe_result", matcher)


def _over_the_range(scope: Scope, *matchers: str) -> str:
    """Pull failures over the dashboard's time range, counted once across replicas and
    across exporter restarts: per step, the replicas' failures of that step (see
    promql.failure_increase), summed over the range's steps."""
    step = "$__rate_interval"
    # per step, a 1 h lookback (not the rules' day) keeps long ranges cheap to evaluate
    per_step = promql.failure_increase(scope, step, *matchers, lookback="1h")
    return f"sum_over_time(({per_step})[$__range:{step}])"


def _per_instance_over_the_range(metric: str) -> str:
    """An exporter's own counter over the time range, per instance (a series that started
    within the range counts whole: increase() never counts a first sample). Stat panels add
    ``or on () vector(0)``: a 0 when no instance has the counter yet, and only then."""
    series = f"{metric}{{{E}}}"
    return (
        f"sum by (instance) (({series} unless {series} offset $__range) "
        f"or increase({series}[$__range]))"
    )


CREDENTIALS = Dashboard(
    uid="imagepull-credentials",
    title="Image pull credentials",
    filename="imagepull-credentials.json",
    description=(
        "Registry credentials in Kubernetes pull secrets: when they expire, how old they are, "
        "what is wrong with them, and which pods depend on them (imagepull-exporter)."
    ),
    rows=(
        (
            Panel(
                "stat",
                "Expired credentials in use",
                "Credentials past their expiry that pods still reference, the expiry "
                "inferred for fixed-lifetime tokens that show none included: the query of "
                "ImagePullCredentialExpired, which pages on any of them. New pulls with "
                "them fail.",
                _one(f"count(\n{rules.expr_credential_expired(CONFIG, NS)}\n) or vector(0)"),
                width=6,
                height=4,
                thresholds=OK_IF_ZERO,
                decimals=0,
            ),
            Panel(
                "stat",
                "Long-lived credentials expiring within 14 days",
                "Credentials with at most 14 days left, short-lived auto-rotated tokens (a "
                "lifetime under 14 days, or ECR and GCP access tokens) excluded: renew them "
                "before they expire (ImagePullCredentialExpiringSoon).",
                _one(
                    f"count(({EXPIRY} - time() < {SOON}) > 0 unless ({SHORT_LIVED})) or vector(0)"
                ),
                width=6,
                height=4,
                thresholds=WARN_IF_ANY,
                decimals=0,
            ),
            Panel(
                "stat",
                "Pods referencing missing secrets",
                "Pods whose pull secret does not exist in their own namespace "
                "(ImagePullSecretMissing).",
                _one(f"sum({NS.one('imagepull_secret_missing')}) or vector(0)"),
                width=6,
                height=4,
                thresholds=OK_IF_ZERO,
                decimals=0,
            ),
            Panel(
                "stat",
                "Malformed pull secrets",
                "Pull secrets the kubelet cannot use: bad JSON or base64, no auths, empty "
                "credentials, wrong type... (ImagePullSecretInvalid when pods use them).",
                _one(
                    f"count(group by ({ON}, namespace, secret) "
                    f"(imagepull_secret_problem{{{S}}})) or vector(0)"
                ),
                width=6,
                height=4,
                thresholds=OK_IF_ZERO,
                decimals=0,
            ),
        ),
        (
            Panel(
                "table",
                "Credentials by time to expiry",
                "Every credential with a known expiry, soonest first. Negative: already "
                "expired. Red below 0, orange below 3 days, yellow below 14 days. The expiry "
                "comes from the token itself or from the secret's "
                "imagepull-exporter/expires-at annotation.",
                _one(f"{EXPIRY} - time()"),
                width=14,
                height=10,
                unit="s",
                thresholds=TIME_LEFT,
                value_column="Expires in",
                sort_desc=False,
            ),
            Panel(
                "timeseries",
                "Expiry timeline",
                "Time left per credential over time. A line falling to 0 is a credential "
                "running out; a saw-tooth is a token being rotated; a saw-tooth that stops "
                "is a rotation job that stopped.",
                _one(f"{EXPIRY} - time()", "{{namespace}}/{{secret}} {{registry}}"),
                width=10,
                height=10,
                unit="s",
                thresholds=TIME_LEFT,
                threshold_lines=True,
            ),
        ),
        (
            Panel(
                "table",
                "Lifetime left (credentials with an issue time)",
                "Fraction of each credential's lifetime (expiry - issued) still left. "
                "Short-lived tokens (ECR 12 h, 1 h tokens) below 25% mean their refresh job "
                "stopped (ImagePullCredentialExpiryCritical).",
                # a credential issued as it expires has no lifetime to divide by
                _one(f"({EXPIRY} - time()) / (({EXPIRY} - {ISSUED}) > 0)"),
                width=12,
                height=8,
                unit="percentunit",
                thresholds=(("red", None), ("yellow", 0.25), ("green", 0.5)),
                value_column="Lifetime left",
                sort_desc=False,
            ),
            Panel(
                "bargauge",
                "Secrets by age since rotation",
                "Time since each pull secret's data last changed (managedFields, else "
                "creation). Yellow after 60 days, red after the 90-day rotation policy "
                "(ImagePullSecretNotRotated).",
                _one(
                    f"sort_desc(time() - {NS.one(promql.ROTATED, agg='min')})",
                    "{{namespace}}/{{secret}}",
                ),
                width=12,
                height=8,
                unit="s",
                thresholds=(("green", None), ("yellow", 60 * DAY), ("red", 90 * DAY)),
            ),
        ),
        (
            Panel(
                "table",
                "Secret problems",
                "Pull secrets that cannot work and why (problem): invalid_json, "
                "invalid_base64, no_auths, empty_credentials, invalid_registry_key, "
                "wrong_type, too_large. Empty when every secret parses.",
                _one(NS.one("imagepull_secret_problem")),
                width=8,
                height=8,
                hide=("Value",),
                value_column="Value",
            ),
            Panel(
                "table",
                "Missing secret references",
                "Pull secrets that pods reference but that do not exist in the pods' "
                "namespace; found_in_other_namespace=true when a secret of that name exists "
                "elsewhere (pull secrets are namespace-bound). Value: pods affected.",
                _one(f"{NS.one('imagepull_secret_missing')} > 0"),
                width=8,
                height=8,
                thresholds=OK_IF_ZERO,
                value_column="Pods",
            ),
            Panel(
                "table",
                "Uncovered registries",
                "Pods with pull secrets, none of which covers the registry of one of their "
                "images (kubelet's matching rules). Public images appear here too and are "
                "fine; ImagePullRegistryNotCovered fires only when such pulls fail with "
                "auth/denied errors. Value: pods.",
                _one(f"{NS.one('imagepull_registry_uncovered_pods')} > 0"),
                width=8,
                height=8,
                thresholds=WARN_IF_ANY,
                value_column="Pods",
            ),
        ),
        (
            Panel(
                "table",
                "Pods depending on each credential",
                "Blast radius: for each credential (secret and registry), the pods that "
                "reference its secret directly or through their service account. A "
                "credential with 0 pods can be deleted.",
                _one(
                    f"{NS.one('imagepull_credential_info')} * on ({ON}, namespace, secret) "
                    f"group_left () {REFERENCING}"
                ),
                width=24,
                height=8,
                value_column="Pods",
            ),
        ),
        (
            Panel(
                "stat",
                "Rejected credentials in use",
                "Credentials the registry rejected at the last registry probe (unauthorized "
                "or forbidden) that pods reference: their next pull fails. Above 0 pages "
                "(ImagePullCredentialRejected). Empty without --registry-probe.",
                _one(f"count({_probe_result(REJECTED)} and {REFERENCED}) or vector(0)"),
                width=4,
                height=8,
                thresholds=OK_IF_ZERO,
                decimals=0,
            ),
            Panel(
                "table",
                "Registry probe results",
                "The last registry probe of each credential (namespace, secret, registry "
                "key) and its result: rejected (unauthorized, forbidden) first, then "
                "unclear (rate_limited, network, tls, error: the registry gave no verdict on "
                "the login), then accepted (ok; not_found: the login worked, the probed "
                "image is gone). Needs --registry-probe.",
                _one(
                    f"2 * {_probe_result(REJECTED)}\n"
                    f"or {_probe_result(UNCLEAR)}\n"
                    f"or 0 * {_probe_result(ACCEPTED)}"
                ),
                width=10,
                height=8,
                thresholds=(("green", None), ("orange", 1), ("red", 2)),
                value_texts=(
                    (0, "accepted", "green"),
                    (1, "unclear", "orange"),
                    (2, "rejected", "red"),
                ),
                value_column="Verdict",
            ),
            Panel(
                "bargauge",
                "Time since the last probe",
                "Age of each credential's last registry probe, oldest first. It grows past "
                "--registry-probe-interval (15m by default) while a registry rate limits the "
                "probe or the secret cannot be read; red after 45m "
                "(ImagePullRegistryProbeStale).",
                _one(
                    f"sort_desc(time() - {NS.one('imagepull_registry_probe_timestamp_seconds')})",
                    "{{namespace}}/{{secret}} {{registry}}",
                ),
                width=5,
                height=8,
                unit="s",
                thresholds=(("green", None), ("yellow", 1800), ("red", 2700)),
            ),
            Panel(
                "bargauge",
                "Probe duration by registry (p90, time range)",
                "90th percentile of the registry probe's handshake time per registry host "
                "over the time range. Close to --registry-probe-timeout (10s by default) "
                "means probes are about to time out as network errors.",
                _one(
                    "histogram_quantile(0.9, sum by (registry, le) (increase("
                    f"imagepull_registry_probe_duration_seconds_bucket{{{E}}}[$__range])))",
                    "{{registry}}",
                ),
                width=5,
                height=8,
                unit="s",
                thresholds=(("green", None), ("yellow", 2), ("red", 8)),
            ),
        ),
    ),
)

FAILURE_RATE = (
    "60 * sum by (@by@) (max without (instance) "
    f"(rate(imagepull_failures_total{{{S}}}[$__rate_interval])))"
)
CONTAINER = f"{ON}, namespace, pod, container"
# topk: one series per container while replicas disagree on its reason for a scrape
WAITING_FOR = (
    f"(time() - {NS.one('imagepull_container_waiting_since_timestamp_seconds', agg='min')})"
    f" * on ({CONTAINER}) group_left (image, registry, reason, cause, covered)"
    f" topk by ({CONTAINER}) (1, {NS.one('imagepull_container_waiting_info')})"
)


def _failure_rate(by: str) -> Panel:
    return Panel(
        "timeseries",
        f"Failed pulls per minute by {by}",
        f"Image pull failures per minute by {by}, counted from kubelet events (Failed, "
        "BackOff, InspectFailed, ErrImageNeverPull, FailedToRetrieveImagePullSecret) by "
        "the growth of each event's own count.",
        _one(FAILURE_RATE.replace("@by@", by), "{{" + by + "}}"),
        width=8,
        height=8,
        unit="cpm",
        stacked=True,
    )


FAILURES = Dashboard(
    uid="imagepull-failures",
    title="Image pull failures",
    filename="imagepull-failures.json",
    description=(
        "Why pods cannot pull their images — by cause, registry and namespace — which "
        "containers are failing now, and whether the exporter itself is healthy "
        "(imagepull-exporter)."
    ),
    rows=(
        (
            Panel(
                "stat",
                "Containers failing to pull now",
                "Containers (init, regular, ephemeral) waiting with an image pull reason: "
                "ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull...",
                _one(f"sum({NS.one(promql.WAITING)}) or vector(0)"),
                width=6,
                height=4,
                thresholds=OK_IF_ZERO,
                decimals=0,
            ),
            Panel(
                "stat",
                "Rejected credentials now",
                "Containers waiting because the registry rejected the credentials "
                '(cause "auth" or "denied"): the ImagePullAuthenticationFailing page.',
                _one(f"sum({NS.one(promql.WAITING, AUTH_OR_DENIED)}) or vector(0)"),
                width=6,
                height=4,
                thresholds=OK_IF_ZERO,
                decimals=0,
            ),
            Panel(
                "stat",
                "Failed pulls in the time range",
                "Image pull failures reported by kubelet events during the dashboard's time "
                "range, all causes.",
                _one(f"sum({_over_the_range(NS)}) or vector(0)"),
                width=6,
                height=4,
                thresholds=WARN_IF_ANY,
                decimals=0,
            ),
            Panel(
                "stat",
                "Exporter targets up",
                "Exporter targets Prometheus scrapes successfully. 0 means every alert of "
                "the bundle is blind (ImagePullExporterDown).",
                _one(f"sum(up{{{E}}}) or vector(0)"),
                width=6,
                height=4,
                thresholds=(("red", None), ("green", 1)),
                decimals=0,
            ),
        ),
        (_failure_rate("cause"), _failure_rate("registry"), _failure_rate("namespace")),
        (
            Panel(
                "timeseries",
                "Containers waiting on images by cause",
                "Containers now waiting on an image pull, stacked by cause (auth, denied, "
                "not_found, rate_limit, dns, network, tls, platform, ...).",
                _one(f"sum by (cause) ({NS.one(promql.WAITING)})", "{{cause}}"),
                width=12,
                height=8,
                decimals=0,
                stacked=True,
            ),
            Panel(
                "bargauge",
                "Top failing images",
                "The 10 images with the most containers failing to pull them now, with the cause.",
                _one(
                    "topk(10, count by (image, cause) (group by "
                    f"({CONTAINER}, image, cause) (imagepull_container_waiting_info{{{S}}})))",
                    "{{image}} ({{cause}})",
                ),
                width=12,
                height=8,
                thresholds=(("yellow", None), ("red", 3)),
                decimals=0,
            ),
        ),
        (
            Panel(
                "table",
                "Containers failing now",
                "Each container waiting on its image: pod, image, registry, kubelet reason, "
                "classified cause, whether the pod's own pull secrets cover the registry "
                "(covered: true, false, or none without any; an auth failure with false is "
                "ImagePullRegistryNotCovered), and for how long. Yellow after 5 minutes, red "
                "after 15 (ImagePullBackOffStuck).",
                _one(WAITING_FOR),
                width=24,
                height=9,
                unit="s",
                thresholds=(("green", None), ("yellow", 300), ("red", 900)),
                value_column="Waiting for",
            ),
        ),
        (
            Panel(
                "stat",
                "Watches",
                "Whether the exporter's list+watch of each resource is connected. A watch "
                "down for 10 minutes raises ImagePullExporterWatchFailing.",
                _one(f"min by (resource) (imagepull_exporter_watch_up{{{E}}})", "{{resource}}"),
                width=6,
                height=6,
                thresholds=(("red", None), ("green", 1)),
                value_texts=((0, "down", "red"), (1, "up", "green")),
            ),
            Panel(
                "timeseries",
                "Time since the last watch event",
                "Seconds since the exporter last heard from the API server per resource "
                "(bookmarks included). A growing line with the watch up is a stalled watch.",
                _one(
                    f"time() - imagepull_exporter_last_event_timestamp_seconds{{{E}}}",
                    "{{instance}} {{resource}}",
                ),
                width=6,
                height=6,
                unit="s",
                thresholds=(("green", None), ("yellow", 300)),
            ),
            Panel(
                "timeseries",
                "Objects watched",
                "Objects the exporter keeps in memory per resource (events: image pull "
                "failures only).",
                _one(f"imagepull_exporter_objects{{{E}}}", "{{instance}} {{resource}}"),
                width=4,
                height=6,
                decimals=0,
            ),
            Panel(
                "stat",
                "Watch restarts in the time range",
                "Watches restarted because of a problem (gone, stalled, throttled, "
                "unauthorized, ...), during the time range. A few 'gone' relists are normal.",
                _one(
                    _per_instance_over_the_range("imagepull_exporter_watch_restarts_total")
                    + " or on () vector(0)",
                    "{{instance}}",
                ),
                width=4,
                height=6,
                thresholds=WARN_IF_ANY,
                decimals=0,
            ),
            Panel(
                "stat",
                "Series dropped in the time range",
                "Series left out because a cap (e.g. --max-failing-containers) was reached. "
                "Above 0, tables on these dashboards are incomplete.",
                _one(
                    _per_instance_over_the_range("imagepull_exporter_series_dropped_total")
                    + " or on () vector(0)",
                    "{{instance}}",
                ),
                width=4,
                height=6,
                thresholds=OK_IF_ZERO,
                decimals=0,
            ),
        ),
    ),
)

DASHBOARDS = (CREDENTIALS, FAILURES)
