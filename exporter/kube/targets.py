"""Which API paths the exporter lists and watches, for a namespace selection.

Watching all namespaces is one watch per resource; ``--namespace`` turns that into one
watch per namespace (RBAC may only allow those), and ``--exclude-namespace`` becomes a
server-side ``metadata.namespace!=`` field selector, so excluded objects never travel.
"""

from __future__ import annotations

from collections.abc import Sequence

from exporter.kube.reflector import WatchTarget

PULL_SECRET_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")

# (resource, field selectors): one watch per selector; secrets need one per pull type
# because a field selector cannot OR two values.
_WATCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pods", ("",)),
    ("events", ("involvedObject.kind=Pod",)),
    ("secrets", tuple(f"type={t}" for t in PULL_SECRET_TYPES)),
    ("serviceaccounts", ("",)),
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
    for resource, selectors in _WATCHES:
        for selector in selectors:
            if namespaces:
                for ns in sorted(set(namespaces) - set(exclude_namespaces)):
                    path = f"/api/v1/namespaces/{ns}/{resource}"
                    targets.append(WatchTarget(resource, path, selector))
            else:
                exclusions = [f"metadata.namespace!={ns}" for ns in sorted(set(exclude_namespaces))]
                combined = ",".join(s for s in (selector, *exclusions) if s)
                targets.append(WatchTarget(resource, f"/api/v1/{resource}", combined))
    return targets
