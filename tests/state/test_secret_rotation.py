"""``last_rotated`` of a pull secret: when its data last changed, from managedFields.

The API keeps one time per manager (its last write to any field), not per field, so the
rules are: only managers that own ``f:data`` (or ``f:stringData``) count; the newest of
them wins; a restart reads the same thing again. Times are what the simulator and a real
API server write for ``kubectl create``/``apply``/``annotate`` and for controllers.
"""

from __future__ import annotations

import json
from typing import Any

from exporter.kube.decoding import decoder_for
from exporter.kube.types import Secret
from exporter.state.reducers import make_secret_reducer

CREATED = "2026-11-01T00:00:00Z"  # 1793491200
ROTATED = "2026-11-20T00:00:00Z"  # 1795132800
ANNOTATED = "2026-11-25T00:00:00Z"  # 1795564800
NOW = 1_800_000_000.0


def entry(manager: str, time: str, *fields: str, operation: str = "Update") -> dict[str, Any]:
    return {"manager": manager, "operation": operation, "apiVersion": "v1", "time": time,
            "fieldsType": "FieldsV1", "fieldsV1": {f: {} for f in fields}}  # fmt: skip


def secret(managed: list[dict[str, Any]], data: str = "e30=") -> Secret:
    raw = {
        "metadata": {"namespace": "a", "name": "pull", "creationTimestamp": CREATED,
                     "managedFields": managed},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": data},
    }  # fmt: skip
    decoded: Secret = decoder_for("secrets").object(json.dumps(raw).encode())
    return decoded


def rotated(*managed: dict[str, Any]) -> float | None:
    return make_secret_reducer(lambda: NOW)(secret(list(managed)), None).last_rotated


def test_only_a_manager_of_the_data_counts() -> None:
    # kubectl-annotate wrote later, but only metadata: the rotation is the rotator's write
    assert (
        rotated(
            entry("kubectl-create", CREATED, "f:type", "f:metadata"),
            entry("rotator", ROTATED, "f:data"),
            entry("kubectl-annotate", ANNOTATED, "f:metadata"),
        )
        == 1_795_132_800.0
    )


def test_string_data_counts_as_data() -> None:
    assert rotated(entry("helm", ROTATED, "f:stringData", "f:type")) == 1_795_132_800.0


def test_the_newest_data_manager_wins() -> None:
    assert (
        rotated(
            entry("rotator", ANNOTATED, "f:data"),
            entry("kubectl-client-side-apply", ROTATED, "f:data", "f:metadata"),
        )
        == 1_795_564_800.0
    )


def test_no_data_manager_means_creation() -> None:
    assert rotated(entry("kubectl-annotate", ANNOTATED, "f:metadata")) == 1_793_491_200.0
    assert rotated() == 1_793_491_200.0


def test_a_metadata_only_write_by_the_data_manager_looks_like_a_rotation() -> None:
    """The documented limit: kubectl apply of the same data with a new annotation moves
    kubectl-client-side-apply's time. A running exporter keeps the time it saw (the data
    digest did not change); a fresh one (a restart, `check`) reads the moved time."""
    reduce = make_secret_reducer(lambda: NOW)
    first = reduce(secret([entry("kubectl-client-side-apply", ROTATED, "f:data")]), None)
    again = secret([entry("kubectl-client-side-apply", ANNOTATED, "f:data", "f:metadata")])
    assert reduce(again, first).last_rotated == 1_795_132_800.0
    assert reduce(again, None).last_rotated == 1_795_564_800.0


def test_a_data_change_without_managed_fields_is_when_it_was_seen() -> None:
    reduce = make_secret_reducer(lambda: NOW)
    first = reduce(secret([]), None)
    assert reduce(secret([], data="e30K"), first).last_rotated == NOW
