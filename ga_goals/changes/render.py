"""Plans as text (terminal), JSON (scripts) and Markdown (pull-request comments).

The text form reads like Terraform's: a symbol per change (``+`` create, ``~`` update, ``-/+``
replace, ``x`` archive, ``-`` delete), the kind and label, then one line per field. Strings are
shown JSON-quoted so that ``""`` and trailing spaces are visible.

Every string may come from the live property (display names, descriptions, stream names), so
the Markdown renderer escapes what GitHub would otherwise interpret.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from typing import Any

import click

from ga_goals.changes.plan import OPTIONAL_SUMMARY, SUMMARY_ORDER, SYMBOLS, Change, Plan
from ga_goals.model.audiences import AudienceClause, clause_text

#: click colours per action.
COLORS: dict[str, str] = {
    "create": "green",
    "update": "yellow",
    "replace": "red",
    "archive": "red",
    "delete": "red",
    "reorder": "yellow",
}

INDENT = "      "


def render_text(plan: Plan, *, color: bool) -> str:
    """The plan for a terminal; ANSI colours only when ``color`` is true. No trailing newline."""
    style = _styler(color)
    lines = [style(_header(plan), bold=True), ""]
    for change in plan.changes:
        lines.extend(_change_lines(change, style))
        lines.append("")
    for note in plan.notes:
        if note.level == "warning":
            lines.append(style("Warning: ", fg="yellow", bold=True) + note.message)
        else:
            lines.append(style("Note: ", bold=True) + note.message)
    if plan.notes:
        lines.append("")
    lines.append(style(_summary_line(plan), bold=True))
    if plan.destructive:
        lines.append(
            style(
                f"{_count(len(plan.destructive), 'destructive change')} (replace, archive, delete) "
                f"{'needs' if len(plan.destructive) == 1 else 'need'} --allow-destroy; "
                f"safety.max_destroy is {plan.max_destroy}.",
                fg="red",
            )
        )
    lines.append(style(f"Checksum: {plan.checksum}", dim=True))
    return "\n".join(lines)


def render_json(plans: list[Plan]) -> str:
    """Several plans (one per environment) as one JSON document, indented, in a stable order."""
    return json.dumps({"plans": [p.to_json() for p in plans]}, indent=2, ensure_ascii=False)


def render_markdown(plan: Plan) -> str:
    """The plan for a pull-request comment: a summary table and the field changes as a diff."""
    out = [f"### ga-goals plan for {_md(plan.property)}" + (f" ({_md(plan.environment)})" if plan.environment else "")]
    if plan.source:
        out.append(f"Plan file: {_md(plan.source)}")
    out.append("")
    if not plan.changes:
        out.append(f"**{_md(_summary_line(plan))}**")
    else:
        out.append(f"**{_md(_summary_line(plan))}**")
        if plan.destructive:
            out.append("")
            out.append(
                f"> [!CAUTION]\n> {_count(len(plan.destructive), 'destructive change')}: "
                "archived custom definitions cannot be restored; applying needs --allow-destroy."
            )
        out += ["", "| | Action | Kind | Resource | Fields | Why |", "|---|---|---|---|---|---|"]
        for change in plan.changes:
            fields = ", ".join(f.field for f in change.fields) if change.action in ("update", "replace", "reorder") else ""
            cells = [SYMBOLS[change.action], change.action, change.kind, change.label, fields, change.reason]
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
        body = "\n".join(_diff_lines(plan.changes))
        fence = "`" * max(3, _longest_backtick_run(body) + 1)
        out += ["", "<details><summary>Field changes</summary>", "", f"{fence}diff", body, fence, "", "</details>"]
    if plan.notes:
        out.append("")
        for note in plan.notes:
            prefix = "**Warning:** " if note.level == "warning" else "Note: "
            out.append(f"- {prefix}{_md(note.message)}")
    out += ["", f"Checksum: `{plan.checksum}`"]
    return "\n".join(out)


# Text ------------------------------------------------------------------------------------------

Styler = Callable[..., str]


def _styler(color: bool) -> Styler:
    if color:
        return lambda text, **kw: click.style(text, **kw)
    return lambda text, **kw: text


def _header(plan: Plan) -> str:
    header = f"Plan for {plan.property}"
    if plan.environment:
        header += f" (environment {plan.environment})"
    if plan.source:
        header += f" from {plan.source}"
    return header


def _summary_line(plan: Plan) -> str:
    if not plan.changes:
        return f"No changes. {plan.property} matches {plan.source or 'the plan'}."
    counts = plan.summary()
    actions = SUMMARY_ORDER + tuple(a for a in OPTIONAL_SUMMARY if counts.get(a))
    return "Plan: " + ", ".join(f"{counts[action]} to {action}" for action in actions) + "."


def _change_lines(change: Change, style: Styler) -> list[str]:
    fg = COLORS[change.action]
    head = style(f"{SYMBOLS[change.action]:>3} {change.action}", fg=fg, bold=True)
    head += f" {change.kind} " + style(change.label, bold=True)
    resource_name = getattr(change.existing, "resource_name", None)
    if resource_name and change.action != "update":
        head += style(f"  ({resource_name})", dim=True)
    elif change.action == "create" and (stream := getattr(change.desired, "stream", None)):
        head += style(f"  (on {stream})", dim=True)
    elif change.action == "reorder" and (stream := getattr(change.desired, "stream", None)):
        head += style(f"  (on {stream})", dim=True)
    lines = [head]
    if change.reason:
        lines.append(style(f"{INDENT}# {change.reason}", dim=True))
    if change.action == "reorder":
        return lines + [line for f in change.fields for line in _order_lines(f.field, f.old, f.new, style)]
    for f in change.fields:
        if change.action in ("update", "replace"):
            lines.extend(_field_update(f.field, f.old, f.new, style))
        else:
            value = f.new if change.action == "create" else f.old
            if value is None or value == "" or value == []:
                continue  # unset: GA4's default; listing it is noise
            lines.extend(_field_value(f.field, value))
    return lines


def _field_value(name: str, value: Any) -> list[str]:
    if _is_block(value):
        return [f"{INDENT}{name}:"] + [f"{INDENT}    {_item(v)}" for v in value]
    return [f"{INDENT}{name}: {_scalar(value)}"]


def _field_update(name: str, old: Any, new: Any, style: Styler) -> list[str]:
    if not (_is_block(old) or _is_block(new)):
        return [f"{INDENT}{name}: {_scalar(old)} " + style("→", fg="yellow") + f" {_scalar(new)}"]
    before = [_item(v) for v in old or []]
    after = [_item(v) for v in new or []]
    lines = [f"{INDENT}{name}:"]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            lines.extend(f"{INDENT}    {item}" for item in before[i1:i2])
            continue
        lines.extend(style(f"{INDENT}  - {item}", fg="red") for item in before[i1:i2])
        lines.extend(style(f"{INDENT}  + {item}", fg="green") for item in after[j1:j2])
    return lines


def _order_lines(name: str, old: list[str], new: list[str], style: Styler) -> list[str]:
    """A new order, one item a line, each moved one with its old place: ``2. "Fix" (was 1)``."""
    lines = [f"{INDENT}{name}:"]
    for place, item in enumerate(new, start=1):
        was = old.index(item) + 1 if item in old else None
        moved = style(f"  (was {was})", fg="yellow") if was != place else ""
        lines.append(f"{INDENT}  {place}. {_scalar(item)}{moved}")
    return lines


def _is_block(value: Any) -> bool:
    """Lists of objects (conditions, mutations) get one line per item."""
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _item(value: Any) -> str:
    """An event create rule condition or mutation, readably; anything else as JSON."""
    if isinstance(value, dict) and {"field", "comparison", "value"} <= set(value):
        text = f"{value['field']} {value['comparison']} {_scalar(value['value'])}"
        return f"not ({text})" if value.get("negated") else text
    if isinstance(value, dict) and set(value) == {"parameter", "value"}:
        return f"{value['parameter']} = {_scalar(value['value'])}"
    if isinstance(value, dict) and value.get("type") in ("include", "exclude") and (
        "condition" in value or "sequence" in value
    ):
        return f"{value['type']} {clause_text(AudienceClause.from_json(value))}"
    return _scalar(value)


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


# Markdown --------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")


def _md(text: str) -> str:
    """Text safe in a Markdown paragraph or table cell: no HTML, links, emphasis or cell breaks."""
    text = text.replace("&", "&amp;").replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _diff_lines(changes: list[Change]) -> list[str]:
    lines: list[str] = []
    for change in changes:
        head = f"{change.action} {change.kind} {change.label}"
        reason = [f"  # {change.reason}"] if change.reason else []
        if change.action == "create":
            lines.append(f"+ {head}")
            lines.extend(reason)
            lines.extend("+ " + line for f in change.fields for line in _field_value(f.field, f.new))
        elif change.action in ("archive", "delete"):
            lines.append(f"- {head}")
            lines.extend(reason)
            lines.extend("- " + line for f in change.fields for line in _field_value(f.field, f.old))
        else:
            lines.append(f"! {head}")
            lines.extend(reason)
            for f in change.fields:
                lines.extend("- " + line for line in _field_value(f.field, f.old))
                lines.extend("+ " + line for line in _field_value(f.field, f.new))
    return lines


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)
