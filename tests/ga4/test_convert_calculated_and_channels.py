"""Calculated metrics and channel groups <-> v1alpha messages, through the wire format."""

from __future__ import annotations

from typing import Any

import pytest
from google.analytics import admin_v1alpha as AA

from ga_goals.ga4 import convert
from ga_goals.model import MEASUREMENT_UNITS, CalculatedMetric, Channel, ChannelCondition, ChannelGroup
from ga_goals.model.channel_groups import CHANNEL_FIELDS, CHANNEL_MATCHES


def wire(msg: Any) -> Any:
    return type(msg).deserialize(type(msg).serialize(msg))


@pytest.mark.parametrize("unit", MEASUREMENT_UNITS)
def test_calculated_metric_round_trip(unit: str) -> None:
    metric = CalculatedMetric("rate", "Rate", "addToCarts / sessions", metric_unit=unit, description="d")
    msg = wire(convert.to_proto(metric, name="properties/1/calculatedMetrics/rate"))
    assert isinstance(msg, AA.CalculatedMetric)
    assert msg.calculated_metric_id == ""  # output only: the create request carries it
    back = convert.from_proto(msg)
    assert back == metric and back.resource_name == "properties/1/calculatedMetrics/rate"
    assert convert.create_request_fields(metric) == {"calculated_metric_id": "rate"}


def test_calculated_metric_output_only_fields_are_read() -> None:
    msg = AA.CalculatedMetric(
        name="properties/1/calculatedMetrics/x",
        calculated_metric_id="x",
        display_name="X",
        formula="purchaseRevenue / sessions",
        metric_unit=AA.CalculatedMetric.MetricUnit.CURRENCY,
        restricted_metric_type=[AA.CalculatedMetric.RestrictedMetricType.REVENUE_DATA],
        invalid_metric_reference=True,
    )
    metric = convert.from_proto(wire(msg))
    assert metric.restricted_metric_type == ("revenue_data",)
    assert metric.invalid_metric_reference is True
    assert convert.update_mask_paths(CalculatedMetric.KIND, ["formula", "display_name"]) == ["formula", "display_name"]
    with pytest.raises(convert.ConversionError):
        convert.update_mask_paths(CalculatedMetric.KIND, ["calculated_metric_id"])


def _every_condition() -> tuple[ChannelCondition, ...]:
    out = []
    for i, (field, match) in enumerate(zip(CHANNEL_FIELDS.values(), CHANNEL_MATCHES.values(), strict=True)):
        if match == "in_list":
            out.append(ChannelCondition(field, match, values=("a", "b"), negated=bool(i % 2)))
        else:
            out.append(ChannelCondition(field, match, value=f"v{i}", negated=bool(i % 2)))
    return tuple(out)


def test_channel_group_round_trip_with_every_field_and_match() -> None:
    conditions = _every_condition()
    group = ChannelGroup(
        "Shop",
        (Channel("All kinds", ((conditions[0],), conditions[1:4], conditions[4:])), Channel("One", ((conditions[2],),))),
        description="d",
        primary=True,
    )
    msg = wire(convert.to_proto(group, name="properties/1/channelGroups/5"))
    top = msg.grouping_rule[0].expression
    assert "and_group" in top
    assert all("or_group" in e for e in top.and_group.filter_expressions)
    assert convert.from_proto(msg) == group
    assert convert.update_mask_paths(ChannelGroup.KIND, ["channels", "primary"]) == ["grouping_rule", "primary"]


@pytest.mark.parametrize(
    "expression",
    [
        AA.ChannelGroupFilterExpression(
            filter=AA.ChannelGroupFilter(
                field_name="eachScopeMedium",
                string_filter=AA.ChannelGroupFilter.StringFilter(match_type="EXACT", value="email"),
            )
        ),
        AA.ChannelGroupFilterExpression(
            or_group=AA.ChannelGroupFilterExpressionList(
                filter_expressions=[
                    AA.ChannelGroupFilterExpression(
                        filter=AA.ChannelGroupFilter(
                            field_name="eachScopeMedium",
                            string_filter=AA.ChannelGroupFilter.StringFilter(match_type="EXACT", value="email"),
                        )
                    )
                ]
            )
        ),
    ],
    ids=["bare filter", "bare or_group"],
)
def test_other_expression_shapes_read_as_one_or_group(expression: Any) -> None:
    """GA4 answers its own shape, but a group made elsewhere may be flatter: read it the same."""
    msg = AA.ChannelGroup(display_name="G", grouping_rule=[AA.GroupingRule(display_name="C", expression=expression)])
    (channel,) = convert.from_proto(wire(msg)).channels
    assert channel.conditions == ((ChannelCondition("eachScopeMedium", "exact", value="email"),),)


def test_system_defined_is_read() -> None:
    msg = AA.ChannelGroup(name="properties/1/channelGroups/9", display_name="Default Channel Group", system_defined=True)
    assert convert.from_proto(wire(msg)).system_defined is True


def test_repeated_conditions_and_values_read_once() -> None:
    """A group edited by hand in GA4 may repeat itself; the plan (and pull) says each thing once."""
    mail = AA.ChannelGroupFilterExpression(
        filter=AA.ChannelGroupFilter(
            field_name="eachScopeMedium", in_list_filter=AA.ChannelGroupFilter.InListFilter(values=["email", "email", "mail"])
        )
    )
    or_group = AA.ChannelGroupFilterExpression(or_group=AA.ChannelGroupFilterExpressionList(filter_expressions=[mail, mail]))
    expression = AA.ChannelGroupFilterExpression(
        and_group=AA.ChannelGroupFilterExpressionList(filter_expressions=[or_group, or_group])
    )
    msg = AA.ChannelGroup(display_name="G", grouping_rule=[AA.GroupingRule(display_name="C", expression=expression)])
    (channel,) = convert.from_proto(wire(msg)).channels
    assert channel.conditions == ((ChannelCondition("eachScopeMedium", "in_list", values=("email", "mail")),),)
