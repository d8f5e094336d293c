"""Pull-failure classification: pure functions from kubelet messages to bounded causes.

No I/O; imports only the standard library and :mod:`exporter.images.reference`.

>>> classify('Failed to pull image "nginx": ... no basic auth credentials').cause.value
'auth'
"""

from exporter.pullerrors.causes import Cause, hint
from exporter.pullerrors.classify import Classification, classify
from exporter.pullerrors.events import PULL_WAITING_REASONS, pull_failure_event

__all__ = [
    "PULL_WAITING_REASONS",
    "Cause",
    "Classification",
    "classify",
    "hint",
    "pull_failure_event",
]
