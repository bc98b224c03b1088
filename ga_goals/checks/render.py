"""A check's findings as text (the terminal, CI logs); its JSON is :meth:`CheckResult.to_json`."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

from ga_goals.checks.findings import KINDS, NOT_CHECKED, CheckResult, Finding
from ga_goals.untrusted_text import json_text, plain

#: Width of a grouped list's lines; the indent lines them up under the message column.
_WIDTH = 100
_INDENT = " " * 10


def render_text(result: CheckResult) -> str:
    """Findings grouped by kind, most serious first, then a one-line summary.

    Event names and parameters come from the property's data: they are shown as plain text
    (control characters escaped), never interpreted by the terminal.
    """
    env = f" ({result.environment})" if result.environment else ""
    lines = [
        f"Check of {result.plan_source}{env} against {result.property}, "
        f"last {result.days} day{'s' if result.days != 1 else ''} ({result.start} .. {result.end}, {result.time_zone}):"
    ]
    shown: list[str] = []
    grouped = _not_checked_groups(result.findings)
    for finding in result.findings:
        if finding.kind not in shown:
            shown.append(finding.kind)
            lines.append("")
            lines.append(f"{KINDS[finding.kind].title}:")
        if finding.kind == NOT_CHECKED.name and id(finding) in grouped:
            lines += grouped[id(finding)]
            continue
        where = f"  [{finding.where}]" if finding.where is not None else ""
        lines.append(f"  {finding.severity:<7} {plain(finding.message, ltr=True)}{where}")
        if finding.kind in result.omitted and finding is _last_of(result, finding.kind):
            n = result.omitted[finding.kind]
            lines.append(f"          ... and {n} more (--top to list them)")
    lines.append("")
    errors, warnings, infos = result.count("error"), result.count("warning"), result.count("info")
    if not result.findings:
        lines.append("Nothing found.")
    else:
        parts = [f"{errors} error{'s' if errors != 1 else ''}", f"{warnings} warning{'s' if warnings != 1 else ''}"]
        if infos:
            parts.append(f"{infos} not checked")
        lines.append(", ".join(parts) + ".")
    if result.checked:
        c = result.checked
        lines.append(
            f"Event schemas: {c['event_names']} events declared ({c['event_names_seen']} seen), {c['parameters']} parameters, "
            f"checked on {c['events']:,} events."
        )
    lines.append(result.usage)
    return "\n".join(lines) + "\n"


def _not_checked_groups(findings: Sequence[Finding]) -> dict[int, list[str]]:
    """What the engine could not see, one paragraph per reason: ``"info    3 not checked:
    <why>"`` and the list of what, wrapped (25 lines of one repeated reason said nothing more).
    Keyed by the id of each group's first finding; the others of a group map to no lines. A
    reason with one finding keeps its one-line form (not in the result). JSON lists each one."""
    by_why: dict[str, list[Finding]] = {}
    for f in findings:
        if f.kind == NOT_CHECKED.name and f.figures.get("why") and f.figures.get("what"):
            by_why.setdefault(str(f.figures["why"]), []).append(f)
    out: dict[int, list[str]] = {}
    for why, group in by_why.items():
        if len(group) < 2:
            continue
        whats: list[str] = [str(f.figures["what"]) for f in group]
        noun = ""
        if all(w.startswith("parameter ") for w in whats):
            whats, noun = [w.removeprefix("parameter ") for w in whats], " parameters"
        items = "; ".join(plain(w, ltr=True) for w in whats)
        head = f"  {'info':<7} {len(group)}{noun} not checked: {plain(why, ltr=True)}:"
        out[id(group[0])] = [head, *textwrap.wrap(items, _WIDTH, initial_indent=_INDENT, subsequent_indent=_INDENT, break_on_hyphens=False)]
        for f in group[1:]:
            out[id(f)] = []
    return out


def _last_of(result: CheckResult, kind: str) -> object:
    return [f for f in result.findings if f.kind == kind][-1]


def render_json(result: CheckResult) -> str:
    return json_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False)) + "\n"
