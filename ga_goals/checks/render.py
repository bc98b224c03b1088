"""A check's findings as text (the terminal, CI logs); its JSON is :meth:`CheckResult.to_json`."""

from __future__ import annotations

import json

from ga_goals.checks.findings import KINDS, CheckResult
from ga_goals.untrusted_text import json_text, plain


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
    for finding in result.findings:
        if finding.kind not in shown:
            shown.append(finding.kind)
            lines.append("")
            lines.append(f"{KINDS[finding.kind].title}:")
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


def _last_of(result: CheckResult, kind: str) -> object:
    return [f for f in result.findings if f.kind == kind][-1]


def render_json(result: CheckResult) -> str:
    return json_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False)) + "\n"
