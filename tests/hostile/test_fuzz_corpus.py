"""The fuzz targets' TestOneInput over their seed corpus, without atheris installed.

CI runs every seed through the same assertions the fuzzer checks, so a target that rots
(an import, an invariant that no longer holds) fails here before anyone fuzzes long.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FUZZ = Path(__file__).parents[2] / "fuzz"
TARGETS = ("pull_secret", "events", "exposition")


def _seeds() -> Iterator[tuple[str, Path]]:
    for target in TARGETS:
        for seed in sorted((FUZZ / "corpus" / target).iterdir()):
            yield target, seed


@pytest.fixture(scope="module")
def targets() -> Iterator[dict[str, Callable[[bytes], None]]]:
    sys.path.insert(0, str(FUZZ))  # the targets import their sibling fuzz_input
    try:
        modules = {t: importlib.import_module(f"fuzz_{t}") for t in TARGETS}
        yield {t: module.TestOneInput for t, module in modules.items()}
    finally:
        sys.path.remove(str(FUZZ))


def test_every_target_has_seeds() -> None:
    assert {target for target, _ in _seeds()} == set(TARGETS)


@pytest.mark.parametrize(("target", "seed"), list(_seeds()), ids=lambda v: getattr(v, "name", v))
def test_seed(target: str, seed: Path, targets: dict[str, Callable[[bytes], None]]) -> None:
    targets[target](seed.read_bytes())


@pytest.mark.parametrize("target", TARGETS)
def test_empty_and_truncated_inputs(
    target: str, targets: dict[str, Callable[[bytes], None]]
) -> None:
    for seed in sorted((FUZZ / "corpus" / target).iterdir()):
        data = seed.read_bytes()
        for cut in (0, 1, 2, len(data) // 2, len(data) - 1):
            targets[target](data[:cut])
