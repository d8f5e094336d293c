"""Sharing equal values between records, so memory grows with what differs.

150,000 pods run a few hundred distinct images in a few hundred namespaces: every pod
decoded from JSON brings its own copies of those strings, and every healthy replica an
equal container record. Interning keeps one of each.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import TypeVar
from weakref import WeakValueDictionary

from exporter.images.reference import registry_of

T = TypeVar("T")
UNKNOWN_REGISTRY = "unknown"
_records: WeakValueDictionary[object, object] = WeakValueDictionary()


def text(value: str) -> str:
    """One shared copy of a string that many records hold (names, images, registries)."""
    return sys.intern(value)


def record(value: T) -> T:
    """One shared copy of an immutable record; dropped when no record uses it any more."""
    shared = _records.setdefault(value, value)
    assert type(shared) is type(value)
    return shared


@lru_cache(maxsize=8192)
def registry_for(image: str) -> str:
    """Registry host of ``image`` as kubelet normalises it, ``unknown`` if unparsable."""
    return text(registry_of(image) or UNKNOWN_REGISTRY)
