"""What the fuzz targets share: slicing fuzzer bytes into fields, and running under atheris.

Targets take plain ``bytes`` and never import atheris at module level, so the seed
corpus runs under pytest without it (``tests/hostile/test_fuzz_corpus.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

#: Field separator inside one input; libFuzzer learns it from the comparisons below.
SEPARATOR = b"\x00|\x00"


def fields(data: bytes, count: int) -> list[bytes]:
    """``data`` cut into exactly ``count`` fields (missing ones empty)."""
    parts = data.split(SEPARATOR, count - 1)
    return parts + [b""] * (count - len(parts))


def text(raw: bytes) -> str:
    """Bytes as the API's JSON decoder could hand them over: invalid UTF-8 becomes lone
    surrogates (``surrogateescape``), which is what a ``\\udcff`` JSON escape gives."""
    return raw.decode("utf-8", "surrogateescape")


def fuzz(test_one_input: Callable[[bytes], None]) -> None:
    """Run ``test_one_input`` under atheris with the command line's libFuzzer flags."""
    try:
        import atheris  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        sys.exit("atheris is not installed: pip install atheris (Linux x86_64, CPython)")
    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
