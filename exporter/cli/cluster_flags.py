"""The flags that say which cluster and which namespaces, shared by the commands that read
a cluster (the exporter itself and ``check``)."""

from __future__ import annotations

import argparse


def add_cluster_arguments(parser: argparse.ArgumentParser, *, verb: str) -> None:
    """``--kubeconfig``, ``--context``, ``--namespace``, ``--exclude-namespace``; ``verb``
    says what the command does with a namespace ("watch", "audit")."""
    add = parser.add_argument
    add(
        "--kubeconfig",
        dest="kubeconfig",
        metavar="PATH",
        help="kubeconfig file (default: $KUBECONFIG, else in-cluster, else ~/.kube/config)",
    )
    add(
        "--context",
        dest="context",
        metavar="NAME",
        help="kubeconfig context (default: the current context)",
    )
    add(
        "--namespace",
        dest="namespaces",
        action="append",
        metavar="NS",
        help=f"{verb} only this namespace; repeatable (default: all namespaces)",
    )
    add(
        "--exclude-namespace",
        dest="exclude_namespaces",
        action="append",
        metavar="NS",
        help=f"never {verb} this namespace; repeatable (default: none)",
    )
