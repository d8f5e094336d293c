"""LIST: pages over a table's sorted key index, with opaque continue tokens.

A continue token is base64 JSON holding the list's resourceVersion, the last key sent,
and the server epoch. It is refused with 410 Expired once the table's history has been
compacted past that resourceVersion or the server restarted, as etcd compaction makes
the real server refuse it; like the real server, the 410 Status carries in its
``metadata.continue`` a token (resourceVersion -1) that continues the list from the same
key at the latest version, for clients that accept an inconsistent list. Pages show the
current objects, not a snapshot at the token's resourceVersion (the simulator keeps no
MVCC); each page still carries the first page's resourceVersion, as the real server's do.

``resourceVersion=0`` is served as the watch cache serves it: every matching object in
one response, ``limit`` ignored, no continue token (``shouldDelegateList`` in the
apiserver's cacher sends only other paginated lists to etcd).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from exporter.simulator.errors import ApiError, bad_request, expired
from exporter.simulator.selectors import FieldSelector, LabelSelector
from exporter.simulator.store import Key, ResourceTable, encode

CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


@dataclass(slots=True)
class Page:
    """One page of a list: the keys to send and the list metadata."""

    keys: list[Key]
    resource_version: int
    continue_token: str
    remaining: int | None


def encode_continue(rv: int, last: Key, epoch: str) -> str:
    """An opaque continue token."""
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(last), "e": epoch})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


LATEST = -1
"""The resourceVersion of an inconsistent-continue token: continue at the latest version."""


def _parse_continue(token: str) -> tuple[int, Key, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        rv, start, token_epoch = int(data["rv"]), data["start"], str(data["e"])
        last: Key = (str(start[0]), str(start[1]))
    except (binascii.Error, ValueError, KeyError, TypeError, IndexError):
        raise bad_request(f"continue key is not valid: {token!r}") from None
    return rv, last, token_epoch


def expired_continue(token: str, epoch: str) -> ApiError:
    """The 410 for an expired ``token``: etcd3's ``handleCompactedErrorForPaging`` answers
    with a token that continues after the same key at the latest version."""
    _, last, _ = _parse_continue(token)
    return expired(CONTINUE_EXPIRED, {"continue": encode_continue(LATEST, last, epoch)})


def decode_continue(token: str, table: ResourceTable, epoch: str) -> tuple[int, Key]:
    """(resourceVersion, last key) of a token; 400 if garbled, 410 if too old."""
    rv, last, token_epoch = _parse_continue(token)
    if rv == LATEST:
        return rv, last
    if token_epoch != epoch or rv < table.compacted_rv:
        raise expired_continue(token, epoch)
    return rv, last


def select_page(
    table: ResourceTable,
    *,
    namespace: str | None,
    labels: LabelSelector,
    fields: FieldSelector,
    limit: int,
    token: str | None,
    current_rv: int,
    epoch: str,
) -> Page:
    """The page of keys answering one LIST request (``limit`` 0: all of them)."""
    rv, after = decode_continue(token, table, epoch) if token else (current_rv, None)
    if rv == LATEST:
        rv = current_rv
    selective = bool(labels.requirements) or not fields.empty
    keys: list[Key] = []
    last: Key | None = None
    for key in table.scan(namespace, after):
        obj = table.objects[key]
        if selective and not (
            labels.matches(obj["metadata"].get("labels")) and fields.matches(obj)
        ):
            continue
        keys.append(key)
        if limit and len(keys) >= limit:
            last = key
            break
    if last is None:
        return Page(keys, rv, "", None)
    more = table.count_after(namespace, last)
    if not more:
        return Page(keys, rv, "", None)
    return Page(keys, rv, encode_continue(rv, last, epoch), None if selective else more)


def list_metadata(page: Page) -> dict[str, object]:
    """``metadata`` of a list response."""
    meta: dict[str, object] = {"resourceVersion": str(page.resource_version)}
    if page.continue_token:
        meta["continue"] = page.continue_token
        if page.remaining is not None:
            meta["remainingItemCount"] = page.remaining
    return meta


def list_body(table: ResourceTable, page: Page) -> bytes:
    """The JSON list response, assembled from cached item bytes."""
    head = b'{"kind":"' + table.resource.list_kind.encode() + b'","apiVersion":"v1","metadata":'
    items = b",".join(table.raw[key] for key in page.keys)
    return head + encode(list_metadata(page)) + b',"items":[' + items + b"]}"


def parse_limit(value: str | None) -> int:
    """``limit`` query parameter; absent or 0 means no limit."""
    if not value:
        return 0
    try:
        limit = int(value)
    except ValueError:
        raise bad_request(f'limit: Invalid value: "{value}": must be an integer') from None
    return max(limit, 0)


__all__ = ["ApiError", "Page", "list_body", "select_page"]
