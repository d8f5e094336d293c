"""TLS on the metrics port, for real: certificates from the openssl CLI, curl and s_client.

A fixture makes two CAs (``a`` and ``b``), each with a server certificate for 127.0.0.1
and a client certificate. Every test serves the real app on 127.0.0.1:0 with a
:class:`WebConfigWatcher` and talks to it with curl, ``openssl s_client`` and Python.
CI installs the ``curl`` and ``openssl`` Debian packages; without them these tests fail.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from exporter.http.app import build_app
from exporter.http.webconfig import WebConfigError, load_web_config
from exporter.http.webconfig_watcher import WebConfigWatcher

TOOLS = {"curl": "curl", "openssl": "openssl"}  # command → Debian package


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed (Debian package {TOOLS[tool]})")
    return path


@dataclass(frozen=True)
class Pki:
    """Files in ``root``: ca-{a,b}.pem, server-{a,b}.{pem,key}, client-{a,b}.{pem,key}."""

    root: Path

    def __call__(self, name: str) -> Path:
        return self.root / name


def _openssl(root: Path, *args: str) -> None:
    subprocess.run([require("openssl"), *args], cwd=root, check=True, capture_output=True)


EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
SERVER_EXT = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
CLIENT_EXT = "subjectAltName=DNS:prometheus.monitoring\nextendedKeyUsage=clientAuth\n"


def _issue(root: Path, ca: str, name: str, extensions: str) -> None:
    """``name``.pem/.key, signed by ``ca``, valid for two days."""
    subject = f"/CN={name.replace('-', ' ')}"
    _openssl(
        root, "req", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject
    )
    (root / f"{name}.ext").write_text(extensions)
    signing = ("-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial", "-days", "2")
    _openssl(root, "x509", "-req", "-in", f"{name}.csr", *signing, "-out", f"{name}.pem",
             "-extfile", f"{name}.ext")  # fmt: skip


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    for ca in ("a", "b"):
        files = ("-keyout", f"ca-{ca}.key", "-out", f"ca-{ca}.pem")
        _openssl(root, "req", "-x509", *EC_KEY, *files, "-days", "2", "-subj", f"/CN=test ca {ca}")
        _issue(root, f"ca-{ca}", f"server-{ca}", SERVER_EXT)
        _issue(root, f"ca-{ca}", f"client-{ca}", CLIENT_EXT)
    return Pki(root)


@dataclass
class Served:
    url: str
    port: int
    watcher: WebConfigWatcher
    config: Path


Serve = Callable[[str], Awaitable[Served]]


@pytest.fixture
def site_dir(pki: Pki, tmp_path: Path) -> Path:
    """A config directory with its own copy of server a's files, free to rotate."""
    for suffix in ("pem", "key"):
        shutil.copy(pki(f"server-a.{suffix}"), tmp_path / f"server.{suffix}")
    shutil.copy(pki("ca-a.pem"), tmp_path / "client-ca.pem")
    return tmp_path


@pytest.fixture
async def serve(site_dir: Path) -> AsyncIterator[Serve]:
    """``await serve(yaml)`` starts the app with that web config; stopped after the test."""
    runners: list[web.AppRunner] = []
    tasks: list[asyncio.Task[None]] = []
    registry = CollectorRegistry()
    Gauge("imagepull_test_up", "A test gauge.", registry=registry).set(1)

    async def start(text: str) -> Served:
        config = site_dir / "web.yml"
        config.write_text(text)
        watcher = WebConfigWatcher(config, poll_seconds=0.1)
        app = build_app(lambda _: generate_latest(registry), ready=lambda: True)
        watcher.install(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=watcher.listener_ssl_context)
        await site.start()
        tasks.append(asyncio.create_task(watcher.run()))
        port = runner.addresses[0][1]
        return Served(f"https://127.0.0.1:{port}", port, watcher, config)

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for runner in runners:
        await runner.cleanup()


TLS = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
MTLS = TLS + "  client_ca_file: client-ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n"


async def run(*command: str) -> tuple[int, str]:
    """Run a client without blocking the event loop that serves it: (exit code, output)."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def curl(url: str, *args: str) -> tuple[int, str]:
    return await run(require("curl"), "-sS", "--max-time", "10", *args, url)


async def s_client(port: int, *args: str) -> tuple[int, str]:
    return await run(
        require("openssl"), "s_client", "-connect", f"127.0.0.1:{port}", "-verify_return_error",
        *args,
    )  # fmt: skip


def client_context(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca)
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


async def python_get(url: str, context: ssl.SSLContext) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, ssl=context) as response:
        await response.read()
        return response.status


async def presented_issuer(port: int) -> str:
    """The issuer CN of the certificate the server presents now, by a fresh handshake."""
    code, output = await run(require("openssl"), "s_client", "-connect", f"127.0.0.1:{port}")
    for line in output.splitlines():
        if line.startswith("issuer="):
            return line
    raise AssertionError(f"s_client exit {code}: {output}")


async def test_tls_with_the_right_ca_and_not_with_another(serve: Serve, pki: Pki) -> None:
    served = await serve(TLS)
    code, body = await curl(f"{served.url}/metrics", "--cacert", str(pki("ca-a.pem")))
    assert code == 0, body
    assert "imagepull_test_up 1.0" in body
    code, output = await s_client(served.port, "-CAfile", str(pki("ca-a.pem")))
    assert "Verify return code: 0 (ok)" in output
    assert await python_get(f"{served.url}/metrics", client_context(pki("ca-a.pem"))) == 200

    code, output = await curl(f"{served.url}/metrics", "--cacert", str(pki("ca-b.pem")))
    assert code == 60, output  # peer certificate cannot be authenticated
    code, output = await s_client(served.port, "-CAfile", str(pki("ca-b.pem")))
    assert code != 0
    assert "Verify return code: 0 (ok)" not in output
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await python_get(f"{served.url}/metrics", client_context(pki("ca-b.pem")))


async def test_mtls_requires_a_client_cert_from_the_client_ca(serve: Serve, pki: Pki) -> None:
    served = await serve(MTLS)
    url, ca = f"{served.url}/metrics", str(pki("ca-a.pem"))

    code, output = await curl(url, "--cacert", ca)
    assert code != 0, output
    # TLS 1.2, where the server's refusal ends the handshake itself, not the first read.
    code, output = await s_client(served.port, "-CAfile", ca, "-tls1_2")
    assert code != 0, output
    with pytest.raises(aiohttp.ClientError):
        await python_get(url, client_context(pki("ca-a.pem")))

    other, other_key = str(pki("client-b.pem")), str(pki("client-b.key"))  # from CA b
    code, output = await curl(url, "--cacert", ca, "--cert", other, "--key", other_key)
    assert code != 0, output
    code, output = await s_client(served.port, "-CAfile", ca, "-tls1_2", "-cert", other,
                                  "-key", other_key)  # fmt: skip
    assert code != 0, output
    wrong = client_context(pki("ca-a.pem"), pki("client-b.pem"), pki("client-b.key"))
    with pytest.raises(aiohttp.ClientError):
        await python_get(url, wrong)

    cert, key = str(pki("client-a.pem")), str(pki("client-a.key"))
    code, body = await curl(url, "--cacert", ca, "--cert", cert, "--key", key)
    assert code == 0, body
    assert "imagepull_test_up" in body
    code, output = await s_client(served.port, "-CAfile", ca, "-cert", cert, "-key", key)
    assert "Verify return code: 0 (ok)" in output
    right = client_context(pki("ca-a.pem"), pki("client-a.pem"), pki("client-a.key"))
    assert await python_get(url, right) == 200


async def test_allowed_sans_pick_among_valid_client_certs(serve: Serve, pki: Pki) -> None:
    client = client_context(pki("ca-a.pem"), pki("client-a.pem"), pki("client-a.key"))
    served = await serve(MTLS + "  client_allowed_sans: [prometheus.monitoring]\n")
    assert await python_get(f"{served.url}/metrics", client) == 200
    served = await serve(MTLS + "  client_allowed_sans: [grafana.monitoring]\n")
    assert await python_get(f"{served.url}/metrics", client) == 403


async def test_min_version_tls13_turns_tls12_clients_away(serve: Serve, pki: Pki) -> None:
    served = await serve(TLS + "  min_version: TLS13\n")
    ca = str(pki("ca-a.pem"))
    code, output = await curl(f"{served.url}/metrics", "--cacert", ca, "--tls-max", "1.2")
    assert code == 35, output  # TLS handshake failed
    code, output = await s_client(served.port, "-CAfile", ca, "-tls1_2")
    assert code != 0, output
    old = client_context(pki("ca-a.pem"))
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(aiohttp.ClientConnectorError):
        await python_get(f"{served.url}/metrics", old)
    code, output = await s_client(served.port, "-CAfile", ca, "-tls1_3")
    assert code == 0, output
    assert "TLSv1.3" in output
    assert await python_get(f"{served.url}/metrics", client_context(pki("ca-a.pem"))) == 200


async def test_basic_auth_and_headers_over_tls_with_curl(serve: Serve, pki: Pki) -> None:
    import bcrypt

    hashed = bcrypt.hashpw(b"scrape-pass", bcrypt.gensalt(rounds=4)).decode()
    served = await serve(
        TLS + f"basic_auth_users:\n  prometheus: {hashed}\n"
        "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
    )
    args = ("--cacert", str(pki("ca-a.pem")), "-o", "/dev/null", "-w", "%{http_code}")
    assert await curl(f"{served.url}/metrics", *args, "-u", "prometheus:scrape-pass") == (0, "200")
    assert await curl(f"{served.url}/metrics", *args, "-u", "prometheus:wrong") == (0, "401")
    assert await curl(f"{served.url}/metrics", *args) == (0, "401")
    code, headers = await curl(f"{served.url}/metrics", "--cacert", str(pki("ca-a.pem")), "-I")
    assert code == 0
    assert 'www-authenticate: basic realm="imagepull-exporter"' in headers.lower()
    assert "x-frame-options: deny" in headers.lower()


async def test_rotated_certificate_is_presented_without_a_restart(
    serve: Serve, pki: Pki, site_dir: Path
) -> None:
    served = await serve(TLS)
    assert "test ca a" in await presented_issuer(served.port)
    # As a secret volume does: the new pair appears at once (here, key first, then cert).
    shutil.copy(pki("server-b.key"), site_dir / "server.key")
    shutil.copy(pki("server-b.pem"), site_dir / "server.pem")
    deadline = time.monotonic() + 5
    while "test ca b" not in await presented_issuer(served.port):
        assert time.monotonic() < deadline, "the new certificate was never presented"
        await asyncio.sleep(0.05)
    assert await python_get(f"{served.url}/metrics", client_context(pki("ca-b.pem"))) == 200


async def test_rotated_client_ca_replaces_the_old_one(
    serve: Serve, pki: Pki, site_dir: Path
) -> None:
    served = await serve(MTLS)
    url = f"{served.url}/metrics"
    client_a = client_context(pki("ca-a.pem"), pki("client-a.pem"), pki("client-a.key"))
    client_b = client_context(pki("ca-a.pem"), pki("client-b.pem"), pki("client-b.key"))
    assert await python_get(url, client_a) == 200
    shutil.copy(pki("ca-b.pem"), site_dir / "client-ca.pem")
    assert await served.watcher.reload()
    assert await python_get(url, client_b) == 200
    with pytest.raises(aiohttp.ClientError):
        await python_get(url, client_a)


async def test_a_bad_reload_keeps_serving_the_old_config(
    serve: Serve, pki: Pki, site_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served = await serve(TLS)
    bad_key = "-----BEGIN PRIVATE KEY-----\nCANARY-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"
    caplog.set_level(logging.DEBUG)
    (site_dir / "server.key").write_text(bad_key)
    assert not await served.watcher.reload()
    assert not await served.watcher.reload()  # the same bad content: no second error
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "keeping the previous web config" in errors[0].getMessage()
    assert "CANARY" not in caplog.text
    assert "test ca a" in await presented_issuer(served.port)
    assert await python_get(f"{served.url}/metrics", client_context(pki("ca-a.pem"))) == 200
    # Fixed again: picked up.
    shutil.copy(pki("server-a.key"), site_dir / "server.key")
    assert await served.watcher.reload()


async def test_plain_http_to_the_tls_port_fails_cleanly(
    serve: Serve, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    served = await serve(TLS)
    code, output = await curl(f"http://127.0.0.1:{served.port}/metrics")
    assert code in (52, 56), output  # empty reply / connection reset: no metrics leaked
    assert "imagepull_test_up" not in output
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            await session.get(f"http://127.0.0.1:{served.port}/metrics")
    assert await python_get(f"{served.url}/metrics", client_context(pki("ca-a.pem"))) == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TLS.replace("server.key", "client-ca.pem"), "cannot load the certificate"),
        (TLS.replace("server.key", "missing.key"), "No such file or directory"),
        (TLS.replace("server.pem", "missing.pem"), "No such file or directory"),
    ],
    ids=["key-is-not-a-key", "missing-key-file", "missing-cert-file"],
)
def test_files_that_do_not_load_are_one_clear_line(site_dir: Path, text: str, message: str) -> None:
    config = site_dir / "web.yml"
    config.write_text(text)
    with pytest.raises(WebConfigError) as caught:
        load_web_config(config)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_go_tuning_keys_are_accepted_and_reported_as_ignored(site_dir: Path) -> None:
    config = site_dir / "web.yml"
    config.write_text(
        TLS + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n  prefer_server_cipher_suites: true\n"
        "  curve_preferences: [X25519]\n"
    )
    assert load_web_config(config).ignored == (
        "tls_server_config.cipher_suites",
        "tls_server_config.curve_preferences",
        "tls_server_config.prefer_server_cipher_suites",
    )


def test_a_key_for_another_certificate_is_refused(site_dir: Path, pki: Pki) -> None:
    shutil.copy(pki("server-b.key"), site_dir / "server.key")
    config = site_dir / "web.yml"
    config.write_text(TLS)
    with pytest.raises(WebConfigError, match="KEY_VALUES_MISMATCH"):
        load_web_config(config)


async def test_inline_certificate_and_key(serve: Serve, pki: Pki) -> None:
    def block(name: str) -> str:
        return "".join(f"    {line}\n" for line in pki(name).read_text().splitlines())

    served = await serve(
        f"tls_server_config:\n  cert: |\n{block('server-a.pem')}  key: |\n{block('server-a.key')}"
    )
    assert await python_get(f"{served.url}/metrics", client_context(pki("ca-a.pem"))) == 200


def test_an_inline_key_is_never_quoted(site_dir: Path, pki: Pki) -> None:
    config = site_dir / "web.yml"
    config.write_text(
        "tls_server_config:\n  cert_file: server.pem\n  key: |\n    CANARY-INLINE-KEY\n"
    )
    with pytest.raises(WebConfigError) as caught:
        load_web_config(config)
    assert "CANARY" not in str(caught.value)
    assert "inline" in str(caught.value)
