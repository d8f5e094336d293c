"""``meta.k8s.io/v1`` Table responses, which ``kubectl get`` asks for.

Columns and cells follow the API server's printers for each type (NAME, READY, STATUS,
RESTARTS, AGE for pods...), so ``kubectl get`` prints what it prints on a real cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from exporter.simulator.clock import parse_rfc3339
from exporter.simulator.store import encode

JSONObject = dict[str, Any]
Column = tuple[str, str, int, str]  # name, type, priority, format


def human_duration(seconds: float) -> str:
    """Age as kubectl shows it (``duration.HumanDuration``).

    >>> human_duration(30), human_duration(125), human_duration(3600 * 30)
    ('30s', '2m5s', '30h')
    """
    if seconds < -1:
        return "<invalid>"
    s = max(int(seconds), 0)
    minutes, hours = s // 60, s // 3600
    if s < 120:
        return f"{s}s"
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _age(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    return human_duration(time.time() - parse_rfc3339(timestamp))


def _pod_status(pod: JSONObject) -> str:
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for container in status.get("containerStatuses") or []:
        state = container.get("state", {})
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def _pod_cells(pod: JSONObject) -> list[Any]:
    status = pod.get("status", {})
    containers = pod.get("spec", {}).get("containers") or []
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    return [
        pod["metadata"].get("name", ""),
        f"{ready}/{len(containers)}",
        _pod_status(pod),
        str(restarts),
        _age(pod["metadata"].get("creationTimestamp")),
        status.get("podIP") or "<none>",
        pod.get("spec", {}).get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _event_cells(event: JSONObject) -> list[Any]:
    involved = event.get("involvedObject", {})
    last = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event["metadata"].get("creationTimestamp")
    )
    first = event.get("firstTimestamp") or last
    source = event.get("source", {})
    source_text = ", ".join(v for v in (source.get("component"), source.get("host")) if v)
    return [
        _age(last),
        event.get("type", ""),
        event.get("reason", ""),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""),
        source_text or event.get("reportingComponent", ""),
        str(event.get("message", "")).strip(),
        _age(first),
        int(event.get("count") or 1),
        event["metadata"].get("name", ""),
    ]


_NAME: Column = ("Name", "string", 0, "name")
_AGE: Column = ("Age", "string", 0, "")
PRINTERS: dict[str, tuple[list[Column], Callable[[JSONObject], list[Any]]]] = {
    "pods": (
        [
            _NAME,
            ("Ready", "string", 0, ""),
            ("Status", "string", 0, ""),
            ("Restarts", "string", 0, ""),
            _AGE,
            ("IP", "string", 1, ""),
            ("Node", "string", 1, ""),
            ("Nominated Node", "string", 1, ""),
            ("Readiness Gates", "string", 1, ""),
        ],
        _pod_cells,
    ),
    "secrets": (
        [_NAME, ("Type", "string", 0, ""), ("Data", "string", 0, ""), _AGE],
        lambda o: [
            o["metadata"].get("name", ""),
            o.get("type", ""),
            len(o.get("data") or {}),
            _age(o["metadata"].get("creationTimestamp")),
        ],
    ),
    "serviceaccounts": (
        [_NAME, ("Secrets", "string", 0, ""), _AGE],
        lambda o: [
            o["metadata"].get("name", ""),
            len(o.get("secrets") or []),
            _age(o["metadata"].get("creationTimestamp")),
        ],
    ),
    "namespaces": (
        [_NAME, ("Status", "string", 0, ""), _AGE],
        lambda o: [
            o["metadata"].get("name", ""),
            o.get("status", {}).get("phase", ""),
            _age(o["metadata"].get("creationTimestamp")),
        ],
    ),
    "events": (
        [
            ("Last Seen", "string", 0, ""),
            ("Type", "string", 0, ""),
            ("Reason", "string", 0, ""),
            ("Object", "string", 0, ""),
            ("Subobject", "string", 1, ""),
            ("Source", "string", 1, ""),
            ("Message", "string", 0, ""),
            ("First Seen", "string", 1, ""),
            ("Count", "string", 1, ""),
            ("Name", "string", 1, ""),
        ],
        _event_cells,
    ),
}


def _row_object(obj: JSONObject, include: str) -> JSONObject | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


def table(
    plural: str,
    kind: str,
    objects: list[JSONObject],
    list_meta: JSONObject,
    include: str,
    *,
    headers: bool = True,
) -> JSONObject:
    """A Table of ``objects``; ``include`` is the ``includeObject`` parameter; without
    ``headers`` its ``columnDefinitions`` are null (``TableOptions.NoHeaders``)."""
    columns, cells = PRINTERS[plural]
    rows = []
    for obj in objects:
        full = {"kind": kind, "apiVersion": "v1", **obj}
        row: JSONObject = {"cells": cells(full)}
        row_object = _row_object(full, include or "Metadata")
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [
            {"name": name, "type": type_, "format": fmt, "description": "", "priority": priority}
            for name, type_, priority, fmt in columns
        ]
        if headers
        else None,
        "rows": rows,
    }


class TableStream:
    """Renders the objects of one watch as Tables of one row, as the API server's watch
    encoder does for ``as=Table``: column definitions go with the first object only.

    >>> stream = TableStream("namespaces", "Namespace", "")
    >>> first, second = (stream({"metadata": {"name": n}}) for n in ("a", "b"))
    >>> b'"columnDefinitions":[' in first, b'"columnDefinitions":null' in second
    (True, True)
    """

    def __init__(self, plural: str, kind: str, include: str) -> None:
        self.plural, self.kind, self.include = plural, kind, include
        self._headers = True

    def __call__(self, obj: JSONObject) -> bytes:
        meta = {"resourceVersion": obj.get("metadata", {}).get("resourceVersion", "")}
        body = table(self.plural, self.kind, [obj], meta, self.include, headers=self._headers)
        self._headers = False
        return encode(body)


def wants_table(accept: str | None) -> bool:
    """Whether the first media type the client accepts is a meta.k8s.io/v1 Table."""
    if not accept:
        return False
    first = accept.split(",")[0]
    params = dict(part.strip().split("=", 1) for part in first.split(";")[1:] if "=" in part)
    return (
        params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") == "v1"
    )
