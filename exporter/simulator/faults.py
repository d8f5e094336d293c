"""One-shot faults injected into the simulator's responses.

Each fault matches a ``resource`` (plural name or ``"*"``) and a ``verb`` (``list``,
``watch``, ``get``, ``create``, ``update``, ``patch``, ``delete`` or ``"*"``) and fires
``times`` times; faults are consumed in the order they were injected. A fault only matches
the verbs where it means something (``stall`` and ``error_event`` need a watch,
``expire_continue`` a list carrying a continue token).

Over HTTP (``POST /simulator/v1/faults``) a fault is JSON with a ``type`` named as below:

    {"type": "too_many_requests", "resource": "pods", "verb": "list", "retry_after": 2}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Fault:
    """Common fields: which requests the fault matches and how many it affects."""

    resource: str = "*"
    verb: str = "*"
    times: int = 1
    type: ClassVar[str] = ""
    verbs: ClassVar[frozenset[str] | None] = None  # None: every verb

    def matches(self, resource: str, verb: str, *, has_continue: bool = False) -> bool:
        """Whether a request for ``verb`` on ``resource`` triggers this fault."""
        if self.verbs is not None and verb not in self.verbs:
            return False
        return self.resource in ("*", resource) and self.verb in ("*", verb)


@dataclass(frozen=True, slots=True)
class StatusFault(Fault):
    """Answer with HTTP ``code`` and a ``Status`` body (e.g. 500, 503, 403)."""

    code: int = 500
    message: str = "simulated failure"
    type: ClassVar[str] = "status"


@dataclass(frozen=True, slots=True)
class TooManyRequests(Fault):
    """429 with a ``Retry-After: retry_after`` header, as API priority and fairness sends."""

    retry_after: int = 1
    type: ClassVar[str] = "too_many_requests"


@dataclass(frozen=True, slots=True)
class Gone(Fault):
    """A list answers 410 Expired; a watch sends an ERROR event with code 410 and ends."""

    type: ClassVar[str] = "gone"
    verbs: ClassVar[frozenset[str] | None] = frozenset({"list", "watch", "get"})


@dataclass(frozen=True, slots=True)
class ErrorEvent(Fault):
    """A watch sends an ERROR event carrying a Status with ``code``, then ends."""

    code: int = 500
    message: str = "simulated watch error"
    type: ClassVar[str] = "error_event"
    verbs: ClassVar[frozenset[str] | None] = frozenset({"watch"})


@dataclass(frozen=True, slots=True)
class DisconnectMidLine(Fault):
    """A watch sends up to ``events`` whole events, half a line, then drops the connection;
    a list or get sends half its body and drops the connection."""

    events: int = 1
    type: ClassVar[str] = "disconnect_mid_line"
    verbs: ClassVar[frozenset[str] | None] = frozenset({"list", "watch", "get"})


@dataclass(frozen=True, slots=True)
class TruncatedLine(Fault):
    """A watch sends up to ``events`` whole events, then half a line ended by a newline (not
    JSON), then ends; a list or get answers 200 with half its body."""

    events: int = 0
    type: ClassVar[str] = "truncated_line"
    verbs: ClassVar[frozenset[str] | None] = frozenset({"list", "watch", "get"})


@dataclass(frozen=True, slots=True)
class Stall(Fault):
    """A watch sends its headers, then nothing for ``seconds`` (not even bookmarks), then ends."""

    seconds: float = 30.0
    type: ClassVar[str] = "stall"
    verbs: ClassVar[frozenset[str] | None] = frozenset({"watch"})


@dataclass(frozen=True, slots=True)
class ExpireContinue(Fault):
    """The next list carrying a ``continue`` token answers 410 Expired."""

    type: ClassVar[str] = "expire_continue"
    verbs: ClassVar[frozenset[str] | None] = frozenset({"list"})

    def matches(self, resource: str, verb: str, *, has_continue: bool = False) -> bool:
        """Only lists that carry a continue token."""
        return has_continue and Fault.matches(self, resource, verb)


FAULT_TYPES: dict[str, type[Fault]] = {
    cls.type: cls
    for cls in (
        StatusFault,
        TooManyRequests,
        Gone,
        ErrorEvent,
        DisconnectMidLine,
        TruncatedLine,
        Stall,
        ExpireContinue,
    )
}


def fault_from_json(data: Mapping[str, Any]) -> Fault:
    """Build a fault from its JSON form; unknown types or fields raise ``ValueError``."""
    kind = data.get("type")
    cls = FAULT_TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown fault type {kind!r}; known: {', '.join(FAULT_TYPES)}")
    allowed = {f.name for f in fields(cls)}
    unknown = set(data) - allowed - {"type"}
    if unknown:
        raise ValueError(f"unknown field(s) for {kind}: {', '.join(sorted(unknown))}")
    return cls(**{k: v for k, v in data.items() if k != "type"})


def fault_name(fault: Fault) -> str:
    """``status_503``, ``gone``, ``stall``: a bounded name for counting.

    >>> fault_name(StatusFault(code=503)), fault_name(Gone())
    ('status_503', 'gone')
    """
    if isinstance(fault, StatusFault | ErrorEvent):
        return f"{fault.type}_{fault.code}"
    return fault.type


class FaultQueue:
    """Injected faults in order, each with its remaining count; ``fired`` counts what
    was applied, by :func:`fault_name` (plus ``restart`` for forced restarts)."""

    def __init__(self) -> None:
        self._pending: list[list[Any]] = []  # [fault, remaining]
        self.fired: Counter[str] = Counter()

    def add(self, fault: Fault) -> None:
        """Queue ``fault`` behind the ones already injected."""
        if fault.times > 0:
            self._pending.append([fault, fault.times])

    def take(self, resource: str, verb: str, *, has_continue: bool = False) -> Fault | None:
        """The first pending fault matching this request, consuming one use of it."""
        for entry in self._pending:
            fault: Fault = entry[0]
            if fault.matches(resource, verb, has_continue=has_continue):
                entry[1] -= 1
                if entry[1] <= 0:
                    self._pending.remove(entry)
                self.fired[fault_name(fault)] += 1
                return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._pending)
