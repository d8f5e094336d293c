"""Hostile cluster objects (hypothesis strategies) and the pipeline they are fed through.

The pipeline is the exporter's own: reducers behind the stores of a ``ClusterState``,
then ``Exposition.render()`` in both formats, parsed back with prometheus_client.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.metrics.catalog import MAX_LABEL_VALUE
from exporter.metrics.exposition import Exposition
from exporter.metrics.view import Limits
from exporter.pullerrors import PULL_WAITING_REASONS
from exporter.state.cluster import ClusterState

NOW = 1_780_000_000.0
JSON_TYPE = "kubernetes.io/dockerconfigjson"
CFG_TYPE = "kubernetes.io/dockercfg"
DROPPED = "imagepull_exporter_series_dropped_total"
Raw = dict[str, Any]

# Characters that break naive exposition writers, log lines or terminals.
NASTY = '\n\r\t"\\{}=,# \x00\x1b\x7f\u0085\u2028\u202e\ufeff\ud800\udfff'
EVENT_REASONS = ("Failed", "BackOff", "InspectFailed", "ErrImageNeverPull",
                 "FailedToRetrieveImagePullSecret", "Pulling")  # fmt: skip
PULL_MESSAGES = (
    'Failed to pull image "{}": rpc error: code = Unknown desc = {}',
    'Back-off pulling image "{}"{}',
    'Failed to pull image "{}": failed to resolve reference "{}": 401 Unauthorized',
)


def b64(raw: str | bytes) -> str:
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return base64.b64encode(data).decode()


def dumps(value: object) -> str:
    """JSON that may carry lone surrogates as ``\\udXXX`` escapes, as Python writes them."""
    return json.dumps(value)


# Long strings are built by repetition: drawing 10 kB one character at a time is slow.
long_text = st.builds(
    lambda unit, times: unit * times,
    st.sampled_from(["a", "é", "\n", '"', "\\", "ghcr.io/", "\ud800", "€" * 3, NASTY]),
    st.integers(min_value=250, max_value=12_000),
)
hostile_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from(NASTY + "ab.:/@"), max_size=40),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Zl", "Zp"]), max_size=8),
    long_text,
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | hostile_text
json_values = st.recursive(
    scalars | st.just(10**400),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=8,
)


def wrong_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field as meant, or any JSON value at all in its place."""
    return st.one_of(strategy, strategy, json_values)


def _maybe(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={k: wrong_or(v) for k, v in fields.items()})


names = st.sampled_from(["a", "b", "default", "regcred"]) | hostile_text
namespaces = st.sampled_from(["ns", "other"]) | hostile_text
images = st.sampled_from(
    ["nginx", "ghcr.io/acme/api:v1", "registry.local:5000/x@sha256:" + "a" * 64]
)
images = images | hostile_text
metadata = _maybe({"name": names, "namespace": namespaces, "uid": names,
                   "annotations": st.dictionaries(hostile_text, hostile_text, max_size=3),
                   "creationTimestamp": st.just("2026-01-01T00:00:00Z") | hostile_text},
                  )  # fmt: skip

waiting = _maybe({"reason": st.sampled_from(sorted(PULL_WAITING_REASONS)), "message": hostile_text})
status_entry = _maybe({"name": names, "state": _maybe({"waiting": waiting})})
container = _maybe({"name": names, "image": images})
pods = _maybe(
    {
        "metadata": metadata,
        "spec": _maybe(
            {
                "containers": st.lists(container, max_size=4),
                "initContainers": st.lists(container, max_size=2),
                "imagePullSecrets": st.lists(_maybe({"name": names}), max_size=3),
                "serviceAccountName": names,
            }
        ),
        "status": _maybe(
            {
                "containerStatuses": st.lists(status_entry, max_size=4),
                "initContainerStatuses": st.lists(status_entry, max_size=2),
            }
        ),
    }
)
entry = _maybe({f: hostile_text for f in ("auth", "username", "password", "email",
                                           "identitytoken", "registrytoken")})  # fmt: skip
configs = st.one_of(
    st.dictionaries(hostile_text, entry, max_size=4).map(lambda a: dumps({"auths": a})),
    st.dictionaries(hostile_text, entry, max_size=4).map(dumps),
    json_values.map(dumps),
)
data_values = st.one_of(configs.map(b64), st.binary(max_size=64).map(b64), hostile_text)
secrets = _maybe(
    {
        "metadata": metadata,
        "type": st.sampled_from([JSON_TYPE, CFG_TYPE, "Opaque"]) | hostile_text,
        "data": st.dictionaries(
            st.sampled_from([".dockerconfigjson", ".dockercfg"]) | hostile_text,
            wrong_or(data_values),
            max_size=2,
        ),
    }
)
messages = st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(PULL_MESSAGES), images,
                     hostile_text) | hostile_text  # fmt: skip
events = _maybe(
    {
        "metadata": metadata,
        "involvedObject": _maybe({"kind": st.just("Pod"), "name": names, "namespace": names}),
        "reason": st.sampled_from(EVENT_REASONS) | hostile_text,
        "message": messages,
        "count": st.integers(min_value=-5, max_value=2**70) | st.just(10**400),
        "series": _maybe({"count": st.integers() | st.just(10**400)}),
    }
)
service_accounts = _maybe({"metadata": metadata,
                           "imagePullSecrets": st.lists(_maybe({"name": names}), max_size=3)},
                          )  # fmt: skip
STRATEGIES = {"pods": pods, "secrets": secrets, "events": events,
              "serviceaccounts": service_accounts}  # fmt: skip
operations = st.lists(
    st.tuples(st.sampled_from(sorted(STRATEGIES)), st.sampled_from(["upsert", "delete"])).flatmap(
        lambda ro: st.tuples(st.just(ro[0]), st.just(ro[1]), STRATEGIES[ro[0]])
    ),
    max_size=12,
)


@dataclass
class Rendered:
    """One scrape of a state, in both formats, parsed back."""

    text: list[Metric]
    openmetrics: list[Metric]
    families: list[Metric]


def new_state() -> ClusterState:
    return ClusterState(clock=lambda: NOW)


def apply(state: ClusterState, ops: Iterable[tuple[str, str, Raw]]) -> None:
    """Feed raw objects through the stores, as the reflectors do."""
    sinks = {resource: state.store_for(resource).partition() for resource in STRATEGIES}
    for resource, op, obj in ops:
        sink = sinks[resource]
        if op == "upsert":
            sink.upsert(obj)
        else:
            sink.delete(obj)


def render(state: ClusterState, limits: Limits | None = None) -> Rendered:
    """Render twice (the second time from the per-family cache) and parse both formats."""
    exposition = Exposition(state, limits=limits)
    text = exposition.render().decode("utf-8")
    openmetrics = exposition.render(openmetrics_format=True).decode("utf-8")
    assert exposition.render().decode("utf-8") == text
    return Rendered(
        list(parse_text(text)),
        list(parse_openmetrics(openmetrics)),  # type: ignore[no-untyped-call]
        exposition.families(),
    )


def label_values(families: Iterable[Metric]) -> Iterable[str]:
    return (v for family in families for s in family.samples for v in s.labels.values())


def assert_well_formed(rendered: Rendered) -> None:
    """Both formats parse to the families rendered, and every label value is capped."""
    for parsed in (rendered.text, rendered.openmetrics):
        assert all(len(v) <= MAX_LABEL_VALUE for v in label_values(parsed))
        assert sorted(label_values(parsed)) == sorted(label_values(rendered.families))


def series_count(families: Iterable[Metric], name: str) -> int:
    return sum(len(f.samples) for f in families if f.name == name.removesuffix("_total"))


def dropped(families: Iterable[Metric]) -> dict[str, float]:
    family = next(f for f in families if f.name == DROPPED.removesuffix("_total"))
    return {s.labels["metric"]: s.value for s in family.samples if s.name == DROPPED}
