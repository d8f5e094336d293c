"""The garbage collector's settings for a process whose state is large and long-lived.

CPython's cyclic collector walks every tracked object of a generation it collects. While
the first LISTs fill the stores, the decoded objects and the records are kept out of it
(untracked msgspec Structs), but what they hold and what the reducers build on the way
(tuples, sets, dicts of the indexes, interned container records) is tracked, and with the
default thresholds every survivor is walked again at each older collection. None of it
forms reference cycles (reference counting frees it), so during the initial sync the
collector is made rare, and once synced everything alive is frozen: kept out of later
collections, which then walk only what changed since.

Process-wide: called by the command that owns the process (``serve``), never by the
library code that tests run in-process.
"""

from __future__ import annotations

import gc

SYNC_THRESHOLDS = (100_000, 50, 100)
"""During the initial sync: a young collection every 100,000 allocations, not 700."""

_USUAL = gc.get_threshold()


def before_initial_sync() -> None:
    """Freeze what the imports made (never garbage) and make collections rare."""
    gc.freeze()
    gc.set_threshold(*SYNC_THRESHOLDS)


def after_initial_sync() -> None:
    """Back to the usual thresholds; collect once, then freeze the synced state."""
    gc.set_threshold(*_USUAL)
    gc.collect()
    gc.freeze()
