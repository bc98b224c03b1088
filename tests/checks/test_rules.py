"""The rules of `ga-goals check` on answers built by hand: what each finds, and what it must not."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ga_goals.checks import rules
from ga_goals.checks.findings import KINDS, Finding, register_kind
from ga_goals.checks.run import SPAN, check_query, check_span
from ga_goals.model import Conversion, Funnel, FunnelStep, TrackingPlan
from ga_goals.model.resources import Condition, CustomDimension, EventCreateRule
from ga_goals.sources.base import ReportAnswer, SourceUsage
from ga_goals.sources.results import FunnelTable, ParameterRef, ParameterTable, ReportTable, StepValues
from ga_goals.stats import enough_for_a_test


def _answer(events: dict[str, int], **kwargs) -> ReportAnswer:
    table = ReportTable(dimensions=("eventName", "dateRange"), metrics=("eventCount", "totalUsers"))
    table.rows = [({"eventName": n, "dateRange": SPAN}, {"eventCount": float(c), "totalUsers": float(c)}) for n, c in events.items()]
    return ReportAnswer(
        events=None, site=ReportTable(("dateRange",), ("totalUsers",)), funnels=kwargs.pop("funnels", {}), lift=None,
        usage=SourceUsage("duckdb", "test"), event_names=table, **kwargs,
    )


def _plan(**kwargs) -> TrackingPlan:
    return TrackingPlan(source="plan.yaml", property="sandbox", **kwargs)


def test_created_events_say_which_rule_and_source_event():
    rule = EventCreateRule("newsletter_signup", (Condition("event_name", "equals", "form_submit"), Condition("form_id", "equals", "nl")))
    plan = _plan(conversions={"newsletter_signup": Conversion("newsletter_signup", "micro", created_from=(rule,))})
    [finding] = rules.events_never_fired(rules.CheckContext(plan, _answer({"form_submit": 40}), SPAN))
    assert finding.severity == "error"
    assert "an event create rule makes it (form_submit fired 40 times)" in finding.message
    # the rule's source event counts as mentioned: never listed as undeclared
    assert rules.undeclared_events(rules.CheckContext(plan, _answer({"form_submit": 40, "x_event": 2}), SPAN), 10)[0][0].subject == "x_event"
    assert "form_submit" in rules.mentioned_events(plan)


def test_an_untrusted_event_name_cannot_reach_the_terminal_raw():
    ctx = rules.CheckContext(_plan(), _answer({"evil\x1b[31m\u202e": 3}), SPAN)
    [[finding], more] = rules.undeclared_events(ctx, 10)
    assert more == 0 and "\x1b" not in finding.message and "\u202e" not in finding.message
    assert finding.subject == "evil\x1b[31m\u202e"  # the data itself stays whole (JSON escapes it)


def test_parameters_the_source_cannot_see_are_notes_not_errors():
    plan = _plan(custom_dimensions={
        "a": CustomDimension("a", "event", "A"), "b": CustomDimension("b", "user", "B"), "c": CustomDimension("c", "item", "C"),
    })
    table = ParameterTable(counts={(SPAN, ParameterRef("event", "a")): 5}, unseen={ParameterRef("item", "c"): "cannot"})
    found = rules.parameters_never_arriving(rules.CheckContext(plan, _answer({}, parameters=table), SPAN))
    assert [(f.kind, f.subject, f.severity) for f in found] == [
        ("parameter_never_arrives", "customUser:b", "error"),
        ("not_checked", "customItem:c", "info"),
    ]


def test_a_funnel_without_a_table_or_with_users_is_not_flagged():
    steps = (FunnelStep("a", "a"), FunnelStep("b", "b"))
    plan = _plan(funnels={"f": Funnel("f", "F", steps), "g": Funnel("g", "G", steps)})
    table = FunnelTable(step_names=("a", "b"), date_ranges=(SPAN,))
    table.cells[(SPAN, None, None)] = [StepValues(3, 1.0, 0, 0.0), StepValues(3, 0.0, 3, 1.0)]
    found = rules.empty_funnels(rules.CheckContext(plan, _answer({}, funnels={"f": table}), SPAN))
    assert found == []


def test_the_check_query_asks_for_everything_once():
    plan = _plan(
        conversions={"p": Conversion("p", "macro"), "m": Conversion("m", "micro")},
        custom_dimensions={"x": CustomDimension("x", "event", "X"), "y": CustomDimension("x", "event", "Y")},
    )
    query = check_query(plan, check_span(7, date(2026, 11, 30)), "p")
    assert query.event_names and query.macro == "p" and query.micros == ("m",)
    assert query.parameters == (ParameterRef("event", "x"),)
    assert [(s.start, s.end) for s in query.spans] == [(date(2026, 11, 23), date(2026, 11, 29))]
    assert check_query(plan, check_span(7, date(2026, 11, 30)), None).macro is None


# -- the micro conversion rule ----------------------------------------------------------------------


@given(users=st.integers(0, 5000), rate=st.floats(0, 1), others=st.integers(0, 50000), others_rate=st.floats(0, 1))
def test_no_lift_never_flags_a_clear_lift_or_too_few_users(users, rate, others, others_rate):
    converted, others_converted = round(users * rate), round(others * others_rate)
    all_users, all_converted = users + others, converted + others_converted
    test = rules.no_lift(users, converted, all_users, all_converted)
    if test is None:
        return
    # flagged: enough data for a test, and either no better than all users or not beyond noise
    assert enough_for_a_test(all_converted, all_users, converted, users)
    assert test.rate <= test.baseline_rate or test.interval.low <= test.baseline_rate <= test.interval.high
    low, high = test.lift_interval
    assert low <= test.lift <= high


def test_no_lift_examples():
    assert rules.no_lift(149, 4, 2906, 251) is not None  # the generated `share`: 2.7 % against 8.6 %
    assert rules.no_lift(467, 57, 2906, 251) is None  # 12.2 % against 8.6 %: clearly better
    assert rules.no_lift(39, 16, 2906, 251) is None  # 41 % of 39 users: too few to test
    assert rules.no_lift(12, 0, 2906, 251) is None  # twelve users: too few to tell anything
    assert rules.no_lift(300, 29, 3000, 270) is not None  # 9.7 % against 9 %: not beyond noise
    assert rules.no_lift(0, 0, 100, 10) is None
    assert rules.no_lift(100, 10, 1000, 0) is None  # nobody converted at all: nothing to compare with


# -- the findings model ----------------------------------------------------------------------------


def test_kinds_are_registered_once_and_findings_only_of_known_kinds():
    with pytest.raises(ValueError, match="already registered"):
        register_kind("undeclared_event", "x", "warning", "x")
    with pytest.raises(ValueError, match="unknown severity"):
        register_kind("parameter_type", "x", "fatal", "x")  # type: ignore[arg-type]
    assert "parameter_type" not in KINDS
    with pytest.raises(ValueError, match="unknown finding kind"):
        Finding("no_such_kind", "error", "x", "x")
    with pytest.raises(ValueError, match="unknown severity"):
        Finding("undeclared_event", "fatal", "x", "x")  # type: ignore[arg-type]
