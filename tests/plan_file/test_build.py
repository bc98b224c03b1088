"""Building model objects from plan files (data-driven: YAML in, model object out)."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from ga_goals.errors import Location
from ga_goals.model import (
    Alert,
    Condition,
    Conversion,
    CustomDimension,
    CustomMetric,
    Email,
    EventCreateRule,
    Funnel,
    FunnelStep,
    KeyEvent,
    Mutation,
    Period,
    Report,
    Safety,
    StepFilter,
    TrackedEvent,
)
from ga_goals.plan_file import load_plan


def _load(tmp_path: Path, body: str, header: str = "property: sandbox\ncurrency: USD\n", **kwargs):
    path = tmp_path / "plan.yaml"
    path.write_text(header + textwrap.dedent(body))
    return load_plan(path, env={}, **kwargs)


CONVERSIONS = [
    (
        "macro purchase with value mapping",
        """
        conversions:
          macro:
            purchase:
              stage: checkout
              counting: once_per_session
              value: {default: 9.5, currency: EUR}
              description: Order
        """,
        Conversion("purchase", "macro", "checkout", "once_per_session", 9.5, "EUR", "Order"),
    ),
    (
        "value shorthand takes the top-level currency",
        """
        conversions:
          macro:
            purchase: {value: 25}
        """,
        Conversion("purchase", "macro", default_value=25.0, currency="USD"),
    ),
    (
        "micro conversion, not a key event",
        """
        conversions:
          micro:
            view_search_results: {stage: category, key_event: false}
        """,
        Conversion("view_search_results", "micro", "category", key_event=False),
    ),
    (
        "created event: conditions, mutations, comparisons",
        """
        stream: Web
        conversions:
          micro:
            newsletter_signup:
              created_from:
                when:
                  - {event_name: form_submit}
                  - {parameter: form_id, equals: Newsletter, case_sensitive: false}
                  - {parameter: value, greater_than: 10}
                  - {parameter: value, less_than_or_equal: 99.5}
                  - {parameter: page_location, matches: "/blog/.*", case_sensitive: false, negate: true}
                  - {parameter: page_location, matches: "^/shop"}
                  - {parameter: page_title, contains: Sale}
                  - {parameter: page_title, starts_with: Home, case_sensitive: false}
                  - {parameter: page_title, ends_with: 2026}
                  - {parameter: logged_in, equals: true}
                copy_parameters: true
                set:
                  - {parameter: method, value: newsletter_form}
                  - {parameter: origin_form, copy_from: form_id}
                  - {parameter: points, value: 10}
        """,
        Conversion(
            "newsletter_signup",
            "micro",
            created_from=(
                EventCreateRule(
                    destination_event="newsletter_signup",
                    conditions=(
                        Condition("event_name", "equals", "form_submit"),
                        Condition("form_id", "equals_case_insensitive", "Newsletter"),
                        Condition("value", "greater_than", "10"),
                        Condition("value", "less_than_or_equal", "99.5"),
                        Condition("page_location", "regular_expression_case_insensitive", "/blog/.*", True),
                        Condition("page_location", "regular_expression", "^/shop"),
                        Condition("page_title", "contains", "Sale"),
                        Condition("page_title", "starts_with_case_insensitive", "Home"),
                        Condition("page_title", "ends_with", "2026"),
                        Condition("logged_in", "equals", "true"),
                    ),
                    copy_parameters=True,
                    mutations=(
                        Mutation("method", "newsletter_form"),
                        Mutation("origin_form", "[[form_id]]"),
                        Mutation("points", "10"),
                    ),
                    stream="Web",
                    index=0,
                ),
            ),
        ),
    ),
    (
        "two rules for one event: index and stream",
        """
        stream: 1234567
        conversions:
          macro:
            generate_lead:
              created_from:
                - when: [{event_name: form_submit}, {parameter: form_id, equals: contact}]
                - when: [{event_name: form_submit}, {parameter: form_id, equals: demo}]
                  stream: Other web
        """,
        Conversion(
            "generate_lead",
            "macro",
            created_from=(
                EventCreateRule(
                    "generate_lead",
                    (Condition("event_name", "equals", "form_submit"), Condition("form_id", "equals", "contact")),
                    stream="1234567",
                    index=0,
                ),
                EventCreateRule(
                    "generate_lead",
                    (Condition("event_name", "equals", "form_submit"), Condition("form_id", "equals", "demo")),
                    stream="Other web",
                    index=1,
                ),
            ),
        ),
    ),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CONVERSIONS], ids=[c[0] for c in CONVERSIONS])
def test_conversions(tmp_path: Path, body: str, expected: Conversion) -> None:
    plan = _load(tmp_path, body)
    assert plan.conversions[expected.event_name] == expected
    assert plan.warnings == []


def test_conversion_locations_and_key_events(tmp_path: Path) -> None:
    plan = _load(
        tmp_path,
        """
        conversions:
          macro:
            purchase: {value: 25, counting: once_per_session}
          micro:
            add_to_cart: {}
            view_item_list: {key_event: false}
        """,
    )
    assert plan.conversions["purchase"].where == Location(str(tmp_path / "plan.yaml"), 6, 5)
    assert [c.event_name for c in plan.macro] == ["purchase"]
    assert [c.event_name for c in plan.micro] == ["add_to_cart", "view_item_list"]
    state = plan.desired_state("properties/1")
    assert state.key_events == {
        "purchase": KeyEvent("purchase", "once_per_session", 25.0, "USD"),
        "add_to_cart": KeyEvent("add_to_cart"),
    }


DEFINITIONS = [
    (
        "custom_dimensions",
        """
        custom_dimensions:
          form_id: {scope: event, display_name: Form ID, description: Which form}
          customer_tier: {scope: user, display_name: Customer tier, disallow_ads_personalization: true}
          item_color: {scope: item, display_name: Item color}
          form_id_user: {scope: user, display_name: Form ID user, parameter: form_id}
        """,
        {
            "form_id": CustomDimension("form_id", "event", "Form ID", "Which form"),
            "customer_tier": CustomDimension("customer_tier", "user", "Customer tier", "", True),
            "item_color": CustomDimension("item_color", "item", "Item color"),
            "form_id_user": CustomDimension("form_id", "user", "Form ID user"),
        },
    ),
    (
        "custom_metrics",
        """
        custom_metrics:
          cart_value: {display_name: Cart value, unit: currency, restricted: [revenue, cost]}
          reading_time: {display_name: Reading time, unit: seconds, description: Seconds}
          reviews: {display_name: Reviews}
        """,
        {
            "cart_value": CustomMetric("cart_value", "Cart value", "", "currency", ("cost_data", "revenue_data")),
            "reading_time": CustomMetric("reading_time", "Reading time", "Seconds", "seconds"),
            "reviews": CustomMetric("reviews", "Reviews"),
        },
    ),
    (
        "events",
        """
        events:
          view_item_list: {stage: category, description: List shown}
          scroll: {}
        """,
        {
            "view_item_list": TrackedEvent("view_item_list", "category", "List shown"),
            "scroll": TrackedEvent("scroll"),
        },
    ),
]


@pytest.mark.parametrize(("attribute", "body", "expected"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_definitions(tmp_path: Path, attribute: str, body: str, expected: dict) -> None:
    assert getattr(_load(tmp_path, body), attribute) == expected


def test_funnels(tmp_path: Path) -> None:
    plan = _load(
        tmp_path,
        """
        funnels:
          checkout:
            title: Checkout funnel
            description: To the order
            steps:
              - view_item
              - {event: add_to_cart, name: Added to cart, directly_followed: true}
              - event: begin_checkout
                within: 1h30m
              - event: purchase
                within: 2d
                where:
                  - {parameter: currency, equals: USD}
                  - {parameter: value, greater_than: 0}
                  - {parameter: coupon, in: [SUMMER, 10]}
                  - {parameter: page_location, matches: "^/shop", case_sensitive: false, negate: true}
                  - {parameter: quantity, equals: 2}
            breakdown: {dimension: deviceCategory, limit: 3}
          browse_to_buy:
            open: true
            steps: [view_item_list, {event: purchase, within: 1w}]
            breakdown: country
        """,
    )
    file = str(tmp_path / "plan.yaml")
    assert plan.funnels["checkout"] == Funnel(
        name="checkout",
        title="Checkout funnel",
        description="To the order",
        steps=(
            FunnelStep("view_item", "view_item"),
            FunnelStep("Added to cart", "add_to_cart", directly_followed=True),
            FunnelStep("begin_checkout", "begin_checkout", within_seconds=5400.0),
            FunnelStep(
                "purchase",
                "purchase",
                filters=(
                    StepFilter("currency", "equals", "USD"),
                    StepFilter("value", "greater_than", 0.0),
                    StepFilter("coupon", "in", ("SUMMER", "10")),
                    StepFilter("page_location", "matches", "^/shop", case_sensitive=False, negated=True),
                    StepFilter("quantity", "equals", 2.0),
                ),
                within_seconds=172800.0,
            ),
        ),
        breakdown="deviceCategory",
        breakdown_limit=3,
    )
    browse = plan.funnels["browse_to_buy"]
    assert (browse.title, browse.open, browse.breakdown) == ("Browse to buy", True, "country")
    assert browse.breakdown_limit == 5
    assert browse.steps[1].within_seconds == 7 * 86400
    assert plan.funnels["checkout"].steps[2].where == Location(file, 11, 9)
    assert plan.funnels["checkout"].where == Location(file, 5, 3)


def test_reports(tmp_path: Path) -> None:
    plan = _load(
        tmp_path,
        """
        conversions:
          macro:
            purchase: {}
        funnels:
          checkout: {steps: [view_item, purchase]}
        reports:
          weekly:
            title: Weekly
            period: last_28_days
            compare: previous_year
            funnels: [checkout]
            key_events: [purchase]
            macro: purchase
            alerts:
              - {funnel: checkout, metric: conversion_rate, below: 0.02}
              - {event: purchase, metric: count_change, above: 1}
              - {event: purchase, metric: users_change, below: -0.2, significant: true, confidence: 0.99, min_count: 30}
            email:
              to: [growth@example.com]
              cc: [boss@example.com]
              subject: "Funnels: {{ period.label }}"
            formats: [html, csv]
          january:
            period: {start: 2026-01-01, end: 2026-01-31}
            email: {to: [a@example.com]}
          defaults: {}
        """,
    )
    file = str(tmp_path / "plan.yaml")
    assert plan.reports["weekly"] == Report(
        name="weekly",
        title="Weekly",
        period=Period("last_28_days"),
        compare="previous_year",
        funnels=("checkout",),
        key_events=("purchase",),
        macro="purchase",
        alerts=(
            Alert("conversion_rate", funnel="checkout", below=0.02),
            Alert("count_change", event="purchase", above=1.0),
            Alert("users_change", event="purchase", below=-0.2, significant=True, confidence=0.99, min_count=30),
        ),
        email=Email(("growth@example.com",), ("boss@example.com",), "Funnels: {{ period.label }}"),
        formats=("html", "csv"),
    )
    january = plan.reports["january"]
    assert january.period == Period("custom", date(2026, 1, 1), date(2026, 1, 31))
    assert january.email == Email(("a@example.com",))
    assert plan.reports["defaults"] == Report("defaults", "Defaults", Period("last_7_days"))
    assert plan.reports["weekly"].alerts[1].where == Location(file, 19, 9)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("sandbox", "sandbox"), ("123456789", "123456789"), ("'123456789'", "123456789"),
     ("properties/42", "42"), ('"properties/42"', "42")],
)
def test_property_is_normalised(tmp_path: Path, value: str, expected: str) -> None:
    assert _load(tmp_path, "", header=f"property: {value}\n").property == expected


def test_top_level_settings_and_safety(tmp_path: Path) -> None:
    plan = _load(
        tmp_path,
        """
        tier: 360
        stream: 1234567
        stages: [landing, pricing]
        safety:
          protect: [purchase, custom_dimension:form_id]
          max_destroy: 0
          unmanaged: remove
        """,
    )
    assert (plan.tier, plan.stream, plan.stages, plan.currency) == ("360", "1234567", ("landing", "pricing"), "USD")
    assert plan.safety == Safety(("purchase", "custom_dimension:form_id"), 0, "remove")
    assert plan.source == str(tmp_path / "plan.yaml")
    assert plan.environment is None and plan.environments == {}


def test_defaults(tmp_path: Path) -> None:
    plan = _load(tmp_path, "", header="property: sandbox\n")
    assert (plan.tier, plan.currency, plan.stream) == ("standard", None, None)
    assert plan.stages == ("home", "category", "product", "cart", "checkout")
    assert plan.safety == Safety()
    assert plan.conversions == {} and plan.funnels == {} and plan.reports == {}
