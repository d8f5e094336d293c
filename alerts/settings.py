"""alerts/config.yaml, read and checked: the knobs of the shipped rules.

``load_config(path)`` returns a :class:`Config` or raises :class:`ConfigError` with one line
that names the offending key. A Config renders its knobs as PromQL and text; the Helm
chart's variant (``Config.for_chart()``) renders them as ``@@tokens@@`` instead, which the
chart's template replaces from its values (see deploy/helm/.../templates/prometheusrule.yaml).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNIT_SECONDS = (7 * 86400, 86400, 3600, 60, 1)
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
THRESHOLDS = (
    "credential_expiring_soon",
    "credential_expiry_critical",
    "secret_rotation_max_age",
    "failure_window",
    "backoff_stuck_after",
    "registry_probe_stale_after",
    "exporter_restart_grace",
)
SEVERITIES = ("critical", "warning", "info")


class ConfigError(ValueError):
    """The config cannot produce valid rules; the message names the offending key."""


def parse_duration(text: str, key: str) -> int:
    """Seconds in a Prometheus duration: ``"1d12h"`` -> 129600."""
    match = _DURATION.match(text)
    if not text or match is None:
        raise ConfigError(f"{key}: {text!r} is not a duration like 90d, 12h or 5m")
    return sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)


def camel(name: str) -> str:
    """The chart's values key of a config key: ``"credential_expiring_soon"`` ->
    ``"credentialExpiringSoon"``."""
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True, slots=True)
class Config:
    """The knobs of the shipped rules (see alerts/config.yaml for each one's meaning)."""

    job_selector: str
    target_labels: tuple[str, ...]
    replica_labels: tuple[str, ...]
    runbook_url: str
    thresholds: dict[str, str]
    short_lived_left_fraction: float
    short_lived_kinds: dict[str, str]
    issued_at_rotation_kinds: tuple[str, ...]
    sharded: bool
    for_: dict[str, str | dict[str, str]]
    chart: bool = False
    """Render knobs as the Helm chart's ``@@tokens@@`` instead of their values."""

    def for_chart(self) -> Config:
        return dataclasses.replace(self, chart=True)

    # --- knobs as text ---------------------------------------------------------------------

    def seconds(self, name: str) -> str:
        """A threshold as a PromQL number of seconds: ``"1209600"``."""
        if self.chart:
            return f"@@seconds.{camel(name)}@@"
        return str(parse_duration(self.thresholds[name], f"thresholds.{name}"))

    def duration(self, name: str) -> str:
        """A threshold as a Prometheus duration (range selectors, text): ``"14d"``."""
        return f"@@duration.{camel(name)}@@" if self.chart else self.thresholds[name]

    def for_duration(self, name: str, severity: str) -> str:
        """The ``for:`` of alert ``name``; an alert raised at several severities may have
        one per severity."""
        value = self.for_[name]
        if self.chart:
            return f"@@for.{name}.{severity}@@" if isinstance(value, dict) else f"@@for.{name}@@"
        return value[severity] if isinstance(value, dict) else value

    @property
    def fraction(self) -> str:
        return "@@shortLivedLeftFraction@@" if self.chart else repr(self.short_lived_left_fraction)

    @property
    def percent(self) -> str:
        return (
            "@@shortLivedLeftPercent@@" if self.chart else f"{self.short_lived_left_fraction:.0%}"
        )

    @property
    def selector(self) -> str:
        return "@@jobSelector@@" if self.chart else self.job_selector

    def severity_of_a_target_down(self) -> str:
        """One exporter target down: a shard's namespaces are blind (critical); a replica's
        are still covered by the other replica (warning)."""
        if self.chart:
            return "@@severity.exporterTargetDown@@"
        return "critical" if self.sharded else "warning"


def load_config(path: Path) -> Config:
    """Read and check a config file; raise ConfigError with one clear line when it is bad."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    job_selector = _string(raw, "job_selector")
    if "@@" in job_selector or "`" in job_selector:
        raise ConfigError("job_selector: must not contain '@@' or '`'")
    targets = _label_names(raw, "target_labels")
    replicas = _label_names(raw, "replica_labels")
    if not replicas:
        raise ConfigError("replica_labels: expected at least one label (instance)")
    if set(targets) & set(replicas):
        both = ", ".join(sorted(set(targets) & set(replicas)))
        raise ConfigError(f"replica_labels: {both} cannot also be a target label")
    thresholds = _mapping(raw, "thresholds")
    fraction = thresholds.pop("short_lived_left_fraction", None)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        raise ConfigError("thresholds.short_lived_left_fraction: expected a number in (0, 1)")
    sharded = raw.get("sharded", False)
    if not isinstance(sharded, bool):
        raise ConfigError("sharded: expected true or false")
    config = Config(
        job_selector=job_selector,
        target_labels=targets,
        replica_labels=replicas,
        runbook_url=_string(raw, "runbook_url").split("#")[0],
        thresholds={k: str(v) for k, v in thresholds.items()},
        short_lived_left_fraction=float(fraction),
        short_lived_kinds=_kind_lifetimes(raw),
        issued_at_rotation_kinds=_kinds(raw, "issued_at_rotation_kinds"),
        sharded=sharded,
        for_={k: _for_value(k, v) for k, v in _mapping(raw, "for").items()},
    )
    unknown = set(config.thresholds) - set(THRESHOLDS)
    if unknown:
        raise ConfigError(f"thresholds: unknown key(s) {', '.join(sorted(unknown))}")
    seconds = {}
    for name in THRESHOLDS:
        if name not in config.thresholds:
            raise ConfigError(f"thresholds.{name}: missing")
        seconds[name] = parse_duration(config.thresholds[name], f"thresholds.{name}")
    if seconds["credential_expiry_critical"] >= seconds["credential_expiring_soon"]:
        raise ConfigError(
            "thresholds.credential_expiry_critical: must be shorter than "
            "credential_expiring_soon (the page comes after the ticket)"
        )
    return config


def _label_names(raw: dict[object, object], key: str) -> tuple[str, ...]:
    names = raw.get(key, [])
    if not isinstance(names, list) or not all(
        isinstance(n, str) and _LABEL_NAME.match(n) for n in names
    ):
        raise ConfigError(f"{key}: expected a list of label names")
    return tuple(names)


def _kind_lifetimes(raw: dict[object, object]) -> dict[str, str]:
    kinds = raw.get("short_lived_kinds", {})
    if not isinstance(kinds, dict) or not all(isinstance(k, str) and _KIND.match(k) for k in kinds):
        raise ConfigError("short_lived_kinds: expected a mapping of credential kind to lifetime")
    for kind, lifetime in kinds.items():
        if parse_duration(str(lifetime), f"short_lived_kinds.{kind}") == 0:
            raise ConfigError(f"short_lived_kinds.{kind}: a lifetime must be longer than 0s")
    return {str(k): str(v) for k, v in kinds.items()}


def _kinds(raw: dict[object, object], key: str) -> tuple[str, ...]:
    kinds = raw.get(key, [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) and _KIND.match(k) for k in kinds):
        raise ConfigError(f"{key}: expected a list of credential kinds")
    return tuple(kinds)


def _for_value(name: str, value: object) -> str | dict[str, str]:
    """A duration, or (for an alert raised at several severities) one per severity."""
    if not isinstance(value, dict):
        text = str(value)
        parse_duration(text, f"for.{name}")
        return text
    if not value or not all(k in SEVERITIES for k in value):
        raise ConfigError(
            f"for.{name}: expected a duration or a mapping of {', '.join(SEVERITIES)} to one"
        )
    for severity, duration in value.items():
        parse_duration(str(duration), f"for.{name}.{severity}")
    return {str(k): str(v) for k, v in value.items()}


def _string(raw: dict[object, object], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string")
    return value.strip()


def _mapping(raw: dict[object, object], key: str) -> dict[str, object]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping")
    return {str(k): v for k, v in value.items()}
