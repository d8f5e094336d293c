"""``WWW-Authenticate`` challenges of a registry (RFC 7235, as the Docker Registry v2
token specification uses them).

>>> challenge = parse_challenges('Bearer realm="https://auth.docker.io/token",service="hub"')[0]
>>> challenge.scheme, challenge.params
('bearer', {'realm': 'https://auth.docker.io/token', 'service': 'hub'})
>>> parse_challenges('Basic realm="Registry Realm"')[0].scheme
'basic'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# token68 or an auth-param's name: RFC 7230 "token" characters.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_SPACE = re.compile(r"[ \t]*")
MAX_HEADER_CHARS = 8192


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge: its scheme (lower case) and its parameters (names lower case)."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str:
        """The Bearer ``error`` parameter (``insufficient_scope``, ``invalid_token``)."""
        return self.params.get("error", "")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self, pattern: re.Pattern[str] = _SPACE) -> None:
        match = pattern.match(self.text, self.pos)
        if match:
            self.pos = match.end()

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def token(self, pattern: re.Pattern[str] = _TOKEN) -> str | None:
        match = pattern.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group()

    def quoted(self) -> str:
        """A quoted-string starting at ``pos`` (on the opening quote), unescaped."""
        out = []
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
            elif char == '"':
                break
            else:
                out.append(char)
        return "".join(out)

    def is_param_ahead(self) -> bool:
        """Is the next thing ``name=`` (a parameter) rather than a new scheme?"""
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            return False
        rest = _SPACE.match(self.text, match.end())
        after = rest.end() if rest else match.end()
        return self.text[after : after + 1] == "=" and self.text[after + 1 : after + 2] != "="


def _params(reader: _Reader) -> dict[str, str]:
    params: dict[str, str] = {}
    while True:
        reader.skip()
        if not reader.is_param_ahead():
            return params
        name = (reader.token() or "").lower()
        reader.skip()
        reader.pos += 1  # "="
        reader.skip()
        value = reader.quoted() if reader.peek() == '"' else reader.token() or ""
        params.setdefault(name, value)
        reader.skip()
        if reader.peek() != ",":
            return params
        reader.pos += 1
        reader.skip(re.compile(r"[ \t,]*"))


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in one header value; what cannot be read ends the list.

    >>> [c.scheme for c in parse_challenges('Basic realm="r", Bearer realm="t",scope="x"')]
    ['basic', 'bearer']
    >>> parse_challenges('Bearer realm="t",error="insufficient_scope"')[0].error
    'insufficient_scope'
    """
    reader = _Reader(header[:MAX_HEADER_CHARS])
    challenges: list[Challenge] = []
    while True:
        reader.skip(re.compile(r"[ \t,]*"))
        scheme = reader.token()
        if scheme is None:
            return challenges
        reader.skip()
        if reader.is_param_ahead() or reader.peek() in ("", ","):
            params = _params(reader)
        else:
            reader.token(_TOKEN68)  # a token68 credential: no parameters to read
            params = {}
        challenges.append(Challenge(scheme.lower(), params))


def pick_challenge(headers: Iterable[str]) -> Challenge | None:
    """The challenge to answer: Bearer before Basic, as docker's client prefers it.

    >>> pick_challenge(['Basic realm="r"', 'Bearer realm="https://a/t"']).scheme
    'bearer'
    >>> pick_challenge(['Negotiate']) is None
    True
    """
    found = {c.scheme: c for header in headers for c in reversed(parse_challenges(header))}
    return found.get("bearer") or found.get("basic")
