"""Joins over the cluster state that more than one reader needs."""

from __future__ import annotations

from exporter.state.cluster import ClusterState
from exporter.state.records import PodRecord


def pod_secret_refs(state: ClusterState) -> list[tuple[PodRecord, tuple[str, ...]]]:
    """Each pod with its pull secrets: its own plus its service account's, as kubelet sees
    them (admission usually copies the latter into the pod already), without repeats."""
    refs = []
    for pod in state.pods:
        account = state.serviceaccounts.get((pod.namespace, pod.service_account))
        names = pod.image_pull_secrets + (account.image_pull_secrets if account else ())
        refs.append((pod, tuple(dict.fromkeys(names))))
    return refs
