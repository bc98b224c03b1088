"""The journey-stage map: built from the plan's stages, rendered in every format, and its message
when the plan gives nothing to map."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from ga_goals.model import AnyOf, EventMatch, TrackedEvent
from ga_goals.reports.journey import JOURNEY_FUNNEL, journey_funnel, stage_step
from ga_goals.reports.render import render_report


def test_the_shop_stages_become_an_open_funnel_then_the_macro_conversion(shop_plan):
    funnel, unmeasured, why = journey_funnel(shop_plan, "purchase")
    assert why is None and unmeasured == ()
    assert funnel is not None and funnel.open and funnel.name == JOURNEY_FUNNEL
    assert [s.name for s in funnel.steps] == ["home", "category", "product", "cart", "checkout", "purchase"]
    # home: its reached_by step (a page view of the home page), not its micro conversion
    assert funnel.steps[0].events == ("page_view",)
    # checkout: its events, without the macro conversion that closes the journey
    assert funnel.steps[4].condition == AnyOf(
        (EventMatch("sign_up"), EventMatch("add_shipping_info"), EventMatch("add_payment_info"))
    )


def test_the_weekly_report_has_the_map(weekly):
    j = weekly.journey
    assert j is not None and j.message is None and j.macro == "purchase"
    assert [s.name for s in j.stages] == ["home", "category", "product", "cart", "checkout"]
    for s in j.stages:
        assert s.moved_on is not None and s.drop_off == s.users - s.moved_on
    assert sum(s.biggest_drop for s in j.stages) == (1 if any(s.drop_off for s in j.stages) else 0)
    product = next(s for s in j.stages if s.name == "product")
    assert [m.event for m in product.micros] == ["compare_products", "add_to_wishlist", "write_review", "add_to_cart"]
    assert j.macro_users is not None and j.conversion_rate == pytest.approx(j.macro_users / j.stages[0].users)


@pytest.mark.parametrize("fmt", ["html", "email", "text", "json", "csv"])
def test_the_map_renders_in_every_format(weekly, fmt):
    out = render_report(weekly, fmt)
    if fmt in ("html", "email", "text"):
        assert "Journey" in out and "home" in out
    if fmt == "html":
        assert "biggest drop" in out and "<script" not in out
    if fmt == "json":
        assert '"journey"' in out


def _without_stage_events(plan):
    plan = copy.deepcopy(plan)
    plan.conversions = {k: dataclasses.replace(c, stage=None) for k, c in plan.conversions.items()}
    plan.events = {k: dataclasses.replace(e, stage=None) for k, e in plan.events.items()}
    plan.stage_reached_by = {}
    return plan


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: dataclasses.replace(p, stages=()), "The plan declares no journey stages"),
        (_without_stage_events, "No journey stage has an event to count"),
    ],
)
def test_a_plan_without_stages_gets_a_message_not_a_crash(build, shop_plan, fake, change, message):
    data = build(plan=change(shop_plan))
    assert data.journey is not None and data.journey.stages == () and message in (data.journey.message or "")
    # 4 funnels (one with two segments in one request), the split test, the trend, the next actions
    # and 11 for the lift: no journey request
    assert data.calls.data_api["RunFunnelReport"] == 18
    for fmt in ("html", "email", "text"):
        assert message in render_report(data, fmt)


def test_stages_nothing_reaches_are_listed_not_mapped(shop_plan):
    plan = copy.deepcopy(shop_plan)
    plan.stages = ("home", "wishlist", "checkout")
    plan.events["view_wishlist"] = TrackedEvent("view_wishlist", stage=None)
    funnel, unmeasured, why = journey_funnel(plan, "purchase")
    assert why is None and unmeasured == ("wishlist",)
    assert funnel is not None and [s.name for s in funnel.steps] == ["home", "checkout", "purchase"]
    assert stage_step(plan, "wishlist", "purchase") is None


def test_too_many_stages_for_one_funnel(shop_plan):
    plan = copy.deepcopy(shop_plan)
    plan.stages = tuple(f"s{i}" for i in range(10))
    plan.events = {f"e{i}": TrackedEvent(f"e{i}", stage=f"s{i}") for i in range(10)}
    funnel, _unmeasured, why = journey_funnel(plan, "purchase")
    assert funnel is None and why is not None and "at most 9 measured stages" in why
