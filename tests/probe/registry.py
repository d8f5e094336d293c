"""Debian's ``docker-registry`` (distribution 2.8) on 127.0.0.1, with TLS from the test
CA and either htpasswd (bcrypt) or token auth; plus pushing a tiny image without Docker."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp
import yaml
from yarl import URL

from tests.probe.binaries import require
from tests.probe.pki import Pki
from tests.probe.token_server import ISSUER, SERVICE

STARTUP_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def htpasswd_line(user: str, password: str) -> str:
    """A bcrypt htpasswd line, by ``htpasswd -Bbn`` (apache2-utils)."""
    done = subprocess.run(
        [str(require("htpasswd")), "-Bbn", user, password],
        check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return done.stdout.strip()


@dataclass
class Registry:
    """One ``docker-registry serve`` process; ``host`` is ``127.0.0.1:PORT``."""

    folder: Path
    pki: Pki
    auth: Literal["htpasswd", "token"]
    token_realm: str = ""
    users: tuple[tuple[str, str], ...] = ()
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _config(self) -> dict[str, object]:
        if self.auth == "htpasswd":
            passwords = self.folder / "htpasswd"
            passwords.write_text("".join(htpasswd_line(u, p) + "\n" for u, p in self.users))
            auth: dict[str, object] = {"htpasswd": {"realm": "probe-test", "path": str(passwords)}}
        else:
            bundle = str(self.pki.signing_cert)
            auth = {"token": {"realm": self.token_realm, "service": SERVICE, "issuer": ISSUER,
                              "rootcertbundle": bundle}}  # fmt: skip
        return {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.folder / "data")}},
            "http": {
                "addr": self.host,
                "secret": "probe-test-http-secret",
                "tls": {"certificate": str(self.pki.server_cert), "key": str(self.pki.server_key)},
            },
            "auth": auth,
        }

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        config = self.folder / "config.yml"
        config.write_text(yaml.safe_dump(self._config()))
        log = (self.folder / "registry.log").open("wb")
        self.process = subprocess.Popen(
            [str(require("docker-registry")), "serve", str(config)], stdout=log, stderr=log
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("docker-registry did not listen in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        path = self.folder / "registry.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


async def push_image(
    session: aiohttp.ClientSession, registry: Registry, repository: str, tag: str, auth: str
) -> str:
    """Push a one-layer OCI image by the blob-upload API; returns the manifest digest."""
    base = URL(f"https://{registry.host}")
    headers = {"Authorization": auth}
    layer = b"probe test layer"
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": [_digest(layer)]}}).encode()  # fmt: skip
    for blob in (layer, config):
        async with session.post(base / "v2" / repository / "blobs/uploads/", headers=headers) as r:
            assert r.status == 202, r.status
            location = base.join(URL(r.headers["Location"]))
        upload = location.update_query(digest=_digest(blob))
        async with session.put(upload, data=blob, headers=headers) as r:
            assert r.status == 201, r.status
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": _digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": _digest(layer), "size": len(layer)}],
    }).encode()  # fmt: skip
    put_headers = {**headers, "Content-Type": "application/vnd.oci.image.manifest.v1+json"}
    url = base / "v2" / repository / "manifests" / tag
    async with session.put(url, data=manifest, headers=put_headers) as r:
        assert r.status == 201, (r.status, await r.text())
    return _digest(manifest)
