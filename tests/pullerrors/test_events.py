"""Which kubelet events and waiting reasons are pull failures, and reasons that decide."""
# ruff: noqa: E501  -- messages are kept verbatim, one per line, so they can be grepped.

from __future__ import annotations

import pytest

from exporter.pullerrors import PULL_WAITING_REASONS, Cause, classify, hint, pull_failure_event

PULL_EVENTS = [
    pytest.param(
        "Failed",
        'Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found',
        Cause.NOT_FOUND,
        id="Failed pull (kubelet image_manager.go)",
    ),
    pytest.param(
        "Failed",
        'Failed to pull image "busybox:1.36": pull QPS exceeded',
        Cause.RATE_LIMIT,
        id="Failed pull QPS",
    ),
    pytest.param(
        "BackOff",
        'Back-off pulling image "ghcr.io/kastenhq/kubestr:latest"',
        Cause.BACKOFF,
        id="BackOff bare (kastenhq/kubestr#66)",
    ),
    pytest.param(
        "BackOff",
        'Back-off pulling image "busybox": ErrImagePull: failed to pull and unpack image "docker.io/library/busybox:latest": failed to resolve reference "docker.io/library/busybox:latest": failed to do request: Head "https://registry-1.docker.io/v2/library/busybox/manifests/latest": dial tcp: lookup registry-1.docker.io: no such host',
        Cause.DNS,
        id="BackOff with inner error",
    ),
    pytest.param(
        "Failed",
        '(combined from similar events): Failed to pull image "busybox:1.36.1": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/busybox:1.36.1": failed to resolve reference "docker.io/library/busybox:1.36.1": failed to do request: Head "https://registry-1.docker.io/v2/library/busybox/manifests/1.36.1": dial tcp 104.244.46.186:443: i/o timeout',
        Cause.NETWORK,
        id="Failed aggregated by client-go (events_cache.go, x68 over 5h54m)",
    ),
    pytest.param(
        "BackOff",
        '(combined from similar events): Back-off pulling image "busybox:1.36.1"',
        Cause.BACKOFF,
        id="BackOff aggregated by client-go (events_cache.go)",
    ),
    pytest.param(
        "InspectFailed",
        'Failed to inspect image "": rpc error: code = Unknown desc = short name mode is enforcing, but image name longhornio/longhorn-manager:v1.10.0 returns ambiguous list',
        Cause.INVALID_NAME,
        id="InspectFailed short name enforcing (longhorn/longhorn#12268)",
    ),
    pytest.param(
        "InspectFailed",
        'Failed to apply default image tag "nginx:1.27:alpine": couldn\'t parse image reference "nginx:1.27:alpine": invalid reference format',
        Cause.INVALID_NAME,
        id="InspectFailed default tag",
    ),
    pytest.param(
        "InspectFailed",
        'Failed to inspect image "kicbase/echo-server:1.0": rpc error: code = Unknown desc = short-name "kicbase/echo-server:1.0" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
        Cause.INVALID_NAME,
        id="InspectFailed short name (minikube#19395)",
    ),
    pytest.param(
        "ErrImageNeverPull",
        'Container image "myapp:v1.0" is not present with pull policy of Never',
        Cause.NEVER_PULL,
        id="ErrImageNeverPull",
    ),
    pytest.param(
        "FailedToRetrieveImagePullSecret",
        "Unable to retrieve some image pull secrets (aether.registry); attempting to pull the image may not succeed.",
        Cause.SECRET_MISSING,
        id="FailedToRetrieveImagePullSecret",
    ),
]

NOT_PULL_EVENTS = [
    pytest.param("Failed", "Error: ErrImagePull", id="summary of a pull failure already counted"),
    pytest.param("Failed", "Error: ImagePullBackOff", id="summary of a back-off already counted"),
    pytest.param("Failed", "Error: ErrImageNeverPull", id="summary of never-pull already counted"),
    pytest.param("Failed", "Error: InvalidImageName", id="summary of invalid name already counted"),
    pytest.param(
        "Failed",
        'Error: failed to start container "app": Error response from daemon: OCI runtime create failed',
        id="container start failure",
    ),
    pytest.param(
        "Failed", 'Error: secret "db-password" not found', id="CreateContainerConfigError"
    ),
    pytest.param("Failed", "Error: context deadline exceeded", id="CreateContainer timeout"),
    pytest.param(
        "BackOff",
        "Back-off restarting failed container app in pod api-7d4b9c_default(1f2e)",
        id="crash loop back-off",
    ),
    pytest.param(
        "BackOff",
        "(combined from similar events): Back-off restarting failed container app in pod api-7d4b9c_default(1f2e)",
        id="aggregated crash loop back-off",
    ),
    pytest.param(
        "Failed",
        "(combined from similar events): Error: ErrImagePull",
        id="aggregated summary of a pull failure",
    ),
    pytest.param(
        "Unhealthy",
        "Liveness probe failed: HTTP probe failed with statuscode: 500",
        id="probe failure",
    ),
    pytest.param(
        "FailedScheduling", "0/3 nodes are available: 3 Insufficient memory.", id="scheduler"
    ),
    pytest.param("Pulling", 'Pulling image "nginx:1.27"', id="Pulling is not a failure"),
    pytest.param(
        "Pulled",
        'Successfully pulled image "nginx:1.27" in 2.1s (2.1s including waiting)',
        id="Pulled",
    ),
    pytest.param(
        "FailedCreatePodSandBox",
        'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image "registry.k8s.io/pause:3.9": failed to pull image "registry.k8s.io/pause:3.9"',
        id="sandbox, not a container pull",
    ),
]


@pytest.mark.parametrize(("reason", "message", "cause"), PULL_EVENTS)
def test_pull_failure_events_are_classified(reason: str, message: str, cause: Cause) -> None:
    found = pull_failure_event(reason, message)
    assert found is not None
    assert found.cause is cause


@pytest.mark.parametrize(("reason", "message"), NOT_PULL_EVENTS)
def test_other_events_are_not_pull_failures(reason: str, message: str) -> None:
    assert pull_failure_event(reason, message) is None


def test_a_huge_failed_event_is_decided_by_its_start() -> None:
    message = 'Failed to pull image "nginx": ' + "x" * 5_000_000
    found = pull_failure_event("Failed", message)
    assert found is not None
    assert found.image == "nginx"


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("ErrImageNeverPull", Cause.NEVER_PULL),
        ("InvalidImageName", Cause.INVALID_NAME),
        ("FailedToRetrieveImagePullSecret", Cause.SECRET_MISSING),
        ("RegistryUnavailable", Cause.NETWORK),
    ],
)
def test_decisive_reasons_win_over_the_message(reason: str, cause: Cause) -> None:
    assert classify("manifest unknown", reason=reason).cause is cause


@pytest.mark.parametrize(
    "reason", ["ErrImagePull", "ImagePullBackOff", "ImageInspectError", "Failed", "BackOff"]
)
def test_other_reasons_leave_the_cause_to_the_message(reason: str) -> None:
    assert classify("toomanyrequests: Rate exceeded", reason=reason).cause is Cause.RATE_LIMIT


def test_an_empty_back_off_waiting_message_is_backoff() -> None:
    assert classify("", reason="ImagePullBackOff").cause is Cause.BACKOFF
    assert classify("").cause is Cause.UNKNOWN


def test_waiting_reasons_are_the_kubelet_pull_reasons() -> None:
    assert (
        frozenset(
            {
                "ErrImagePull",
                "ImagePullBackOff",
                "InvalidImageName",
                "ErrImageNeverPull",
                "RegistryUnavailable",
                "ImageInspectError",
            }
        )
        == PULL_WAITING_REASONS
    )


def test_every_cause_has_a_one_line_hint() -> None:
    for cause in Cause:
        text = hint(cause)
        assert text
        assert "\n" not in text
    # the auth hint points at fixes that keep the token off command lines and annotations
    assert "imagepull-exporter check" in hint(Cause.AUTH)
    assert "put_pull_secret" in hint(Cause.AUTH)
    assert "--docker-password=" not in hint(Cause.AUTH)
    assert "kubectl apply" not in hint(Cause.AUTH)


def test_the_cause_values_are_the_label_values() -> None:
    assert [cause.value for cause in Cause] == [
        "auth",
        "denied",
        "not_found",
        "rate_limit",
        "dns",
        "network",
        "tls",
        "platform",
        "invalid_name",
        "never_pull",
        "secret_missing",
        "disk",
        "backoff",
        "unknown",
    ]
    assert str(Cause.AUTH) == "auth"
