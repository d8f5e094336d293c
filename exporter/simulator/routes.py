"""The REST API: ``/api/v1/...`` paths mapped onto the cluster, with faults applied.

Paths served (``{r}`` a served resource, ``{ns}`` a namespace):
``/api/v1/{r}`` (all namespaces, or namespaces themselves), ``/api/v1/namespaces/{ns}/{r}``,
``.../{r}/{name}``, ``.../pods/{name}/status`` and ``/api/v1/namespaces/{name}/status``.
A method a path does not take answers 405 as the API server's router does: POST or
DELETE on an all-namespaces collection, DELETE of the namespaces collection.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exporter.simulator import errors
from exporter.simulator.faults import (
    DisconnectMidLine,
    ExpireContinue,
    Fault,
    Gone,
    StatusFault,
    TooManyRequests,
    TruncatedLine,
)
from exporter.simulator.listing import (
    expired_continue,
    list_body,
    list_metadata,
    parse_limit,
    select_page,
)
from exporter.simulator.managed_fields import manager_from_user_agent
from exporter.simulator.metadata import partial, partial_list, wants_metadata
from exporter.simulator.protobuf import decode_object
from exporter.simulator.resources import RESOURCES, ResourceType
from exporter.simulator.selectors import parse_field_selector, parse_label_selector
from exporter.simulator.store import Watch, encode, with_type
from exporter.simulator.tables import TableStream, table, wants_table
from exporter.simulator.watch import (
    WatchOptions,
    drop_connection,
    parse_resource_version,
    serve_watch,
)

if TYPE_CHECKING:
    from exporter.simulator.server import Simulator

JSONObject = dict[str, Any]
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_NOT_FOUND_PATH = errors.ApiError(
    404, "NotFound", "the server could not find the requested resource", {}
)


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path names."""

    resource: ResourceType
    namespace: str | None  # None: all namespaces (or a cluster-scoped type)
    name: str | None
    subresource: str | None


def parse_path(path: str) -> Target:
    """Map ``/api/v1/...`` onto a :class:`Target`; 404 for anything else."""
    parts = [p for p in path.split("/") if p][2:]
    if parts[:1] == ["namespaces"] and len(parts) >= 3 and parts[2] in RESOURCES:
        namespace, rest = parts[1], parts[2:]
    else:
        namespace, rest = None, parts
    if not rest or rest[0] not in RESOURCES or len(rest) > 3:
        raise _NOT_FOUND_PATH
    resource = RESOURCES[rest[0]]
    if namespace is not None and not resource.namespaced:
        raise _NOT_FOUND_PATH
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if subresource is not None and (subresource != "status" or not resource.has_status):
        raise _NOT_FOUND_PATH
    if name is not None and resource.namespaced and namespace is None:
        raise _NOT_FOUND_PATH
    return Target(resource, namespace, name, subresource)


def json_response(body: bytes | JSONObject, status: int = 200) -> web.Response:
    """A JSON response from bytes or an object."""
    data = body if isinstance(body, bytes) else encode(body)
    return web.Response(body=data, status=status, content_type="application/json")


def _verb(method: str, target: Target, query: Any) -> str:
    """The API verb of a request, or 405 where the real server has no such route."""
    if method == "GET":
        if target.name is not None:
            return "get"
        return "watch" if query.get("watch") in ("1", "true") else "list"
    resource, named = target.resource, target.name is not None
    all_namespaces = resource.namespaced and target.namespace is None
    if target.subresource is not None and method not in ("PUT", "PATCH"):
        raise errors.method_not_allowed()
    if method == "POST" and not named and not all_namespaces:
        return "create"
    if method in ("PUT", "PATCH") and named:
        return "update" if method == "PUT" else "patch"
    if method == "DELETE" and named:
        return "delete"
    if method == "DELETE" and not all_namespaces and resource.deletecollection:
        return "deletecollection"
    raise errors.method_not_allowed()


def raise_for_fault(fault: Fault | None, verb: str, sim: Simulator, token: str) -> None:
    """Turn a fault that replaces the whole response into its error."""
    if isinstance(fault, StatusFault):
        raise errors.ApiError(fault.code, REASONS.get(fault.code, "InternalError"), fault.message)
    if isinstance(fault, TooManyRequests):
        seconds = str(fault.retry_after)
        raise errors.ApiError(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            {"retryAfterSeconds": fault.retry_after},
            {"Retry-After": seconds},
        )
    if isinstance(fault, ExpireContinue):
        raise expired_continue(token, sim.cluster.epoch)
    if isinstance(fault, Gone) and verb != "watch":
        raise errors.expired("too old resource version: 1 (2)")


async def _body(request: web.Request) -> Any:
    if request.content_type == "application/vnd.kubernetes.protobuf":
        return decode_object(await request.read())
    try:
        return json.loads(await request.read() or b"null")
    except ValueError as error:
        raise errors.bad_request(f"the body of the request could not be decoded: {error}") from None
    except RecursionError:  # a deeply nested body: the API server's decoder refuses it too
        raise errors.bad_request(
            "the body of the request could not be decoded: exceeded max depth"
        ) from None


async def handle_api(request: web.Request, sim: Simulator) -> web.StreamResponse:
    """Serve one ``/api/v1`` request."""
    target = parse_path(request.path)
    query = request.query
    verb = _verb(request.method, target, query)
    plural = target.resource.plural
    if sim.chaos.restart_now():
        sim.cluster.restart()
    token = query.get("continue") or ""
    fault = sim.faults.take(plural, verb, has_continue=bool(token))
    fault = fault or sim.chaos.request_fault(plural, verb)
    raise_for_fault(fault, verb, sim, token)
    if verb == "watch":
        return await _watch(request, sim, target, fault)
    if verb in ("list", "get"):
        await _wait_for_version(request, sim, verb)
    if verb == "list":
        response = _list(request, sim, target)
    else:
        response = await _one(request, sim, target, verb)
    if isinstance(fault, DisconnectMidLine):
        return await _cut(request, response)
    if isinstance(fault, TruncatedLine):
        return _truncate(response)
    return response


def _truncate(response: web.Response) -> web.Response:
    """The same response with only the first half of its body (a complete HTTP answer)."""
    body = bytes(response.body) if isinstance(response.body, bytes | bytearray) else b""
    return web.Response(
        body=body[: len(body) // 2], status=response.status, content_type="application/json"
    )


async def _cut(request: web.Request, response: web.Response) -> web.StreamResponse:
    """Send half the body of ``response`` and drop the connection."""
    body = bytes(response.body) if isinstance(response.body, bytes | bytearray) else b""
    stream = web.StreamResponse(
        status=response.status, headers={"Content-Type": "application/json"}
    )
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    drop_connection(request)
    return stream


def _selectors(request: web.Request, resource: ResourceType) -> tuple[Any, Any]:
    return (
        parse_label_selector(request.query.get("labelSelector")),
        parse_field_selector(request.query.get("fieldSelector"), resource),
    )


CACHE_WAIT_SECONDS = 3.0
"""How long the watch cache waits for a resourceVersion it has not reached (blockTimeout)."""


async def _wait_for_version(request: web.Request, sim: Simulator, verb: str) -> None:
    """A GET or LIST at a resourceVersion newer than the cluster's: the watch cache waits
    3 s for it, then answers 504 "Too large resource version" (retry after 1 s); a
    paginated LIST goes to etcd, which answers that at once without a retry hint."""
    query = request.query
    wanted = parse_resource_version(query.get("resourceVersion"))
    if query.get("continue") and wanted is not None:
        raise errors.bad_request("specifying resource version is not allowed when using continue")
    if wanted is None or wanted <= sim.cluster.rv:
        return
    if verb == "list" and parse_limit(query.get("limit")):
        raise errors.too_large_resource_version(wanted, sim.cluster.rv, 0)
    try:
        async with asyncio.timeout(CACHE_WAIT_SECONDS):
            await sim.cluster.wait_for_version(wanted)
    except TimeoutError:
        raise errors.too_large_resource_version(wanted, sim.cluster.rv, 1) from None


def _list(request: web.Request, sim: Simulator, target: Target) -> web.Response:
    labels, fields = _selectors(request, target.resource)
    table_ = sim.cluster.table(target.resource.plural)
    from_cache = request.query.get("resourceVersion") == "0"  # the cache does not paginate
    page = select_page(
        table_,
        namespace=target.namespace,
        labels=labels,
        fields=fields,
        limit=0 if from_cache else parse_limit(request.query.get("limit")),
        token=request.query.get("continue") or None,
        current_rv=sim.cluster.rv,
        epoch=sim.cluster.epoch,
    )
    if wants_table(request.headers.get("Accept")):
        objects = [table_.objects[key] for key in page.keys]
        body = table(
            target.resource.plural,
            target.resource.kind,
            objects,
            list_metadata(page),
            request.query.get("includeObject", ""),
        )
        return json_response(body)
    if wants_metadata(request.headers.get("Accept")):
        objects = [table_.objects[key] for key in page.keys]
        return json_response(partial_list(objects, list_metadata(page)))
    return json_response(list_body(table_, page))


async def _watch(
    request: web.Request, sim: Simulator, target: Target, fault: Fault | None
) -> web.StreamResponse:
    labels, fields = _selectors(request, target.resource)
    since = parse_resource_version(request.query.get("resourceVersion"))
    timeout_text = request.query.get("timeoutSeconds")
    try:
        timeout = float(timeout_text) if timeout_text else None
    except ValueError:
        raise errors.bad_request(f'timeoutSeconds: Invalid value: "{timeout_text}"') from None
    accept = request.headers.get("Accept")
    resource = target.resource
    render = (
        TableStream(resource.plural, resource.kind, request.query.get("includeObject", ""))
        if wants_table(accept)
        else None
    )
    return await serve_watch(
        request,
        sim.cluster.table(target.resource.plural),
        Watch(
            target.namespace,
            labels,
            fields,
            metadata_only=wants_metadata(accept),
            render=render,
            after=since or 0,
        ),
        since,
        fault=fault,
        options=WatchOptions(
            current_rv=lambda: sim.cluster.rv,
            bookmarks=request.query.get("allowWatchBookmarks") in ("1", "true"),
            bookmark_interval=sim.bookmark_interval,
            timeout_seconds=timeout,
            event_fault=sim.chaos.event_fault,
        ),
    )


def _manager(request: web.Request) -> str:
    return request.query.get("fieldManager") or manager_from_user_agent(
        request.headers.get("User-Agent")
    )


def _object_response(
    request: web.Request, target: Target, obj: JSONObject, status: int = 200
) -> web.Response:
    if wants_table(request.headers.get("Accept")):
        meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
        plural, kind = target.resource.plural, target.resource.kind
        return json_response(
            table(plural, kind, [obj], meta, request.query.get("includeObject", "")), status
        )
    return json_response({"kind": target.resource.kind, "apiVersion": "v1", **obj}, status)


async def _one(request: web.Request, sim: Simulator, target: Target, verb: str) -> web.Response:
    cluster, resource = sim.cluster, target.resource
    plural, namespace, name = resource.plural, target.namespace or "", target.name or ""
    dry_run = request.query.get("dryRun") == "All"
    if verb == "get":
        cluster.get(plural, namespace, name)
        if wants_table(request.headers.get("Accept")):
            return _object_response(request, target, cluster.get(plural, namespace, name))
        if wants_metadata(request.headers.get("Accept")):
            return json_response(partial(cluster.get(plural, namespace, name)))
        item = cluster.table(plural).raw[(namespace, name)]
        return json_response(with_type(resource.kind, item))
    if verb == "create":
        body = await _body(request)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not an object")
        created = cluster.create(
            plural, namespace, body, manager=_manager(request), dry_run=dry_run
        )
        return _object_response(request, target, created, 201)
    if verb == "update":
        replaced = cluster.replace(
            plural,
            namespace,
            name,
            await _body(request),
            manager=_manager(request),
            subresource=target.subresource,
            dry_run=dry_run,
        )
        return _object_response(request, target, replaced)
    if verb == "patch":
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        patched = cluster.patch(
            plural,
            namespace,
            name,
            content_type,
            await _body(request),
            manager=_manager(request),
            subresource=target.subresource,
            dry_run=dry_run,
        )
        return _object_response(request, target, patched)
    if verb == "delete":
        options = await _body(request) if request.can_read_body else None
        preconditions = options.get("preconditions") if isinstance(options, dict) else None
        gone = cluster.delete(plural, namespace, name, preconditions=preconditions, dry_run=dry_run)
        if resource.delete_returns_object:
            return _object_response(request, target, gone)
        details = {"name": name, "kind": plural, "uid": gone["metadata"]["uid"]}
        return json_response(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
        )
    return _delete_collection(request, sim, target)


def _delete_collection(request: web.Request, sim: Simulator, target: Target) -> web.Response:
    labels, fields = _selectors(request, target.resource)
    table_ = sim.cluster.table(target.resource.plural)
    doomed = [
        key
        for key in table_.scan(target.namespace, None)
        if labels.matches(table_.objects[key]["metadata"].get("labels"))
        and fields.matches(table_.objects[key])
    ]
    items = [sim.cluster.delete(target.resource.plural, ns, name) for ns, name in doomed]
    body = {
        "kind": target.resource.list_kind,
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(sim.cluster.rv)},
        "items": items,
    }
    return json_response(body)
