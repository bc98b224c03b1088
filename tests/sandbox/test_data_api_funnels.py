"""The sandbox's v1alpha RunFunnelReport through the real client.

Every response is compared with :func:`ga_goals.funnels.run_funnel` on the same events (the one
funnel engine) and with the shape of a live GA4 response
(tests/data/ga4/run-funnel-report.live.response.json).
"""

from __future__ import annotations

import dataclasses

import json
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from google.analytics import data_v1alpha as alpha
from google.api_core import exceptions as gexc
from google.protobuf import duration_pb2

from ga_goals.events.schema import lambda_sql
from ga_goals.funnels import FunnelResult, run_funnel
from ga_goals.model.tracking_plan import AllOf, AnyOf, DimensionFilter, EventMatch, Funnel, FunnelStep, Not, StepFilter
from ga_goals.sandbox.server import SandboxServer
from tests.conftest import GA4_DATA
from tests.sandbox.data_api_helpers import (
    CURRENT,
    PREVIOUS,
    PROP,
    Clients,
    clients,
    cursor,
    date_range,
    rows,
    start_shop_server,
)

LIVE = json.loads((GA4_DATA / "run-funnel-report.live.response.json").read_text())
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    srv = start_shop_server(tmp_path_factory.mktemp("funnels") / "sandbox")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> Iterator[Clients]:
    with clients(server.address or "") as c:
        yield c


def span_dates(span: tuple[str, str, str]) -> tuple[date, date]:
    return date.fromisoformat(span[0]), date.fromisoformat(span[1])


def event_step(name: str, event: str, params: alpha.FunnelParameterFilterExpression | None = None, **extra: Any) -> alpha.FunnelStep:
    ef = alpha.FunnelEventFilter(event_name=event)
    if params is not None:
        ef.funnel_parameter_filter_expression = params
    return alpha.FunnelStep(name=name, filter_expression=alpha.FunnelFilterExpression(funnel_event_filter=ef), **extra)


def number(x: float) -> alpha.NumericValue:
    return alpha.NumericValue(int64_value=int(x)) if float(x).is_integer() else alpha.NumericValue(double_value=x)


def parameter(name: str, **one_filter: Any) -> alpha.FunnelParameterFilterExpression:
    return alpha.FunnelParameterFilterExpression(
        funnel_parameter_filter=alpha.FunnelParameterFilter(event_parameter_name=name, **one_filter)
    )


#: The shop plan's checkout funnel, as a request and as the engine's model.
CHECKOUT_REQUEST = [
    event_step("View item", "view_item"),
    event_step("Added to cart", "add_to_cart"),
    event_step("begin_checkout", "begin_checkout", within_duration_from_prior_step=duration_pb2.Duration(seconds=3600)),
    event_step("add_shipping_info", "add_shipping_info"),
    event_step("add_payment_info", "add_payment_info"),
    event_step(
        "purchase",
        "purchase",
        parameter("value", numeric_filter=alpha.NumericFilter(operation="GREATER_THAN", value=number(0))),
        within_duration_from_prior_step=duration_pb2.Duration(seconds=1800),
    ),
]
CHECKOUT = Funnel(
    name="checkout",
    title="Checkout",
    steps=(
        FunnelStep("View item", "view_item"),
        FunnelStep("Added to cart", "add_to_cart"),
        FunnelStep("begin_checkout", "begin_checkout", within_seconds=3600),
        FunnelStep("add_shipping_info", "add_shipping_info"),
        FunnelStep("add_payment_info", "add_payment_info"),
        FunnelStep("purchase", "purchase", (StepFilter("value", "greater_than", 0),), within_seconds=1800),
    ),
)


def funnel_report(api: Clients, steps: Sequence[alpha.FunnelStep], spans=(CURRENT,), **fields: Any) -> alpha.RunFunnelReportResponse:
    return api.alpha.run_funnel_report(
        alpha.RunFunnelReportRequest(
            property=PROP,
            date_ranges=[date_range(alpha, s) for s in spans],
            funnel=alpha.Funnel(steps=list(steps), is_open_funnel=fields.pop("open", False)),
            **fields,
        )
    )


def engine(server: SandboxServer, funnel: Funnel, span=CURRENT, breakdown: str | None = None, limit: int | None = None,
           table: str = "events") -> FunnelResult:
    start, end = span_dates(span)
    with cursor(server) as con:
        return run_funnel(con, funnel, start, end, breakdown, limit=limit, table=table)


def expected_rows(result: FunnelResult, row=None, extra: Sequence[str] = ()) -> list[tuple[list[str], list[str]]]:
    """The rows GA4 returns for one engine row: steps with users, ``"N. name"``, fraction strings."""
    out = []
    for m in result.reported(row):
        rates = [repr(x) if not float(x).is_integer() else str(int(x)) for x in (m.completion_rate, m.abandonment_rate)]
        out.append(([m.label, *extra], [str(m.active_users), rates[0], str(m.abandonments), rates[1]]))
    return out


# -- the live shape -----------------------------------------------------------------------------


def test_checkout_funnel_equals_the_engine_and_has_the_live_shape(server: SandboxServer, api: Clients):
    response = funnel_report(api, CHECKOUT_REQUEST)
    assert rows(response.funnel_table) == expected_rows(engine(server, CHECKOUT))
    assert len(rows(response.funnel_table)) == 6 and rows(response.funnel_table)[0][0] == ["1. View item"]

    # As the REST API writes it (no default values), like the live capture.
    as_json = json.loads(
        alpha.RunFunnelReportResponse.to_json(
            response, use_integers_for_enums=False, indent=None, always_print_fields_with_no_presence=False
        )
    )
    live_table = LIVE["funnelTable"]
    table = as_json["funnelTable"]
    assert set(LIVE) <= set(as_json)  # funnelTable, kind (+ funnelVisualization, which the live capture left out)
    assert as_json["kind"] == LIVE["kind"] == "analyticsData#runFunnelReport"
    assert table["dimensionHeaders"] == live_table["dimensionHeaders"]
    assert table["metricHeaders"] == live_table["metricHeaders"]  # the four metrics twice, all TYPE_INTEGER
    assert table["metadata"] == live_table["metadata"] == {}
    for row in table["rows"]:
        assert set(row) == set(live_table["rows"][0])
        assert len(row["metricValues"]) == 4
        assert all(isinstance(v["value"], str) for v in row["metricValues"])
    vis = as_json["funnelVisualization"]
    assert [h["name"] for h in vis["dimensionHeaders"]] == ["funnelStepName"]
    assert [h["name"] for h in vis["metricHeaders"]] == ["activeUsers"]
    assert [r["metricValues"][0]["value"] for r in vis["rows"]] == [str(u) for u in engine(server, CHECKOUT).users]
    assert "propertyQuota" not in as_json


def test_steps_nobody_reached_are_absent_and_the_step_before_shows_zero_completion(server: SandboxServer, api: Clients):
    steps = [event_step("Viewed", "view_item"), event_step("Carted", "add_to_cart"), event_step("Refunded", "refund")]
    response = funnel_report(api, steps)
    got = rows(response.funnel_table)
    assert [d[0] for d, _m in got] == ["1. Viewed", "2. Carted"]  # like the live response's missing 4th step
    assert got[1][1][1:] == ["0", got[1][1][0], "1"]  # completion 0, everyone abandons, rate 1
    assert got == expected_rows(engine(server, Funnel("f", "", (FunnelStep("Viewed", "view_item"), FunnelStep("Carted", "add_to_cart"), FunnelStep("Refunded", "refund")))))


# -- features compared with the engine ---------------------------------------------------------


BROWSE = Funnel("b", "", tuple(FunnelStep(e, e) for e in ("view_item_list", "view_item", "add_to_cart", "purchase")), open=True)


def test_open_funnel(server: SandboxServer, api: Clients):
    response = funnel_report(api, [event_step(s.name, s.event) for s in BROWSE.steps], open=True)
    result = engine(server, BROWSE)
    assert rows(response.funnel_table) == expected_rows(result)
    closed = engine(server, Funnel("c", "", BROWSE.steps))
    assert result.users[1] > closed.users[1]  # open: users enter at any step


def test_directly_followed_and_time_windows(server: SandboxServer, api: Clients):
    steps = [
        event_step("list", "view_item_list"),
        event_step("item", "view_item", is_directly_followed_by=True),
        event_step("cart", "add_to_cart", within_duration_from_prior_step=duration_pb2.Duration(seconds=120, nanos=500_000_000)),
    ]
    funnel = Funnel("d", "", (
        FunnelStep("list", "view_item_list"),
        FunnelStep("item", "view_item", directly_followed=True),
        FunnelStep("cart", "add_to_cart", within_seconds=120.5),
    ))
    assert rows(funnel_report(api, steps).funnel_table) == expected_rows(engine(server, funnel))


@pytest.mark.parametrize(
    ("expression", "filters"),
    [
        (
            parameter("content_type", string_filter=alpha.StringFilter(match_type="EXACT", value="FILTER", case_sensitive=False)),
            (StepFilter("content_type", "equals", "FILTER", case_sensitive=False),),
        ),
        (
            parameter("content_type", string_filter=alpha.StringFilter(match_type="BEGINS_WITH", value="comp", case_sensitive=True)),
            (StepFilter("content_type", "starts_with", "comp"),),
        ),
        (
            parameter("content_type", string_filter=alpha.StringFilter(match_type="PARTIAL_REGEXP", value="an+", case_sensitive=True)),
            (StepFilter("content_type", "matches", ".*(?:an+).*"),),
        ),
        (
            parameter("content_type", in_list_filter=alpha.InListFilter(values=["filter", "banner"], case_sensitive=True)),
            (StepFilter("content_type", "in", ("filter", "banner")),),
        ),
        (
            alpha.FunnelParameterFilterExpression(
                not_expression=parameter("content_type", string_filter=alpha.StringFilter(match_type="EXACT", value="filter", case_sensitive=True))
            ),
            (StepFilter("content_type", "equals", "filter", negated=True),),
        ),
    ],
)
def test_parameter_filters_string_in_list_and_not(server: SandboxServer, api: Clients, expression, filters):
    steps = [event_step("list", "view_item_list"), event_step("click", "select_content", expression)]
    funnel = Funnel("p", "", (FunnelStep("list", "view_item_list"), FunnelStep("click", "select_content", filters)))
    result = engine(server, funnel)
    assert result.users[1] > 0
    assert rows(funnel_report(api, steps).funnel_table) == expected_rows(result)


def test_numeric_between_and_and_group_filters(server: SandboxServer, api: Clients):
    between = alpha.FunnelParameterFilterExpression(
        and_group=alpha.FunnelParameterFilterExpressionList(
            expressions=[
                parameter("value", between_filter=alpha.BetweenFilter(from_value=number(20), to_value=number(80.5))),
                parameter("currency", string_filter=alpha.StringFilter(match_type="EXACT", value="USD", case_sensitive=True)),
            ]
        )
    )
    steps = [event_step("cart", "add_to_cart"), event_step("order", "purchase", between)]
    funnel = Funnel("n", "", (
        FunnelStep("cart", "add_to_cart"),
        FunnelStep("order", "purchase", (
            StepFilter("value", "greater_than_or_equal", 20),
            StepFilter("value", "less_than_or_equal", 80.5),
            StepFilter("currency", "equals", "USD"),
        )),
    ))
    result = engine(server, funnel, span=("2026-10-01", "2026-10-28", "all"))
    assert 0 < result.users[1] < engine(server, Funnel("x", "", funnel.steps[:1] + (FunnelStep("order", "purchase"),)), span=("2026-10-01", "2026-10-28", "all")).users[1]
    response = funnel_report(api, steps, spans=[("2026-10-01", "2026-10-28", "all")])
    assert rows(response.funnel_table) == expected_rows(result)


def test_breakdown_with_reserved_total_and_limits(server: SandboxServer, api: Clients):
    breakdown = alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="deviceCategory"))
    response = funnel_report(api, CHECKOUT_REQUEST, funnel_breakdown=breakdown)
    assert [h.name for h in response.funnel_table.dimension_headers] == ["funnelStepName", "deviceCategory"]
    result = engine(server, CHECKOUT, breakdown="deviceCategory", limit=5)
    got = rows(response.funnel_table)
    assert [r for r in got if r[0][1] == "RESERVED_TOTAL"] == expected_rows(result, extra=["RESERVED_TOTAL"])
    for value_row in result.rows:
        assert [r for r in got if r[0][1] == value_row.breakdown] == expected_rows(result, value_row, [value_row.breakdown])
    assert {r[0][1] for r in got} == {"RESERVED_TOTAL", "desktop", "mobile", "tablet"}
    # Rows come step by step, each step's total first.
    assert [r[0][1] for r in got[:4]] == ["RESERVED_TOTAL", *(r.breakdown for r in result.rows)]
    assert [d[0] for d, _m in rows(response.funnel_visualization)] == [m.label for m in result.reported()]

    top2 = funnel_report(api, CHECKOUT_REQUEST, funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="deviceCategory"), limit=2))
    assert {r[0][1] for r in rows(top2.funnel_table)} == {"RESERVED_TOTAL", *(r.breakdown for r in result.rows[:2])}

    channels = funnel_report(api, CHECKOUT_REQUEST[:2], funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="sessionDefaultChannelGroup"), limit=15))
    by_channel = engine(server, Funnel("c", "", CHECKOUT.steps[:2]), breakdown="sessionDefaultChannelGroup", limit=15)
    assert {r[0][1] for r in rows(channels.funnel_table)} - {"RESERVED_TOTAL"} == {r.breakdown for r in by_channel.rows}

    for bad in (0, 16):
        with pytest.raises(gexc.InvalidArgument, match="cannot exceed 15"):
            funnel_report(api, CHECKOUT_REQUEST, funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="deviceCategory"), limit=bad))
    with pytest.raises(gexc.InvalidArgument, match="Field devicecategory is not a valid dimension"):
        funnel_report(api, CHECKOUT_REQUEST, funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="devicecategory")))
    with pytest.raises(gexc.InvalidArgument, match="customEvent:nope is not a valid dimension"):
        funnel_report(api, CHECKOUT_REQUEST, funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="customEvent:nope")))
    by_form = funnel_report(api, CHECKOUT_REQUEST[:1], funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="customEvent:content_type")))
    assert {r[0][1] for r in rows(by_form.funnel_table)} == {"RESERVED_TOTAL", "(not set)"}


def test_two_date_ranges_add_a_date_range_column(server: SandboxServer, api: Clients):
    response = funnel_report(api, CHECKOUT_REQUEST, spans=(CURRENT, PREVIOUS), return_property_quota=True)
    assert [h.name for h in response.funnel_table.dimension_headers] == ["funnelStepName", "dateRange"]
    got = rows(response.funnel_table)
    for span in (CURRENT, PREVIOUS):
        assert [r for r in got if r[0][1] == span[2]] == expected_rows(engine(server, CHECKOUT, span), extra=[span[2]])
    assert [h.name for h in response.funnel_visualization.dimension_headers] == ["funnelStepName", "dateRange"]
    # 2 + (6 - 1) // 3 + 1 more range (the cost model of ga_goals.sandbox.data_quota)
    assert response.property_quota.tokens_per_day.consumed == 4
    unnamed = funnel_report(api, CHECKOUT_REQUEST[:1], spans=[(CURRENT[0], CURRENT[1], ""), (PREVIOUS[0], PREVIOUS[1], "")])
    assert {r[0][1] for r in rows(unnamed.funnel_table)} == {"date_range_0", "date_range_1"}


# -- segments ------------------------------------------------------------------------------------


def user_segment(event: str, name: str | None = None, scoping: str = "USER_CRITERIA_ACROSS_ALL_SESSIONS") -> alpha.Segment:
    """The DataGateway's micro-conversion segment: users who logged ``event`` in the date range."""
    return alpha.Segment(
        name=event if name is None else name,
        user_segment=alpha.UserSegment(
            user_inclusion_criteria=alpha.UserSegmentCriteria(
                and_condition_groups=[
                    alpha.UserSegmentConditionGroup(
                        condition_scoping=scoping,
                        segment_filter_expression=alpha.SegmentFilterExpression(
                            segment_event_filter=alpha.SegmentEventFilter(event_name=event)
                        ),
                    )
                ]
            )
        ),
    )


LIFT = Funnel("lift", "", (FunnelStep("session_start", "session_start"), FunnelStep("purchase", "purchase")))
LIFT_REQUEST = [event_step("session_start", "session_start"), event_step("purchase", "purchase")]


def segment_table(event: str, span=CURRENT) -> str:
    a, b = (d.strftime("%Y%m%d") for d in span_dates(span))
    return (
        "(SELECT t.* FROM events AS t WHERE t.user_pseudo_id IN (SELECT user_pseudo_id FROM events "
        f"WHERE event_name = '{event}' AND event_date BETWEEN '{a}' AND '{b}'))"
    )


def test_micro_conversion_segments_and_date_ranges(server: SandboxServer, api: Clients):
    micros = ["add_to_wishlist", "view_search_results", "sign_up", "write_review"]
    response = funnel_report(api, LIFT_REQUEST, spans=(CURRENT, PREVIOUS), segments=[user_segment(m) for m in micros])
    assert [h.name for h in response.funnel_table.dimension_headers] == ["funnelStepName", "segment", "dateRange"]
    got = rows(response.funnel_table)
    # GA4 prefixes segment names with their 1-based position in the request.
    assert {r[0][1] for r in got} == {f"{i}. {m}" for i, m in enumerate(micros, start=1)}
    lifts = []
    for i, micro in enumerate(micros, start=1):
        for span in (CURRENT, PREVIOUS):
            result = engine(server, LIFT, span, table=segment_table(micro, span))
            mine = [r for r in got if r[0][1] == f"{i}. {micro}" and r[0][2] == span[2]]
            assert mine == expected_rows(result, extra=[f"{i}. {micro}", span[2]])
        lifts.append(engine(server, LIFT, CURRENT, table=segment_table(micro)).overall_conversion())
    baseline = engine(server, LIFT).overall_conversion()
    assert max(lifts) > baseline  # the micro conversions show a lift
    assert [h.name for h in response.funnel_visualization.dimension_headers] == ["funnelStepName", "segment", "dateRange"]


def test_segment_scopes_exclusion_and_conditions(server: SandboxServer, api: Clients):
    same_event = alpha.Segment(
        name="Filter clicks",
        user_segment=alpha.UserSegment(
            user_inclusion_criteria=alpha.UserSegmentCriteria(
                and_condition_groups=[
                    alpha.UserSegmentConditionGroup(
                        condition_scoping="USER_CRITERIA_WITHIN_SAME_EVENT",
                        segment_filter_expression=alpha.SegmentFilterExpression(
                            segment_event_filter=alpha.SegmentEventFilter(
                                event_name="select_content",
                                segment_parameter_filter_expression=alpha.SegmentParameterFilterExpression(
                                    segment_parameter_filter=alpha.SegmentParameterFilter(
                                        event_parameter_name="content_type",
                                        string_filter=alpha.StringFilter(match_type="EXACT", value="filter"),
                                    )
                                ),
                            )
                        ),
                    )
                ]
            ),
            exclusion=alpha.UserSegmentExclusion(
                user_exclusion_duration="USER_EXCLUSION_PERMANENT",
                user_exclusion_criteria=alpha.UserSegmentCriteria(
                    and_condition_groups=[
                        alpha.UserSegmentConditionGroup(
                            segment_filter_expression=alpha.SegmentFilterExpression(
                                segment_filter=alpha.SegmentFilter(
                                    field_name="deviceCategory", string_filter=alpha.StringFilter(match_type="EXACT", value="mobile")
                                )
                            )
                        )
                    ]
                ),
            ),
        ),
    )
    response = funnel_report(api, LIFT_REQUEST, segments=[same_event, alpha.Segment(user_segment=alpha.UserSegment())])
    a, b = (d.strftime("%Y%m%d") for d in span_dates(CURRENT))
    content = f"list_filter(event_params, {lambda_sql('p', 'p.key = ' + repr('content_type'))})[1].value.string_value"
    users = (
        f"SELECT user_pseudo_id FROM events WHERE event_date BETWEEN '{a}' AND '{b}' AND event_name = 'select_content' "
        f"AND lower({content}) = 'filter' EXCEPT SELECT user_pseudo_id FROM events "
        f"WHERE event_date BETWEEN '{a}' AND '{b}' AND device.category = 'mobile'"
    )
    expected = engine(server, LIFT, table=f"(SELECT t.* FROM events AS t WHERE t.user_pseudo_id IN ({users}))")
    got = rows(response.funnel_table)
    assert [r for r in got if r[0][1] == "1. Filter clicks"] == expected_rows(expected, extra=["1. Filter clicks"])
    # An unnamed segment without criteria: "Segment", every user.
    assert [r for r in got if r[0][1] == "2. Segment"] == expected_rows(engine(server, LIFT), extra=["2. Segment"])


def test_segment_limits(api: Clients):
    with pytest.raises(gexc.InvalidArgument, match="at most 4 segments"):
        funnel_report(api, LIFT_REQUEST, segments=[user_segment("sign_up", f"s{i}") for i in range(5)])
    with pytest.raises(gexc.MethodNotImplemented, match="session segments"):
        funnel_report(api, LIFT_REQUEST, segments=[alpha.Segment(name="s", session_segment=alpha.SessionSegment())])


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"funnel": alpha.Funnel()}, gexc.InvalidArgument, "at least one step"),
        ({"funnel": alpha.Funnel(steps=[alpha.FunnelStep(name="x")])}, gexc.InvalidArgument, "filterExpression is required"),
        (
            {"funnel": alpha.Funnel(steps=[event_step("a", "view_item"), event_step("b", "add_to_cart", within_duration_from_prior_step=duration_pb2.Duration(seconds=-5))])},
            gexc.InvalidArgument,
            "must not be negative",
        ),
        ({"funnel": alpha.Funnel(steps=[event_step(str(i), "page_view") for i in range(11)])}, gexc.InvalidArgument, "at most 10 steps"),
        ({"funnel": alpha.Funnel(steps=[event_step("a", "")])}, gexc.InvalidArgument, "eventName is required"),
        (
            {"funnel": alpha.Funnel(steps=[event_step("a", "page_view", parameter("x", string_filter=alpha.StringFilter(match_type="FULL_REGEXP", value="(")))])},
            gexc.InvalidArgument,
            "bad regular expression",
        ),
        ({"date_ranges": [alpha.DateRange(start_date="2026-10-01", end_date="2026-10-02")] * 5}, gexc.InvalidArgument, "at most 4"),
        (
            {"funnel_next_action": alpha.FunnelNextAction(next_action_dimension=alpha.Dimension(name="deviceCategory"))},
            gexc.MethodNotImplemented,
            "next action of deviceCategory",
        ),
        (
            {"funnel_next_action": alpha.FunnelNextAction(next_action_dimension=alpha.Dimension(name="eventName"), limit=6)},
            gexc.InvalidArgument,
            "cannot exceed 5",
        ),
        (
            {
                "funnel_next_action": alpha.FunnelNextAction(next_action_dimension=alpha.Dimension(name="eventName")),
                "funnel_visualization_type": "TRENDED_FUNNEL",
            },
            gexc.MethodNotImplemented,
            "TRENDED_FUNNEL",
        ),
        ({"property": "properties/404"}, gexc.NotFound, "properties/404"),
    ],
)
def test_requests_ga4_refuses(api: Clients, fields: dict[str, Any], error: type[Exception], message: str):
    request = alpha.RunFunnelReportRequest(property=PROP, date_ranges=[date_range(alpha, CURRENT)], funnel=alpha.Funnel(steps=CHECKOUT_REQUEST))
    for key, value in fields.items():
        setattr(request, key, value)
    with pytest.raises(error, match=message):
        api.alpha.run_funnel_report(request)


def field(name: str, **one_filter: Any) -> alpha.FunnelFilterExpression:
    return alpha.FunnelFilterExpression(funnel_field_filter=alpha.FunnelFieldFilter(field_name=name, **one_filter))


def test_or_groups_and_field_filters_are_served_as_the_engine_computes_them(server: SandboxServer, api: Clients):
    """A step "view_item or add_to_cart" (an orGroup), a step on a dimension (a funnelFieldFilter on
    firstUserMedium, negated, and on deviceCategory), nested as GA4 nests them: the rows are the
    engine's for the same step conditions."""
    either = alpha.FunnelFilterExpression(
        or_group=alpha.FunnelFilterExpressionList(expressions=[s.filter_expression for s in CHECKOUT_REQUEST[:2]])
    )
    not_organic = alpha.FunnelFilterExpression(
        not_expression=field("firstUserMedium", string_filter=alpha.StringFilter(match_type="CONTAINS", value="organic"))
    )
    on_mobile = alpha.FunnelFilterExpression(
        and_group=alpha.FunnelFilterExpressionList(
            expressions=[
                CHECKOUT_REQUEST[2].filter_expression,
                field("deviceCategory", in_list_filter=alpha.InListFilter(values=["mobile", "tablet"], case_sensitive=True)),
                not_organic,
            ]
        )
    )
    response = funnel_report(
        api, [alpha.FunnelStep(name="either", filter_expression=either), alpha.FunnelStep(name="mobile", filter_expression=on_mobile)]
    )
    model = Funnel(
        "f",
        "",
        (
            FunnelStep("either", condition=AnyOf((EventMatch("view_item"), EventMatch("add_to_cart")))),
            FunnelStep(
                "mobile",
                condition=AllOf(
                    (
                        EventMatch(CHECKOUT.steps[2].event),
                        DimensionFilter("deviceCategory", "in", ("mobile", "tablet")),
                        Not(DimensionFilter("firstUserMedium", "contains", "organic")),
                    )
                ),
            ),
        ),
    )
    expected = engine(server, model)
    assert expected.users[0] > expected.users[1] > 0
    assert rows(response.funnel_table) == expected_rows(expected)
    by_field = alpha.FunnelStep(name="field", filter_expression=field("eventName", string_filter=alpha.StringFilter(match_type="EXACT", value="view_item")))
    assert rows(funnel_report(api, [by_field]).funnel_table) == expected_rows(engine(server, Funnel("f", "", (FunnelStep("field", "view_item"),))))


def test_steps_on_the_default_channel_group_are_served_as_the_engine_computes_them(server: SandboxServer, api: Clients):
    """A step on sessionDefaultChannelGroup and one on firstUserDefaultChannelGroup: GA4's default
    channel group, computed by the same rules in the sandbox, the engine and its Python reference."""
    paid = field("sessionDefaultChannelGroup", in_list_filter=alpha.InListFilter(values=["Paid Search", "Paid Social"]))
    not_direct = alpha.FunnelFilterExpression(
        not_expression=field("firstUserDefaultChannelGroup", string_filter=alpha.StringFilter(value="direct"))
    )
    first = alpha.FunnelStep(
        name="paid",
        filter_expression=alpha.FunnelFilterExpression(
            and_group=alpha.FunnelFilterExpressionList(expressions=[CHECKOUT_REQUEST[0].filter_expression, paid])
        ),
    )
    second = alpha.FunnelStep(
        name="not first direct",
        filter_expression=alpha.FunnelFilterExpression(
            and_group=alpha.FunnelFilterExpressionList(expressions=[CHECKOUT_REQUEST[1].filter_expression, not_direct])
        ),
    )
    response = funnel_report(api, [first, second])
    model = Funnel(
        "f",
        "",
        (
            FunnelStep(
                "paid",
                condition=AllOf(
                    (EventMatch(CHECKOUT.steps[0].event), DimensionFilter("sessionDefaultChannelGroup", "in", ("Paid Search", "Paid Social")))
                ),
            ),
            FunnelStep(
                "not first direct",
                condition=AllOf((EventMatch(CHECKOUT.steps[1].event), Not(DimensionFilter("firstUserDefaultChannelGroup", "equals", "direct")))),
            ),
        ),
    )
    expected = engine(server, model)
    assert expected.users[0] > expected.users[1] > 0
    assert rows(response.funnel_table) == expected_rows(expected)


@pytest.mark.parametrize(
    ("expression", "error", "message"),
    [
        (field("pagePath", string_filter=alpha.StringFilter(value="/")), gexc.InvalidArgument, "pageLocation"),
        (field("sessionPrimaryChannelGroup", string_filter=alpha.StringFilter(value="Direct")), gexc.MethodNotImplemented, "sessionPrimaryChannelGroup"),
        (alpha.FunnelFilterExpression(or_group=alpha.FunnelFilterExpressionList()), gexc.InvalidArgument, "at least one expression"),
        (field("", string_filter=alpha.StringFilter(value="x")), gexc.InvalidArgument, "fieldName is required"),
        (field("deviceCategory"), gexc.InvalidArgument, "no condition"),
    ],
)
def test_step_conditions_ga4_refuses(api: Clients, expression: alpha.FunnelFilterExpression, error: type[Exception], message: str):
    with pytest.raises(error, match=message):
        funnel_report(api, [CHECKOUT_REQUEST[0], alpha.FunnelStep(name="x", filter_expression=expression)])


def test_dimension_filter_restricts_events(server: SandboxServer, api: Clients):
    mobile = alpha.FilterExpression(filter=alpha.Filter(field_name="deviceCategory", string_filter=alpha.StringFilter(match_type="EXACT", value="mobile")))
    response = funnel_report(api, CHECKOUT_REQUEST, dimension_filter=mobile)
    expected = engine(server, CHECKOUT, table="(SELECT t.* FROM events AS t WHERE t.device.category = 'mobile')")
    assert rows(response.funnel_table) == expected_rows(expected)
    with pytest.raises(gexc.MethodNotImplemented, match="event-scoped"):
        funnel_report(api, CHECKOUT_REQUEST, dimension_filter=alpha.FilterExpression(filter=alpha.Filter(field_name="sessionSource", string_filter=alpha.StringFilter(value="google"))))


# -- the DataGateway's own requests ------------------------------------------------------------------


def test_the_data_gateway_requests_are_served(server: SandboxServer):
    """ga_goals.ga4.data.DataGateway (the reports' client) against the sandbox: the shop plan's
    checkout funnel and the key-event totals, both periods in one request each."""
    from dataclasses import dataclass

    from ga_goals.ga4 import Target
    from ga_goals.ga4.data import DataGateway
    from ga_goals.plan_file import load_plan
    from tests.conftest import CONFIGS

    @dataclass(frozen=True)
    class Span:
        name: str
        start: date
        end: date

    spans = [Span(s[2], *span_dates(s)) for s in (CURRENT, PREVIOUS)]
    plan = load_plan(CONFIGS / "shop.yaml", env={})
    with DataGateway(Target(PROP, sandbox_address=server.address, timeout=30)) as gateway:
        table = gateway.run_funnel(plan.funnels["checkout"], spans)
        events, site = gateway.event_totals(["purchase", "add_to_cart", "sign_up"], spans)
        tokens = gateway.quota.tokens
    for span in (CURRENT, PREVIOUS):
        expected = engine(server, plan.funnels["checkout"], span, breakdown="deviceCategory", limit=5)
        assert table.users(span[2]) == list(expected.users)
        for row in expected.rows:
            assert table.users(span[2], breakdown=row.breakdown) == list(row.users)
        a, b = (d.strftime("%Y%m%d") for d in span_dates(span))
        with cursor(server) as con:
            (purchases,) = con.execute(f"SELECT count(*) FROM events WHERE event_name = 'purchase' AND event_date BETWEEN '{a}' AND '{b}'").fetchone()
            (users,) = con.execute(f"SELECT count(DISTINCT user_pseudo_id) FROM events WHERE event_date BETWEEN '{a}' AND '{b}'").fetchone()
        assert events.lookup(eventName="purchase", dateRange=span[2])["eventCount"] == purchases
        assert site.lookup(dateRange=span[2])["totalUsers"] == users
    assert tokens > 0


def test_trended_funnel_and_next_actions_are_the_engines_numbers(server: SandboxServer):
    """TRENDED_FUNNEL (rule 9) and funnelNextAction (rule 10) through the reports' client: the
    visualization's date and next-action rows parsed into the project's types equal the engine."""
    from dataclasses import dataclass

    from ga_goals.funnels.sql import run_next_actions
    from ga_goals.ga4 import Target
    from ga_goals.ga4.data import DataGateway
    from ga_goals.plan_file import load_plan
    from ga_goals.reports.trends import TREND_DAYS_MAX
    from tests.conftest import CONFIGS

    @dataclass(frozen=True)
    class Span:
        name: str
        start: date
        end: date

    spans = [Span(s[2], *span_dates(s)) for s in (CURRENT, PREVIOUS)]
    plan = load_plan(CONFIGS / "shop.yaml", env={})
    with DataGateway(Target(PROP, sandbox_address=server.address, timeout=30)) as gateway:
        for name in ("checkout", "browse_to_buy"):
            f = dataclasses.replace(plan.funnels[name], breakdown="date", breakdown_limit=TREND_DAYS_MAX)
            table = gateway.run_funnel(f, spans)
            for span in (CURRENT, PREVIOUS):
                expected = engine(server, f, span, breakdown="date")
                assert table.users(span[2]) == list(expected.users)
                by_day = {v: table.users(span[2], breakdown=v) for v in table.breakdown_values}
                assert {k: v for k, v in by_day.items() if any(v)} == {r.breakdown: list(r.users) for r in expected.rows}
                assert len(expected.rows) >= 5
            for dimension in ("eventName", "pageLocation"):
                found = gateway.next_actions(plan.funnels[name], spans[0], dimension, 3)
                with cursor(server) as con:
                    want = run_next_actions(con, plan.funnels[name], spans[0].start, spans[0].end, dimension)
                assert found.left == want.left and sum(found.left) > 0
                for k in range(1, len(f.steps)):
                    assert found.after(k) == want.after(k, 3)
