"""The checks of a plan against its property's data: each rule turns a source's answer into findings.

Every rule reads one :class:`~ga_goals.sources.base.ReportAnswer` over one date range (the answer
to :func:`ga_goals.checks.run.check_query`) and returns :class:`~ga_goals.checks.findings.Finding`
objects; none calls a source. The rules:

* :func:`events_never_fired`: every conversion and declared event without events;
* :func:`undeclared_events`: event names the plan does not mention, GA4's automatically
  collected events aside, by count;
* :func:`parameters_never_arriving`: custom dimensions whose parameter no event carried (and, as
  ``not_checked``, those the engine cannot see);
* :func:`micros_without_lift`: micro conversions whose users convert no more often than all
  users (:func:`no_lift`: the rate's confidence interval, never on too few users);
* :func:`empty_funnels`: funnels whose first step has no users;
* :func:`data_caveats`: the parts of the answer GA4 thresholded, sampled or cut into "(other)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ga_goals.checks.findings import (
    DATA_CAVEAT,
    EVENT_NEVER_FIRED,
    FUNNEL_EMPTY,
    MICRO_WITHOUT_LIFT,
    NOT_CHECKED,
    PARAMETER_NEVER_ARRIVES,
    UNDECLARED_EVENT,
    Finding,
)
from ga_goals.model import TrackingPlan
from ga_goals.model.resources import EventCreateRule
from ga_goals.model.enhanced_measurement import EVENT_SETTINGS
from ga_goals.model.ga4_facts import AUTOMATIC_EVENTS
from ga_goals.sources.base import LIFT_ENTRY_EVENT, ReportAnswer
from ga_goals.sources.results import Caveats, LiftTables, ParameterRef
from ga_goals.stats import Interval, enough_for_a_test, proportion_interval
from ga_goals.templating import number, percent
from ga_goals.untrusted_text import plain

#: The confidence of the test that judges micro conversions (:func:`no_lift`).
CONFIDENCE = 0.95


@dataclass(frozen=True)
class CheckContext:
    """What every rule reads: the plan, the source's answer and the name of its date range."""

    plan: TrackingPlan
    answer: ReportAnswer
    span: str

    def event_count(self, event: str) -> int:
        table = self.answer.event_names
        if table is None:
            return 0
        return int(table.lookup(eventName=event, dateRange=self.span).get("eventCount", 0))


def _count(n: float, one: str, many: str | None = None) -> str:
    return f"{number(n)} {one if n == 1 else (many or one + 's')}"


# --------------------------------------------------------------------------- declared events


def events_never_fired(ctx: CheckContext) -> list[Finding]:
    """Conversions (an error when GA4 counts them as key events) and declared events without events."""
    plan, out = ctx.plan, []
    for conversion in plan.conversions.values():
        if ctx.event_count(conversion.event_name):
            continue
        what = "key event" if conversion.key_event else "conversion (not a key event)"
        if conversion.created_from:
            sources = sorted({name for rule in conversion.created_from for name in _source_events(rule)})
            fired = ", ".join(f"{s} fired {_count(ctx.event_count(s), 'time')}" for s in sources)
            how = f": an event create rule makes it{f' ({fired})' if fired else ''}: check the rule's conditions and that `ga-goals sync` applied it"
        elif conversion.event_name in EVENT_SETTINGS:
            how = _enhanced_measurement_hint(plan, conversion.event_name)
        else:
            how = ": check the site's tag for it"
        out.append(
            Finding(
                EVENT_NEVER_FIRED.name,
                "error" if conversion.key_event else "warning",
                conversion.event_name,
                f"{conversion.kind} {what} {conversion.event_name!r} never fired{how}",
                conversion.where,
                {"events": 0, "kind": conversion.kind, "key_event": conversion.key_event},
            )
        )
    for event in plan.events.values():
        if ctx.event_count(event.event_name):
            continue
        out.append(
            Finding(
                EVENT_NEVER_FIRED.name,
                "warning",
                event.event_name,
                f"declared event {event.event_name!r} never fired: check the site's tag, or remove it from `events:`",
                event.where,
                {"events": 0, "kind": "event", "key_event": False},
            )
        )
    return out


def _enhanced_measurement_hint(plan: TrackingPlan, event: str) -> str:
    """Why an enhanced measurement event may never fire: the setting it needs (and whether the
    plan itself turns that setting, or the stream's enhanced measurement, off)."""
    setting = EVENT_SETTINGS[event]
    off = plan.enhanced_measurement.off_reason(event) if plan.enhanced_measurement else None
    if off == "stream_enabled":
        return f": GA4 collects it through enhanced measurement's {setting} setting, and the plan turns enhanced measurement off for the stream (stream_enabled: false)"
    if off:
        return f": GA4 collects it only while enhanced measurement's {setting} setting is on, and the plan sets {setting}: false"
    return f": GA4 collects it only while enhanced measurement's {setting} setting is on: check the web stream's setting (or the site's tag)"


def _source_events(rule: EventCreateRule) -> set[str]:
    """The event an event create rule makes its event from (``event_name equals X``)."""
    return {c.value for c in rule.conditions if c.field == "event_name" and c.comparison == "equals" and not c.negated}


def mentioned_events(plan: TrackingPlan) -> set[str]:
    """Every event name the plan mentions: conversions, declared events, the source events of its
    event create rules, its funnels' steps, and the micro vs macro table's entry event."""
    names = plan.known_events() | {LIFT_ENTRY_EVENT}
    for conversion in plan.conversions.values():
        for rule in conversion.created_from:
            names |= _source_events(rule)
    for funnel in plan.funnels.values():
        names |= {step.event for step in funnel.steps}
    return names


def undeclared_events(ctx: CheckContext, top: int) -> tuple[list[Finding], int]:
    """The ``top`` most frequent event names the plan does not mention (automatically collected
    events aside), and how many more there are."""
    table = ctx.answer.event_names
    if table is None:
        return [], 0
    known = mentioned_events(ctx.plan)
    rows = [
        (dims["eventName"], values)
        for dims, values in table.rows
        if dims.get("dateRange") == ctx.span and dims["eventName"] not in known and dims["eventName"] not in AUTOMATIC_EVENTS
        and values.get("eventCount")
    ]
    rows.sort(key=lambda r: (-r[1].get("eventCount", 0), r[0]))
    out = []
    for name, values in rows[: max(0, top)]:
        events, users = int(values.get("eventCount", 0)), int(values.get("totalUsers", 0))
        out.append(
            Finding(
                UNDECLARED_EVENT.name,
                "warning",
                name,
                f"{plain(repr(name), 80)} fired {_count(events, 'time')} ({_count(users, 'user')}) and the plan does not "
                "declare it: add it under `events:` (or as a conversion), or stop sending it",
                None,
                {"events": events, "users": users},
            )
        )
    return out, max(0, len(rows) - max(0, top))


# --------------------------------------------------------------------------- custom dimensions


def dimension_parameters(plan: TrackingPlan) -> list[ParameterRef]:
    """The parameter each custom dimension of the plan reads."""
    return [ParameterRef(d.scope, d.parameter_name) for d in plan.custom_dimensions.values()]


def parameters_never_arriving(ctx: CheckContext) -> list[Finding]:
    table = ctx.answer.parameters
    if table is None:
        return []
    out = []
    for dimension in ctx.plan.custom_dimensions.values():
        ref = ParameterRef(dimension.scope, dimension.parameter_name)
        events = table.events(ref, ctx.span)
        where = None  # the plan keeps no location for custom dimensions; the message names it
        if events is None:
            out.append(
                Finding(
                    NOT_CHECKED.name,
                    "info",
                    ref.label,
                    f"custom dimension {dimension.display_name!r} ({ref.label}) not checked: {table.unseen[ref]}",
                    where,
                    {
                        "scope": ref.scope,
                        "parameter": ref.name,
                        "what": f"custom dimension {dimension.display_name!r} ({ref.label})",
                        "why": table.unseen[ref],
                    },
                )
            )
            continue
        if events:
            continue
        carrier = {"event": "event parameter", "user": "user property", "item": "item parameter"}[ref.scope]
        out.append(
            Finding(
                PARAMETER_NEVER_ARRIVES.name,
                "error",
                ref.label,
                f"custom dimension {dimension.display_name!r} ({ref.label}): no event carried the {carrier} "
                f"{ref.name!r}: send it from the site, or remove the dimension",
                where,
                {"scope": ref.scope, "parameter": ref.name, "events": 0},
            )
        )
    return out


# --------------------------------------------------------------------------- micro conversions


@dataclass(frozen=True)
class LiftTest:
    """A micro conversion's conversion rate, its confidence interval, against all users' rate."""

    rate: float
    interval: Interval
    baseline_rate: float
    confidence: float

    @property
    def lift(self) -> float:
        """The report's lift: the micro conversion's rate / all users' rate."""
        return self.rate / self.baseline_rate

    @property
    def lift_interval(self) -> tuple[float, float]:
        return self.interval.low / self.baseline_rate, self.interval.high / self.baseline_rate


def no_lift(users: int, converted: int, all_users: int, all_converted: int) -> LiftTest | None:
    """The test of a micro conversion whose users (``converted`` of ``users``) convert no more often
    than all users (``all_converted`` of ``all_users``: the micro vs macro table's baseline, the
    report's lift is against), else None.

    The rule (docs/commands.md#ga-goals-check-file): the micro conversion's rate with its Wilson
    interval at :data:`CONFIDENCE` (:func:`ga_goals.stats.proportion_interval`) against all
    users' rate, taken as known (it is measured on many more users). Flagged only when there is
    enough data for a test (:func:`ga_goals.stats.enough_for_a_test`: both groups expect at
    least 5 conversions and 5 non-conversions) and the rate is at most all users', or above it
    by no more than noise (the interval includes all users' rate). A micro conversion with a
    handful of users proves nothing either way: it is never flagged.
    """
    if users <= 0 or all_users <= 0 or all_converted <= 0 or not 0 <= converted <= users:
        return None
    if not enough_for_a_test(all_converted, all_users, converted, users):
        return None
    interval = proportion_interval(converted, users, CONFIDENCE)
    assert interval is not None
    rate, baseline = converted / users, all_converted / all_users
    if rate <= baseline or baseline in interval:
        return LiftTest(rate, interval, baseline, CONFIDENCE)
    return None


def _micro_users(lift: LiftTables, micro: str, span: str) -> tuple[int, int] | None:
    """A micro conversion's users, and those of them who did the macro conversion after it."""
    table = lift.micro(micro)
    if table is None:
        return None
    users = (table.users(span) + [0, 0])[:2]
    return users[0], min(users[1], users[0])


def micros_without_lift(ctx: CheckContext, macro: str | None, micros: Sequence[str]) -> list[Finding]:
    lift = ctx.answer.lift
    if lift is None or macro is None:
        return []
    entered, converted = (lift.baseline.users(ctx.span) + [0, 0])[:2]
    out = []
    for micro in micros:
        found = _micro_users(lift, micro, ctx.span)
        if found is None:
            continue
        users, conv = found
        test = no_lift(users, conv, entered, converted)
        if test is None:
            continue
        low, high = test.lift_interval
        conversion = ctx.plan.conversions.get(micro)
        out.append(
            Finding(
                MICRO_WITHOUT_LIFT.name,
                "warning",
                micro,
                f"micro conversion {micro!r}: {percent(test.rate)} of its {_count(users, 'user')} did {macro} after it, "
                f"{percent(test.baseline_rate)} of all users did (lift {test.lift:.2f}x, {test.confidence:.0%} interval "
                f"{low:.2f}x to {high:.2f}x): no sign it leads to {macro}; a candidate to drop",
                conversion.where if conversion else None,
                {
                    "macro": macro,
                    "users": users,
                    "converted": conv,
                    "conversion_rate": test.rate,
                    "all_users": entered,
                    "all_converted": converted,
                    "all_conversion_rate": test.baseline_rate,
                    "lift": test.lift,
                    "lift_interval": [low, high],
                    "confidence": test.confidence,
                },
            )
        )
    return out


# --------------------------------------------------------------------------- funnels


def empty_funnels(ctx: CheckContext) -> list[Finding]:
    out = []
    for name, funnel in ctx.plan.funnels.items():
        table = ctx.answer.funnels.get(name)
        if table is None or table.users(ctx.span)[0]:
            continue
        first = funnel.steps[0]
        fired = ctx.event_count(first.event)
        why = (
            f"its event {first.event!r} fired {_count(fired, 'time')}: check the step's conditions"
            if fired
            else f"its event {first.event!r} never fired"
        )
        out.append(
            Finding(
                FUNNEL_EMPTY.name,
                "error",
                name,
                f"funnel {name!r}: nobody reached its first step {first.name!r} ({why})",
                funnel.where,
                {"first_step": first.name, "event": first.event, "users": 0, "event_count": fired},
            )
        )
    return out


# --------------------------------------------------------------------------- GA4's caveats


def data_caveats(ctx: CheckContext) -> list[Finding]:
    """One note per part of the answer GA4 said is not the whole truth (the Data API only), worded
    as reports word it (:func:`ga_goals.reports.notes.data_caveats`)."""
    from ga_goals.reports.notes import data_caveats as worded

    answer = ctx.answer
    parts: list[tuple[str, Caveats]] = []
    if answer.event_names is not None:
        parts.append(("event counts", answer.event_names.caveats))
    if answer.parameters is not None:
        parts.append(("custom dimension counts", answer.parameters.caveats))
    for name, table in answer.funnels.items():
        parts.append((f"funnel {name!r}", table.caveats))
    if answer.lift is not None:
        parts.append(("micro vs macro table", answer.lift.caveats))
    if answer.schema_faults is not None:
        parts.append(("parameter counts", answer.schema_faults.caveats))
    out = []
    for part, caveats in parts:
        notes = worded(caveats).notes
        if not notes:
            continue
        out.append(
            Finding(
                DATA_CAVEAT.name,
                "info",
                part,
                f"{part}: {'; '.join(notes)}: findings resting on them may be off for rare events "
                "(the export engines, --events or --dataset, read every event)",
                None,
                {"thresholded": caveats.thresholded, "sampled": caveats.sampled, "other_row": caveats.other_row},
            )
        )
    return out
