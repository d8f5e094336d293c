"""``imagepull-exporter classify``: why did this pull fail? One JSON line per message.

Messages come from the arguments, or from stdin one per line, e.g. pasted from
``kubectl describe pod`` (the Events table columns are stripped; blank, header and
container-field lines such as ``State:`` or ``Image:`` skipped; ``Reason: X`` read as the
bare reason) or ``kubectl get events``. Stdin is read as bytes and decoded as UTF-8 with
replacement, so a binary paste never stops it, whatever the locale. The output never
echoes the message: it may hold anything, and the fields printed are bounded (a cause, a
parsed image reference, a registry host, a kubelet reason word).

    $ imagepull-exporter classify 'Failed to pull image "nginx": ... no basic auth credentials'
    {"input": 1, "cause": "auth", "registry": "docker.io", "image": "nginx"}
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from typing import BinaryIO, TextIO

from exporter.pullerrors import classify, hint

NAME = "classify"
HELP = "classify image pull failure messages (arguments or stdin) into causes, as JSON lines"

# kubectl describe pod, Events table: "  Warning  Failed  3m (x4 over 5m)  kubelet  <message>"
# (older kubectl: "kubelet, node-1" and a "spec.containers{app}" column).
_DESCRIBE_EVENT = re.compile(
    r"\s*(?:Normal|Warning)\s+(?P<reason>[A-Za-z]{1,64})\s+"
    r"(?:\S+(?:\s+\(x\d+ over \S+\))?)\s+"  # age, with its repeat count
    r"(?:[\w.-]+(?:, [\w.-]+)?)\s+"  # from
    r"(?:spec\.\S+\s+)?(?P<message>.*)",
    re.DOTALL,
)
# kubectl get events: "43s  Warning  Failed  pod/api-7c99  <message>"
_GET_EVENT = re.compile(
    r"\s*\S+\s+(?:Normal|Warning)\s+(?P<reason>[A-Za-z]{1,64})\s+\S+/\S+\s+(?P<message>.*)",
    re.DOTALL,
)
# kubectl describe pod, container state: "      Message:   Back-off pulling image ..."
_STATE_MESSAGE = re.compile(r"\s*Message:\s+(?P<message>.*)", re.DOTALL)
# kubectl describe pod, container state: "      Reason:       ImagePullBackOff"
_STATE_REASON = re.compile(r"\s*Reason:\s+(?P<reason>[A-Za-z]{1,64})\s*")
# Table headers, separators and section titles carry no message; nor do the container
# fields around a waiting state ("State:          Waiting", "Image:  nginx").
_NOT_A_MESSAGE = re.compile(
    r"\s*(?:Events:.*|Type\s+Reason\s+Age.*|-+(?:\s+-+)*|LAST SEEN.*"
    r"|(?:State|Last State|Ready|Restart Count|Started|Finished|Exit Code|Image|Image ID"
    r"|Container ID|Port|Host Port|Ports|Host Ports):(?:\s.*)?)\s*",
    re.DOTALL,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "messages",
        nargs="*",
        metavar="MESSAGE",
        help="kubelet event or waiting messages; read from stdin, one per line, if none",
    )
    parser.add_argument(
        "--reason",
        default=None,
        help="the event or waiting reason of every message (e.g. ErrImageNeverPull)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="add a one-line hint of what to do",
    )


def split_line(line: str) -> tuple[str | None, str] | None:
    """(reason, message) of one pasted line, or ``None`` for a line with no message.

    >>> split_line("  Warning  Failed  3m (x4 over 5m)  kubelet  Failed to pull image ...")
    ('Failed', 'Failed to pull image ...')
    >>> split_line("  ----    ------  ----  ----  -------") is None
    True
    >>> split_line("      Reason:       ImagePullBackOff")
    (None, 'ImagePullBackOff')
    """
    if not line.strip() or _NOT_A_MESSAGE.fullmatch(line):
        return None
    for pattern in (_DESCRIBE_EVENT, _GET_EVENT):
        event = pattern.fullmatch(line)
        if event is not None:
            return event.group("reason"), event.group("message").strip()
    state = _STATE_MESSAGE.fullmatch(line)
    if state is not None:
        return None, state.group("message").strip()
    reason = _STATE_REASON.fullmatch(line)
    if reason is not None:
        return None, reason.group("reason")  # a bare reason word classifies on its own
    return None, line.strip()


def _stdin_lines(stdin: TextIO | None) -> Iterator[str]:
    """Lines of ``stdin``, from its bytes when it has them: a text stream opened with
    ``errors="strict"`` (a UTF-8 locale without UTF-8 mode) raises on the first bad byte."""
    if stdin is None:  # fd 0 closed: nothing to read
        return
    buffer: BinaryIO | None = getattr(stdin, "buffer", None)
    if buffer is None:
        yield from stdin
        return
    for raw in buffer:
        yield raw.decode("utf-8", errors="replace")


def _inputs(
    args: argparse.Namespace, stdin: TextIO | None
) -> Iterator[tuple[int, str | None, str]]:
    lines: Iterable[str] = args.messages if args.messages else _stdin_lines(stdin)
    for number, line in enumerate(lines, start=1):
        split = split_line(line.rstrip("\r\n"))
        if split is not None:
            reason, message = split
            yield number, args.reason or reason, message


def run(
    args: argparse.Namespace, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Print one JSON object per message: input number, cause, registry, image [, hint]."""
    source = sys.stdin if stdin is None else stdin
    sink = sys.stdout if stdout is None else stdout
    for number, reason, message in _inputs(args, source):
        found = classify(message, reason=reason)
        record: dict[str, str | int | None] = {
            "input": number,
            "cause": found.cause.value,
            "registry": found.registry,
            "image": found.image,
        }
        if args.explain:
            record["hint"] = hint(found.cause)
        sink.write(json.dumps(record) + "\n")
    return 0
