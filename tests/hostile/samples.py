"""Builders of raw API objects, and the named hostile objects the tests and bench share."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.hostile.objects import CFG_TYPE, JSON_TYPE, Raw, b64

BACKOFF_MESSAGE = 'Back-off pulling image "ghcr.io/acme/api:v1"'
PULL_MESSAGE = 'Failed to pull image "ghcr.io/acme/api:v1": rpc error: 401 Unauthorized'


def pod(
    *,
    name: str = "p",
    image: str = "ghcr.io/acme/api:v1",
    reason: str | None = None,
    message: str = "",
    containers: int = 1,
) -> Raw:
    state = {"waiting": {"reason": reason, "message": message}} if reason else {"running": {}}
    return {
        "metadata": {"namespace": "ns", "name": name},
        "spec": {
            "containers": [{"name": f"c{i}", "image": image} for i in range(containers)],
            "imagePullSecrets": [{"name": "s"}],
        },
        "status": {
            "containerStatuses": [{"name": f"c{i}", "state": state} for i in range(containers)]
        },
    }


def event(*, message: str = PULL_MESSAGE, count: object = 3, uid: str = "u1") -> Raw:
    return {
        "metadata": {"namespace": "ns", "name": "e", "uid": uid},
        "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "p"},
        "reason": "Failed",
        "message": message,
        "count": count,
    }


def secret_with_data(secret_type: str, key: str, value: object, name: str = "s") -> Raw:
    return {
        "metadata": {
            "namespace": "ns",
            "name": name,
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "type": secret_type,
        "data": {key: value},
    }


def pull_secret(auths: dict[str, Any], name: str = "s") -> Raw:
    config = json.dumps({"auths": auths}, separators=(",", ":"))
    return secret_with_data(JSON_TYPE, ".dockerconfigjson", b64(config), name)


def _segment(part: object) -> str:
    raw = part if isinstance(part, str) else json.dumps(part)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def jwt_segments(header: object, payload: object, signature: str = "c2ln") -> str:
    """A JWT-shaped string from any header and payload (not necessarily JSON objects)."""
    return f"{_segment(header)}.{_segment(payload)}.{signature}"


def base36(number: int, width: int = 4) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(width):
        number, digit = divmod(number, 36)
        out = digits[digit] + out
    return out


def many_registries(count: int) -> Raw:
    # 100k keys only fit the 1 MiB Secret limit when tiny: {"auths":{"0a1b":{},...}}
    return pull_secret({base36(i): {} for i in range(count)})


def _tiny_registries(count: int) -> Raw:
    # The most keys that fit a 1 MiB Secret: a .dockercfg of {"0a1b":0, ...}.
    config = json.dumps(dict.fromkeys((f"{i:05x}" for i in range(count)), 0), separators=(",", ":"))
    return secret_with_data(CFG_TYPE, ".dockercfg", b64(config))


def _nested_token() -> Raw:
    token = jwt_segments({"alg": "none"}, "[" * 5000 + "]" * 5000, "")
    return pull_secret({"q.io": {"username": "u", "password": token, "identitytoken": token}})


def _huge_token() -> Raw:
    token = jwt_segments({"alg": "HS256"}, {"exp": 1_780_000_060, "x": "y" * 700_000})
    return pull_secret({"q.io": {"username": "u", "password": token}})


def _annotated_pull_secret() -> Raw:
    # The API caps an object's annotations at 256 KiB in total: 2,500 of these fill it.
    secret = pull_secret({"q.io": {"auth": "dTpw"}})
    secret["metadata"]["annotations"] = {
        f"imagepull-exporter/expires-at.r{i}.io": "x" * 60 for i in range(2_500)
    }
    return secret


HOSTILE_OBJECTS: dict[str, tuple[str, Raw]] = {
    "secret-100k-registries": ("secrets", many_registries(100_000)),
    "secret-1MiB-of-tiny-registries": ("secrets", _tiny_registries(100_000)),
    "secret-10kB-registry-key": ("secrets", pull_secret({"ghcr.io/" + "k" * 10_000: {}})),
    "secret-10kB-name": ("secrets", pull_secret({"q.io": {}}, name="n" * 10_000)),
    "secret-bad-base64": (
        "secrets",
        secret_with_data(JSON_TYPE, ".dockerconfigjson", "%" * 1_000_000),
    ),
    "secret-oversized-value": (
        "secrets",
        secret_with_data(JSON_TYPE, ".dockerconfigjson", "e30=" * 1_000_000),
    ),
    "secret-deeply-nested-json": (
        "secrets",
        secret_with_data(JSON_TYPE, ".dockerconfigjson", b64("[" * 300_000 + "]" * 300_000)),
    ),
    "secret-jwt-deeply-nested": ("secrets", _nested_token()),
    "secret-jwt-700kB": ("secrets", _huge_token()),
    "secret-256KiB-of-annotations": ("secrets", _annotated_pull_secret()),
    "pod-10k-containers": (
        "pods",
        # kubelet's short back-off message keeps the pod under etcd's 1.5 MiB object limit
        pod(containers=10_000, reason="ImagePullBackOff", message=BACKOFF_MESSAGE),
    ),
    "pod-10kB-names": (
        "pods",
        pod(name='p\n"\\' * 2_500, image="i" * 10_000, reason="ImagePullBackOff"),
    ),
    "pod-label-escapes": (
        "pods",
        pod(name='a"b\\c\nd}e', image='ghcr.io/x"y\\z\n:1', reason="ErrImagePull"),
    ),
    "event-megabyte-message": ("events", event(message=PULL_MESSAGE + "x" * 1_000_000)),
    "event-control-characters": ("events", event(message=PULL_MESSAGE + "\x00\x1b[2J\r\n" * 5000)),
    "event-lone-surrogates": (
        "events",
        event(message='Failed to pull image "\ud800.io/x:1": ' + "\udfff" * 10_000),
    ),
    "event-count-overflow": ("events", event(count=10**400)),
}
