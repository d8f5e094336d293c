"""Decoding a pull secret's data into registry entries, the way kubelet unmarshals it.

kubelet (pkg/credentialprovider/config.go) unmarshals ``.dockerconfigjson`` into
``{"auths": {key: entry}}`` and ``.dockercfg`` into ``{key: entry}``, where an entry has
string fields ``auth``, ``username``, ``password``, ``email``, matched case-insensitively
(Go's encoding/json). A non-empty ``auth`` is ``base64(username:password)`` and replaces
the other two. Any type mismatch fails the whole unmarshal, hence the whole secret.

Every function here returns a ``Problem`` instead of raising.

>>> decode_auth("dXNlcjpwYTpzcw==")   # "user:pa:ss": split on the first colon
('user', 'pa:ss')
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict, cast

from exporter.credentials.limits import MAX_CONFIG_COLONS, MAX_DATA_VALUE_CHARS
from exporter.credentials.problems import DOCKER_CONFIG_JSON_TYPE, Problem

# Fields kubelet reads; a non-string value in one of them fails kubelet's unmarshal.
_KUBELET_FIELDS = ("auth", "username", "password", "email")
# Docker's token fields: kubelet ignores them, the exporter reads them for expiry only.
_TOKEN_FIELDS = ("identitytoken", "registrytoken")


class EntryJSON(TypedDict, total=False):
    """One registry entry of a docker config, field names lower-cased."""

    auth: str
    username: str
    password: str
    email: str
    identitytoken: str
    registrytoken: str


@dataclass(frozen=True, slots=True, repr=False)
class EntrySecrets:
    """What kubelet would send for one entry, plus the docker token fields.

    Lives only while one secret is parsed; ``repr`` is redacted so it can never leak
    through a traceback or a debug print.
    """

    username: str
    password: str
    identity_token: str
    registry_token: str

    def __repr__(self) -> str:
        return "EntrySecrets(<redacted>)"


def decode_data_value(value: object) -> bytes | Problem:
    """A Secret ``data`` value (base64 text from the API) as bytes.

    >>> decode_data_value("e30=")
    b'{}'
    >>> decode_data_value("not base64!")
    <Problem.invalid_base64: 'invalid_base64'>
    """
    if not isinstance(value, str):
        return Problem.invalid_base64
    if len(value) > MAX_DATA_VALUE_CHARS:
        return Problem.too_large
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return Problem.invalid_base64


def too_many_members(raw: bytes) -> bool:
    """Whether decoded data holds more JSON members than any real docker config could.

    A byte count, run before ``json.loads``: each object member needs a ``:``, so the
    count bounds the work parsing would do; colons inside strings only over-count.

    >>> too_many_members(b'{"auths": {"ghcr.io": {"auth": "dTpw"}}}')
    False
    >>> too_many_members(b"{" + b'"k":0,' * 20_000 + b'"k":0}')
    True
    """
    return raw.count(b":") > MAX_CONFIG_COLONS


def _reject_constant(name: str) -> object:
    # Python's json accepts NaN/Infinity; Go's (kubelet's) does not.
    raise ValueError(name)


def load_json_object(raw: bytes) -> dict[str, object] | Problem:
    """Parse decoded data as a JSON object; deep nesting is ``invalid_json``, not a crash.

    Invalid UTF-8 is replaced (U+FFFD), as Go's decoder does inside strings.
    """
    try:
        document: object = json.loads(
            raw.decode("utf-8", "replace"), parse_constant=_reject_constant
        )
    except (ValueError, RecursionError):
        return Problem.invalid_json
    return document if isinstance(document, dict) else Problem.invalid_json


def _get_folded(document: Mapping[str, object], name: str) -> object:
    """``document[name]`` matched case-insensitively, last one winning, like Go."""
    found: object = None
    for key, value in document.items():
        if key.lower() == name:
            found = value
    return found


def registry_map(secret_type: str, document: dict[str, object]) -> dict[str, object] | Problem:
    """The ``{registry key: entry}`` map kubelet would read from a decoded secret.

    >>> registry_map("kubernetes.io/dockerconfigjson", {"credsStore": "ecr-login"})
    <Problem.no_auths: 'no_auths'>
    """
    if secret_type == DOCKER_CONFIG_JSON_TYPE:
        auths = _get_folded(document, "auths")
        if auths is None:
            return Problem.no_auths
        if not isinstance(auths, dict):
            return Problem.invalid_json
        registries: dict[str, object] = auths
    else:
        registries = document
        wrapped = registries.get("auths")
        if len(registries) == 1 and isinstance(wrapped, dict):
            # A config.json pasted into a .dockercfg secret: kubelet reads one registry
            # called "auths" with no credentials, and none of the ones meant.
            return Problem.no_auths
    return registries if registries else Problem.no_auths


def read_entry(value: object) -> EntryJSON | Problem:
    """An entry's fields as kubelet's unmarshal sees them (``null`` leaves a field unset).

    >>> read_entry({"Username": "u", "password": "p"})
    {'username': 'u', 'password': 'p'}
    >>> read_entry({"auth": 42})
    <Problem.invalid_json: 'invalid_json'>
    """
    if value is None:
        return EntryJSON()
    if not isinstance(value, dict):
        return Problem.invalid_json
    fields: dict[str, str] = {}
    for key, field_value in value.items():
        name = key.lower()
        if field_value is None or name not in _KUBELET_FIELDS + _TOKEN_FIELDS:
            continue
        if isinstance(field_value, str):
            fields[name] = field_value
        elif name in _KUBELET_FIELDS:
            return Problem.invalid_json
    # Only EntryJSON's keys, each a str, were kept above.
    return cast(EntryJSON, fields)


def decode_auth(auth: str) -> tuple[str, str] | None:
    """``auth`` as (username, password); ``None`` when not base64 of ``user:password``.

    Padded and unpadded base64 are accepted, as kubelet does (it picks the decoder by a
    trailing "="); line breaks are ignored like Go's decoder. Bytes that are not UTF-8
    survive as surrogate escapes so the fingerprint still tells passwords apart.

    >>> decode_auth("dXNlcjpwYXNz")
    ('user', 'pass')
    >>> decode_auth("dXNlcnBhc3M=") is None   # "userpass": no colon
    True
    """
    compact = auth.replace("\r", "").replace("\n", "")
    if not compact.strip().endswith("="):
        if len(compact) % 4 == 1:
            return None
        compact += "=" * (-len(compact) % 4)
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    username, colon, password = decoded.partition(b":")
    if not colon:
        return None
    return (
        username.decode("utf-8", "surrogateescape"),
        password.decode("utf-8", "surrogateescape"),
    )


def entry_secrets(entry: EntryJSON) -> EntrySecrets | Problem:
    """What kubelet sends for an entry: ``auth`` when present, else username/password."""
    identity_token = entry.get("identitytoken", "")
    registry_token = entry.get("registrytoken", "")
    auth = entry.get("auth", "")
    if auth:
        decoded = decode_auth(auth)
        if decoded is None:
            return Problem.invalid_base64
        username, password = decoded
    else:
        username, password = entry.get("username", ""), entry.get("password", "")
    return EntrySecrets(username, password, identity_token, registry_token)
