"""Report data: derivations (data-driven), the weekly shop report over the Data API, checks before any call."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date

import grpc
import pytest

from ga_goals.errors import QuotaExhausted
from ga_goals.model import Alert, FunnelStep, Period
from ga_goals.reports import derive
from ga_goals.sources.data_api import DataApiSource
from ga_goals.reports.build import ReportError, build_report, evaluate_alert
from ga_goals.reports.model import Change, EventTotal, FunnelData
from ga_goals.reports.periods import PeriodError
from ga_goals.stats import compare_counts, compare_proportions
from tests.ga4.fake_data_api import FakeDataApi
from tests.reports.conftest import HOSTILE, TODAY


@pytest.mark.parametrize(
    "current, previous, expected",
    [
        (120, 100, Change(20, 0.2)),
        (80, 100, Change(-20, -0.2)),
        (5, 0, Change(5, None)),
        (0, 0, Change(0, None)),
        (0.05, 0.04, Change(pytest.approx(0.01), pytest.approx(0.25))),
        (10, None, None),
        (None, 10, None),
    ],
)
def test_change(current, previous, expected):
    assert derive.change(current, previous) == expected


@pytest.mark.parametrize(
    "current, previous, days, previous_days, significant",
    [
        (37, 45, 7, 7, False),  # the README's weekly example: a 17.8 % drop that is noise
        (370, 450, 7, 7, True),  # the same drop on ten times the events is not
        (2436, 0, 7, 7, True),  # new
        (0, 0, 7, 7, None),  # nothing in either period: nothing to test
        (310, 300, 31, 30, False),  # months: the same rate per day
        (400, 300, 28, 31, True),
    ],
)
def test_count_change_tests_the_rates_per_day(current, previous, days, previous_days, significant):
    change = derive.count_change(current, previous, days, previous_days)
    assert (change.absolute, change.test, change.significant) == (current - previous, "poisson", significant)
    reference = compare_counts(previous, current, previous_days, days)
    assert change.p_value == (reference.p_value if reference else None)
    assert change.new is (previous == 0 and current != 0)


def test_count_change_without_a_comparison():
    assert derive.count_change(10, None) is None and derive.count_change(None, 10) is None


@pytest.mark.parametrize(
    "now, previous, test, significant",
    [
        ((39, 723), (43, 677), "z", False),
        ((390, 7230), (600, 6770), "z", True),
        ((1, 20), (3, 20), "z", None),  # too few users for the z-test: no p-value
        ((60, 596), (71, 533), "z", False),
        ((700, 596), (71, 533), None, None),  # an open funnel's last step above its first: no proportion
    ],
)
def test_rate_change(now, previous, test, significant):
    change = derive.rate_change(*now, *previous)
    assert change.relative == pytest.approx((now[0] / now[1]) / (previous[0] / previous[1]) - 1)
    assert (change.test, change.significant) == (test, significant)
    assert (change.p_value is None) is (significant is None)
    assert derive.rate_change(*now, None, None) is None


@pytest.mark.parametrize(
    "users, expected",
    [([1000, 500, 50], 0.05), ([7, 2, 2, 0], 0.0), ([0, 0], 0.0), ([10, 12], 1.2), ([], 0.0)],
)
def test_overall_conversion(users, expected):
    assert derive.overall_conversion(users) == pytest.approx(expected)


@pytest.mark.parametrize(
    "rate, base, expected",
    [(0.5, 0.25, 2.0), (0.1, 0.2, 0.5), (None, 0.2, None), (0.3, 0.0, None), (0.3, None, None), (0.0, 0.2, 0.0)],
)
def test_lift(rate, base, expected):
    assert derive.lift(rate, base) == expected


@pytest.mark.parametrize(
    "users, abandonments, completion, abandonment_rate",
    [
        # closed funnel: abandonments = users(k) - users(k+1)
        ([100, 40, 10], [60, 30, 0], [0.4, 0.25, 1.0], [0.6, 0.75, 0.0]),
        # open funnel: users may grow, GA4's abandonments say who went on
        ([100, 150, 30], [70, 120, 0], [0.3, 0.2, 1.0], [0.7, 0.8, 0.0]),
        # a step nobody reached: zeros, and the step before it lost everyone
        ([7, 2, 2, 0], [5, 0, 2, 0], [2 / 7, 1.0, 0.0, 0.0], [5 / 7, 0.0, 1.0, 0.0]),
    ],
)
def test_step_figures(users, abandonments, completion, abandonment_rate):
    figures = derive.step_figures([f"s{i}" for i in range(len(users))], users, abandonments)
    assert [f.completion_rate for f in figures] == pytest.approx(completion)
    assert [f.abandonment_rate for f in figures] == pytest.approx(abandonment_rate)
    assert [f.active_users for f in figures] == users


def test_weekly_shop_report(weekly, fake: FakeDataApi):
    assert weekly.name == "weekly" and weekly.title == "Weekly shop funnels"
    assert weekly.period.label == "18–24 Nov 2026" and weekly.period.previous_label == "11–17 Nov 2026"
    # Calls: 1 batch (key events + site), 1 per funnel (4: the segmented one is one request with
    # both segments), 1 per split test, the journey map's funnel, lift: baseline + 1 per micro (10)
    # = 17; + 1 for the trend (the funnel by date) + 1 for the next actions = 19.
    assert weekly.calls.data_api == {"BatchRunReports": 1, "RunFunnelReport": 19}
    assert weekly.calls.total == 20 and weekly.calls.admin_api == {}
    assert weekly.quota.tokens == 19 * 7 + 14 and weekly.quota.core_tokens == 14  # the batch's 2 reports carry 7 each
    # A segmented funnel is one section per segment.
    assert [(f.name, f.segment) for f in weekly.funnels] == [
        ("checkout", None),
        ("browse_to_buy", None),
        ("search_visitors", None),
        ("checkout_by_segment", "newsletter_users"),
        ("checkout_by_segment", "mobile_sessions"),
    ]
    newsletter, mobile = weekly.funnels[3:]
    assert (newsletter.segment_title, newsletter.segment_scope, mobile.segment_scope) == ("Newsletter readers", "user", "session")
    assert [s.users for s in newsletter.steps] != [s.users for s in mobile.steps]  # the fake's numbers differ per segment
    assert newsletter.key == "checkout_by_segment/newsletter_users"

    checkout = weekly.funnels[0]
    users = fake.step_users(6, 1.0)
    previous = fake.step_users(6, 0.8)
    assert [s.users for s in checkout.steps] == users
    assert [s.previous_users for s in checkout.steps] == previous
    assert checkout.conversion_rate == pytest.approx(users[-1] / users[0])
    assert checkout.previous_conversion_rate == pytest.approx(previous[-1] / previous[0])
    counts = compare_counts(previous[0], users[0], 7, 7)
    assert checkout.users_change == Change(
        users[0] - previous[0], pytest.approx((users[0] - previous[0]) / previous[0]), "poisson", counts.p_value, counts.significant
    )
    rates = compare_proportions(previous[-1], previous[0], users[-1], users[0])
    assert checkout.conversion_rate_change.test == "z"
    assert checkout.conversion_rate_change.p_value == rates.p_value
    assert checkout.steps[0].completion_rate == pytest.approx(users[1] / users[0])
    assert checkout.steps[0].abandonments == users[0] - users[1]
    assert checkout.steps[1].name == "Added to cart" and checkout.steps[1].event == "add_to_cart"
    assert checkout.steps[2].share_of_first == pytest.approx(users[2] / users[0])
    assert checkout.breakdown == "deviceCategory"
    assert [r.value for r in checkout.breakdown_rows] == ["desktop", HOSTILE, "tablet"]
    assert checkout.biggest_drop.number == 1

    assert [e.event for e in weekly.key_events] == ["purchase", "sign_up", "add_to_cart", "begin_checkout", "newsletter_signup"]
    purchase = weekly.key_events[0]
    assert (purchase.kind, purchase.count, purchase.previous_count, purchase.users, purchase.value) == ("macro", 100, 80, 50, 350)
    assert purchase.count_change.relative == pytest.approx(0.25)
    assert weekly.site.users == 1200 and weekly.site.sessions == 1500

    mm = weekly.micro_macro
    assert mm.macro == "purchase" and mm.all_users == 1000 and mm.all_converted == 550
    assert mm.all_conversion_rate == pytest.approx(0.55)
    assert len(mm.rows) == 10 and "purchase" not in [r.event for r in mm.rows]
    lifts = [r.lift for r in mm.rows]
    assert lifts == sorted(lifts, reverse=True)
    top = mm.rows[0]
    assert top.lift == pytest.approx(top.conversion_rate / mm.all_conversion_rate)
    assert top.conversion_rate == pytest.approx(top.converted / top.users)
    assert {r.stage for r in mm.rows} >= {"product", "checkout"}

    assert [(a.subject, a.metric, a.fired) for a in weekly.alerts] == [("checkout", "conversion_rate", False), ("purchase", "count_change", False)]
    assert weekly.fired_alerts == ()


def test_alerts_fire(shop_plan):
    with FakeDataApi(previous_factor=2.0, zero_from_step=6) as fake:
        from ga_goals.ga4 import Target
        from ga_goals.ga4.data import DataGateway

        with DataGateway(Target("properties/1", sandbox_address=fake.address, timeout=5)) as gateway:
            data = build_report(shop_plan, "weekly", DataApiSource(gateway), TODAY)
    fired = {(a.subject, a.metric): a for a in data.fired_alerts}
    assert set(fired) == {("checkout", "conversion_rate"), ("purchase", "count_change")}
    assert fired[("checkout", "conversion_rate")].message == "Checkout funnel: conversion rate is 0%, below 2%"
    assert fired[("purchase", "count_change")].message == "purchase: count change is -50%, below -20% (p < 0.001)"
    assert fired[("purchase", "count_change")].value == pytest.approx(-0.5)


@pytest.mark.parametrize(
    "alert, value, fired",
    [
        (Alert("users", funnel="f", above=900), 1000, True),
        (Alert("users", funnel="f", above=1000), 1000, False),
        (Alert("completions", funnel="f", below=60), 50, True),
        (Alert("completions_change", funnel="f", below=-0.1), None, False),  # previous 0: no relative change
        (Alert("value", event="e", below=10), 350, False),
        (Alert("users_change", event="e", above=0.2), 0.25, True),
    ],
)
def test_evaluate_alert(alert, value, fired):
    funnel = FunnelData(
        name="f", title="F", description="", open=False, steps=(), users=1000, completions=50, conversion_rate=0.05,
        completions_change=Change(50, None),
    )
    event = EventTotal(event="e", kind="macro", count=100, users=50, value=350, users_change=Change(10, 0.25))
    result = evaluate_alert(alert, {"f": funnel}, {"e": event})
    assert result.fired is fired
    assert result.value == (pytest.approx(value) if value is not None else None)
    assert result.subject_title == ("F" if alert.funnel else "e")


def _purchase(count, previous_count):
    return EventTotal(
        event="purchase", kind="macro", count=count, users=count, value=0, previous_count=previous_count,
        previous_users=previous_count, count_change=derive.count_change(count, previous_count, 7, 7),
        users_change=derive.count_change(count, previous_count, 7, 7),
    )


@pytest.mark.parametrize(
    "alert, counts, fired, held_back, message",
    [
        # The README's example: 45 -> 37 purchases crosses -20 % ... and is noise.
        (Alert("count_change", event="purchase", below=-0.15), (37, 45), True, None,
         "purchase: count change is -17.78%, below -15% (within noise: p = 0.44)"),
        (Alert("count_change", event="purchase", below=-0.15, significant=True), (37, 45), False, "noise",
         "purchase: count change is -17.78%, below -15%, but within noise (p = 0.44), so the alert does not fire"),
        (Alert("count_change", event="purchase", below=-0.15, significant=True), (370, 450), True, None,
         "purchase: count change is -17.78%, below -15% (p = 0.006)"),
        (Alert("count_change", event="purchase", below=-0.15, significant=True, confidence=0.999), (370, 450), False, "noise",
         "purchase: count change is -17.78%, below -15%, but within noise (p = 0.006), so the alert does not fire"),
        # Significant at the alert's own confidence, so no "within noise" beside it.
        (Alert("count_change", event="purchase", below=-0.15, significant=True, confidence=0.9), (59, 82), True, None,
         "purchase: count change is -28.05%, below -15% (p = 0.06)"),
        (Alert("count_change", event="purchase", below=-0.15), (59, 82), True, None,
         "purchase: count change is -28.05%, below -15% (within noise: p = 0.06)"),
        (Alert("count_change", event="purchase", below=-0.15, min_count=50), (37, 45), False, "min_count",
         "purchase: count change is -17.78%, below -15%, but rests on only 45 events in either period (min_count 50), "
         "so the alert does not fire"),
        (Alert("count_change", event="purchase", below=-0.15, min_count=45), (37, 45), True, None,
         "purchase: count change is -17.78%, below -15% (within noise: p = 0.44)"),
        (Alert("count", event="purchase", below=40, min_count=40), (37, 45), False, "min_count",
         "purchase: count is 37, below 40, but rests on only 37 events (min_count 40), so the alert does not fire"),
        (Alert("users_change", event="purchase", below=-0.15, significant=True), (37, 45), False, "noise", None),
        (Alert("count_change", event="purchase", below=-0.5, significant=True), (37, 45), False, None,
         "purchase: count change is -17.78% (alert when below -50%)"),
    ],
)
def test_alert_noise_and_min_count(alert, counts, fired, held_back, message):
    result = evaluate_alert(alert, {}, {"purchase": _purchase(*counts)})
    assert (result.fired, result.held_back) == (fired, held_back)
    if message is not None:
        assert result.message == message
    if alert.metric.endswith("_change"):
        assert result.p_value == pytest.approx(compare_counts(counts[1], counts[0], 7, 7).p_value)
    else:
        assert result.p_value is None


def test_a_significant_rate_alert_with_too_few_users_does_not_fire():
    change = derive.rate_change(0, 20, 3, 20)
    funnel = FunnelData(
        name="f", title="F", description="", open=False, steps=(), users=20, completions=0, conversion_rate=0.0,
        previous_users=20, previous_completions=3, previous_conversion_rate=0.15, conversion_rate_change=change,
    )
    result = evaluate_alert(Alert("conversion_rate_change", funnel="f", below=-0.5, significant=True), {"f": funnel}, {})
    assert (result.fired, result.held_back, result.p_value) == (False, "too_few_to_test", None)
    assert result.message == (
        "F: conversion rate change is -100%, below -50%, but too few users to tell it from noise, so the alert does not fire"
    )
    counted = evaluate_alert(Alert("conversion_rate", funnel="f", below=0.1, min_count=25), {"f": funnel}, {})
    assert (counted.fired, counted.count, counted.held_back) == (False, 20, "min_count")
    assert "rests on only 20 users entered (min_count 25)" in counted.message


def test_compare_none_and_period_override(build, fake):
    data = build(period=Period("last_month"), compare="none", plan=_without_change_alerts(build))
    assert data.period.label == "1–31 Oct 2026" and data.period.previous is None
    assert data.funnels[0].users_change is None and data.funnels[0].steps[0].previous_users is None
    request = fake.requests_of("RunFunnelReport")[0]
    assert [(r.start_date, r.end_date, r.name) for r in request.date_ranges] == [("2026-10-01", "2026-10-31", "current")]


def _without_change_alerts(build):
    from tests.reports.conftest import load_plan, CONFIGS

    plan = copy.deepcopy(load_plan(CONFIGS / "shop.yaml", env={}))
    report = plan.reports["weekly"]
    plan.reports["weekly"] = dataclasses.replace(report, alerts=tuple(a for a in report.alerts if not a.metric.endswith("_change")))
    return plan


def test_today_from_the_property_time_zone(shop_plan, gateway, fake):
    data = build_report(shop_plan, "weekly", DataApiSource(gateway))
    assert data.period.time_zone == "America/Los_Angeles"
    assert data.calls.admin_api == {"GetProperty": 1}
    assert fake.calls["GetProperty"] == 1


def _plan_with(shop_plan, **changes):
    plan = copy.deepcopy(shop_plan)
    for key, value in changes.items():
        setattr(plan, key, value)
    return plan


def test_unknown_report_name(build, fake):
    with pytest.raises(ReportError, match="no report 'weekley' in the plan; did you mean 'weekly'"):
        build("weekley")
    assert fake.calls == {}


def test_a_funnel_naming_an_unknown_event(build, fake, shop_plan):
    funnels = dict(shop_plan.funnels)
    funnels["checkout"] = dataclasses.replace(
        funnels["checkout"], steps=(FunnelStep(name="a", event="view_item"), FunnelStep(name="b", event="begin_checkot"))
    )
    with pytest.raises(ReportError, match="step 2 of funnel 'checkout' uses event 'begin_checkot'.*did you mean 'begin_checkout'"):
        build(plan=_plan_with(shop_plan, funnels=funnels))
    assert fake.calls == {}


def test_every_problem_at_once(build, fake, shop_plan):
    reports = dict(shop_plan.reports)
    reports["weekly"] = dataclasses.replace(
        reports["weekly"],
        funnels=("checkout", "nope"),
        key_events=("purchase", "purchse"),
        macro="refund",
        alerts=(
            Alert("conversion_rate", funnel="ghost", below=0.1),
            Alert("clicks", event="purchase", above=1),
            # A plan built in Python skips the plan file's checks of the noise options.
            Alert("count", event="purchase", below=1, significant=True, confidence=1.5, min_count=0),
        ),
    )
    with pytest.raises(ReportError) as info:
        build(plan=_plan_with(shop_plan, reports=reports))
    text = str(info.value)
    for part in (
        "funnel 'nope'", "key event 'purchse'", "did you mean 'purchase'", "'refund'", "funnel 'ghost'", "unknown metric 'clicks'",
        "'count': significant applies to a change", "confidence must be between 0 and 1, not 1.5", "min_count must be at least 1, not 0",
        "nothing was queried",
    ):
        assert part in text
    assert fake.calls == {}


def test_invalid_dates_fail_before_any_call(build, fake):
    with pytest.raises(PeriodError, match="before it starts"):
        build(period=Period("custom", date(2026, 2, 1), date(2026, 1, 1)))
    with pytest.raises(PeriodError, match="after today"):
        build(period=Period("custom", date(2027, 2, 1), date(2027, 3, 1)))
    assert fake.calls == {}


def test_a_data_api_error_mid_report(build, fake):
    fake.faults.append(("RunFunnelReport", grpc.StatusCode.RESOURCE_EXHAUSTED, "Exhausted property tokens per day."))
    with pytest.raises(QuotaExhausted, match="Exhausted property tokens per day"):
        build()


def test_a_plan_without_micro_conversions_or_key_events(build, shop_plan, fake):
    conversions = {k: v for k, v in shop_plan.conversions.items() if v.kind == "macro"}
    plan = _plan_with(shop_plan, conversions=conversions)
    plan.reports["weekly"] = dataclasses.replace(plan.reports["weekly"], key_events=("purchase",))
    data = build(plan=plan)
    assert data.micro_macro is None
    assert data.calls.data_api == {"BatchRunReports": 1, "RunFunnelReport": 8}  # 4 funnels (one with two segments), the journey map, the split test, the trend, the next actions


def test_an_alert_on_a_funnel_the_report_does_not_show(build, shop_plan, fake):
    plan = copy.deepcopy(shop_plan)
    plan.reports["weekly"] = dataclasses.replace(plan.reports["weekly"], funnels=("browse_to_buy",))
    data = build(plan=plan)
    assert [f.name for f in data.funnels] == ["browse_to_buy"]
    assert data.alerts[0].subject == "checkout" and data.alerts[0].value == pytest.approx(0.05)
    # browse_to_buy, checkout (an alert watches it), the split test, the trend, the next actions,
    # the journey map, the baseline and 10 micro conversions
    assert data.calls.data_api["RunFunnelReport"] == 17


def test_json_is_stable(weekly):
    data = weekly.to_json()
    assert list(data)[:4] == ["format", "name", "title", "property"]
    assert data["calls"] == {"data_api": {"BatchRunReports": 1, "RunFunnelReport": 19}, "admin_api": {}, "total": 20}
    assert data["period"]["current"] == {"name": "current", "start": "2026-11-18", "end": "2026-11-24", "days": 7, "label": "18–24 Nov 2026"}
    assert set(data["funnels"][0]["steps"][0]) == {
        "number", "name", "event", "users", "completion_rate", "abandonments", "abandonment_rate", "share_of_first", "previous_users", "users_change",
        "events",
    }
    assert data["generated_at"] == "2026-11-25T06:00:00+00:00"
