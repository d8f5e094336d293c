"""A realistic synthetic cluster for benchmarks: pods, service accounts, pull secrets of
every credential kind, and kubelet events for the failing pods.

Objects have the size and shape of real ones (labels, owner references, managedFields,
env, resources, conditions, container statuses), because parse cost is most of the work.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import time
from collections.abc import Iterator
from typing import Any

import jwt

Obj = dict[str, Any]
PODS_PER_NAMESPACE = 500
REGISTRIES = (
    "ghcr.io",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "acmeprod.azurecr.io",
    "europe-docker.pkg.dev",
    "registry.gitlab.com",
    "docker.io",
    "quay.io",
    "harbor.internal.example:8443",
)
AUTH_401 = (
    'Back-off pulling image "{image}": ErrImagePull: failed to pull and unpack image '
    '"{image}": failed to resolve reference "{image}": failed to authorize: failed to fetch '
    "oauth token: unexpected status from GET request to https://{registry}/token: 401 Unauthorized"
)


def _ts(offset: float = 0.0) -> str:
    return _minute_ts(offset, int(time.time()) // 60)


@functools.lru_cache(maxsize=256)
def _minute_ts(offset: float, minute: int) -> str:
    # to the minute: formatting every timestamp of every object was 6% of a 150k-pod load
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minute * 60 + offset))


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def _password(kind: int, n: int) -> tuple[str, str]:
    now = int(time.time())
    match kind:
        case 0:
            return "user", f"ghp_{n:036d}"
        case 1:
            payload = {
                "payload": "x" * 200,
                "datakey": "y" * 60,
                "version": "2",
                "type": "DATA_KEY",
                "expiration": now + 6 * 3600,
            }
            return "AWS", _b64(json.dumps(payload))
        case 2:
            token = jwt.encode({"exp": now + 3 * 3600, "iat": now}, "k" * 32, algorithm="HS256")
            return "00000000-0000-0000-0000-000000000000", token
        case 3:
            return "oauth2accesstoken", f"ya29.{n:0120d}"
        case 4:
            return "deploy", f"glpat-{n:020d}"
        case 5:
            return "robot", f"dckr_pat_{n:027d}"
        case 6:
            token = jwt.encode({"exp": now + 30 * 86400, "iat": now}, "k" * 32, algorithm="HS256")
            return "robot$ci", token
        case _:
            return "ci", f"plain-password-{n}"


def secret(namespace: str, index: int, n: int) -> Obj:
    kind = n % len(REGISTRIES)
    registry = REGISTRIES[kind]
    username, password = _password(kind, n)
    key = "https://index.docker.io/v1/" if registry == "docker.io" else registry
    blob = {
        "auths": {
            key: {
                "username": username,
                "password": password,
                "auth": _b64(f"{username}:{password}"),
            }
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/dockerconfigjson",
        "metadata": {
            "name": f"pull-{index}",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "external-secrets"},
            "annotations": {"imagepull-exporter/expires-at": _ts(90 * 86400)},
        },
        "data": {".dockerconfigjson": _b64(json.dumps(blob))},
    }


def _container(name: str, image: str) -> Obj:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "env": [{"name": f"SETTING_{i}", "value": f"value-{i}"} for i in range(6)],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
        "volumeMounts": [
            {
                "name": "kube-api-access",
                "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            }
        ],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def _status(name: str, image: str, failing: bool, registry: str) -> Obj:
    if failing:
        state: Obj = {
            "waiting": {
                "reason": "ImagePullBackOff",
                "message": AUTH_401.format(image=image, registry=registry),
            }
        }
        return {
            "name": name,
            "image": image,
            "imageID": "",
            "ready": False,
            "restartCount": 0,
            "started": False,
            "state": state,
        }
    return {
        "name": name,
        "image": image,
        "ready": True,
        "restartCount": 0,
        "started": True,
        "imageID": f"{image.split(':', maxsplit=1)[0]}@sha256:{'a' * 64}",
        "containerID": f"containerd://{'b' * 64}",
        "state": {"running": {"startedAt": _ts(-86400)}},
    }


def pod(namespace: str, index: int, secrets: int, failing: bool, rng: random.Random) -> Obj:
    registry = REGISTRIES[index % len(REGISTRIES)]
    app = f"app-{index % 40}"
    images = [f"{registry}/acme/{app}-{c}:1.{index % 9}.0" for c in range(1 + index % 3)]
    names = [f"c{c}" for c in range(len(images))]
    owner = f"{app}-{index % 7:x}f9d8c7b6"
    name = f"{owner}-{index:05x}"
    managed = [
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": _ts(-86400),
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:generateName": {},
                    "f:labels": {"f:app": {}, "f:pod-template-hash": {}},
                    "f:ownerReferences": {},
                },
                "f:spec": {
                    "f:containers": {
                        f'k:{{"name":"{n}"}}': {
                            ".": {},
                            "f:env": {},
                            "f:image": {},
                            "f:name": {},
                            "f:resources": {},
                        }
                        for n in names
                    }
                },
            },
        },
        {
            "manager": "kubelet",
            "operation": "Update",
            "apiVersion": "v1",
            "time": _ts(-86000),
            "fieldsType": "FieldsV1",
            "subresource": "status",
            "fieldsV1": {
                "f:status": {
                    "f:conditions": {},
                    "f:containerStatuses": {},
                    "f:hostIP": {},
                    "f:phase": {},
                    "f:podIP": {},
                }
            },
        },
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generateName": f"{owner}-",
            "labels": {"app": app, "pod-template-hash": owner[-10:], "team": "payments"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": _ts(-90000)},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": owner,
                    "uid": f"{index:08d}-0000-4000-8000-000000000000",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": managed,
        },
        "spec": {
            "serviceAccountName": "app",
            "imagePullSecrets": [{"name": f"pull-{index % secrets}"}] if secrets else [],
            "containers": [_container(n, i) for n, i in zip(names, images, strict=True)],
            "nodeName": f"node-{rng.randrange(5000)}",
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
            "volumes": [
                {
                    "name": "kube-api-access",
                    "projected": {
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
                        ]
                    },
                }
            ],
        },
        "status": {
            "phase": "Pending" if failing else "Running",
            "conditions": [
                {
                    "type": t,
                    "status": "False" if failing and t != "PodScheduled" else "True",
                    "lastTransitionTime": _ts(-86000),
                }
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "hostIP": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
            "podIP": f"10.244.{rng.randrange(256)}.{rng.randrange(256)}",
            "startTime": _ts(-86400),
            "qosClass": "Burstable",
            "containerStatuses": [
                _status(n, i, failing, registry) for n, i in zip(names, images, strict=True)
            ],
        },
    }


def event(pod_obj: Obj, n: int) -> Obj:
    meta = pod_obj["metadata"]
    image = pod_obj["spec"]["containers"][0]["image"]
    registry = image.split("/")[0]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{n:016x}", "namespace": meta["namespace"]},
        "involvedObject": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "apiVersion": "v1",
            "fieldPath": "spec.containers{c0}",
        },
        "reason": "Failed",
        "message": f'Failed to pull image "{image}": '
        + AUTH_401.format(image=image, registry=registry).split(": ErrImagePull: ", 1)[1],
        "source": {"component": "kubelet", "host": pod_obj["spec"]["nodeName"]},
        "firstTimestamp": _ts(-3600),
        "lastTimestamp": _ts(-60),
        "count": 12,
        "type": "Warning",
        "reportingComponent": "kubelet",
    }


def generate(pods: int, secrets: int, failing_fraction: float, seed: int = 1) -> Iterator[Obj]:
    """Namespaces' objects in creation order: service accounts, secrets, pods, events.

    Exactly ``secrets`` pull secrets, spread as evenly as the namespaces allow; pods and
    service accounts reference only secrets of their own namespace."""
    rng = random.Random(seed)
    namespaces = max(1, -(-pods // PODS_PER_NAMESPACE))
    made_secrets = 0
    for ns_index in range(namespaces):
        namespace = f"team-{ns_index:04d}"
        in_namespace = secrets // namespaces + (ns_index < secrets % namespaces)
        yield {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "app", "namespace": namespace},
            "imagePullSecrets": [{"name": "pull-0"}] if in_namespace else [],
        }
        for s in range(in_namespace):
            yield secret(namespace, s, made_secrets)
            made_secrets += 1
        first = ns_index * PODS_PER_NAMESPACE
        for index in range(first, min(first + PODS_PER_NAMESPACE, pods)):
            failing = rng.random() < failing_fraction
            obj = pod(namespace, index, in_namespace, failing, rng)
            yield obj
            if failing:
                yield event(obj, index)
