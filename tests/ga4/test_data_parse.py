"""Data API response parsers, on the real responses in tests/data/ga4/ and on GA4-shaped variants."""

from __future__ import annotations

import json

import pytest
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta

from ga_goals.funnels.result import step_metrics
from ga_goals.ga4.data import QuotaUsage, StepValues, parse_funnel_table, parse_report, split_step_name
from ga_goals.reports import derive
from tests.conftest import GA4_DATA as DATA  # copies of tests/data/ga4/

LIVE_FUNNEL = DATA / "run-funnel-report.live.response.json"
DOCS_REPORT = DATA / "run-report.docs-example.response.json"
#: The live funnel requested four steps; the fourth had no users and is absent from the rows.
LIVE_STEPS = ["Viewed a paid item", "Submitted checkout", "Redirected to payment/order", "Paid"]


def live_funnel() -> alpha.RunFunnelReportResponse:
    return alpha.RunFunnelReportResponse.from_json(LIVE_FUNNEL.read_text(), ignore_unknown_fields=True)


def docs_report() -> beta.RunReportResponse:
    return beta.RunReportResponse.from_json(DOCS_REPORT.read_text(), ignore_unknown_fields=True)


def test_the_real_responses_are_there():
    assert LIVE_FUNNEL.is_file() and DOCS_REPORT.is_file()


def test_live_funnel_response_gives_the_right_numbers():
    table = parse_funnel_table(live_funnel(), step_names=LIVE_STEPS)
    steps = table.steps()
    assert [s.users for s in steps] == [7, 2, 2, 0]
    assert steps[0] == StepValues(7, pytest.approx(2 / 7), 5, pytest.approx(5 / 7))
    assert steps[1] == StepValues(2, 1.0, 0, 0.0)
    assert steps[2] == StepValues(2, 0.0, 2, 1.0)  # the step before the empty one: nobody went on
    assert steps[3] == StepValues.zero()  # absent from the rows: zeros
    assert all(isinstance(s.completion_rate, float) for s in steps)  # typed TYPE_INTEGER, read as floats
    assert table.breakdown is None and table.segments == () and table.date_ranges == ()


def test_live_funnel_without_step_names_has_the_reported_steps():
    table = parse_funnel_table(live_funnel())
    assert table.step_names == ("Viewed a paid item", "Submitted checkout", "Redirected to payment/order")
    assert table.users() == [7, 2, 2]


def test_live_funnel_rates_agree_with_the_shared_derivation():
    """GA4's rates equal the funnel engine's rule fed GA4's users and abandonments."""
    steps = parse_funnel_table(live_funnel(), step_names=LIVE_STEPS).steps()
    users = [s.users for s in steps]
    figures = derive.step_figures(LIVE_STEPS, users, [s.abandonments for s in steps])
    engine = step_metrics(LIVE_STEPS, users)  # closed funnel: continued = next step's users
    for got, want, api in zip(figures, engine, steps):
        assert got == want
        if api.users:
            assert (got.completion_rate, got.abandonments, got.abandonment_rate) == pytest.approx(
                (api.completion_rate, api.abandonments, api.abandonment_rate)
            )
    assert derive.overall_conversion(users) == 0.0


def test_metrics_are_found_by_header_name_not_position():
    """Shuffle the (duplicated) metric headers and each row's values the same way: same result."""
    raw = json.loads(LIVE_FUNNEL.read_text())
    order = [2, 0, 3, 1]
    table = raw["funnelTable"]
    table["metricHeaders"] = [table["metricHeaders"][i] for i in order] * 2
    for row in table["rows"]:
        row["metricValues"] = [row["metricValues"][i] for i in order]
    shuffled = alpha.RunFunnelReportResponse.from_json(json.dumps(raw), ignore_unknown_fields=True)
    assert parse_funnel_table(shuffled, step_names=LIVE_STEPS).steps() == parse_funnel_table(live_funnel(), step_names=LIVE_STEPS).steps()


def test_docs_example_run_report():
    table = parse_report(docs_report())
    assert table.dimensions == ("country",) and table.metrics == ("activeUsers",)
    assert table.lookup(country="Japan") == {"activeUsers": 2541.0}
    assert table.lookup(country="France") == {"activeUsers": 12.0}
    assert table.lookup(country="Peru") == {"activeUsers": 0.0}  # absent row: zeros


@pytest.mark.parametrize(
    "label, expected",
    [
        ("1. View item", (1, "View item")),
        ("10. a. b", (10, "a. b")),
        ("3. ", (3, "")),
        ("View item", (None, "View item")),
        ("1.View", (None, "1.View")),
    ],
)
def test_split_step_name(label, expected):
    assert split_step_name(label) == expected


def _funnel_response(dims, rows, *, metric_headers=None):
    metrics = metric_headers or ["activeUsers", "funnelStepCompletionRate", "funnelStepAbandonments", "funnelStepAbandonmentRate"]
    return alpha.RunFunnelReportResponse(
        funnel_table=alpha.FunnelSubReport(
            dimension_headers=[alpha.DimensionHeader(name=d) for d in dims],
            metric_headers=[alpha.MetricHeader(name=m, type_=alpha.MetricType.TYPE_INTEGER) for m in metrics],
            rows=[
                alpha.Row(
                    dimension_values=[alpha.DimensionValue(value=v) for v in dvals],
                    metric_values=[alpha.MetricValue(value=v) for v in mvals],
                )
                for dvals, mvals in rows
            ],
        )
    )


def test_breakdown_segments_and_date_ranges():
    rows = []
    for rng, factor in (("date_range_0", 2), ("date_range_1", 1)):
        for seg in ("add_to_cart", "sign_up"):
            for value in ("RESERVED_TOTAL", "mobile", "<script>alert(1)</script>"):
                users = 10 * factor if value == "RESERVED_TOTAL" else 5 * factor
                rows.append((["1. Start", seg, value, rng], [str(users), "0.5", str(users // 2), "0.5"]))
                rows.append((["2. End", seg, value, rng], [str(users // 2), "1", "0", "0"]))
    response = _funnel_response(["funnelStepName", "segment", "deviceCategory", "dateRange"], rows)
    table = parse_funnel_table(response, step_names=["Start", "End"], date_ranges=["current", "previous"], breakdown="deviceCategory")
    assert table.date_ranges == ("current", "previous")
    assert table.segments == ("add_to_cart", "sign_up")
    assert table.breakdown == "deviceCategory"
    assert table.breakdown_values == ("mobile", "<script>alert(1)</script>")
    assert table.users("current", "sign_up") == [20, 10]  # RESERVED_TOTAL = the totals row
    assert table.users("previous", "sign_up", "mobile") == [5, 2]
    assert table.users("current", "sign_up", "<script>alert(1)</script>") == [10, 5]
    assert table.users("current", "nobody") == [0, 0]


def test_named_date_ranges_and_a_single_range():
    named = _funnel_response(["dateRange", "funnelStepName"], [(["previous", "1. A"], ["3", "0", "3", "1"]), (["current", "1. A"], ["4", "0", "4", "1"])])
    table = parse_funnel_table(named, step_names=["A", "B"], date_ranges=["current", "previous"])
    assert table.users("current") == [4, 0] and table.users("previous") == [3, 0]
    single = _funnel_response(["funnelStepName"], [(["1. A"], ["4", "0.5", "2", "0.5"]), (["2. B"], ["2", "1", "0", "0"])])
    table = parse_funnel_table(single, step_names=["A", "B"], date_ranges=["current"])
    assert table.date_ranges == ("current",) and table.users("current") == [4, 2] and table.users() == [4, 2]


def test_a_breakdown_without_totals_rows_is_summed():
    response = _funnel_response(
        ["funnelStepName", "deviceCategory"],
        [(["1. A", "mobile"], ["4", "0.5", "2", "0.5"]), (["1. A", "desktop"], ["6", "0.5", "3", "0.5"])],
    )
    table = parse_funnel_table(response, step_names=["A", "B"])
    assert table.users() == [10, 0]
    assert table.steps()[0].abandonments == 5


def test_missing_step_column_is_an_error():
    from ga_goals.errors import GaGoalsError

    with pytest.raises(GaGoalsError, match="funnelStepName"):
        parse_funnel_table(_funnel_response(["eventName"], []))


def test_run_report_with_two_date_ranges():
    response = beta.RunReportResponse(
        dimension_headers=[beta.DimensionHeader(name="eventName"), beta.DimensionHeader(name="dateRange")],
        metric_headers=[beta.MetricHeader(name=m) for m in ("eventCount", "totalUsers", "eventValue")],
        rows=[
            beta.Row(dimension_values=[beta.DimensionValue(value="purchase"), beta.DimensionValue(value="date_range_1")],
                     metric_values=[beta.MetricValue(value=v) for v in ("40", "30", "1234.5")]),
            beta.Row(dimension_values=[beta.DimensionValue(value="purchase"), beta.DimensionValue(value="date_range_0")],
                     metric_values=[beta.MetricValue(value=v) for v in ("50", "35", "2000")]),
        ],
    )
    table = parse_report(response, date_ranges=["current", "previous"])
    assert table.lookup(eventName="purchase", dateRange="current") == {"eventCount": 50, "totalUsers": 35, "eventValue": 2000}
    assert table.lookup(eventName="purchase", dateRange="previous")["eventValue"] == 1234.5
    assert table.lookup(eventName="sign_up", dateRange="current")["eventCount"] == 0


def test_quota_usage_sums_tokens_per_category():
    quota = QuotaUsage()
    response = alpha.RunFunnelReportResponse(
        property_quota=alpha.PropertyQuota(
            tokens_per_day=alpha.QuotaStatus(consumed=12, remaining=199000),
            tokens_per_hour=alpha.QuotaStatus(consumed=12, remaining=39000),
        )
    )
    quota.add("funnel", response)
    quota.add("funnel", response)
    quota.add("core", beta.RunReportResponse(property_quota=beta.PropertyQuota(tokens_per_hour=beta.QuotaStatus(consumed=3))))
    quota.add("core", live_funnel())  # no property_quota in it
    assert (quota.funnel_tokens, quota.core_tokens, quota.tokens) == (24, 3, 27)
    assert quota.funnel_remaining_per_day == 199000 and quota.funnel_remaining_per_hour == 39000
    assert quota.core_remaining_per_day is None
    assert quota.responses_without_quota == 1
