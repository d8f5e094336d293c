"""PromQL the alerting rules and the dashboards share.

Every exporter replica (HA) exports the same series, and every restart of the exporter gives
them a new ``instance``: queries about the cluster first take one value across the replica
labels (``max without (instance)``; ``min`` for points in time, the most cautious answer) and
join on the remaining target labels (``cluster, job``), so one replica, two replicas and a
restarted exporter all give the same answer. Sharding splits the namespaces between
instances, so dropping ``instance`` never merges two shards' facts. The exporter's own
health (watches, probe rounds, ``up``) stays per instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CREDENTIAL_INFO = "imagepull_credential_info"
EXPIRY = "imagepull_credential_expiry_timestamp_seconds"
ISSUED = "imagepull_credential_issued_timestamp_seconds"
ROTATED = "imagepull_secret_last_rotated_timestamp_seconds"
REFERENCING = "imagepull_secret_referencing_pods"
WAITING = "imagepull_containers_waiting"
FAILURES = "imagepull_failures_total"
SYNCED = "imagepull_exporter_synced"
INFERRED_LABEL = "expiry"
"""Set to ``inferred`` on an alert whose expiry was inferred (see :func:`inferred_expiry`)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which series a query reads: ``selector`` (matchers without braces), the labels that
    tell scrape targets apart (joins match on them) and those that tell replicas apart."""

    selector: str
    target_labels: tuple[str, ...] = ("cluster", "job")
    replica_labels: tuple[str, ...] = ("instance",)

    def sel(self, *matchers: str) -> str:
        """``{job="x", cause="auth"}``: the selector first."""
        return "{" + ", ".join([self.selector, *matchers]) + "}"

    def on(self, *labels: str) -> str:
        """Join labels: ``"cluster, job, namespace, secret"``."""
        return ", ".join([*self.target_labels, *labels])

    @property
    def replicas(self) -> str:
        return ", ".join(self.replica_labels)

    def one(self, metric: str, *matchers: str, agg: str = "max") -> str:
        """One value per series across replicas: ``max without (instance) (m{...})``."""
        return f"{agg} without ({self.replicas}) ({metric}{self.sel(*matchers)})"


def expiry(s: Scope, *matchers: str) -> str:
    """The earliest expiry of each credential: of its sources (token, annotation, probe)
    and of the replicas."""
    return f"min without ({s.replicas}, source) ({EXPIRY}{s.sel(*matchers)})"


def referenced(s: Scope) -> str:
    """``on (...) (pods referencing the secret > 0)``, to ``and`` a credential with."""
    return f"on ({s.on('namespace', 'secret')}) ({s.one(REFERENCING)} > 0)"


def lifetime(
    s: Scope, kind_lifetimes: Mapping[str, str], rotation_kinds: Sequence[str]
) -> list[str]:
    """The lifetime of each credential, most reliable source first (``or`` keeps the first):

    * ``expiry - issued`` when the credential says when it was issued (JWT ``iat``, ECR);
    * the lifetime of its kind when that is fixed (``kind_lifetimes``, seconds: ECR 12 h);
    * ``expiry - the secret's last rotation`` for ``rotation_kinds`` (a JWT without
      ``iat``): a token is minted before the secret write that carries it, so this errs
      short only for a token written into its secret long after it was minted.
    """
    terms = [f"{expiry(s)} - {s.one(ISSUED, agg='min')}"]
    for kind, seconds in kind_lifetimes.items():
        matcher = f'kind="{kind}"'
        terms.append(f"{seconds} * group without ({s.replicas}, source) ({EXPIRY}{s.sel(matcher)})")
    if rotation_kinds:
        matcher = f'kind=~"{"|".join(rotation_kinds)}"'
        terms.append(
            f"{expiry(s, matcher)} - on ({s.on('namespace', 'secret')}) group_left () "
            f"{s.one(ROTATED, agg='min')}"
        )
    return terms


def kind_lifetime(s: Scope, kind_lifetimes: Mapping[str, str]) -> str:
    """The fixed lifetime (``kind_lifetimes``: seconds by kind) of every credential of those
    kinds, from ``imagepull_credential_info``: whether or not it shows an expiry."""
    terms = []
    for kind, seconds in kind_lifetimes.items():
        matcher = f'kind="{kind}"'
        terms.append(
            f"{seconds} * group without ({s.replicas}) ({CREDENTIAL_INFO}{s.sel(matcher)})"
        )
    return "\nor ".join(terms)


def inferred_expiry(s: Scope, kind_lifetimes: Mapping[str, str]) -> str:
    """When each credential of a fixed-lifetime kind that shows no expiry (an opaque GCP
    access token, an ECR password that does not decode) runs out: its secret's last rotation
    plus its kind's lifetime. A token is minted before the write that carries it, so the
    real expiry is earlier by the time in between; a credential with an expiry series of any
    source is left to that series.
    """
    return (
        f"(\n{indent(kind_lifetime(s, kind_lifetimes))}\n)\n"
        f"+ on ({s.on('namespace', 'secret')}) group_left () {s.one(ROTATED, agg='min')}\n"
        f"unless on ({s.on('namespace', 'secret', 'registry')}) {EXPIRY}{s.sel()}"
    )


def mark_inferred(expr: str) -> str:
    """``expr`` labelled ``expiry="inferred"``, so the alert says its expiry is a guess."""
    return f'label_replace(\n{indent(expr)},\n  "{INFERRED_LABEL}", "inferred", "", ""\n)'


def short_lived(
    s: Scope,
    max_lifetime: str,
    kind_lifetimes: Mapping[str, str],
    rotation_kinds: Sequence[str],
) -> str:
    """Auto-rotated credentials, valued by their lifetime: those living less than
    ``max_lifetime`` seconds (the expiring-soon threshold: a credential that lives shorter
    than the warning would warn all its life)."""
    terms = lifetime(s, kind_lifetimes, rotation_kinds)
    body = "\n  or ".join(terms)
    return f"(\n  {body}\n) < {max_lifetime} > 0"


def failure_increase(s: Scope, window: str, *matchers: str, lookback: str = "1d") -> str:
    """Pull failures counted over ``window`` per failure series, across replicas.

    ``increase()`` never counts the first sample of a series, and the exporter publishes a
    series only from its first failure (older Events are its baseline): a series that had
    no sample in the ``lookback`` before the window is new, and counts whole. Not "no
    sample ``window`` ago": a failed scrape then (or a gap longer than the 5 m staleness)
    would make an old counter look new and count its whole lifetime again.
    """
    series = f"{FAILURES}{s.sel(*matchers)}"
    return (
        f"max without ({s.replicas}) (\n"
        f"  ({series} unless last_over_time({series}[{lookback}] offset {window}))\n"
        f"  or increase({series}[{window}])\n"
        ")"
    )


def failing(s: Scope, causes: str, by: str, window: str) -> str:
    """Per ``by`` labels: containers waiting now, or pulls failed within ``window``, for the
    given causes."""
    matcher = f'cause=~"{causes}"'
    return (
        f"sum by ({by}) ({s.one(WAITING, matcher)}) > 0\n"
        "or\n"
        f"sum by ({by}) (\n{indent(failure_increase(s, window, matcher))}\n) > 0"
    )


def held(s: Scope, expr: str, grace: str) -> str:
    """``expr``, or its last result of the past ``grace`` while no exporter target of its
    cluster is up and synced: while an exporter restarts its series vanish until its first
    LIST completes (it serves only its self-metrics until then, ``SYNCED`` 0), and without
    this every pending alert would start its ``for:`` again and every firing one would
    resolve and page anew. When a synced target is up, a vanished series is a fact that
    ended, and the alert resolves at once."""
    targets = ", ".join(s.target_labels)
    return (
        "(\n"
        f"{indent(expr)}\n"
        ")\n"
        "# the last result while no exporter target is up and synced (a restart): `for:`\n"
        "# keeps counting\n"
        "or (\n"
        f"  last_over_time((\n{indent(expr, 4)}\n  )[{grace}:])\n"
        f"  unless on ({targets}) max by ({targets}) ({SYNCED}{s.sel()}) == 1\n"
        ")"
    )


def indent(text: str, spaces: int = 2) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())
