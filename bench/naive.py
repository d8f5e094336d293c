"""The naive client: what a straightforward Python exporter does with the official
``kubernetes`` package — list pods and pull secrets page by page into typed models.

    python bench/naive.py /tmp/kubeconfig
    {"imported": 1715000000.1, "first_request": ..., "done": ..., "pods": 150000, ...}

Synchronous ``CoreV1Api.list_pod_for_all_namespaces(limit=500, _continue=...)`` and
``list_secret_for_all_namespaces`` with the two pull-secret ``type`` field selectors; each
page is deserialized into ``V1PodList``/``V1SecretList`` and dropped. Prints one JSON line
with wall clock times so the parent can tell start-up from listing.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client, config

IMPORTED = time.time()
PAGE_SIZE = 500
PULL_SECRET_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")


def list_all(call: Callable[..., Any], **kwargs: Any) -> tuple[int, int]:
    """(pages, objects) of one paginated list into typed models."""
    pages = objects = 0
    token = None
    while True:
        page = call(limit=PAGE_SIZE, _continue=token, **kwargs)
        pages, objects = pages + 1, objects + len(page.items)
        token = page.metadata._continue
        if not token:
            return pages, objects


def main(kubeconfig: str) -> None:
    config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    api = client.CoreV1Api()
    first = time.time()
    pod_pages, pods = list_all(api.list_pod_for_all_namespaces)
    secret_pages = secrets = 0
    for secret_type in PULL_SECRET_TYPES:
        pages, found = list_all(
            api.list_secret_for_all_namespaces, field_selector=f"type={secret_type}"
        )
        secret_pages, secrets = secret_pages + pages, secrets + found
    done = time.time()
    report = {
        "imported": IMPORTED,
        "first_request": first,
        "done": done,
        "pages": pod_pages + secret_pages,
        "pods": pods,
        "secrets": secrets,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
