"""The exporter with ``--web.config.file`` (TLS + basic auth) and ``--web.probe-address``:
/metrics needs the certificate's CA and the password; the kubelet's probes do not."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import AsyncIterator
from pathlib import Path

import bcrypt
import pytest

PASSWORD = "canary-metrics-password-3b9f"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web_config(tmp_path: Path) -> Path:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is not installed (Debian package openssl)")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "server.key", "-out", "server.pem", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=6)).decode()
    config = tmp_path / "web.yml"
    config.write_text(
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
        f"basic_auth_users:\n  prometheus: {hashed}\n"
    )
    return config


@pytest.fixture
async def exporter(kubeconfig: Path, web_config: Path) -> AsyncIterator[tuple[str, str, Path]]:
    port, probe_port = _free_port(), _free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled without blocking
        [sys.executable, "-m", "exporter", "--kubeconfig", str(kubeconfig),
         "--web.listen-address", f"127.0.0.1:{port}", "--web.config.file", str(web_config),
         "--web.probe-address", f"127.0.0.1:{probe_port}", "--log-level", "debug"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    probes = f"http://127.0.0.1:{probe_port}"
    deadline = time.monotonic() + 20
    # The simulator serves from this test's event loop: wait without blocking it.
    while not await asyncio.to_thread(_ready, f"{probes}/readyz"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"exporter did not become ready: {process.communicate()[1]}")
        await asyncio.sleep(0.05)
    try:
        yield f"https://127.0.0.1:{port}", probes, web_config.parent / "server.pem"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
        assert PASSWORD not in stderr
        assert "Traceback" not in stderr


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


async def test_metrics_need_tls_and_password_probes_do_not(
    exporter: tuple[str, str, Path],
) -> None:
    metrics, probes, ca = exporter
    context = ssl.create_default_context(cafile=str(ca))

    def get(url: str, password: str | None = None) -> int:
        request = urllib.request.Request(url)
        if password is not None:
            token = b64encode(f"prometheus:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    assert await asyncio.to_thread(get, f"{metrics}/metrics", PASSWORD) == 200
    assert await asyncio.to_thread(get, f"{metrics}/metrics", "wrong") == 401
    assert await asyncio.to_thread(get, f"{metrics}/metrics") == 401
    assert await asyncio.to_thread(get, f"{probes}/healthz") == 200
    assert await asyncio.to_thread(get, f"{probes}/metrics") == 404
    # urllib says URLError or RemoteDisconnected: either way, no HTTP answer over plain HTTP
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        await asyncio.to_thread(
            urllib.request.urlopen, f"{metrics}/metrics".replace("https", "http"), None, 5
        )
