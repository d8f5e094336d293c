"""Real pull messages through CRI-O and dockershim/cri-dockerd, and per-registry wording.

Each row is (message, cause, image, registry), its id naming the source: the runtime's
source (containers/image docker/docker_image_src.go, docker_client.go,
storage/storage_dest.go, pkg/shortnames; CRI-O internal/storage/image.go; moby
distribution/errors.go, daemon/images, registry errors as cri-dockerd relays them) or the
public issue where the message was reported (repository#number). Registry
wording: Docker Hub, ECR, GCR / Artifact Registry, ACR, GHCR, Quay, GitLab, Harbor,
registry.k8s.io and self-hosted distribution.
"""
# ruff: noqa: E501  -- messages are kept verbatim, one per line, so they can be grepped.

from __future__ import annotations

import pytest

from exporter.pullerrors import Cause, classify

A, D, NF, RL = Cause.AUTH, Cause.DENIED, Cause.NOT_FOUND, Cause.RATE_LIMIT
DNS, NET, TLS, PLAT = Cause.DNS, Cause.NETWORK, Cause.TLS, Cause.PLATFORM
INV, DISK = Cause.INVALID_NAME, Cause.DISK

ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def row(source: str, message: str, cause: Cause, image: str | None, registry: str | None) -> object:
    return pytest.param(message, cause, image, registry, id=f"{cause.value}:{source}")


CRIO = [
    row(
        "stolostron/deploy#2 Quay digest",
        'Failed to pull image "quay.io/open-cluster-management/multicloudhub-operator-bundle@sha256:ba919b34aa7c7c7135f4474791defb6240ff1af2491b876c25ba960af81c5267": rpc error: code = Unknown desc = Error reading manifest sha256:ba919b34aa7c7c7135f4474791defb6240ff1af2491b876c25ba960af81c5267 in quay.io/open-cluster-management/multicloudhub-operator-bundle: unauthorized: access to the requested resource is not authorized',
        A,
        "quay.io/open-cluster-management/multicloudhub-operator-bundle@sha256:ba919b34aa7c7c7135f4474791defb6240ff1af2491b876c25ba960af81c5267",
        "quay.io",
    ),
    row(
        "vouch/vouch-proxy#505 Quay typo",
        "initializing source docker://quay.io/voucher/vouch-proxy:latest: reading manifest latest in quay.io/voucher/vouch-proxy: unauthorized: access to the requested resource is not authorized",
        A,
        "quay.io/voucher/vouch-proxy:latest",
        "quay.io",
    ),
    row(
        "skopeo#1665 Quay",
        "rpc error: code = Unknown desc = reading manifest v1.7.0 in quay.io/roboops/image: unauthorized: access to the requested resource is not authorized",
        A,
        "quay.io/roboops/image:v1.7.0",
        "quay.io",
    ),
    row(
        "podman#3022 Docker Hub nonexistent",
        "Error determining manifest MIME type for docker://prahapiraticz_site:latest: Error reading manifest latest in docker.io/library/prahapiraticz_site: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required\n",
        D,
        "prahapiraticz_site:latest",
        "docker.io",
    ),
    row(
        "podman#9990 Docker Hub typo",
        "Error initializing source docker://sonartype/nexus3:latest: Error reading manifest latest in docker.io/sonartype/nexus3: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required",
        D,
        "sonartype/nexus3:latest",
        "docker.io",
    ),
    row(
        "containers/image#1090 fedora manifest unknown",
        "Error initializing source docker://registry.fedoraproject.org/idonotexist:latest: Error reading manifest latest in registry.fedoraproject.org/idonotexist: manifest unknown: manifest unknown",
        NF,
        "registry.fedoraproject.org/idonotexist:latest",
        "registry.fedoraproject.org",
    ),
    row(
        "containers/image#1090 Red Hat name unknown",
        "Error initializing source docker://registry.access.redhat.com/idonotexist:latest: Error reading manifest latest in registry.access.redhat.com/idonotexist: name unknown: Repo not found",
        NF,
        "registry.access.redhat.com/idonotexist:latest",
        "registry.access.redhat.com",
    ),
    row(
        "podman#3022 Quay HTML 404",
        'Error reading manifest latest in quay.io/prahapiraticz_site: error parsing HTTP 404 response body: invalid character \'<\' looking for beginning of value: "<!DOCTYPE HTML PUBLIC \\"-//W3C//DTD HTML 3.2 Final//EN\\">\\n<title>404 Not Found</title>"',
        NF,
        "quay.io/prahapiraticz_site:latest",
        "quay.io",
    ),
    row(
        "cri-o#3786 Quay outage 500",
        "Error initializing source docker://quay.io/crio/redis:alpine: unexpected http code: 500 (Internal Server Error), URL: https://quay.io/v2/auth?scope=repository%3Acrio%2Fredis%3Apull&service=quay.io",
        NET,
        "quay.io/crio/redis:alpine",
        "quay.io",
    ),
    row(
        "containers/image docker_client.go ping dns",
        'Failed to pull image "registry.internal/app:1": rpc error: code = Unknown desc = pinging container registry registry.internal: Get "https://registry.internal/v2/": dial tcp: lookup registry.internal on 10.0.0.2:53: no such host',
        DNS,
        "registry.internal/app:1",
        "registry.internal",
    ),
    row(
        "containers/image ping x509",
        'Failed to pull image "registry.internal/app:1": rpc error: code = Unknown desc = pinging container registry registry.internal: Get "https://registry.internal/v2/": x509: certificate signed by unknown authority',
        TLS,
        "registry.internal/app:1",
        "registry.internal",
    ),
    row(
        "containers/image ping plain http",
        'initializing source docker://10.1.2.3:5000/team/app:v2: pinging container registry 10.1.2.3:5000: Get "https://10.1.2.3:5000/v2/": http: server gave HTTP response to HTTPS client',
        TLS,
        "10.1.2.3:5000/team/app:v2",
        "10.1.2.3:5000",
    ),
    row(
        "opi image_pull_report TLS handshake timeout",
        'pinging container registry rcr.rijksapps.nl: Get "https://rcr.rijksapps.nl/v2/": net/http: TLS handshake timeout',
        NET,
        None,
        "rcr.rijksapps.nl",
    ),
    row(
        "containers/image manifest list platform",
        'Failed to pull image "docker.io/library/openjdk:8-jre-alpine": rpc error: code = Unknown desc = choosing an image from manifest list docker://openjdk:8-jre-alpine: no image found in manifest list for architecture arm64, variant "v8", OS linux',
        PLAT,
        "docker.io/library/openjdk:8-jre-alpine",
        "docker.io",
    ),
    row(
        "containers/image image index platform",
        'Failed to pull image "quay.io/acme/x86only:1": rpc error: code = Unknown desc = choosing an image from manifest list docker://quay.io/acme/x86only:1: no image found in image index for architecture "arm64", variant "v8", OS "linux"',
        PLAT,
        "quay.io/acme/x86only:1",
        "quay.io",
    ),
    row(
        "containers/image storage no space",
        'Failed to pull image "quay.io/ceph/ceph:v18": rpc error: code = Unknown desc = writing blob: storing blob to file "/var/tmp/storage2948813/1": write /var/tmp/storage2948813/1: no space left on device',
        DISK,
        "quay.io/ceph/ceph:v18",
        "quay.io",
    ),
    row(
        "containers/image toomanyrequests",
        'Failed to pull image "docker.io/library/nginx:1.27": rpc error: code = Unknown desc = reading manifest 1.27 in docker.io/library/nginx: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
        RL,
        "docker.io/library/nginx:1.27",
        "docker.io",
    ),
    row(
        "containers/image blob 503",
        'Failed to pull image "quay.io/minio/minio:latest": rpc error: code = Unknown desc = reading blob sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1: fetching blob: received unexpected HTTP status: 503 Service Unavailable',
        NET,
        "quay.io/minio/minio:latest",
        "quay.io",
    ),
    row(
        "podman#24989 short-name",
        'short-name "helloworld" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
        INV,
        "helloworld",
        "docker.io",
    ),
    row(
        "kamal_podman#10 short-name with namespace",
        'Error: short-name "basecamp/kamal-proxy:v0.9.0" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
        INV,
        "basecamp/kamal-proxy:v0.9.0",
        "docker.io",
    ),
    row(
        "filestash#689 short-name",
        '"machines/filestash:latest" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
        INV,
        None,
        None,
    ),
    row(
        "containers/image GitLab forbidden",
        "reading manifest 1.0 in registry.gitlab.com/acme/api: denied: access forbidden",
        D,
        "registry.gitlab.com/acme/api:1.0",
        "registry.gitlab.com",
    ),
    row(
        "opi image_pull_report quota",
        "ErrImagePull: reading manifest pr-692 in rcr.rijksapps.nl/ghcr-rig/org/app: denied: Quota has been exceeded on namespace",
        D,
        "rcr.rijksapps.nl/ghcr-rig/org/app:pr-692",
        "rcr.rijksapps.nl",
    ),
    # CRI-O >= 1.34 enforces short names (cri-o/cri-o#9401); internal/storage/image.go
    # rewords containers/image's "short-name resolution enforced but cannot prompt
    # without a TTY", and kubelet's InspectFailed event quotes the image as "".
    row(
        "longhorn/longhorn#12268 short name mode is enforcing",
        'Failed to inspect image "": rpc error: code = Unknown desc = short name mode is enforcing, but image name longhornio/longhorn-manager:v1.10.0 returns ambiguous list',
        INV,
        "longhornio/longhorn-manager:v1.10.0",
        "docker.io",
    ),
    row(
        "FusionAuth/charts#118 short name mode is enforcing (OKE)",
        'Failed to inspect image "": rpc error: code = Unknown desc = short name mode is enforcing, but image name fusionauth/fusionauth-app:1.60.2 returns ambiguous list',
        INV,
        "fusionauth/fusionauth-app:1.60.2",
        "docker.io",
    ),
    row(
        "1Password/connect-helm-charts#283 short name mode is enforcing",
        'Failed to inspect image "": rpc error: code = Unknown desc = short name mode is enforcing, but image name 1password/onepassword-operator:1.12.0 returns ambiguous list',
        INV,
        "1password/onepassword-operator:1.12.0",
        "docker.io",
    ),
    row(
        "containers/image pkg/shortnames enforcing without a TTY",
        "Error: short-name resolution enforced but cannot prompt without a TTY",
        INV,
        None,
        None,
    ),
    row(
        "containers/image pkg/shortnames without registries.conf",
        'short-name "busybox" did not resolve to an alias and no containers-registries.conf(5) was found',
        INV,
        "busybox",
        "docker.io",
    ),
    # gap: containers/storage failures committing a downloaded layer are the node's
    row(
        "orbstack/orbstack#1037 CRI-O adding layer, tar permission",
        'rpc error: code = Unknown desc = writing blob: adding layer with blob "sha256:bccd10f490ab0f3fba61b193d1b80af91b17ca9bdca9768a16ed05ce16552fcb": Error processing tar file(exit status 1): Error while loading /: Permission denied',
        DISK,
        None,
        None,
    ),
    row(
        "containers/storage chrootarchive processing tar file (xattrs unsupported)",
        'Failed to pull image "nginx:1.27": rpc error: code = Unknown desc = writing blob: adding layer with blob "sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1": processing tar file(lsetxattr /usr/bin/ping: operation not supported): exit status 1',
        DISK,
        "nginx:1.27",
        "docker.io",
    ),
    row(
        "containers/image storage_dest.go adding layer, unpacking failed",
        'Failed to pull image "quay.io/ansible/awx-ee:latest": rpc error: code = Unknown desc = writing blob: adding layer with blob "sha256:d865617f929d019bc8240e48ac30981f27cf3f56ab30b05c99164d4d7b904438": unpacking failed (error: exit status 1; output: open /usr/share/zoneinfo/zone.tab: no space left on device)',
        DISK,
        "quay.io/ansible/awx-ee:latest",
        "quay.io",
    ),
]

DOCKERSHIM = [
    row(
        "moby pull access denied (Docker Hub)",
        "Failed to pull image \"nginx:latest\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for nginx, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        D,
        "nginx:latest",
        "docker.io",
    ),
    row(
        "moby manifest unknown",
        'Failed to pull image "nginx:1.99": rpc error: code = Unknown desc = Error response from daemon: manifest for nginx:1.99 not found: manifest unknown: manifest unknown',
        NF,
        "nginx:1.99",
        "docker.io",
    ),
    row(
        "moby manifest unknown, no kubelet prefix",
        f"Error response from daemon: manifest for daturaai/torch@sha256:{'a' * 64} not found: manifest unknown",
        NF,
        f"daturaai/torch@sha256:{'a' * 64}",
        "docker.io",
    ),
    row(
        "dotnet/docs#13401 ACR via dockershim",
        'Failed to pull image "ugsampleacr.azurecr.io/mssampleaksapplication:v1": [rpc error: code = Unknown desc = Error response from daemon: Get https://ugsampleacr.azurecr.io/v2/mssampleaksapplication/manifests/v1: unauthorized: authentication required, rpc error: code = Unknown desc = Error response from daemon: Get https://ugsampleacr.azurecr.io/v2/mssampleaksapplication/manifests/v1: unauthorized: authentication required]',
        A,
        "ugsampleacr.azurecr.io/mssampleaksapplication:v1",
        "ugsampleacr.azurecr.io",
    ),
    row(
        "az-dns-forwarder#1 GHCR unauthorized",
        'Failed to pull image "ghcr.io/whiteducksoftware/az-dns-forwarder/az-dns-forwarder:latest": rpc error: code = Unknown desc = Error response from daemon: Get https://ghcr.io/v2/whiteducksoftware/az-dns-forwarder/az-dns-forwarder/manifests/latest: unauthorized',
        A,
        "ghcr.io/whiteducksoftware/az-dns-forwarder/az-dns-forwarder:latest",
        "ghcr.io",
    ),
    row(
        "docker.kitematic#2964 incorrect password",
        '(HTTP code 401) unexpected - {"message":"Get https://registry-1.docker.io/v2/wnameless/oracle-xe-11g/manifests/latest: unauthorized: incorrect username or password"}',
        A,
        "registry-1.docker.io/wnameless/oracle-xe-11g:latest",
        "docker.io",
    ),
    row(
        "moby rate limit",
        'Failed to pull image "nginx:1.23": rpc error: code = Unknown desc = Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
        RL,
        "nginx:1.23",
        "docker.io",
    ),
    row(
        "moby platform",
        'Failed to pull image "mysql:5.7": rpc error: code = Unknown desc = Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries',
        PLAT,
        "mysql:5.7",
        "docker.io",
    ),
    row(
        "moby register layer no space",
        'Failed to pull image "tensorflow/tensorflow:2.17.0-gpu": rpc error: code = Unknown desc = failed to register layer: Error processing tar file(exit status 1): write /usr/local/lib/python3.11/dist-packages/tensorflow/libtensorflow_cc.so.2: no space left on device',
        DISK,
        "tensorflow/tensorflow:2.17.0-gpu",
        "docker.io",
    ),
    row(
        "moby register layer ApplyLayer",
        'Failed to pull image "jenkins/jenkins:lts": rpc error: code = Unknown desc = failed to register layer: ApplyLayer exit status 1 stdout:  stderr: lchown /var/jenkins_home: invalid argument',
        DISK,
        "jenkins/jenkins:lts",
        "docker.io",
    ),
    row(
        "moby client timeout",
        'Failed to pull image "busybox": rpc error: code = Unknown desc = Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
        NET,
        "busybox",
        "docker.io",
    ),
    row(
        "moby dns",
        'Failed to pull image "myregistry.example.com/app:1": rpc error: code = Unknown desc = Error response from daemon: Get https://myregistry.example.com/v2/: dial tcp: lookup myregistry.example.com on 8.8.8.8:53: no such host',
        DNS,
        "myregistry.example.com/app:1",
        "myregistry.example.com",
    ),
    row(
        "kubernetes#6888 temporary failure in name resolution",
        'Failed to pull image "gcr.io/google_containers/spark:1.5.2_v1": image pull failed for gcr.io/google_containers/spark:1.5.2_v1, this may be because there are no credentials on this request.  details: (API error (500): unable to ping registry endpoint https://gcr.io/v0/\nv2 ping attempt failed with error: Get https://gcr.io/v2/: dial tcp: lookup gcr.io: Temporary failure in name resolution\n v1 ping attempt failed with error: Get https://gcr.io/v1/_ping: dial tcp: lookup gcr.io: Temporary failure in name resolution\n)',
        DNS,
        "gcr.io/google_containers/spark:1.5.2_v1",
        "gcr.io",
    ),
    row(
        "moby x509",
        'Failed to pull image "registry.lab.local/app:1": rpc error: code = Unknown desc = Error response from daemon: Get https://registry.lab.local/v2/: x509: certificate signed by unknown authority',
        TLS,
        "registry.lab.local/app:1",
        "registry.lab.local",
    ),
    row(
        "moby plain http",
        'Failed to pull image "192.168.49.2:5000/demo:latest": rpc error: code = Unknown desc = Error response from daemon: Get "https://192.168.49.2:5000/v2/": http: server gave HTTP response to HTTPS client',
        TLS,
        "192.168.49.2:5000/demo:latest",
        "192.168.49.2:5000",
    ),
    row(
        "moby invalid reference",
        'Failed to pull image "nginx::latest": rpc error: code = Unknown desc = Error response from daemon: invalid reference format',
        INV,
        None,
        None,
    ),
    row(
        "moby daemon/images platform mismatch (docker docs, image history --platform)",
        "Error response from daemon: image with reference alpine:latest was found but does not match the specified platform: wanted linux/s390x",
        PLAT,
        "alpine:latest",
        "docker.io",
    ),
    row(
        "moby daemon/images platform mismatch through cri-dockerd",
        'Failed to pull image "arm64only:1": rpc error: code = Unknown desc = Error response from daemon: image with reference arm64only:1 was found but does not match the specified platform: wanted linux/amd64, actual: linux/arm64',
        PLAT,
        "arm64only:1",
        "docker.io",
    ),
    row(
        "moby integration/image platform mismatch, newer wording",
        "image with reference multiplatform:latest was found but its platform (linux/aarch64) does not match the specified platform (windows/amd64)",
        PLAT,
        "multiplatform:latest",
        "docker.io",
    ),
    row(
        "domcyrus/rustnet#4 GHCR bare denied",
        'Error response from daemon: Head "https://ghcr.io/v2/domcyrus/rustnet/manifests/latest": denied',
        D,
        "ghcr.io/domcyrus/rustnet:latest",
        "ghcr.io",
    ),
    row(
        "noslate-project/noslate#50 GHCR bare denied.",
        'docker: Error response from daemon: Head "https://ghcr.io/v2/noslate-project/noslate-demo/manifests/0.0.1": denied.',
        D,
        "ghcr.io/noslate-project/noslate-demo:0.0.1",
        "ghcr.io",
    ),
    row(
        "rootless-containers/usernetes#8 local open permission denied",
        'failed pulling image "k8s.gcr.io/pause:3.1": Error response from daemon: open /etc/docker/certs.d/k8s.gcr.io: permission denied',
        DISK,
        "k8s.gcr.io/pause:3.1",
        "k8s.gcr.io",
    ),
    row(
        "moby EOF",
        'Failed to pull image "harbor.example.org/lib/app:2": rpc error: code = Unknown desc = Error response from daemon: Get "https://harbor.example.org/v2/": EOF',
        NET,
        "harbor.example.org/lib/app:2",
        "harbor.example.org",
    ),
]

REGISTRIES = [
    # Docker Hub
    row(
        "Docker Hub dockershim private repo",
        "Failed to pull image \"acme/billing:2.0\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for acme/billing, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        D,
        "acme/billing:2.0",
        "docker.io",
    ),
    row(
        "Docker Hub containerd nonexistent repo",
        'Failed to pull image "nginx007": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx007:latest": failed to resolve reference "docker.io/library/nginx007:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
        D,
        "nginx007",
        "docker.io",
    ),
    row(
        "Docker Hub index.docker.io host",
        'Failed to pull image "index.docker.io/library/ubuntu:24.04": failed to pull and unpack image "docker.io/library/ubuntu:24.04": failed to resolve reference "docker.io/library/ubuntu:24.04": unexpected status from HEAD request to https://registry-1.docker.io/v2/library/ubuntu/manifests/24.04: 429 Too Many Requests',
        RL,
        "index.docker.io/library/ubuntu:24.04",
        "docker.io",
    ),
    row(
        "Docker Hub rate limit as user (lucas42/lucos_deploy_orb#132)",
        "429 toomanyrequests: You have reached your pull rate limit as 'lucas42'",
        RL,
        None,
        None,
    ),
    row(
        "Docker Hub oauth network reset",
        'failed to authorize: failed to fetch oauth token: Post "https://auth.docker.io/token": read tcp 192.168.168.193:58099->98.85.153.80:443: wsarecv: An existing connection was forcibly closed by the remote host.',
        NET,
        None,
        None,
    ),
    # Amazon ECR
    row(
        "ECR expired token via dockershim",
        f"Failed to pull image \"{ECR}/payments:1.8.0\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for {ECR}/payments, repository does not exist or may require 'docker login': denied: Your authorization token has expired. Reauthenticate and try again.",
        A,
        f"{ECR}/payments:1.8.0",
        ECR,
    ),
    row(
        "ECR expired token (older wording)",
        f"Failed to pull image \"{ECR}/wra/trash-can:repv0.1\": denied: Your Authorization Token has expired. Please run 'aws ecr get-login' to fetch a new one.",
        A,
        f"{ECR}/wra/trash-can:repv0.1",
        ECR,
    ),
    row(
        "ECR no basic auth credentials via dockershim",
        f'Failed to pull image "{ECR}/api:v3": rpc error: code = Unknown desc = Error response from daemon: Get https://{ECR}/v2/api/manifests/v3: no basic auth credentials',
        A,
        f"{ECR}/api:v3",
        ECR,
    ),
    row(
        "ECR containerd 403 (token for another account)",
        f'Failed to pull image "{ECR}/api:v3": failed to pull and unpack image "{ECR}/api:v3": failed to resolve reference "{ECR}/api:v3": unexpected status from HEAD request to https://{ECR}/v2/api/manifests/v3: 403 Forbidden',
        D,
        f"{ECR}/api:v3",
        ECR,
    ),
    row(
        "ECR containerd tag not found",
        f'Failed to pull image "{ECR}/api:v9": rpc error: code = NotFound desc = failed to pull and unpack image "{ECR}/api:v9": failed to resolve reference "{ECR}/api:v9": {ECR}/api:v9: not found',
        NF,
        f"{ECR}/api:v9",
        ECR,
    ),
    row(
        "ECR name unknown (cratedb docs)",
        "name unknown: The repository with name 'kinesis-cratedb-processor-lambda' does not exist in the registry with id '831394476016'",
        NF,
        None,
        None,
    ),
    row(
        "ECR public rate exceeded",
        'Failed to pull image "public.ecr.aws/docker/library/redis:7": failed to pull and unpack image "public.ecr.aws/docker/library/redis:7": failed to resolve reference "public.ecr.aws/docker/library/redis:7": unexpected status from HEAD request to https://public.ecr.aws/v2/docker/library/redis/manifests/7: 429 Too Many Requests',
        RL,
        "public.ecr.aws/docker/library/redis:7",
        "public.ecr.aws",
    ),
    row(
        "ECR AccessDenied from the credential provider",
        f'Failed to pull image "{ECR}/api:v3": rpc error: code = Unknown desc = Error response from daemon: Get https://{ECR}/v2/api/manifests/v3: denied: User: arn:aws:sts::123456789012:assumed-role/eks-node/i-0abc is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:123456789012:repository/api',
        D,
        f"{ECR}/api:v3",
        ECR,
    ),
    # Google GCR / Artifact Registry
    row(
        "Artifact Registry downloadArtifacts denied (influxdata docs)",
        'Failed to pull image "us-docker.pkg.dev/influxdb2-artifacts/clustered/influxdb:20240925": rpc error: code = Unknown desc = failed to pull and unpack image "us-docker.pkg.dev/influxdb2-artifacts/clustered/influxdb:20240925": failed to resolve reference "us-docker.pkg.dev/influxdb2-artifacts/clustered/influxdb:20240925": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://us-docker.pkg.dev/v2/token?scope=repository%3Ainfluxdb2-artifacts%2Fclustered%2Finfluxdb%3Apull&service=: 403 Forbidden',
        D,
        "us-docker.pkg.dev/influxdb2-artifacts/clustered/influxdb:20240925",
        "us-docker.pkg.dev",
    ),
    row(
        "Artifact Registry DENIED body",
        'GET https://us-docker.pkg.dev/v2/token?scope=repository%3Ainfluxdb2-artifacts%2Fclustered%2Finfluxdb%3Apull&service=: DENIED: Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/influxdb2-artifacts/locations/us/repositories/clustered" (or it may not exist)',
        D,
        None,
        "us-docker.pkg.dev",
    ),
    row(
        "Artifact Registry missing repository: 404 from the token endpoint (containerd remotes/docker/auth/fetch.go)",
        'Failed to pull image "us-docker.pkg.dev/gke-demos-345619/does-not-exist/nope:v1": failed to pull and unpack image "us-docker.pkg.dev/gke-demos-345619/does-not-exist/nope:v1": failed to resolve reference "us-docker.pkg.dev/gke-demos-345619/does-not-exist/nope:v1": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://us-docker.pkg.dev/v2/token?scope=repository%3Agke-demos-345619%2Fdoes-not-exist%2Fnope%3Apull&service=us-docker.pkg.dev: 404 Not Found',
        NF,
        "us-docker.pkg.dev/gke-demos-345619/does-not-exist/nope:v1",
        "us-docker.pkg.dev",
    ),
    row(
        "GCR permission denied via dockershim",
        'Failed to pull image "gcr.io/my-project/api:1.2": rpc error: code = Unknown desc = Error response from daemon: pull access denied for gcr.io/my-project/api, repository does not exist or may require \'docker login\': denied: Permission denied for "1.2" from request "/v2/my-project/api/manifests/1.2".',
        D,
        "gcr.io/my-project/api:1.2",
        "gcr.io",
    ),
    row(
        "GCR containerd 403 on manifest",
        'Failed to pull image "gcr.io/my-project/api:1.2": rpc error: code = Unknown desc = failed to pull and unpack image "gcr.io/my-project/api:1.2": failed to resolve reference "gcr.io/my-project/api:1.2": pulling from host gcr.io failed with status code [manifests 1.2]: 403 Forbidden',
        D,
        "gcr.io/my-project/api:1.2",
        "gcr.io",
    ),
    row(
        "Artifact Registry not found, containerd",
        'Failed to pull image "europe-west1-docker.pkg.dev/acme-prod/apps/web:9.9.9": rpc error: code = NotFound desc = failed to pull and unpack image "europe-west1-docker.pkg.dev/acme-prod/apps/web:9.9.9": failed to resolve reference "europe-west1-docker.pkg.dev/acme-prod/apps/web:9.9.9": europe-west1-docker.pkg.dev/acme-prod/apps/web:9.9.9: not found',
        NF,
        "europe-west1-docker.pkg.dev/acme-prod/apps/web:9.9.9",
        "europe-west1-docker.pkg.dev",
    ),
    row(
        "registry.k8s.io#273 Forbidden from AR backend",
        'Error response from daemon: Head "https://europe-west3-docker.pkg.dev/v2/k8s-artifacts-prod/images/sig-storage/csi-provisioner/manifests/v4.0.0": Forbidden',
        D,
        "europe-west3-docker.pkg.dev/k8s-artifacts-prod/images/sig-storage/csi-provisioner:v4.0.0",
        "europe-west3-docker.pkg.dev",
    ),
    row(
        "registry.k8s.io#277 403 HTML",
        "Error response from daemon: error parsing HTTP 403 response body: invalid character '<' looking for beginning of value: \"\\n<html><head>\\n<title>403 Forbidden</title>\\n</head>\\n<body><h1>Error: Forbidden</h1><h2>Your client does not have permission to get URL <code>/v2/pause/manifests/sha256:3d380ca8864549e74af4b29c10f9cb0956236dfb01c40ca076fb6c37253234db</code> from this server.</h2></body></html>\"",
        D,
        None,
        None,
    ),
    # Azure ACR
    row(
        "ACR unauthorized (learn.microsoft.com troubleshooting)",
        'Failed to pull image "myacr.azurecr.io/orders:1.4.2": rpc error: code = Unknown desc = failed to pull and unpack image "myacr.azurecr.io/orders:1.4.2": failed to resolve reference "myacr.azurecr.io/orders:1.4.2": failed to do request: Head "https://myacr.azurecr.io/v2/orders/manifests/1.4.2": unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.',
        A,
        "myacr.azurecr.io/orders:1.4.2",
        "myacr.azurecr.io",
    ),
    row(
        "ACR through containers/image docker_client.go getBearerToken, invalid username/password",
        'Failed to pull image "aroacr10737.azurecr.io/ratings-api:v1": rpc error: code = Unknown desc = unable to retrieve auth token: invalid username/password: unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.',
        A,
        "aroacr10737.azurecr.io/ratings-api:v1",
        "aroacr10737.azurecr.io",
    ),
    row(
        "ACR anonymous token 401",
        'Failed to pull image "myacr.azurecr.io/orders:1.4.2": failed to pull and unpack image "myacr.azurecr.io/orders:1.4.2": failed to resolve reference "myacr.azurecr.io/orders:1.4.2": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://myacr.azurecr.io/oauth2/token?scope=repository%3Aorders%3Apull&service=myacr.azurecr.io: 401 Unauthorized',
        A,
        "myacr.azurecr.io/orders:1.4.2",
        "myacr.azurecr.io",
    ),
    row(
        "ACR no AcrPull role",
        "Failed to pull image \"myacr.azurecr.io/orders:1.4.2\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for myacr.azurecr.io/orders, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        D,
        "myacr.azurecr.io/orders:1.4.2",
        "myacr.azurecr.io",
    ),
    row(
        "ACR manifest tagged not found",
        'Failed to pull image "myacr.azurecr.io/orders:9.9": rpc error: code = Unknown desc = Error response from daemon: manifest for myacr.azurecr.io/orders:9.9 not found: manifest unknown: manifest tagged by "9.9" is not found',
        NF,
        "myacr.azurecr.io/orders:9.9",
        "myacr.azurecr.io",
    ),
    # GitHub GHCR
    row(
        "dexidp/dex#2567 denied: denied",
        'Error response from daemon: Head "https://ghcr.io/v2/dexidp/dex/manifests/v2.32.0": denied: denied',
        D,
        "ghcr.io/dexidp/dex:v2.32.0",
        "ghcr.io",
    ),
    row(
        "k8s-wait-for#70 denied: denied",
        'Failed to pull image "ghcr.io/groundnuty/k8s-wait-for:v2.0": rpc error: code = Unknown desc = Error response from daemon: Head "https://ghcr.io/v2/groundnuty/k8s-wait-for/manifests/v2.0": denied: denied',
        D,
        "ghcr.io/groundnuty/k8s-wait-for:v2.0",
        "ghcr.io",
    ),
    row(
        "kedacore/http-add-on#48 read_package",
        "Error response from daemon: pull access denied for ghcr.io/kedacore/http-add-on-operator, repository does not exist or may require 'docker login': denied: permission_denied: read_package",
        D,
        "ghcr.io/kedacore/http-add-on-operator",
        "ghcr.io",
    ),
    row(
        "kastenhq/kubestr#66 unauthenticated token",
        'Failed to pull image "ghcr.io/kastenhq/kubestr:latest": rpc error: code = Unknown desc = error pulling image configuration: denied: unauthenticated: User cannot be authenticated with the token provided.',
        A,
        "ghcr.io/kastenhq/kubestr:latest",
        "ghcr.io",
    ),
    row(
        "nloui/paperless-mcp#10 anonymous 403",
        'Failed to pull image "ghcr.io/nloui/paperless-mcp:latest": failed to pull and unpack image "ghcr.io/nloui/paperless-mcp:latest": failed to resolve reference "ghcr.io/nloui/paperless-mcp:latest": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Anloui%2Fpaperless-mcp%3Apull&service=ghcr.io: 403 Forbidden',
        D,
        "ghcr.io/nloui/paperless-mcp:latest",
        "ghcr.io",
    ),
    row(
        "rossoctl#116 oauth 403",
        'Failed to pull image "ghcr.io/kagenti/kagenti-client-registration:latest": failed to pull and unpack image "ghcr.io/kagenti/kagenti-client-registration:latest": failed to resolve reference "ghcr.io/kagenti/kagenti-client-registration:latest": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Akagenti%2Fkagenti-client-registration%3Apull&service=ghcr.io: 403 Forbidden',
        D,
        "ghcr.io/kagenti/kagenti-client-registration:latest",
        "ghcr.io",
    ),
    row(
        "vigil#315 HEAD 403",
        'Error response from daemon: unknown: failed to resolve reference "ghcr.io/vigil-soc/vigil-backend:latest": unexpected status from HEAD request to https://ghcr.io/v2/vigil-soc/vigil-backend/manifests/latest: 403 Forbidden',
        D,
        "ghcr.io/vigil-soc/vigil-backend:latest",
        "ghcr.io",
    ),
    row(
        "salesforce/kubelet-summary-exporter#5 unauthorized",
        'Error response from daemon: Head "https://ghcr.io/v2/salesforce/kubelet-summary-exporter/manifests/latest": unauthorized',
        A,
        "ghcr.io/salesforce/kubelet-summary-exporter:latest",
        "ghcr.io",
    ),
    row(
        "ogham-mcp#5 error from registry",
        "Error response from daemon: error from registry: unauthorized\nunauthorized",
        A,
        None,
        None,
    ),
    row(
        "dexidp/dex#2567 blob 401 via containerd",
        'Failed to pull image "ghcr.io/dexidp/dex:v2.30.3": rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/dexidp/dex:v2.30.3": failed to copy: httpReadSeeker: failed open: unexpected status code https://ghcr.io/v2/dexidp/dex/blobs/sha256:ea768edb0d1e5e4b0e43a1b0e4f6b2c29c1b3e5a8f2d7c6b5a4e3d2c1b0a9f8e: 401 Unauthorized',
        A,
        "ghcr.io/dexidp/dex:v2.30.3",
        "ghcr.io",
    ),
    # Quay
    row(
        "stolostron/deploy#6 Quay index",
        'Failed to pull image "quay.io/open-cluster-management/multiclusterhub-operator-index:1.0.0-SNAPSHOT-2020-03-12-18-56-25": rpc error: code = Unknown desc = Error reading manifest 1.0.0-SNAPSHOT-2020-03-12-18-56-25 in quay.io/open-cluster-management/multiclusterhub-operator-index: unauthorized: access to the requested resource is not authorized',
        A,
        "quay.io/open-cluster-management/multiclusterhub-operator-index:1.0.0-SNAPSHOT-2020-03-12-18-56-25",
        "quay.io",
    ),
    row(
        "clairctl#62 Quay ping",
        'retrieving manifest for "quay.io/coreos/clair:v2.0.0": Get https://quay.io/v2/: unauthorized: access to the requested resource is not authorized',
        A,
        None,
        "quay.io",
    ),
    row(
        "Quay containerd not found",
        'Failed to pull image "quay.io/prometheus/prometheus:v9.9.9": rpc error: code = NotFound desc = failed to pull and unpack image "quay.io/prometheus/prometheus:v9.9.9": failed to resolve reference "quay.io/prometheus/prometheus:v9.9.9": quay.io/prometheus/prometheus:v9.9.9: not found',
        NF,
        "quay.io/prometheus/prometheus:v9.9.9",
        "quay.io",
    ),
    # GitLab
    row(
        "getwud/wud#600 GitLab access forbidden",
        'Error ((HTTP code 500) server error - Head "https://registry.gitlab.com/v2/group-name/project-name/manifests/latest": denied: access forbidden)',
        D,
        "registry.gitlab.com/group-name/project-name:latest",
        "registry.gitlab.com",
    ),
    row(
        "phoenix#1 self-hosted GitLab forbidden",
        "ERROR: Get https://registry.gitlab.propulsion-home.ch/v2/full-stack/batch-2018-03/group-projects/phoenix/manifests/master: denied: access forbidden",
        D,
        "registry.gitlab.propulsion-home.ch/full-stack/batch-2018-03/group-projects/phoenix:master",
        "registry.gitlab.propulsion-home.ch",
    ),
    row(
        "microk8s#4754 GitLab jwt 403",
        'ctr: failed to resolve reference "registry.gitlab.com/ruimaciel/project:latest": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://gitlab.com/jwt/auth?scope=repository%3Aruimaciel%2Fproject%3Apull&service=container_registry: 403 Forbidden',
        D,
        "registry.gitlab.com/ruimaciel/project:latest",
        "registry.gitlab.com",
    ),
    row(
        "GitLab bad token: HTTP Basic",
        'Failed to pull image "registry.gitlab.com/acme/web:main": rpc error: code = Unknown desc = Error response from daemon: Get https://registry.gitlab.com/v2/acme/web/manifests/main: unauthorized: HTTP Basic: Access denied. The provided password or token is incorrect or your account has 2FA enabled and you must use a personal access token instead of a password.',
        A,
        "registry.gitlab.com/acme/web:main",
        "registry.gitlab.com",
    ),
    # Harbor
    row(
        "kubernetes#110675 Harbor 401",
        'Failed to pull image "registry.app.xxx.net/spm2fog/partsgo42:GitActionsNew-2e7e78f7bb157128f1853b0dc06bf7ccd13156d7": rpc error: code = Unknown desc = failed to pull and unpack image "registry.app.xxx.net/spm2fog/partsgo42:GitActionsNew-2e7e78f7bb157128f1853b0dc06bf7ccd13156d7": failed to resolve reference "registry.app.xxx.net/spm2fog/partsgo42:GitActionsNew-2e7e78f7bb157128f1853b0dc06bf7ccd13156d7": pulling from host registry.app.xxx.net failed with status code [manifests GitActionsNew-2e7e78f7bb157128f1853b0dc06bf7ccd13156d7]: 401 Unauthorized',
        A,
        "registry.app.xxx.net/spm2fog/partsgo42:GitActionsNew-2e7e78f7bb157128f1853b0dc06bf7ccd13156d7",
        "registry.app.xxx.net",
    ),
    row(
        "Harbor robot without pull permission",
        'Failed to pull image "harbor.example.com/library/app:v1": rpc error: code = Unknown desc = Error response from daemon: unauthorized: unauthorized to access repository: library/app, action: pull: unauthorized to access repository: library/app, action: pull',
        A,
        "harbor.example.com/library/app:v1",
        "harbor.example.com",
    ),
    row(
        "Harbor repository not found",
        'Failed to pull image "harbor.example.com/library/ap:v1": rpc error: code = Unknown desc = Error response from daemon: unknown: repository library/ap not found',
        NF,
        "harbor.example.com/library/ap:v1",
        "harbor.example.com",
    ),
    row(
        "hdss7-21 Harbor back-off (xilongj/k8s_2021)",
        'Back-off pulling image "harbor.od.com/k8s/coredns:1.6.1"',
        Cause.BACKOFF,
        "harbor.od.com/k8s/coredns:1.6.1",
        "harbor.od.com",
    ),
    row(
        "talos#10274 journald escaped back-off",
        'failed to \\"StartContainer\\" for \\"snappy\\" with ImagePullBackOff: \\"Back-off pulling image \\\\\\"riversong.alphasoft.com/arf/snappy-k8s:2.38.2_01\\\\\\": ErrImagePull: failed to pull and unpack image \\\\\\"riversong.alphasoft.com/arf/snappy-k8s:2.38.2_01\\\\\\": failed to resolve reference \\\\\\"riversong.alphasoft.com/arf/snappy-k8s:2.38.2_01\\\\\\": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://riversong.alphasoft.com/service/token?scope=repository%3Aarf%2Fsnappy-k8s%3Apull&service=harbor-registry: 403 Forbidden\\"',
        D,
        "riversong.alphasoft.com/arf/snappy-k8s:2.38.2_01",
        "riversong.alphasoft.com",
    ),
    # self-hosted distribution
    row(
        "distribution registry blob unknown",
        'Failed to pull image "localhost:5000/team/app:v2": rpc error: code = NotFound desc = failed to pull and unpack image "localhost:5000/team/app:v2": failed to copy: httpReadSeeker: failed open: content at https://localhost:5000/v2/team/app/manifests/sha256:0f3a not found: not found',
        NF,
        "localhost:5000/team/app:v2",
        "localhost:5000",
    ),
    row(
        "distribution registry NAME_UNKNOWN",
        'Failed to pull image "registry.home.arpa:5000/tools/kubectl:1.31": rpc error: code = Unknown desc = reading manifest 1.31 in registry.home.arpa:5000/tools/kubectl: name unknown: repository name not known to registry',
        NF,
        "registry.home.arpa:5000/tools/kubectl:1.31",
        "registry.home.arpa:5000",
    ),
    row(
        "distribution registry htpasswd 401",
        'Failed to pull image "registry.home.arpa:5000/tools/kubectl:1.31": failed to pull and unpack image "registry.home.arpa:5000/tools/kubectl:1.31": failed to resolve reference "registry.home.arpa:5000/tools/kubectl:1.31": unexpected status from HEAD request to https://registry.home.arpa:5000/v2/tools/kubectl/manifests/1.31: 401 Unauthorized',
        A,
        "registry.home.arpa:5000/tools/kubectl:1.31",
        "registry.home.arpa:5000",
    ),
]


@pytest.mark.parametrize(("message", "cause", "image", "registry"), CRIO + DOCKERSHIM + REGISTRIES)
def test_runtime_and_registry_messages(
    message: str, cause: Cause, image: str | None, registry: str | None
) -> None:
    found = classify(message)
    assert (found.cause, found.image, found.registry) == (cause, image, registry)
