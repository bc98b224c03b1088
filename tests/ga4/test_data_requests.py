"""Data API requests built from the plan model, through the real proto classes (serialised and parsed back)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta

from ga_goals.errors import GaGoalsError
from ga_goals.ga4.data import (
    event_totals_request,
    funnel_request,
    lift_funnel,
    micro_segment,
    parameter_filter,
    site_totals_request,
    step_filter_expression,
)
from ga_goals.model import Funnel, FunnelStep, StepFilter
from ga_goals.sources.base import micro_funnel
from ga_goals.reports.periods import DateSpan

CURRENT = DateSpan("current", date(2026, 11, 18), date(2026, 11, 24))
PREVIOUS = DateSpan("previous", date(2026, 11, 11), date(2026, 11, 17))


def round_trip(message):
    """Serialise to bytes and back: what the server receives."""
    cls = type(message)
    return cls.deserialize(cls.serialize(message))


def as_dict(message):
    return json.loads(type(message).to_json(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=False, use_integers_for_enums=False))


@pytest.mark.parametrize(
    "flt, expected",
    [
        (StepFilter("currency", "equals", "USD"), {"string_filter": {"match_type": "EXACT", "value": "USD", "case_sensitive": True}}),
        (StepFilter("q", "contains", "shoe", case_sensitive=False), {"string_filter": {"match_type": "CONTAINS", "value": "shoe"}}),
        (StepFilter("page", "starts_with", "/blog"), {"string_filter": {"match_type": "BEGINS_WITH", "value": "/blog", "case_sensitive": True}}),
        (StepFilter("page", "ends_with", ".pdf"), {"string_filter": {"match_type": "ENDS_WITH", "value": ".pdf", "case_sensitive": True}}),
        (StepFilter("page", "matches", "/p/[0-9]+"), {"string_filter": {"match_type": "FULL_REGEXP", "value": "/p/[0-9]+", "case_sensitive": True}}),
        (StepFilter("form_id", "in", ("newsletter", "contact")), {"in_list_filter": {"values": ["newsletter", "contact"], "case_sensitive": True}}),
        (StepFilter("form_id", "in", ("A",), case_sensitive=False), {"in_list_filter": {"values": ["A"]}}),
        (StepFilter("value", "equals", 10.0), {"numeric_filter": {"operation": "EQUAL", "value": {"int64_value": "10"}}}),
        (StepFilter("value", "greater_than", 0.0), {"numeric_filter": {"operation": "GREATER_THAN", "value": {"int64_value": "0"}}}),
        (StepFilter("value", "greater_than_or_equal", 2.5), {"numeric_filter": {"operation": "GREATER_THAN_OR_EQUAL", "value": {"double_value": 2.5}}}),
        (StepFilter("value", "less_than", 100.0), {"numeric_filter": {"operation": "LESS_THAN", "value": {"int64_value": "100"}}}),
        (StepFilter("value", "less_than_or_equal", -1.0), {"numeric_filter": {"operation": "LESS_THAN_OR_EQUAL", "value": {"int64_value": "-1"}}}),
    ],
    ids=lambda v: v.op if isinstance(v, StepFilter) else "",
)
def test_every_step_filter_op(flt, expected):
    message = round_trip(parameter_filter(flt))
    got = as_dict(message)["funnel_parameter_filter"]
    assert got.pop("event_parameter_name") == flt.parameter
    assert got == expected


def test_case_insensitive_string_and_list_filters():
    message = round_trip(parameter_filter(StepFilter("q", "contains", "Shoe", case_sensitive=False)))
    assert message.funnel_parameter_filter.string_filter.case_sensitive is False
    message = round_trip(parameter_filter(StepFilter("q", "in", ("A", "B"), case_sensitive=False)))
    assert message.funnel_parameter_filter.in_list_filter.case_sensitive is False
    assert list(message.funnel_parameter_filter.in_list_filter.values) == ["A", "B"]


def test_negated_filter_is_a_not_expression():
    message = round_trip(parameter_filter(StepFilter("page", "matches", "/admin/.*", negated=True)))
    inner = message.not_expression.funnel_parameter_filter
    assert inner.event_parameter_name == "page"
    assert inner.string_filter.match_type == alpha.StringFilter.MatchType.FULL_REGEXP


def test_a_numeric_comparison_needs_a_number():
    with pytest.raises(GaGoalsError, match="needs a number"):
        parameter_filter(StepFilter("value", "greater_than", "ten"))
    with pytest.raises(GaGoalsError, match="unknown comparison"):
        parameter_filter(StepFilter("value", "roughly", "ten"))


def test_filters_are_anded_and_a_range_becomes_between():
    step = FunnelStep(
        name="Purchase",
        event="purchase",
        filters=(
            StepFilter("value", "greater_than_or_equal", 10.0),
            StepFilter("currency", "equals", "USD"),
            StepFilter("value", "less_than_or_equal", 99.5),
        ),
    )
    expression = round_trip(step_filter_expression(step)).funnel_event_filter
    assert expression.event_name == "purchase"
    group = expression.funnel_parameter_filter_expression.and_group.expressions
    assert len(group) == 2
    between = group[0].funnel_parameter_filter.between_filter
    assert between.from_value.int64_value == 10 and between.to_value.double_value == 99.5
    assert group[1].funnel_parameter_filter.string_filter.value == "USD"


def test_a_negated_bound_is_not_merged():
    step = FunnelStep(
        name="x", event="purchase",
        filters=(StepFilter("value", "greater_than_or_equal", 1.0), StepFilter("value", "less_than_or_equal", 5.0, negated=True)),
    )
    group = round_trip(step_filter_expression(step)).funnel_event_filter.funnel_parameter_filter_expression.and_group.expressions
    assert "numeric_filter" in group[0].funnel_parameter_filter and "not_expression" in group[1]


def test_a_step_without_filters_is_an_event_filter_only():
    expression = round_trip(step_filter_expression(FunnelStep(name="View", event="view_item")))
    assert expression.funnel_event_filter.event_name == "view_item"
    assert "funnel_parameter_filter_expression" not in expression.funnel_event_filter


def shop_funnel(**kw) -> Funnel:
    steps = (
        FunnelStep(name="view_item", event="view_item", within_seconds=60.0, directly_followed=True),  # ignored on step 1
        FunnelStep(name="Added to cart", event="add_to_cart", directly_followed=True),
        FunnelStep(name="begin_checkout", event="begin_checkout", within_seconds=3600.0),
        FunnelStep(name="purchase", event="purchase", within_seconds=1.5, filters=(StepFilter("value", "greater_than", 0.0),)),
    )
    return Funnel(name="checkout", title="Checkout", steps=steps, **kw)


def test_funnel_request_shape():
    request = round_trip(funnel_request("properties/42", shop_funnel(breakdown="deviceCategory", breakdown_limit=7), [CURRENT, PREVIOUS]))
    assert request.property == "properties/42"
    assert request.return_property_quota is True
    assert [(r.start_date, r.end_date, r.name) for r in request.date_ranges] == [
        ("2026-11-18", "2026-11-24", "current"),
        ("2026-11-11", "2026-11-17", "previous"),
    ]
    funnel = request.funnel
    assert funnel.is_open_funnel is False
    assert [s.name for s in funnel.steps] == ["view_item", "Added to cart", "begin_checkout", "purchase"]
    first, second, third, fourth = funnel.steps
    assert "within_duration_from_prior_step" not in first and not first.is_directly_followed_by
    assert second.is_directly_followed_by and "within_duration_from_prior_step" not in second
    assert third.within_duration_from_prior_step.total_seconds() == 3600
    assert fourth.within_duration_from_prior_step.total_seconds() == 1.5
    assert fourth.filter_expression.funnel_event_filter.funnel_parameter_filter_expression.funnel_parameter_filter.numeric_filter.operation == alpha.NumericFilter.Operation.GREATER_THAN
    assert request.funnel_breakdown.breakdown_dimension.name == "deviceCategory"
    assert request.funnel_breakdown.limit == 7
    assert not request.segments


def test_open_funnel_without_breakdown():
    request = round_trip(funnel_request("properties/42", shop_funnel(open=True), [CURRENT]))
    assert request.funnel.is_open_funnel is True
    assert "funnel_breakdown" not in request
    assert len(request.date_ranges) == 1


def test_micro_vs_macro_request_shape():
    """A micro conversion's row is its own closed funnel micro -> macro (documented in ga_goals.ga4.data)."""
    request = round_trip(funnel_request("properties/42", micro_funnel("add_to_cart", "purchase"), [CURRENT, PREVIOUS]))
    assert [s.name for s in request.funnel.steps] == ["add_to_cart", "purchase"]
    assert [s.filter_expression.funnel_event_filter.event_name for s in request.funnel.steps] == ["add_to_cart", "purchase"]
    assert request.funnel.is_open_funnel is False
    assert not request.segments and "funnel_breakdown" not in request
    baseline = round_trip(funnel_request("properties/42", lift_funnel("purchase"), [CURRENT, PREVIOUS]))
    assert [s.filter_expression.funnel_event_filter.event_name for s in baseline.funnel.steps] == ["session_start", "purchase"]


def test_the_segment_shape_the_live_contract_sends():
    """micro_segment: "users who logged an event" (the sandbox implements this shape)."""
    segments = [micro_segment(m) for m in ("add_to_cart", "newsletter_signup")]
    request = round_trip(funnel_request("properties/42", lift_funnel("purchase"), [CURRENT, PREVIOUS], segments=segments))
    assert [s.name for s in request.segments] == ["add_to_cart", "newsletter_signup"]
    groups = request.segments[1].user_segment.user_inclusion_criteria.and_condition_groups
    assert len(groups) == 1
    assert groups[0].condition_scoping == alpha.UserCriteriaScoping.USER_CRITERIA_ACROSS_ALL_SESSIONS
    assert groups[0].segment_filter_expression.segment_event_filter.event_name == "newsletter_signup"


def test_event_totals_and_site_requests():
    request = round_trip(event_totals_request(["purchase", "sign_up"], [CURRENT, PREVIOUS]))
    assert [d.name for d in request.dimensions] == ["eventName"]
    assert [m.name for m in request.metrics] == ["eventCount", "totalUsers", "eventValue"]
    flt = request.dimension_filter.filter
    assert flt.field_name == "eventName" and list(flt.in_list_filter.values) == ["purchase", "sign_up"]
    assert flt.in_list_filter.case_sensitive is True
    assert request.return_property_quota and request.limit == 4
    assert [r.name for r in request.date_ranges] == ["current", "previous"]
    site = round_trip(site_totals_request([CURRENT]))
    assert not site.dimensions and [m.name for m in site.metrics] == ["totalUsers", "sessions"]
    assert isinstance(site, beta.RunReportRequest) and site.return_property_quota
