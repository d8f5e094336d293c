"""``--web.config.file``: the Prometheus exporter-toolkit web configuration, read and checked.

The format is the one node_exporter and every toolkit-based exporter read, so an operator
can reuse a file (https://github.com/prometheus/exporter-toolkit, docs/web-configuration.md)::

    tls_server_config:
      cert_file: server.crt          # relative paths are relative to this file
      key_file: server.key
      client_ca_file: ca.crt
      client_auth_type: RequireAndVerifyClientCert
      min_version: TLS13
    http_server_config:
      headers:
        X-Frame-Options: deny
    basic_auth_users:
      prometheus: $2b$10$...         # bcrypt, e.g. htpasswd -nBC 10 "" | tr -d ':\\n'

:func:`load_web_config` turns the file into a frozen :class:`WebConfig` or raises
:class:`WebConfigError` with one line that never quotes a hash, a key or a password.
"""

from __future__ import annotations

import re
import ssl
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import yaml

from exporter.errors import yaml_problem


class WebConfigError(ValueError):
    """The web config file cannot be used; the message is one line, free of secrets."""


class ClientAuth(Enum):
    """``client_auth_type``: Go's ``tls.ClientAuthType`` names, as the toolkit spells them."""

    NO_CLIENT_CERT = "NoClientCert"
    # The toolkit requests a certificate and then never checks it: no different from
    # NoClientCert for access control, so it is served as NoClientCert.
    REQUEST_CLIENT_CERT = "RequestClientCert"
    VERIFY_CLIENT_CERT_IF_GIVEN = "VerifyClientCertIfGiven"
    REQUIRE_AND_VERIFY_CLIENT_CERT = "RequireAndVerifyClientCert"


TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}

# Values the toolkit accepts that we refuse, with the reason the operator reads.
UNSUPPORTED_VALUES = {
    "RequireAnyClientCert": "it accepts any certificate without verifying it, which Python's "
    "ssl cannot do; use RequireAndVerifyClientCert",
    "RequireClientCert": "it accepts any certificate without verifying it, which Python's "
    "ssl cannot do; use RequireAndVerifyClientCert",
    "TLS10": "TLS 1.0 is obsolete; use TLS12 or TLS13",
    "TLS11": "TLS 1.1 is obsolete; use TLS12 or TLS13",
}

# The toolkit lets only these response headers be set, some only to these values.
HEADER_VALUES: Mapping[str, tuple[str, ...]] = {
    "Strict-Transport-Security": (),
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": (),
    "Content-Security-Policy": (),
}

# Settings the toolkit tunes in Go's TLS stack; OpenSSL's defaults (TLS 1.3 suites, AEAD
# TLS 1.2 suites, X25519/P-256) are already what they are used to ask for.
IGNORED_TLS_KEYS = ("cipher_suites", "curve_preferences", "prefer_server_cipher_suites")
TLS_KEYS = frozenset(
    (
        "cert",
        "key",
        "client_ca",
        "cert_file",
        "key_file",
        "client_ca_file",
        "client_auth_type",
        "client_allowed_sans",
        "min_version",
        "max_version",
        *IGNORED_TLS_KEYS,
    )
)
HTTP_KEYS = frozenset(("http2", "headers"))
TOP_KEYS = frozenset(
    ("tls_server_config", "http_server_config", "basic_auth_users", "auth_excluded_paths")
)
UNSUPPORTED_KEYS = {"rate_limit": "rate limiting is not supported; use a NetworkPolicy"}

# $2a$/$2b$/$2y$ (htpasswd writes 2y), cost 04-31, 22 characters of salt and 31 of hash.
BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")


@dataclass(frozen=True, slots=True)
class Pem:
    """A PEM document from a file or inline in the web config (``cert:`` / ``key:``)."""

    path: Path | None = None
    data: bytes = field(default=b"", repr=False)  # may be a private key

    def describe(self) -> str:
        """Where the document comes from, for error messages: a path or ``inline``."""
        return str(self.path) if self.path is not None else "inline"


@dataclass(frozen=True, slots=True)
class TlsServerConfig:
    """``tls_server_config`` once checked: a certificate and key are always present."""

    cert: Pem
    key: Pem
    client_ca: Pem | None = None
    client_auth: ClientAuth = ClientAuth.NO_CLIENT_CERT
    client_allowed_sans: frozenset[str] = frozenset()
    min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3


@dataclass(frozen=True, slots=True)
class WebConfig:
    """A checked web config. ``WebConfig()`` is plain HTTP with no authentication."""

    tls: TlsServerConfig | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: types.MappingProxyType({}))
    users: Mapping[str, bytes] = field(
        default_factory=lambda: types.MappingProxyType({}), repr=False
    )
    """User name → bcrypt hash."""
    auth_excluded_paths: frozenset[str] = frozenset()
    files: tuple[Path, ...] = ()
    """Every file the config reads, the config itself first: what a reload watches."""
    ignored: tuple[str, ...] = ()
    """Keys accepted for compatibility but without effect, for one warning at load."""

    def ssl_context(self) -> ssl.SSLContext | None:
        """A new server context for ``tls_server_config`` (TLS 1.2 minimum), or None.

        Raises :class:`WebConfigError` if the certificate, key or CA cannot be loaded.
        """
        if self.tls is None:
            return None
        # Imported here because exporter.http.tls builds on the types of this module.
        from exporter.http.tls import build_server_context

        return build_server_context(self.tls)


def load_web_config(path: str | Path) -> WebConfig:
    """Read, check and load ``path``; raises :class:`WebConfigError`.

    The certificate and key are loaded into a context once, so a key that does not match
    its certificate is reported here, at start, rather than at the first scrape.
    """
    path = Path(path)
    where = f"web config {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WebConfigError(f"{where}: cannot read: {_reason(exc)}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WebConfigError(f"{where}: invalid YAML: {yaml_problem(exc)}") from None
    try:
        config = _parse(document, path.parent, path)
        config.ssl_context()
    except WebConfigError as exc:
        raise WebConfigError(f"{where}: {exc}") from None
    return config


def _parse(document: object, base: Path, path: Path) -> WebConfig:
    top = _mapping(document, "the file")
    _check_keys(top, TOP_KEYS, "")
    tls, ignored = _parse_tls(top.get("tls_server_config"), base)
    http = _mapping(top.get("http_server_config"), "http_server_config")
    _check_keys(http, HTTP_KEYS, "http_server_config.")
    if "http2" in http:
        # aiohttp serves HTTP/1.1 only; the toolkit's default (http2: true) is harmless.
        ignored += ("http_server_config.http2",)
    files = [path]
    if tls is not None:
        files += [pem.path for pem in (tls.cert, tls.key, tls.client_ca) if pem and pem.path]
    return WebConfig(
        tls=tls,
        headers=types.MappingProxyType(_parse_headers(http.get("headers"))),
        users=types.MappingProxyType(_parse_users(top.get("basic_auth_users"))),
        auth_excluded_paths=frozenset(
            _strings(top.get("auth_excluded_paths"), "auth_excluded_paths")
        ),
        files=tuple(files),
        ignored=ignored,
    )


def _parse_tls(value: object, base: Path) -> tuple[TlsServerConfig | None, tuple[str, ...]]:
    tls = _mapping(value, "tls_server_config")
    _check_keys(tls, TLS_KEYS, "tls_server_config.")
    ignored = tuple(f"tls_server_config.{key}" for key in IGNORED_TLS_KEYS if key in tls)
    auth_name = _string(tls.get("client_auth_type", ""), "tls_server_config.client_auth_type")
    cert = _pem(tls, "cert", base)
    key = _pem(tls, "key", base)
    client_ca = _pem(tls, "client_ca", base)
    # The toolkit's rule: any of these turns TLS on, and then cert and key are required.
    if cert is None and key is None and client_ca is None and not auth_name:
        return None, ignored
    if cert is None:
        raise WebConfigError("tls_server_config: missing cert_file (or inline cert)")
    if key is None:
        raise WebConfigError("tls_server_config: missing key_file (or inline key)")
    client_auth = _client_auth(auth_name or ClientAuth.NO_CLIENT_CERT.value)
    verifies = client_auth in (
        ClientAuth.VERIFY_CLIENT_CERT_IF_GIVEN,
        ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT,
    )
    if client_ca is not None and not verifies:
        raise WebConfigError(
            f"tls_server_config: client_ca_file is set but client_auth_type {client_auth.value} "
            "does not verify client certificates; use RequireAndVerifyClientCert"
        )
    if verifies and client_ca is None:
        raise WebConfigError(
            f"tls_server_config: client_auth_type {client_auth.value} needs client_ca_file"
        )
    sans = frozenset(
        _strings(tls.get("client_allowed_sans"), "tls_server_config.client_allowed_sans")
    )
    if sans and client_auth is not ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT:
        raise WebConfigError(
            "tls_server_config: client_allowed_sans needs client_auth_type "
            "RequireAndVerifyClientCert"
        )
    min_version = _tls_version(tls.get("min_version", "TLS12"), "min_version")
    max_version = _tls_version(tls.get("max_version", "TLS13"), "max_version")
    if max_version < min_version:
        raise WebConfigError("tls_server_config: max_version is lower than min_version")
    config = TlsServerConfig(cert, key, client_ca, client_auth, sans, min_version, max_version)
    return config, ignored


def _pem(tls: Mapping[str, object], name: str, base: Path) -> Pem | None:
    """``name`` inline or ``name_file``, never both; a relative file is next to the config."""
    inline, file = tls.get(name), tls.get(f"{name}_file")
    where = f"tls_server_config.{name}"
    if inline and file:
        raise WebConfigError(f"{where} and {where}_file are both set; keep one")
    if inline:
        return Pem(data=_string(inline, where).encode())
    if file:
        return Pem(path=base / _string(file, f"{where}_file"))
    return None


def _client_auth(name: str) -> ClientAuth:
    if name in UNSUPPORTED_VALUES:
        reason = UNSUPPORTED_VALUES[name]
        raise WebConfigError(
            f"tls_server_config.client_auth_type {name} is not supported: {reason}"
        )
    try:
        return ClientAuth(name)
    except ValueError:
        choices = ", ".join(auth.value for auth in ClientAuth)
        raise WebConfigError(
            f"tls_server_config.client_auth_type: unknown value {name!r}; expected one of {choices}"
        ) from None


def _tls_version(value: object, key: str) -> ssl.TLSVersion:
    name = _string(value, f"tls_server_config.{key}")
    if name in UNSUPPORTED_VALUES:
        raise WebConfigError(
            f"tls_server_config.{key} {name} is not supported: {UNSUPPORTED_VALUES[name]}"
        )
    if name not in TLS_VERSIONS:
        raise WebConfigError(
            f"tls_server_config.{key}: unknown value {name!r}; expected TLS12 or TLS13"
        )
    return TLS_VERSIONS[name]


def _parse_headers(value: object) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, raw in _mapping(value, "http_server_config.headers").items():
        where = f"http_server_config.headers.{name}"
        if name not in HEADER_VALUES:
            allowed = ", ".join(HEADER_VALUES)
            raise WebConfigError(f"{where}: this header cannot be set; allowed: {allowed}")
        header = _string(raw if raw is not None else "", where)
        if "\r" in header or "\n" in header:
            raise WebConfigError(f"{where}: the value contains a line break")
        allowed_values = HEADER_VALUES[name]
        if header and allowed_values and header not in allowed_values:
            raise WebConfigError(f"{where}: expected one of {', '.join(allowed_values)}")
        if header:  # blank means unset, as in the toolkit
            headers[name] = header
    return headers


def _parse_users(value: object) -> dict[str, bytes]:
    users: dict[str, bytes] = {}
    for name, hashed in _mapping(value, "basic_auth_users").items():
        if ":" in name:
            # Basic credentials are user:password split at the first colon.
            raise WebConfigError(f"basic_auth_users.{name}: a user name cannot contain ':'")
        # The hash is never quoted back: it is as sensitive as a password to brute force.
        if not isinstance(hashed, str) or not BCRYPT_HASH.fullmatch(hashed):
            raise WebConfigError(
                f"basic_auth_users.{name}: not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31)"
            )
        users[name] = hashed.encode("ascii")
    return users


def _mapping(value: object, where: str) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WebConfigError(f"{where}: expected a mapping")
    for key in value:
        if not isinstance(key, str):
            raise WebConfigError(f"{where}: keys must be strings (quote {key!r})")
    return value


def _check_keys(mapping: Mapping[str, object], allowed: frozenset[str], prefix: str) -> None:
    for key in mapping:
        if key in UNSUPPORTED_KEYS:
            raise WebConfigError(f"{prefix}{key} is not supported: {UNSUPPORTED_KEYS[key]}")
        if key not in allowed:
            raise WebConfigError(f"unknown key {prefix}{key}")


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise WebConfigError(f"{where}: expected a string")
    return value


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    items = [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
    if not isinstance(value, list) or len(items) != len(value):
        raise WebConfigError(f"{where}: expected a list of strings")
    return items


def _reason(exc: OSError | UnicodeDecodeError) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return "not UTF-8"
