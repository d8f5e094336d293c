"""Text tables and a JSON document for a :class:`~exporter.audit.report.Report`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from exporter.audit.report import INFERRED, Report


def human_duration(seconds: float) -> str:
    """A short duration: ``45s``, ``12m``, ``8h``, ``3d``.

    >>> human_duration(8 * 3600 + 120)
    '8h'
    """
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def expires_in(expires_at: float | None, now: float, source: str | None = None) -> str:
    """``EXPIRED 8h ago``, ``in 3h`` or ``unknown``; ``(inferred)`` when guessed from the
    last rotation and the kind's lifetime rather than read from the token or annotation."""
    if expires_at is None:
        return "unknown"
    if expires_at <= now:
        text = f"EXPIRED {human_duration(now - expires_at)} ago"
    else:
        text = f"in {human_duration(expires_at - now)}"
    return f"{text} (inferred)" if source == INFERRED else text


def age(when: float | None, now: float) -> str:
    return "unknown" if when is None else f"{human_duration(now - when)} ago"


def _table(headers: Sequence[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return [line.rstrip() for line in lines]


def render_text(report: Report) -> str:
    now = report.now
    out: list[str] = ["Pull credentials"]
    if report.credentials:
        out += _table(
            ["namespace", "secret", "registry", "kind", "expires in", "last rotated",
             "problems", "pods", "status"],
            [
                [r.namespace, r.secret, r.registry, r.kind,
                 expires_in(r.expires_at, now, r.expiry_source),
                 age(r.last_rotated, now), ",".join(r.problems) or "-", str(r.pods), r.status]
                for r in report.credentials
            ],
        )  # fmt: skip
    else:
        out.append("  none found")
    out += ["", "Missing pull secrets"]
    if report.missing:
        out += _table(
            ["namespace", "secret", "pods", "note"],
            [
                [r.namespace, r.secret, str(r.pods),
                 f"exists in namespace {', '.join(r.found_in)}" if r.found_in
                 else "not found in the audited namespaces"]
                for r in report.missing
            ],
        )  # fmt: skip
    else:
        out.append("  none")
    out += ["", "Uncovered registries (pods whose pull secrets have no entry for the image)"]
    if report.uncovered:
        out += _table(
            ["namespace", "registry", "pods"],
            [[r.namespace, r.registry, str(r.pods)] for r in report.uncovered],
        )
    else:
        out.append("  none")
    out += ["", "Failing pulls"]
    if report.failing:
        out += _table(
            ["namespace", "pod", "container", "registry", "reason", "cause", "waiting"],
            [
                [r.namespace, r.pod, r.container, r.registry, r.reason, r.cause,
                 human_duration(now - r.waiting_since) if r.waiting_since else "-"]
                for r in report.failing
            ],
        )  # fmt: skip
    else:
        out.append("  none")
    out += ["", "Fixes"]
    if report.fixes or report.failing:
        for fix in report.fixes:
            out.append(f"# {fix.problem}")
            out += [f"#   {note}" for note in fix.notes]
            out += fix.commands
            out.append("")
        by_cause: dict[tuple[str, str], list[str]] = {}
        for row in report.failing:
            if row.hint:
                by_cause.setdefault((row.cause, row.hint), []).append(f"{row.namespace}/{row.pod}")
        for (cause, fix_hint), pods in by_cause.items():
            out.append(f"# failing pulls, cause {cause} ({', '.join(pods)}): {fix_hint}")
    else:
        out.append("  nothing to fix")
    out += ["", "NEEDS ACTION" if report.needs_action else "OK: nothing needs action"]
    return "\n".join(out) + "\n"


def report_dict(report: Report) -> dict[str, Any]:
    now = report.now
    return {
        "generated_at": now,
        "needs_action": report.needs_action,
        "credentials": [
            {**asdict(r), "problems": list(r.problems), "needs_action": r.needs_action,
             "expires_in": expires_in(r.expires_at, now, r.expiry_source)}
            for r in report.credentials
        ],
        "missing_secrets": [{**asdict(r), "found_in": list(r.found_in)} for r in report.missing],
        "uncovered_registries": [asdict(r) for r in report.uncovered],
        "failing_pods": [{**asdict(r), "needs_action": r.needs_action} for r in report.failing],
        "fixes": [{"problem": f.problem, "commands": list(f.commands), "notes": list(f.notes)}
                  for f in report.fixes],
    }  # fmt: skip


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=True) + "\n"
