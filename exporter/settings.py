"""Operator settings: flags, the same keys in ``--config.file``, and their validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, cast

import yaml

from exporter.errors import SettingsError, yaml_problem
from exporter.probe.settings import ProbeSettings, parse_duration

_PROBE = ProbeSettings()  # the probe's defaults are its own; the flags mirror them

LogFormat = Literal["text", "json"]
LOG_LEVELS = ("debug", "info", "warning", "error")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the exporter is told at start. Field names match the flags."""

    listen_address: str = ":9917"
    """``--web.listen-address``: HOST:PORT to serve on; an empty host means every address."""
    telemetry_path: str = "/metrics"
    """``--web.telemetry-path``: path of the metrics endpoint."""
    web_config_file: str = ""
    """``--web.config.file``: exporter-toolkit web config (TLS, basic auth, headers),
    reloaded when it changes; empty: plain HTTP."""
    probe_address: str = ""
    """``--web.probe-address``: HOST:PORT of a plain /healthz and /readyz listener; empty:
    none (the probes are on the main listener)."""
    kubeconfig: str | None = None
    """``--kubeconfig``: else ``$KUBECONFIG``, else in-cluster, else ``~/.kube/config``."""
    context: str | None = None
    """``--context``: kubeconfig context to use instead of the current one."""
    namespaces: tuple[str, ...] = ()
    """``--namespace`` (repeatable): watch only these namespaces; empty means all."""
    exclude_namespaces: tuple[str, ...] = ()
    """``--exclude-namespace`` (repeatable): never watch these namespaces."""
    log_level: str = "info"
    """``--log-level``: debug, info, warning or error."""
    log_format: LogFormat = "text"
    """``--log-format``: text or json (one object per line)."""
    max_failing_containers: int = 2000
    """``--max-failing-containers``: cap on per-container failure series."""
    max_secret_series: int = 50000
    """``--max-secret-series``: cap on the series of each per-secret/credential metric."""
    registry_probe: bool = _PROBE.enabled
    """``--registry-probe``: ask registries whether each pull credential still works."""
    registry_probe_interval: float = _PROBE.interval
    """``--registry-probe-interval``: seconds between probe rounds (jittered)."""
    registry_probe_timeout: float = _PROBE.timeout
    """``--registry-probe-timeout``: seconds for one probe's handshake."""
    registry_probe_concurrency: int = _PROBE.concurrency
    """``--registry-probe-concurrency``: probes in flight at once."""
    registry_probe_rate: float = _PROBE.rate
    """``--registry-probe-rate``: probes started per second at most."""
    registry_probe_manifests: bool = _PROBE.manifests
    """``--registry-probe-manifests``: HEAD the manifest pods run instead of listing a tag."""
    registry_probe_allow: tuple[str, ...] = _PROBE.allow
    """``--registry-probe-allow`` (repeatable globs): probe only these registries."""
    registry_probe_deny: tuple[str, ...] = _PROBE.deny
    """``--registry-probe-deny`` (repeatable globs): never probe these registries."""
    registry_probe_ca_file: str | None = _PROBE.ca_file
    """``--registry-probe-ca-file``: PEM bundle of private CAs for registries."""
    registry_probe_insecure_registries: tuple[str, ...] = _PROBE.insecure_registries
    """``--registry-probe-insecure-registry`` (repeatable): plain HTTP for this host."""
    registry_probe_github_api: str = _PROBE.github_api
    """``--registry-probe-github-api``: GitHub's REST API, asked for GitHub tokens' expiry
    (ghcr.io only); empty: never asked."""
    shard_index: int = 0
    """``--shard-index``: which of ``--shard-count`` namespace shards this instance owns."""
    shard_count: int = 1
    """``--shard-count``: instances sharing the cluster by a stable hash of namespaces."""

    def __post_init__(self) -> None:
        host_port(self.listen_address)
        if self.probe_address:
            host_port(self.probe_address, flag="--web.probe-address")
        if not self.telemetry_path.startswith("/") or self.telemetry_path in (
            "/healthz",
            "/readyz",
        ):
            raise SettingsError(
                f"--web.telemetry-path must start with / and not be a probe path: "
                f"{self.telemetry_path!r}"
            )
        for ns in (*self.namespaces, *self.exclude_namespaces):
            if not _NAMESPACE.match(ns):
                raise SettingsError(f"not a valid namespace name: {ns!r}")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(f"--log-level must be one of {', '.join(LOG_LEVELS)}")
        if self.shard_count < 1 or not 0 <= self.shard_index < self.shard_count:
            raise SettingsError(
                f"--shard-index must be in 0..{self.shard_count - 1} and --shard-count "
                f"at least 1, got {self.shard_index} of {self.shard_count}"
            )
        self.probe()  # validates the probe settings
        if self.max_failing_containers < 0:
            raise SettingsError("--max-failing-containers must not be negative")
        if self.max_secret_series < 0:
            raise SettingsError("--max-secret-series must not be negative")
        if self.log_format not in ("text", "json"):
            raise SettingsError("--log-format must be text or json")

    def probe(self) -> ProbeSettings:
        """The registry probe's settings (``enabled`` False: no probe at all)."""
        return ProbeSettings(
            enabled=self.registry_probe,
            interval=self.registry_probe_interval,
            timeout=self.registry_probe_timeout,
            concurrency=self.registry_probe_concurrency,
            rate=self.registry_probe_rate,
            manifests=self.registry_probe_manifests,
            allow=self.registry_probe_allow,
            deny=self.registry_probe_deny,
            ca_file=self.registry_probe_ca_file,
            insecure_registries=self.registry_probe_insecure_registries,
            github_api=self.registry_probe_github_api,
        )


# Config-file keys are the flag names without the leading dashes.
CONFIG_KEYS = {
    "web.listen-address": "listen_address",
    "web.telemetry-path": "telemetry_path",
    "web.config.file": "web_config_file",
    "web.probe-address": "probe_address",
    "kubeconfig": "kubeconfig",
    "context": "context",
    "namespace": "namespaces",
    "exclude-namespace": "exclude_namespaces",
    "log-level": "log_level",
    "log-format": "log_format",
    "max-failing-containers": "max_failing_containers",
    "max-secret-series": "max_secret_series",
    "registry-probe": "registry_probe",
    "registry-probe-interval": "registry_probe_interval",
    "registry-probe-timeout": "registry_probe_timeout",
    "registry-probe-concurrency": "registry_probe_concurrency",
    "registry-probe-rate": "registry_probe_rate",
    "registry-probe-manifests": "registry_probe_manifests",
    "registry-probe-allow": "registry_probe_allow",
    "registry-probe-deny": "registry_probe_deny",
    "registry-probe-ca-file": "registry_probe_ca_file",
    "registry-probe-insecure-registry": "registry_probe_insecure_registries",
    "registry-probe-github-api": "registry_probe_github_api",
    "shard-index": "shard_index",
    "shard-count": "shard_count",
}


def load_config_file(path: str) -> dict[str, object]:
    """Settings from a YAML file, keyed by field name; raises :class:`SettingsError`."""
    try:
        loaded = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise SettingsError(f"cannot read --config.file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(
            f"--config.file {path} is not valid YAML: {yaml_problem(exc)}"
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SettingsError(f"--config.file {path} must be a mapping of flag names to values")
    values: dict[str, object] = {}
    for key, value in loaded.items():
        field = CONFIG_KEYS.get(str(key))
        if field is None:
            known = ", ".join(sorted(CONFIG_KEYS))
            raise SettingsError(f"--config.file {path}: unknown key {key!r} (known: {known})")
        values[field] = _coerce(field, value, path)
    return values


_LISTS = (
    "namespaces",
    "exclude_namespaces",
    "registry_probe_allow",
    "registry_probe_deny",
    "registry_probe_insecure_registries",
)
_INTS = (
    "max_failing_containers",
    "max_secret_series",
    "shard_index",
    "shard_count",
    "registry_probe_concurrency",
)
_BOOLS = ("registry_probe", "registry_probe_manifests")
_DURATIONS = ("registry_probe_interval", "registry_probe_timeout")


def _coerce(field: str, value: object, path: str) -> object:
    where = f"--config.file {path}: {field}"
    if field in _LISTS:
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str) for i in items):
            raise SettingsError(f"{where} must be a list of names")
        return tuple(cast(list[str], items))
    if field in _BOOLS:
        if not isinstance(value, bool):
            raise SettingsError(f"{where} must be true or false")
        return value
    if field in _INTS:
        if not isinstance(value, int) or isinstance(value, bool):
            raise SettingsError(f"{where} must be a whole number")
        return value
    if field in _DURATIONS and isinstance(value, str):
        return parse_duration(value)
    if field in (*_DURATIONS, "registry_probe_rate"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SettingsError(f"{where} must be a number")
        return float(value)
    if not isinstance(value, str):
        raise SettingsError(f"{where} must be a string")
    return value


def merge(flags: dict[str, object], config: dict[str, object]) -> Settings:
    """Flags win over the config file, which wins over defaults."""
    names = {f.name for f in fields(Settings)}
    values = {k: v for k, v in config.items() if k in names}
    values.update({k: v for k, v in flags.items() if k in names and v not in (None, ())})
    return Settings(**values)  # type: ignore[arg-type]


def host_port(address: str, *, flag: str = "--web.listen-address") -> tuple[str, int]:
    """Split ``HOST:PORT``; ``:9917`` means every address.

    >>> host_port(":9917")
    ('', 9917)
    >>> host_port("[::1]:8080")
    ('::1', 8080)
    """
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise SettingsError(f"{flag} must be HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)
