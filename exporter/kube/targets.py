"""Which API paths the exporter lists and watches, for a namespace selection.

Watching all namespaces is one watch per resource; ``--namespace`` turns that into one
watch per namespace (RBAC may only allow those), and ``--exclude-namespace`` becomes a
server-side ``metadata.namespace!=`` field selector, so excluded objects never travel.
"""

from __future__ import annotations

from collections.abc import Sequence

from exporter.kube.reflector import WatchTarget

PULL_SECRET_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")

# (resource, field selector, metadata only): secrets need one watch per pull type because
# a field selector cannot OR two values, and a metadata-only watch of all other secrets
# tells a pod referencing a secret of the wrong type apart from one whose secret is missing
# without ever transferring their data.
_WATCHES: tuple[tuple[str, str, bool], ...] = (
    ("pods", "", False),
    ("events", "involvedObject.kind=Pod", False),
    *(("secrets", f"type={t}", False) for t in PULL_SECRET_TYPES),
    ("secrets", ",".join(f"type!={t}" for t in PULL_SECRET_TYPES), True),
    ("serviceaccounts", "", False),
)


def watch_targets(
    namespaces: Sequence[str] = (), exclude_namespaces: Sequence[str] = ()
) -> list[WatchTarget]:
    """The targets for a selection; ``namespaces`` empty means all of them.

    >>> [t.path for t in watch_targets(["payments"])][:2]
    ['/api/v1/namespaces/payments/pods', '/api/v1/namespaces/payments/events']
    >>> watch_targets([], ["kube-system"])[0].field_selector
    'metadata.namespace!=kube-system'
    """
    targets: list[WatchTarget] = []
    for resource, selector, metadata_only in _WATCHES:
        if namespaces:
            for ns in sorted(set(namespaces) - set(exclude_namespaces)):
                path = f"/api/v1/namespaces/{ns}/{resource}"
                targets.append(WatchTarget(resource, path, selector, metadata_only=metadata_only))
        else:
            exclusions = [f"metadata.namespace!={ns}" for ns in sorted(set(exclude_namespaces))]
            combined = ",".join(s for s in (selector, *exclusions) if s)
            path = f"/api/v1/{resource}"
            targets.append(WatchTarget(resource, path, combined, metadata_only=metadata_only))
    return targets
