"""Build the audit report from the exporter's own cluster view."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from exporter.audit import fixes
from exporter.credentials import Credential, Problem, key_matches, typical_lifetime_seconds
from exporter.credentials.problems import DOCKER_CONFIG_JSON_TYPE
from exporter.metrics.view import ClusterView
from exporter.pullerrors import Cause, hint
from exporter.state.records import PodRecord, SecretRecord
from exporter.state.reducers import UNKNOWN_REGISTRY

EXPIRING_WITHIN_SECONDS = 14 * 86400.0
"""Credentials without a typical lifetime need action this long before they expire."""
SHORT_LIVED_FRACTION = 0.25
"""Short-lived kinds (ECR, ACR, GCP tokens) need action with this share of life left."""
INFERRED = "inferred"
"""``expiry_source`` of an expiry guessed as last rotation + the kind's typical lifetime."""

_DEPLOYMENT_POD = re.compile(r"^(?P<name>.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$")
_STATEFUL_POD = re.compile(r"^(?P<name>.+)-\d+$")
# Pull failures a new credential can end (Docker Hub's anonymous rate limit included; a
# back-off hides the cause): a restart of those pods retries now, not at the next back-off.
_CURED_BY_CREDENTIALS = frozenset(
    c.value
    for c in (Cause.AUTH, Cause.DENIED, Cause.SECRET_MISSING, Cause.RATE_LIMIT, Cause.BACKOFF,
              Cause.UNKNOWN)
)  # fmt: skip
# Problems that leave entries kubelet can still use: the fix edits the secret in place.
_ENTRY_PROBLEMS = frozenset({Problem.invalid_registry_key, Problem.too_large})


@dataclass(frozen=True, slots=True)
class CredentialRow:
    namespace: str
    secret: str
    registry: str
    kind: str
    expires_at: float | None
    expiry_source: str | None
    """``token``, ``annotation``, or ``inferred`` (last rotation + typical lifetime)."""
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
        # Every cause needs someone: a wrong tag as much as a revoked token.
        return True


@dataclass(frozen=True, slots=True)
class Fix:
    problem: str
    """What is wrong, e.g. ``payments/ghcr-pull: credential for ghcr.io expired``."""
    commands: tuple[str, ...]
    notes: tuple[str, ...] = ()
    """What to know before running the commands."""


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
    return fixes.WORKLOAD


def expected_expiry(credential: Credential, last_rotated: float | None) -> tuple[float, str] | None:
    """The credential's expiry and its source; for a short-lived kind that says nothing
    (a GCP access token, an ECR password that cannot be decoded), last rotation + the
    kind's typical lifetime, since whatever refreshes it must have run by then."""
    if credential.expires_at is not None and credential.expiry_source is not None:
        return credential.expires_at, credential.expiry_source
    lifetime = typical_lifetime_seconds(credential.kind)
    if lifetime is not None and last_rotated is not None:
        return last_rotated + lifetime, INFERRED
    return None


def expiry_status(expires_at: float | None, kind: str, now: float) -> str:
    """``expired``, ``expiring``, ``ok``, or ``unknown`` without an expiry."""
    if expires_at is None:
        return "unknown"
    left = expires_at - now
    if left <= 0:
        return "expired"
    lifetime = typical_lifetime_seconds(kind)  # type: ignore[arg-type]
    if lifetime is not None:
        return "expiring" if left <= lifetime * SHORT_LIVED_FRACTION else "ok"
    return "expiring" if left <= EXPIRING_WITHIN_SECONDS else "ok"


@dataclass
class _Joins:
    """Who uses what, computed once per report."""

    view: ClusterView
    refs: dict[PodRecord, tuple[str, ...]] = field(init=False)
    users: dict[tuple[str, str], list[PodRecord]] = field(init=False)

    def __post_init__(self) -> None:
        self.refs = dict(self.view.pod_secret_refs)
        self.users = {}
        for pod, names in self.view.pod_secret_refs:
            for name in names:
                self.users.setdefault((pod.namespace, name), []).append(pod)

    def needed_registries(self, namespace: str, name: str) -> list[str]:
        """Registries the secret's pods pull from that none of their other secrets covers:
        what a new ``name`` should hold (``<registry>`` when there is none)."""
        needed: dict[str, None] = {}
        for pod in self.users.get((namespace, name), []):
            keys = [
                credential.registry
                for other in self.refs.get(pod, ())
                if other != name
                and (secret := self.view.state.secrets.get((namespace, other))) is not None
                for credential in secret.credentials
            ]
            for container in pod.containers:
                if container.registry != UNKNOWN_REGISTRY and not any(
                    key_matches(key, container.image) for key in keys
                ):
                    needed[container.registry] = None
        return sorted(needed) or [fixes.REGISTRY]

    def restarts(self, namespace: str, name: str) -> list[str]:
        """Rollout restarts for the secret's pods that fail to pull now: the others pull
        with the fixed secret next time, and kubelet retries failing ones on its own."""
        failing = [
            pod
            for pod in self.users.get((namespace, name), [])
            if any(c.pull_cause in _CURED_BY_CREDENTIALS for c in pod.containers)
        ]
        return fixes.restart_commands(namespace, (workload_of(pod.name) for pod in failing))


def _logins(registries: Iterable[str], kinds: dict[str, str] | None = None) -> list[fixes.Login]:
    return [fixes.login_for(r, (kinds or {}).get(r)) for r in registries]


def _secret_fix(
    secret: SecretRecord, rows: Sequence[CredentialRow], joins: _Joins, now: float
) -> Fix | None:
    name, namespace = secret.name, secret.namespace
    what = f"{namespace}/{name}"
    if not secret.credentials:
        if not secret.problems:
            return None
        problems = ", ".join(sorted(p.value for p in secret.problems))
        needed = joins.needed_registries(namespace, name)
        command = fixes.write_command(name, namespace, secret.type, _logins(needed), exists=True)
        return Fix(f"{what}: malformed ({problems}): recreate it",
                   (command, *joins.restarts(namespace, name)))  # fmt: skip
    kinds = {c.registry: c.kind.value for c in secret.credentials}
    replace: dict[str, None] = {}
    described: list[str] = []
    annotate: list[str] = []
    for credential, row in zip(secret.credentials, rows, strict=True):
        if credential.registry in replace:
            continue
        expiry = expiry_status(row.expires_at, row.kind, now)
        if credential.problem is not None:
            described.append(f"entry for {row.registry} is malformed ({credential.problem.value})")
        elif expiry in ("expired", "expiring"):
            described.append(_expiry_words(row, expiry))
            if row.expiry_source == "annotation":
                annotate.append(row.registry)
        else:
            continue
        replace[row.registry] = None
    dropped = secret.problems & _ENTRY_PROBLEMS
    for problem in sorted(dropped):
        described.append(
            "an entry's registry key is unusable (invalid_registry_key): the fix drops it"
            if problem is Problem.invalid_registry_key
            else "more than 1000 registries (too_large): the fix keeps the first 1000"
        )
    if not described:
        return None
    registries = list(dict.fromkeys(c.registry for c in secret.credentials))
    logins = _logins(replace, kinds)
    notes: tuple[str, ...] = ()
    if secret.type == DOCKER_CONFIG_JSON_TYPE and len(registries) == 1 and not dropped:
        # the one entry is the one replaced: kubectl's own command writes it whole
        command = fixes.write_command(name, namespace, secret.type, logins, exists=True)
    else:
        keep = [r for r in registries if r not in replace]
        command = fixes.edit_command(name, namespace, secret.type, keep, logins)
        notes = (fixes.JQ_NOTE,)
    commands = [command, *(fixes.annotate_command(name, namespace, r) for r in annotate)]
    commands += joins.restarts(namespace, name)
    return Fix(f"{what}: {'; '.join(described)}", tuple(commands), notes)


def _expiry_words(row: CredentialRow, expiry: str) -> str:
    verb = "expired" if expiry == "expired" else "expires soon"
    if row.expiry_source != INFERRED:
        return f"credential for {row.registry} {verb}"
    return (
        f"credential for {row.registry} {verb} (inferred: {row.kind} tokens live "
        f"{_hours(row.kind)}, and the secret has not changed since then): has the job that "
        "refreshes it stopped?"
    )


def _hours(kind: str) -> str:
    lifetime = typical_lifetime_seconds(kind)  # type: ignore[arg-type]
    return f"{int((lifetime or 0) // 3600)}h"


def _audit_secret(report: Report, joins: _Joins, secret: SecretRecord, now: float) -> None:
    key = (secret.namespace, secret.name)
    pods = joins.view.referencing_pods.get(key, 0)
    problems = tuple(sorted(p.value for p in secret.problems))
    rows: list[CredentialRow] = []
    if not secret.credentials:
        status = "malformed" if problems else "unknown"
        rows.append(CredentialRow(secret.namespace, secret.name, "-", "-", None, None,
                                  secret.last_rotated, problems, pods, status))  # fmt: skip
    for c in secret.credentials:
        expiry = expected_expiry(c, secret.last_rotated)
        expires_at, source = expiry if expiry else (None, None)
        status = "malformed" if problems else expiry_status(expires_at, c.kind.value, now)
        rows.append(CredentialRow(secret.namespace, secret.name, c.registry, c.kind.value,
                                  expires_at, source, secret.last_rotated, problems, pods,
                                  status))  # fmt: skip
    report.credentials += rows
    fix = _secret_fix(secret, rows if secret.credentials else (), joins, now)
    if fix is not None:
        report.fixes.append(fix)


def _audit_wrong_type(report: Report, joins: _Joins, namespace: str, name: str) -> None:
    pods = joins.view.referencing_pods[(namespace, name)]
    problems = (Problem.wrong_type.value,)
    report.credentials.append(CredentialRow(namespace, name, "-", "-", None, None, None,
                                            problems, pods, "malformed"))  # fmt: skip
    logins = _logins(joins.needed_registries(namespace, name))
    report.fixes.append(Fix(
        f"{namespace}/{name}: not of a pull-secret type (wrong_type), so kubelet ignores it; "
        "a Secret's type cannot be changed: recreate it as kubernetes.io/dockerconfigjson",
        (fixes.recreate_command(name, namespace, logins), *joins.restarts(namespace, name)),
        ("check first that nothing else reads it (env, volumes); if something does, create "
         "a pull secret of another name and reference that instead",),
    ))  # fmt: skip


def _audit_missing(report: Report, joins: _Joins, namespace: str, name: str, pods: int) -> None:
    view = joins.view
    elsewhere = tuple(sorted(view.secret_namespaces.get(name, set()) - {namespace}))
    report.missing.append(MissingRow(namespace, name, pods, elsewhere))
    notes: tuple[str, ...] = ()
    if elsewhere:
        source = elsewhere[0]
        command = fixes.copy_command(name, source, namespace)
        problem = (
            f"{namespace}/{name}: missing in {namespace}, exists in namespace {source}: copy it"
        )
        notes = (
            f"the copy does not follow later rotations of {source}/{name}: if a controller "
            f"(external-secrets, a CronJob) writes that one, have it write {namespace} too",
        )
    else:
        needed = joins.needed_registries(namespace, name)
        logins = _logins(needed)
        command = fixes.write_command(name, namespace, DOCKER_CONFIG_JSON_TYPE, logins,
                                      exists=False)  # fmt: skip
        problem = f"{namespace}/{name}: not found in the audited namespaces: create it"
        if needed == [fixes.REGISTRY]:
            notes = ("every image of its pods is covered by their other pull secrets: "
                     "removing the reference would do too",)  # fmt: skip
    report.fixes.append(Fix(problem, (command, *joins.restarts(namespace, name)), notes))


def build_report(view: ClusterView, now: float) -> Report:
    """Everything ``check`` prints, derived from ``view`` at time ``now``."""
    report = Report(now=now)
    joins = _Joins(view)
    for secret in sorted(view.state.secrets, key=lambda s: (s.namespace, s.name)):
        _audit_secret(report, joins, secret, now)
    for namespace, name in view.wrong_type_secrets:
        _audit_wrong_type(report, joins, namespace, name)
    for (namespace, name), pods in sorted(view.referencing_pods.items()):
        key = (namespace, name)
        if view.state.secrets.get(key) is None and view.state.other_secrets.get(key) is None:
            _audit_missing(report, joins, namespace, name, pods)

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
