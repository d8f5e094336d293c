"""Joins over the cluster state that more than one reader needs."""

from __future__ import annotations

from collections.abc import Iterable

from exporter.state.cluster import ClusterState
from exporter.state.records import PodRecord


def pod_secret_refs(
    state: ClusterState, pods: Iterable[PodRecord] | None = None
) -> list[tuple[PodRecord, tuple[str, ...]]]:
    """Each pod with its pull secrets: its own plus its service account's, without repeats.

    kubelet reads only ``pod.spec.imagePullSecrets``; the ServiceAccount admission plugin
    copies the account's list into a pod once, at creation, and only into a pod that has
    none. The account's list is added here so that a secret is reported as depended on
    (or missing) before the next pod is created from it. So after a secret is added to an
    account, existing pods count as using it although kubelet will not until they are
    recreated.
    """
    refs = []
    accounts = state.serviceaccounts
    for pod in state.pods if pods is None else pods:
        account = accounts.get((pod.namespace, pod.service_account))
        own = pod.image_pull_secrets
        if account is None or not account.image_pull_secrets:
            names = own if len(own) < 2 else tuple(dict.fromkeys(own))
        else:
            names = tuple(dict.fromkeys(own + account.image_pull_secrets))
        refs.append((pod, names))
    return refs
