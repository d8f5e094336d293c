"""Watch targets for namespace selections."""

from __future__ import annotations

from exporter.kube.targets import watch_targets


def test_all_namespaces_one_watch_per_resource_and_secret_type() -> None:
    targets = watch_targets()
    assert [(t.resource, t.path, t.field_selector, t.metadata_only) for t in targets] == [
        ("pods", "/api/v1/pods", "", False),
        ("events", "/api/v1/events", "involvedObject.kind=Pod", False),
        ("secrets", "/api/v1/secrets", "type=kubernetes.io/dockerconfigjson", False),
        ("secrets", "/api/v1/secrets", "type=kubernetes.io/dockercfg", False),
        (
            "secrets",
            "/api/v1/secrets",
            "type!=kubernetes.io/dockerconfigjson,type!=kubernetes.io/dockercfg",
            True,
        ),
        ("serviceaccounts", "/api/v1/serviceaccounts", "", False),
    ]


def test_exclusions_are_server_side_field_selectors() -> None:
    events = watch_targets(exclude_namespaces=["kube-system", "dev"])[1]
    assert events.field_selector == (
        "involvedObject.kind=Pod,metadata.namespace!=dev,metadata.namespace!=kube-system"
    )


def test_namespaces_become_namespaced_watches_minus_exclusions() -> None:
    targets = watch_targets(["b", "a", "c"], ["c"])
    pods = [t.path for t in targets if t.resource == "pods"]
    assert pods == ["/api/v1/namespaces/a/pods", "/api/v1/namespaces/b/pods"]
    assert len(targets) == 12
