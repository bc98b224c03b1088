"""The BigQuery funnel SQL (compile_funnel, dialect="bigquery") run through BigQueryRunner on the
local endpoint gives run_funnel's counts on the same events.

This compares counts only (users and continued per step, per breakdown value), not the SQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from ga_goals.bigquery import BigQueryRunner, Query
from ga_goals.events import EventStore
from ga_goals.events.generator import generate
from ga_goals.funnels.sql import compile_funnel, result_from_rows, run_funnel
from ga_goals.model.tracking_plan import StepFilter
from ga_goals.plan_file import load_plan
from tests.bigquery.local import DATASET, local_bigquery, sample_store
from tests.conftest import CONFIGS
from tests.funnels.engines import funnel, step

START, END = date(2024, 3, 4), date(2024, 3, 8)


@pytest.fixture(scope="module")
def generated():
    store = EventStore()
    generate(store, START, END, users=250, seed=11)
    with local_bigquery(store) as bq:
        yield store, BigQueryRunner(DATASET, endpoint=bq.endpoint)
    store.close()


def counts(runner: BigQueryRunner, store: EventStore, f, start: date, end: date, breakdown: str | None):
    compiled = compile_funnel(f, start, end, breakdown=breakdown, dialect="bigquery", table=DATASET)
    got = result_from_rows(f, start, end, breakdown, runner.run(Query.of(compiled.query)).rows)
    on_bigquery = {None: (got.total.users, got.total.continued)}
    on_bigquery.update({r.breakdown: (r.users, r.continued) for r in got.rows})
    expected = run_funnel(store, f, start, end, breakdown)
    in_duckdb = {None: (expected.total.users, expected.total.continued)}
    in_duckdb.update({r.breakdown: (r.users, r.continued) for r in expected.rows})
    return on_bigquery, in_duckdb


PLAN = load_plan(CONFIGS / "shop.yaml")


@pytest.mark.parametrize("name", sorted(PLAN.funnels))
@pytest.mark.parametrize("breakdown", [None, "deviceCategory", "sessionDefaultChannelGroup"])
def test_shop_funnels_count_the_same_on_bigquery(generated, name, breakdown):
    store, runner = generated
    on_bigquery, in_duckdb = counts(runner, store, PLAN.funnels[name], START, END, breakdown)
    assert on_bigquery == in_duckdb
    assert on_bigquery[None][0][0] > 0


def test_filters_windows_and_directly_followed_count_the_same(generated):
    store, runner = generated
    f = funnel(
        step("view_item"),
        step("add_to_cart", direct=True),
        step("begin_checkout", within=3600),
        step("purchase", StepFilter(parameter="value", op="greater_than", value=0)),
    )
    on_bigquery, in_duckdb = counts(runner, store, f, START, END, None)
    assert on_bigquery == in_duckdb


def test_real_export_rows_count_the_same():
    store = sample_store()
    loc = "page_location"
    funnels = [
        funnel("session_start", "page_view", "scroll", open=True),
        funnel(
            step("page_view", StepFilter(loc, "starts_with", "HTTPS://SHOP.", case_sensitive=False)),
            step("page_view", StepFilter(loc, "contains", "Apparel")),
            step(
                "page_view",
                StepFilter(loc, "matches", ".*/Google\\+Redesign/.*"),
                StepFilter(loc, "ends_with", "/basket.html", negated=True),
            ),
            step("scroll", StepFilter("page_title", "in", ("Home", "Apparel | Google Merchandise Store"))),
        ),
    ]
    with local_bigquery(store) as bq:
        runner = BigQueryRunner(DATASET, endpoint=bq.endpoint)
        for f in funnels:
            on_bigquery, in_duckdb = counts(runner, store, f, date(2020, 11, 1), date(2021, 1, 31), "deviceCategory")
            assert on_bigquery == in_duckdb and on_bigquery[None][0][1] > 0
    store.close()


def test_trends_and_next_actions_count_the_same_on_bigquery(generated):
    """Rule 9 (a breakdown by the entry date) and rule 10 (a query of its own), in BigQuery SQL."""
    from ga_goals.funnels.sql import compile_next_actions, next_actions_from_rows, run_next_actions

    store, runner = generated
    for f in (PLAN.funnels["checkout"], PLAN.funnels["browse_to_buy"]):
        on_bigquery, in_duckdb = counts(runner, store, f, START, END, "date")
        assert on_bigquery == in_duckdb and len(on_bigquery) > 2
        for dimension in ("eventName", "pageLocation"):
            query = compile_next_actions(f, START, END, dimension, dialect="bigquery", table=DATASET)
            got = next_actions_from_rows(f, dimension, runner.run(Query.of(query)).rows)
            assert got == run_next_actions(store, f, START, END, dimension) and sum(got.left) > 0


def test_real_export_rows_trends_and_next_actions_count_the_same():
    from ga_goals.funnels.sql import compile_next_actions, next_actions_from_rows, run_next_actions

    store = sample_store()
    start, end = date(2020, 11, 1), date(2021, 1, 31)
    with local_bigquery(store) as bq:
        runner = BigQueryRunner(DATASET, endpoint=bq.endpoint)
        for f in (funnel("session_start", "page_view", "scroll"), funnel("page_view", "view_item", "add_to_cart", open=True)):
            on_bigquery, in_duckdb = counts(runner, store, f, start, end, "date")
            assert on_bigquery == in_duckdb
            query = compile_next_actions(f, start, end, "pageTitle", dialect="bigquery", table=DATASET)
            got = next_actions_from_rows(f, "pageTitle", runner.run(Query.of(query)).rows)
            assert got == run_next_actions(store, f, start, end, "pageTitle") and sum(got.left) > 0
    store.close()
