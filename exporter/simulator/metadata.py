"""``meta.k8s.io/v1`` PartialObjectMetadata responses: objects without spec, status or data.

Clients ask for them with ``Accept: application/json;as=PartialObjectMetadataList;
g=meta.k8s.io;v=v1`` (lists) or ``as=PartialObjectMetadata`` (get, watch), as client-go's
metadata informers do, to learn which objects exist without transferring their contents.
"""

from __future__ import annotations

from exporter.simulator.store import JSONObject, encode
from exporter.simulator.store import partial_metadata as partial

KINDS = ("PartialObjectMetadataList", "PartialObjectMetadata")


def wants_metadata(accept: str | None) -> bool:
    """Whether the first media type the client accepts is a PartialObjectMetadata form."""
    if not accept:
        return False
    params = dict(
        part.strip().split("=", 1) for part in accept.split(",")[0].split(";")[1:] if "=" in part
    )
    return (
        params.get("as") in KINDS and params.get("g") == "meta.k8s.io" and params.get("v") == "v1"
    )


def partial_list(objects: list[JSONObject], list_metadata: dict[str, object]) -> bytes:
    """A PartialObjectMetadataList of ``objects``."""
    head = b'{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":'
    items = b",".join(partial(obj) for obj in objects)
    return head + encode(list_metadata) + b',"items":[' + items + b"]}"


__all__ = ["partial", "partial_list", "wants_metadata"]
