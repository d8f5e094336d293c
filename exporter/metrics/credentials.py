"""Credential metrics: what each pull secret holds, when it expires, who depends on it."""

from __future__ import annotations

from collections.abc import Iterator

from exporter.credentials import Credential, Problem
from exporter.metrics.catalog import MetricSpec, Sample
from exporter.metrics.view import ClusterView
from exporter.state.records import SecretRecord


def _secrets(view: ClusterView) -> list[SecretRecord]:
    return view.secrets


def _credentials(view: ClusterView) -> Iterator[tuple[SecretRecord, Credential]]:
    """Each secret's credentials, one per registry key (the first, as kubelet's keyring)."""
    for secret in _secrets(view):
        seen: set[str] = set()
        for credential in secret.credentials:
            if credential.registry not in seen:
                seen.add(credential.registry)
                yield secret, credential


def _secret_info(view: ClusterView) -> Iterator[Sample]:
    for s in _secrets(view):
        yield (s.namespace, s.name, s.type), 1.0


def _created(view: ClusterView) -> Iterator[Sample]:
    for s in _secrets(view):
        if s.created is not None:
            yield (s.namespace, s.name), s.created


def _rotated(view: ClusterView) -> Iterator[Sample]:
    for s in _secrets(view):
        if s.last_rotated is not None:
            yield (s.namespace, s.name), s.last_rotated


def _valid(view: ClusterView) -> Iterator[Sample]:
    for s in _secrets(view):
        yield (s.namespace, s.name), 0.0 if s.problems else 1.0
    for key in view.wrong_type_secrets:
        yield key, 0.0


def _problems(view: ClusterView) -> Iterator[Sample]:
    for s in _secrets(view):
        for problem in sorted(s.problems):
            yield (s.namespace, s.name, problem.value), 1.0
    for namespace, name in view.wrong_type_secrets:
        yield (namespace, name, Problem.wrong_type.value), 1.0


def _missing(view: ClusterView) -> Iterator[Sample]:
    for (namespace, name), pods in sorted(view.referencing_pods.items()):
        key = (namespace, name)
        exists = view.state.secrets.get(key) or view.state.other_secrets.get(key)
        if not exists:
            elsewhere = bool(view.secret_namespaces.get(name, set()) - {namespace})
            yield (namespace, name, "true" if elsewhere else "false"), float(pods)


def _referencing(view: ClusterView) -> Iterator[Sample]:
    for s in _secrets(view):
        yield (s.namespace, s.name), float(view.referencing_pods.get((s.namespace, s.name), 0))
    for key in view.wrong_type_secrets:
        yield key, float(view.referencing_pods[key])


def _credential_info(view: ClusterView) -> Iterator[Sample]:
    for s, c in _credentials(view):
        yield (s.namespace, s.name, c.registry, c.kind.value), 1.0


def _expiry(view: ClusterView) -> Iterator[Sample]:
    for s, c in _credentials(view):
        if c.expires_at is not None and c.expiry_source is not None:
            labels = (s.namespace, s.name, c.registry, c.kind.value, c.expiry_source)
            yield labels, c.expires_at
    learnt = view.probe_expiries()
    if learnt:
        # Expiries the probe learnt (GitHub's API, for tokens ghcr.io accepted).
        kinds = {(s.namespace, s.name, c.registry): c.kind.value for s, c in _credentials(view)}
        for (namespace, secret, registry), expires_at in learnt:
            kind = kinds.get((namespace, secret, registry))
            if kind is not None:
                yield (namespace, secret, registry, kind, "probe"), expires_at


def _issued(view: ClusterView) -> Iterator[Sample]:
    for s, c in _credentials(view):
        if c.issued_at is not None:
            yield (s.namespace, s.name, c.registry, c.kind.value), c.issued_at


def _uncovered(view: ClusterView) -> Iterator[Sample]:
    for key, pods in sorted(view.uncovered_pods.items()):
        yield key, float(pods)


SECRETS = ("secrets",)
# Joins of pods (and their service accounts) with the secrets they reference: inside a
# namespace, except found_in_other_namespace, which reads every namespace's secret names.
JOINS = ("pods", "serviceaccounts", "secrets", "other_secrets")
ELSEWHERE = (*JOINS, "secrets_elsewhere", "secret_names")
NS_SECRET = ("namespace", "secret")
CREDENTIAL = ("namespace", "secret", "registry", "kind")

METRICS = (
    MetricSpec(
        "imagepull_secret_info",
        "gauge",
        "Always 1 for every image pull secret (dockerconfigjson or dockercfg), with its type.",
        (*NS_SECRET, "type"),
        _secret_info,
        depends=SECRETS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_secret_created_timestamp_seconds",
        "gauge",
        "Unix time the pull secret was created.",
        NS_SECRET,
        _created,
        depends=SECRETS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_secret_last_rotated_timestamp_seconds",
        "gauge",
        "Unix time the pull secret's data last changed: the newest managedFields time of a "
        "manager owning the data (a later metadata-only write by that manager moves it too), "
        "else when the exporter saw the data change, else its creation.",
        NS_SECRET,
        _rotated,
        depends=SECRETS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_secret_valid",
        "gauge",
        "1 when the pull secret parses cleanly, 0 when it has a problem (including a "
        "referenced secret of a type kubelet ignores for pulls).",
        NS_SECRET,
        _valid,
        depends=JOINS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_secret_problem",
        "gauge",
        "Always 1 for each problem of a pull secret (invalid_json, invalid_base64, no_auths, "
        "empty_credentials, invalid_registry_key, wrong_type, too_large).",
        (*NS_SECRET, "problem"),
        _problems,
        depends=JOINS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_secret_missing",
        "gauge",
        "Pods referencing a pull secret (directly or through their service account) that "
        "does not exist in their namespace; found_in_other_namespace tells a secret made "
        "in the wrong namespace apart from one never made.",
        (*NS_SECRET, "found_in_other_namespace"),
        _missing,
        depends=ELSEWHERE,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_secret_referencing_pods",
        "gauge",
        "Pods that depend on the pull secret, directly or through their service account.",
        NS_SECRET,
        _referencing,
        depends=JOINS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_credential_info",
        "gauge",
        "Always 1 for each registry credential in a pull secret, with its kind.",
        CREDENTIAL,
        _credential_info,
        depends=SECRETS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_credential_expiry_timestamp_seconds",
        "gauge",
        "Unix time the credential expires: decoded from the token (source=token), "
        "declared by the owner in an annotation (source=annotation), or told by the "
        "registry to the probe (source=probe).",
        (*CREDENTIAL, "source"),
        _expiry,
        depends=("secrets", "probe"),
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_credential_issued_timestamp_seconds",
        "gauge",
        "Unix time the credential was issued, when the token says so.",
        CREDENTIAL,
        _issued,
        depends=SECRETS,
        cap="max_secret_series",
        scope="namespace",
    ),
    MetricSpec(
        "imagepull_registry_uncovered_pods",
        "gauge",
        "Pods with pull secrets none of which covers an image's registry under kubelet's "
        "matching rules, counting pods whose referenced secrets are all missing or of the "
        "wrong type (the image may be public: join with failures before alerting).",
        ("namespace", "registry"),
        _uncovered,
        depends=JOINS,
        scope="namespace",
    ),
)
