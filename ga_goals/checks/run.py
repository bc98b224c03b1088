"""Run ``ga-goals check``: one query to a report source over the last N days, then every rule.

:func:`run_check` asks the source (:class:`~ga_goals.sources.base.ReportSource`: the Data API,
DuckDB on export files, or BigQuery) ONE :class:`~ga_goals.sources.base.ReportQuery`
(:func:`check_query`: every event name, the parameters of the plan's custom dimensions, the
plan's funnels, the micro vs macro table) and hands the answer to the rules of
:mod:`ga_goals.checks.rules`. The period is the last ``days`` days ending yesterday in the
property's time zone (today is still filling up).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from ga_goals.checks import parameter_rules, rules
from ga_goals.checks.findings import KINDS, SEVERITIES, UNDECLARED_EVENT, CheckResult, Finding
from ga_goals.errors import GaGoalsError
from ga_goals.model import TrackingPlan
from ga_goals.reports.periods import CURRENT, DateSpan, today_in
from ga_goals.sources.base import ReportQuery, ReportSource

#: The name of the check's date range in the query (the report's name of the period read, so
#: that notes worded for reports read right).
SPAN = CURRENT
#: Default period and number of undeclared events listed.
DEFAULT_DAYS = 28
DEFAULT_TOP = 10
#: Longest period a check reads (GA4 keeps event-level data 14 months at most).
MAX_DAYS = 400


class CheckError(GaGoalsError):
    """The check cannot run as asked (a bad number of days, an unknown macro conversion)."""


def check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise CheckError(f"--days {days}: check 1 to {MAX_DAYS} days")


def check_span(days: int, today: date) -> DateSpan:
    """The last ``days`` days ending yesterday."""
    check_days(days)
    end = today - timedelta(days=1)
    return DateSpan(SPAN, end - timedelta(days=days - 1), end)


def check_macro(plan: TrackingPlan, macro: str | None) -> str | None:
    """The macro conversion micro conversions are judged against: ``macro``, else the plan's first."""
    if macro is None:
        return plan.macro[0].event_name if plan.macro else None
    conversion = plan.conversions.get(macro)
    if conversion is None or conversion.kind != "macro":
        have = ", ".join(c.event_name for c in plan.macro) or "none"
        raise CheckError(f"--macro {macro!r} is not a macro conversion of {plan.source} (macro conversions: {have})")
    return macro


def check_query(plan: TrackingPlan, span: DateSpan, macro: str | None) -> ReportQuery:
    """Everything the rules read, in one query."""
    micros = tuple(c.event_name for c in plan.micro if c.event_name != macro) if macro else ()
    return ReportQuery(
        spans=(span,),
        # The whole traffic: whether a funnel's steps are reached at all (not per segment).
        funnels=tuple(replace(f, segments=()) for f in plan.funnels.values()),
        macro=macro if micros else None,
        micros=micros,
        event_names=True,
        parameters=tuple(dict.fromkeys(rules.dimension_parameters(plan))),
        schemas=tuple(plan.event_schemas.values()),
    )


def run_check(
    plan: TrackingPlan,
    source: ReportSource,
    *,
    days: int = DEFAULT_DAYS,
    top: int = DEFAULT_TOP,
    macro: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> CheckResult:
    """Check ``plan`` against the last ``days`` days of its property's data, read from ``source``.

    :param today: today in the property's time zone (None: asked from the source's settings).
    :param macro: the macro conversion micro conversions are judged against (default: the first).
    :raises CheckError: bad ``days`` or ``macro`` (before any call).
    :raises ga_goals.errors.GaGoalsError: the source failed (nothing partial is returned).
    """
    check_days(days)  # bad input fails before any call
    chosen = check_macro(plan, macro)
    if top < 0:
        raise CheckError(f"--top {top}: give 0 or more")
    settings = source.settings()
    span = check_span(days, today or today_in(settings.time_zone))
    query = check_query(plan, span, chosen)
    answer = source.fetch(query)

    ctx = rules.CheckContext(plan=plan, answer=answer, span=SPAN)
    undeclared, more = rules.undeclared_events(ctx, top)
    findings: list[Finding] = [
        *rules.events_never_fired(ctx),
        *undeclared,
        *rules.parameters_never_arriving(ctx),
        *rules.micros_without_lift(ctx, query.macro, query.micros),
        *rules.empty_funnels(ctx),
        *parameter_rules.parameter_findings(plan, answer.schema_faults),
        *rules.data_caveats(ctx),
    ]
    order = {name: i for i, name in enumerate(KINDS)}
    findings.sort(key=lambda f: (order[f.kind], -SEVERITIES.index(f.severity)))  # stable: rule order within
    return CheckResult(
        plan_source=plan.source,
        environment=plan.environment,
        property=source.property,
        engine=source.engine,
        start=span.start,
        end=span.end,
        time_zone=settings.time_zone,
        findings=findings,
        omitted={UNDECLARED_EVENT.name: more} if more else {},
        usage=answer.usage.summary(),
        usage_json={
            "engine": answer.usage.engine,
            "calls": dict(answer.usage.calls),
            "quota_tokens": answer.usage.quota.get("tokens"),
            "bytes_processed": answer.usage.bytes_processed,
            "bytes_billed": answer.usage.bytes_billed,
        },
        generated_at=now or datetime.now(timezone.utc).replace(microsecond=0),
        checked=parameter_rules.checked_summary(plan, answer.schema_faults),
    )
