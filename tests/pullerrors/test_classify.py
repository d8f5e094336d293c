"""Real kubelet pull messages, by cause, with where each wording comes from.

Each row is (message, cause, image, registry). Sources: kubelet
(pkg/kubelet/images/image_manager.go, throttled_puller.go, kubelet_pods.go), containerd
(core/remotes/docker/resolver.go, authorizer.go, fetcher.go; CRI image_pull.go),
CRI-O's containers/image (docker/docker_image_src.go, docker_client.go, shortnames),
dockershim / cri-dockerd (moby's daemon errors), and public issue reports (repository#number).
Registry-specific wording is in test_classify_registries.py.
"""
# ruff: noqa: E501  -- messages are kept verbatim, one per line, so they can be grepped.

from __future__ import annotations

import pytest

from exporter.pullerrors import Cause, classify

A, D, NF, RL = Cause.AUTH, Cause.DENIED, Cause.NOT_FOUND, Cause.RATE_LIMIT
DNS, NET, TLS, PLAT = Cause.DNS, Cause.NETWORK, Cause.TLS, Cause.PLATFORM
INV, NEVER, SECRET, DISK = Cause.INVALID_NAME, Cause.NEVER_PULL, Cause.SECRET_MISSING, Cause.DISK
BACKOFF, UNKNOWN = Cause.BACKOFF, Cause.UNKNOWN


def row(source: str, message: str, cause: Cause, image: str | None, registry: str | None) -> object:
    return pytest.param(message, cause, image, registry, id=f"{cause.value}:{source}")


KUBELET = [
    row(
        "kubelet image_manager.go bare back-off",
        'Back-off pulling image "nginx:1.27"',
        BACKOFF,
        "nginx:1.27",
        "docker.io",
    ),
    row(
        "whiteducksoftware/az-dns-forwarder#1 back-off",
        'Back-off pulling image "ghcr.io/whiteducksoftware/az-dns-forwarder/az-dns-forwarder:latest"',
        BACKOFF,
        "ghcr.io/whiteducksoftware/az-dns-forwarder/az-dns-forwarder:latest",
        "ghcr.io",
    ),
    row(
        "kastenhq/kubestr#66 back-off",
        'Back-off pulling image "ghcr.io/kastenhq/kubestr:latest"',
        BACKOFF,
        "ghcr.io/kastenhq/kubestr:latest",
        "ghcr.io",
    ),
    row(
        "kubelet image_manager.go back-off form around siderolabs/talos#1524's error",
        'Back-off pulling image "192.168.1.100:32000/core:0.2.19": ErrImagePull: rpc error: code = Unknown desc = failed to pull and unpack image "192.168.1.100:32000/core:0.2.19": failed to resolve reference "192.168.1.100:32000/core:0.2.19": failed to do request: Head https://192.168.1.100:32000/v2/core/manifests/0.2.19: http: server gave HTTP response to HTTPS client',
        TLS,
        "192.168.1.100:32000/core:0.2.19",
        "192.168.1.100:32000",
    ),
    row(
        "kubelet back-off inner NotFound, waiting message",
        'Back-off pulling image "mirror.gcr.io/library/nginx:1.27-alpne": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image "mirror.gcr.io/library/nginx:1.27-alpne": failed to resolve reference "mirror.gcr.io/library/nginx:1.27-alpne": mirror.gcr.io/library/nginx:1.27-alpne: not found',
        NF,
        "mirror.gcr.io/library/nginx:1.27-alpne",
        "mirror.gcr.io",
    ),
    row(
        "kubelet back-off inner dockershim denied",
        "Back-off pulling image \"nginxs\": ErrImagePull: Error response from daemon: pull access denied for nginxs, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        D,
        "nginxs",
        "docker.io",
    ),
    row(
        "kubelet back-off inner manifest unknown",
        'Back-off pulling image "ghcr.io/org/app:bad-tag": ErrImagePull: manifest unknown',
        NF,
        "ghcr.io/org/app:bad-tag",
        "ghcr.io",
    ),
    row(
        "kubelet back-off inner EOF pinging",
        'Back-off pulling image "rcr.rijksapps.nl/ghcr-rig/minbzk/fbs-demo-console:pr-307-63bd3e2": ErrImagePull: unable to pull image or OCI artifact: pull image err: pinging container registry rcr.rijksapps.nl: Get "https://rcr.rijksapps.nl/v2/": EOF',
        NET,
        "rcr.rijksapps.nl/ghcr-rig/minbzk/fbs-demo-console:pr-307-63bd3e2",
        "rcr.rijksapps.nl",
    ),
    row(
        "kubelet back-off inner unrecognised",
        'Back-off pulling image "busybox": ErrImagePull: something the runtime never said before',
        UNKNOWN,
        "busybox",
        "docker.io",
    ),
    row(
        "client-go events_cache.go aggregate of kubelet's Failed (containerd dial timeout)",
        '(combined from similar events): Failed to pull image "busybox:1.36.1": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/busybox:1.36.1": failed to resolve reference "docker.io/library/busybox:1.36.1": failed to do request: Head "https://registry-1.docker.io/v2/library/busybox/manifests/1.36.1": dial tcp 104.244.46.186:443: i/o timeout',
        NET,
        "busybox:1.36.1",
        "docker.io",
    ),
    row(
        "client-go events_cache.go aggregate of kubelet's Failed (connection reset)",
        '(combined from similar events): Failed to pull image "nginx:latest": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:latest": failed to resolve reference "docker.io/library/nginx:latest": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": read tcp 10.2.0.50:50896->18.233.78.24:443: read: connection reset by peer',
        NET,
        "nginx:latest",
        "docker.io",
    ),
    row(
        "client-go events_cache.go aggregate of kubelet's back-off with inner error",
        '(combined from similar events): Back-off pulling image "ghcr.io/acme/api:2": ErrImagePull: failed to pull and unpack image "ghcr.io/acme/api:2": failed to resolve reference "ghcr.io/acme/api:2": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fapi%3Apull&service=ghcr.io: 401 Unauthorized',
        A,
        "ghcr.io/acme/api:2",
        "ghcr.io",
    ),
    row(
        "client-go events_cache.go aggregate of kubelet's bare back-off",
        '(combined from similar events): Back-off pulling image "busybox:1.36.1"',
        BACKOFF,
        "busybox:1.36.1",
        "docker.io",
    ),
    row(
        "kubelet image_manager.go never pull",
        'Container image "log-pipeline-generator:latest" is not present with pull policy of Never',
        NEVER,
        "log-pipeline-generator:latest",
        "docker.io",
    ),
    row(
        "kubelet never pull, fully qualified",
        'Container image "us.gcr.io/hosted-grafana/pdc:0.1.415" is not present with pull policy of Never',
        NEVER,
        "us.gcr.io/hosted-grafana/pdc:0.1.415",
        "us.gcr.io",
    ),
    row(
        "kubelet never pull, docker.io explicit",
        'Container image "docker.io/lunanexa/postgres:16-bookworm-bb3e1a57" is not present with pull policy of Never',
        NEVER,
        "docker.io/lunanexa/postgres:16-bookworm-bb3e1a57",
        "docker.io",
    ),
    row("kubelet Error: summary of never pull", "Error: ErrImageNeverPull", NEVER, None, None),
    row("kubelet Error: summary of back-off", "Error: ImagePullBackOff", BACKOFF, None, None),
    row("kubelet Error: summary of pull", "Error: ErrImagePull", UNKNOWN, None, None),
    row(
        "kubelet image_manager.go default tag",
        'Failed to apply default image tag "nginx:1.27:alpine": couldn\'t parse image reference "nginx:1.27:alpine": invalid reference format',
        INV,
        None,
        None,
    ),
    row(
        "kubelet default tag, uppercase repository",
        'Failed to apply default image tag "MyRegistry/App:v1": couldn\'t parse image reference "MyRegistry/App:v1": invalid reference format: repository name must be lowercase',
        INV,
        None,
        None,
    ),
    row(
        "kubelet default tag, trailing space",
        'Failed to apply default image tag "nginx ": couldn\'t parse image reference "nginx ": invalid reference format',
        INV,
        None,
        None,
    ),
    row(
        "kubelet ErrRegistryUnavailable",
        "image pull failed for quay.io/prometheus/node-exporter:v1.8.2 because the registry is unavailable.",
        NET,
        "quay.io/prometheus/node-exporter:v1.8.2",
        "quay.io",
    ),
    row(
        "kubelet throttled_puller.go QPS",
        'Failed to pull image "busybox:1.36": pull QPS exceeded',
        RL,
        "busybox:1.36",
        "docker.io",
    ),
    row("kubelet QPS, bare waiting message", "pull QPS exceeded", RL, None, None),
    row(
        "kubelet kubelet_pods.go pull secrets",
        "Unable to retrieve some image pull secrets (ghcr-secret); attempting to pull the image may not succeed.",
        SECRET,
        None,
        None,
    ),
    row(
        "kubernetes docs pull secrets example",
        "Unable to retrieve some image pull secrets (<regcred>); attempting to pull the image may not succeed.",
        SECRET,
        None,
        None,
    ),
    row(
        "kubelet inspect, CRI-O short name (minikube#19395)",
        'Failed to inspect image "kicbase/echo-server:1.0": rpc error: code = Unknown desc = short-name "kicbase/echo-server:1.0" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
        INV,
        "kicbase/echo-server:1.0",
        "docker.io",
    ),
    row(
        "kubelet inspect, CRI-O short name (usernetes#208)",
        'ImageInspectError: Failed to inspect image "busybox": rpc error: code = Unknown desc = short-name "busybox:latest" did not resolve to an alias and no unqualified-search registries are defined in ""',
        INV,
        "busybox",
        "docker.io",
    ),
    row(
        "kubelet inspect, CRI-O no registries (minikube#2835)",
        'Failed to inspect image "nginx:alpine": rpc error: code = Unknown desc = no registries configured while trying to pull an unqualified image',
        INV,
        "nginx:alpine",
        "docker.io",
    ),
    row(
        "kubelet inspect, runtime down",
        'Failed to inspect image "nginx:1.27": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial unix /run/containerd/containerd.sock: connect: connection refused"',
        NET,
        "nginx:1.27",
        "docker.io",
    ),
    row(
        "kubelet pulling event is not a failure",
        'Pulling image "registry.k8s.io/pause:3.10"',
        UNKNOWN,
        "registry.k8s.io/pause:3.10",
        "registry.k8s.io",
    ),
]

CONTAINERD = [
    row(
        "containerd resolver.go not found",
        'Failed to pull image "nginx:1.14.2-nope": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.14.2-nope": failed to resolve reference "docker.io/library/nginx:1.14.2-nope": docker.io/library/nginx:1.14.2-nope: not found',
        NF,
        "nginx:1.14.2-nope",
        "docker.io",
    ),
    row(
        "containerd 2.x not found, no rpc prefix",
        'Failed to pull image "busybox:1.36-nonexistent-m1": failed to pull and unpack image "docker.io/library/busybox:1.36-nonexistent-m1": failed to resolve reference "docker.io/library/busybox:1.36-nonexistent-m1": docker.io/library/busybox:1.36-nonexistent-m1: not found',
        NF,
        "busybox:1.36-nonexistent-m1",
        "docker.io",
    ),
    row(
        "containerd resolver.go insufficient_scope (Docker Hub)",
        'Failed to pull image "acme/private-api:1.0": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/acme/private-api:1.0": failed to resolve reference "docker.io/acme/private-api:1.0": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
        D,
        "acme/private-api:1.0",
        "docker.io",
    ),
    row(
        "containerd resolver.go no basic auth (ECR)",
        'Failed to pull image "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1": rpc error: code = Unknown desc = failed to pull and unpack image "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1": failed to resolve reference "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials',
        A,
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    ),
    row(
        "containerd authorizer.go anonymous token 401",
        'Failed to pull image "registry.example.com/team/app:2.3": failed to pull and unpack image "registry.example.com/team/app:2.3": failed to resolve reference "registry.example.com/team/app:2.3": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://registry.example.com/service/token?scope=repository%3Ateam%2Fapp%3Apull&service=harbor-registry: 401 Unauthorized',
        A,
        "registry.example.com/team/app:2.3",
        "registry.example.com",
    ),
    row(
        "gitpod#14837 oauth token 401",
        '"proxy.replicated.com/proxy/gitpod/busybox:1": failed to resolve reference "proxy.replicated.com/proxy/gitpod/busybox:1": failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized',
        A,
        "proxy.replicated.com/proxy/gitpod/busybox:1",
        "proxy.replicated.com",
    ),
    row(
        "docker/docs#22787 oauth token 401 (Docker Hub outage)",
        '(HTTP code 500) server error - error from registry: failed to resolve reference "docker.io/docker/welcome-to-docker:latest": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://auth.docker.io/token?scope=repository%3Adocker%2Fwelcome-to-docker%3Apull&service=registry.docker.io: 401 Unauthorized',
        A,
        "docker.io/docker/welcome-to-docker:latest",
        "docker.io",
    ),
    row(
        "containerd fetcher.go unexpected status 401 on HEAD",
        'Failed to pull image "registry.internal:8443/ops/tool:1": failed to pull and unpack image "registry.internal:8443/ops/tool:1": failed to resolve reference "registry.internal:8443/ops/tool:1": unexpected status from HEAD request to https://registry.internal:8443/v2/ops/tool/manifests/1: 401 Unauthorized',
        A,
        "registry.internal:8443/ops/tool:1",
        "registry.internal:8443",
    ),
    row(
        "containerd fetcher.go unexpected status 403 on HEAD",
        'Failed to pull image "registry.internal:8443/ops/tool:1": failed to pull and unpack image "registry.internal:8443/ops/tool:1": failed to resolve reference "registry.internal:8443/ops/tool:1": unexpected status from HEAD request to https://registry.internal:8443/v2/ops/tool/manifests/1: 403 Forbidden',
        D,
        "registry.internal:8443/ops/tool:1",
        "registry.internal:8443",
    ),
    row(
        "containerd fetcher.go 500 on HEAD",
        'Failed to pull image "registry.internal:8443/ops/tool:1": failed to pull and unpack image "registry.internal:8443/ops/tool:1": failed to resolve reference "registry.internal:8443/ops/tool:1": unexpected status from HEAD request to https://registry.internal:8443/v2/ops/tool/manifests/1: 500 Internal Server Error',
        NET,
        "registry.internal:8443/ops/tool:1",
        "registry.internal:8443",
    ),
    row(
        "containerd fetcher.go 502 on blob",
        'Failed to pull image "quay.io/jetstack/cert-manager-controller:v1.15.3": rpc error: code = Unknown desc = failed to pull and unpack image "quay.io/jetstack/cert-manager-controller:v1.15.3": failed to copy: httpReadSeeker: failed open: unexpected status code https://quay.io/v2/jetstack/cert-manager-controller/blobs/sha256:8d2f3b5c0c43d0e2a1c2c4e8b7f9b1e0a6d3c5f7e9b1d3f5a7c9e1b3d5f7a9c1: 502 Bad Gateway',
        NET,
        "quay.io/jetstack/cert-manager-controller:v1.15.3",
        "quay.io",
    ),
    row(
        "containerd 503 on manifest",
        'Failed to pull image "registry.gitlab.com/acme/web:main": failed to pull and unpack image "registry.gitlab.com/acme/web:main": failed to resolve reference "registry.gitlab.com/acme/web:main": unexpected status from HEAD request to https://registry.gitlab.com/v2/acme/web/manifests/main: 503 Service Unavailable',
        NET,
        "registry.gitlab.com/acme/web:main",
        "registry.gitlab.com",
    ),
    row(
        "containerd 504 on token",
        'Failed to pull image "docker.io/bitnami/redis:7.2": failed to pull and unpack image "docker.io/bitnami/redis:7.2": failed to resolve reference "docker.io/bitnami/redis:7.2": failed to authorize: failed to fetch oauth token: unexpected status from POST request to https://auth.docker.io/token: 504 Gateway Timeout',
        NET,
        "docker.io/bitnami/redis:7.2",
        "docker.io",
    ),
    row(
        "containerd 429 on HEAD (Docker Hub)",
        'Failed to pull image "redis:7": failed to pull and unpack image "docker.io/library/redis:7": failed to resolve reference "docker.io/library/redis:7": unexpected status from HEAD request to https://registry-1.docker.io/v2/library/redis/manifests/7: 429 Too Many Requests',
        RL,
        "redis:7",
        "docker.io",
    ),
    row(
        "containerd toomanyrequests body",
        'Failed to pull image "postgres:16": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/postgres:16": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/postgres/manifests/sha256:4aea012537edfad80f98d870a36e6b90b4c09b27be7f4b4759d72db863baeebb: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
        RL,
        "postgres:16",
        "docker.io",
    ),
    row(
        "containerd core/images/image.go no match for platform, kubelet-quoted short name",
        'Failed to pull image "nginx:1.14.2": rpc error: code = NotFound desc = failed to pull and unpack image "nginx:1.14.2": no match for platform in manifest: not found',
        PLAT,
        "nginx:1.14.2",
        "docker.io",
    ),
    row(
        "containerd platform ECR",
        'Failed to pull image "202516977224.dkr.ecr.ap-northeast-1.amazonaws.com/sre-portfolio/api:latest": rpc error: code = NotFound desc = failed to pull and unpack image "202516977224.dkr.ecr.ap-northeast-1.amazonaws.com/sre-portfolio/api:latest": no match for platform in manifest: not found',
        PLAT,
        "202516977224.dkr.ecr.ap-northeast-1.amazonaws.com/sre-portfolio/api:latest",
        "202516977224.dkr.ecr.ap-northeast-1.amazonaws.com",
    ),
    row(
        "containerd platform, no rpc",
        'failed to pull and unpack image "docker.io/library/eclipse-temurin:17-jre-alpine": no match for platform in manifest: not found',
        PLAT,
        "docker.io/library/eclipse-temurin:17-jre-alpine",
        "docker.io",
    ),
    row(
        "containerd dns no such host",
        'Failed to pull image "registry.local/app:1": rpc error: code = Unknown desc = failed to pull and unpack image "registry.local/app:1": failed to resolve reference "registry.local/app:1": failed to do request: Head "https://registry.local/v2/app/manifests/1": dial tcp: lookup registry.local on 10.96.0.10:53: no such host',
        DNS,
        "registry.local/app:1",
        "registry.local",
    ),
    row(
        "containerd dns server misbehaving",
        'Failed to pull image "quay.io/cilium/cilium:v1.16.1": rpc error: code = Unknown desc = failed to pull and unpack image "quay.io/cilium/cilium:v1.16.1": failed to resolve reference "quay.io/cilium/cilium:v1.16.1": failed to do request: Head "https://quay.io/v2/cilium/cilium/manifests/v1.16.1": dial tcp: lookup quay.io on 127.0.0.53:53: server misbehaving',
        DNS,
        "quay.io/cilium/cilium:v1.16.1",
        "quay.io",
    ),
    row(
        "containerd dns lookup timeout",
        'Failed to pull image "busybox:1.36.1": failed to pull and unpack image "docker.io/library/busybox:1.36.1": failed to resolve reference "docker.io/library/busybox:1.36.1": failed to do request: Head "https://registry-1.docker.io/v2/library/busybox/manifests/1.36.1": dial tcp: lookup registry-1.docker.io on 192.168.65.7:53: read udp 192.168.65.3:45102->192.168.65.7:53: i/o timeout',
        DNS,
        "busybox:1.36.1",
        "docker.io",
    ),
    row(
        "containerd resolver.go dial i/o timeout (dagger/dagger#8705)",
        'failed to do request: Head "https://registry-1.docker.io/v2/library/docker/manifests/24-dind": dial tcp 162.125.2.3:443: i/o timeout',
        NET,
        "registry-1.docker.io/library/docker:24-dind",
        "docker.io",
    ),
    row(
        "containerd connection refused",
        'Failed to pull image "busybox:1.36.1": failed to pull and unpack image "docker.io/library/busybox:1.36.1": failed to resolve reference "docker.io/library/busybox:1.36.1": failed to do request: Head "https://registry-1.docker.io/v2/library/busybox/manifests/1.36.1": dial tcp 162.125.80.5:443: connect: connection refused',
        NET,
        "busybox:1.36.1",
        "docker.io",
    ),
    row(
        "containerd connection reset",
        'Failed to pull image "busybox:1.36.1": failed to pull and unpack image "docker.io/library/busybox:1.36.1": failed to copy: read tcp 10.2.0.49:55386->52.202.41.60:443: read: connection reset by peer',
        NET,
        "busybox:1.36.1",
        "docker.io",
    ),
    row(
        "containerd TLS handshake timeout",
        'Failed to pull image "registry.k8s.io/kube-proxy:v1.31.0": rpc error: code = Unknown desc = failed to pull and unpack image "registry.k8s.io/kube-proxy:v1.31.0": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-registry-k8s-io-us-east-1.s3.dualstack.us-east-1.amazonaws.com/containers/images/sha256:ad83b2ca7b09e6162f96f933eecded731cbebf049c78f941fd0ce560a86b6494": net/http: TLS handshake timeout',
        NET,
        "registry.k8s.io/kube-proxy:v1.31.0",
        "registry.k8s.io",
    ),
    row(
        "containerd unexpected EOF on blob",
        'Failed to pull image "ghcr.io/dexidp/dex:v2.41.1": rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/dexidp/dex:v2.41.1": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://pkg-containers.githubusercontent.com/ghcr1/blobs/sha256:5a3b": unexpected EOF',
        NET,
        "ghcr.io/dexidp/dex:v2.41.1",
        "ghcr.io",
    ),
    row(
        "containerd DeadlineExceeded (unreachable registry)",
        'Failed to pull image "10.255.255.1:5000/app/nope:v1": rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "10.255.255.1:5000/app/nope:v1": failed to resolve reference "10.255.255.1:5000/app/nope:v1": failed to do request: Head "https://10.255.255.1:5000/v2/app/nope/manifests/v1": dial tcp 10.255.255.1:5000: i/o timeout',
        NET,
        "10.255.255.1:5000/app/nope:v1",
        "10.255.255.1:5000",
    ),
    # containerd cancels a pull that made no progress for image_pull_progress_timeout (the
    # report's log: "cancel pulling image ... because of no progress in 1m0s"): a stalled
    # transfer. A pull cancelled because its pod went away says the same, for a pod whose
    # series are about to vanish anyway.
    row(
        "kubernetes#131521 code = Canceled",
        'Failed to pull image "private_registery.mydomain/csg/idrac_to_kafka:1.2": rpc error: code = Canceled desc = failed to pull and unpack image "private_registery.mydomain/csg/idrac_to_kafka:1.2": context canceled',
        NET,
        None,
        None,
    ),
    row(
        "containerd context deadline exceeded",
        'Failed to pull image "nvcr.io/nvidia/tritonserver:24.08-py3": rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "nvcr.io/nvidia/tritonserver:24.08-py3": failed to copy: read tcp 10.0.3.7:51234->104.18.10.1:443: read: context deadline exceeded',
        NET,
        "nvcr.io/nvidia/tritonserver:24.08-py3",
        "nvcr.io",
    ),
    row(
        "containerd no route to host",
        'Failed to pull image "harbor.corp.example/platform/api:3.1": failed to pull and unpack image "harbor.corp.example/platform/api:3.1": failed to resolve reference "harbor.corp.example/platform/api:3.1": failed to do request: Head "https://harbor.corp.example/v2/platform/api/manifests/3.1": dial tcp 10.20.0.5:443: connect: no route to host',
        NET,
        "harbor.corp.example/platform/api:3.1",
        "harbor.corp.example",
    ),
    row(
        "containerd proxyconnect",
        'Failed to pull image "alpine:3.20": failed to pull and unpack image "docker.io/library/alpine:3.20": failed to resolve reference "docker.io/library/alpine:3.20": failed to do request: Head "https://registry-1.docker.io/v2/library/alpine/manifests/3.20": proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused',
        NET,
        "alpine:3.20",
        "docker.io",
    ),
    row(
        "containerd x509 unknown authority",
        'Failed to pull image "registry.corp.example:5000/team/svc:1.4": rpc error: code = Unknown desc = failed to pull and unpack image "registry.corp.example:5000/team/svc:1.4": failed to resolve reference "registry.corp.example:5000/team/svc:1.4": failed to do request: Head "https://registry.corp.example:5000/v2/team/svc/manifests/1.4": tls: failed to verify certificate: x509: certificate signed by unknown authority',
        TLS,
        "registry.corp.example:5000/team/svc:1.4",
        "registry.corp.example:5000",
    ),
    row(
        "containerd x509 older wording",
        'Failed to pull image "registry.corp.example:5000/team/svc:1.4": rpc error: code = Unknown desc = failed to pull and unpack image "registry.corp.example:5000/team/svc:1.4": failed to resolve reference "registry.corp.example:5000/team/svc:1.4": failed to do request: Head https://registry.corp.example:5000/v2/team/svc/manifests/1.4: x509: certificate signed by unknown authority',
        TLS,
        "registry.corp.example:5000/team/svc:1.4",
        "registry.corp.example:5000",
    ),
    row(
        "containerd x509 wrong name",
        'Failed to pull image "10.0.0.20:5000/app:1": failed to pull and unpack image "10.0.0.20:5000/app:1": failed to resolve reference "10.0.0.20:5000/app:1": failed to do request: Head "https://10.0.0.20:5000/v2/app/manifests/1": tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.20 because it doesn\'t contain any IP SANs',
        TLS,
        "10.0.0.20:5000/app:1",
        "10.0.0.20:5000",
    ),
    row(
        "containerd x509 expired",
        'Failed to pull image "registry.lab/app:1": failed to pull and unpack image "registry.lab/app:1": failed to resolve reference "registry.lab/app:1": failed to do request: Head "https://registry.lab/v2/app/manifests/1": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2025-01-10T10:00:00Z is after 2024-12-31T23:59:59Z',
        TLS,
        "registry.lab/app:1",
        "registry.lab",
    ),
    row(
        "containerd HTTP registry",
        'Failed to pull image "localhost:5000/my-app:dev": rpc error: code = Unknown desc = failed to pull and unpack image "localhost:5000/my-app:dev": failed to resolve reference "localhost:5000/my-app:dev": failed to do request: Head "https://localhost:5000/v2/my-app/manifests/dev": http: server gave HTTP response to HTTPS client',
        TLS,
        "localhost:5000/my-app:dev",
        "localhost:5000",
    ),
    row(
        "containerd TLS not a handshake",
        'Failed to pull image "registry.lab:80/app:1": failed to pull and unpack image "registry.lab:80/app:1": failed to resolve reference "registry.lab:80/app:1": failed to do request: Head "https://registry.lab:80/v2/app/manifests/1": tls: first record does not look like a TLS handshake',
        TLS,
        "registry.lab:80/app:1",
        "registry.lab:80",
    ),
    row(
        "containerd remote tls error",
        'Failed to pull image "registry.lab/app:1": failed to pull and unpack image "registry.lab/app:1": failed to resolve reference "registry.lab/app:1": failed to do request: Head "https://registry.lab/v2/app/manifests/1": remote error: tls: handshake failure',
        TLS,
        "registry.lab/app:1",
        "registry.lab",
    ),
    row(
        "containerd extract no space",
        'Failed to pull image "pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime": failed to extract layer sha256:7fbc2c4b4d2f1e9f8a0c8bb0e86b1e3a4f0e6c3b2a1d0f9e8d7c6b5a4f3e2d1c: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/312/fs/opt/conda/lib/libtorch_cuda.so: no space left on device: unknown',
        DISK,
        "pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime",
        "docker.io",
    ),
    row(
        "containerd copy no space",
        'Failed to pull image "ghcr.io/open-webui/open-webui:main": failed to pull and unpack image "ghcr.io/open-webui/open-webui:main": failed to copy: write /var/lib/containerd/io.containerd.content.v1.content/ingest/1c2b/data: no space left on device',
        DISK,
        "ghcr.io/open-webui/open-webui:main",
        "ghcr.io",
    ),
    row(
        "containerd extract mount failure",
        'Failed to pull image "mcr.microsoft.com/windows/servercore:ltsc2022": rpc error: code = Unknown desc = failed to pull and unpack image "mcr.microsoft.com/windows/servercore:ltsc2022": failed to extract layer sha256:1b2c3d: hcsshim::ProcessBaseLayer: The system cannot find the path specified.: unknown',
        DISK,
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "mcr.microsoft.com",
    ),
    row(
        "containerd rootfs/apply.go + snapshots/storage: extraction snapshot, missing parent",
        'Failed to pull image "nginx": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:latest": failed to prepare extraction snapshot "extract-123456789-abcd sha256:9f3c1a": failed to create snapshot: missing parent "k8s.io/1/sha256:4d2e7b" bucket: not found',
        DISK,
        "nginx",
        "docker.io",
    ),
    row(
        "containerd/containerd#9128 symlink permission denied while extracting",
        'Failed to pull image "docker.io/calico/node:v3.25.1": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/calico/node:v3.25.1": failed to extract layer sha256:b1d7f02a32791d579abb161bccbf82ba1deaa7fb57805c93e84ddd30f0cb9560: mount callback failed on /var/lib/containerd/tmpmounts/containerd-mount3830924437: symlink /usr/lib/systemd/system/reboot.target /var/lib/containerd/tmpmounts/containerd-mount3830924437/etc/systemd/system/ctrl-alt-del.target: permission denied: unknown',
        DISK,
        "docker.io/calico/node:v3.25.1",
        "docker.io",
    ),
    row(
        "containerd unpack layer",
        'Failed to pull image "elastic/elasticsearch:8.15.0": failed to pull and unpack image "docker.io/elastic/elasticsearch:8.15.0": failed to unpack layer sha256:9f3c: input/output error',
        DISK,
        "elastic/elasticsearch:8.15.0",
        "docker.io",
    ),
]


@pytest.mark.parametrize(("message", "cause", "image", "registry"), KUBELET + CONTAINERD)
def test_kubelet_and_containerd_messages(
    message: str, cause: Cause, image: str | None, registry: str | None
) -> None:
    found = classify(message)
    assert (found.cause, found.image, found.registry) == (cause, image, registry)
