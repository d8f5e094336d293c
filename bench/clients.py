"""Which client should the reflectors use? The same paginated LIST of every pod, four ways:

- ``own``: the exporter's :class:`~exporter.kube.client.KubeClient` (one aiohttp session)
  with its schema decoder, :mod:`exporter.kube.decoding` — what the reflectors do;
- ``aio_raw_json``: the official asyncio client, ``kubernetes.aio``, with its raw
  ``*_without_preload_content`` responses, read and ``json.loads``'d;
- ``aio_raw_schema``: the same raw responses through the exporter's schema decoder, which
  isolates the cost of the transport from the cost of decoding;
- ``aio_models``: ``kubernetes.aio`` deserializing into its typed models (``--models``;
  slow at scale: about 0.6 ms a pod).

    python bench/clients.py KUBECONFIG [--models] [--repeat 3]
    {"pods": 150000, "own": 3.1, "aio_raw_json": 9.5, ...}   # best of --repeat, seconds

Start a simulator first, e.g. ``python bench/simserver.py --pods 150000 --secrets 10000
--kubeconfig /tmp/k``. The garbage collector is left on, as in the exporter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubernetes.aio import client as aio_client
from kubernetes.aio import config as aio_config

from bench.floor import json_page, schema_page
from exporter.kube.client import KubeClient
from exporter.kube.config import load_api_config
from exporter.kube.decoding import decoder_for

PAGE_SIZE = 500
PODS = decoder_for("pods")


async def own(kubeconfig: str) -> int:
    client = KubeClient(load_api_config(kubeconfig))
    count, token = 0, ""
    try:
        while True:
            params = {"limit": str(PAGE_SIZE), **({"continue": token} if token else {})}
            page = await client.get_json("/api/v1/pods", params, decode=PODS.page)
            count += len(page.items)
            token = page.metadata.continue_
            if not token:
                return count
    finally:
        await client.close()


async def _aio(kubeconfig: str, read: Callable[[Any], Awaitable[tuple[int, str]]]) -> int:
    configuration = aio_client.Configuration()
    await aio_config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    async with aio_client.ApiClient(configuration) as api_client:
        api = aio_client.CoreV1Api(api_client)
        count, token = 0, None
        while True:
            items, token = await read(api.list_pod_for_all_namespaces, token)
            count += items
            if not token:
                return count


def _raw(decode: Callable[[bytes], tuple[int, str]]) -> Callable[[Any, Any], Awaitable[Any]]:
    async def read(call: Any, token: str | None) -> tuple[int, str]:
        response = call.__self__.list_pod_for_all_namespaces_without_preload_content
        raw = await response(limit=PAGE_SIZE, _continue=token)
        return decode(await raw.read())

    return read


async def _models(call: Any, token: str | None) -> tuple[int, str]:
    page = await call(limit=PAGE_SIZE, _continue=token)
    return len(page.items), page.metadata._continue or ""


async def measure(kubeconfig: str, models: bool, repeat: int) -> dict[str, Any]:
    ways: dict[str, Callable[[], Awaitable[int]]] = {
        "own": lambda: own(kubeconfig),
        "aio_raw_json": lambda: _aio(kubeconfig, _raw(json_page)),
        "aio_raw_schema": lambda: _aio(kubeconfig, _raw(schema_page("pods"))),
    }
    if models:
        ways["aio_models"] = lambda: _aio(kubeconfig, _models)
    result: dict[str, Any] = {}
    for name, way in ways.items():
        times = []
        for _ in range(1 if name == "aio_models" else repeat):
            started = time.perf_counter()
            result["pods"] = await way()
            times.append(time.perf_counter() - started)
        result[name] = min(times)
        print(f"[clients] {name}: {min(times):.2f} s", file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kubeconfig")
    parser.add_argument("--models", action="store_true", help="also time the typed models")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.kubeconfig, args.models, args.repeat))))


if __name__ == "__main__":
    main()
