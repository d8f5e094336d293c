"""Sharding: three shards together export exactly what one unsharded instance exports."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from exporter.kube.config import load_api_config
from exporter.service import Exporter
from exporter.settings import Settings
from exporter.simulator import Simulator
from exporter.state.sharding import Shard, shard_of
from tests.conftest import eventually

# The first-seen time of a waiting container is each instance's own clock.
PER_INSTANCE_VALUES = {"imagepull_container_waiting_since_timestamp_seconds"}


def more_namespaces(count: int) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for n in range(count):
        ns = f"team-{n}"
        objects.append(
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "app", "namespace": ns},
             "imagePullSecrets": [{"name": "quay-pull" if n % 3 else "regcred"}]}
        )  # fmt: skip
        objects.append(
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app-0", "namespace": ns},
             "spec": {"serviceAccountName": "app",
                      "containers": [{"name": "app", "image": f"quay.io/acme/app-{n}:1"}]},
             "status": {"containerStatuses": [{"name": "app", "state": {"waiting": {
                 "reason": "ErrImagePull", "message": "unauthorized: access to the "
                 "requested resource is not authorized"}}}]}}
        )  # fmt: skip
    return objects


def series(text: str) -> Counter[tuple[str, frozenset[tuple[str, str]], float | None]]:
    found: Counter[tuple[str, frozenset[tuple[str, str]], float | None]] = Counter()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("imagepull_") and not s.name.startswith("imagepull_exporter"):
                value = None if s.name in PER_INSTANCE_VALUES else s.value
                found[(s.name, frozenset(s.labels.items()), value)] += 1
    return found


async def test_union_of_three_shards_equals_one_instance(tmp_path: Path) -> None:
    simulator = Simulator(bookmark_interval=1.0)
    simulator.load_scenario("demo")
    simulator.apply_objects(more_namespaces(12))
    await simulator.start()
    kubeconfig = tmp_path / "kubeconfig"
    simulator.write_kubeconfig(kubeconfig)
    api = load_api_config(str(kubeconfig))
    layouts = [(0, 1), (0, 3), (1, 3), (2, 3)]
    exporters = [
        Exporter(Settings(listen_address="127.0.0.1:0", shard_index=i, shard_count=n), api)
        for i, n in layouts
    ]
    try:
        urls = [await exporter.start() for exporter in exporters]
        await eventually(lambda: all(e.state.synced for e in exporters), within=10)
        async with aiohttp.ClientSession() as session:
            texts = await asyncio.gather(*(_get(session, f"{url}/metrics") for url in urls))
    finally:
        for exporter in exporters:
            await exporter.stop()
        await simulator.stop()
    whole = series(texts[0])
    union = series(texts[1]) + series(texts[2]) + series(texts[3])
    assert union == whole
    assert max(union.values()) == 1  # no series twice
    assert all(series(text) for text in texts[1:])  # every shard owns something
    missing = [k for k in whole if k[0] == "imagepull_secret_missing"]
    assert any(("found_in_other_namespace", "true") in labels for _, labels, _ in missing)


async def _get(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as response:
        return await response.text()


def test_shard_ownership_is_stable_and_total() -> None:
    namespaces = [f"ns-{n}" for n in range(300)]
    owners = Counter(shard_of(ns, 4) for ns in namespaces)
    assert set(owners) == {0, 1, 2, 3}
    assert min(owners.values()) > 40  # spread, not all on one shard
    shards = [Shard(i, 4) for i in range(4)]
    assert all(sum(s.owns(ns) for s in shards) == 1 for ns in namespaces)
    assert shard_of("payments", 3) == 0  # fixed forever: changing it moves every series
