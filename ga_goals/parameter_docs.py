"""The event parameters of a plan as its documentation shows them, and where each is used.

``event_parameter_docs(plan)`` reads the resolved schemas (``TrackingPlan.event_schemas``) and
says, for each parameter of each event: its type, whether it is required, its allowed values or
pattern, its description, where its declaration comes from (the plan, a shared set, Google's
recommended event) and where the plan uses it: a custom dimension or metric that registers it,
a funnel step's parameter filter (``where:``), a segment's, a stage's ``reached_by``, an event
create rule's condition (on the source event) or mutation (on the created event).
``ga_goals.plan_docs`` puts these in its ``PlanDoc``; the templates render them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ga_goals.model.tracking_plan import AllOf, AnyOf, EventMatch, Not, condition_text

if TYPE_CHECKING:
    from ga_goals.model import StepFilter, TrackingPlan
    from ga_goals.model.event_schemas import ParameterSpec
    from ga_goals.model.tracking_plan import StepCondition

__all__ = ["EventParametersDoc", "ParameterDoc", "ParameterSetDoc", "event_parameter_docs", "parameter_set_docs"]


@dataclass(frozen=True)
class ParameterDoc:
    """One parameter (or item parameter) of an event."""

    name: str
    type: str  # string, integer, number, boolean, items
    required: bool
    values: tuple[str, ...]  # the allowed values, as text; empty = any
    pattern: str | None
    description: str
    origin: str  # "plan", "set", "recommended"
    origin_label: str  # "this event", "set ecommerce", "Google (recommended)"
    uses: tuple[str, ...]  # "custom dimension 'Payment type'", "funnel 'Checkout' step 6 (value > 0)"...
    items: tuple[ParameterDoc, ...] = ()  # item parameters the plan declares (items only)
    google_items: int = 0  # Google's item parameters the plan leaves as they are (items only)

    @property
    def rule(self) -> str:
        """The allowed values or the pattern in one line ("" when any value goes)."""
        if self.values:
            return "one of " + ", ".join(self.values)
        if self.pattern:
            return f"matches {self.pattern}"
        return ""


@dataclass(frozen=True)
class EventParametersDoc:
    """The parameters of one event, in the order the plan resolves them."""

    event: str
    anchor: str  # the event's row in the journey
    parameters: tuple[ParameterDoc, ...]
    sets: tuple[str, ...]
    recommended: bool
    automatic: bool
    closed: bool  # `check` reports parameters nobody declared

    @property
    def required(self) -> tuple[ParameterDoc, ...]:
        return tuple(p for p in self.parameters if p.required)


@dataclass(frozen=True)
class ParameterSetDoc:
    name: str
    description: str
    parameters: tuple[str, ...]
    events: tuple[str, ...]  # the events that use it


def _origin_label(spec: ParameterSpec, event: str) -> str:
    if spec.origin == "recommended":
        return "Google (recommended)"
    if spec.origin == "set":
        return f"set {spec.origin_name}"
    return "this event"


def _matches(condition: StepCondition) -> Iterator[EventMatch]:
    if isinstance(condition, EventMatch):
        yield condition
    elif isinstance(condition, (AllOf, AnyOf)):
        for part in condition.parts:
            yield from _matches(part)
    elif isinstance(condition, Not):
        yield from _matches(condition.part)


def _filter_text(f: StepFilter) -> str:
    return condition_text(EventMatch("", (f,))).removeprefix(" with ")


def _uses(plan: TrackingPlan) -> dict[tuple[str, str, bool], list[str]]:
    """(event, parameter, is an item parameter) -> where the plan uses it; ("*", name, ...) for every event."""
    uses: dict[tuple[str, str, bool], list[str]] = {}

    def add(event: str, name: str, text: str, item: bool = False) -> None:
        found = uses.setdefault((event, name, item), [])
        if text not in found:
            found.append(text)

    for d in plan.custom_dimensions.values():
        if d.scope in ("event", "item"):
            add("*", d.parameter_name, f"custom dimension {d.display_name}", d.scope == "item")
    for m in plan.custom_metrics.values():
        add("*", m.parameter_name, f"custom metric {m.display_name}")

    def steps(conditions: list[tuple[str, StepCondition | None]]) -> None:
        for label, condition in conditions:
            if condition is None:
                continue
            for match in _matches(condition):
                for f in match.filters:
                    add(match.event, f.parameter, f"{label} ({_filter_text(f)})")

    for funnel in plan.funnels.values():
        steps([(f"funnel {funnel.title}, step {i}", s.condition) for i, s in enumerate(funnel.steps, 1)])
    for segment in plan.segments.values():
        steps([(f"segment {segment.label}", segment.condition), (f"segment {segment.label} (exclusion)",
                                                                   segment.exclusion)])
    steps([(f"stage {stage}", step.condition) for stage, step in plan.stage_reached_by.items()])
    for conversion in plan.conversions.values():
        for rule in conversion.created_from:
            sources = [c.value for c in rule.conditions
                       if c.field == "event_name" and c.comparison == "equals" and not c.negated]
            what = f"event create rule of {conversion.event_name}"
            for c in rule.conditions:
                if c.field != "event_name":
                    for source in sources or ["*"]:
                        add(source, c.field, f"{what} (condition)")
            for mutation in rule.mutations:
                value = mutation.value
                if value.startswith("[[") and value.endswith("]]"):
                    for source in sources or ["*"]:
                        add(source, value[2:-2], f"{what} (copied to {mutation.parameter})")
                add(conversion.event_name, mutation.parameter, f"set by the {what}")
    return uses


def _parameter(spec: ParameterSpec, event: str, uses: dict[tuple[str, str, bool], list[str]],
               item: bool = False) -> ParameterDoc:
    used = uses.get((event, spec.name, item), []) + uses.get(("*", spec.name, item), [])
    items = tuple(_parameter(i, event, uses, True) for i in spec.items if i.origin != "recommended")
    return ParameterDoc(
        name=spec.name,
        type=spec.type,
        required=spec.required,
        values=tuple(str(v) for v in spec.values),
        pattern=spec.pattern,
        description=spec.description,
        origin=spec.origin,
        origin_label=_origin_label(spec, event),
        uses=tuple(dict.fromkeys(used)),
        items=items,
        google_items=sum(i.origin == "recommended" for i in spec.items),
    )


def event_parameter_docs(plan: TrackingPlan) -> tuple[EventParametersDoc, ...]:
    """The parameters of every event that has a schema, in the plan's order of events."""
    uses = _uses(plan)
    return tuple(
        EventParametersDoc(
            event=name,
            anchor=f"event-{name}",
            parameters=tuple(_parameter(p, name, uses) for p in schema.parameters),
            sets=schema.sets,
            recommended=schema.recommended,
            automatic=schema.automatic,
            closed=schema.closed,
        )
        for name, schema in plan.event_schemas.items()
    )


def parameter_set_docs(plan: TrackingPlan) -> tuple[ParameterSetDoc, ...]:
    return tuple(
        ParameterSetDoc(
            name=name,
            description=s.description,
            parameters=tuple(p.name for p in s.parameters),
            events=tuple(e for e, schema in plan.event_schemas.items() if name in schema.sets),
        )
        for name, s in plan.parameter_sets.items()
    )
