"""The garbage collector's settings for a process whose state is large and long-lived.

CPython's cyclic collector walks every tracked object of a generation it collects. While
the first LISTs fill the stores (150,000 pods: millions of short-lived decoded dicts,
hundreds of thousands of records that live on), the default thresholds collect so often
that the collector costs as much as decoding and reducing together. Records and decoded
pages hold no reference cycles (reference counting frees them), so during the initial
sync the collector is made rare, and once synced everything alive is frozen: kept out of
later collections, which then walk only what changed since.

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
