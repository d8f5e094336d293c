"""``imagepull_failures_total``: pull failures counted from the Events' own counts.

kubelet folds repeats of one failure into one Event and bumps its ``count`` (or
``series.count``). Counting the growth of that number per Event UID, instead of one per
watch notification, makes the counter immune to relists and reconnects:

* events already there at the first LIST are the baseline (not counted);
* an event first seen on the watch, or first seen in a relist, counts its whole count;
* a known event counts only how much its count grew.
"""

from __future__ import annotations

from collections import Counter

from exporter.state.records import EventRecord
from exporter.state.store import Phase

FailureKey = tuple[str, str, str, str]
"""(namespace, registry, event reason, cause)."""


class FailureCounter:
    """A listener for the events store; ``totals`` only ever grows."""

    def __init__(self) -> None:
        self.totals: Counter[FailureKey] = Counter()
        self.version = 0

    def __call__(self, old: EventRecord | None, new: EventRecord | None, phase: Phase) -> None:
        if new is None:
            return
        if old is None:
            grown = 0 if phase is Phase.INITIAL_LIST else new.count
        else:
            grown = max(new.count - old.count, 0)
        if grown:
            self.totals[(new.namespace, new.registry, new.reason, new.cause)] += grown
            self.version += 1
