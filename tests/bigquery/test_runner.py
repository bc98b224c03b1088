"""BigQueryRunner through the real client against the local endpoint: tables, dry runs, the cap, rows, labels."""

from __future__ import annotations

from datetime import date

import pytest
from google.cloud import bigquery

from ga_goals.bigquery import DEFAULT_MAX_BYTES_BILLED, BigQueryConfigError, BigQueryRunner, Query, Typed
from ga_goals.bigquery.cost import GIB, MIN_BILLED_BYTES
from ga_goals.bigquery.errors import BytesLimitExceeded
from ga_goals.bigquery.query import QueryParameterError
from tests.bigquery.local import DATASET, DAYS, PROJECT

T = f"`{DATASET}.events_*`"


def test_tables_lists_once_and_tells_daily_from_intraday(runner, bq):
    bq.catalog.intraday_only.add("20210131")
    bq.catalog.intraday_also.add("20210130")
    before = bq.calls("tables.list")
    tables = runner.tables()
    assert runner.tables() is tables and bq.calls("tables.list") - before == 1
    assert len(tables.daily) == DAYS - 1 and min(tables.daily) == date(2020, 11, 1)
    assert tables.intraday == {date(2021, 1, 30), date(2021, 1, 31)}
    assert tables.intraday_only == {date(2021, 1, 31)}


def test_run_returns_plain_python_rows(runner, store):
    q = Query(
        f"SELECT event_name, COUNT(*) AS n, ARRAY_AGG(STRUCT(t.geo.country AS country) LIMIT 1)[SAFE_OFFSET(0)] AS geo, "
        f"@names AS names FROM {T} AS t WHERE _TABLE_SUFFIX BETWEEN @start AND @end AND event_name IN UNNEST(@names) "
        "GROUP BY 1 ORDER BY 1",
        {"start": "20201101", "end": "20201130", "names": ["page_view", "scroll"]},
    )
    result = runner.run(q)
    expected = store.connection.execute(
        "SELECT event_name, COUNT(*) FROM events WHERE event_date BETWEEN '20201101' AND '20201130' "
        "AND event_name IN ('page_view', 'scroll') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert result.columns == ("event_name", "n", "geo", "names")
    assert [r[:2] for r in result.rows] == expected
    for row in result.rows:
        assert type(row) is tuple and type(row[2]) is dict and type(row[3]) is list
    assert result.dicts()[0]["names"] == ["page_view", "scroll"]
    assert result.bytes_processed == runner.dry_run(q) > 0 and result.bytes_billed == MIN_BILLED_BYTES


def test_parameters_of_every_type_reach_bigquery_typed(runner, bq):
    q = Query(
        "SELECT @s, @i, @f, @b, @d, @a, @n, @e",
        {
            "s": "x",
            "i": 3,
            "f": 0.5,
            "b": True,
            "d": date(2024, 3, 4),
            "a": [1, 2],
            "n": Typed("INT64", None),
            "e": Typed("ARRAY<STRING>", []),
        },
    )
    assert runner.run(q).rows == (("x", 3, 0.5, True, date(2024, 3, 4), [1, 2], None, []),)
    assert [p["type"] for p in bq.jobs.recorded[-1].parameters] == [
        "STRING",
        "INT64",
        "FLOAT64",
        "BOOL",
        "DATE",
        "ARRAY<INT64>",
        "INT64",
        "ARRAY<STRING>",
    ]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"x": None}, "Typed"),
        ({"x": []}, "empty list"),
        ({"x": [1, "a"]}, "mixes types"),
        ({"x": object()}, "no BigQuery type"),
        ({"bad name": 1}, "not a query parameter name"),
    ],
)
def test_untyped_parameters_are_refused_before_any_call(runner, bq, params, message):
    before = len(bq.jobs.recorded)
    with pytest.raises(QueryParameterError, match=message):
        runner.run(Query("SELECT 1", params))
    assert len(bq.jobs.recorded) == before
    with pytest.raises(QueryParameterError, match="unknown BigQuery parameter type"):
        Typed("STRUCT", 1)


def test_dry_run_first_then_the_capped_labelled_run(bq):
    runner = BigQueryRunner(DATASET, endpoint=bq.endpoint, labels={"report": "weekly", "env": "ci-1"})
    before = len(bq.jobs.recorded)
    runner.run(Query(f"SELECT COUNT(DISTINCT user_pseudo_id) FROM {T}"))
    dry_job, real_job = bq.jobs.recorded[before:]
    assert dry_job.dry_run and not real_job.dry_run
    assert dry_job.labels == real_job.labels == {"tool": "ga-goals", "report": "weekly", "env": "ci-1"}
    assert real_job.maximum_bytes_billed == DEFAULT_MAX_BYTES_BILLED == 10 * GIB
    assert real_job.configuration["query"]["useLegacySql"] is False
    assert int(real_job.configuration["jobTimeoutMs"]) == 300_000


def test_a_query_above_the_cap_is_refused_before_it_runs(bq):
    runner = BigQueryRunner(DATASET, endpoint=bq.endpoint, max_bytes_billed=5 * 1024 * 1024)
    q = Query(f"SELECT * FROM {T}")
    processed = runner.dry_run(q)
    before = len(bq.jobs.recorded)
    with pytest.raises(BytesLimitExceeded) as info:
        runner.run(q)
    message = str(info.value)
    for part in (
        f"{processed:,} bytes",
        "billed 10.0 MiB",
        "5.0 MiB",
        "$0.0001",
        "on-demand",
        "max_bytes_billed",
        "0 means no cap",
    ):
        assert part in message, part
    assert [j.dry_run for j in bq.jobs.recorded[before:]] == [True]  # nothing ran
    # No cap: 0 or None.
    for cap in (0, None):
        uncapped = BigQueryRunner(DATASET, endpoint=bq.endpoint, max_bytes_billed=cap)
        assert uncapped.max_bytes_billed is None
        assert len(uncapped.run(q).rows) == 700
        assert bq.jobs.recorded[-1].maximum_bytes_billed is None


def test_bigquerys_own_cap_refusal_is_mapped(runner, bq):
    from ga_goals.sandbox.bigquery import Fault

    bq.faults.append(
        Fault(
            "jobs.getQueryResults",
            400,
            "bytesBilledLimitExceeded",
            "Query exceeded limit for bytes billed: 1000. 10485760 or higher required.",
        )
    )
    with pytest.raises(BytesLimitExceeded, match="10485760 or higher required.*Raise the cap"):
        runner.run(Query("SELECT 1"))


@pytest.mark.parametrize(
    "dataset, message",
    [
        ("analytics_123", "no project part"),
        ("my-project:analytics_123", "a dot, not a colon"),
        ("My_Project.analytics_1", "not a Google Cloud project id"),
        ("my-project.analytics-1", "not a dataset id"),
    ],
)
def test_dataset_names_are_checked(dataset, message):
    with pytest.raises(BigQueryConfigError, match=message) as info:
        BigQueryRunner(dataset)
    assert "PROJECT.analytics_NNN" in str(info.value)


def test_dataset_forms_accepted():
    r = BigQueryRunner("`example.com:my-project.analytics_1`", endpoint="http://127.0.0.1:1")
    assert (r.dataset.project, r.dataset.dataset, r.project) == (
        "example.com:my-project",
        "analytics_1",
        "example.com:my-project",
    )
    assert BigQueryRunner("data-project.analytics_1", project="billing-project").project == "billing-project"


@pytest.mark.parametrize(
    "labels, message",
    [
        ({"tool": "x"}, "reserved"),
        ({"Report": "x"}, "key 'Report' is not valid"),
        ({"r": "Weekly"}, "value is not valid"),
        ({f"k{i}": "v" for i in range(64)}, "at most 64"),
    ],
)
def test_labels_are_checked(labels, message):
    with pytest.raises(BigQueryConfigError, match=message):
        BigQueryRunner(DATASET, labels=labels)


def test_other_settings_are_checked():
    with pytest.raises(BigQueryConfigError, match="cannot be negative"):
        BigQueryRunner(DATASET, max_bytes_billed=-1)
    with pytest.raises(BigQueryConfigError, match="http://127.0.0.1:PORT"):
        BigQueryRunner(DATASET, endpoint="127.0.0.1:9050")


def test_an_injected_client_is_used(bq):
    from tests.bigquery.local import client

    injected = client(bq.endpoint)
    runner = BigQueryRunner(DATASET, client=injected)
    assert runner.client is injected
    assert runner.run(Query("SELECT 41 + 1")).rows == ((42,),)


def test_the_location_and_billing_project_reach_the_jobs(bq):
    runner = BigQueryRunner(DATASET, endpoint=bq.endpoint, location="US", project=PROJECT)
    runner.run(Query("SELECT 1"))
    assert bq.jobs.recorded[-1].location == "US"
    assert isinstance(runner.client, bigquery.Client) and runner.client.project == PROJECT
