"""The bounded set of pull-failure causes and what an SRE should do about each.

The enum values are the ``cause`` label values of the pull-failure metrics, so adding or
renaming a member changes the metric contract (alerts, dashboards, docs).

>>> Cause("rate_limit") is Cause.RATE_LIMIT
True
>>> hint(Cause.NEVER_PULL).startswith("The image is not on the node")
True
"""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    """Why kubelet could not pull an image; the value is the metric label value."""

    AUTH = "auth"
    DENIED = "denied"
    NOT_FOUND = "not_found"
    RATE_LIMIT = "rate_limit"
    DNS = "dns"
    NETWORK = "network"
    TLS = "tls"
    PLATFORM = "platform"
    INVALID_NAME = "invalid_name"
    NEVER_PULL = "never_pull"
    SECRET_MISSING = "secret_missing"
    DISK = "disk"
    BACKOFF = "backoff"
    UNKNOWN = "unknown"


_HINTS: dict[Cause, str] = {
    Cause.AUTH: (
        "The registry rejected or did not get credentials: refresh the pull secret with the "
        "command imagepull-exporter check prints for it, or put_pull_secret from "
        "docs/runbooks.md: both take the token at a prompt or on stdin and keep the secret's "
        "other registries (kubectl create secret docker-registry --docker-password would put "
        "the token on the command line, and applying its output would copy it into the "
        "last-applied annotation). Then check the pod or its service account lists the "
        "secret in imagePullSecrets and restart the pods. Harbor also answers 401 "
        "'unauthorized to access repository' to a robot account without pull permission on "
        "the project."
    ),
    Cause.DENIED: (
        "The credentials are valid but may not read this repository (or it does not "
        "exist, which Docker Hub reports the same way): check the image name, then grant "
        "the pull secret's identity read access (AcrPull, roles/artifactregistry.reader, "
        "ECR repository policy, read:packages)."
    ),
    Cause.NOT_FOUND: (
        "The repository or tag does not exist in the registry: check the image name and "
        "tag for typos and that the image was pushed (e.g. crane ls REPOSITORY)."
    ),
    Cause.RATE_LIMIT: (
        "The registry or kubelet throttled pulls: authenticate to the registry "
        "(Docker Hub counts anonymous pulls per IP), use a pull-through mirror, or raise "
        "kubelet registryPullQPS/registryBurst."
    ),
    Cause.DNS: (
        "The node could not resolve the registry host: check the host name, the node's "
        "/etc/resolv.conf and upstream DNS."
    ),
    Cause.NETWORK: (
        "The node could not reach the registry, or the registry failed (timeout, reset, "
        "5xx): check egress, proxies, firewalls and the registry's status page; kubelet "
        "retries by itself."
    ),
    Cause.TLS: (
        "TLS to the registry failed: install the registry's CA on the nodes "
        "(containerd certs.d / /etc/containers/certs.d) or fix the certificate; use HTTPS, "
        "or declare the registry insecure in the runtime if it only speaks HTTP."
    ),
    Cause.PLATFORM: (
        "The image has no variant for the node's OS/architecture: build and push a "
        "multi-arch image, or schedule the pod onto matching nodes (nodeSelector "
        "kubernetes.io/arch)."
    ),
    Cause.INVALID_NAME: (
        "The image reference is not valid or is a short name the runtime refuses: fix the "
        "image field and use a fully qualified name (registry/repository:tag)."
    ),
    Cause.NEVER_PULL: (
        "The image is not on the node and imagePullPolicy is Never: load the image on the "
        "node (kind load, minikube image load, ctr import) or change the pull policy."
    ),
    Cause.SECRET_MISSING: (
        "A pull secret named by the pod or its service account does not exist in the pod's "
        "namespace: create it there (secrets are not shared across namespaces) or fix the "
        "name in imagePullSecrets."
    ),
    Cause.DISK: (
        "The node could not store or unpack the image layers: free disk space on the "
        "node's image filesystem (crictl rmi --prune) and check its health (read-only or "
        "failing disk, permissions or SELinux labels on the runtime's storage, a corrupt "
        "snapshot)."
    ),
    Cause.BACKOFF: (
        "kubelet is waiting before retrying an earlier failed pull: look at the pod's "
        "earlier 'Failed to pull image' event or waiting message for the cause."
    ),
    Cause.UNKNOWN: (
        "The message matched no known cause: read the full event with kubectl describe "
        "pod and the runtime's logs on the node (journalctl -u containerd or crio)."
    ),
}


def hint(cause: Cause) -> str:
    """A one-line human hint of what to do about ``cause``.

    >>> hint(Cause.SECRET_MISSING).split(":")[0]
    "A pull secret named by the pod or its service account does not exist in the pod's namespace"
    """
    return _HINTS[cause]
