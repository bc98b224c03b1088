"""GA4 fields beyond the funnel engine's (revenue, ids, time, items) and the methods the sandbox
does not serve, through the real Data API clients; numbers checked against DuckDB queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import grpc
import pytest
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc

from ga_goals.events import param
from ga_goals.sandbox.server import SandboxServer
from tests.sandbox.data_api_helpers import CURRENT, PROP, Clients, clients, cursor, date_range, rows, sql, start_shop_server, ymd

VALUE = param("value", "number")
IN_RANGE = f"event_date BETWEEN '{ymd(CURRENT[0])}' AND '{ymd(CURRENT[1])}'"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    srv = start_shop_server(tmp_path_factory.mktemp("fields") / "sandbox")
    # Refunds of three purchases (the generator makes none): purchaseRevenue is net of them.
    with cursor(srv) as con:
        con.execute(
            "INSERT INTO events SELECT * REPLACE ('refund' AS event_name, "
            "struct_pack(total_item_quantity := 1, purchase_revenue_in_usd := NULL, purchase_revenue := NULL, "
            "refund_value_in_usd := 7.5, refund_value := 7.5, shipping_value_in_usd := NULL, shipping_value := NULL, "
            "tax_value_in_usd := NULL, tax_value := NULL, unique_items := 1, transaction_id := ecommerce.transaction_id) AS ecommerce, "
            "md5(_row_hash || ':refund') AS _row_hash) "
            f"FROM events WHERE event_name = 'purchase' AND {IN_RANGE} ORDER BY _row_hash LIMIT 3"
        )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> Iterator[Clients]:
    with clients(server.address or "") as c:
        yield c




def report(api: Clients, dimensions: tuple[str, ...] = (), metrics: tuple[str, ...] = (), **fields: object) -> beta.RunReportResponse:
    fields.setdefault("date_ranges", [date_range(beta, CURRENT)])
    return api.beta.run_report(
        beta.RunReportRequest(
            property=PROP,
            dimensions=[beta.Dimension(name=d) for d in dimensions],
            metrics=[beta.Metric(name=m) for m in metrics],
            limit=100_000,
            **fields,
        )
    )


def test_revenue_metrics_follow_ga4_definitions(server: SandboxServer, api: Clients):
    names = ("grossPurchaseRevenue", "refundAmount", "purchaseRevenue", "totalRevenue", "transactions", "totalPurchasers")
    ((_dims, values),) = rows(report(api, metrics=names))
    got = dict(zip(names, map(float, values)))
    ((gross, refunds, transactions, purchasers),) = sql(
        server,
        f"SELECT sum(CASE WHEN event_name IN ('purchase', 'in_app_purchase') THEN COALESCE(ecommerce.purchase_revenue, {VALUE}) END), "
        "sum(CASE WHEN event_name = 'refund' THEN ecommerce.refund_value END), "
        "count(DISTINCT CASE WHEN event_name IN ('purchase', 'in_app_purchase') THEN ecommerce.transaction_id END), "
        "count(DISTINCT CASE WHEN event_name IN ('purchase', 'in_app_purchase') THEN user_pseudo_id END) "
        f"FROM events t WHERE {IN_RANGE}",
    )
    assert refunds == pytest.approx(22.5)
    assert got["grossPurchaseRevenue"] == pytest.approx(gross)
    assert got["refundAmount"] == pytest.approx(refunds)
    assert got["purchaseRevenue"] == pytest.approx(gross - refunds)
    assert got["totalRevenue"] == pytest.approx(gross - refunds)  # no ad revenue in the shop
    assert (got["transactions"], got["totalPurchasers"]) == (transactions, purchasers)
    assert transactions > 0


def test_country_id_is_the_iso_code(api: Clients):
    pairs = {d[0]: d[1] for d, _m in rows(report(api, ("country", "countryId"), ("eventCount",)))}
    assert pairs["United States"] == "US" and pairs["United Kingdom"] == "GB" and pairs["Japan"] == "JP"
    assert all(len(code) == 2 and code.isupper() for code in pairs.values())


def test_time_dimensions_agree_with_the_date_and_the_range_start(api: Clients):
    start = date.fromisoformat(CURRENT[0])
    result = rows(report(api, ("date", "dateHour", "hour", "nthDay", "dayOfWeek"), ("eventCount",)))
    assert result
    for (day, date_hour, hour, nth, weekday), _m in result:
        d = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        assert date_hour[:8] == day and date_hour[8:] == hour and 0 <= int(hour) <= 23  # UTC property
        assert nth == f"{(d - start).days:04d}"
        assert weekday == str((d.weekday() + 1) % 7)


def test_item_metrics_by_item_equal_duckdb(server: SandboxServer, api: Clients):
    got = {d[0]: (int(m[0]), int(m[1]), float(m[2])) for d, m in rows(report(api, ("itemId",), ("itemsViewed", "itemsPurchased", "itemRevenue")))}
    expected = {
        item: (int(viewed), int(bought), float(revenue))
        for item, viewed, bought, revenue in sql(
            server,
            "SELECT COALESCE(it.item_id, '(not set)'), "
            "COALESCE(sum(COALESCE(it.quantity, 1)) FILTER (WHERE event_name = 'view_item'), 0), "
            "COALESCE(sum(COALESCE(it.quantity, 1)) FILTER (WHERE event_name IN ('purchase', 'in_app_purchase')), 0), "
            "COALESCE(sum(COALESCE(it.item_revenue, it.price * COALESCE(it.quantity, 1))) FILTER (WHERE event_name IN ('purchase', 'in_app_purchase')), 0) "
            f"- COALESCE(sum(it.item_refund) FILTER (WHERE event_name = 'refund'), 0) "
            f"FROM events t CROSS JOIN UNNEST(t.items) AS u(it) WHERE {IN_RANGE} GROUP BY 1",
        )
        if viewed or bought or revenue
    }
    assert got.keys() == expected.keys() and len(got) > 10
    for item, (viewed, bought, revenue) in expected.items():
        assert got[item][:2] == (viewed, bought)
        assert got[item][2] == pytest.approx(revenue)


@pytest.mark.parametrize(
    ("dimensions", "metrics", "error", "message"),
    [
        ((), ("conversions",), gexc.InvalidArgument, "Field conversions is not a valid metric. Did you mean keyEvents?"),
        (("countryid",), ("sessions",), gexc.InvalidArgument, "Did you mean countryId?"),
        (("sessions",), ("eventCount",), gexc.InvalidArgument, "Field sessions is a metric, not a dimension"),
        (("cityId",), ("sessions",), gexc.MethodNotImplemented, "dimension cityId "),
        ((), ("advertiserAdCost",), gexc.MethodNotImplemented, "metric advertiserAdCost "),
        (("itemName",), ("sessions",), gexc.InvalidArgument, "remove itemName .* incompatible"),
    ],
)
def test_field_refusals_say_what_ga4_would(api: Clients, dimensions, metrics, error, message):
    with pytest.raises(error, match=message):
        report(api, dimensions, metrics)


def _calls(api: Clients, prop: str) -> dict[str, object]:
    dr = [beta.DateRange(start_date="7daysAgo", end_date="yesterday")]
    return {
        "RunReport": lambda: api.beta.run_report(beta.RunReportRequest(property=prop, metrics=[beta.Metric(name="sessions")], date_ranges=dr)),
        "BatchRunReports": lambda: api.beta.batch_run_reports(beta.BatchRunReportsRequest(property=prop)),
        "RunPivotReport": lambda: api.beta.run_pivot_report(beta.RunPivotReportRequest(property=prop)),
        "BatchRunPivotReports": lambda: api.beta.batch_run_pivot_reports(beta.BatchRunPivotReportsRequest(property=prop)),
        "RunRealtimeReport": lambda: api.beta.run_realtime_report(beta.RunRealtimeReportRequest(property=prop)),
        "CheckCompatibility": lambda: api.beta.check_compatibility(beta.CheckCompatibilityRequest(property=prop)),
        "ListAudienceExports": lambda: api.beta.list_audience_exports(beta.ListAudienceExportsRequest(parent=prop)),
        "RunFunnelReport": lambda: api.alpha.run_funnel_report(alpha.RunFunnelReportRequest(property=prop)),
        "ListAudienceLists": lambda: api.alpha.list_audience_lists(alpha.ListAudienceListsRequest(parent=prop)),
        "ListReportTasks": lambda: api.alpha.list_report_tasks(alpha.ListReportTasksRequest(parent=prop)),
    }


@pytest.mark.parametrize("prop", ["properties/0", "properties/007", "props/1", "424242"])
def test_malformed_property_names_are_invalid_argument_on_every_method(api: Clients, prop: str):
    for method, call in _calls(api, prop).items():
        with pytest.raises(gexc.InvalidArgument, match="malformed"):
            call()  # type: ignore[operator]
        assert method


@pytest.mark.parametrize(
    "method",
    ["RunRealtimeReport", "CheckCompatibility", "ListAudienceExports", "ListAudienceLists", "ListReportTasks"],
)
def test_methods_the_sandbox_does_not_serve_are_unimplemented_with_the_reason(api: Clients, method: str):
    with pytest.raises(gexc.MethodNotImplemented, match=f"does not implement {method}: .{{20,}}"):
        _calls(api, PROP)[method]()  # type: ignore[operator]


def test_a_method_no_client_knows_is_unimplemented_with_a_message(server: SandboxServer):
    channel = grpc.insecure_channel(server.address or "")
    try:
        call = channel.unary_unary("/google.analytics.data.v1beta.BetaAnalyticsData/RunFutureReport")
        with pytest.raises(grpc.RpcError) as info:
            call(b"")
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert info.value.details() == "The GA4 sandbox does not implement BetaAnalyticsData.RunFutureReport."
    finally:
        channel.close()
