"""Documentation of a tracking plan, for the people who read it rather than write it.

``plan_doc(plan)`` turns a loaded ``TrackingPlan`` into a ``PlanDoc``: the journey stage by
stage (each stage's macro and micro conversions and other tracked events, with how created
events are derived, in plain words), the custom dimensions and metrics, the funnels, the
reports, the environments and the safety settings. ``render_docs()`` renders it with the
``docs/plan.html`` or ``docs/plan.md`` template (``ga_goals.templating``: a user template
folder may replace or extend them).

Template context: ``doc`` (the ``PlanDoc``), ``plan`` (the ``TrackingPlan`` itself) and
``version`` (of ga-goals). Every text comes from the plan file as written: the HTML template
escapes it (autoescape), the Markdown template passes it through the ``md``/``code`` filters.

Public API::

    plan_doc(plan) -> PlanDoc
    render_docs(plan, format="html", *, user_templates=None) -> str
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ga_goals.parameter_docs import EventParametersDoc, ParameterSetDoc, event_parameter_docs, parameter_set_docs
from ga_goals.templating import duration, number, percent, render

if TYPE_CHECKING:
    from ga_goals.model import Alert, Condition, Conversion, EventCreateRule, Funnel, Report, Segment, StepFilter, TrackingPlan

#: Output format -> template name.
TEMPLATES: dict[str, str] = {"html": "docs/plan.html", "markdown": "docs/plan.md"}

Format = Literal["html", "markdown"]

__all__ = ["TEMPLATES", "PlanDoc", "plan_doc", "render_docs"]


@dataclass(frozen=True)
class ConditionDoc:
    """One condition of an event create rule: ``subject verb value``, e.g. ``form_id is "newsletter"``."""

    subject: str  # "event_name" or a parameter name
    verb: str  # "is", "is not", "contains", "does not match", "is greater than", ...
    value: str
    quoted: bool  # a text value (quote it), not a number
    any_case: bool  # compared case-insensitively

    @property
    def is_event_name(self) -> bool:
        return self.subject == "event_name"


@dataclass(frozen=True)
class MutationDoc:
    """A parameter the rule sets on the created event: to a constant, or to another parameter's value."""

    parameter: str
    value: str | None = None
    copy_from: str | None = None


@dataclass(frozen=True)
class RuleDoc:
    """An event create rule: created from ``source_events`` (any event if empty) when every condition holds."""

    source_events: tuple[str, ...]
    conditions: tuple[ConditionDoc, ...]  # the conditions besides "event name is X"
    copy_parameters: bool
    mutations: tuple[MutationDoc, ...]
    stream: str | None  # the web stream, when it is not the plan's (``PlanDoc.stream``)


@dataclass(frozen=True)
class EventDoc:
    """A conversion (macro or micro) or another tracked event, as the journey shows it."""

    name: str
    kind: Literal["macro", "micro", "event"]
    kind_label: str  # "Macro conversion", "Micro conversion", "Tracked event"
    stage: str | None
    description: str
    key_event: bool
    counting: str | None  # "once per event" / "once per session"; None for tracked events
    value: str | None  # "150 EUR"; None without a default value
    rules: tuple[RuleDoc, ...]
    funnels: tuple[str, ...]  # titles of the funnels that have it as a step
    anchor: str

    @property
    def created(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True)
class StageDoc:
    number: int  # 1-based position in the journey; 0 for events without a stage
    name: str
    macro: tuple[EventDoc, ...]
    micro: tuple[EventDoc, ...]
    events: tuple[EventDoc, ...]
    anchor: str

    @property
    def items(self) -> tuple[EventDoc, ...]:
        return self.macro + self.micro + self.events


@dataclass(frozen=True)
class DimensionDoc:
    key: str
    parameter: str
    scope: str
    display_name: str
    description: str
    disallow_ads_personalization: bool


@dataclass(frozen=True)
class MetricDoc:
    key: str
    display_name: str
    unit: str
    restricted: tuple[str, ...]  # "cost", "revenue"
    description: str
    parameter: str = ""  # the parameter GA4 registers (the key, unless `parameter:` names another)


@dataclass(frozen=True)
class FilterDoc:
    """A parameter filter of a funnel step: ``parameter verb values``."""

    parameter: str
    verb: str
    values: tuple[str, ...]
    quoted: bool
    any_case: bool


@dataclass(frozen=True)
class StepDoc:
    number: int
    name: str
    event: str
    within: str | None  # "1h 30m" after the prior step; None = any time
    directly_followed: bool
    filters: tuple[FilterDoc, ...]
    event_anchor: str | None  # where the plan documents the event; None for GA4's own events

    @property
    def named(self) -> bool:
        """The step has a display name other than its event's."""
        return self.name != self.event


@dataclass(frozen=True)
class FunnelDoc:
    name: str
    title: str
    description: str
    open: bool
    steps: tuple[StepDoc, ...]
    breakdown: str | None
    breakdown_limit: int
    anchor: str
    #: The segments the funnel is shown for, each in one line: "Mobile sessions (sessions with
    #: an event where deviceCategory = mobile)".
    segments: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertDoc:
    target_kind: Literal["funnel", "event"]
    target: str
    target_title: str
    metric: str  # in words: "conversion rate", "change in count"
    threshold: str  # "below 2%", "above 1,000"


@dataclass(frozen=True)
class ReportDoc:
    name: str
    title: str
    period: str
    compare: str
    funnels: tuple[str, ...]  # titles; empty = every funnel
    key_events: tuple[str, ...]  # empty = every key event
    macro: str | None
    alerts: tuple[AlertDoc, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str | None
    formats: tuple[str, ...]
    anchor: str


@dataclass(frozen=True)
class EnvironmentDoc:
    name: str
    property: str
    tier: str | None
    current: bool  # this page documents the plan as this environment sees it


@dataclass(frozen=True)
class SafetyDoc:
    protect: tuple[str, ...]
    max_destroy: int
    unmanaged: str  # in words


@dataclass(frozen=True)
class PlanDoc:
    """Everything the documentation shows, in reading order."""

    title: str
    source: str
    property: str
    environment: str | None
    tier: str
    currency: str | None
    stream: str | None
    journey: tuple[StageDoc, ...]  # the plan's stages in order, then (number 0) events without a stage
    counts: dict[str, int]
    dimensions: tuple[DimensionDoc, ...]
    metrics: tuple[MetricDoc, ...]
    funnels: tuple[FunnelDoc, ...]
    reports: tuple[ReportDoc, ...]
    environments: tuple[EnvironmentDoc, ...]
    safety: SafetyDoc
    is_sandbox: bool  # the property is the embedded sandbox
    #: Each event's parameters and where the plan uses them (``ga_goals.parameter_docs``).
    parameters: tuple[EventParametersDoc, ...] = ()
    parameter_sets: tuple[ParameterSetDoc, ...] = ()


def render_docs(plan: TrackingPlan, format: Format = "html", *, user_templates: Path | None = None) -> str:
    """The documentation page of ``plan``, as HTML or Markdown.

    :param user_templates: a folder whose ``docs/plan.html`` / ``docs/plan.md`` replace the
        built-in ones (they may ``{% extends "default:docs/plan.html" %}``).
    :raises ga_goals.templating.TemplateError: a template is missing or broken.
    """
    from ga_goals import __version__

    context = {"doc": plan_doc(plan), "plan": plan, "version": __version__}
    return render(TEMPLATES[format], context, user_dir=user_templates)


def plan_doc(plan: TrackingPlan) -> PlanDoc:
    """What the documentation of ``plan`` shows (see the module docstring)."""
    funnel_titles = {name: funnel.title for name, funnel in plan.funnels.items()}
    uses: dict[str, list[str]] = {}
    for funnel in plan.funnels.values():
        for step in funnel.steps:
            for name in step.events:
                if funnel.title not in uses.setdefault(name, []):
                    uses[name].append(funnel.title)

    events: list[EventDoc] = [
        _conversion(c, tuple(uses.get(c.event_name, ())), plan.stream) for c in plan.conversions.values()
    ]
    for event in plan.events.values():
        events.append(
            EventDoc(
                name=event.event_name,
                kind="event",
                kind_label="Tracked event",
                stage=event.stage,
                description=event.description,
                key_event=False,
                counting=None,
                value=None,
                rules=(),
                funnels=tuple(uses.get(event.event_name, ())),
                anchor=_anchor("event", event.event_name),
            )
        )
    journey = [_stage(number, stage, [e for e in events if e.stage == stage]) for number, stage in enumerate(plan.stages, 1)]
    unstaged = [e for e in events if e.stage not in plan.stages]
    if unstaged:
        journey.append(_stage(0, "Not tied to a stage", unstaged))

    conversions = list(plan.conversions.values())
    counts = {
        "macro": len(plan.macro),
        "micro": len(plan.micro),
        "key_events": sum(c.key_event for c in conversions),
        "created_events": sum(bool(c.created_from) for c in conversions),
        "event_create_rules": sum(len(c.created_from) for c in conversions),
        "tracked_events": len(plan.events),
        "custom_dimensions": len(plan.custom_dimensions),
        "custom_metrics": len(plan.custom_metrics),
        "events_with_parameters": len(plan.event_schemas),
        "funnels": len(plan.funnels),
        "reports": len(plan.reports),
    }
    title = Path(plan.source).stem + (f" ({plan.environment})" if plan.environment else "")
    return PlanDoc(
        title=title,
        source=plan.source,
        property=plan.property,
        environment=plan.environment,
        tier=plan.tier,
        currency=plan.currency,
        stream=plan.stream,
        journey=tuple(journey),
        counts=counts,
        dimensions=tuple(
            DimensionDoc(
                key=key,
                parameter=d.parameter_name,
                scope=d.scope,
                display_name=d.display_name,
                description=d.description,
                disallow_ads_personalization=d.disallow_ads_personalization,
            )
            for key, d in plan.custom_dimensions.items()
        ),
        metrics=tuple(
            MetricDoc(
                key=key,
                display_name=m.display_name,
                unit=m.measurement_unit,
                restricted=tuple(r.removesuffix("_data") for r in m.restricted_metric_type),
                description=m.description,
                parameter=m.parameter_name,
            )
            for key, m in plan.custom_metrics.items()
        ),
        funnels=tuple(_funnel(f, plan.known_events()) for f in plan.funnels.values()),
        reports=tuple(_report(r, funnel_titles) for r in plan.reports.values()),
        environments=tuple(
            EnvironmentDoc(name=e.name, property=e.property, tier=e.tier, current=e.name == plan.environment)
            for e in plan.environments.values()
        ),
        safety=SafetyDoc(
            protect=plan.safety.protect,
            max_destroy=plan.safety.max_destroy,
            unmanaged=_UNMANAGED[plan.safety.unmanaged],
        ),
        is_sandbox=plan.is_sandbox,
        parameters=event_parameter_docs(plan),
        parameter_sets=parameter_set_docs(plan),
    )


# Wording -------------------------------------------------------------------------------------

_COUNTING = {"once_per_event": "once per event", "once_per_session": "once per session"}

#: comparison -> (verb, negated verb), for rule conditions and funnel filters.
_VERBS = {
    "equals": ("is", "is not"),
    "contains": ("contains", "does not contain"),
    "starts_with": ("starts with", "does not start with"),
    "ends_with": ("ends with", "does not end with"),
    "regular_expression": ("matches the regular expression", "does not match the regular expression"),
    "matches": ("matches the regular expression", "does not match the regular expression"),
    "greater_than": ("is greater than", "is not greater than"),
    "greater_than_or_equal": ("is at least", "is less than"),
    "less_than": ("is less than", "is not less than"),
    "less_than_or_equal": ("is at most", "is more than"),
    "in": ("is one of", "is none of"),
}
_NUMERIC = {"greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"}

_PERIODS = {
    "last_7_days": "the last 7 days",
    "last_28_days": "the last 28 days",
    "last_week": "last week",
    "last_month": "last month",
    "month_to_date": "this month so far",
}
_COMPARE = {
    "previous_period": "the previous period",
    "previous_year": "the same period a year earlier",
    "none": "no comparison",
}
_METRICS = {"conversion_rate": "conversion rate", "users": "users", "completions": "completions", "count": "count", "value": "value"}
_UNMANAGED = {
    "ignore": "left alone (plan lists them; sync never changes them)",
    "remove": "archived or deleted by sync (only with --allow-destroy)",
}


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-{name}"


def _stage(number: int, name: str, events: list[EventDoc]) -> StageDoc:
    return StageDoc(
        number=number,
        name=name,
        macro=tuple(e for e in events if e.kind == "macro"),
        micro=tuple(e for e in events if e.kind == "micro"),
        events=tuple(e for e in events if e.kind == "event"),
        anchor=_anchor("stage", str(number)),
    )


def _conversion(conversion: Conversion, funnels: tuple[str, ...], stream: str | None) -> EventDoc:
    value = None
    if conversion.default_value is not None:
        value = " ".join(filter(None, [number(conversion.default_value), conversion.currency]))
    return EventDoc(
        name=conversion.event_name,
        kind=conversion.kind,
        kind_label=f"{conversion.kind.capitalize()} conversion",
        stage=conversion.stage,
        description=conversion.description,
        key_event=conversion.key_event,
        counting=_COUNTING.get(conversion.counting, conversion.counting),
        value=value,
        rules=tuple(_rule(rule, stream) for rule in conversion.created_from),
        funnels=funnels,
        anchor=_anchor("event", conversion.event_name),
    )


def _rule(rule: EventCreateRule, plan_stream: str | None) -> RuleDoc:
    sources = tuple(
        c.value for c in rule.conditions if c.field == "event_name" and c.comparison == "equals" and not c.negated
    )
    others = tuple(
        _condition(c)
        for c in rule.conditions
        if not (c.field == "event_name" and c.comparison == "equals" and not c.negated)
    )
    mutations = []
    for mutation in rule.mutations:
        value = mutation.value
        if value.startswith("[[") and value.endswith("]]") and len(value) > 4:
            mutations.append(MutationDoc(mutation.parameter, copy_from=value[2:-2]))
        else:
            mutations.append(MutationDoc(mutation.parameter, value=value))
    return RuleDoc(
        source_events=sources,
        conditions=others,
        copy_parameters=rule.copy_parameters,
        mutations=tuple(mutations),
        stream=rule.stream if rule.stream != plan_stream else None,
    )


def _condition(condition: Condition) -> ConditionDoc:
    comparison = condition.comparison
    any_case = comparison.endswith("_case_insensitive")
    comparison = comparison.removesuffix("_case_insensitive")
    verb, negated_verb = _VERBS.get(comparison, (comparison.replace("_", " "), "not " + comparison.replace("_", " ")))
    return ConditionDoc(
        subject=condition.field,
        verb=negated_verb if condition.negated else verb,
        value=condition.value,
        quoted=comparison not in _NUMERIC,
        any_case=any_case,
    )


def _filter(step_filter: StepFilter) -> FilterDoc:
    verb, negated_verb = _VERBS.get(step_filter.op, (step_filter.op.replace("_", " "), "not " + step_filter.op.replace("_", " ")))
    raw = step_filter.value
    values: tuple[str, ...]
    if isinstance(raw, tuple):
        values = tuple(str(v) for v in raw)
    elif isinstance(raw, (int, float)):
        values = (number(raw),)
    else:
        values = (str(raw),)
    return FilterDoc(
        parameter=step_filter.parameter,
        verb=negated_verb if step_filter.negated else verb,
        values=values,
        quoted=not isinstance(raw, (int, float)),
        any_case=not step_filter.case_sensitive,
    )


def _funnel(funnel: Funnel, known: set[str]) -> FunnelDoc:
    steps = tuple(
        StepDoc(
            number=number_,
            name=step.name,
            event=step.label,
            within=None if step.within_seconds is None else duration(step.within_seconds),
            directly_followed=step.directly_followed,
            filters=tuple(_filter(f) for f in step.filters),
            event_anchor=_anchor("event", step.event) if step.event in known else None,
        )
        for number_, step in enumerate(funnel.steps, 1)
    )
    return FunnelDoc(
        name=funnel.name,
        title=funnel.title,
        description=funnel.description,
        open=funnel.open,
        steps=steps,
        breakdown=funnel.breakdown,
        breakdown_limit=funnel.breakdown_limit,
        anchor=_anchor("funnel", funnel.name),
        segments=tuple(_segment_text(s) for s in funnel.segments),
    )


_SEGMENT_KEEPS = {"user": "users with an event where", "session": "sessions with an event where", "event": "events where"}


def _segment_text(segment: Segment) -> str:
    """A segment in one line: its title and what it keeps (rule 11 of ga_goals.funnels.semantics)."""
    from ga_goals.model.tracking_plan import condition_text

    text = f"{segment.label} ({_SEGMENT_KEEPS[segment.scope]} {condition_text(segment.condition)}"
    if segment.exclusion is not None:
        text += f", except those with an event where {condition_text(segment.exclusion)}"
    return text + ")"


def _alert_conditions(alert: Alert) -> str:
    """An alert's ``significant`` and ``min_count``, in words (empty without them)."""
    conditions = []
    if alert.significant:
        conditions.append(f"not noise ({percent(alert.confidence)} confidence)")
    if alert.min_count is not None:
        period = " in either period" if alert.metric.endswith("_change") else ""
        conditions.append(f"at least {number(alert.min_count)} {alert.counted}{period}")
    return f", if {' and '.join(conditions)}" if conditions else ""


def _report(report: Report, funnel_titles: dict[str, str]) -> ReportDoc:
    period = report.period
    if period.kind == "custom":
        period_text = f"{period.start} to {period.end}"
    else:
        period_text = _PERIODS.get(period.kind, period.kind.replace("_", " "))
    alerts = []
    for alert in report.alerts:
        base = alert.metric.removesuffix("_change")
        change = alert.metric.endswith("_change")
        metric = _METRICS.get(base, base.replace("_", " "))
        limit = alert.below if alert.below is not None else alert.above
        if change:
            metric, shown = f"change in {metric}", percent(limit, signed=True)
        elif base == "conversion_rate":
            shown = percent(limit)
        else:
            shown = number(limit)
        kind: Literal["funnel", "event"] = "funnel" if alert.funnel else "event"
        target = alert.funnel or alert.event or ""
        alerts.append(
            AlertDoc(
                target_kind=kind,
                target=target,
                target_title=funnel_titles.get(target, target) if kind == "funnel" else target,
                metric=metric,
                threshold=f"{'below' if alert.below is not None else 'above'} {shown}" + _alert_conditions(alert),
            )
        )
    email = report.email
    return ReportDoc(
        name=report.name,
        title=report.title,
        period=period_text,
        compare=_COMPARE.get(report.compare, report.compare),
        funnels=tuple(funnel_titles.get(f, f) for f in report.funnels),
        key_events=report.key_events,
        macro=report.macro,
        alerts=tuple(alerts),
        to=email.to if email else (),
        cc=email.cc if email else (),
        subject=email.subject if email else None,
        formats=report.formats,
        anchor=_anchor("report", report.name),
    )
