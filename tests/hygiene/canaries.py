"""Canary credentials planted in every field a pull secret can hold, and the search for them.

Each canary is a distinctive string (``canary-pass-<random>``); a leak is any of them, or
any encoded string built from them (``auth``, a JWT, an ECR token, a secret's ``data``
value), found as-is or base64-encoded (standard or URL-safe, at any alignment).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAMESPACE = "vault"
JSON_TYPE = "kubernetes.io/dockerconfigjson"
FIELDS = ("user", "pass", "auth-user", "auth-pass", "idtoken", "regtoken", "email",
          "cfg-pass", "cfg-email", "b64", "json", "jwt-sub", "jwt-aud", "ecr", "annotation",
          "applied", "opaque", "opaque-annotation", "wrongtype", "badauth", "message",
          "gcp-key")  # fmt: skip


def b64(raw: str | bytes) -> str:
    return base64.b64encode(raw.encode() if isinstance(raw, str) else raw).decode()


def _b64url(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def encoded_forms(planted: str) -> set[str]:
    """``planted`` and the alignment-independent middles of its base64 encodings."""
    forms = {planted}
    raw = planted.encode()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw).decode().rstrip("=")
            forms.add(text[4:-4] if shift else text[:-4])
    return {form for form in forms if len(form) >= 16}


@dataclass
class Canaries:
    """One set of canaries, the scenario objects carrying them, and the needles to search."""

    tag: str = field(default_factory=lambda: secrets.token_hex(6))
    planted: list[str] = field(default_factory=list)
    """Every secret string put in the scenario: canaries and the encodings built from them."""

    def canary(self, name: str) -> str:
        return f"canary-{name}-{self.tag}"

    def _plant(self, value: str) -> str:
        self.planted.append(value)
        return value

    def _jwt(self, header: dict[str, str]) -> str:
        claims = {"sub": self.canary("jwt-sub"), "aud": self.canary("jwt-aud"),
                  "exp": 1_999_999_999, "iat": 1_700_000_000}  # fmt: skip
        return self._plant(f"{_b64url(json.dumps(header))}.{_b64url(json.dumps(claims))}.c2ln")

    def _secret(self, name: str, secret_type: str, data: dict[str, str],
                annotations: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
        values = {key: self._plant(value) for key, value in data.items()}
        metadata: dict[str, Any] = {"name": name, "namespace": NAMESPACE}
        if annotations:
            metadata["annotations"] = annotations
        return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata,
                "type": secret_type, "data": values}  # fmt: skip

    def _config(self, auths: dict[str, Any]) -> str:
        return b64(json.dumps({"auths": auths}))

    def secrets(self, *, api_valid_only: bool = True) -> list[dict[str, Any]]:
        """Pull secrets (and one Opaque) with a canary in every field there is.

        An API server refuses data that is not base64, or a dockerconfigjson that is not
        JSON; those two secrets are only fed to the exporter's code in-process.
        """
        c = self.canary
        for name in FIELDS:
            self._plant(c(name))
        auth = self._plant(b64(f"{c('auth-user')}:{c('auth-pass')}"))
        ecr = self._plant(b64(json.dumps({"payload": c("ecr"), "datakey": c("ecr"),
                                          "version": "2", "type": "DATA_KEY",
                                          "expiration": 1_999_999_999})))  # fmt: skip
        everything = self._config(
            {"ghcr.io": {"auth": auth, "username": c("user"), "password": c("pass"),
                         "identitytoken": c("idtoken"), "registrytoken": c("regtoken"),
                         "email": c("email")},
             "quay.io": {"username": c("user"), "password": c("pass")},
             "123456789012.dkr.ecr.eu-west-1.amazonaws.com": {"username": "AWS", "password": ecr},
             "example.azurecr.io": {"username": "00000000-0000-0000-0000-000000000000",
                                    "password": self._jwt({"alg": "HS256", "typ": "JWT"})},
             "jwt.example.com": {"username": "robot", "password": self._jwt({"alg": "none"}),
                                 "identitytoken": self._jwt({"alg": "RS256"})},
             "gcr.io": {"username": "_json_key", "password": json.dumps(
                 {"type": "service_account", "private_key": c("gcp-key")})}}
        )  # fmt: skip
        applied = json.dumps({"kind": "Secret", "data": {".dockerconfigjson": everything},
                              "note": c("applied")})  # fmt: skip
        invalid = [
            self._secret("bad-base64", JSON_TYPE, {".dockerconfigjson": f"!{c('b64')}!"}),
            self._secret("bad-json", JSON_TYPE, {".dockerconfigjson": b64(
                '{"auths": {"q.io": {"password": "' + c("json") + '"')}),
        ]  # fmt: skip
        return ([] if api_valid_only else invalid) + [
            self._secret("all-fields", JSON_TYPE, {".dockerconfigjson": everything},
                         {"kubectl.kubernetes.io/last-applied-configuration": applied,
                          "imagepull-exporter/expires-at": c("annotation"),
                          "imagepull-exporter/expires-at.ghcr.io": c("annotation")}),
            self._secret("legacy", "kubernetes.io/dockercfg", {".dockercfg": b64(json.dumps(
                {"registry.example.com": {"auth": b64(f"u:{c('cfg-pass')}"),
                                          "email": c("cfg-email")}}))}),
            self._secret("wrong-types", JSON_TYPE, {".dockerconfigjson": self._config(
                {"q.io": {"auth": 42, "password": c("wrongtype")}})}),
            self._secret("bad-auth", JSON_TYPE, {".dockerconfigjson": self._config(
                {"q.io": {"auth": c("badauth")}})}),
            self._secret("opaque", "Opaque", {"password": b64(c("opaque"))},
                         {"note": c("opaque-annotation")}),
        ]  # fmt: skip

    def objects(self, *, api_valid_only: bool = True) -> list[dict[str, Any]]:
        """A namespace, the secrets, a service account and pods that use them."""
        secret_objects = self.secrets(api_valid_only=api_valid_only)
        names = [{"name": s["metadata"]["name"]} for s in secret_objects] + [{"name": "gone"}]
        message = (f'Failed to pull image "ghcr.io/acme/api:v1": rpc error: unauthorized: '
                   f"password {self.canary('message')} rejected")  # fmt: skip
        waiting = {"waiting": {"reason": "ErrImagePull", "message": message}}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "api", "namespace": NAMESPACE},
            "spec": {
                "containers": [{"name": "api", "image": "ghcr.io/acme/api:v1"}],
                "imagePullSecrets": names,
            },
            "status": {
                "phase": "Pending",
                "containerStatuses": [
                    {
                        "name": "api",
                        "state": waiting,
                        "image": "ghcr.io/acme/api:v1",
                        "ready": False,
                        "restartCount": 0,
                    }
                ],
            },
        }
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "api.1", "namespace": NAMESPACE},
            "involvedObject": {"kind": "Pod", "name": "api", "namespace": NAMESPACE},
            "reason": "Failed",
            "message": message,
            "type": "Warning",
            "count": 2,
        }
        account = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": NAMESPACE},
            "imagePullSecrets": names,
        }
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        return [namespace, *secret_objects, account, pod, event]  # fmt: skip

    def late_secret(self) -> dict[str, Any]:
        """One more pull secret with its own canaries, to create after the first LIST."""
        c = self.canary
        config = self._config({"ghcr.io": {"username": self._plant(c("late-user")),
                                           "password": self._plant(c("late-pass"))}})  # fmt: skip
        return self._secret("late", JSON_TYPE, {".dockerconfigjson": config})

    def write_scenario(self, path: Path) -> Path:
        """The objects as a scenario file (JSON documents are YAML)."""
        path.write_text("".join(f"---\n{json.dumps(o)}\n" for o in self.objects()))
        return path

    def needles(self) -> dict[str, str]:
        """Every searchable form of every planted string, mapped to a short description."""
        found: dict[str, str] = {}
        for value in self.planted:
            for form in encoded_forms(value):
                found.setdefault(form, value[:40])
        return found

    def leaks(self, outputs: Iterable[str | bytes]) -> list[str]:
        """Which planted strings appear (in some form) in any of ``outputs``."""
        needles = self.needles()
        leaked: set[str] = set()
        for output in outputs:
            text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
            leaked.update(what for needle, what in needles.items() if needle in text)
        return sorted(leaked)
