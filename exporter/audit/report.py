"""Build the audit report from the exporter's own cluster view."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from exporter.credentials import typical_lifetime_seconds
from exporter.metrics.view import ClusterView
from exporter.pullerrors import Cause, hint
from exporter.state.records import PodRecord, SecretRecord

EXPIRING_WITHIN_SECONDS = 14 * 86400.0
"""Credentials without a typical lifetime need action this long before they expire."""
SHORT_LIVED_FRACTION = 0.25
"""Short-lived kinds (ECR, ACR, GCP tokens) need action with this share of life left."""
ACTION_CAUSES = frozenset({Cause.AUTH.value, Cause.DENIED.value, Cause.SECRET_MISSING.value})

_DEPLOYMENT_POD = re.compile(r"^(?P<name>.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$")
_STATEFUL_POD = re.compile(r"^(?P<name>.+)-\d+$")
_SED_METADATA = "sed '/namespace:/d; /uid:/d; /resourceVersion:/d; /creationTimestamp:/d'"


@dataclass(frozen=True, slots=True)
class CredentialRow:
    namespace: str
    secret: str
    registry: str
    kind: str
    expires_at: float | None
    expiry_source: str | None
    last_rotated: float | None
    problems: tuple[str, ...]
    pods: int
    status: str
    """``ok``, ``expired``, ``expiring``, ``malformed`` or ``unknown`` (no expiry known)."""

    @property
    def needs_action(self) -> bool:
        return self.status in ("expired", "expiring", "malformed")


@dataclass(frozen=True, slots=True)
class MissingRow:
    namespace: str
    secret: str
    pods: int
    found_in: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UncoveredRow:
    namespace: str
    registry: str
    pods: int


@dataclass(frozen=True, slots=True)
class FailingRow:
    namespace: str
    pod: str
    container: str
    image: str
    registry: str
    reason: str
    cause: str
    waiting_since: float | None
    hint: str

    @property
    def needs_action(self) -> bool:
        return self.cause in ACTION_CAUSES


@dataclass(frozen=True, slots=True)
class Fix:
    problem: str
    """What is wrong, e.g. ``payments/ghcr-pull: credential for ghcr.io expired``."""
    commands: tuple[str, ...]


@dataclass
class Report:
    now: float
    credentials: list[CredentialRow] = field(default_factory=list)
    missing: list[MissingRow] = field(default_factory=list)
    uncovered: list[UncoveredRow] = field(default_factory=list)
    failing: list[FailingRow] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)

    @property
    def needs_action(self) -> bool:
        return (
            any(row.needs_action for row in self.credentials)
            or bool(self.missing)
            or any(row.needs_action for row in self.failing)
        )


def workload_of(pod_name: str) -> str:
    """A best guess at the workload behind a pod, for ``kubectl rollout restart``.

    >>> workload_of("payments-api-7d9f8b6c5d-x2k4q")
    'deployment/payments-api'
    >>> workload_of("db-0")
    'statefulset/db'
    >>> workload_of("standalone")
    'deployment/<workload>'
    """
    if match := _DEPLOYMENT_POD.match(pod_name):
        return f"deployment/{match['name']}"
    if match := _STATEFUL_POD.match(pod_name):
        return f"statefulset/{match['name']}"
    return "deployment/<workload>"


def _status(secret: SecretRecord, expires_at: float | None, kind: str, now: float) -> str:
    if secret.problems:
        return "malformed"
    if expires_at is None:
        return "unknown"
    left = expires_at - now
    if left <= 0:
        return "expired"
    lifetime = typical_lifetime_seconds(kind)  # type: ignore[arg-type]
    if lifetime is not None:
        return "expiring" if left <= lifetime * SHORT_LIVED_FRACTION else "ok"
    return "expiring" if left <= EXPIRING_WITHIN_SECONDS else "ok"


def _create_command(name: str, registry: str, namespace: str) -> str:
    return (
        f"kubectl create secret docker-registry {name} --docker-server={registry} "
        "--docker-username=<user> --docker-password=<new token> "
        f"--namespace {namespace} --dry-run=client -o yaml | kubectl apply -f -"
    )


def _restart_commands(namespace: str, pods: list[PodRecord]) -> list[str]:
    workloads = sorted({workload_of(pod.name) for pod in pods}) or ["deployment/<workload>"]
    return [f"kubectl rollout restart {w} --namespace {namespace}" for w in workloads]


def build_report(view: ClusterView, now: float) -> Report:
    """Everything ``check`` prints, derived from ``view`` at time ``now``."""
    report = Report(now=now)
    users: dict[tuple[str, str], list[PodRecord]] = {}
    for pod, names in view.pod_secret_refs:
        for name in names:
            users.setdefault((pod.namespace, name), []).append(pod)

    secrets = sorted(view.state.secrets, key=lambda s: (s.namespace, s.name))
    for secret in secrets:
        key = (secret.namespace, secret.name)
        pods = view.referencing_pods.get(key, 0)
        problems = tuple(sorted(p.value for p in secret.problems))
        entries = secret.credentials or ()
        if not entries:
            status = "malformed" if problems else "unknown"
            report.credentials.append(
                CredentialRow(secret.namespace, secret.name, "-", "-", None, None,
                              secret.last_rotated, problems, pods, status)
            )  # fmt: skip
        for c in entries:
            status = _status(secret, c.expires_at, c.kind, now)
            report.credentials.append(
                CredentialRow(secret.namespace, secret.name, c.registry, c.kind, c.expires_at,
                              c.expiry_source, secret.last_rotated, problems, pods, status)
            )  # fmt: skip
        # one fix per secret: the worst of its credentials
        rows = [r for r in report.credentials if (r.namespace, r.secret) == key]
        bad = [r for r in rows if r.needs_action]
        if bad:
            what = {
                "malformed": f"malformed ({', '.join(problems)}): recreate it",
                "expired": "expired",
                "expiring": "expires soon",
            }
            registries = sorted({r.registry for r in bad if r.registry != "-"}) or ["<registry>"]
            described = "; ".join(
                f"credential for {r.registry} {what[r.status]}" if r.registry != "-"
                else what[r.status]
                for r in bad
            )  # fmt: skip
            commands = [_create_command(secret.name, reg, secret.namespace) for reg in registries]
            commands += _restart_commands(secret.namespace, users.get(key, []))
            report.fixes.append(Fix(f"{secret.namespace}/{secret.name}: {described}",
                                    tuple(commands)))  # fmt: skip

    for (namespace, name), pods in sorted(view.referencing_pods.items()):
        if view.state.secrets.get((namespace, name)) is not None:
            continue
        elsewhere = tuple(sorted(view.secret_namespaces.get(name, set()) - {namespace}))
        report.missing.append(MissingRow(namespace, name, pods, elsewhere))
        dependents = users.get((namespace, name), [])
        if elsewhere:
            source = elsewhere[0]
            commands = [
                f"kubectl get secret {name} --namespace {source} -o yaml | {_SED_METADATA} "
                f"| kubectl apply --namespace {namespace} -f -"
            ]
            problem = (
                f"{namespace}/{name}: missing in {namespace}, exists in namespace {source}: copy it"
            )
        else:
            registries = sorted({c.registry for pod in dependents for c in pod.containers}) or [
                "<registry>"
            ]
            commands = [_create_command(name, reg, namespace) for reg in registries]
            problem = f"{namespace}/{name}: missing in every namespace: create it"
        commands += _restart_commands(namespace, dependents)
        report.fixes.append(Fix(problem, tuple(commands)))

    for (namespace, registry), pods in sorted(view.uncovered_pods.items()):
        report.uncovered.append(UncoveredRow(namespace, registry, pods))

    for pod, container in view.failing_containers:
        cause = container.pull_cause or Cause.UNKNOWN.value
        try:
            fix_hint = hint(Cause(cause))
        except ValueError:
            fix_hint = ""
        report.failing.append(
            FailingRow(pod.namespace, pod.name, container.name, container.image,
                       container.registry, container.waiting_reason or "", cause,
                       container.waiting_since, fix_hint)
        )  # fmt: skip
    return report
