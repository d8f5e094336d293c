"""The probe's metric families: golden exposition text from known results."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from exporter.metrics.probe import METRICS, ProbeCollector
from exporter.probe.outcomes import Outcome
from exporter.probe.results import ProbeResult, ProbeResults
from exporter.probe.targets import ProbeTarget


def render(results: ProbeResults) -> str:
    registry = CollectorRegistry()
    registry.register(ProbeCollector(results))
    return generate_latest(registry).decode()


def target(registry: str, host: str, *secrets: tuple[str, str]) -> ProbeTarget:
    return ProbeTarget("fp-" + registry, registry, host, None, None, tuple(secrets))


def sample(suffix: str, labels: dict[str, str], value: str) -> str:
    text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"imagepull_registry_probe_{suffix}{{{text}}} {value}"


def histogram(registry: str, cumulative: list[int], total: str) -> list[str]:
    bounds = ["0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"]
    labels = {"registry": registry}
    return [
        *(sample("duration_seconds_bucket", {**labels, "le": le}, f"{float(n)}")
          for le, n in zip(bounds, cumulative, strict=True)),
        sample("duration_seconds_count", labels, f"{float(cumulative[-1])}"),
        sample("duration_seconds_sum", labels, total),
    ]  # fmt: skip


def test_golden_exposition() -> None:
    results = ProbeResults()
    results.record(
        target("ghcr.io", "ghcr.io", ("a", "ghcr"), ("b", "ghcr")),
        ProbeResult(Outcome.ok, "check", 1_800_000_000.0, 0.2, 200, None, 1_900_000_000.0),
    )
    results.record(
        target("index.docker.io", "docker.io", ("a", "hub")),
        ProbeResult(Outcome.unauthorized, "token", 1_800_000_100.0, 3.0, 401),
    )
    lines = [line for line in render(results).splitlines() if not line.startswith("#")]
    a_ghcr = {"namespace": "a", "secret": "ghcr", "registry": "ghcr.io"}
    b_ghcr = {"namespace": "b", "secret": "ghcr", "registry": "ghcr.io"}
    a_hub = {"namespace": "a", "secret": "hub", "registry": "index.docker.io"}
    assert lines == [
        sample("success", a_ghcr, "1.0"),
        sample("success", a_hub, "0.0"),
        sample("success", b_ghcr, "1.0"),
        sample("timestamp_seconds", a_ghcr, "1.8e+09"),
        sample("timestamp_seconds", a_hub, "1.8000001e+09"),
        sample("timestamp_seconds", b_ghcr, "1.8e+09"),
        sample("result", {**a_ghcr, "result": "ok"}, "1.0"),
        sample("result", {**a_hub, "result": "unauthorized"}, "1.0"),
        sample("result", {**b_ghcr, "result": "ok"}, "1.0"),
        *histogram("docker.io", [0, 0, 0, 0, 0, 0, 1, 1, 1], "3.0"),
        *histogram("ghcr.io", [0, 0, 1, 1, 1, 1, 1, 1, 1], "0.2"),
    ]
    assert list(results.expiries()) == [
        (("a", "ghcr", "ghcr.io"), 1_900_000_000.0),
        (("b", "ghcr", "ghcr.io"), 1_900_000_000.0),
    ]


def test_no_results_no_series_but_families_described() -> None:
    text = render(ProbeResults())
    assert "imagepull_registry_probe_success{" not in text
    collector = ProbeCollector(ProbeResults())
    assert [m.name for m in collector.describe()] == [spec.name for spec in METRICS]


def test_names_follow_conventions() -> None:
    for spec in METRICS:
        assert spec.name.startswith("imagepull_registry_probe_")
        assert spec.help.endswith(".")
        assert not spec.name.endswith("_total")
