"""The exporter service: what /metrics serves before and after the first sync."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from exporter.kube.config import load_api_config
from exporter.kube.reflector import ReflectorSettings
from exporter.service import Exporter
from exporter.settings import Settings
from exporter.simulator import Simulator
from exporter.simulator.faults import StatusFault
from tests.conftest import eventually

FAST = ReflectorSettings(backoff_initial=0.05, backoff_max=0.1)


async def _names(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    async with session.get(f"{url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_cluster_metrics_are_served_only_once_every_list_completed(
    tmp_path: Path,
) -> None:
    """A half-listed cluster (pods listed, secrets not yet) would report every pull secret
    as missing and page: until every initial LIST completed, self-metrics only."""
    simulator = Simulator()
    simulator.load_scenario("demo")
    simulator.inject(StatusFault(resource="secrets", verb="list", code=503, times=10_000))
    await simulator.start()
    simulator.write_kubeconfig(tmp_path / "kubeconfig")
    exporter = Exporter(
        Settings(listen_address="127.0.0.1:0"),
        load_api_config(str(tmp_path / "kubeconfig")),
        reflector_settings=FAST,
    )
    try:
        url = await exporter.start()
        await eventually(lambda: exporter.state.pods.version > 0)
        async with aiohttp.ClientSession() as session:
            before = await _names(session, url)
            assert before["imagepull_exporter_synced"] == 0
            cluster = [n for n in before if not n.startswith(("imagepull_exporter_", "process_"))]
            assert cluster == []
            assert "imagepull_exporter_watch_up" in before
            simulator.faults.clear()
            await eventually(lambda: exporter.state.synced)
            after = await _names(session, url)
    finally:
        await exporter.stop()
        await simulator.stop()
    assert after["imagepull_exporter_synced"] == 1
    assert "imagepull_secret_missing" in after  # the demo's wrong-namespace secret
    assert "imagepull_credential_expiry_timestamp_seconds" in after
