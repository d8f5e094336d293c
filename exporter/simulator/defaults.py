"""Defaulting and validation the API server applies to our types, where it is cheap.

Only what clients of this project can observe is done: a secret's ``type`` defaults to
``Opaque`` and ``stringData`` folds into ``data``; a dockerconfigjson secret must hold
valid JSON under ``.dockerconfigjson``; pods get the scheduler's and kubelet-facing
defaults and ``status.phase: Pending``; namespaces are ``Active``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from exporter.simulator.errors import bad_request, invalid

JSONObject = dict[str, Any]
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DOCKER_KEYS = {
    "kubernetes.io/dockerconfigjson": ".dockerconfigjson",
    "kubernetes.io/dockercfg": ".dockercfg",
}


def validate_name(kind: str, name: str) -> None:
    """Reject names the API server rejects (DNS-1123 subdomain, at most 253 characters)."""
    if not name:
        raise invalid(
            kind, name, "metadata.name", "Required value: name or generateName is required"
        )
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise invalid(
            kind,
            name,
            "metadata.name",
            f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
            "character",
        )


def apply_defaults(kind: str, obj: JSONObject) -> None:
    """Default and validate ``obj`` (of ``kind``) in place."""
    if kind == "Secret":
        _secret(obj)
    elif kind == "Pod":
        _pod(obj)
    elif kind == "Namespace":
        name = obj["metadata"]["name"]
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")


def _secret(obj: JSONObject) -> None:
    name = obj["metadata"]["name"]
    secret_type = obj.setdefault("type", "Opaque")
    data = obj.get("data") or {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise bad_request(
                'Secret in version "v1" cannot be handled as a Secret: '
                f"illegal base64 data for key {key}"
            )
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(
                'Secret in version "v1" cannot be handled as a Secret: '
                f"illegal base64 data at input byte 0 ({key})"
            ) from None
    string_data = obj.pop("stringData", None) or {}
    for key, value in string_data.items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    if data:
        obj["data"] = data
    docker_key = _DOCKER_KEYS.get(secret_type)
    if docker_key is None:
        return
    if docker_key not in data:
        raise invalid("Secret", name, f"data[{docker_key}]", "Required value")
    try:
        json.loads(base64.b64decode(data[docker_key]))
    except ValueError as error:
        raise invalid(
            "Secret",
            name,
            f"data[{docker_key}]",
            f'Invalid value: "<secret contents redacted>": {error}',
        ) from None


def _pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _pod(obj: JSONObject) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = account
    spec["serviceAccount"] = account
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            container.setdefault("imagePullPolicy", _pull_policy(str(container.get("image", ""))))
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            container.setdefault("resources", {})
    status = obj.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status.setdefault("qosClass", "BestEffort")
