"""Fuzz target: kubelet event and waiting messages (megabytes, control characters,
invalid UTF-8), through the classifier, the event and pod reducers and the failure counter.

    python fuzz/fuzz_events.py -runs=100000 fuzz/corpus/events

Input: one byte choosing the reason, then fields separated by ``fuzz_input.SEPARATOR``:
the message, the image of the pod's container, and the Event's count as decimal text.
"""

from __future__ import annotations

from fuzz_input import fields, fuzz, text

from exporter.pullerrors import PULL_WAITING_REASONS, Cause, classify, pull_failure_event
from exporter.pullerrors.messages import MAX_INSPECTED_CHARS, bounded
from exporter.state.cluster import ClusterState
from exporter.state.reducers import MAX_EVENT_COUNT

NOW = 1_780_000_000.0
EVENT_REASONS = ("Failed", "BackOff", "InspectFailed", "ErrImageNeverPull",
                 "FailedToRetrieveImagePullSecret", "Pulled")  # fmt: skip
REASONS = EVENT_REASONS + tuple(sorted(PULL_WAITING_REASONS))
PREFIXES = ("", 'Failed to pull image "', "Back-off pulling image ")


def _count(raw: bytes) -> object:
    digits = raw[:5000].decode("ascii", "replace")
    return int(digits) if digits.isdigit() else digits


def TestOneInput(data: bytes) -> None:
    selector = data[0] if data else 0
    reason = REASONS[selector % len(REASONS)]
    raw_message, raw_image, raw_count = fields(data[1:], 3)
    message = PREFIXES[(selector >> 4) % len(PREFIXES)] + text(raw_message)

    assert len(bounded(message)) <= MAX_INSPECTED_CHARS + 1
    for found in (classify(message, reason=reason), pull_failure_event(reason, message)):
        if found is not None:
            assert found.cause in set(Cause)
            assert found.image is None or 0 < len(found.image) <= 512
            assert found.registry is None or 0 < len(found.registry) <= 1024

    state = ClusterState(clock=lambda: NOW)
    event = {"metadata": {"namespace": "ns", "uid": "u"}, "reason": reason,
             "message": message, "involvedObject": {"kind": "Pod", "name": "p"},
             "count": _count(raw_count)}  # fmt: skip
    state.events.partition().upsert(event)
    for record in state.events:
        assert 0 < record.count <= MAX_EVENT_COUNT
    assert all(0 < n <= MAX_EVENT_COUNT for n in state.failures.totals.values())

    image = text(raw_image)
    waiting = {"waiting": {"reason": reason, "message": message}}
    state.pods.partition().upsert(
        {"metadata": {"namespace": "ns", "name": "p"},
         "spec": {"containers": [{"name": "c", "image": image}]},
         "status": {"containerStatuses": [{"name": "c", "state": waiting}]}}
    )  # fmt: skip
    for pod in state.pods:
        for container in pod.containers:
            assert container.pull_cause is None or container.pull_cause in {c.value for c in Cause}


if __name__ == "__main__":
    fuzz(TestOneInput)
