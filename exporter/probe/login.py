"""The username and password of one registry entry, read from a Secret fetched at probe
time and dropped when the probe ends (the state never keeps secret material).

The decoding is the credentials package's, the one the metrics are computed with, so the
probe sends exactly what kubelet would: ``auth`` when present, else username/password.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter.credentials.dockerconfig import (
    decode_data_value,
    entry_secrets,
    load_json_object,
    read_entry,
    registry_map,
)
from exporter.credentials.fingerprint import credential_fingerprint
from exporter.credentials.problems import DATA_KEY_BY_TYPE, Problem
from exporter.credentials.registry_keys import normalise_registry_key


@dataclass(frozen=True, slots=True, repr=False)
class Login:
    """A registry login; ``repr`` is redacted so a traceback or debug print cannot leak it."""

    username: str
    password: str
    fingerprint: str = ""
    """The fingerprint of the whole entry, as the state's ``Credential`` has it: tells
    whether this is still the credential a round planned to probe."""

    def __repr__(self) -> str:
        return "Login(<redacted>)"

    def basic_authorization(self) -> str:
        """The ``Authorization`` header value for HTTP Basic, bytes as the secret held them.

        >>> Login("user", "pass").basic_authorization()
        'Basic dXNlcjpwYXNz'
        """
        raw = (
            self.username.encode("utf-8", "surrogateescape")
            + b":"
            + self.password.encode("utf-8", "surrogateescape")
        )
        return "Basic " + base64.b64encode(raw).decode("ascii")


def login_for(secret: Mapping[str, Any], registry: str) -> Login | None:
    """The login under registry key ``registry`` (normalised) of a Secret as the API
    returns it; ``None`` when the secret has no usable entry for it, or an empty one.
    Its ``fingerprint`` is computed as ``parse_pull_secret`` computes the credential's
    (a test holds the two equal).

    >>> import json
    >>> config = {"auths": {"https://ghcr.io": {"auth": "dXNlcjpwYXNz"}}}
    >>> data = {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}
    >>> secret = {"type": "kubernetes.io/dockerconfigjson", "data": data}
    >>> login_for(secret, "ghcr.io").username, login_for(secret, "quay.io")
    ('user', None)
    """
    secret_type = secret.get("type")
    data = secret.get("data")
    if not isinstance(secret_type, str) or not isinstance(data, Mapping):
        return None
    data_key = DATA_KEY_BY_TYPE.get(secret_type)
    raw = decode_data_value(data.get(data_key)) if data_key else Problem.wrong_type
    if isinstance(raw, Problem):
        return None
    document = load_json_object(raw)
    if isinstance(document, Problem):
        return None
    registries = registry_map(secret_type, document)
    if isinstance(registries, Problem):
        return None
    for location, value in registries.items():
        if normalise_registry_key(location) != registry:
            continue
        # The first entry for a key is the one the metrics describe (kubelet's keyring).
        entry = read_entry(value)
        secrets = entry_secrets(entry) if not isinstance(entry, Problem) else entry
        if isinstance(secrets, Problem) or not (secrets.username or secrets.password):
            return None
        fingerprint = credential_fingerprint(
            secrets.username, secrets.password, secrets.identity_token, secrets.registry_token
        )
        return Login(secrets.username, secrets.password, fingerprint)
    return None
