"""Fuzz target: pull secret data (dockerconfigjson, dockercfg, base64, JWTs, ECR tokens).

    python fuzz/fuzz_pull_secret.py -runs=100000 fuzz/corpus/pull_secret

Input: one selector byte (secret type and how the rest is used), then fields separated by
``fuzz_input.SEPARATOR``: the payload and an expiry annotation.
"""

from __future__ import annotations

import base64
import json
import math

from fuzz_input import fields, fuzz, text

from exporter.credentials import Kind, Problem, parse_pull_secret
from exporter.credentials.limits import MAX_REGISTRIES
from exporter.credentials.registry_keys import MAX_REGISTRY_KEY_CHARS
from exporter.kube.decoding import decoder_for
from exporter.state.reducers import make_secret_reducer

NOW = 1_780_000_000.0
TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg", "Opaque", "")
DATA_KEYS = (".dockerconfigjson", ".dockercfg", ".dockerconfigjson", "x")
_reduce = make_secret_reducer(clock=lambda: NOW)
_decode = decoder_for("secrets").object


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _value(mode: int, payload: bytes, json_type: bool) -> str:
    """The secret's data value built from ``payload`` in one of four ways."""
    if mode == 0:  # the decoded data itself
        return _b64(payload)
    if mode == 1:  # the data value as sent, likely not base64 at all
        return text(payload)
    if mode == 2:  # a JSON document as a registry entry, or as the whole auths map
        try:
            document: object = json.loads(payload)
        except (ValueError, RecursionError):
            document = text(payload)
        config: dict[str, object] = (
            {"auths": {"q.io": document}} if json_type else {"q.io": document}
        )
        return _b64(json.dumps(config).encode("utf-8", "surrogatepass"))
    # the payload as a password, via auth and as a token: must never be kept
    entry = {"auth": _b64(b"u:" + payload), "identitytoken": text(payload)}
    wrapped: dict[str, object] = {"auths": {"q.io": entry}} if json_type else {"q.io": entry}
    return _b64(json.dumps(wrapped).encode("utf-8", "surrogatepass"))


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    selector = data[0]
    payload, annotation = fields(data[1:], 2)
    kind = selector % len(TYPES)
    mode = (selector >> 2) % 4
    secret_type, data_key = TYPES[kind], DATA_KEYS[kind]
    value = _value(mode, payload, json_type=kind != 1)
    annotations = {"imagepull-exporter/expires-at": text(annotation)}
    parsed = parse_pull_secret(secret_type, {data_key: value}, annotations, now=NOW)

    assert len(parsed.credentials) <= MAX_REGISTRIES
    assert parsed.problems <= set(Problem)
    for credential in parsed.credentials:
        assert 0 < len(credential.registry) <= MAX_REGISTRY_KEY_CHARS
        assert credential.kind in set(Kind)
        for moment in (credential.expires_at, credential.issued_at):
            assert moment is None or math.isfinite(moment)
        if mode == 3 and len(payload) >= 24:
            secret = text(payload)
            kept = (credential.registry, credential.kind.value, credential.fingerprint)
            assert not any(secret in field for field in kept), "secret material kept"

    raw = {"metadata": {"namespace": "ns", "name": "s", "annotations": annotations},
           "type": secret_type, "data": {data_key: value}}  # fmt: skip
    record = _reduce(_decode(json.dumps(raw).encode()), None)
    assert record.credentials == parsed.credentials
    assert record.problems == parsed.problems


if __name__ == "__main__":
    fuzz(TestOneInput)
