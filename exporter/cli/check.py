"""``imagepull-exporter check``: a one-shot audit of image pull credentials for SREs.

Lists pods, events, pull secrets and service accounts once (the same LISTs the exporter
starts with), joins them with the exporter's own view and prints every pull credential,
missing and wrong-namespace secrets, uncovered registries, failing pulls and the exact
``kubectl`` command fixing each problem. Exit status: 0 all is well, 1 something needs
action, 2 bad operator input: flags, an unusable kubeconfig, or an API server that
cannot be read with it (one line on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from exporter.audit import build_report, render_json, render_text
from exporter.cli.cluster_flags import add_cluster_arguments
from exporter.kube.client import KubeClient
from exporter.kube.config import ApiConfig, load_api_config
from exporter.kube.errors import ConfigError, KubeError
from exporter.kube.reflector import Reflector, ReflectorSettings
from exporter.kube.targets import watch_targets
from exporter.metrics.view import ClusterView
from exporter.state.cluster import ClusterState

NAME = "check"
HELP = "audit pull credentials once: expiring, missing, failing, with the fix commands"
PAGE_SIZE = 500


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add_cluster_arguments(parser, verb="audit")
    add("--output", "-o", dest="output", choices=["text", "json"], default="text",
        help="output format (default: text)")  # fmt: skip


async def load_state(
    api: ApiConfig, namespaces: list[str], exclude_namespaces: list[str]
) -> ClusterState:
    """LIST every target once, page by page, into a fresh :class:`ClusterState`."""
    state = ClusterState()
    client = KubeClient(api)
    settings = ReflectorSettings(page_size=PAGE_SIZE)
    try:
        for target in watch_targets(namespaces, exclude_namespaces):
            reflector = Reflector(client, target, state.sink_for(target), settings)
            await reflector.list_once()
    finally:
        await client.close()
    return state


def run(args: argparse.Namespace) -> int:
    try:
        api = load_api_config(args.kubeconfig, args.context)
    except ConfigError as exc:
        print(f"imagepull-exporter: error: {exc}", file=sys.stderr)
        return 2
    try:
        state = asyncio.run(load_state(api, args.namespaces or [], args.exclude_namespaces or []))
    except (KubeError, OSError) as exc:
        print(f"imagepull-exporter: error: cannot read the cluster: {exc}", file=sys.stderr)
        return 2
    report = build_report(ClusterView(state), time.time())
    render = render_json if args.output == "json" else render_text
    sys.stdout.write(render(report))
    return 1 if report.needs_action else 0
