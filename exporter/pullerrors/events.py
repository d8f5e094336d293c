"""Which kubelet events and waiting states are image-pull failures.

Kubelet reuses its event reasons: ``Failed`` is also a failed container start, ``BackOff``
is also a crash loop. Only the pull-failure wordings count here.

Kubelet also emits a summary ``Failed`` event, ``Error: ErrImagePull`` (or
``ImagePullBackOff``, ``ErrImageNeverPull``, ``InvalidImageName``), for every attempt
that already produced a detailed event (``Failed to pull image ...``, ``Back-off
pulling image ...``, ``ErrImageNeverPull``, ``InspectFailed``). The summary is not a
second failure, carries no cause, and is ignored so a failure counts once.

>>> pull_failure_event("BackOff", "Back-off restarting failed container app in pod x") is None
True
>>> pull_failure_event("Failed", 'Failed to pull image "nginx": ... not found').cause
<Cause.NOT_FOUND: 'not_found'>
"""

from __future__ import annotations

import re

from exporter.pullerrors.classify import Classification, classify

PULL_WAITING_REASONS: frozenset[str] = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "RegistryUnavailable",
        "ImageInspectError",
    }
)

# Event reasons whose every event is a pull-path failure.
_ALWAYS_PULL_REASONS = frozenset(
    {"InspectFailed", "ErrImageNeverPull", "FailedToRetrieveImagePullSecret"}
)
# After more than 10 similar events in 10 minutes client-go's correlator keeps one Event
# whose message it prefixes (tools/record/events_cache.go); network errors, each with a
# new "dial tcp IP:PORT", reach that within minutes, so the prefix is allowed.
_AGGREGATED = r"\s*(?:\(combined from similar events\):\s*)?"
_FAILED_PULL = re.compile(_AGGREGATED + r"failed to pull image\b", re.IGNORECASE)
_BACKOFF_PULL = re.compile(_AGGREGATED + r"back-off pulling image\b", re.IGNORECASE)
# Only the start of a message decides, so a huge one costs nothing extra.
_PREFIX_CHARS = 256


def pull_failure_event(reason: str, message: str) -> Classification | None:
    """Classify a kubelet event if it is an image-pull failure, else ``None``.

    Covered reasons: Failed (``Failed to pull image ...`` only), BackOff (``Back-off
    pulling image ...`` only), InspectFailed, ErrImageNeverPull,
    FailedToRetrieveImagePullSecret; with or without client-go's aggregation prefix.

    >>> pull_failure_event("Failed", "Error: ErrImagePull") is None
    True
    >>> pull_failure_event("Failed", "(combined from similar events): Failed to pull "
    ...                    'image "nginx": ... connection reset by peer').cause.value
    'network'

    >>> pull_failure_event("ErrImageNeverPull", 'Container image "app:dev" is not '
    ...                    "present with pull policy of Never").cause.value
    'never_pull'
    """
    prefix = message[:_PREFIX_CHARS]
    if reason == "Failed":
        is_pull = _FAILED_PULL.match(prefix) is not None
    elif reason == "BackOff":
        is_pull = _BACKOFF_PULL.match(prefix) is not None
    else:
        is_pull = reason in _ALWAYS_PULL_REASONS
    return classify(message, reason=reason) if is_pull else None
