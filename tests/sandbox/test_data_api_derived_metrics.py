"""Metric expressions, calcMetric: metrics, the COUNT aggregation and comparisons through the real
Data API client, every number checked against plain DuckDB SQL over the property's events."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc

from ga_goals.events import param
from ga_goals.sandbox.admin import AdminBackend
from ga_goals.sandbox.server import SandboxServer
from tests.sandbox.data_api_helpers import (
    CURRENT,
    PROP,
    Clients,
    clients,
    date_range,
    rows,
    sql,
    start_shop_server,
    ymd,
)

WHERE = f"event_date BETWEEN '{ymd(CURRENT[0])}' AND '{ymd(CURRENT[1])}'"
SESSION = f"user_pseudo_id || '#' || CAST({param('ga_session_id', 'int')} AS VARCHAR)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    srv = start_shop_server(tmp_path_factory.mktemp("derived") / "sandbox")
    admin = AdminBackend(srv.store)
    for metric_id, formula, unit in (
        ("add_to_cart_rate", "addToCarts / sessions", "STANDARD"),  # as configs/shop.yaml declares it
        ("cart_value_per_user", "customEvent:cart_value / totalUsers", "CURRENCY"),
        ("ad_clicks_per_session", "advertiserAdClicks / sessions", "STANDARD"),  # GA4 has it, the sandbox not
    ):
        admin.create(
            "calculated_metrics",
            PROP,
            {"display_name": metric_id.replace("_", " "), "formula": formula, "metric_unit": unit},
            resource_id=metric_id,
        )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> Iterator[Clients]:
    with clients(server.address or "") as c:
        yield c




def report(api: Clients, **fields: object) -> beta.RunReportResponse:
    fields.setdefault("date_ranges", [date_range(beta, CURRENT)])
    return api.beta.run_report(beta.RunReportRequest(property=PROP, **fields))


def string_filter(field: str, value: str) -> beta.FilterExpression:
    return beta.FilterExpression(
        filter=beta.Filter(field_name=field, string_filter=beta.Filter.StringFilter(match_type="EXACT", value=value))
    )


def close(text: str, expected: float) -> bool:
    return math.isclose(float(text), expected, rel_tol=1e-9, abs_tol=1e-9)


# -- metric expressions -------------------------------------------------------------------------


def test_an_expression_is_the_ratio_of_the_rows_aggregates(server: SandboxServer, api: Clients):
    response = report(
        api,
        dimensions=[beta.Dimension(name="eventName")],
        metrics=[
            beta.Metric(name="eventsPerUser", expression="eventCount/totalUsers"),
            beta.Metric(name="scaled", expression="-(eventCount - 2 * totalUsers) / 0.5 + 1"),
            beta.Metric(name="zero", expression="eventCount / (totalUsers - totalUsers)"),
        ],
        metric_aggregations=["TOTAL"],
    )
    assert [(h.name, h.type_.name) for h in response.metric_headers] == [
        ("eventsPerUser", "TYPE_FLOAT"), ("scaled", "TYPE_FLOAT"), ("zero", "TYPE_FLOAT"),
    ]
    expected = {e: (n, u) for e, n, u in sql(
        server, f"SELECT event_name, count(*), count(DISTINCT user_pseudo_id) FROM events WHERE {WHERE} GROUP BY 1"
    )}
    got = {d[0]: m for d, m in rows(response)}
    assert set(got) == set(expected)
    for event, (n, u) in expected.items():
        per_user, scaled, zero = got[event]
        assert close(per_user, n / u) and close(scaled, -(n - 2 * u) / 0.5 + 1)
        assert zero == "0"  # a division by zero gives 0
    ((n, u),) = sql(server, f"SELECT count(*), count(DISTINCT user_pseudo_id) FROM events WHERE {WHERE}")
    total = [m.value for m in response.totals[0].metric_values]
    assert close(total[0], n / u)  # the total is the formula over the totals, not a sum of ratios


def test_invisible_metrics_order_and_filter_by_name(server: SandboxServer, api: Clients):
    response = report(
        api,
        dimensions=[beta.Dimension(name="deviceCategory")],
        metrics=[
            beta.Metric(name="sessions", invisible=True),
            beta.Metric(name="cartsPerSession", expression="addToCarts/sessions"),
        ],
        order_bys=[beta.OrderBy(metric=beta.OrderBy.MetricOrderBy(metric_name="sessions"), desc=True)],
        metric_filter=beta.FilterExpression(filter=beta.Filter(
            field_name="cartsPerSession",
            numeric_filter=beta.Filter.NumericFilter(operation="GREATER_THAN", value=beta.NumericValue(double_value=0)),
        )),
    )
    assert [h.name for h in response.metric_headers] == ["cartsPerSession"]
    expected = sql(
        server,
        f"SELECT device.category, count(DISTINCT {SESSION}), count(*) FILTER (WHERE event_name = 'add_to_cart') "
        f"FROM events WHERE {WHERE} GROUP BY 1 HAVING count(*) FILTER (WHERE event_name = 'add_to_cart') > 0 "
        "ORDER BY 2 DESC",
    )
    got = rows(response)
    assert [d[0] for d, _m in got] == [device for device, _s, _c in expected]
    for (_d, (value,)), (_device, sessions, carts) in zip(got, expected):
        assert close(value, carts / sessions)


@pytest.mark.parametrize(
    "metric, error, message",
    [
        (beta.Metric(name="r", expression="eventCount / (totalUsers"), gexc.InvalidArgument, "parenthesis opened at column 14 is not closed"),
        (beta.Metric(name="r", expression="eventCount totalUsers"), gexc.InvalidArgument, "operator"),
        (beta.Metric(name="r", expression="eventCnt / totalUsers"), gexc.InvalidArgument, "Did you mean eventCount"),
        (beta.Metric(name="r", expression="conversions / sessions"), gexc.InvalidArgument, "keyEvents"),
        (beta.Metric(name="r", expression="advertiserAdCost / sessions"), gexc.MethodNotImplemented, "advertiserAdCost"),
        (beta.Metric(name="r", expression="country / sessions"), gexc.InvalidArgument, "is a dimension"),
        (beta.Metric(name="a-b", expression="eventCount / sessions"), gexc.InvalidArgument, "letters, digits"),
        (beta.Metric(name="r", expression="r * 2"), gexc.InvalidArgument, "names the metric itself"),
        (beta.Metric(name="r", expression="calcMetric:nope / 2"), gexc.InvalidArgument, "no calculated metric 'nope'"),
    ],
)
def test_bad_expressions(api: Clients, metric: beta.Metric, error: type, message: str):
    with pytest.raises(error, match=message):
        report(api, metrics=[metric])


def test_an_expression_may_not_name_another_expression(api: Clients):
    with pytest.raises(gexc.InvalidArgument, match="another expression metric"):
        report(api, metrics=[
            beta.Metric(name="a", expression="eventCount / sessions"), beta.Metric(name="b", expression="a * 2"),
        ])


# -- calcMetric: --------------------------------------------------------------------------------


def test_metadata_lists_the_calculated_metrics_it_computes(api: Clients):
    metadata = api.beta.get_metadata(beta.GetMetadataRequest(name=f"{PROP}/metadata"))
    calc = {m.api_name: m for m in metadata.metrics if m.api_name.startswith("calcMetric:")}
    assert set(calc) == {"calcMetric:add_to_cart_rate", "calcMetric:cart_value_per_user"}
    rate = calc["calcMetric:add_to_cart_rate"]
    assert (rate.ui_name, rate.expression, rate.type_.name, rate.custom_definition) == (
        "add to cart rate", "addToCarts / sessions", "TYPE_STANDARD", True,
    )
    assert calc["calcMetric:cart_value_per_user"].type_.name == "TYPE_CURRENCY"
    universal = api.beta.get_metadata(beta.GetMetadataRequest(name="properties/0/metadata"))
    assert not [m for m in universal.metrics if m.api_name.startswith("calcMetric:")]


def test_calculated_metrics_are_computed_from_their_formula(server: SandboxServer, api: Clients):
    response = report(
        api,
        dimensions=[beta.Dimension(name="deviceCategory")],
        metrics=[beta.Metric(name="calcMetric:add_to_cart_rate"), beta.Metric(name="calcMetric:cart_value_per_user")],
        metric_aggregations=["TOTAL"],
    )
    assert [(h.name, h.type_.name) for h in response.metric_headers] == [
        ("calcMetric:add_to_cart_rate", "TYPE_STANDARD"), ("calcMetric:cart_value_per_user", "TYPE_CURRENCY"),
    ]
    cart_value = param("cart_value", "number")
    query = (
        f"SELECT {{}} count(*) FILTER (WHERE event_name = 'add_to_cart'), count(DISTINCT {SESSION}), "
        f"COALESCE(sum({cart_value}), 0), count(DISTINCT user_pseudo_id) FROM events WHERE {WHERE} {{}}"
    )
    expected = {d: rest for d, *rest in sql(server, query.format("device.category,", "GROUP BY 1"))}
    got = {d[0]: m for d, m in rows(response)}
    assert set(got) == set(expected)
    for device, (carts, sessions, value, users) in expected.items():
        assert close(got[device][0], carts / sessions) and close(got[device][1], value / users)
    ((carts, sessions, value, users),) = sql(server, query.format("", ""))
    total = [m.value for m in response.totals[0].metric_values]
    assert close(total[0], carts / sessions) and close(total[1], value / users)
    # An expression may use a calculated metric; a metric filter may name one.
    doubled = report(
        api, metrics=[beta.Metric(name="twice", expression="2 * calcMetric:add_to_cart_rate")],
    )
    assert close(doubled.rows[0].metric_values[0].value, 2 * carts / sessions)


def test_calculated_metric_refusals(api: Clients):
    with pytest.raises(gexc.MethodNotImplemented, match=r"calcMetric:ad_clicks_per_session .*advertiserAdClicks"):
        report(api, metrics=[beta.Metric(name="calcMetric:ad_clicks_per_session")])
    with pytest.raises(gexc.InvalidArgument, match="no calculated metric 'nope'.*calcMetric:add_to_cart_rate"):
        report(api, metrics=[beta.Metric(name="calcMetric:nope")])


# -- COUNT ----------------------------------------------------------------------------------------


def test_count_is_a_pivot_aggregation(api: Clients):
    with pytest.raises(gexc.InvalidArgument, match="COUNT is a pivot aggregation"):
        report(api, metrics=[beta.Metric(name="eventCount")], metric_aggregations=["COUNT"])
    response = api.beta.run_pivot_report(beta.RunPivotReportRequest(
        property=PROP,
        dimensions=[beta.Dimension(name="deviceCategory"), beta.Dimension(name="eventName")],
        metrics=[beta.Metric(name="eventCount"), beta.Metric(name="perUser", expression="eventCount/totalUsers")],
        date_ranges=[date_range(beta, CURRENT)],
        pivots=[
            beta.Pivot(field_names=["deviceCategory"], limit=10),
            beta.Pivot(field_names=["eventName"], limit=5, metric_aggregations=["COUNT", "TOTAL"]),
        ],
    ))
    assert [h.name for h in response.metric_headers] == ["eventCount", "perUser"]
    selected = {h.dimension_values[0].value for h in response.pivot_headers[1].pivot_dimension_headers}
    per_device: dict[str, int] = {}
    for row in response.rows:
        device, event = (v.value for v in row.dimension_values)
        if event in selected:
            per_device[device] = per_device.get(device, 0) + 1
    counts = {
        row.dimension_values[0].value: [m.value for m in row.metric_values]
        for row in response.aggregates if row.dimension_values[1].value == "RESERVED_COUNT"
    }
    assert counts == {device: [str(n), str(n)] for device, n in per_device.items()}
    assert any(row.dimension_values[1].value == "RESERVED_TOTAL" for row in response.aggregates)


# -- comparisons ----------------------------------------------------------------------------------


def test_comparisons_give_each_comparison_its_rows(server: SandboxServer, api: Clients):
    comparisons = [
        beta.Comparison(name="mobile", dimension_filter=string_filter("deviceCategory", "mobile")),
        beta.Comparison(name="desktop", dimension_filter=string_filter("deviceCategory", "desktop")),
    ]
    response = report(
        api,
        dimensions=[beta.Dimension(name="eventName")],
        metrics=[beta.Metric(name="eventCount"), beta.Metric(name="perUser", expression="eventCount/totalUsers")],
        comparisons=comparisons,
    )
    assert [h.name for h in response.dimension_headers] == ["eventName", "comparison"]
    expected = {
        (event, device): (n, u)
        for event, device, n, u in sql(
            server,
            f"SELECT event_name, device.category, count(*), count(DISTINCT user_pseudo_id) FROM events WHERE {WHERE} "
            "AND device.category IN ('mobile', 'desktop') GROUP BY 1, 2",
        )
    }
    got = {tuple(d): m for d, m in rows(response)}
    assert set(got) == set(expected)
    for key, (n, u) in expected.items():
        assert got[key][0] == str(n) and close(got[key][1], n / u)
    # The comparison dimension placed where the request names it, with the request's own filter.
    placed = report(
        api,
        dimensions=[beta.Dimension(name="comparison"), beta.Dimension(name="eventName")],
        metrics=[beta.Metric(name="eventCount")],
        comparisons=comparisons,
        dimension_filter=string_filter("eventName", "page_view"),
    )
    assert {tuple(d): m for d, m in rows(placed)} == {
        (device, "page_view"): [str(n)] for (event, device), (n, _u) in expected.items() if event == "page_view"
    }


@pytest.mark.parametrize(
    "comparisons, extra, error, message",
    [
        ([beta.Comparison(name="saved", comparison="comparisons/1234")], {}, gexc.InvalidArgument, "not a saved comparison"),
        ([beta.Comparison(dimension_filter=string_filter("deviceCategory", "mobile"))], {}, gexc.InvalidArgument, "name is required"),
        ([beta.Comparison(name="x")], {}, gexc.InvalidArgument, "needs a dimensionFilter"),
        ([beta.Comparison(name="x", dimension_filter=string_filter("sessions", "1"))], {}, gexc.InvalidArgument, "is a metric"),
        ([beta.Comparison(name="x", dimension_filter=string_filter("deviceCategory", "mobile"))],
         {"metric_aggregations": ["TOTAL"]}, gexc.MethodNotImplemented, "metric aggregations together with comparisons"),
        ([], {"dimensions": [beta.Dimension(name="comparison")]}, gexc.InvalidArgument, "needs comparisons"),
    ],
)
def test_comparison_refusals(api: Clients, comparisons, extra, error, message):
    with pytest.raises(error, match=message):
        report(api, metrics=[beta.Metric(name="eventCount")], comparisons=comparisons, **extra)


def test_pivots_refuse_comparisons_and_invisible_metrics(api: Clients):
    base = dict(
        property=PROP,
        dimensions=[beta.Dimension(name="deviceCategory")],
        date_ranges=[date_range(beta, CURRENT)],
        pivots=[beta.Pivot(field_names=["deviceCategory"], limit=5)],
    )
    with pytest.raises(gexc.MethodNotImplemented, match="comparisons in pivot reports"):
        api.beta.run_pivot_report(beta.RunPivotReportRequest(
            metrics=[beta.Metric(name="eventCount")],
            comparisons=[beta.Comparison(name="m", dimension_filter=string_filter("deviceCategory", "mobile"))],
            **base,
        ))
    with pytest.raises(gexc.MethodNotImplemented, match="invisible metrics in pivot reports"):
        api.beta.run_pivot_report(beta.RunPivotReportRequest(
            metrics=[beta.Metric(name="eventCount"), beta.Metric(name="sessions", invisible=True)], **base,
        ))
