"""Raw secret data is not kept in memory after parsing.

The simulator runs in a child process, so this process holds only the exporter (and the
canaries it searches for). After the reflectors have listed the planted secrets, and
one more secret arrived on the watch, every string and bytes object reachable from a
live container (frames of suspended coroutines and exception tracebacks included) is
searched for any form of any planted secret.
"""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

from exporter.kube.config import load_api_config
from exporter.service import Exporter
from exporter.settings import Settings
from tests.conftest import eventually
from tests.hygiene.canaries import NAMESPACE, Canaries
from tests.hygiene.processes import Simulator, start_simulator

# Creates an object through the API from another process, so its JSON never lives here.
CREATE = """
import json, sys, urllib.request
obj = open(sys.argv[2], "rb").read()
request = urllib.request.Request(sys.argv[1], data=obj, method="POST",
                                 headers={"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=10).close()
"""


def _create_late_secret(canaries: Canaries, sim: Simulator, workdir: Path) -> None:
    path = workdir / "late.json"
    path.write_text(json.dumps(canaries.late_secret()))
    url = f"{sim.url}/api/v1/namespaces/{NAMESPACE}/secrets"
    subprocess.run([sys.executable, "-c", CREATE, url, str(path)], check=True, timeout=30)
    path.unlink()


def _describe(obj: object) -> str:
    if isinstance(obj, types.FrameType):
        return f"frame of {obj.f_code.co_qualname} ({obj.f_code.co_filename})"
    frame = getattr(obj, "cr_frame", None) or getattr(obj, "ag_frame", None)
    frame = frame or getattr(obj, "gi_frame", None)
    if frame is not None:
        return f"{type(obj).__name__} {_describe(frame)}"
    return type(obj).__name__


_ROOTS = (types.FrameType, types.CoroutineType, types.AsyncGeneratorType,
          types.GeneratorType, types.ModuleType, type)  # fmt: skip


def _holders(obj: object, ignore: set[int], depth: int = 8) -> str:
    """The chain of objects holding ``obj``, up to a frame, coroutine or instance."""
    chain = [_describe(obj)]
    ignore = {*ignore, id(chain), id(sys._getframe())}
    for _ in range(depth):
        if isinstance(obj, _ROOTS):
            break
        referrers = gc.get_referrers(obj)
        ignore.add(id(referrers))
        owner = next((o for o in referrers if id(o) not in ignore), None)
        del referrers
        if owner is None:
            break
        obj = owner
        chain.append(_describe(obj))
    return " <- ".join(chain)


def _live_texts(skip: set[int]) -> Iterator[tuple[str, object]]:
    """Strings and bytes referenced by live containers, with the container.

    The garbage collector stops tracking a dict or tuple that holds only atomic values
    (a secret's ``data`` dict is one), so those are descended into explicitly.
    """
    seen: set[int] = set(skip)
    pending: list[object] = list(gc.get_objects())
    while pending:
        container = pending.pop()
        if id(container) in skip:
            continue
        for referent in gc.get_referents(container):
            if id(referent) in seen:
                continue
            seen.add(id(referent))
            if isinstance(referent, str):
                yield referent, container
            elif isinstance(referent, bytes | bytearray):
                yield bytes(referent).decode("latin-1"), container
            elif isinstance(referent, dict | tuple) and not gc.is_tracked(referent):
                pending.append(referent)


def find_in_memory(canaries: Canaries) -> list[str]:
    """Where live objects hold a planted secret (in any form), as readable lines."""
    needles = canaries.needles()
    pattern = re.compile("|".join(map(re.escape, sorted(needles, key=len, reverse=True))))
    ours = [canaries, canaries.planted, *canaries.planted, needles, *needles,
            *needles.values(), pattern, pattern.pattern]  # fmt: skip
    gc.collect()
    hits: list[tuple[str, object]] = []
    texts = _live_texts({id(o) for o in ours})
    for text, container in texts:
        match = pattern.search(text)
        if match is not None:
            hits.append((needles[match.group()], container))
    del texts
    ignore = {id(hits), id(sys._getframe()), *(id(hit) for hit in hits)}
    return sorted({f"{what} in {_holders(container, ignore)}" for what, container in hits})


async def test_raw_secret_data_is_not_kept_after_parsing(tmp_path: Path) -> None:
    canaries = Canaries()
    sim = start_simulator(canaries.write_scenario(tmp_path / "scenario.yaml"), tmp_path,
                          "--no-auth")  # fmt: skip
    exporter = Exporter(
        Settings(listen_address="127.0.0.1:0"), load_api_config(str(sim.kubeconfig))
    )
    state = exporter.state
    try:
        await exporter.start()
        await eventually(lambda: state.synced and len(state.secrets) == 4, within=20)
        _create_late_secret(canaries, sim, tmp_path)
        await eventually(lambda: state.secrets.get((NAMESPACE, "late")) is not None, within=20)
        held = find_in_memory(canaries)
    finally:
        await exporter.stop()
        sim.stop()
    assert held == [], "\n".join(held)
