"""A seeded workload: pods, pull secrets, service accounts and kubelet events that churn.

It writes straight into a :class:`Simulator` (never over HTTP, so chaos never hits it) and
records what a watcher must have seen: how much each pull-failure Event's ``count`` grew
after :meth:`Workload.populate` (the baseline an exporter's first LIST sees).

Events expire (kubelet's are deleted after an hour), and a deleted event's growth is
counted only if the watcher saw it before the delete. So the workload deletes an event
that grew only once :attr:`Workload.settled` says the watcher has caught up with it
(``bench.soak`` asks the exporter's ``/metrics``); without that hook only events that never
grew are deleted.

>>> sim = Simulator()
>>> load = Workload(sim, seed=1)
>>> load.populate()
>>> for _ in range(50):
...     load.step()
>>> load.steps, sum(growth for *_, growth in load.failure_growth()) >= 0
(50, True)
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exporter.simulator.errors import ApiError
from exporter.simulator.server import Simulator

JSONObject = dict[str, Any]
NAMESPACES = ("team-a", "team-b", "team-c")
REGISTRIES = ("ghcr.io", "docker.io", "quay.io", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")
SECRETS = tuple(f"pull-{i}" for i in range(5))
ACCOUNTS = tuple(f"robot-{i}" for i in range(3))
EXPIRES_AT = "imagepull-exporter/expires-at"
AUTH_FAILURE = (
    'failed to pull and unpack image "{image}": failed to resolve reference "{image}": '
    "failed to authorize: failed to fetch oauth token: unexpected status from GET request "
    "to https://{registry}/token: 401 Unauthorized"
)
NOT_FOUND = (
    'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
    'failed to resolve reference "{image}": {image}: not found'
)


@dataclass
class EventRecord:
    """A pull-failure Event the workload wrote, and how much its count grew."""

    namespace: str
    name: str
    reason: str
    message: str
    baseline: bool
    growth: int = 0


class Workload:
    """Random creates, updates and deletes; ``done`` counts them by action."""

    def __init__(self, sim: Simulator, seed: int, *, now: float | None = None) -> None:
        self.sim = sim
        self.random = random.Random(seed)
        self.now = int(now if now is not None else time.time())
        self.steps = 0
        self.done: Counter[str] = Counter()
        self.settled: Callable[[EventRecord], bool] | None = None
        """Whether a watcher has counted all of an event's growth, so deleting it now
        loses nothing (None: never assume so)."""
        self._events: dict[str, EventRecord] = {}  # by uid
        self._gone: list[EventRecord] = []  # deleted events, whose growth still counts
        self._serial = 0
        self._actions: list[tuple[Callable[[], None], int]] = [
            (self.create_pod, 3),
            (self.update_pod, 4),
            (self.delete_pod, 1),
            (self.put_secret, 3),
            (self.delete_secret, 1),
            (self.put_service_account, 2),
            (self.delete_service_account, 1),
            (self.create_event, 2),
            (self.bump_event, 5),
            (self.delete_event, 2),
        ]

    # --- driving -----------------------------------------------------------------------

    def populate(self) -> None:
        """The cluster before anyone watches it: each namespace gets a few of everything."""
        for _ in range(6):
            self.put_secret()
            self.put_service_account()
        for _ in range(12):
            self.create_pod()
        for _ in range(10):
            self.create_event()
        for record in self._events.values():
            record.baseline, record.growth = True, 0

    def step(self) -> None:
        """One random change."""
        actions, weights = zip(*self._actions, strict=True)
        action = self.random.choices(actions, weights)[0]
        self.steps += 1
        try:
            action()
        except ApiError:  # e.g. a name taken by an object created a moment ago
            self.done["conflict"] += 1

    async def run(self, duration: float, *, steps_per_second: float = 40.0) -> None:
        """Change the cluster at a steady pace for ``duration`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        while loop.time() < deadline:
            self.step()
            await asyncio.sleep(1 / steps_per_second)  # pacing, not synchronisation

    def failure_growth(self) -> list[tuple[str, str, str, int]]:
        """(namespace, reason, message, growth) of each event that grew after populate,
        deleted ones included (their growth was seen before they went)."""
        records = [*self._events.values(), *self._gone]
        return [(r.namespace, r.reason, r.message, r.growth) for r in records if r.growth]

    # --- pods ------------------------------------------------------------------------

    def _name(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}-{self._serial}"

    def _pods(self) -> list[JSONObject]:
        return list(self.sim.cluster.table("pods").objects.values())

    def create_pod(self) -> None:
        namespace = self.random.choice(NAMESPACES)
        registry = self.random.choice(REGISTRIES)
        image = f"{registry}/acme/app-{self.random.randrange(4)}:1.{self.random.randrange(3)}"
        spec: JSONObject = {"containers": [{"name": "app", "image": image}]}
        if self.random.random() < 0.5:
            spec["serviceAccountName"] = self.random.choice(ACCOUNTS)
        if self.random.random() < 0.7:
            spec["imagePullSecrets"] = [{"name": self.random.choice(SECRETS)}]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": self._name("pod"), "namespace": namespace},
            "spec": spec,
            "status": self._pod_status(image, failing=self.random.random() < 0.5),
        }
        self.sim.apply_objects([pod])  # creates the namespace too, if it is the first
        self.done["create_pod"] += 1

    def _pod_status(self, image: str, *, failing: bool) -> JSONObject:
        if not failing:
            state: JSONObject = {"running": {"startedAt": self._time()}}
            return {"phase": "Running", "containerStatuses": [_status(image, state, True)]}
        registry = image.split("/", 1)[0]
        template = AUTH_FAILURE if self.random.random() < 0.8 else NOT_FOUND
        reason = self.random.choice(("ImagePullBackOff", "ErrImagePull"))
        message = template.format(image=image, registry=registry)
        if reason == "ImagePullBackOff":
            message = f'Back-off pulling image "{image}": ErrImagePull: {message}'
        waiting = {"waiting": {"reason": reason, "message": message}}
        condition = {
            "type": "ContainersReady",
            "status": "False",
            "lastTransitionTime": self._time(-self.random.randrange(3600)),
        }
        return {
            "phase": "Pending",
            "conditions": [condition],
            "containerStatuses": [_status(image, waiting, False)],
        }

    def update_pod(self) -> None:
        """Fail, recover, or fail differently."""
        pods = self._pods()
        if not pods:
            return
        pod = self.sim.get("pods", *_where(self.random.choice(pods)))
        image = pod["spec"]["containers"][0]["image"]
        pod["status"] = self._pod_status(image, failing=self.random.random() < 0.5)
        del pod["metadata"]["resourceVersion"]
        self.sim.replace(pod)
        self.done["update_pod"] += 1

    def delete_pod(self) -> None:
        pods = self._pods()
        if pods:
            self.sim.delete("pods", *_where(self.random.choice(pods)))
            self.done["delete_pod"] += 1

    # --- secrets and service accounts ----------------------------------------------------

    def put_secret(self) -> None:
        """Create or rotate a pull secret: well-formed with an expiry, or malformed."""
        namespace, name = self.random.choice(NAMESPACES), self.random.choice(SECRETS)
        registry = self.random.choice(REGISTRIES)
        password = f"pw-{self.random.randrange(10**9)}"
        config: JSONObject = {
            "auths": {registry: {"auth": _b64(f"robot:{password}"), "username": "robot"}}
        }
        if self.random.random() < 0.2:
            config = {registry: {"auth": "not base64!"}}  # no "auths": a legacy mistake
        expires = self._time(self.random.randrange(2, 30) * 86400)
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/dockerconfigjson",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {EXPIRES_AT: expires},
            },
            "data": {".dockerconfigjson": _b64(json.dumps(config))},
        }
        self.sim.apply_objects([secret])
        self.done["put_secret"] += 1

    def delete_secret(self) -> None:
        secrets = list(self.sim.cluster.table("secrets").objects.values())
        pull = [s for s in secrets if s.get("type") == "kubernetes.io/dockerconfigjson"]
        if pull:
            self.sim.delete("secrets", *_where(self.random.choice(pull)))
            self.done["delete_secret"] += 1

    def put_service_account(self) -> None:
        namespace, name = self.random.choice(NAMESPACES), self.random.choice(ACCOUNTS)
        chosen = self.random.sample(SECRETS, self.random.randrange(0, 3))
        account = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace},
            "imagePullSecrets": [{"name": s} for s in chosen],
        }
        self.sim.apply_objects([account])
        self.done["put_service_account"] += 1

    def delete_service_account(self) -> None:
        accounts = [
            a
            for a in self.sim.cluster.table("serviceaccounts").objects.values()
            if a["metadata"]["name"] != "default"
        ]
        if accounts:
            self.sim.delete("serviceaccounts", *_where(self.random.choice(accounts)))
            self.done["delete_service_account"] += 1

    # --- kubelet events ---------------------------------------------------------------

    def create_event(self) -> None:
        """kubelet's first ``Failed`` event for a pod, with a count of 1 to 3."""
        pods = self._pods()
        if not pods:
            return
        pod = self.random.choice(pods)
        namespace, pod_name = _where(pod)
        image = pod["spec"]["containers"][0]["image"]
        registry = image.split("/", 1)[0]
        template = AUTH_FAILURE if self.random.random() < 0.8 else NOT_FOUND
        message = f'Failed to pull image "{image}": ' + template.format(
            image=image, registry=registry
        )
        count = self.random.randint(1, 3)
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": self._name(f"{pod_name}.pull"), "namespace": namespace},
            "involvedObject": {
                "kind": "Pod",
                "apiVersion": "v1",
                "name": pod_name,
                "namespace": namespace,
                "uid": pod["metadata"]["uid"],
            },
            "reason": "Failed",
            "message": message,
            "type": "Warning",
            "count": count,
            "firstTimestamp": self._time(),
            "lastTimestamp": self._time(),
            "source": {"component": "kubelet"},
        }
        created = self.sim.create(event)
        meta = created["metadata"]
        self._events[meta["uid"]] = EventRecord(
            namespace, meta["name"], "Failed", message, baseline=False, growth=count
        )
        self.done["create_event"] += 1

    def bump_event(self) -> None:
        """kubelet folds another failure into an existing event: ``count`` grows."""
        alive = self._alive_events()
        if not alive:
            return
        uid = self.random.choice(alive)
        record = self._events[uid]
        event = self.sim.get("events", record.namespace, record.name)
        grown = self.random.randint(1, 2)
        event["count"] = int(event.get("count") or 1) + grown
        event["lastTimestamp"] = self._time()
        del event["metadata"]["resourceVersion"]
        self.sim.replace(event)
        record.growth += grown
        self.done["bump_event"] += 1

    def delete_event(self) -> None:
        """An event expires: one that never grew, or one whose growth was seen."""
        deletable = [
            uid
            for uid in self._alive_events()
            if not self._events[uid].growth
            or (self.settled is not None and self.settled(self._events[uid]))
        ]
        if deletable:
            record = self._events.pop(self.random.choice(deletable))
            self.sim.delete("events", record.namespace, record.name)
            self._gone.append(record)
            self.done["delete_event" if not record.growth else "delete_grown_event"] += 1

    def _alive_events(self) -> list[str]:
        return sorted(self._events)

    def _time(self, offset: float = 0.0) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now + offset))


def _status(image: str, state: JSONObject, ready: bool) -> JSONObject:
    return {
        "name": "app",
        "image": image,
        "imageID": "",
        "ready": ready,
        "restartCount": 0,
        "state": state,
    }


def _where(obj: JSONObject) -> tuple[str, str]:
    meta = obj["metadata"]
    return str(meta.get("namespace", "")), str(meta["name"])


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
