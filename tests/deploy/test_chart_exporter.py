"""What the chart renders, read by the exporter's own code: the container's arguments go
through the exporter's argument parser and settings (a renamed flag fails here), and the
files those arguments name are laid out as the pod would see them and loaded with the
exporter's own loaders (the web config, its certificates, the registry probe's CA bundle).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest

from exporter.cli import serve
from exporter.http.webconfig import ClientAuth, load_web_config
from exporter.probe.settings import build_ssl_context
from exporter.settings import Settings
from tests.deploy.chart import BCRYPT_HASH, VARIANTS, Manifest, Rendered, render
from tests.probe.pki import Pki, make_pki

MOUNT_ROOT = "/etc/imagepull-exporter/"
TLS = {"enabled": True, "existingSecret": "imagepull-exporter-tls"}
# The documented variants plus two web-security combinations the docs describe in prose.
CASES: dict[str, dict[str, Any]] = {
    **VARIANTS,
    "mtls": {"web": {"tls": {**TLS, "clientCASecret": "scrape-ca", "minVersion": "TLS13"}}},
    "basic-auth-only": {"web": {"basicAuthUsers": {"prometheus": BCRYPT_HASH}}},
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _secrets_the_user_creates(pki: Pki) -> dict[tuple[str, str], dict[str, str]]:
    """(kind, name) → data of the objects the docs tell the user to create beforehand."""
    return {
        ("Secret", "imagepull-exporter-tls"): {
            "tls.crt": pki.server_cert.read_text(),
            "tls.key": pki.server_key.read_text(),
        },
        ("Secret", "scrape-ca"): {"ca.crt": pki.ca_cert.read_text()},
        ("Secret", "registry-ca"): {"bundle.pem": pki.ca_cert.read_text()},
    }


def _pod_args(r: Rendered, ordinal: int) -> list[str]:
    """The arguments pod ``ordinal`` runs with: the kubelet expands ``$(SHARD_INDEX)``."""
    args = [a.replace("$(SHARD_INDEX)", str(ordinal)) for a in r.exporter["args"]]
    assert not [a for a in args if "$(" in a], "an unexpanded variable would reach argparse"
    return args


def _parse(args: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="imagepull-exporter", exit_on_error=False)
    serve.add_arguments(parser)
    try:
        namespace = parser.parse_args(args)
    except (argparse.ArgumentError, SystemExit) as exc:  # unknown flags exit even so
        pytest.fail(f"the exporter does not accept {args}: {exc}")
    return serve.settings_from_args(namespace)


def _lay_out_mounts(
    r: Rendered, root: Path, objects: dict[tuple[str, str], dict[str, str]]
) -> None:
    """Write, under ``root``, the files each Secret/ConfigMap volume puts in the container."""
    volumes = {v["name"]: v for v in r.pod_spec["volumes"]}
    for mount in r.exporter["volumeMounts"]:
        volume: Manifest = volumes[mount["name"]]
        if "secret" in volume:
            source, name = volume["secret"], volume["secret"]["secretName"]
            data = objects[("Secret", name)]
        elif "configMap" in volume:
            source, name = volume["configMap"], volume["configMap"]["name"]
            data = objects[("ConfigMap", name)]
        else:
            continue  # emptyDir
        # Without `items` every key becomes a file; with them, only those, at their paths.
        items = source.get("items") or [{"key": k, "path": k} for k in data]
        folder = root / mount["mountPath"].lstrip("/")
        for item in items:
            (folder / item["path"]).parent.mkdir(parents=True, exist_ok=True)
            text = data[item["key"]].replace(MOUNT_ROOT, f"{root}{MOUNT_ROOT}")
            (folder / item["path"]).write_text(text)


def _rendered_objects(r: Rendered) -> dict[tuple[str, str], dict[str, str]]:
    found = {}
    for secret in r.of_kind("Secret"):
        found[("Secret", secret["metadata"]["name"])] = secret["stringData"]
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_pod_runs_with_arguments_the_exporter_accepts(
    case: str, pki: Pki, tmp_path: Path
) -> None:
    values = CASES[case]
    r = render(values, name=case)
    pods = r.workload["spec"]["replicas"]
    _lay_out_mounts(r, tmp_path, {**_secrets_the_user_creates(pki), **_rendered_objects(r)})
    for ordinal in range(pods):
        args = [a.replace(MOUNT_ROOT, f"{tmp_path}{MOUNT_ROOT}") for a in _pod_args(r, ordinal)]
        settings = _parse(args)
        assert settings.listen_address == ":9917"
        assert settings.namespaces == tuple(values.get("namespaces", ()))
        assert settings.exclude_namespaces == tuple(values.get("excludeNamespaces", ()))
        sharding = values.get("sharding", {})
        assert (settings.shard_index, settings.shard_count) == (
            (ordinal, sharding["shards"]) if sharding else (0, 1)
        )
        assert settings.registry_probe == bool(values.get("registryProbe"))
        if settings.registry_probe:
            # What `serve.run` does at start: an unreadable CA bundle would end the pod.
            build_ssl_context(settings.probe())
        assert bool(settings.registry_probe_ca_file) == ("registryProbeCA" in values)
        web = values.get("web", {})
        secured = bool(web.get("tls") or web.get("basicAuthUsers"))
        assert bool(settings.web_config_file) == secured
        assert settings.probe_address == (":9918" if secured else "")
        if settings.web_config_file:
            _check_web_config(Path(settings.web_config_file), web)


def _check_web_config(path: Path, web: dict[str, Any]) -> None:
    """Loaded by the exporter's own loader, which also loads the certificate and key."""
    config = load_web_config(path)
    assert set(config.users) == set(web.get("basicAuthUsers", {}))
    tls = web.get("tls")
    if not tls:
        assert config.tls is None
        return
    assert config.tls is not None
    if tls.get("clientCASecret"):
        assert config.tls.client_auth is ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT
    else:
        assert config.tls.client_auth is ClientAuth.NO_CLIENT_CERT
    expected = tls.get("minVersion", "TLS12")
    assert re.sub(r"\D", "", config.tls.min_version.name) == expected.removeprefix("TLS")
