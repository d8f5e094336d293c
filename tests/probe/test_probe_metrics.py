"""The probe's metric families: golden exposition text from known results, the verdict
kept across inconclusive probes, and the same caps as the credential series."""

from __future__ import annotations

from exporter.metrics.catalog import MAX_LABEL_VALUE, all_metrics
from exporter.metrics.exposition import Exposition
from exporter.metrics.probe import GAUGES, HISTOGRAM, METRICS, ProbeCollector
from exporter.metrics.view import Limits
from exporter.probe.outcomes import Outcome
from exporter.probe.results import ProbeResult, ProbeResults
from exporter.probe.targets import ProbeTarget
from exporter.state.cluster import ClusterState
from tests.probe.test_targets import pull_secret, state_with


def render(
    results: ProbeResults,
    state: ClusterState | None = None,
    *,
    limits: Limits | None = None,
    whole_catalog: bool = False,
) -> list[str]:
    catalog = all_metrics(probe=True) if whole_catalog else GAUGES
    exposition = Exposition(state or ClusterState(), catalog=catalog, limits=limits,
                            extra=[ProbeCollector(results)], probe=results)  # fmt: skip
    text = exposition.render().decode()
    return [line for line in text.splitlines() if not line.startswith("#")]


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
    # Never conclusive yet: a result, no verdict.
    results.record(
        target("quay.io", "quay.io", ("a", "quay")),
        ProbeResult(Outcome.network, "ping", 1_800_000_200.0, 0.01),
    )
    a_ghcr = {"namespace": "a", "secret": "ghcr", "registry": "ghcr.io"}
    b_ghcr = {"namespace": "b", "secret": "ghcr", "registry": "ghcr.io"}
    a_hub = {"namespace": "a", "secret": "hub", "registry": "index.docker.io"}
    a_quay = {"namespace": "a", "secret": "quay", "registry": "quay.io"}
    assert render(results) == [
        sample("success", a_ghcr, "1.0"),
        sample("success", a_hub, "0.0"),
        sample("success", b_ghcr, "1.0"),
        sample("timestamp_seconds", a_ghcr, "1.8e+09"),
        sample("timestamp_seconds", a_hub, "1.8000001e+09"),
        sample("timestamp_seconds", a_quay, "1.8000002e+09"),
        sample("timestamp_seconds", b_ghcr, "1.8e+09"),
        sample("result", {**a_ghcr, "result": "ok"}, "1.0"),
        sample("result", {**a_hub, "result": "unauthorized"}, "1.0"),
        sample("result", {**a_quay, "result": "network"}, "1.0"),
        sample("result", {**b_ghcr, "result": "ok"}, "1.0"),
        *histogram("docker.io", [0, 0, 0, 0, 0, 0, 1, 1, 1], "3.0"),
        *histogram("ghcr.io", [0, 0, 1, 1, 1, 1, 1, 1, 1], "0.2"),
        *histogram("quay.io", [1, 1, 1, 1, 1, 1, 1, 1, 1], "0.01"),
    ]
    assert list(results.expiries()) == [
        (("a", "ghcr", "ghcr.io"), 1_900_000_000.0),
        (("b", "ghcr", "ghcr.io"), 1_900_000_000.0),
    ]


def test_an_unreachable_registry_does_not_clear_a_rejection() -> None:
    results = ProbeResults()
    hub = target("index.docker.io", "docker.io", ("a", "hub"))
    results.record(hub, ProbeResult(Outcome.unauthorized, "token", 1_800_000_000.0, 0.1, 401))
    results.record(hub, ProbeResult(Outcome.network, "ping", 1_800_000_900.0, 10.0))
    labels = {"namespace": "a", "secret": "hub", "registry": "index.docker.io"}
    lines = render(results)
    assert sample("result", {**labels, "result": "unauthorized"}, "1.0") in lines
    assert sample("success", labels, "0.0") in lines
    assert sample("timestamp_seconds", labels, "1.8000009e+09") in lines, "the latest attempt"
    results.record(hub, ProbeResult(Outcome.ok, "check", 1_800_001_800.0, 0.1, 200))
    lines = render(results)
    assert sample("result", {**labels, "result": "ok"}, "1.0") in lines
    assert sample("success", labels, "1.0") in lines


def test_series_obey_max_secret_series_and_drops_are_counted_in_the_same_scrape() -> None:
    results = ProbeResults()
    results.record(
        target("ghcr.io", "ghcr.io", ("a", "one"), ("a", "two"), ("a", "three")),
        ProbeResult(Outcome.ok, "check", 1_800_000_000.0, 0.2, 200),
    )
    lines = render(results, limits=Limits(max_secret_series=1), whole_catalog=True)
    assert sum(line.startswith("imagepull_registry_probe_result{") for line in lines) == 1
    dropped = {
        line.split('"')[1]: line.rsplit(" ", 1)[1]
        for line in lines
        if line.startswith("imagepull_exporter_series_dropped_total{")
    }
    assert dropped == {f"imagepull_registry_probe_{m}": "2.0"
                       for m in ("success", "timestamp_seconds", "result")}  # fmt: skip


def test_a_long_registry_key_joins_the_credential_series() -> None:
    key = "registry.example.com/" + "team/" * 80  # keys may be 1024 characters long
    state = state_with(pull_secret("a", "long", {key: ("u", "p")}))
    [credential] = state.secrets.get(("a", "long")).credentials  # type: ignore[union-attr]
    results = ProbeResults()
    results.record(
        ProbeTarget(credential.fingerprint, credential.registry, "registry.example.com",
                    None, None, (("a", "long"),)),
        ProbeResult(Outcome.ok, "check", 1_800_000_000.0, 0.2, 200),
    )  # fmt: skip
    lines = render(results, state, whole_catalog=True)

    def registry_label(metric: str) -> str:
        [line] = [line for line in lines if line.startswith(metric + "{")]
        return line.split('registry="', 1)[1].split('"', 1)[0]

    shown = registry_label("imagepull_credential_info")
    assert len(shown) == MAX_LABEL_VALUE
    assert registry_label("imagepull_registry_probe_result") == shown


def test_duration_hosts_are_bounded() -> None:
    results = ProbeResults(max_hosts=2)
    for host in ("a.example.com", "b.example.com", "c.example.com", "d.example.com"):
        results.record(target(host, host, ("a", host)),
                       ProbeResult(Outcome.ok, "check", 1_800_000_000.0, 0.2, 200))  # fmt: skip
    assert [host for host, _ in results.durations()] == [
        "a.example.com", "b.example.com", "other",
    ]  # fmt: skip
    assert dict(results.durations())["other"].count == 2


def test_no_results_no_series_but_families_described() -> None:
    assert not any("{" in line for line in render(ProbeResults()))
    collector = ProbeCollector(ProbeResults())
    assert [m.name for m in collector.describe()] == [HISTOGRAM.name]


def test_names_follow_conventions() -> None:
    for spec in METRICS:
        assert spec.name.startswith("imagepull_registry_probe_")
        assert spec.help.endswith(".")
        assert not spec.name.endswith("_total")
    assert {spec.cap for spec in GAUGES} == {"max_secret_series"}


def test_probe_gauges_exist_only_with_the_probe() -> None:
    names = {spec.name for spec in all_metrics()}
    assert not any(name.startswith("imagepull_registry_probe_") for name in names)
    with_probe = [spec.name for spec in all_metrics(probe=True)]
    # Before the series-dropped counter, which then counts their drops in the same scrape.
    assert with_probe.index(GAUGES[-1].name) < with_probe.index(
        "imagepull_exporter_series_dropped_total"
    )
