"""The collector renders the state; golden exposition text for the self-metrics."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from exporter import __version__
from exporter.metrics.catalog import all_metrics
from exporter.metrics.collector import StateCollector
from exporter.metrics.exposition import Exposition
from exporter.metrics.reference import render as render_reference
from exporter.state.cluster import ClusterState


def render(state: ClusterState) -> str:
    registry = CollectorRegistry()
    registry.register(StateCollector(Exposition(state)))
    return generate_latest(registry).decode()


def test_self_metrics_golden() -> None:
    state = ClusterState()
    pods_a = state.register_watch("pods")
    pods_b = state.register_watch("pods")
    secrets = state.register_watch("secrets")
    pods_a.up, pods_a.last_event_time = True, 100.0
    pods_b.up, pods_b.last_event_time = False, 200.0
    pods_b.restarts["gone"] += 2
    pods_b.skipped = 1
    secrets.up = True
    sink = state.serviceaccounts.partition()
    sink.upsert({"metadata": {"namespace": "a", "name": "default"}})
    lines = [line for line in render(state).splitlines() if not line.startswith("#")]
    assert lines == [
        "imagepull_exporter_synced 0.0",
        'imagepull_exporter_watch_up{resource="pods"} 0.0',
        'imagepull_exporter_watch_up{resource="secrets"} 1.0',
        'imagepull_exporter_last_event_timestamp_seconds{resource="pods"} 200.0',
        'imagepull_exporter_watch_restarts_total{reason="gone",resource="pods"} 2.0',
        'imagepull_exporter_objects{resource="pods"} 0.0',
        'imagepull_exporter_objects{resource="events"} 0.0',
        'imagepull_exporter_objects{resource="secrets"} 0.0',
        'imagepull_exporter_objects{resource="serviceaccounts"} 1.0',
        'imagepull_exporter_objects_skipped_total{resource="pods"} 1.0',
        'imagepull_exporter_objects_skipped_total{resource="secrets"} 0.0',
        f'imagepull_exporter_build_info{{version="{__version__}"}} 1.0',
    ]


def test_catalog_names_follow_conventions() -> None:
    names = [spec.name for spec in all_metrics()]
    assert len(names) == len(set(names))
    for spec in all_metrics():
        assert spec.name.startswith("imagepull_")
        assert spec.name.endswith("_total") == (spec.type == "counter"), spec.name
        assert spec.help.endswith("."), spec.name


def test_describe_matches_catalog() -> None:
    collector = StateCollector(Exposition(ClusterState()))
    assert [m.name for m in collector.describe()] == [
        spec.name.removesuffix("_total") for spec in all_metrics()
    ]


def test_metrics_reference_doc_is_current() -> None:
    doc = Path(__file__).parents[2] / "docs" / "metrics.md"
    assert doc.read_text() == render_reference(), (
        "run: python -m exporter.metrics.reference > docs/metrics.md"
    )


def test_wrong_type_secret_is_a_problem_not_missing() -> None:
    state = ClusterState()
    state.pods.partition().upsert(
        {
            "metadata": {"namespace": "a", "name": "p"},
            "spec": {
                "imagePullSecrets": [{"name": "tls-cert"}, {"name": "gone"}],
                "containers": [{"name": "c", "image": "ghcr.io/acme/app:1"}],
            },
        }
    )
    state.other_secrets.partition().upsert(
        {"metadata": {"namespace": "a", "name": "tls-cert", "annotations": {"x": "data"}}}
    )
    state.other_secrets.partition().upsert({"metadata": {"namespace": "b", "name": "gone"}})
    lines = [line for line in render(state).splitlines() if line.startswith("imagepull_secret")]
    assert lines == [
        'imagepull_secret_valid{namespace="a",secret="tls-cert"} 0.0',
        'imagepull_secret_problem{namespace="a",problem="wrong_type",secret="tls-cert"} 1.0',
        'imagepull_secret_missing{found_in_other_namespace="false",namespace="a",'
        'secret="gone"} 1.0',
        'imagepull_secret_referencing_pods{namespace="a",secret="tls-cert"} 1.0',
    ]
