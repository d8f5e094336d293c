"""A throw-away PKI made with the openssl CLI: a CA, a server certificate for 127.0.0.1,
and a self-signed RSA token-signing certificate for the registry's ``rootcertbundle``."""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.probe.binaries import require

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    signing_cert: Path
    signing_key: Path
    other_ca_cert: Path
    """A CA that signed nothing here: trusting only it makes the server unknown."""

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        return context

    def signing_x5c(self) -> list[str]:
        """The ``x5c`` JOSE header: the signing certificate, base64 DER."""
        der = ssl.PEM_cert_to_DER_cert(self.signing_cert.read_text())
        return [base64.b64encode(der).decode()]


def _openssl(*args: str | Path, stdin: bytes = b"") -> bytes:
    done = subprocess.run(
        [str(require("openssl")), *map(str, args)],
        input=stdin, check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return done.stdout


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_rs256(header: dict[str, object], claims: dict[str, object], key: Path) -> str:
    """A compact JWS signed RS256 by the openssl CLI (no Python crypto dependency)."""
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = _openssl("dgst", "-sha256", "-sign", key, stdin=signing_input.encode())
    return f"{signing_input}.{_b64url(signature)}"


def make_pki(folder: Path) -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = folder / "ca.key", folder / "ca.crt"
    ca_ext = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign"]
    _openssl("req", "-x509", *EC, "-keyout", ca_key, "-out", ca_cert, "-days", "2",
             "-subj", "/CN=imagepull probe test CA", *ca_ext)  # fmt: skip
    other_key, other_cert = folder / "other-ca.key", folder / "other-ca.crt"
    _openssl("req", "-x509", *EC, "-keyout", other_key, "-out", other_cert, "-days", "2",
             "-subj", "/CN=some other CA", *ca_ext)  # fmt: skip
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.crt"
    extensions = folder / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    )
    _openssl("req", *EC, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
             "-out", cert, "-days", "2", "-extfile", extensions)  # fmt: skip
    signing_key, signing_cert = folder / "signing.key", folder / "signing.crt"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", signing_key,
             "-out", signing_cert, "-days", "2", "-subj", "/CN=token signer")  # fmt: skip
    return Pki(ca_cert, cert, key, signing_cert, signing_key, other_cert)
