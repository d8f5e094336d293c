"""``parse_pull_secret``: a Secret object's data and annotations in, credentials out.

>>> import base64, json
>>> config = {"auths": {"https://ghcr.io": {"username": "octocat", "password": "hunter2"}}}
>>> data = {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}
>>> parsed = parse_pull_secret("kubernetes.io/dockerconfigjson", data, {}, now=0.0)
>>> [(c.registry, c.kind.value) for c in parsed.credentials], sorted(parsed.problems)
([('ghcr.io', 'basic')], [])
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from itertools import islice

from exporter.credentials.annotations import DeclaredExpiry, read_declared_expiry
from exporter.credentials.credential import Credential, ExpirySource, ParsedSecret
from exporter.credentials.dockerconfig import (
    EntrySecrets,
    decode_data_value,
    entry_secrets,
    load_json_object,
    read_entry,
    registry_map,
    too_many_members,
)
from exporter.credentials.fingerprint import credential_fingerprint
from exporter.credentials.kinds import classify_credential
from exporter.credentials.limits import MAX_REGISTRIES
from exporter.credentials.problems import DATA_KEY_BY_TYPE, Problem
from exporter.credentials.registry_keys import normalise_registry_key

_NO_SECRETS = EntrySecrets("", "", "", "")


def _problem_only(problem: Problem) -> ParsedSecret:
    return ParsedSecret((), frozenset({problem}))


def _credential(
    registry: str,
    secrets: EntrySecrets,
    declared: DeclaredExpiry,
    now: float,
    problem: Problem | None,
) -> Credential:
    tokens = (secrets.identity_token, secrets.registry_token)
    kind, times = classify_credential(registry, secrets.username, secrets.password, tokens, now=now)
    expires_at = times.expires_at if times else None
    source: ExpirySource | None = "token" if expires_at is not None else None
    if expires_at is None:
        # The token is authoritative; an annotation only fills in what it cannot say.
        expires_at = declared.for_registry(registry)
        source = "annotation" if expires_at is not None else None
    return Credential(
        registry=registry,
        kind=kind,
        expires_at=expires_at,
        expiry_source=source,
        issued_at=times.issued_at if times else None,
        fingerprint=credential_fingerprint(secrets.username, secrets.password, *tokens),
        problem=problem,
    )


def parse_pull_secret(
    secret_type: str,
    data: Mapping[str, str],
    annotations: Mapping[str, str],
    *,
    now: float | None = None,
) -> ParsedSecret:
    """Credentials and problems of a Secret, never raising.

    ``data`` is the Secret's ``data`` as the API returns it (values base64). Every usable
    registry key yields exactly one ``Credential`` (the first 1000), so coverage can be
    computed with kubelet's rules; an entry kubelet cannot use still yields one, of kind
    ``unknown``, next to the problem that explains it. ``now`` anchors the plausibility
    window for decoded times (default: the current time).
    """
    now = time.time() if now is None else now
    data_key = DATA_KEY_BY_TYPE.get(secret_type)
    if data_key is None:
        return _problem_only(Problem.wrong_type)
    value = data.get(data_key)
    if not value:
        # kubelet skips a pull secret whose data key is absent or empty, e.g. a
        # dockerconfigjson secret that only has .dockercfg: nothing to read, not bad JSON.
        return _problem_only(Problem.no_auths)
    raw = decode_data_value(value)
    if isinstance(raw, Problem):
        return _problem_only(raw)
    if not raw:
        return _problem_only(Problem.no_auths)
    if too_many_members(raw):
        return _problem_only(Problem.too_large)
    document = load_json_object(raw)
    if isinstance(document, Problem):
        return _problem_only(document)
    registries = registry_map(secret_type, document)
    if isinstance(registries, Problem):
        return _problem_only(registries)

    problems: set[Problem] = set()
    if len(registries) > MAX_REGISTRIES:
        problems.add(Problem.too_large)
    declared = read_declared_expiry(annotations, now=now)
    credentials: dict[Credential, None] = {}  # ordered set: same key twice, same result
    for location, raw_entry in islice(registries.items(), MAX_REGISTRIES):
        registry = normalise_registry_key(location)
        if registry is None:
            problems.add(Problem.invalid_registry_key)
            continue
        entry = read_entry(raw_entry)
        secrets = entry_secrets(entry) if not isinstance(entry, Problem) else entry
        problem: Problem | None = None
        if isinstance(secrets, Problem):
            problem, secrets = secrets, _NO_SECRETS  # kubelet rejects the secret: "unknown"
        elif not secrets.password:
            problem = Problem.empty_credentials
        if problem is not None:
            problems.add(problem)
        credentials[_credential(registry, secrets, declared, now, problem)] = None
    return ParsedSecret(tuple(credentials), frozenset(problems))
