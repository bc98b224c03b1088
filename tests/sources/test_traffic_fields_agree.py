"""The funnel-usable traffic fields (the session manual campaign fields, ``sessionCampaignId``,
``sessionSourcePlatform``, the manual first-user source, medium and campaign, ``newVsReturning``)
give the same funnels on every engine: DuckDB (both plans), the Python reference of
ga_goals.funnels.semantics, BigQuery SQL through the real BigQuery client, and the sandbox's
RunFunnelReport through the real Data API client; as breakdowns (rule 8) and in step conditions
(rule 3b), on the real GA4 export rows and on generated shop traffic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from google.analytics import data_v1alpha as alpha

from ga_goals.bigquery.query import Query
from ga_goals.bigquery.runner import BigQueryRunner
from ga_goals.events import EventStore
from ga_goals.events.generator import generate
from ga_goals.funnels import FunnelResult, reference_detail, run_funnel
from ga_goals.funnels.semantics import (
    NEW_VS_RETURNING,
    SESSION_DIMENSIONS,
    dimension_value,
    session_sources,
    user_progress,
)
from ga_goals.funnels.sql import BREAKDOWN_DIMENSIONS, compile_funnel, result_from_rows
from ga_goals.model.tracking_plan import AllOf, DimensionFilter, EventMatch, Funnel, FunnelStep
from ga_goals.sandbox.bigquery import serve_bigquery
from ga_goals.sandbox.server import SandboxServer
from tests.conftest import GA4_DATA
from tests.funnels.engines import stored_events
from tests.sandbox.data_api_helpers import clients

DATASET = "ga-goals-test.analytics_100000003"
#: The fields this work made funnel-usable.
FIELDS = (
    *(name for name in SESSION_DIMENSIONS if name.startswith(("sessionManual", "sessionCampaignId", "sessionSourcePlatform"))),
    "firstUserManualSource",
    "firstUserManualMedium",
    "firstUserManualCampaignName",
    NEW_VS_RETURNING,
)
REAL = (date(2020, 11, 1), date(2021, 1, 31))
SHOP = (date(2026, 3, 2), date(2026, 3, 15))


def _step(event: str) -> FunnelStep:
    return FunnelStep(name=event, event=event)


BASE = Funnel("visits", "", (_step("session_start"), _step("page_view"), _step("user_engagement")))


def conditioned(field: str) -> Funnel:
    """Step 2 on the field: a page view whose value is set and contains an ``o`` or a ``1`` (campaign ids) or is ``new``."""
    return Funnel(
        f"on {field}",
        "",
        (
            _step("session_start"),
            FunnelStep(
                "page view",
                condition=AllOf(
                    (
                        EventMatch("page_view"),
                        DimensionFilter(field, "equals", "(not set)", negated=True),
                        DimensionFilter(field, "matches", ".*(o|1).*|new", case_sensitive=False),
                    )
                ),
            ),
            _step("user_engagement"),
        ),
    )


@dataclass
class Data:
    store: EventStore
    span: tuple[date, date]
    by_user: dict


@pytest.fixture(scope="module", params=["real", "shop"])
def data(request: pytest.FixtureRequest) -> Iterator[Data]:
    store = EventStore()
    if request.param == "real":
        store.load_jsonl(GA4_DATA / "export-sample-events.jsonl")
        span = REAL
    else:
        generate(store, *SHOP, users=400, seed=5)
        span = SHOP
    yield Data(store, span, stored_events(store, *span))
    store.close()


def reference_breakdown(by_user: dict, funnel: Funnel, field: str) -> dict[str, list[int]]:
    """Rule 8 in plain Python: users per step under the field's value on the entry event."""
    out: dict[str, list[int]] = {}
    for events in by_user.values():
        progress = user_progress(events, funnel)
        sessions = session_sources(events)
        value = progress.entry_value(lambda e: dimension_value(field, e, sessions))
        if value is None:
            continue
        users = out.setdefault(value, [0] * len(funnel.steps))
        for k, reached in enumerate(progress.reached):
            users[k] += reached
    return out


def _by_value(result: FunnelResult) -> dict[str, list[int]]:
    return {row.breakdown: list(row.users) for row in result.rows}


def test_the_fields_are_breakdowns_and_step_dimensions():
    from ga_goals.funnels.semantics import step_dimension_problem

    for field in FIELDS:
        assert field in BREAKDOWN_DIMENSIONS
        assert step_dimension_problem(field) is None


def test_only_a_funnel_on_session_fields_reads_the_traffic_source_columns():
    """A funnel without session dimensions reads no traffic-source column (on BigQuery every
    column read is billed); one with them reads every source field, which rule 8's order among
    simultaneous first events needs, and returns only those it shows."""
    for dialect, table in (("duckdb", "events"), ("bigquery", DATASET)):
        plain = compile_funnel(BASE, *SHOP, dialect=dialect, table=table).sql
        assert "traffic_source" not in plain
        by_source = compile_funnel(
            replace(BASE, breakdown="sessionSource"), *SHOP, breakdown="sessionSource", dialect=dialect, table=table
        ).sql
        assert "manual_content" in by_source  # read, for the order
        assert "'content': content" not in by_source and "content AS content" not in by_source  # not returned


@pytest.mark.parametrize("field", FIELDS)
def test_breakdowns_agree_with_the_reference(data: Data, field: str):
    funnel = replace(BASE, breakdown=field)
    result = run_funnel(data.store, funnel, *data.span, field)
    guarded = run_funnel(data.store, funnel, *data.span, field, guarded=True)
    assert (guarded.total, guarded.rows) == (result.total, result.rows)
    assert result.users[0] > 0
    assert _by_value(result) == reference_breakdown(data.by_user, funnel, field)


@pytest.mark.parametrize("field", FIELDS)
def test_step_conditions_agree_with_the_reference(data: Data, field: str):
    funnel = conditioned(field)
    result = run_funnel(data.store, funnel, *data.span)
    guarded = run_funnel(data.store, funnel, *data.span, guarded=True)
    assert guarded.total == result.total
    users, continued = reference_detail(data.by_user, funnel)
    assert (list(result.users), list(result.total.continued)) == (users, continued)


def test_the_shop_traffic_puts_users_through_the_conditions():
    """On generated traffic, each condition keeps some users and drops some (a real test of it)."""
    store = EventStore()
    try:
        generate(store, *SHOP, users=400, seed=5)
        for field in ("sessionManualAdContent", "sessionManualTerm", "sessionCampaignId"):
            result = run_funnel(store, conditioned(field), *SHOP)
            assert 0 < result.users[1] < result.users[0], field
        # Every user starts with a new session; some come back.
        returning = AllOf((EventMatch("page_view"), DimensionFilter(NEW_VS_RETURNING, "equals", "returning")))
        funnel = replace(BASE, steps=(BASE.steps[0], FunnelStep("page view", condition=returning), BASE.steps[2]))
        result = run_funnel(store, funnel, *SHOP)
        assert 0 < result.users[1] < result.users[0]
    finally:
        store.close()


def test_bigquery_sql_agrees(data: Data):
    with serve_bigquery(data.store.connection, DATASET) as bq:
        runner = BigQueryRunner(DATASET, endpoint=bq.endpoint)
        for field in FIELDS:
            for funnel, breakdown in ((replace(BASE, breakdown=field), field), (conditioned(field), None)):
                compiled = compile_funnel(funnel, *data.span, breakdown=breakdown, dialect="bigquery", table=DATASET)
                got = result_from_rows(funnel, *data.span, breakdown, runner.run(Query.of(compiled.query)).rows)
                expected = run_funnel(data.store, funnel, *data.span, breakdown)
                assert (got.total, got.rows) == (expected.total, expected.rows), (field, breakdown)


def test_the_sandbox_funnel_report_agrees(data: Data, tmp_path: Path):
    """RunFunnelReport with each field as the breakdown and in a step, through the real client."""
    rows_file = tmp_path / "rows.jsonl"
    data.store.connection.execute(
        f"COPY (SELECT * EXCLUDE (_row_hash) FROM events) TO '{rows_file}' (FORMAT json)"
    )
    server = SandboxServer(tmp_path / "sandbox")
    server.start()
    try:
        server.store.ensure_property("100000003")
        assert server.data is not None
        server.data.events.load("100000003", [rows_file], replace=True)
        with clients(server.address or "") as api:
            for field in FIELDS:
                funnel = replace(BASE, breakdown=field)
                expected = run_funnel(data.store, funnel, *data.span, field)
                response = api.alpha.run_funnel_report(_request(field, data.span, breakdown=True))
                got = _table_users(response.funnel_table, len(BASE.steps))
                assert got[None] == list(expected.users), field
                top = sorted(expected.rows, key=lambda r: (-r.users[0], r.breakdown))[:5]
                for row in top:
                    assert got[row.breakdown] == list(row.users), (field, row.breakdown)
                condition = run_funnel(data.store, conditioned(field), *data.span)
                response = api.alpha.run_funnel_report(_request(field, data.span, breakdown=False))
                assert _table_users(response.funnel_table, 3)[None] == list(condition.users), field
    finally:
        server.stop()


def _event(name: str) -> alpha.FunnelFilterExpression:
    return alpha.FunnelFilterExpression(funnel_event_filter=alpha.FunnelEventFilter(event_name=name))


def _request(field: str, span: tuple[date, date], *, breakdown: bool) -> alpha.RunFunnelReportRequest:
    if breakdown:
        steps = [alpha.FunnelStep(name=s.name, filter_expression=_event(s.name)) for s in BASE.steps]
    else:
        string = alpha.StringFilter
        on_field = alpha.FunnelFilterExpression(
            and_group=alpha.FunnelFilterExpressionList(
                expressions=[
                    _event("page_view"),
                    alpha.FunnelFilterExpression(
                        not_expression=alpha.FunnelFilterExpression(
                            funnel_field_filter=alpha.FunnelFieldFilter(
                                field_name=field,
                                string_filter=string(match_type=string.MatchType.EXACT, value="(not set)", case_sensitive=True),
                            )
                        )
                    ),
                    alpha.FunnelFilterExpression(
                        funnel_field_filter=alpha.FunnelFieldFilter(
                            field_name=field,
                            string_filter=string(match_type=string.MatchType.FULL_REGEXP, value=".*(o|1).*|new", case_sensitive=False),
                        )
                    ),
                ]
            )
        )
        steps = [
            alpha.FunnelStep(name="session_start", filter_expression=_event("session_start")),
            alpha.FunnelStep(name="page view", filter_expression=on_field),
            alpha.FunnelStep(name="user_engagement", filter_expression=_event("user_engagement")),
        ]
    request = alpha.RunFunnelReportRequest(
        property="properties/100000003",
        date_ranges=[alpha.DateRange(start_date=f"{span[0]:%Y-%m-%d}", end_date=f"{span[1]:%Y-%m-%d}")],
        funnel=alpha.Funnel(steps=steps),
    )
    if breakdown:
        request.funnel_breakdown = alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name=field), limit=15)
    return request


def _table_users(table: alpha.FunnelSubReport, steps: int) -> dict[str | None, list[int]]:
    """Users per step per breakdown value (None: the totals) of a funnel table."""
    headers = [h.name for h in table.dimension_headers]
    out: dict[str | None, list[int]] = {}
    for row in table.rows:
        values = dict(zip(headers, (v.value for v in row.dimension_values)))
        step = int(values["funnelStepName"].split(".", 1)[0]) - 1
        key = next((v for k, v in values.items() if k not in ("funnelStepName", "dateRange")), None)
        key = None if key == "RESERVED_TOTAL" else key
        out.setdefault(key, [0] * steps)[step] = int(float(row.metric_values[0].value))
    return out
