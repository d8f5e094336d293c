"""Loading the API configuration the ways operators give it, against the simulator over
TLS: tokens, exec plugins, contexts, in-cluster service accounts, CA verification."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.config import incluster_config

from exporter.kube.client import KubeClient
from exporter.kube.config import load_api_config
from exporter.kube.errors import ConfigError, StreamError
from exporter.logs import configure_logging
from exporter.simulator import Simulator

TOKEN = "config-test-token"


@pytest.fixture
async def tls_sim() -> AsyncIterator[Simulator]:
    sim = Simulator(token=TOKEN, tls=True)
    await sim.start()
    yield sim
    await sim.stop()


def kubeconfig_of(sim: Simulator, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "base"
    sim.write_kubeconfig(path)
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def write(tmp_path: Path, config: dict[str, Any], name: str = "kubeconfig") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return str(path)


def exec_user(plugin: Path) -> dict[str, Any]:
    """A kubeconfig user whose credential comes from running ``plugin`` with Python."""
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(plugin)],
            "interactiveMode": "Never",
        }
    }


async def namespaces(kubeconfig: str, context: str | None = None) -> list[str]:
    client = KubeClient(load_api_config(kubeconfig, context))
    try:
        page = await client.get_json("/api/v1/namespaces", {})
    finally:
        await client.close()
    return [item["metadata"]["name"] for item in page["items"]]


async def test_token_over_verified_tls(tls_sim: Simulator, tmp_path: Path) -> None:
    config = kubeconfig_of(tls_sim, tmp_path)
    assert tls_sim.url.startswith("https://")
    assert "default" in await namespaces(write(tmp_path, config))


async def test_tls_is_verified_unless_the_kubeconfig_says_otherwise(
    tls_sim: Simulator, tmp_path: Path
) -> None:
    config = kubeconfig_of(tls_sim, tmp_path)
    del config["clusters"][0]["cluster"]["certificate-authority-data"]
    with pytest.raises(StreamError, match="unreachable"):
        await namespaces(write(tmp_path, config))
    config["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    assert "default" in await namespaces(write(tmp_path, config, "insecure"))


async def test_exec_plugin_provides_the_token(tls_sim: Simulator, tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    calls = tmp_path / "calls"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": TOKEN},
    }
    plugin.write_text(
        f"import json, pathlib\n"
        f"p = pathlib.Path({str(calls)!r})\n"
        f"p.write_text(p.read_text() + 'x' if p.exists() else 'x')\n"
        f"print(json.dumps({credential!r}))\n"
    )
    config = kubeconfig_of(tls_sim, tmp_path)
    config["users"][0]["user"] = exec_user(plugin)
    assert "default" in await namespaces(write(tmp_path, config))
    assert calls.read_text()  # the plugin really ran


async def test_a_failing_token_refresh_logs_nothing_of_the_plugins_stderr(
    tls_sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The kubernetes package logs an exec plugin's stderr whenever it fails, also at a
    refresh long after start-up (outside load_api_config's capture), and keeps the last
    token."""
    canary = "token=CANARY-exec-stderr-4f1d"
    plugin, calls = tmp_path / "plugin.py", tmp_path / "calls"
    # The credential expired at once: every request runs the plugin again; the second
    # run fails, printing a secret to stderr as real plugins do.
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": TOKEN, "expirationTimestamp": "2000-01-01T00:00:00Z"},
    }
    plugin.write_text(
        "import json, pathlib, sys\n"
        f"p = pathlib.Path({str(calls)!r})\n"
        "n = len(p.read_text()) if p.exists() else 0\n"
        "p.write_text('x' * (n + 1))\n"
        f"if n:\n    sys.stderr.write({canary!r})\n    sys.exit(1)\n"
        f"print(json.dumps({credential!r}))\n"
    )
    config = kubeconfig_of(tls_sim, tmp_path)
    config["users"][0]["user"] = exec_user(plugin)
    api = load_api_config(write(tmp_path, config))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("info", "text")
    try:
        # the package keeps the last token (the API then answers 401, a watch error)
        await api.authorization()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert len(calls.read_text()) >= 2  # the refresh really ran the plugin again
    err = capsys.readouterr().err
    assert "withheld" in err  # the package's error is still seen, without its text
    assert "CANARY" not in err


async def test_context_selects_cluster_and_namespace(tls_sim: Simulator, tmp_path: Path) -> None:
    config = kubeconfig_of(tls_sim, tmp_path)
    config["clusters"].append({"name": "nowhere", "cluster": {"server": "https://127.0.0.1:1"}})
    config["contexts"] = [
        {"name": "broken", "context": {"cluster": "nowhere", "user": "simulator"}},
        {"name": "sim", "context": {"cluster": "simulator", "user": "simulator",
                                    "namespace": "payments"}},
    ]  # fmt: skip
    config["current-context"] = "broken"
    path = write(tmp_path, config)
    assert load_api_config(path, "sim").namespace == "payments"
    assert "default" in await namespaces(path, "sim")
    with pytest.raises(StreamError):
        await namespaces(path)


async def test_in_cluster_token_is_reread_when_it_rotates(
    tls_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file, ca_file = tmp_path / "token", tmp_path / "ca.crt"
    token_file.write_text("old-token")
    assert tls_sim.certificate is not None
    ca_file.write_bytes(tls_sim.certificate.cert_pem)
    host, port = tls_sim.url.removeprefix("https://").rsplit(":", 1)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token_file))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca_file))
    api = load_api_config()
    assert api.source == "in-cluster service account"
    assert await api.authorization() == "bearer old-token"
    token_file.write_text(TOKEN)
    # The loader re-reads the projected token once its refresh period (a minute) passed:
    # age the loader's copy instead of waiting.
    loader_refresh = api._configuration.refresh_api_key_hook
    for cell in loader_refresh.__closure__ or ():
        if isinstance(cell.cell_contents, incluster_config.InClusterConfigLoader):
            cell.cell_contents.token_expires_at = cell.cell_contents.token_expires_at.min
    assert await api.authorization() == f"bearer {TOKEN}"
    client = KubeClient(api)
    try:
        page = await client.get_json("/api/v1/namespaces", {})
    finally:
        await client.close()
    assert page["kind"] == "NamespaceList"


def _kubeconfig(server: str | None = "https://127.0.0.1:1", **user: object) -> str:
    cluster = {"server": server} if server is not None else {}
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "x",
                           "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                           "clusters": [{"name": "c", "cluster": cluster}],
                           "users": [{"name": "u", "user": user}]})  # fmt: skip


EXEC_MISSING = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "/no-such-plugin"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not: [valid", r"is not valid YAML: .* \(line 1, column 12\)$"),
        # PyYAML quotes an undefined alias or an unknown tag: the document's own text
        ("users:\n- user: {token: *Tok3n-Canary-alias}", "found undefined alias '...'"),
        ("users:\n- user: {token: !Tok3n-Canary-tag x}", "a constructor for the tag '...'"),
        ("hello", "is not a kubeconfig"),
        ("", "is not a kubeconfig"),
        (_kubeconfig(exec=EXEC_MISSING), "its exec credential plugin failed"),
        (_kubeconfig("not a url", token="t"), "server is not an http"),
        (_kubeconfig(None, token="t"), "server is not an http"),
        (_kubeconfig("ftp://example.com", token="t"), "server is not an http"),
        (_kubeconfig(token="line\r\nX-Injected: 1"), "token contains control characters"),
        (json.dumps({"apiVersion": "v1", "kind": "Config"}), "cannot load Kubernetes"),
        (
            yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "x",
                            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                            "clusters": [], "users": []}),
            "cannot load Kubernetes configuration",
        ),
    ],
)  # fmt: skip
def test_unusable_kubeconfig_is_one_clear_error(
    tmp_path: Path, content: str, message: str, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as raised:
        load_api_config(str(path))
    assert "\n" not in str(raised.value)
    assert "Canary" not in str(raised.value)
    assert capfd.readouterr().err == ""  # the loader's own logging.error is not let through


def test_kubeconfig_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a file"):
        load_api_config(str(tmp_path))


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_api_config(str(tmp_path / "nope"))
