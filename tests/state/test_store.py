"""Stores and partitions: relists replace, partitions own their keys, listeners see phases."""

from __future__ import annotations

from typing import Any

from exporter.kube.types import ServiceAccount
from exporter.state.records import ServiceAccountRecord
from exporter.state.reducers import key_by_name, reduce_service_account
from exporter.state.store import ObjectStore, Phase


def sa(ns: str, name: str, *secrets: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": ns, "name": name},
        "imagePullSecrets": [{"name": s} for s in secrets],
    }


def make_store() -> tuple[ObjectStore[ServiceAccountRecord], list[tuple[str, Phase]]]:
    store = ObjectStore(reduce_service_account, key_by_name, ServiceAccount)
    seen: list[tuple[str, Phase]] = []

    def listener(
        old: ServiceAccountRecord | None, new: ServiceAccountRecord | None, phase: Phase
    ) -> None:
        what = "add" if old is None else "delete" if new is None else "update"
        seen.append((what, phase))

    store.add_listener(listener)
    return store, seen


def test_relist_replaces_contents_and_reports_phases() -> None:
    store, seen = make_store()
    sink = store.partition()
    sink.begin_relist(initial=True)
    sink.upsert(sa("a", "x"))
    sink.upsert(sa("a", "y"))
    sink.end_relist()
    assert len(store) == 2
    sink.begin_relist(initial=False)
    sink.upsert(sa("a", "y", "pull"))
    sink.end_relist()
    assert [r.name for r in store] == ["y"]
    assert store.get(("a", "y")) == ServiceAccountRecord("a", "y", ("pull",))
    assert seen == [
        ("add", Phase.INITIAL_LIST),
        ("add", Phase.INITIAL_LIST),
        ("update", Phase.RELIST),
        ("delete", Phase.RELIST),
    ]


def test_unchanged_object_is_not_a_change() -> None:
    store, seen = make_store()
    sink = store.partition()
    sink.upsert(sa("a", "x"))
    version = store.version
    sink.upsert(sa("a", "x"))
    assert store.version == version
    assert seen == [("add", Phase.WATCH)]


def test_partitions_relist_only_their_own_keys() -> None:
    store, _ = make_store()
    first, second = store.partition(), store.partition()
    first.upsert(sa("a", "x"))
    second.upsert(sa("b", "x"))
    first.begin_relist(initial=False)
    first.end_relist()
    assert [(r.namespace, r.name) for r in store] == [("b", "x")]


def test_delete_and_nameless_objects() -> None:
    store, _ = make_store()
    sink = store.partition()
    sink.upsert({"metadata": {}})
    sink.upsert(sa("a", "x"))
    sink.delete(sa("a", "x"))
    sink.delete(sa("a", "never-seen"))
    assert len(store) == 0


def test_interrupted_relist_restarts_cleanly() -> None:
    store, _ = make_store()
    sink = store.partition()
    sink.upsert(sa("a", "old"))
    sink.begin_relist(initial=False)
    sink.upsert(sa("a", "new"))
    # the LIST failed half way and started again
    sink.begin_relist(initial=False)
    sink.upsert(sa("a", "new"))
    sink.end_relist()
    assert [r.name for r in store] == ["new"]
