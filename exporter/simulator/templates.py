"""Templates in scenario strings, so times and tokens are relative to load time.

Any string value in a scenario may contain ``{{ expression }}``; every expression in one
load sees the same ``now``. Expressions:

``now``, ``now-8h``, ``now+2d3h``
    a moment (units s, m, h, d, w), written as RFC 3339: ``2025-01-01T04:00:00Z``.
``unix:now+3h``
    the same moment as integer seconds since the epoch: ``1735704000``.
``ecr_password(expires=now+12h)``
    an ECR authorization token password (base64 JSON with ``payload``, ``datakey``,
    ``version``, ``type`` and ``expiration``), like ``aws ecr get-login-password``.
``jwt(exp=now+1h, iat=now-11h, iss='https://issuer.example', sub=robot)``
    an HS256 JWT (random key) with those claims; times become NumericDate seconds.
``github_pat()``
    a classic GitHub personal access token, ``ghp_`` + 30 random characters + checksum.
``dockerconfigjson(registry=ghcr.io, username=bot, password=github_pat())``
    base64 of ``{"auths": {registry: {username, password, auth}}}``, ready for
    ``data: {.dockerconfigjson: ...}`` of a ``kubernetes.io/dockerconfigjson`` secret.
``b64(text='some text')``
    base64 of a string.

Arguments are ``name=value``; a value is a moment, a nested call, a quoted string
(``'...'`` or ``"..."``) or a bare word without spaces, commas, ``=`` or parentheses.

>>> render("expires {{ now+1h }}", now=0)
'expires 1970-01-01T01:00:00Z'
>>> render("{{ unix:now-1m }}", now=600)
'540'
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt

from exporter.simulator.clock import rfc3339

_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_TOKEN = re.compile(r"""\s*('[^']*'|"[^"]*"|[(),=]|[^\s(),=]+)""")
_MOMENT = re.compile(r"^(unix:)?now((?:[+-](?:\d+[smhdw])+)*)$")
_OFFSET = re.compile(r"([+-])((?:\d+[smhdw])+)")
_UNIT = re.compile(r"(\d+)([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


class TemplateError(ValueError):
    """A template that cannot be parsed or evaluated."""


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in time; rendered as RFC 3339 or, with ``unix``, epoch seconds."""

    seconds: float
    unix: bool = False

    def __str__(self) -> str:
        return str(int(self.seconds)) if self.unix else rfc3339(self.seconds)


def _seconds(value: Any) -> int:
    if isinstance(value, Moment):
        return int(value.seconds)
    try:
        return int(str(value))
    except ValueError:
        raise TemplateError(f"expected a moment such as now+1h, got {value!r}") from None


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def ecr_password(expires: Any) -> str:
    """An ECR-style token: base64 of JSON whose ``expiration`` is epoch seconds."""
    body = {
        "payload": base64.b64encode(secrets.token_bytes(96)).decode(),
        "datakey": base64.b64encode(secrets.token_bytes(64)).decode(),
        "version": "2",
        "type": "DATA_KEY",
        "expiration": _seconds(expires),
    }
    return _b64(json.dumps(body, separators=(",", ":")))


def jwt_token(**claims: Any) -> str:
    """An HS256 JWT with ``claims`` (moments become NumericDate seconds)."""
    payload = {k: _seconds(v) if k in ("exp", "iat", "nbf") else str(v) for k, v in claims.items()}
    return pyjwt.encode(payload, secrets.token_bytes(32), algorithm="HS256")


def github_pat() -> str:
    """A classic GitHub PAT: ``ghp_``, 30 random base62 characters, 6-character CRC32."""
    entropy = "".join(secrets.choice(_BASE62) for _ in range(30))
    checksum, digits = zlib.crc32(entropy.encode()), ""
    while checksum:
        checksum, digit = divmod(checksum, 62)
        digits = _BASE62[digit] + digits
    return f"ghp_{entropy}{digits.rjust(6, '0')}"


def dockerconfigjson(registry: Any, username: Any, password: Any) -> str:
    """base64 of a ``.dockerconfigjson`` with one registry entry."""
    user, secret = str(username), str(password)
    entry = {"username": user, "password": secret, "auth": _b64(f"{user}:{secret}")}
    return _b64(json.dumps({"auths": {str(registry): entry}}, separators=(",", ":")))


FUNCTIONS: dict[str, Callable[..., str]] = {
    "ecr_password": ecr_password,
    "jwt": jwt_token,
    "github_pat": github_pat,
    "dockerconfigjson": dockerconfigjson,
    "b64": lambda text: _b64(str(text)),
}


class _Parser:
    def __init__(self, text: str, now: float) -> None:
        self.tokens = _TOKEN.findall(text)
        self.position = 0
        self.now = now
        self.text = text

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise TemplateError(
                f"in {{{{ {self.text} }}}}: expected {expected or 'a value'}, got {token!r}"
            )
        self.position += 1
        return token

    def expression(self) -> Any:
        token = self.take()
        if token[0] in "'\"":
            return token[1:-1]
        moment = _MOMENT.match(token)
        if moment:
            offset = sum(
                (1 if sign == "+" else -1)
                * sum(int(n) * _SECONDS[u] for n, u in _UNIT.findall(amount))
                for sign, amount in _OFFSET.findall(moment.group(2))
            )
            return Moment(self.now + offset, unix=bool(moment.group(1)))
        if self.peek() != "(":
            return token
        function = FUNCTIONS.get(token)
        if function is None:
            raise TemplateError(
                f"unknown template function {token!r}; known: {', '.join(FUNCTIONS)}"
            )
        self.take("(")
        args: dict[str, Any] = {}
        while self.peek() != ")":
            name = self.take()
            self.take("=")
            args[name] = self.expression()
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        try:
            return function(**args)
        except TypeError as error:
            raise TemplateError(f"{token}(): {error}") from None


def evaluate(expression: str, now: float) -> str:
    """Evaluate one template expression (the text between ``{{`` and ``}}``)."""
    parser = _Parser(expression, now)
    value = parser.expression()
    if parser.peek() is not None:
        raise TemplateError(f"unexpected {parser.peek()!r} in {{{{ {expression} }}}}")
    return str(value)


def render(text: str, *, now: float | None = None) -> str:
    """Replace every ``{{ ... }}`` in ``text``."""
    moment = time.time() if now is None else now
    return _TEMPLATE.sub(lambda m: evaluate(m.group(1), moment), text)


def render_tree(value: Any, *, now: float) -> Any:
    """Render templates in every string of a decoded YAML document."""
    if isinstance(value, str):
        return render(value, now=now) if "{{" in value else value
    if isinstance(value, list):
        return [render_tree(item, now=now) for item in value]
    if isinstance(value, dict):
        return {key: render_tree(item, now=now) for key, item in value.items()}
    return value
