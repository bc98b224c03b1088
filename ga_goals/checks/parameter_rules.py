"""The parameter checks of ``ga-goals check``: events against the plan's event schemas.

:func:`parameter_findings` turns a source's :class:`~ga_goals.sources.results.SchemaFaults`
(the answer to ``ReportQuery.schemas``) into findings, one per event, parameter and fault:

=====================  ===========  ==============================================================
kind                   severity     found when
=====================  ===========  ==============================================================
parameter_missing      error        a required parameter (or item parameter) is not present
parameter_wrong_type   error        a declared parameter's value is not of its type
                                    (:mod:`ga_goals.model.parameter_types`)
parameter_value_...    warning      outside the allowed ``values``, or not matching ``pattern``
parameter_undeclared   warning      a closed schema's event carried a parameter it does not declare
not_checked            info         what the source could not see (the Data API: see
                                    :mod:`ga_goals.ga4.schema_check`)
=====================  ===========  ==============================================================

Missing and wrong types are errors: the data the plan promises is not there (a value sent as text
is not summed into revenue). A value outside the list or an undeclared parameter is a warning:
the data is there, the plan and the site disagree about it.
"""

from __future__ import annotations

from typing import Any

from ga_goals.checks.findings import (
    NOT_CHECKED,
    PARAMETER_MISSING,
    PARAMETER_NOT_ALLOWED,
    PARAMETER_UNDECLARED,
    PARAMETER_WRONG_TYPE,
    Finding,
    Severity,
)
from ga_goals.model import TrackingPlan
from ga_goals.model.event_schemas import EventSchema, ParameterSpec
from ga_goals.sources.results import ParameterFault, SchemaFaults
from ga_goals.templating import number
from ga_goals.untrusted_text import plain

#: Fault -> (finding kind, severity).
_KIND: dict[str, tuple[str, Severity]] = {
    "missing": (PARAMETER_MISSING.name, "error"),
    "wrong_type": (PARAMETER_WRONG_TYPE.name, "error"),
    "not_allowed": (PARAMETER_NOT_ALLOWED.name, "warning"),
    "pattern": (PARAMETER_NOT_ALLOWED.name, "warning"),
    "undeclared": (PARAMETER_UNDECLARED.name, "warning"),
}
#: Longest example shown in text (JSON has it whole).
EXAMPLE_WIDTH = 60


def declared(schema: EventSchema | None, fault: ParameterFault) -> ParameterSpec | None:
    """The declaration a fault is about (None for an undeclared parameter)."""
    if schema is None:
        return None
    if not fault.item:
        return schema.parameter(fault.parameter)
    items = next((p for p in schema.parameters if p.type == "items"), None)
    return items.item(fault.parameter) if items is not None else None


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _days(fault: ParameterFault) -> str:
    if fault.first_day == fault.last_day:
        return f"on {fault.first_day}"
    return f"from {fault.first_day} to {fault.last_day}"


def _example(fault: ParameterFault) -> str:
    return "" if fault.example is None else f" (e.g. {plain(repr(fault.example), EXAMPLE_WIDTH)})"


def _what(fault: ParameterFault, spec: ParameterSpec | None) -> tuple[str, str]:
    """The middle of the message: what is wrong and what to do."""
    if fault.kind == "missing":
        return "required but missing", "send it from the site's tag, or make it optional in the plan"
    assert spec is not None or fault.kind == "undeclared"
    if fault.kind == "wrong_type":
        return f"not a{'n' if spec.type[0] in 'aeiou' else ''} {spec.type}", f"send it as {spec.type}"  # type: ignore[union-attr]
    if fault.kind == "not_allowed":
        allowed = ", ".join(map(str, spec.values))  # type: ignore[union-attr]
        return f"outside the allowed values ({plain(allowed, 80)})", "send one of them, or add the value to `values:`"
    if fault.kind == "pattern":
        return f"not matching the pattern {plain(spec.pattern, 40)}", "fix the value the site sends, or the pattern"  # type: ignore[union-attr]
    where = "its items' parameters" if fault.item else "the event's parameters"
    return "not declared", f"declare it in {where} (or `undeclared_parameters: allowed`), or stop sending it"


def fault_finding(fault: ParameterFault, total: int, schema: EventSchema | None) -> Finding:
    """One finding for one fault; ``total`` is the event's events in the period."""
    kind, severity = _KIND[fault.kind]
    spec = declared(schema, fault)
    share = _share(fault.events, total)
    what, todo = _what(fault, spec)
    label = plain(fault.label, 80)
    message = (
        f"{label}: {what} on {number(fault.events)} of {number(total)} events ({share:.1%}), {_days(fault)}"
        f"{_example(fault)}: {todo}"
    )
    figures: dict[str, Any] = {
        "event": fault.event,
        "parameter": fault.parameter,
        "item": fault.item,
        "fault": fault.kind,
        "events": fault.events,
        "event_total": total,
        "share": share,
        "first_day": fault.first_day.isoformat(),
        "last_day": fault.last_day.isoformat(),
        "example": fault.example,
    }
    if spec is not None:
        figures["declared"] = {
            "type": spec.type,
            "required": spec.required,
            "values": list(spec.values),
            "pattern": spec.pattern,
        }
    where = spec.where if spec is not None and spec.where is not None else (schema.where if schema else None)
    return Finding(kind, severity, fault.label, message, where, figures)


def parameter_findings(plan: TrackingPlan, found: SchemaFaults | None) -> list[Finding]:
    """Every fault as a finding (by event, then parameter), then what the source could not see."""
    if found is None:
        return []
    out = []
    for fault in sorted(found.faults, key=lambda f: (f.event, f.item, f.parameter, f.kind)):
        schema = plan.event_schemas.get(fault.event)
        out.append(fault_finding(fault, found.totals.get(fault.event, 0), schema))
    for unseen in found.unseen:
        label = f"items[].{unseen.parameter}" if unseen.item else unseen.parameter
        events = plain(", ".join(unseen.events) if unseen.events else "every event", 120)
        if unseen.item and unseen.parameter == "*":
            what = f"item parameters ({events})"
        elif unseen.kinds == ("undeclared",):
            what = f"undeclared parameters ({events})"
        elif set(unseen.kinds) >= {"missing", "wrong_type", "not_allowed", "pattern"}:
            what = f"parameter {plain(label, 60)} ({events})"
        else:
            what = f"parameter {plain(label, 60)} ({events}): {' and '.join(k.replace('_', ' ') for k in unseen.kinds)}"
        out.append(
            Finding(
                NOT_CHECKED.name,
                "info",
                label,
                f"{what} not checked: {unseen.why}",
                None,
                {
                    "parameter": unseen.parameter,
                    "item": unseen.item,
                    "events": list(unseen.events),
                    "kinds": list(unseen.kinds),
                    "what": what,
                    "why": unseen.why,
                },
            )
        )
    return out


def checked_summary(plan: TrackingPlan, found: SchemaFaults | None) -> dict[str, Any]:
    """What the parameter checks covered: events read, event names with a schema, declared parameters."""
    if found is None:
        return {}
    schemas = list(plan.event_schemas.values())
    parameters = sum(len(s.parameters) + sum(len(p.items) for p in s.parameters) for s in schemas)
    return {
        "events": sum(found.totals.values()),
        "event_names": len(schemas),
        "event_names_seen": sum(1 for s in schemas if found.totals.get(s.event_name)),
        "parameters": parameters,
    }
