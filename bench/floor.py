"""The LIST floor: the exporter's LIST pages fetched by the smallest client that can fetch
them, and only parsed. What no exporter written in Python with aiohttp can avoid.

    python bench/floor.py http://127.0.0.1:PORT [--gc-off] [--json]
    {"imported": 1715000000.1, "first_request": ..., "done": ..., "pages": 320, ...}

Runs the same requests as the exporter's reflectors (:data:`TARGETS`, the list of
:func:`exporter.kube.targets.watch_targets`, which the smoke test keeps equal: pods,
events of pods, pull secrets of both types, the metadata of other secrets, service
accounts; ``limit=500`` with ``continue``), concurrently as the exporter does, each page
parsed and dropped. Parsed by the exporter's own schema decoders
(:mod:`exporter.kube.decoding`, the cheapest parse that yields the fields it needs), or with
``--json`` by ``json.loads`` into whole dicts, what a client without a schema pays.
``--gc-off`` disables the cyclic garbage collector. Imports only aiohttp and the decoders,
so its start-up is an interpreter's plus theirs. Prints one JSON line with wall clock
times (``time.time()``) so the parent can tell start-up from fetching.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exporter.kube.decoding import decoder_for

IMPORTED = time.time()
PAGE_SIZE = "500"
JSON = "application/json"
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
PULL = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")
TARGETS: tuple[tuple[str, str, bool], ...] = (
    ("/api/v1/pods", "", False),
    ("/api/v1/events", "involvedObject.kind=Pod", False),
    *((("/api/v1/secrets", f"type={t}", False)) for t in PULL),
    ("/api/v1/secrets", ",".join(f"type!={t}" for t in PULL), True),
    ("/api/v1/serviceaccounts", "", False),
)
"""(path, field selector, metadata only) of every LIST the exporter makes."""


Parse = Callable[[bytes], tuple[int, str]]
"""(items, continue token) of one page."""


async def list_all(
    session: aiohttp.ClientSession, url: str, params: dict[str, str], accept: str, parse: Parse
) -> tuple[int, int, int]:
    """(pages, bytes, objects) of one paginated LIST."""
    pages = size = objects = 0
    token = ""
    while True:
        query = {**params, "continue": token} if token else params
        async with session.get(url, params=query, headers={"Accept": accept}) as response:
            response.raise_for_status()
            body = await response.read()
        items, token = parse(body)
        pages, size, objects = pages + 1, size + len(body), objects + items
        if not token:
            return pages, size, objects


def _parser(path: str, metadata_only: bool, with_json: bool) -> Parse:
    if with_json:
        return json_page
    return schema_page(path.rsplit("/", 1)[1], metadata_only=metadata_only)


def schema_page(resource: str, *, metadata_only: bool = False) -> Parse:
    """A page of ``resource`` parsed by the exporter's decoder."""
    decode = decoder_for(resource, metadata_only=metadata_only).page

    def parse(body: bytes) -> tuple[int, str]:
        page = decode(body)
        return len(page.items), page.metadata.continue_

    return parse


def json_page(body: bytes) -> tuple[int, str]:
    """A page parsed whole by ``json.loads``, as a client without a schema must."""
    page = json.loads(body)
    return len(page["items"]), page["metadata"].get("continue", "")


async def main(base: str, with_json: bool) -> None:
    async with aiohttp.ClientSession() as session:
        first = time.time()
        results = await asyncio.gather(
            *(
                list_all(
                    session,
                    base + path,
                    {"limit": PAGE_SIZE, **({"fieldSelector": fields} if fields else {})},
                    METADATA_LIST if metadata_only else JSON,
                    _parser(path, metadata_only, with_json),
                )
                for path, fields, metadata_only in TARGETS
            )
        )
        done = time.time()
    by_target = {
        f"{path.rsplit('/', 1)[1]} {fields}".strip(): {"pages": p, "bytes": b, "objects": o}
        for (path, fields, _), (p, b, o) in zip(TARGETS, results, strict=True)
    }
    report = {
        "imported": IMPORTED,
        "first_request": first,
        "done": done,
        "pages": sum(r[0] for r in results),
        "bytes": sum(r[1] for r in results),
        "objects": sum(r[2] for r in results),
        "targets": by_target,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    if "--gc-off" in sys.argv[2:]:
        gc.disable()
    asyncio.run(main(sys.argv[1], "--json" in sys.argv[2:]))
