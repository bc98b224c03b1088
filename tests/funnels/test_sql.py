"""The SQL compiler: DuckDB and BigQuery text, breakdown dimensions, limits, running over real export rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ga_goals.events import EventStore
from ga_goals.funnels import BREAKDOWN_DIMENSIONS, compile_funnel, run_funnel
from ga_goals.plan_file import load_plan

from tests.conftest import GA4_DATA

from .engines import DAY, ev, funnel, run_both, step, stored_events

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = GA4_DATA / "export-sample-events.jsonl"


@pytest.fixture(scope="module")
def plan():
    return load_plan(ROOT / "configs" / "shop.yaml")


@pytest.fixture(scope="module")
def real() -> EventStore:
    store = EventStore()
    store.load_jsonl(SAMPLE)
    yield store
    store.close()


def test_bigquery_sql_reads_the_daily_tables(plan):
    sql = compile_funnel(
        plan.funnels["checkout"],
        date(2024, 3, 4),
        date(2024, 3, 10),
        dialect="bigquery",
        table="my-project.analytics_123456",
    ).sql
    compiled = compile_funnel(
        plan.funnels["checkout"],
        date(2024, 3, 4),
        date(2024, 3, 10),
        dialect="bigquery",
        table="my-project.analytics_123456",
    )
    assert "FROM `my-project.analytics_123456.events_*` WHERE _TABLE_SUFFIX BETWEEN @p" in sql
    assert "UNNEST(t.event_params)" in sql and "list_filter" not in sql
    assert "TO_JSON_STRING" not in sql  # no column is read whole for ordering
    values = {p.value: p.type for p in compiled.parameters if not isinstance(p.value, list)}
    # every value of the plan is a parameter, never pasted into the SQL
    assert values["20240304"] == values["20240310"] == "STRING"
    assert values[3600000000] == values[1800000000] == "INT64"  # within 1h, 30m in microseconds
    assert values["purchase"] == "STRING" and "'purchase'" not in sql and "3600000000" not in sql
    assert values[0.0] == "FLOAT64"  # the value > 0 filter
    with pytest.raises(ValueError, match="project.dataset"):
        compile_funnel(plan.funnels["checkout"], DAY, DAY, dialect="bigquery")
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        compile_funnel(plan.funnels["checkout"], DAY, DAY, dialect="postgres")  # type: ignore[arg-type]


def test_bigquery_sql_parses(plan):
    import sqlglot
    direct = funnel("a", step("b", direct=True, within=5), open=False)
    flt = plan.funnels["checkout"]
    cases = [
        (f, bd)
        for f in (*plan.funnels.values(), direct)
        for bd in (
            None,
            "deviceCategory",
            "sessionDefaultChannelGroup",
            "firstUserDefaultChannelGroup",
            "customEvent:form_id",
            "customUser:customer_tier",
        )
    ]
    cases.append((replace(flt, steps=flt.steps[:1]), None))
    for f, breakdown in cases:
        sql = compile_funnel(f, DAY, DAY, dialect="bigquery", table="p.d", breakdown=breakdown).sql
        parsed = sqlglot.parse_one(sql, read="bigquery")
        assert parsed is not None
        # and it survives a round trip through sqlglot's BigQuery generator
        sqlglot.parse_one(parsed.sql(dialect="bigquery"), read="bigquery")


def test_duckdb_sql_is_what_run_funnel_runs(plan):
    store = EventStore()
    try:
        compiled = compile_funnel(plan.funnels["checkout"], DAY, DAY, breakdown="deviceCategory")
        rows = store.connection.execute(compiled.sql).fetchall()
        assert rows == []  # nobody entered: no breakdown value
        assert compiled.columns[:3] == ["breakdown", "users_1", "users_2"]
        assert len(compiled.columns) == 1 + 2 * len(plan.funnels["checkout"].steps)
        assert compiled.parameters == ()  # DuckDB runs in-process on literals
    finally:
        store.close()


def test_run_funnel_takes_a_connection_and_a_table_name():
    with EventStore() as store:
        store.insert([ev("a", 1), ev("b", 2)])
        con: duckdb.DuckDBPyConnection = store.connection
        con.execute("CREATE TABLE other_events AS SELECT * FROM events")
        result = run_funnel(con, funnel("a", "b"), DAY, DAY, table="other_events")
        assert result.users == (1, 1)


def test_breakdown_limit_keeps_the_biggest_values():
    events = []
    for i, device in enumerate(["mobile"] * 3 + ["desktop"] * 2 + ["tablet"]):
        events.append(ev("a", 1, f"u{i}", device=device))
    with EventStore() as store:
        store.insert(events)
        result = run_funnel(store, funnel("a"), DAY, DAY, "deviceCategory", limit=2)
    assert [r.breakdown for r in result.rows] == ["mobile", "desktop"]
    assert result.omitted_values == 1
    assert result.users == (6,)  # the totals keep everyone


@pytest.mark.parametrize("dimension", BREAKDOWN_DIMENSIONS + ("customEvent:page_title", "customUser:tier"))
def test_every_breakdown_dimension_runs_on_real_rows(real, dimension):
    f = funnel("session_start", "page_view", "view_item")
    result = run_funnel(real, f, date(2020, 11, 1), date(2021, 1, 31), dimension)
    assert result.users == (101, 88, 3)
    assert tuple(sum(r.users[k] for r in result.rows) for k in range(3)) == result.users
    assert all(r.breakdown for r in result.rows)


def test_real_rows_session_dimensions_and_channel_groups(real):
    f = funnel("session_start", "page_view")
    by_channel = run_funnel(real, f, date(2020, 11, 1), date(2021, 1, 31), "sessionDefaultChannelGroup")
    channels = {r.breakdown for r in by_channel.rows}
    assert {"Direct", "Organic Search", "Referral"} <= channels
    by_source = run_funnel(real, f, date(2020, 11, 1), date(2021, 1, 31), "sessionSource")
    assert {"(direct)", "google"} <= {r.breakdown for r in by_source.rows}


def test_real_rows_agree_with_the_reference(real):
    start, end = date(2020, 11, 1), date(2021, 1, 31)
    stored = stored_events(real, start, end)
    from ga_goals.funnels import reference_detail

    for f in (
        funnel("first_visit", "session_start", "page_view"),
        funnel("page_view", step("view_item", within=600), "add_to_cart"),
        funnel("session_start", step("page_view", direct=True), "user_engagement"),
        funnel("page_view", "view_item", "add_to_cart", open=True),
    ):
        result = run_funnel(real, f, start, end)
        users, continued = reference_detail(stored, f)
        assert list(result.users) == users
        assert list(result.total.continued) == continued


def test_a_funnel_of_one_step(plan):
    both = run_both([ev("a", 1), ev("a", 2, "u2")], funnel("a"))
    assert both.users == [2]
    assert [m.completion_rate for m in both.sql.metrics()] == [1.0]


def test_threads_use_cursors_of_one_store():
    from concurrent.futures import ThreadPoolExecutor

    with EventStore() as store:
        store.insert([ev("a", 1, f"u{i}") for i in range(5)] + [ev("b", 2, "u1")])

        def one(_: int) -> tuple[int, ...]:
            cursor = store.cursor()
            try:
                return run_funnel(cursor, funnel("a", "b"), DAY, DAY).users
            finally:
                cursor.close()

        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(one, range(8))) == {(5, 1)}


@pytest.mark.parametrize("breakdown", [None, "deviceCategory", "sessionSourceMedium", "customEvent:form_id"])
def test_bigquery_sql_names_only_the_columns_it_reads(plan, breakdown):
    """BigQuery bills every column a query names: the funnel SQL selects the export columns it
    needs from the daily and intraday tables, never `*` of a table."""
    import re

    from ga_goals.funnels.sql import export_columns

    compiled = compile_funnel(
        plan.funnels["checkout"], DAY, DAY, dialect="bigquery", table="my-project.analytics_1",
        breakdown=breakdown, intraday=[DAY],
    )
    reads = re.findall(r"SELECT ([a-z_, ]+) FROM `my-project\.analytics_1\.events_(?:intraday_)?\*`", compiled.sql)
    assert reads and "SELECT * FROM `" not in compiled.sql
    named = {c.strip() for group in reads for c in group.split(",")}
    assert {"user_pseudo_id", "event_timestamp", "event_name", "batch_event_index"} <= named
    assert not named & {"items", "ecommerce", "user_ltv", "privacy_info", "app_info"}
    assert set(export_columns(compiled.sql)) <= named | {"event_date"}
