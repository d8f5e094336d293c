"""Reading ``--web.config.file``: what the toolkit format allows, and one clear line otherwise.

Files that need real certificates are in test_webconfig_tls.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.http.webconfig import ClientAuth, WebConfig, WebConfigError, load_web_config

# From htpasswd -nBC 10 "" (the toolkit's docs), for password "test".
HASH = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"


def load(tmp_path: Path, text: str) -> WebConfig:
    path = tmp_path / "web.yml"
    path.write_text(text)
    return load_web_config(path)


@pytest.mark.parametrize("text", ["", "# nothing\n", "{}\n", "tls_server_config: {}\n"])
def test_empty_file_is_plain_http_without_auth(tmp_path: Path, text: str) -> None:
    config = load(tmp_path, text)
    assert config.tls is None
    assert config.ssl_context() is None
    assert not config.users
    assert not config.headers
    assert config.files == (tmp_path / "web.yml",)


def test_users_headers_and_excluded_paths(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        f"basic_auth_users:\n  prometheus: {HASH}\n"
        "http_server_config:\n  http2: true\n  headers:\n"
        "    X-Frame-Options: sameorigin\n    Strict-Transport-Security: max-age=31536000\n"
        "    X-XSS-Protection: ''\n"
        "auth_excluded_paths: [/healthz]\n",
    )
    assert config.users == {"prometheus": HASH.encode()}
    assert config.headers == {
        "X-Frame-Options": "sameorigin",
        "Strict-Transport-Security": "max-age=31536000",
    }  # a blank value means unset
    assert config.auth_excluded_paths == {"/healthz"}
    assert config.ignored == ("http_server_config.http2",)
    assert HASH not in repr(config)


def test_tls_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    # The files are missing, so loading them fails: but under the config's directory.
    with pytest.raises(WebConfigError, match=str(tmp_path / "certs" / "server.pem")):
        load(tmp_path, "tls_server_config:\n  cert_file: certs/server.pem\n  key_file: k.pem\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "the file: expected a mapping"),
        ("tls_config: {}\n", "unknown key tls_config"),
        ("tls_server_config:\n  certfile: x\n", "unknown key tls_server_config.certfile"),
        ("http_server_config:\n  header: {}\n", "unknown key http_server_config.header"),
        ("rate_limit:\n  interval: 1s\n", "rate_limit is not supported"),
        ("tls_server_config:\n  key_file: k\n", "missing cert_file"),
        ("tls_server_config:\n  cert_file: c\n", "missing key_file"),
        ("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n", "missing cert"),
        ("tls_server_config:\n  cert_file: c\n  cert: x\n  key_file: k\n", "both set"),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Nope\n",
            "unknown value 'Nope'",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n"
            "  client_auth_type: RequireAnyClientCert\n",
            "RequireAnyClientCert is not supported",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n",
            "client_ca_file is set but client_auth_type NoClientCert",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n"
            "  client_auth_type: RequireAndVerifyClientCert\n",
            "needs client_ca_file",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_allowed_sans: [a]\n",
            "client_allowed_sans needs client_auth_type RequireAndVerifyClientCert",
        ),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS11\n", "obsolete"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: tls13\n", "unknown"),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n"
            "  min_version: TLS13\n  max_version: TLS12\n",
            "max_version is lower than min_version",
        ),
        ("http_server_config:\n  headers:\n    Server: x\n", "this header cannot be set"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "deny, sameorigin"),
        ("http_server_config:\n  headers:\n    X-Content-Type-Options: x\n", "nosniff"),
        ("basic_auth_users:\n  prometheus: secret-in-clear\n", "not a bcrypt hash"),
        (f"basic_auth_users:\n  prom:etheus: '{HASH}'\n", "cannot contain ':'"),
        (f"basic_auth_users:\n  123: '{HASH}'\n", "keys must be strings"),
        ("basic_auth_users: [a]\n", "basic_auth_users: expected a mapping"),
        ("auth_excluded_paths: /healthz\n", "expected a list of strings"),
        ("tls_server_config:\n  cert_file: [c]\n  key_file: k\n", "expected a string"),
        ("basic_auth_users:\n  a: b\n c\n", "(line 3, column 2)"),
    ],
)
def test_operator_errors_are_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(WebConfigError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"web config {tmp_path / 'web.yml'}: ")
    assert "\n" not in str(caught.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(WebConfigError, match="cannot read: No such file or directory"):
        load_web_config(tmp_path / "missing.yml")


def test_yaml_errors_do_not_quote_the_file(tmp_path: Path) -> None:
    secret = "$2y$10$CANARYCANARYCANARYCANARY"
    with pytest.raises(WebConfigError) as caught:
        load(tmp_path, f"basic_auth_users:\n  a: {secret}\n  - {secret}\n")
    assert "CANARY" not in str(caught.value)


def test_client_auth_names_follow_the_toolkit() -> None:
    assert {auth.value for auth in ClientAuth} == {
        "NoClientCert",
        "RequestClientCert",
        "VerifyClientCertIfGiven",
        "RequireAndVerifyClientCert",
    }
