"""Build a report's data from a tracking plan and a report source.

``build_report(plan, "weekly", source, today)`` checks the report against the plan first
(unknown report, funnel steps naming events the plan does not know, unknown key events or
macro conversion, alerts on unknown funnels or events, invalid dates): a problem is a
:class:`ReportError` listing all of them, raised before anything is read. Then it asks the
source (:class:`ga_goals.sources.base.ReportSource`: the GA4 Data API, DuckDB over export files,
or BigQuery) for everything at once (:func:`report_query`) and assembles a
:class:`~ga_goals.reports.model.ReportData` from the answer. A source error stops the build
(nothing partial is returned).

Just past 600 lines: the checks before any query and the assembly of the answer are one build;
the checks are the part to move out (``reports/checks.py``) when it grows.
"""

from __future__ import annotations

import time
from dataclasses import replace
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any

from ga_goals.errors import GaGoalsError
from ga_goals.model import Funnel, Period, Report, Segment, TrackingPlan
from ga_goals.model.ga4_facts import KNOWN_EVENTS
from ga_goals.reports import derive
from ga_goals.reports.notes import MICRO_BEFORE_MACRO, data_caveats
from ga_goals.reports.model import (
    AlertResult,
    BreakdownRow,
    CallsMade,
    EventTotal,
    FunnelData,
    JourneyMap,
    MicroLift,
    MicroMacroTable,
    QuotaUsed,
    ReportData,
    SiteTotals,
    StepData,
)
from ga_goals.reports.journey import journey_funnel, journey_map, stage_micros
from ga_goals.reports.trends import next_action_of, trend_funnel_name, trend_funnels, trend_of
from ga_goals.reports.split_tests import split_funnel_name, split_test_funnels, split_test_of, split_test_problems
from ga_goals.reports.periods import CURRENT, PREVIOUS, ReportPeriod, resolve_period, today_in
from ga_goals.sources.base import LIFT_ENTRY_EVENT, ReportQuery, ReportSource
from ga_goals.sources.results import NO_CAVEATS, DateSpanLike, FunnelTable, LiftTables, ReportTable
from ga_goals.suggestions import did_you_mean
from ga_goals.templating import number, p_value_text, percent


FUNNEL_METRICS = ("conversion_rate", "users", "completions")
EVENT_METRICS = ("count", "users", "value")
#: Alert metrics shown as percentages.
_RATE_METRICS = {"conversion_rate"}


class ReportError(GaGoalsError):
    """The report cannot be built from this plan (every problem listed)."""


# --------------------------------------------------------------------------- checks


def _suggest(name: str, choices: Sequence[str]) -> str:
    close = did_you_mean(name, choices)
    return f"; did you mean {close!r}?" if close else ""


def report_names(plan: TrackingPlan) -> list[str]:
    return list(plan.reports)


def select_report(plan: TrackingPlan, name: str) -> Report:
    """The report ``name`` of the plan, or a :class:`ReportError` naming the ones it has."""
    report = plan.reports.get(name)
    if report is None:
        have = ", ".join(plan.reports) or "none"
        raise ReportError(f"{plan.source}: no report {name!r} in the plan{_suggest(name, list(plan.reports))} (reports: {have})")
    return report


def report_funnels(plan: TrackingPlan, report: Report) -> list[str]:
    """The funnels the report shows (default: every funnel of the plan)."""
    return list(report.funnels) or list(plan.funnels)


def report_key_events(plan: TrackingPlan, report: Report) -> list[str]:
    """The key events whose totals the report shows (default: every key event of the plan)."""
    return list(report.key_events) or [c.event_name for c in plan.conversions.values() if c.key_event]


def report_macro(plan: TrackingPlan, report: Report) -> str | None:
    """The macro conversion micro conversions are compared against (default: the first macro)."""
    if report.macro:
        return report.macro
    macros = plan.macro
    return macros[0].event_name if macros else None


def check_report(plan: TrackingPlan, report: Report, compare: str | None = None) -> None:
    """Every reason the report cannot run, at once (:class:`ReportError`); nothing is sent."""
    problems: list[str] = []
    known = plan.known_events()
    where = f"report {report.name!r}"
    compare = compare or report.compare
    for name in report_funnels(plan, report):
        funnel = plan.funnels.get(name)
        if funnel is None:
            problems.append(f"{where} shows funnel {name!r}, which the plan does not define{_suggest(name, list(plan.funnels))}")
            continue
        problems += _funnel_problems(funnel, known)
    for alert in report.alerts:
        if alert.funnel and alert.funnel in plan.funnels and alert.funnel not in report_funnels(plan, report):
            problems += _funnel_problems(plan.funnels[alert.funnel], known)
    for event in report_key_events(plan, report):
        if event not in plan.conversions:
            problems.append(
                f"{where} lists key event {event!r}, which is not a conversion of the plan{_suggest(event, list(plan.conversions))}"
            )
    macro = report_macro(plan, report)
    if macro is not None and macro not in plan.conversions:
        problems.append(f"{where} compares micro conversions with {macro!r}, which is not a conversion of the plan")
    for alert in report.alerts:
        problems += _alert_problems(plan, report, alert, compare)
    problems += split_test_problems(plan, report)
    if problems:
        lines = "\n".join(f"  - {p}" for p in dict.fromkeys(problems))
        raise ReportError(f"{plan.source}: {where} cannot run; nothing was queried:\n{lines}")


def _funnel_problems(funnel: Funnel, known: set[str]) -> list[str]:
    out = []
    for number_, step in enumerate(funnel.steps, 1):
        for event in step.events:
            if event not in known and event not in KNOWN_EVENTS:
                hint = _suggest(event, sorted(known))
                out.append(
                    f"step {number_} of funnel {funnel.name!r} uses event {event!r}, which the plan does not "
                    f"declare and GA4 does not collect automatically{hint}"
                )
    if len(funnel.steps) < 2:
        out.append(f"funnel {funnel.name!r} needs at least 2 steps")
    return out


def _alert_problems(plan: TrackingPlan, report: Report, alert: Any, compare: str) -> list[str]:
    out = []
    if (alert.funnel is None) == (alert.event is None):
        return [f"an alert of report {report.name!r} must name exactly one of funnel/event"]
    base = alert.metric.removesuffix("_change")
    if alert.funnel is not None:
        if alert.funnel not in plan.funnels:
            out.append(f"an alert watches funnel {alert.funnel!r}, which the plan does not define")
        if base not in FUNNEL_METRICS:
            out.append(f"alert on funnel {alert.funnel!r}: unknown metric {alert.metric!r} (funnel metrics: {', '.join(FUNNEL_METRICS)}, each also *_change)")
    else:
        if alert.event not in plan.known_events():
            out.append(f"an alert watches event {alert.event!r}, which the plan does not declare")
        if base not in EVENT_METRICS:
            out.append(f"alert on event {alert.event!r}: unknown metric {alert.metric!r} (event metrics: {', '.join(EVENT_METRICS)}, each also *_change)")
    if alert.metric.endswith("_change") and compare == "none":
        out.append(f"alert {alert.metric!r} needs a comparison period, but the report runs with compare: none")
    if (alert.below is None) == (alert.above is None):
        out.append(f"alert {alert.metric!r} must have exactly one of below/above")
    if alert.significant and (not alert.metric.endswith("_change") or alert.metric == "value_change"):
        out.append(f"alert {alert.metric!r}: significant applies to a change with a test (every *_change but value_change)")
    if not 0.0 < alert.confidence < 1.0:
        out.append(f"alert {alert.metric!r}: confidence must be between 0 and 1, not {alert.confidence}")
    if alert.min_count is not None and alert.min_count < 1:
        out.append(f"alert {alert.metric!r}: min_count must be at least 1, not {alert.min_count}")
    return out


# --------------------------------------------------------------------------- building


def report_query(plan: TrackingPlan, report: Report, spans: Sequence[DateSpanLike]) -> ReportQuery:
    """What ``report`` needs from a source over ``spans`` (funnels shown, and those alerts watch)."""
    shown = report_funnels(plan, report)
    alert_funnels = [a.funnel for a in report.alerts if a.funnel and a.funnel not in shown]
    key_events = report_key_events(plan, report)
    events = list(dict.fromkeys(key_events + [a.event for a in report.alerts if a.event]))
    macro = report_macro(plan, report)
    micros = [c.event_name for c in plan.micro if c.event_name != macro] if macro is not None else []
    # The report's segments restrict the funnels it shows (a funnel's own segments win).
    funnels = [
        replace(plan.funnels[n], segments=report.funnel_segments(plan.funnels[n])) if n in shown else plan.funnels[n]
        for n in dict.fromkeys(shown + alert_funnels)
    ]
    journey, _unmeasured, _why = journey_funnel(plan, macro)
    if journey is not None:
        funnels.append(journey)
        # the stages' micro conversions' counts (same request as the key events)
        events += [e for stage in plan.stages for e in stage_micros(plan, stage) if e not in events]
    return ReportQuery(
        spans=tuple(spans),
        events=tuple(events),
        funnels=tuple(funnels) + tuple(split_test_funnels(plan, report)) + tuple(trend_funnels(plan, report)),
        macro=macro if micros else None,
        micros=tuple(micros),
        optional_funnels=frozenset(split_funnel_name(report, i) for i in range(len(report.split_tests))),
        current_only_funnels=frozenset(split_funnel_name(report, i) for i in range(len(report.split_tests)))
        | {trend_funnel_name(report, i) for i in range(len(report.trends))},
        next_actions=tuple((plan.funnels[a.funnel], a.dimension, a.limit) for a in report.next_actions),
    )


def build_report(
    plan: TrackingPlan,
    report_name: str,
    source: ReportSource,
    today: date | None = None,
    *,
    period: Period | None = None,
    compare: str | None = None,
    time_zone: str | None = None,
    now: datetime | None = None,
) -> ReportData:
    """The data of report ``report_name`` of ``plan``, from ``source`` (any :class:`ReportSource`).

    :param today: today in the property's time zone; None = ask the source for the property's
        time zone and take today's date there.
    :param period: / :param compare: override the report's ``period`` / ``compare``.
    :param time_zone: the time zone shown (with ``today`` given; default UTC).
    :param now: the report's generation time (default: now).
    :raises ReportError: the report does not fit the plan, or its dates are invalid (before
        any call).
    :raises ga_goals.errors.GaGoalsError: the source failed (QuotaExhausted for quota, a
        SourceError for export files and BigQuery).
    """
    report = select_report(plan, report_name)
    compare = compare or report.compare
    check_report(plan, report, compare)
    # Invalid dates fail before any call (a start after today is checked once today is known).
    resolve_period(period or report.period, compare, today or date.max)
    started = time.monotonic()

    currency = plan.currency or "USD"
    settings = source.settings() if today is None else None
    if settings is not None:
        time_zone = settings.time_zone
        today = today_in(time_zone)
        currency = plan.currency or settings.currency
    assert today is not None
    rp = resolve_period(period or report.period, compare, today, time_zone=time_zone or "UTC")
    query = report_query(plan, report, rp.spans)
    answer = source.fetch(query)

    shown = report_funnels(plan, report)
    key_events = report_key_events(plan, report)
    # A previous period without any data is no comparison: no changes, "nothing to compare with".
    prev_site = answer.site.lookup(dateRange=PREVIOUS) if rp.previous is not None else None
    has_previous = prev_site is not None and bool(prev_site.get("totalUsers") or prev_site.get("sessions"))
    # Counts are compared per day: the two periods may differ in length (months).
    days = (rp.current.days, rp.previous.days if rp.previous is not None else rp.current.days)
    trend_names = {trend_funnel_name(report, i) for i in range(len(report.trends))}
    # A segmented funnel is one section per segment (keyed name/segment: FunnelData.key).
    funnel_data = {
        data.key: data
        for f in query.funnels
        if f.name not in query.optional_funnels  # split tests: split_test_of reads their tables
        and f.name not in trend_names  # trends: trend_of reads theirs
        for data in (
            [funnel_data_of(f, answer.funnels[f.name], has_previous, days=days, segment=s) for s in f.segments]
            or [funnel_data_of(f, answer.funnels[f.name], has_previous, days=days)]
        )
    }
    sections = {f.name: [funnel_data_of_key(f, s) for s in f.segments] or [f.name] for f in query.funnels}
    events_table = answer.events
    event_data = [event_total(plan, e, events_table, has_previous, days=days) for e in key_events] if events_table else []
    all_events = {e: event_total(plan, e, events_table, has_previous, days=days) for e in query.events} if events_table else {}
    micro_macro = None
    if answer.lift is not None and query.macro is not None:
        micro_macro = micro_macro_table(plan, query.macro, list(query.micros), answer.lift, has_previous)

    alerts = tuple(evaluate_alert(a, funnel_data, all_events) for a in report.alerts)
    split_tests = tuple(
        split_test_of(t, plan.funnels[t.funnel], answer, split_funnel_name(report, i)) for i, t in enumerate(report.split_tests)
    )
    journey = journey_section(plan, report_macro(plan, report), funnel_data, all_events)
    trends = tuple(
        trend_of(t, plan.funnels[t.funnel], answer.funnels[trend_funnel_name(report, i)], rp.current.start, rp.current.end, CURRENT)
        for i, t in enumerate(report.trends)
    )
    next_actions = tuple(
        next_action_of(a, plan.funnels[a.funnel], answer.next_actions.get(a.funnel)) for a in report.next_actions
    )
    usage = answer.usage
    quota = QuotaUsed(
        tokens=usage.quota.get("tokens") or 0,
        core_tokens=usage.quota.get("core_tokens") or 0,
        funnel_tokens=usage.quota.get("funnel_tokens") or 0,
        core_remaining_per_day=usage.quota.get("core_remaining_per_day"),
        core_remaining_per_hour=usage.quota.get("core_remaining_per_hour"),
        funnel_remaining_per_day=usage.quota.get("funnel_remaining_per_day"),
        funnel_remaining_per_hour=usage.quota.get("funnel_remaining_per_hour"),
        responses_without_quota=usage.quota.get("responses_without_quota") or 0,
    )
    calls = CallsMade(data_api=dict(usage.calls), admin_api=dict(usage.admin_calls))
    return ReportData(
        name=report.name,
        title=report.title,
        property=source.property,
        plan_source=plan.source,
        environment=plan.environment,
        currency=currency,
        generated_at=now or datetime.now(timezone.utc).replace(microsecond=0),
        period=rp,
        site=site_totals(answer.site, has_previous, days=days),
        funnels=tuple(funnel_data[k] for n in shown for k in sections[n]),
        key_events=tuple(event_data),
        micro_macro=micro_macro,
        alerts=alerts,
        quota=quota,
        calls=calls,
        source=usage,
        split_tests=split_tests,
        seconds=time.monotonic() - started,
        key_events_caveats=data_caveats(events_table.caveats if events_table is not None else NO_CAVEATS),
        journey=journey,
        trends=trends,
        next_actions=next_actions,
    )


def journey_section(
    plan: TrackingPlan, macro: str | None, funnels: dict[str, FunnelData], events: dict[str, EventTotal]
) -> JourneyMap:
    """The journey-stage map (``ga_goals.reports.journey``), or a map that says why there is none."""
    funnel, unmeasured, why = journey_funnel(plan, macro)
    if funnel is None:
        return JourneyMap(macro=macro, unmeasured=unmeasured, message=why)
    return journey_map(plan, funnel, funnels[funnel.name], macro, events, unmeasured)


# --------------------------------------------------------------------------- assembling


def funnel_data_of_key(funnel: Funnel, segment: Segment | None) -> str:
    """The :attr:`FunnelData.key` of ``funnel`` restricted to ``segment``."""
    return funnel.name if segment is None else f"{funnel.name}/{segment.name}"


def funnel_data_of(
    funnel: Funnel,
    table: FunnelTable,
    has_previous: bool,
    *,
    days: tuple[int, int] = (1, 1),
    segment: Segment | None = None,
) -> FunnelData:
    """A funnel's figures from its parsed table (current period, and the previous one; ``days``:
    the lengths of the two, for the tests of the changes), in ``segment`` when given."""
    names = [s.name for s in funnel.steps]
    cell = None if segment is None else segment.label
    current = table.steps(CURRENT, cell)
    figures = derive.step_figures(names, [v.users for v in current], [v.abandonments for v in current])
    users = [v.users for v in current]
    previous_users = table.users(PREVIOUS, cell) if has_previous else None
    steps = []
    for k, (step, fig) in enumerate(zip(funnel.steps, figures)):
        prev = previous_users[k] if previous_users is not None else None
        steps.append(
            StepData(
                number=k + 1,
                name=step.name,
                event=step.label,
                events=step.events,
                users=fig.active_users,
                completion_rate=fig.completion_rate,
                abandonments=fig.abandonments,
                abandonment_rate=fig.abandonment_rate,
                share_of_first=(fig.active_users / users[0]) if users[0] else 0.0,
                previous_users=prev,
                users_change=derive.count_change(fig.active_users, prev, *days),
            )
        )
    conversion = derive.overall_conversion(users)
    prev_conversion = derive.overall_conversion(previous_users) if previous_users is not None else None
    rows = []
    if table.breakdown:
        for value in table.breakdown_values:
            row_users = tuple(table.users(CURRENT, cell, breakdown=value))
            if not any(row_users):
                continue
            rows.append(BreakdownRow(value=value, users=row_users, conversion_rate=derive.overall_conversion(row_users)))
    return FunnelData(
        name=funnel.name,
        title=funnel.title,
        description=funnel.description,
        open=funnel.open,
        steps=tuple(steps),
        users=users[0],
        completions=users[-1],
        conversion_rate=conversion,
        previous_users=previous_users[0] if previous_users is not None else None,
        previous_completions=previous_users[-1] if previous_users is not None else None,
        previous_conversion_rate=prev_conversion,
        users_change=derive.count_change(users[0], previous_users[0] if previous_users is not None else None, *days),
        completions_change=derive.count_change(users[-1], previous_users[-1] if previous_users is not None else None, *days),
        conversion_rate_change=derive.rate_change(
            users[-1], users[0], *((previous_users[-1], previous_users[0]) if previous_users is not None else (None, None))
        ),
        breakdown=table.breakdown or funnel.breakdown,
        breakdown_rows=tuple(rows),
        caveats=data_caveats(table.caveats),
        segment=None if segment is None else segment.name,
        segment_title=None if segment is None else segment.label,
        segment_scope=None if segment is None else segment.scope,
    )


def event_total(
    plan: TrackingPlan, event: str, table: ReportTable | None, has_previous: bool, *, days: tuple[int, int] = (1, 1)
) -> EventTotal:
    conversion = plan.conversions.get(event)
    kind = conversion.kind if conversion else "event"
    if table is None:
        return EventTotal(event=event, kind=kind, count=0, users=0, value=0)
    cur = table.lookup(eventName=event, dateRange=CURRENT)
    prev = table.lookup(eventName=event, dateRange=PREVIOUS) if has_previous else None

    def get(values: dict[str, float] | None, metric: str) -> float | None:
        return None if values is None else values.get(metric, 0.0)

    return EventTotal(
        event=event,
        kind=kind,
        count=cur.get("eventCount", 0.0),
        users=cur.get("totalUsers", 0.0),
        value=cur.get("eventValue", 0.0),
        previous_count=get(prev, "eventCount"),
        previous_users=get(prev, "totalUsers"),
        previous_value=get(prev, "eventValue"),
        count_change=derive.count_change(cur.get("eventCount", 0.0), get(prev, "eventCount"), *days),
        users_change=derive.count_change(cur.get("totalUsers", 0.0), get(prev, "totalUsers"), *days),
        value_change=derive.change(cur.get("eventValue", 0.0), get(prev, "eventValue")),
    )


def site_totals(table: ReportTable, has_previous: bool, *, days: tuple[int, int] = (1, 1)) -> SiteTotals:
    cur = table.lookup(dateRange=CURRENT)
    prev = table.lookup(dateRange=PREVIOUS) if has_previous else None
    users, sessions = cur.get("totalUsers", 0.0), cur.get("sessions", 0.0)
    p_users = prev.get("totalUsers", 0.0) if prev is not None else None
    p_sessions = prev.get("sessions", 0.0) if prev is not None else None
    return SiteTotals(
        users=users,
        sessions=sessions,
        previous_users=p_users,
        previous_sessions=p_sessions,
        users_change=derive.count_change(users, p_users, *days),
        sessions_change=derive.count_change(sessions, p_sessions, *days),
        caveats=data_caveats(table.caveats),
    )


def micro_macro_table(
    plan: TrackingPlan, macro: str, micros: Sequence[str], lift: LiftTables, has_previous: bool
) -> MicroMacroTable:
    """Each micro conversion's conversion rate against all users', sorted by lift (highest first).

    A micro conversion's users are those who did it in the period; its converted users, those
    whose macro conversion came after it (:func:`ga_goals.sources.base.micro_funnel`)."""
    base = lift.baseline.users(CURRENT)
    base_rate = derive.ratio(base[1], base[0])
    prev_base_rate = None
    if has_previous:
        prev_base = lift.baseline.users(PREVIOUS)
        prev_base_rate = derive.ratio(prev_base[1], prev_base[0])
    rows = []
    for micro in micros:
        table = lift.micro(micro)
        users = table.users(CURRENT) if table else [0, 0]
        rate = derive.ratio(users[1], users[0])
        prev_rate = None
        if has_previous and table is not None:
            prev = table.users(PREVIOUS)
            prev_rate = derive.ratio(prev[1], prev[0])
        conversion = plan.conversions.get(micro)
        rows.append(
            MicroLift(
                event=micro,
                stage=conversion.stage if conversion else None,
                users=users[0],
                converted=users[1],
                conversion_rate=rate,
                lift=derive.lift(rate, base_rate),
                previous_conversion_rate=prev_rate,
                previous_lift=derive.lift(prev_rate, prev_base_rate),
            )
        )
    rows.sort(key=lambda r: (r.lift is None, -(r.lift or 0.0), -r.users, r.event))
    return MicroMacroTable(
        macro=macro,
        all_users=base[0],
        all_converted=base[1],
        all_conversion_rate=base_rate,
        rows=tuple(rows),
        previous_all_conversion_rate=prev_base_rate,
        entry_event=LIFT_ENTRY_EVENT,
        rule=MICRO_BEFORE_MACRO,
        caveats=data_caveats(lift.caveats),
    )


def _metric_value(metric: str, subject: Any) -> float | None:
    if metric.endswith("_change"):
        found = getattr(subject, metric, None)
        return found.relative if found is not None else None
    return float(getattr(subject, metric))


#: The count an alert's ``min_count`` checks, per metric (without ``_change``): the attribute
#: of a funnel or event total holding it (its words: ``Alert.counted``).
_FUNNEL_COUNTS = {"conversion_rate": "users", "users": "users", "completions": "completions"}
_EVENT_COUNTS = {"count": "count", "users": "users", "value": "count"}


def _alert_count(alert: Any, subject: Any) -> tuple[float, str] | None:
    """The count ``alert.min_count`` is checked against, and its unit: the current period's for
    a level, the larger of the two periods' for a change (None: unknown metric)."""
    base = alert.metric.removesuffix("_change")
    attribute = (_FUNNEL_COUNTS if alert.funnel is not None else _EVENT_COUNTS).get(base)
    if attribute is None:
        return None
    count = float(getattr(subject, attribute))
    if alert.metric.endswith("_change"):
        count = max(count, float(getattr(subject, f"previous_{attribute}") or 0.0))
    return count, alert.counted


def _format(metric: str, value: float) -> str:
    if metric.endswith("_change"):
        return percent(value, signed=True)
    if metric in _RATE_METRICS:
        return percent(value)
    return number(value)


def _held_back(alert: Any, counted: tuple[float, str] | None, p_value: float | None) -> str | None:
    """Why an alert whose metric crossed its threshold does not fire: ``min_count`` (the count
    behind it is below), ``too_few_to_test`` or ``noise`` (with ``significant``); None: it fires."""
    if counted is not None and counted[0] < alert.min_count:
        return "min_count"
    if alert.significant and p_value is None:
        return "too_few_to_test"
    if alert.significant and p_value is not None and p_value >= 1.0 - alert.confidence:
        return "noise"
    return None


def evaluate_alert(alert: Any, funnels: dict[str, FunnelData], events: dict[str, EventTotal]) -> AlertResult:
    """Whether ``alert`` fires on the report's figures, with a sentence saying so."""
    direction = "below" if alert.below is not None else "above"
    threshold = float(alert.below if alert.below is not None else alert.above)
    if alert.funnel is not None:
        kind, name = "funnel", alert.funnel
        subject: Any = funnels.get(name)
        title = subject.title if subject else name
    else:
        kind, name = "event", alert.event
        subject = events.get(name)
        title = name
    value = _metric_value(alert.metric, subject) if subject is not None else None
    words = alert.metric.replace("_change", " change").replace("_", " ")
    change = getattr(subject, alert.metric, None) if alert.metric.endswith("_change") else None
    p_value = change.p_value if change is not None else None
    counted = _alert_count(alert, subject) if subject is not None and alert.min_count is not None else None
    held_back = None
    if value is None:
        fired = False
        message = f"{title}: {words} has no value (nothing to compare with), so the alert ({direction} {_format(alert.metric, threshold)}) cannot fire"
    else:
        crossed = value < threshold if direction == "below" else value > threshold
        shown, limit = _format(alert.metric, value), _format(alert.metric, threshold)
        held_back = _held_back(alert, counted, p_value) if crossed else None
        fired = crossed and held_back is None
        said = f"{title}: {words} is {shown}, {direction} {limit}"
        if not crossed:
            message = f"{title}: {words} is {shown} (alert when {direction} {limit})"
        elif held_back == "min_count":
            assert counted is not None
            within = " in either period" if alert.metric.endswith("_change") else ""
            message = (
                f"{said}, but rests on only {number(counted[0])} {counted[1]}{within} "
                f"(min_count {alert.min_count}), so the alert does not fire"
            )
        elif held_back == "too_few_to_test":
            message = f"{said}, but too few users to tell it from noise, so the alert does not fire"
        elif held_back == "noise":
            message = f"{said}, but within noise ({p_value_text(p_value)}), so the alert does not fire"
        elif p_value is None:
            message = said
        else:
            # Fired: with significant, its p-value; without, a change within noise says so.
            noise = p_value >= 1.0 - (alert.confidence if alert.significant else derive.CONFIDENCE)
            message = f"{said} ({'within noise: ' if noise else ''}{p_value_text(p_value)})" if alert.significant or noise else said
    return AlertResult(
        kind=kind,
        subject=name,
        subject_title=title,
        metric=alert.metric,
        direction=direction,
        threshold=threshold,
        value=value,
        fired=fired,
        message=message,
        p_value=p_value,
        count=counted[0] if counted is not None else None,
        held_back=held_back,
    )
