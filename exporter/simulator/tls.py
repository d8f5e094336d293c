"""A throwaway self-signed serving certificate, made with the ``openssl`` command.

kubectl (client-go) sends bearer tokens only over TLS, so a simulator with a token
serves HTTPS; the kubeconfig carries the certificate as ``certificate-authority-data``.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ServingCertificate:
    """PEM certificate and key."""

    cert_pem: bytes
    key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        """An SSL context serving this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        with tempfile.TemporaryDirectory() as folder:
            cert, key = Path(folder, "tls.crt"), Path(folder, "tls.key")
            cert.write_bytes(self.cert_pem)
            key.write_bytes(self.key_pem)
            context.load_cert_chain(cert, key)
        return context


def _subject_alt_names(host: str) -> str:
    names = {"DNS:localhost", "IP:127.0.0.1", "IP:::1"}
    try:
        ipaddress.ip_address(host)
        names.add(f"IP:{host}")
    except ValueError:
        if host:
            names.add(f"DNS:{host}")
    return ",".join(sorted(names))


def self_signed(host: str) -> ServingCertificate:
    """A P-256 certificate valid for a year for ``host``, localhost and loopback."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("serving TLS needs the openssl command, which is not installed")
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder, "tls.crt"), Path(folder, "tls.key")
        subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "365",
                "-subj",
                "/CN=imagepull-simulator",
                "-addext",
                f"subjectAltName={_subject_alt_names(host)}",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        return ServingCertificate(cert.read_bytes(), key.read_bytes())
