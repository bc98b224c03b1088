"""RunPivotReport and BatchRunPivotReports through the real client: every number is the RunReport
of the same fields (itself checked against DuckDB in test_data_api_reports.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc

from ga_goals.sandbox.server import SandboxServer
from tests.sandbox.data_api_helpers import CURRENT, PREVIOUS, PROP, Clients, clients, date_range, rows, start_shop_server

METRICS = ("activeUsers", "sessions")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    server: SandboxServer = start_shop_server(tmp_path_factory.mktemp("pivots") / "sandbox")
    try:
        with clients(server.address or "") as c:
            yield c
    finally:
        server.stop()


def pivot(*fields: str, limit: int = 10, **extra: object) -> beta.Pivot:
    return beta.Pivot(field_names=list(fields), limit=limit, **extra)


def pivot_request(dimensions: tuple[str, ...], pivots: list[beta.Pivot], ranges=(CURRENT,), **extra: object) -> beta.RunPivotReportRequest:
    return beta.RunPivotReportRequest(
        property=PROP,
        dimensions=[beta.Dimension(name=d) for d in dimensions],
        metrics=[beta.Metric(name=m) for m in METRICS],
        date_ranges=[date_range(beta, r) for r in ranges],
        pivots=pivots,
        **extra,
    )


def run_report(api: Clients, dimensions: tuple[str, ...], **extra: object) -> dict[tuple[str, ...], list[str]]:
    response = api.beta.run_report(
        beta.RunReportRequest(
            property=PROP,
            dimensions=[beta.Dimension(name=d) for d in dimensions],
            metrics=[beta.Metric(name=m) for m in METRICS],
            date_ranges=[date_range(beta, CURRENT)],
            **extra,
        )
    )
    if "metric_aggregations" in extra:
        return {("RESERVED_TOTAL",): [m.value for m in response.totals[0].metric_values]}
    return {tuple(d): m for d, m in rows(response)}


def headers(response: beta.RunPivotReportResponse) -> list[list[tuple[str, ...]]]:
    return [[tuple(v.value for v in h.dimension_values) for h in ph.pivot_dimension_headers] for ph in response.pivot_headers]


def test_pivot_cells_and_columns_are_the_run_report_numbers(api: Clients):
    response = api.beta.run_pivot_report(
        pivot_request(("country", "deviceCategory"), [pivot("country", limit=3), pivot("deviceCategory", limit=2)])
    )
    flat = run_report(api, ("country", "deviceCategory"))
    by_country = run_report(api, ("country",))
    by_device = run_report(api, ("deviceCategory",))
    countries, devices = headers(response)
    # Each pivot's columns: its values ordered by the first metric over the whole report, then limited.
    assert countries == sorted(by_country, key=lambda k: -int(by_country[k][0]))[:3]
    assert devices == sorted(by_device, key=lambda k: -int(by_device[k][0]))[:2]
    assert [ph.row_count for ph in response.pivot_headers] == [len(by_country), len(by_device)]
    assert [h.name for h in response.dimension_headers] == ["country", "deviceCategory"]
    assert [(h.name, h.type_.name) for h in response.metric_headers] == [("activeUsers", "TYPE_INTEGER"), ("sessions", "TYPE_INTEGER")]
    cells = {tuple(d): m for d, m in rows(response)}
    assert cells == {(c, d): flat[(c, d)] for (c,) in countries for (d,) in devices if (c, d) in flat}
    assert [tuple(d) for d, _m in rows(response)] == [(c, d) for (c,) in countries for (d,) in devices if (c, d) in flat]


def test_pivot_order_offset_and_aggregates(api: Clients):
    by_device = run_report(api, ("deviceCategory",))
    response = api.beta.run_pivot_report(
        pivot_request(
            ("deviceCategory",),
            [
                pivot(
                    "deviceCategory",
                    limit=10,
                    offset=1,
                    order_bys=[beta.OrderBy(dimension=beta.OrderBy.DimensionOrderBy(dimension_name="deviceCategory"), desc=True)],
                    metric_aggregations=["TOTAL", "MINIMUM", "MAXIMUM"],
                )
            ],
        )
    )
    assert headers(response) == [sorted(by_device, reverse=True)[1:]]
    shown = [by_device[k] for k in sorted(by_device, reverse=True)[1:]]
    aggregates = {d[0]: m for d, m in rows(type("R", (), {"rows": response.aggregates}))}
    assert aggregates["RESERVED_MIN"] == [min(col, key=int) for col in zip(*shown)]
    assert aggregates["RESERVED_MAX"] == [max(col, key=int) for col in zip(*shown)]
    # TOTAL counts users once over the pivot's columns (not the sum of the columns' users).
    selected = [k[0] for k in sorted(by_device, reverse=True)[1:]]
    only_selected = beta.FilterExpression(
        filter=beta.Filter(field_name="deviceCategory", in_list_filter=beta.Filter.InListFilter(values=selected, case_sensitive=True))
    )
    total = run_report(api, (), metric_aggregations=["TOTAL"], dimension_filter=only_selected)
    assert aggregates["RESERVED_TOTAL"] == total[("RESERVED_TOTAL",)]


def test_several_date_ranges_pivot_on_date_range(api: Clients):
    response = api.beta.run_pivot_report(
        pivot_request(("deviceCategory",), [pivot("deviceCategory"), pivot("dateRange")], ranges=(CURRENT, PREVIOUS))
    )
    assert [h.name for h in response.dimension_headers] == ["deviceCategory", "dateRange"]
    assert sorted(headers(response)[1]) == [("current",), ("previous",)]
    current = run_report(api, ("deviceCategory",))
    assert {d[0]: m for d, m in rows(response) if d[1] == "current"} == {k[0]: v for k, v in current.items()}


def test_batch_run_pivot_reports_equals_single_reports(api: Clients):
    one = pivot_request(("country",), [pivot("country", limit=4)])
    two = pivot_request(("deviceCategory",), [pivot("deviceCategory", limit=2)])
    batch = api.beta.batch_run_pivot_reports(
        beta.BatchRunPivotReportsRequest(property=PROP, requests=[beta.RunPivotReportRequest(one, property=""), two])
    )
    assert batch.kind == "analyticsData#batchRunPivotReports"
    assert [rows(r) for r in batch.pivot_reports] == [rows(api.beta.run_pivot_report(r)) for r in (one, two)]


@pytest.mark.parametrize(
    ("dimensions", "pivots", "error", "message"),
    [
        (("country",), [], gexc.InvalidArgument, "at least one pivot"),
        (("country",), [pivot("country", limit=0)], gexc.InvalidArgument, "limit is required"),
        (("country",), [pivot("browser")], gexc.InvalidArgument, "browser is not one of the request's dimensions"),
        (("country", "browser"), [pivot("country")], gexc.InvalidArgument, "browser is in no pivot"),
        (("country",), [pivot("country"), pivot("country")], gexc.InvalidArgument, "already in pivots\\[0\\]"),
        (("country",), [pivot("country", limit=1000), pivot(limit=1000)], gexc.InvalidArgument, "needs at least one dimension"),
        (("country", "city"), [pivot("country", limit=1000), pivot("city", limit=1000)], gexc.InvalidArgument, "must not exceed 250000"),
        (("conversions",), [pivot("conversions")], gexc.InvalidArgument, "Did you mean"),
        (
            ("country",),
            [pivot("country", order_bys=[beta.OrderBy(pivot=beta.OrderBy.PivotOrderBy(metric_name="sessions"))])],
            gexc.MethodNotImplemented,
            "another pivot's column",
        ),
    ],
)
def test_pivot_refusals(api: Clients, dimensions, pivots, error, message):
    with pytest.raises(error, match=message):
        api.beta.run_pivot_report(pivot_request(dimensions, pivots))
