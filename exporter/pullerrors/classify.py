"""From a kubelet pull message to a bounded cause, the image and its registry.

>>> classify('Failed to pull image "nginx:1.27": rpc error: code = Unknown desc = '
...          'toomanyrequests: You have reached your pull rate limit.')
Classification(cause=<Cause.RATE_LIMIT: 'rate_limit'>, image='nginx:1.27', registry='docker.io')
>>> classify('Back-off pulling image "ghcr.io/acme/api:v2"').cause
<Cause.BACKOFF: 'backoff'>
>>> classify("Unable to retrieve some image pull secrets (regcred); attempting to pull "
...          "the image may not succeed.", reason="FailedToRetrieveImagePullSecret").cause
<Cause.SECRET_MISSING: 'secret_missing'>
>>> classify('(combined from similar events): Failed to pull image "nginx": ... i/o timeout').cause
<Cause.NETWORK: 'network'>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.images.reference import ImageReference
from exporter.pullerrors.causes import Cause
from exporter.pullerrors.messages import (
    bounded,
    find_reference,
    find_registry,
    for_matching,
    without_aggregation_prefix,
)
from exporter.pullerrors.signals import SIGNALS

# Reasons that say the cause on their own, whatever the message (kubelet's event reasons
# and container waiting reasons).
_DECISIVE_REASONS: dict[str, Cause] = {
    "ErrImageNeverPull": Cause.NEVER_PULL,
    "InvalidImageName": Cause.INVALID_NAME,
    "FailedToRetrieveImagePullSecret": Cause.SECRET_MISSING,
    "RegistryUnavailable": Cause.NETWORK,
}
# kubelet's bare back-off: `Back-off pulling image "x"`; the newer form goes on with
# `: ErrImagePull: <inner error>`, and that inner error decides.
_BACKOFF = re.compile(r'\s*back-off pulling image \\*"[^"]{0,1024}"\s*', re.IGNORECASE)
# kubelet's summary Failed event and a bare waiting reason: "Error: ImagePullBackOff".
_ONLY_A_REASON = re.compile(r"\s*(?:error:\s*)?([A-Za-z]{1,64})\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Classification:
    """Why a pull failed, and which image and registry it was for (``None`` if unknown)."""

    cause: Cause
    image: str | None
    registry: str | None


def _cause_of(text: str, image: tuple[str, ImageReference] | None) -> Cause | None:
    lowered = for_matching(text, image)
    for signal in SIGNALS:
        if signal.found_in(lowered):
            return signal.cause
    return None


def _cause(text: str, reason: str | None, image: tuple[str, ImageReference] | None) -> Cause:
    if reason in _DECISIVE_REASONS:
        return _DECISIVE_REASONS[reason]
    only = _ONLY_A_REASON.fullmatch(text)
    word = only.group(1) if only is not None else None
    if word in _DECISIVE_REASONS:
        return _DECISIVE_REASONS[word]
    if word == "ImagePullBackOff":
        return Cause.BACKOFF
    found = _cause_of(text, image)
    if found is not None:
        return found
    if _BACKOFF.fullmatch(text) is not None:
        return Cause.BACKOFF
    if reason == "ImagePullBackOff" and not text.strip():
        return Cause.BACKOFF
    return Cause.UNKNOWN


def classify(message: str, *, reason: str | None = None) -> Classification:
    """Classify a kubelet event message or container waiting message.

    ``reason`` is the event reason or waiting reason when known; ErrImageNeverPull,
    InvalidImageName, FailedToRetrieveImagePullSecret and RegistryUnavailable decide the
    cause on their own. client-go's ``(combined from similar events): `` prefix is
    ignored, and the image's own name never decides. Never raises on any ``str``;
    inspects at most :data:`~exporter.pullerrors.messages.MAX_INSPECTED_CHARS` characters.

    >>> found = classify('Failed to pull image "quay.io/acme/api:v1": rpc error: code = '
    ...                  'Unknown desc = reading manifest v1 in quay.io/acme/api: manifest unknown')
    >>> found.cause.value, found.image, found.registry
    ('not_found', 'quay.io/acme/api:v1', 'quay.io')
    >>> classify("").cause
    <Cause.UNKNOWN: 'unknown'>
    """
    text = without_aggregation_prefix(bounded(message))
    image = find_reference(text)
    if image is None:
        return Classification(_cause(text, reason, None), None, find_registry(text))
    return Classification(_cause(text, reason, image), image[0], image[1].registry)
