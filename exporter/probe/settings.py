"""What the operator tells the registry probe (``--registry-probe*`` flags)."""

from __future__ import annotations

import argparse
import fnmatch
import math
import re
import ssl
from dataclasses import dataclass

from yarl import URL

from exporter.errors import SettingsError
from exporter.probe.github import DEFAULT_GITHUB_API

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$")


def parse_duration(text: str) -> float:
    """Seconds of a Prometheus-style duration (or a plain number of seconds), for flags.

    >>> [parse_duration(d) for d in ("15m", "1h30m", "10", "500ms")]
    [900.0, 5400.0, 10.0, 0.5]
    >>> parse_duration("soon")
    Traceback (most recent call last):
    exporter.errors.SettingsError: not a duration (like 15m, 10s, 1h30m): 'soon'
    >>> parse_duration("inf")
    Traceback (most recent call last):
    exporter.errors.SettingsError: not a finite duration: 'inf'
    """
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() takes "inf", "nan" and "1e999": an endless interval would probe back to
        # back (asyncio.sleep(nan) returns at once).
        if not math.isfinite(seconds):
            raise SettingsError(f"not a finite duration: {text!r}")
        return seconds
    parts = _DURATION_PART.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise SettingsError(f"not a duration (like 15m, 10s, 1h30m): {text!r}")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def duration_argument(text: str) -> float:
    """:func:`parse_duration` as an argparse ``type``: the error says what is wrong
    (argparse would print "invalid parse_duration value" for a ``ValueError``)."""
    try:
        return parse_duration(text)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def format_duration(seconds: float) -> str:
    """A duration as the flags take it, for help texts.

    >>> [format_duration(s) for s in (900.0, 10.0, 5400.0, 0.5, 86400.0)]
    ['15m', '10s', '1h30m', '500ms', '1d']
    """
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    parts, rest = [], seconds
    for unit in ("d", "h", "m"):
        count, rest = divmod(rest, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count:.0f}{unit}")
    if rest or not parts:
        parts.append(f"{rest:g}s")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    """Settings of the registry auth probe; the default is no probe at all."""

    enabled: bool = False
    """``--registry-probe``: probe registries with the pull credentials (off by default)."""
    interval: float = 900.0
    """``--registry-probe-interval``: seconds between rounds, each credential once a round."""
    jitter: float = 0.1
    """Rounds start ``interval`` × (1 ± ``jitter``) apart, and the first one a random
    ``interval`` × [0, ``jitter``] after the first sync, so replicas and restarts do not
    align."""
    timeout: float = 10.0
    """``--registry-probe-timeout``: seconds for one probe's whole handshake."""
    concurrency: int = 4
    """``--registry-probe-concurrency``: probes in flight at once."""
    rate: float = 2.0
    """``--registry-probe-rate``: probes started per second at most, across registries."""
    burst: int = 4
    """Probes that may start at once before ``rate`` applies."""
    manifests: bool = False
    """``--registry-probe-manifests``: HEAD the manifest of the image pods run, instead of
    listing one tag of its repository (a HEAD does not count as a pull on Docker Hub)."""
    allow: tuple[str, ...] = ()
    """``--registry-probe-allow`` (repeatable globs, e.g. ``*.azurecr.io``): probe only these
    registries; empty means all. Matched against the secret's registry key and the host."""
    deny: tuple[str, ...] = ()
    """``--registry-probe-deny`` (repeatable globs): never probe these registries."""
    ca_file: str | None = None
    """``--registry-probe-ca-file``: PEM bundle of private CAs, trusted besides the system's."""
    insecure_registries: tuple[str, ...] = ()
    """``--registry-probe-insecure-registry HOST[:PORT]`` (repeatable): speak plain HTTP."""
    github_api: str = DEFAULT_GITHUB_API
    """``--registry-probe-github-api URL``: GitHub's REST API, asked for the expiry of GitHub
    tokens the probe found accepted at ghcr.io (``source="probe"``); empty: never asked."""
    backoff: float = 60.0
    """Seconds to leave a registry alone after a 429 without ``Retry-After``; doubles
    while it keeps answering 429."""
    max_backoff: float = 3600.0
    """Cap on one back-off, whatever ``Retry-After`` asks for."""

    def __post_init__(self) -> None:
        # nan passes every comparison below: reject non-finite numbers first.
        for flag, number in (
            ("--registry-probe-interval", self.interval),
            ("--registry-probe-timeout", self.timeout),
            ("--registry-probe-rate", self.rate),
        ):
            if not math.isfinite(number):
                raise SettingsError(f"{flag} must be a finite number, got {number}")
        if self.interval < 1:
            raise SettingsError("--registry-probe-interval must be at least 1s")
        if not 0 <= self.jitter < 1:
            raise SettingsError("registry probe jitter must be in [0, 1)")
        if not 0 < self.timeout <= self.interval:
            raise SettingsError(
                "--registry-probe-timeout must be positive and at most the interval"
            )
        if self.concurrency < 1:
            raise SettingsError("--registry-probe-concurrency must be at least 1")
        if self.rate <= 0 or self.burst < 1:
            raise SettingsError("--registry-probe-rate must be positive")
        for host in self.insecure_registries:
            if not _HOST_PORT.match(host):
                raise SettingsError(
                    f"--registry-probe-insecure-registry must be HOST[:PORT]: {host!r}"
                )
        if self.github_api:
            _check_github_api(self.github_api)
        if self.backoff <= 0 or self.max_backoff < self.backoff:
            raise SettingsError("registry probe back-off must be positive and below its cap")

    def allows(self, *names: str) -> bool:
        """Whether a registry known by ``names`` (key, host) may be probed.

        >>> ProbeSettings(deny=("*.example.com",)).allows("ghcr.io", "ghcr.io")
        True
        >>> ProbeSettings(allow=("ghcr.io",)).allows("index.docker.io", "docker.io")
        False
        """
        lowered = [name.lower() for name in names]

        def matches(globs: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(n, g.lower()) for g in globs for n in lowered)

        return (not self.allow or matches(self.allow)) and not matches(self.deny)

    def is_insecure(self, host: str) -> bool:
        """Plain HTTP for this registry host (as written in the flag, port included)."""
        return host.lower() in (h.lower() for h in self.insecure_registries)


def _check_github_api(url: str) -> None:
    """An https:// base URL without user info, query or fragment: a GitHub token goes there."""
    try:
        parsed = URL(url)
    except ValueError:
        parsed = None
    if (
        parsed is None
        or parsed.scheme != "https"
        or not parsed.host
        or parsed.user is not None
        or parsed.query_string
        or parsed.fragment
    ):
        raise SettingsError(
            f"--registry-probe-github-api must be an https:// URL (or empty), got {url!r}"
        )


def build_ssl_context(settings: ProbeSettings) -> ssl.SSLContext:
    """The system's trust store plus ``ca_file``; a bad file ends the program at start."""
    context = ssl.create_default_context()
    if settings.ca_file:
        try:
            context.load_verify_locations(cafile=settings.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise SettingsError(
                f"--registry-probe-ca-file {settings.ca_file}: cannot load CA certificates "
                f"({type(exc).__name__})"
            ) from None
    return context
