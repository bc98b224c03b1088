"""The sandbox's Data API v1beta (RunReport, BatchRunReports, GetMetadata) through the real clients.

One server per module, its property holding 4 weeks of generated shop traffic (1,500 users);
every number is checked against a direct DuckDB query of the same events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc

from ga_goals.events import param
from ga_goals.events.schema import lambda_sql
from ga_goals.sandbox.admin import AdminBackend
from ga_goals.sandbox.server import SandboxServer
from tests.sandbox.data_api_helpers import (
    CURRENT,
    PREVIOUS,
    PROP,
    Clients,
    P,
    clients,
    cursor,
    date_range,
    rows,
    start_shop_server,
    ymd,
)

VALUE = param("value", "number")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    srv = start_shop_server(tmp_path_factory.mktemp("data") / "sandbox")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> Iterator[Clients]:
    with clients(server.address or "") as c:
        yield c


def sql(server: SandboxServer, query: str, *args: object) -> list[tuple]:
    with cursor(server) as con:
        return con.execute(query, list(args)).fetchall()


def in_range(span: tuple[str, str, str]) -> str:
    return f"event_date BETWEEN '{ymd(span[0])}' AND '{ymd(span[1])}'"


def report(api: Clients, **fields: object) -> beta.RunReportResponse:
    fields.setdefault("date_ranges", [date_range(beta, CURRENT)])
    return api.beta.run_report(beta.RunReportRequest(property=PROP, **fields))


def dims(*names: str) -> list[beta.Dimension]:
    return [beta.Dimension(name=n) for n in names]


def mets(*names: str) -> list[beta.Metric]:
    return [beta.Metric(name=n) for n in names]


def string_filter(field: str, value: str, match: str = "EXACT", case_sensitive: bool = False) -> beta.FilterExpression:
    return beta.FilterExpression(
        filter=beta.Filter(
            field_name=field,
            string_filter=beta.Filter.StringFilter(match_type=match, value=value, case_sensitive=case_sensitive),
        )
    )


# -- numbers --------------------------------------------------------------------------------------


def test_event_totals_per_event_and_date_range_equal_duckdb(server: SandboxServer, api: Clients):
    """The DataGateway's key-event request: eventName x two named ranges, an in-list filter."""
    events = ["purchase", "add_to_cart", "begin_checkout", "sign_up", "newsletter_signup"]
    response = report(
        api,
        date_ranges=[date_range(beta, CURRENT), date_range(beta, PREVIOUS)],
        dimensions=dims("eventName"),
        metrics=mets("eventCount", "totalUsers", "eventValue"),
        dimension_filter=beta.FilterExpression(
            filter=beta.Filter(field_name="eventName", in_list_filter=beta.Filter.InListFilter(values=events, case_sensitive=True))
        ),
        limit=10,
        return_property_quota=True,
    )
    assert [h.name for h in response.dimension_headers] == ["eventName", "dateRange"]
    assert [(h.name, h.type_.name) for h in response.metric_headers] == [
        ("eventCount", "TYPE_INTEGER"),
        ("totalUsers", "TYPE_INTEGER"),
        ("eventValue", "TYPE_FLOAT"),
    ]
    got = {(d[0], d[1]): [float(v) for v in m] for d, m in rows(response)}
    expected = {}
    for span in (CURRENT, PREVIOUS):
        for name, count, users, value in sql(
            server,
            f"SELECT event_name, count(*), count(DISTINCT user_pseudo_id), COALESCE(sum({VALUE}), 0) FROM events t "
            f"WHERE {in_range(span)} AND event_name IN ({', '.join('?' for _ in events)}) GROUP BY 1",
            *events,
        ):
            expected[(name, span[2])] = [count, users, value]
    assert set(got) == set(expected)  # newsletter_signup has no events: absent, as in GA4
    for key, values in expected.items():
        assert got[key][:2] == values[:2]
        assert got[key][2] == pytest.approx(values[2], rel=1e-9)
    assert response.row_count == len(expected)
    assert response.kind == "analyticsData#runReport"
    assert response.metadata.currency_code == "USD" and response.metadata.time_zone == "UTC"
    assert response.property_quota.tokens_per_hour.consumed >= 1


def test_site_totals_users_sessions_and_the_other_metrics(server: SandboxServer, api: Clients):
    response = report(
        api,
        metrics=mets(
            "totalUsers", "sessions", "activeUsers", "newUsers", "eventCount", "keyEvents", "purchaseRevenue",
            "screenPageViews", "ecommercePurchases", "keyEvents:add_to_cart",
        ),
    )
    assert [h.name for h in response.dimension_headers] == []  # one range: no dateRange column
    (values,) = [m for _d, m in rows(response)]
    sid = param("ga_session_id", "int")
    ((users, sessions, new, count, purchases, views, revenue, carts_per_session, signups),) = sql(
        server,
        f"""SELECT count(DISTINCT user_pseudo_id),
                   count(DISTINCT user_pseudo_id || '#' || CAST({sid} AS VARCHAR)),
                   count(DISTINCT user_pseudo_id) FILTER (WHERE event_name = 'first_visit'),
                   count(*),
                   count(*) FILTER (WHERE event_name = 'purchase'),
                   count(*) FILTER (WHERE event_name = 'page_view'),
                   COALESCE(sum(ecommerce.purchase_revenue) FILTER (WHERE event_name = 'purchase'), 0),
                   count(DISTINCT user_pseudo_id || '#' || CAST({sid} AS VARCHAR)) FILTER (WHERE event_name = 'add_to_cart'),
                   count(*) FILTER (WHERE event_name = 'sign_up')
            FROM events t WHERE {in_range(CURRENT)}""",
    )
    # Key events: purchase (GA4's default, once per event), sign_up (per event), add_to_cart (once per session).
    key_events = purchases + signups + carts_per_session
    assert [float(v) for v in values] == pytest.approx(
        [users, sessions, users, new, count, key_events, revenue, views, purchases, carts_per_session]
    )


def test_dimensions_date_device_country_and_session_channel(server: SandboxServer, api: Clients):
    response = report(api, dimensions=dims("date", "deviceCategory"), metrics=mets("eventCount"), limit=1000)
    got = {tuple(d): int(m[0]) for d, m in rows(response)}
    expected = {
        (day, device): n
        for day, device, n in sql(
            server, f"SELECT event_date, device.category, count(*) FROM events WHERE {in_range(CURRENT)} GROUP BY 1, 2"
        )
    }
    assert got == expected
    assert all(len(day) == 8 and day.isdigit() for day, _device in got)

    countries = report(api, dimensions=dims("country"), metrics=mets("totalUsers"))
    assert {d[0] for d, _m in rows(countries)} == {
        c for (c,) in sql(server, f"SELECT DISTINCT geo.country FROM events WHERE {in_range(CURRENT)}")
    }

    # Every session has one channel group: the channel rows add up to the sessions and events.
    channels = report(api, dimensions=dims("sessionDefaultChannelGroup"), metrics=mets("sessions", "eventCount"))
    site = report(api, metrics=mets("sessions", "eventCount"))
    per_channel = {d[0]: [int(x) for x in m] for d, m in rows(channels)}
    assert {"Organic Search", "Paid Search", "Direct", "Email"} <= set(per_channel)
    assert [sum(v[i] for v in per_channel.values()) for i in (0, 1)] == [int(x) for x in rows(site)[0][1]]
    sources = report(api, dimensions=dims("sessionSource", "sessionMedium", "sessionCampaignName"), metrics=mets("sessions"))
    assert sum(int(m[0]) for _d, m in rows(sources)) == int(rows(site)[0][1][0])


def test_custom_event_and_user_dimensions_and_custom_metric(server: SandboxServer, api: Clients):
    response = report(api, dimensions=dims("customEvent:form_id"), metrics=mets("eventCount"), dimension_filter=string_filter("eventName", "form_submit"))
    got = {d[0]: int(m[0]) for d, m in rows(response)}
    expected = dict(
        sql(
            server,
            f"SELECT COALESCE({param('form_id')}, '(not set)'), count(*) FROM events t "
            f"WHERE {in_range(CURRENT)} AND event_name = 'form_submit' GROUP BY 1",
        )
    )
    assert got == expected and {"newsletter", "contact"} <= set(got)

    tiers = report(api, dimensions=dims("customUser:customer_tier"), metrics=mets("totalUsers"))
    is_tier = lambda_sql("p", "p.key = 'customer_tier'")
    tier = f"list_filter(user_properties, {is_tier})[1].value.string_value"
    expected = dict(
        sql(
            server,
            f"SELECT COALESCE({tier}, '(not set)'), count(DISTINCT user_pseudo_id) FROM events "
            f"WHERE {in_range(CURRENT)} GROUP BY 1",
        )
    )
    assert {d[0]: int(m[0]) for d, m in rows(tiers)} == expected
    assert {"new", "returning", "vip"} <= set(expected)

    cart = report(api, metrics=mets("customEvent:cart_value"))
    assert cart.metric_headers[0].type_.name == "TYPE_CURRENCY"
    ((value,),) = sql(server, f"SELECT COALESCE(sum({param('cart_value', 'number')}), 0) FROM events t WHERE {in_range(CURRENT)}")
    assert float(rows(cart)[0][1][0]) == pytest.approx(value) and value > 0


@pytest.mark.parametrize(
    ("field", "kind", "message"),
    [
        ("dimensions", "customEvent:not_registered", "Field customEvent:not_registered is not a valid dimension"),
        ("dimensions", "eventNam", "Field eventNam is not a valid dimension. Did you mean eventName?"),
        ("metrics", "eventCounts", "Field eventCounts is not a valid metric"),
        ("metrics", "eventName", "Field eventName is a dimension, not a metric"),
    ],
)
def test_unknown_fields_are_invalid_argument(api: Clients, field: str, kind: str, message: str):
    fields = {"dimensions": dims("eventName"), "metrics": mets("eventCount")}
    fields[field] = dims(kind) if field == "dimensions" else mets(kind)
    with pytest.raises(gexc.InvalidArgument, match=message):
        report(api, **fields)


def test_item_scoped_custom_dimensions_go_with_item_metrics_only(api: Clients):
    with pytest.raises(gexc.InvalidArgument, match="remove customItem:item_color .* incompatible"):
        report(api, dimensions=dims("customItem:item_color"), metrics=mets("eventCount"))


# -- filters -----------------------------------------------------------------------------------


def by_event(response: beta.RunReportResponse) -> dict[str, int]:
    return {d[0]: int(m[0]) for d, m in rows(response)}


def counts(server: SandboxServer, where: str) -> dict[str, int]:
    return dict(sql(server, f"SELECT event_name, count(*) FROM events t WHERE {in_range(CURRENT)} AND ({where}) GROUP BY 1"))


@pytest.mark.parametrize(
    ("expression", "where"),
    [
        (string_filter("eventName", "PURCHASE"), "event_name = 'purchase'"),
        (string_filter("eventName", "PURCHASE", case_sensitive=True), "FALSE"),
        (string_filter("eventName", "add_", "BEGINS_WITH"), "event_name LIKE 'add\\_%' ESCAPE '\\'"),
        (string_filter("eventName", "_info", "ENDS_WITH"), "event_name LIKE '%\\_info' ESCAPE '\\'"),
        (string_filter("eventName", "CART", "CONTAINS"), "event_name LIKE '%cart%'"),
        (string_filter("eventName", "(view|add)_.*", "FULL_REGEXP"), "regexp_full_match(event_name, '(view|add)_.*')"),
        (string_filter("eventName", "item", "PARTIAL_REGEXP"), "event_name LIKE '%item%'"),
        (
            beta.FilterExpression(not_expression=string_filter("deviceCategory", "desktop")),
            "device.category <> 'desktop'",
        ),
        (
            beta.FilterExpression(
                and_group=beta.FilterExpressionList(
                    expressions=[string_filter("deviceCategory", "mobile"), string_filter("eventName", "view_", "BEGINS_WITH")]
                )
            ),
            "device.category = 'mobile' AND event_name LIKE 'view\\_%' ESCAPE '\\'",
        ),
        (
            beta.FilterExpression(
                or_group=beta.FilterExpressionList(
                    expressions=[string_filter("eventName", "purchase"), string_filter("country", "Germany")]
                )
            ),
            "event_name = 'purchase' OR geo.country = 'Germany'",
        ),
        (
            beta.FilterExpression(
                filter=beta.Filter(
                    field_name="date",
                    between_filter=beta.Filter.BetweenFilter(
                        from_value=beta.NumericValue(int64_value=20261024), to_value=beta.NumericValue(int64_value=20261025)
                    ),
                )
            ),
            "event_date IN ('20261024', '20261025')",
        ),
        (
            beta.FilterExpression(
                filter=beta.Filter(
                    field_name="date",
                    numeric_filter=beta.Filter.NumericFilter(operation="GREATER_THAN", value=beta.NumericValue(int64_value=20261026)),
                )
            ),
            "event_date > '20261026'",
        ),
        (
            beta.FilterExpression(filter=beta.Filter(field_name="customEvent:search_term", empty_filter=beta.Filter.EmptyFilter())),
            f"{param('search_term')} IS NULL OR {param('search_term')} = ''",
        ),
    ],
)
def test_dimension_filters_on_shown_and_hidden_dimensions(server: SandboxServer, api: Clients, expression, where: str):
    response = report(api, dimensions=dims("eventName"), metrics=mets("eventCount"), dimension_filter=expression)
    assert by_event(response) == counts(server, where)


def test_a_dimension_filter_naming_a_metric_or_an_unknown_field_is_refused(api: Clients):
    with pytest.raises(gexc.InvalidArgument, match="is a metric"):
        report(api, metrics=mets("eventCount"), dimension_filter=string_filter("eventCount", "1"))
    with pytest.raises(gexc.InvalidArgument, match="Field nope is not a valid dimension"):
        report(api, metrics=mets("eventCount"), dimension_filter=string_filter("nope", "1"))
    with pytest.raises(gexc.InvalidArgument, match="invalid regular expression"):
        report(api, metrics=mets("eventCount"), dimension_filter=string_filter("eventName", "(", "FULL_REGEXP"))


def test_metric_filter_order_limit_offset_and_row_count(server: SandboxServer, api: Clients):
    everything = by_event(report(api, dimensions=dims("eventName"), metrics=mets("eventCount")))
    big = beta.FilterExpression(
        filter=beta.Filter(
            field_name="eventCount",
            numeric_filter=beta.Filter.NumericFilter(operation="GREATER_THAN_OR_EQUAL", value=beta.NumericValue(int64_value=300)),
        )
    )
    response = report(
        api,
        dimensions=dims("eventName"),
        metrics=mets("eventCount"),
        metric_filter=big,
        order_bys=[beta.OrderBy(dimension=beta.OrderBy.DimensionOrderBy(dimension_name="eventName"))],
        limit=2,
        offset=1,
    )
    kept = sorted(name for name, n in everything.items() if n >= 300)
    assert response.row_count == len(kept) > 3
    assert [d[0] for d, _m in rows(response)] == kept[1:3]

    default = report(api, dimensions=dims("eventName"), metrics=mets("eventCount"))
    values = [int(m[0]) for _d, m in rows(default)]
    assert values == sorted(values, reverse=True)  # default order: first metric, descending
    ascending = report(
        api,
        dimensions=dims("eventName"),
        metrics=mets("eventCount"),
        order_bys=[beta.OrderBy(metric=beta.OrderBy.MetricOrderBy(metric_name="eventCount"), desc=False)],
    )
    assert [int(m[0]) for _d, m in rows(ascending)] == sorted(values)
    dates = report(
        api,
        dimensions=dims("date"),
        metrics=mets("eventCount"),
        order_bys=[beta.OrderBy(dimension=beta.OrderBy.DimensionOrderBy(dimension_name="date", order_type="NUMERIC"), desc=True)],
    )
    assert [d[0] for d, _m in rows(dates)] == [f"202610{d}" for d in range(28, 21, -1)]


def test_totals_maximums_minimums_per_date_range(server: SandboxServer, api: Clients):
    response = report(
        api,
        date_ranges=[date_range(beta, CURRENT), date_range(beta, PREVIOUS)],
        dimensions=dims("deviceCategory"),
        metrics=mets("totalUsers", "eventCount"),
        metric_aggregations=["TOTAL", "MAXIMUM", "MINIMUM"],
    )
    totals = {r.dimension_values[1].value: r for r in response.totals}
    assert [d.value for d in response.totals[0].dimension_values] == ["RESERVED_TOTAL", "current"]
    for span in (CURRENT, PREVIOUS):
        ((users, events),) = sql(server, f"SELECT count(DISTINCT user_pseudo_id), count(*) FROM events WHERE {in_range(span)}")
        assert [int(m.value) for m in totals[span[2]].metric_values] == [users, events]  # distinct users, not a sum
        mine = [[int(x) for x in m] for d, m in rows(response) if d[1] == span[2]]
        maximum = next(r for r in response.maximums if r.dimension_values[1].value == span[2])
        minimum = next(r for r in response.minimums if r.dimension_values[1].value == span[2])
        assert maximum.dimension_values[0].value == "RESERVED_MAX"
        assert [int(m.value) for m in maximum.metric_values] == [max(c) for c in zip(*mine)]
        assert [int(m.value) for m in minimum.metric_values] == [min(c) for c in zip(*mine)]


# -- date ranges -------------------------------------------------------------------------------


def test_relative_and_unnamed_date_ranges(server: SandboxServer, api: Clients):
    response = report(
        api,
        date_ranges=[beta.DateRange(start_date="7daysAgo", end_date="yesterday"), beta.DateRange(start_date="2026-10-01", end_date="2026-10-07")],
        metrics=mets("eventCount"),
    )
    assert [h.name for h in response.dimension_headers] == ["dateRange"]
    got = {d[0]: int(m[0]) for d, m in rows(response)}
    ((first_week,),) = sql(server, "SELECT count(*) FROM events WHERE event_date BETWEEN '20261001' AND '20261007'")
    assert got["date_range_1"] == first_week
    assert "date_range_0" not in got  # the last 7 days (real clock) hold no generated events


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([("2026-10-01", "2026-10-02", "")] * 5, "at most 4 date ranges"),
        ([("2026-10-05", "2026-10-01", "")], "after the end date"),
        ([("2026-13-01", "2026-10-01", "")], "is invalid: use YYYY-MM-DD"),
        ([("last week", "today", "")], "is invalid"),
        ([("2026-10-01", "2026-10-02", "date_range_9")], "must not begin with date_range_"),
        ([], "at least one date range"),
    ],
)
def test_bad_date_ranges_are_invalid_argument(api: Clients, ranges, message: str):
    with pytest.raises(gexc.InvalidArgument, match=message):
        report(api, date_ranges=[beta.DateRange(start_date=a, end_date=b, name=n) for a, b, n in ranges], metrics=mets("eventCount"))


def test_unknown_property_and_malformed_name(api: Clients):
    with pytest.raises(gexc.NotFound, match="properties/999"):
        api.beta.run_report(beta.RunReportRequest(property="properties/999", date_ranges=[date_range(beta, CURRENT)], metrics=mets("eventCount")))
    with pytest.raises(gexc.InvalidArgument, match="malformed"):
        api.beta.run_report(beta.RunReportRequest(property="424242", date_ranges=[date_range(beta, CURRENT)], metrics=mets("eventCount")))


# -- batches -----------------------------------------------------------------------------------


def inner(*metrics: str, prop: str = "") -> beta.RunReportRequest:
    return beta.RunReportRequest(property=prop, date_ranges=[date_range(beta, CURRENT)], metrics=mets(*metrics), return_property_quota=True)


def test_batch_of_five_reports_each_with_its_quota(server: SandboxServer, api: Clients):
    requests = [inner("eventCount"), inner("totalUsers", prop=PROP), inner("sessions"), inner("eventValue"), inner("newUsers")]
    response = api.beta.batch_run_reports(beta.BatchRunReportsRequest(property=PROP, requests=requests))
    assert response.kind == "analyticsData#batchRunReports"
    assert len(response.reports) == 5
    single = report(api, metrics=mets("totalUsers"))
    assert rows(response.reports[1]) == rows(single)
    remaining = [r.property_quota.tokens_per_day.remaining for r in response.reports]
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == 5  # counted down per report
    assert all(r.property_quota.tokens_per_day.consumed == 1 for r in response.reports)


def test_batch_limits_and_inner_properties(api: Clients):
    with pytest.raises(gexc.InvalidArgument, match="at most 5 requests"):
        api.beta.batch_run_reports(beta.BatchRunReportsRequest(property=PROP, requests=[inner("eventCount")] * 6))
    with pytest.raises(gexc.InvalidArgument, match="must be empty or equal"):
        api.beta.batch_run_reports(beta.BatchRunReportsRequest(property=PROP, requests=[inner("eventCount", prop="properties/1")]))
    with pytest.raises(gexc.InvalidArgument, match=r"requests\[1\].*at most 10 metrics"):
        api.beta.batch_run_reports(
            beta.BatchRunReportsRequest(property=PROP, requests=[inner("eventCount"), inner(*["eventCount"] * 11)])
        )


# -- metadata ----------------------------------------------------------------------------------


def test_metadata_lists_what_reports_support_and_the_property_definitions(server: SandboxServer, api: Clients):
    metadata = api.beta.get_metadata(beta.GetMetadataRequest(name=f"{PROP}/metadata"))
    dimensions = {d.api_name: d for d in metadata.dimensions}
    metrics = {m.api_name: m for m in metadata.metrics}
    assert {"eventName", "date", "deviceCategory", "country", "sessionDefaultChannelGroup", "sessionSource"} <= set(dimensions)
    assert {"eventCount", "totalUsers", "activeUsers", "sessions", "eventValue", "keyEvents", "purchaseRevenue"} <= set(metrics)
    custom = {name for name, d in dimensions.items() if d.custom_definition}
    assert custom == {
        "customEvent:form_id",
        "customEvent:content_type",
        "customEvent:search_term",
        "customUser:customer_tier",
        "customItem:item_color",
    }
    assert dimensions["customEvent:form_id"].ui_name == "Form ID"
    assert metrics["customEvent:cart_value"].custom_definition and metrics["customEvent:cart_value"].type_.name == "TYPE_CURRENCY"
    assert {"keyEvents:purchase", "keyEvents:sign_up", "keyEvents:add_to_cart"} <= set(metrics)
    # Every standard dimension and metric listed can be reported.
    standard_dims = [n for n, d in dimensions.items() if not d.custom_definition]
    report(api, dimensions=dims(*standard_dims[:9]), metrics=mets(*[n for n in metrics][:10]), limit=1)

    universal = api.beta.get_metadata(beta.GetMetadataRequest(name="properties/0/metadata"))
    assert not any(d.custom_definition for d in universal.dimensions)
    assert not any(m.api_name.startswith(("customEvent:", "keyEvents:")) for m in universal.metrics)
    with pytest.raises(gexc.InvalidArgument, match="malformed"):
        api.beta.get_metadata(beta.GetMetadataRequest(name=PROP))
    with pytest.raises(gexc.NotFound):
        api.beta.get_metadata(beta.GetMetadataRequest(name="properties/31337/metadata"))


def test_v1alpha_run_report_metadata_and_quota_snapshot(server: SandboxServer, api: Clients):
    response = api.alpha.run_report(
        alpha.RunReportRequest(
            property=PROP, date_ranges=[date_range(alpha, CURRENT)], dimensions=[alpha.Dimension(name="eventName")],
            metrics=[alpha.Metric(name="eventCount")], return_property_quota=True,
        )
    )
    assert by_event(response) == by_event(report(api, dimensions=dims("eventName"), metrics=mets("eventCount")))
    assert response.property_quota.tokens_per_hour.consumed >= 1
    names = {d.api_name for d in api.alpha.get_metadata(alpha.GetMetadataRequest(name=f"{PROP}/metadata")).dimensions}
    assert "customEvent:form_id" in names
    snapshot = api.alpha.get_property_quotas_snapshot(alpha.GetPropertyQuotasSnapshotRequest(name=f"{PROP}/propertyQuotasSnapshot"))
    assert 0 < snapshot.core_property_quota.tokens_per_day.remaining < 200_000
    assert snapshot.funnel_property_quota.tokens_per_hour.remaining <= 40_000


# -- quota -------------------------------------------------------------------------------------


def test_quota_only_when_asked_and_exhaustion(tmp_path: Path, server: SandboxServer):
    """A second server on the same events with a 5-token hourly quota."""
    with clients(server.address or "") as api:
        plain = report(api, metrics=mets("eventCount"))
        assert "property_quota" not in plain
    small = SandboxServer(tmp_path / "small", data_quota={"tokens_per_hour": 5})
    small.store.ensure_property(P)
    assert small.data is not None
    small.data.events.generate(P, date(2026, 10, 22), date(2026, 10, 22), users=50, seed=1)
    small.start()
    try:
        with clients(small.address or "") as api:
            left = []
            for _ in range(5):
                response = report(api, metrics=mets("eventCount"), return_property_quota=True)
                q = response.property_quota
                assert q.tokens_per_hour.consumed == 1
                left.append(q.tokens_per_hour.remaining)
                assert q.tokens_per_day.remaining == 200_000 - (5 - q.tokens_per_hour.remaining)
            assert left == [4, 3, 2, 1, 0]
            with pytest.raises(gexc.ResourceExhausted, match="Exhausted property tokens per hour"):
                report(api, metrics=mets("eventCount"))
            # The funnel bucket is separate.
            funnel = api.alpha.run_funnel_report(
                alpha.RunFunnelReportRequest(
                    property=PROP,
                    date_ranges=[alpha.DateRange(start_date="2026-10-22", end_date="2026-10-22")],
                    funnel=alpha.Funnel(steps=[alpha.FunnelStep(name="v", filter_expression=alpha.FunnelFilterExpression(
                        funnel_event_filter=alpha.FunnelEventFilter(event_name="page_view")))]),
                    return_property_quota=True,
                )
            )
            assert funnel.property_quota.tokens_per_hour.consumed == 2
            with pytest.raises(gexc.InvalidArgument):  # invalid requests are refused before the quota
                report(api, metrics=mets("nope"))
    finally:
        small.stop()


def test_requests_admitted_together_cannot_overspend_the_bucket() -> None:
    """Admission reserves a request's least cost in the same step as the check: requests in
    flight together are admitted only while the bucket has tokens for them (GA4 charges
    atomically; the sandbox used to admit all of them and charge after)."""
    import contextlib

    from ga_goals.sandbox.data_quota import DataQuota

    quota = DataQuota({"tokens_per_hour": 12, "concurrent_requests": 100}, clock=lambda: 1_800_000_000.0)
    admitted = []
    with contextlib.ExitStack() as in_flight:
        for _ in range(30):
            try:
                admitted.append(in_flight.enter_context(quota.request(P, "core", "STANDARD")))
            except Exception as exc:  # noqa: BLE001 - the SandboxError a server turns into RESOURCE_EXHAUSTED
                assert "Exhausted property tokens per hour" in str(exc)
        assert len(admitted) == 12
        states = [charge(1) for charge in admitted]
    assert states[-1].tokens_per_hour.remaining == 0
    # a request that fails before it is charged gives its reservation back
    quota = DataQuota({"tokens_per_hour": 1}, clock=lambda: 1_800_000_000.0)
    with pytest.raises(RuntimeError), quota.request(P, "core", "STANDARD"):
        raise RuntimeError("refused before the work")
    with quota.request(P, "core", "STANDARD") as charge:
        assert charge(1).tokens_per_hour.remaining == 0


def test_concurrent_real_calls_spend_no_more_than_the_quota(tmp_path: Path) -> None:
    """Thirty RunReport calls at once through the real client against tokens_per_hour=12: twelve
    answers (one token each), the rest RESOURCE_EXHAUSTED; nothing overspent."""
    from concurrent.futures import ThreadPoolExecutor

    small = SandboxServer(tmp_path / "small", data_quota={"tokens_per_hour": 12, "concurrent_requests": 100})
    small.store.ensure_property(P)
    assert small.data is not None
    small.data.events.generate(P, date(2026, 10, 22), date(2026, 10, 22), users=50, seed=1)
    small.start()
    try:
        with clients(small.address or "") as api:
            report(api, metrics=mets("eventCount"))  # opens the events file: the rest run together

            def one(_: int) -> int | None:
                try:
                    response = report(api, metrics=mets("eventCount"), return_property_quota=True)
                except gexc.ResourceExhausted:
                    return None
                return response.property_quota.tokens_per_hour.consumed

            with ThreadPoolExecutor(max_workers=30) as pool:
                spent = [c for c in pool.map(one, range(30)) if c is not None]
            snapshot = api.alpha.get_property_quotas_snapshot(name=f"{PROP}/propertyQuotasSnapshot")
    finally:
        small.stop()
    assert sum(spent) + 1 <= 12
    assert len(spent) == 11  # every token the first call left
    assert snapshot.core_property_quota.tokens_per_hour.remaining == 0


# -- event create rules --------------------------------------------------------------------------


def test_event_create_rules_create_events_in_reports_and_funnels(server: SandboxServer, api: Clients):
    """The shop plan's `use_filter` (select_content with content_type = filter, parameters copied,
    a constant and a copied parameter set) as the sandbox reads it."""
    admin = AdminBackend(server.store)
    stream = server.store.load(P)["data_streams"][0]["name"]
    rule = admin.create(
        "event_create_rules",
        stream,
        {
            "destination_event": "use_filter",
            "event_conditions": [
                {"field": "event_name", "comparison_type": "EQUALS", "value": "select_content"},
                {"field": "content_type", "comparison_type": "EQUALS_CASE_INSENSITIVE", "value": "FILTER"},
            ],
            "source_copy_parameters": True,
            "parameter_mutations": [
                {"parameter": "method", "parameter_value": "list_filter"},
                {"parameter": "origin", "parameter_value": "[[content_type]]"},
            ],
        },
    )
    not_banner = admin.create(
        "event_create_rules",
        stream,
        {
            "destination_event": "big_cart",
            "event_conditions": [
                {"field": "event_name", "comparison_type": "EQUALS", "value": "begin_checkout"},
                {"field": "cart_value", "comparison_type": "GREATER_THAN", "value": "100"},
            ],
        },
    )
    try:
        response = report(
            api,
            dimensions=dims("eventName", "customEvent:content_type"),
            metrics=mets("eventCount", "totalUsers"),
            dimension_filter=beta.FilterExpression(
                filter=beta.Filter(field_name="eventName", in_list_filter=beta.Filter.InListFilter(values=["use_filter", "big_cart"]))
            ),
        )
        got = {tuple(d): [int(x) for x in m] for d, m in rows(response)}
        ((filters, filter_users),) = sql(
            server,
            f"SELECT count(*), count(DISTINCT user_pseudo_id) FROM events t WHERE {in_range(CURRENT)} "
            f"AND event_name = 'select_content' AND {param('content_type')} = 'filter'",
        )
        ((big,),) = sql(
            server,
            f"SELECT count(*) FROM events t WHERE {in_range(CURRENT)} AND event_name = 'begin_checkout' "
            f"AND {param('cart_value', 'number')} > 100",
        )
        assert got[("use_filter", "filter")] == [filters, filter_users] and filters > 0
        assert got[("big_cart", "(not set)")][0] == big > 0  # no parameters copied
        # The mutations: a constant and a copy, seen by a funnel's parameter filters.
        step = alpha.FunnelStep(
            name="filtered",
            filter_expression=alpha.FunnelFilterExpression(
                funnel_event_filter=alpha.FunnelEventFilter(
                    event_name="use_filter",
                    funnel_parameter_filter_expression=alpha.FunnelParameterFilterExpression(
                        and_group=alpha.FunnelParameterFilterExpressionList(
                            expressions=[
                                alpha.FunnelParameterFilterExpression(
                                    funnel_parameter_filter=alpha.FunnelParameterFilter(
                                        event_parameter_name=name, string_filter=alpha.StringFilter(value=value)
                                    )
                                )
                                for name, value in (("method", "list_filter"), ("origin", "filter"), ("content_type", "filter"))
                            ]
                        )
                    ),
                )
            ),
        )
        funnel = api.alpha.run_funnel_report(
            alpha.RunFunnelReportRequest(property=PROP, date_ranges=[date_range(alpha, CURRENT)], funnel=alpha.Funnel(steps=[step]))
        )
        assert rows(funnel.funnel_table)[0][1][0] == str(filter_users)
    finally:
        admin.delete("event_create_rules", rule["name"])
        admin.delete("event_create_rules", not_banner["name"])
    assert not rows(report(api, dimensions=dims("eventName"), metrics=mets("eventCount"), dimension_filter=string_filter("eventName", "use_filter")))


def test_quota_overrides_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from ga_goals.sandbox.data_quota import DataQuota, QuotaConfigError

    monkeypatch.setenv("GA_GOALS_SANDBOX_DATA_QUOTA", "tokens_per_hour=20, tokens_per_day=100")
    limits = DataQuota().limits("GOOGLE_ANALYTICS_360")
    assert (limits.tokens_per_hour, limits.tokens_per_day, limits.tokens_per_project_per_hour) == (20, 100, 20)
    assert DataQuota({}).limits("GOOGLE_ANALYTICS_360").tokens_per_day == 2_000_000
    monkeypatch.setenv("GA_GOALS_SANDBOX_DATA_QUOTA", "tokens=5")
    with pytest.raises(QuotaConfigError, match="is not NAME=NUMBER"):
        SandboxServer(tmp_path / "bad")
