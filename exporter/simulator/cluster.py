"""The simulated cluster: every write goes through here.

A write validates and defaults the object (an update also checks what may not change,
see :mod:`exporter.simulator.validation`), stamps ``uid``, ``creationTimestamp``,
``resourceVersion`` (one global counter, as etcd's revision), ``generation`` and
``managedFields``, then records the change in its resource table, which feeds watches.
A write that changes nothing is not stored and keeps its resourceVersion, as on the
real server.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from typing import Any

from exporter.simulator import errors
from exporter.simulator.clock import rfc3339
from exporter.simulator.defaults import apply_defaults, validate_name
from exporter.simulator.managed_fields import changed_fields, record_update
from exporter.simulator.patches import SCHEMAS, json_patch, merge_patch, strategic_merge_patch
from exporter.simulator.resources import NAMESPACES, RESOURCES, ResourceType
from exporter.simulator.store import Change, ResourceTable, clone, encode_item, with_type
from exporter.simulator.validation import validate_update

JSONObject = dict[str, Any]
PATCH_TYPES: dict[str, Callable[[JSONObject, Any, str], Any]] = {
    "application/merge-patch+json": lambda old, patch, _: merge_patch(old, patch),
    "application/strategic-merge-patch+json": lambda old, patch, kind: strategic_merge_patch(
        old, patch, SCHEMAS.get(kind)
    ),
    "application/json-patch+json": lambda old, patch, _: json_patch(old, patch),
}
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the apiserver's name generator set
_VOLATILE_META = ("resourceVersion", "managedFields", "generation")


class Cluster:
    """Objects of every served type, the resourceVersion counter, and write semantics."""

    def __init__(self, history_limit: int = 10000) -> None:
        self.tables = {plural: ResourceTable(r, history_limit) for plural, r in RESOURCES.items()}
        self.rv = 1
        self.epoch = uuid.uuid4().hex[:8]  # continue tokens from before a restart expire
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def table(self, plural: str) -> ResourceTable:
        """The table of a served resource (KeyError for anything else)."""
        return self.tables[plural]

    def get(self, plural: str, namespace: str, name: str) -> JSONObject:
        """The stored object (not a copy; callers must not modify it) or 404."""
        obj = self.tables[plural].objects.get((namespace, name))
        if obj is None:
            raise errors.not_found(plural, name)
        return obj

    def _require_namespace(self, resource: ResourceType, namespace: str) -> None:
        if resource.namespaced and ("", namespace) not in self.tables["namespaces"].objects:
            raise errors.not_found("namespaces", namespace)

    def _commit(
        self, table: ResourceTable, kind: str, obj: JSONObject, old: JSONObject | None
    ) -> JSONObject:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        item = encode_item(obj)
        table.record(Change(self.rv, kind, obj, item, with_type(table.resource.kind, item), old))
        if self._waiters:
            self._wake()
        return obj

    @property
    def waiting(self) -> int:
        """How many requests wait for a resourceVersion the cluster has not reached."""
        return len(self._waiters)

    async def wait_for_version(self, rv: int) -> None:
        """Wait until the cluster's resourceVersion reaches ``rv`` (the caller bounds it)."""
        if self.rv >= rv:
            return
        reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((rv, reached))
        try:
            await reached
        finally:
            self._waiters = [(v, f) for v, f in self._waiters if f is not reached]

    def _wake(self) -> None:
        for rv, reached in self._waiters:
            if rv <= self.rv and not reached.done():
                reached.set_result(None)

    def create(
        self, plural: str, namespace: str, body: JSONObject, *, manager: str, dry_run: bool = False
    ) -> JSONObject:
        """POST: store a new object; 409 AlreadyExists, 404 for a missing namespace."""
        table = self.tables[plural]
        resource = table.resource
        obj: JSONObject = clone(body)
        meta = obj.setdefault("metadata", {})
        if resource.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            suffix = "".join(random.choice(_GENERATE_ALPHABET) for _ in range(5))
            meta["name"] = f"{meta['generateName']}{suffix}"
        name = meta.get("name", "")
        validate_name(resource.kind, name)
        self._require_namespace(resource, namespace)
        if (namespace if resource.namespaced else "", name) in table.objects:
            raise errors.already_exists(plural, name)
        obj["kind"], obj["apiVersion"] = resource.kind, "v1"
        for field in ("resourceVersion", "deletionTimestamp", "managedFields"):
            meta.pop(field, None)
        now = rfc3339()
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now
        if resource.plural == "pods":
            meta["generation"] = 1
        apply_defaults(resource.kind, obj)
        changed = changed_fields(None, obj, status_only=False)
        meta["managedFields"] = record_update(
            None, changed, manager=manager, time=now, subresource=None
        )
        if dry_run:
            meta["resourceVersion"] = ""
            return obj
        stored = self._commit(table, "ADDED", obj, None)
        if (
            resource is NAMESPACES
            and (name, "default") not in self.tables["serviceaccounts"].objects
        ):
            # the service account controller gives every namespace its "default" account
            account = {"metadata": {"name": "default"}}
            self.create("serviceaccounts", name, account, manager="kube-controller-manager")
        return stored

    def replace(
        self,
        plural: str,
        namespace: str,
        name: str,
        body: JSONObject,
        *,
        manager: str,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> JSONObject:
        """PUT: replace an object (or only its status); 409 Conflict on a stale version."""
        old = self.get(plural, namespace, name)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not an object")
        sent = (body.get("metadata") or {}).get("resourceVersion")
        if sent and sent != old["metadata"]["resourceVersion"]:
            raise errors.conflict(plural, name)
        if (body.get("metadata") or {}).get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({body['metadata']['name']}) does not match the name "
                f"on the URL ({name})"
            )
        return self._update(
            plural=plural,
            old=old,
            new=clone(body),
            manager=manager,
            subresource=subresource,
            dry_run=dry_run,
        )

    def patch(
        self,
        plural: str,
        namespace: str,
        name: str,
        content_type: str,
        patch: Any,
        *,
        manager: str,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> JSONObject:
        """PATCH with one of :data:`PATCH_TYPES`; a resourceVersion in it is a precondition."""
        apply_patch = PATCH_TYPES.get(content_type)
        if apply_patch is None:
            raise errors.ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types include: "
                f"{', '.join(PATCH_TYPES)}",
            )
        old = self.get(plural, namespace, name)
        patched = apply_patch(clone(old), patch, self.tables[plural].resource.kind)
        if not isinstance(patched, dict):
            raise errors.bad_request("the patch did not result in an object")
        sent = (patched.get("metadata") or {}).get("resourceVersion")
        if sent and sent != old["metadata"]["resourceVersion"]:
            raise errors.conflict(plural, name)
        return self._update(
            plural=plural,
            old=old,
            new=patched,
            manager=manager,
            subresource=subresource,
            dry_run=dry_run,
        )

    def _update(
        self,
        *,
        plural: str,
        old: JSONObject,
        new: JSONObject,
        manager: str,
        subresource: str | None,
        dry_run: bool,
    ) -> JSONObject:
        table = self.tables[plural]
        resource = table.resource
        if subresource == "status":
            new = {**clone(old), "status": new.get("status", {})}
        old_meta = old["metadata"]
        meta = new.setdefault("metadata", {})
        for field in (
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generateName",
            "generation",
        ):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        meta["managedFields"] = old_meta.get("managedFields", [])
        meta["resourceVersion"] = old_meta["resourceVersion"]
        new["kind"], new["apiVersion"] = resource.kind, "v1"
        apply_defaults(resource.kind, new)
        if subresource is None:
            validate_update(resource.kind, old, new)
        if "generation" in meta and new.get("spec") != old.get("spec"):
            meta["generation"] = old_meta["generation"] + 1
        if _same(old, new):
            return old
        changed = changed_fields(old, new, status_only=subresource == "status")
        meta["managedFields"] = record_update(
            old_meta.get("managedFields"),
            changed,
            manager=manager,
            time=rfc3339(),
            subresource=subresource,
        )
        if dry_run:
            return new
        return self._commit(table, "MODIFIED", new, old)

    def delete(
        self,
        plural: str,
        namespace: str,
        name: str,
        *,
        preconditions: JSONObject | None = None,
        dry_run: bool = False,
    ) -> JSONObject:
        """DELETE: remove the object at once (no kubelet here to wait for) and return it."""
        old = self.get(plural, namespace, name)
        wanted = preconditions or {}
        if wanted.get("uid") and wanted["uid"] != old["metadata"]["uid"]:
            raise errors.conflict(plural, name)
        if (
            wanted.get("resourceVersion")
            and wanted["resourceVersion"] != old["metadata"]["resourceVersion"]
        ):
            raise errors.conflict(plural, name)
        if dry_run:
            return old
        if plural == "namespaces":
            for table in self.tables.values():
                if table.resource.namespaced:
                    for key in list(table.scan(name, None)):
                        self.delete(table.resource.plural, key[0], key[1])
        gone = clone(old)
        return self._commit(self.tables[plural], "DELETED", gone, old)

    def forget_history(self) -> None:
        """Compact: every resourceVersion older than the current one becomes too old."""
        for table in self.tables.values():
            table.forget_history(self.rv)

    def restart(self) -> None:
        """Act as an API server restart: watches end, history and continue tokens go."""
        self.forget_history()
        for table in self.tables.values():
            table.close_watches()
        self.epoch = uuid.uuid4().hex[:8]


def _same(old: JSONObject, new: JSONObject) -> bool:
    """Equal apart from the bookkeeping metadata a no-op write would not change."""

    def strip(obj: JSONObject) -> JSONObject:
        meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in _VOLATILE_META}
        return {**obj, "metadata": meta}

    return strip(old) == strip(new)
