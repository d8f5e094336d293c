"""WATCH streams: chunked JSON lines, as the API server's watch cache sends them.

- ``resourceVersion`` unset, "" or "0": synthetic ADDED events for the current objects,
  then every change; N: every remembered change after N, or one ERROR event (410
  Expired, "too old resource version: N (M)") when history after N is gone; N beyond the
  current version: nothing until the cluster passes N (the real server waits too, until
  the watch times out), then the changes after N.
- ``Accept: ...;as=Table``: each event's object is a ``meta.k8s.io/v1`` Table with one
  row, column definitions on the first only (the apiserver's watch encoder sets
  ``NoHeaders`` after the first object).
- ``allowWatchBookmarks=true``: a BOOKMARK carrying the latest resourceVersion every
  bookmark interval while the stream is idle.
- ``timeoutSeconds``: the stream ends cleanly after that long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from exporter.simulator.errors import ApiError, bad_request, too_old_resource_version
from exporter.simulator.faults import (
    DisconnectMidLine,
    ErrorEvent,
    Fault,
    Gone,
    Stall,
    TruncatedLine,
)
from exporter.simulator.store import ResourceTable, Watch, encode, event_line, with_type

_STREAM_END = (Watch.CLOSE, Watch.BREAK)


def error_line(error: ApiError) -> bytes:
    """An ERROR event carrying ``error``'s Status."""
    return b'{"type":"ERROR","object":' + encode(error.status()) + b"}\n"


def parse_resource_version(value: str | None) -> int | None:
    """None for "start with the current objects", else the integer version."""
    if value in (None, "", "0"):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise bad_request(
            f'resourceVersion: Invalid value: "{value}": must be an integer'
        ) from None


def open_watch(table: ResourceTable, watch: Watch, since: int | None) -> list[bytes] | ApiError:
    """Register ``watch`` and return the lines it must send first (or the 410 to send).

    Runs without awaiting, so no write can slip between the snapshot and registration.
    """
    if since is None:
        initial = [
            event_line(
                "ADDED",
                watch.raw(table.objects[key], with_type(table.resource.kind, table.raw[key])),
            )
            for key in table.scan(watch.namespace, None)
            if watch.selects(table.objects[key])
        ]
    else:
        if since < table.compacted_rv:
            return too_old_resource_version(since, table.compacted_rv)
        lines = (watch.line_for(change) for change in table.changes_after(since))
        initial = [line for line in lines if line is not None]
    table.watches.add(watch)
    return initial


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """How one watch stream behaves."""

    current_rv: Callable[[], int]
    bookmarks: bool = False
    bookmark_interval: float = 60.0
    timeout_seconds: float | None = None
    event_fault: Callable[[], Fault | None] | None = None
    """Asked before each object event: a fault that breaks the stream there (chaos mode)."""


Broken = tuple[Fault, list[bytes]]
"""A fault that ends a stream and the lines it kept from being sent."""


async def serve_watch(
    request: web.Request,
    table: ResourceTable,
    watch: Watch,
    since: int | None,
    *,
    fault: Fault | None,
    options: WatchOptions,
) -> web.StreamResponse:
    """Stream events to the client until timeout, disconnect, restart or a fault."""
    opened = open_watch(table, watch, since)
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    kind = table.resource.kind
    try:
        if isinstance(opened, ApiError):
            await response.write(error_line(opened))
        else:
            broken: Broken | None = (fault, opened) if fault is not None else None
            if broken is None:
                broken = await _stream(response, watch, opened, kind, options)
            if broken is not None:
                expired = too_old_resource_version(since or 0, options.current_rv())
                if await _break(response, watch, broken, kind, expired):
                    drop_connection(request)
                    return response
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the client went away
    finally:
        table.watches.discard(watch)
    return response


async def _break(
    response: web.StreamResponse, watch: Watch, broken: Broken, kind: str, expired: ApiError
) -> bool:
    """End the stream the way ``broken``'s fault says; True when the caller must hang up."""
    fault, pending = broken
    if isinstance(fault, Gone):
        await response.write(error_line(expired))
    elif isinstance(fault, ErrorEvent):
        await response.write(error_line(ApiError(fault.code, "InternalError", fault.message)))
    elif isinstance(fault, Stall):
        if Watch.CLOSE not in pending:
            then = watch.broken_by if Watch.BREAK in pending else await _stall(watch, fault.seconds)
            if then is not None:  # broken while stalled: that fault ends the stream
                return await _break(response, watch, (then, []), kind, expired)
    elif isinstance(fault, DisconnectMidLine):
        await _disconnect(response, watch, pending, fault.events, kind)
        return True
    elif isinstance(fault, TruncatedLine):
        await _disconnect(response, watch, pending, fault.events, kind, end=b"\n")
    return False


async def _send(
    response: web.StreamResponse, watch: Watch, lines: list[bytes], options: WatchOptions
) -> Broken | None:
    """Write ``lines``, unless a fault breaks the stream before one of them (chaos, or
    :meth:`Watch.break_with`)."""
    for i, line in enumerate(lines):
        fault: Fault | None = None
        if line == Watch.BREAK:
            fault = watch.broken_by
        elif line != Watch.CLOSE and options.event_fault is not None:
            fault = options.event_fault()
        if fault is None:
            continue
        if i:
            await response.write(b"".join(lines[:i]))
        return fault, lines[i + (line == Watch.BREAK) :]
    if sent := [line for line in lines if line != Watch.BREAK]:
        await response.write(b"".join(sent))
    return None


async def _stream(
    response: web.StreamResponse,
    watch: Watch,
    initial: list[bytes],
    kind: str,
    options: WatchOptions,
) -> Broken | None:
    loop = asyncio.get_running_loop()
    interval = options.bookmark_interval
    deadline = loop.time() + options.timeout_seconds if options.timeout_seconds else None
    next_bookmark = loop.time() + interval if options.bookmarks else None
    if broken := await _send(response, watch, initial, options):
        return broken
    while True:
        now = loop.time()
        if deadline is not None and deadline <= now:
            return None
        waits = [t - now for t in (deadline, next_bookmark) if t is not None]
        try:
            line = await asyncio.wait_for(
                watch.queue.get(), max(0.0, min(waits)) if waits else None
            )
        except TimeoutError:
            if next_bookmark is not None and loop.time() >= next_bookmark:
                # the queue is empty, so every change up to the current version was sent;
                # a watch from the future gets none before the cluster passes its version
                if (current := options.current_rv()) >= watch.after:
                    await response.write(watch.bookmark(kind, current))
                next_bookmark = loop.time() + interval
            continue
        lines = [line]
        while line != Watch.CLOSE and not watch.queue.empty():
            line = watch.queue.get_nowait()
            lines.append(line)
        if broken := await _send(response, watch, lines, options):
            return broken
        if line == Watch.CLOSE:
            return None


async def _stall(watch: Watch, seconds: float) -> Fault | None:
    """Send nothing for ``seconds``; end early only when the server stops or restarts,
    :meth:`ResourceTable.end_stalls` releases it (chaos turned off) or a fault breaks it
    (returned)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    watch.stalled = True
    try:
        while (left := deadline - loop.time()) > 0:
            try:
                line = await asyncio.wait_for(watch.queue.get(), left)
            except TimeoutError:
                return None
            if line == Watch.CLOSE:
                return None
            if line == Watch.BREAK:
                return watch.broken_by
        return None
    finally:
        watch.stalled = False


async def _disconnect(
    response: web.StreamResponse,
    watch: Watch,
    initial: list[bytes],
    events: int,
    kind: str,
    *,
    end: bytes = b"",
) -> None:
    """Send ``events`` whole lines, then half of the next one followed by ``end`` (the
    caller then hangs up, or ends the stream after a truncated line)."""
    lines = list(initial)
    while not watch.queue.empty():
        lines.append(watch.queue.get_nowait())
    lines = [line for line in lines if line not in _STREAM_END]
    whole, rest = lines[:events], lines[events:]
    partial = rest[0] if rest else watch.bookmark(kind, 0)
    await response.write(b"".join(whole) + partial[: max(1, len(partial) // 2)] + end)


def drop_connection(request: web.Request) -> None:
    """Close the TCP connection under a response in flight."""
    transport = request.transport
    if transport is not None:
        transport.close()
