"""The local BigQuery endpoint, through the real google-cloud-bigquery client.

Query results are compared with DuckDB's answer on the same events; dry-run bytes with sizes
computed by hand; errors with the client's real exception classes.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.events import EventStore
from ga_goals.events.schema import lambda_sql, param
from ga_goals.sandbox.bigquery import Fault
from ga_goals.sandbox.bigquery.billing import MIN_BILLED
from tests.bigquery.local import DATASET, DAYS, FIRST_DAY, LAST_DAY, PROJECT, bq, client, local_bigquery, sample_store, store  # noqa: F401 (fixtures)

T = f"`{DATASET}.events_*`"


@pytest.fixture(scope="module")
def bqc(bq) -> bigquery.Client:
    return client(bq.endpoint)


@pytest.fixture(autouse=True)
def _clean(bq):
    bq.faults.clear()
    bq.catalog.intraday_only.clear()
    bq.catalog.intraday_also.clear()


def rows(bqc: bigquery.Client, sql: str, params=(), **config) -> list[tuple]:
    job = bqc.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=list(params), **config))
    return [tuple(r.values()) for r in job.result()]


def duck(store: EventStore, sql: str) -> list[tuple]:
    return store.connection.execute(sql).fetchall()


def dry(bqc: bigquery.Client, sql: str, params=()) -> int:
    config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False, query_parameters=list(params))
    return bqc.query(sql, job_config=config).total_bytes_processed


def same(a: list[tuple], b: list[tuple]) -> None:
    def key(row):
        return tuple((x is None, str(x)) for x in row)

    a, b = sorted(a, key=key), sorted(b, key=key)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert len(x) == len(y)
        for u, v in zip(x, y):
            if isinstance(u, float) or isinstance(v, float):
                assert u is not None and v is not None and math.isclose(u, v, rel_tol=1e-9), (x, y)
            else:
                assert u == v, (x, y)


NOV = "_TABLE_SUFFIX BETWEEN '20201101' AND '20201130'"
NOV_DUCK = "event_date BETWEEN '20201101' AND '20201130'"
LAM = lambda_sql

SHAPES = {
    "group by, COUNTIF, DIV, IF, struct fields": (
        f"SELECT event_name, COUNT(*) AS n, COUNTIF(t.device.category = 'mobile') AS mobile, DIV(COUNT(*), 3) AS third, "
        f"IF(COUNT(*) > 10, 'many', 'few') AS size, t.geo.country AS country FROM {T} AS t WHERE {NOV} GROUP BY event_name, country",
        "SELECT event_name, COUNT(*), count_if(t.device.category = 'mobile'), COUNT(*) // 3, "
        f"CASE WHEN COUNT(*) > 10 THEN 'many' ELSE 'few' END, t.geo.country FROM events AS t WHERE {NOV_DUCK} GROUP BY 1, 6",
    ),
    "event parameter lookups of every kind": (
        "SELECT event_timestamp, "
        + ", ".join(
            param(k, kind, dialect="bigquery", column="t.event_params")
            for k, kind in [
                ("page_location", "text"),
                ("ga_session_id", "int"),
                ("ga_session_id", "number"),
                ("session_engaged", "number"),
                ("page_title", "string"),
                ("engagement_time_msec", "text"),
            ]
        )
        + f" FROM {T} AS t",
        "SELECT event_timestamp, "
        + ", ".join(
            param(k, kind, column="t.event_params")
            for k, kind in [
                ("page_location", "text"),
                ("ga_session_id", "int"),
                ("ga_session_id", "number"),
                ("session_engaged", "number"),
                ("page_title", "string"),
                ("engagement_time_msec", "text"),
            ]
        )
        + " FROM events AS t",
    ),
    "first, last and outer-correlated array lookups": (
        "SELECT event_timestamp, event_name, "
        "(SELECT p.key FROM UNNEST(t.event_params) AS p WITH OFFSET AS o ORDER BY o LIMIT 1), "
        "(SELECT p.key FROM UNNEST(t.event_params) AS p WITH OFFSET AS o ORDER BY o DESC LIMIT 1), "
        "(SELECT p.key FROM UNNEST(t.event_params) AS p WITH OFFSET AS o WHERE p.key > t.event_name ORDER BY o LIMIT 1), "
        "(SELECT o FROM UNNEST(t.event_params) AS p WITH OFFSET AS o WHERE p.key = 'page_title' ORDER BY o LIMIT 1) "
        f"FROM {T} AS t",
        "SELECT event_timestamp, event_name, t.event_params[1].key, t.event_params[-1].key, "
        f"list_filter(t.event_params, {LAM('p', 'p.key > t.event_name')})[1].key, "
        "list_position(list_transform(t.event_params, " + LAM("p", "p.key") + "), 'page_title') - 1 FROM events AS t",
    ),
    "ARRAY_AGG first value per group": (
        "SELECT user_pseudo_id, ARRAY_AGG(event_name IGNORE NULLS ORDER BY event_timestamp, event_name LIMIT 1)[SAFE_OFFSET(0)], "
        "ARRAY_AGG(STRUCT(t.device.category AS c, event_timestamp AS ts) ORDER BY event_timestamp DESC, event_name LIMIT 1)[SAFE_OFFSET(0)].c "
        f"FROM {T} AS t GROUP BY user_pseudo_id",
        "SELECT user_pseudo_id, first(event_name ORDER BY event_timestamp, event_name), "
        "first(t.device.category ORDER BY event_timestamp DESC, event_name) FROM events AS t GROUP BY 1",
    ),
    "correlated subqueries over arrays of the row": (
        "WITH u AS (SELECT user_pseudo_id, MIN(IF(event_name = 'session_start', event_timestamp, NULL)) AS t1, "
        "ARRAY_AGG(IF(event_name = 'page_view', event_timestamp, NULL) IGNORE NULLS) AS l2, ARRAY_AGG(event_name) AS names "
        f"FROM {T} GROUP BY user_pseudo_id) "
        "SELECT user_pseudo_id, (SELECT MIN(y) FROM UNNEST(l2) AS y WHERE y > t1) AS next_view, "
        "EXISTS(SELECT 1 FROM UNNEST(names) AS x WHERE STARTS_WITH(x, 'scroll')) AS scrolled FROM u",
        "WITH u AS (SELECT user_pseudo_id, MIN(CASE WHEN event_name = 'session_start' THEN event_timestamp END) AS t1, "
        "list(event_timestamp) FILTER (WHERE event_name = 'page_view') AS l2, list(event_name) AS names FROM events GROUP BY 1) "
        f"SELECT user_pseudo_id, list_min(list_filter(l2, {LAM('y', 'y > t1')})), "
        f"len(list_filter(names, {LAM('x', 'starts_with(x, ' + chr(39) + 'scroll' + chr(39) + ')')})) > 0 FROM u",
    ),
    "strings: REGEXP_CONTAINS, ENDS_WITH, STRPOS, SAFE_CAST": (
        "SELECT event_name, COUNTIF(REGEXP_CONTAINS(loc, r'^https://shop\\.googlemerchandisestore\\.com/Google\\+Redesign/')) AS redesign, "
        "COUNTIF(ENDS_WITH(loc, '/basket.html')) AS basket, MAX(STRPOS(loc, 'Apparel')) AS apparel, "
        "SUM(SAFE_CAST(engaged AS INT64)) AS engaged, COUNTIF(SAFE_CAST(loc AS INT64) IS NULL) AS not_numbers "
        f"FROM (SELECT event_name, {param('page_location', 'text', dialect='bigquery', column='t.event_params')} AS loc, "
        f"{param('session_engaged', 'string', dialect='bigquery', column='t.event_params')} AS engaged FROM {T} AS t) GROUP BY event_name",
        "SELECT event_name, count_if(regexp_matches(loc, '^https://shop\\.googlemerchandisestore\\.com/Google\\+Redesign/')), "
        "count_if(ends_with(loc, '/basket.html')), MAX(strpos(loc, 'Apparel')), SUM(TRY_CAST(engaged AS BIGINT)), "
        "count_if(TRY_CAST(loc AS BIGINT) IS NULL) "
        f"FROM (SELECT event_name, {param('page_location', 'text', column='t.event_params')} AS loc, "
        f"{param('session_engaged', 'string', column='t.event_params')} AS engaged FROM events AS t) GROUP BY 1",
    ),
    "UNION ALL of two ranges": (
        f"SELECT 'nov' AS m, COUNT(DISTINCT user_pseudo_id) FROM {T} WHERE {NOV} UNION ALL "
        f"SELECT 'dec', COUNT(DISTINCT user_pseudo_id) FROM {T} WHERE _TABLE_SUFFIX LIKE '202012%'",
        f"SELECT 'nov', COUNT(DISTINCT user_pseudo_id) FROM events WHERE {NOV_DUCK} UNION ALL "
        "SELECT 'dec', COUNT(DISTINCT user_pseudo_id) FROM events WHERE event_date LIKE '202012%'",
    ),
    "arrays of structs and structs in results": (
        f"SELECT event_timestamp, event_name, event_params, device, items, ecommerce FROM {T} WHERE {NOV}",
        f"SELECT event_timestamp, event_name, event_params, device, items, ecommerce FROM events WHERE {NOV_DUCK}",
    ),
    "a daily table by name": (
        f"SELECT event_name, COUNT(*) FROM `{DATASET}.events_20201203` GROUP BY 1",
        "SELECT event_name, COUNT(*) FROM events WHERE event_date = '20201203' GROUP BY 1",
    ),
    "floats, NULLs and booleans": (
        f"SELECT user_pseudo_id, AVG(event_timestamp / 1e6), MAX(user_id), LOGICAL_OR(event_name = 'purchase') FROM {T} "
        "GROUP BY user_pseudo_id",
        "SELECT user_pseudo_id, AVG(event_timestamp / 1e6), MAX(user_id), bool_or(event_name = 'purchase') FROM events GROUP BY 1",
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_query_shapes_give_duckdbs_answer(store, bqc, shape):
    bigquery_sql, duckdb_sql = SHAPES[shape]
    expected = duck(store, duckdb_sql)
    assert expected, "the comparison must have rows"
    same(rows(bqc, bigquery_sql), expected)


def test_parameters_of_every_type(bqc, bq):
    params = [
        bigquery.ScalarQueryParameter("s", "STRING", "it's"),
        bigquery.ScalarQueryParameter("i", "INT64", -(2**62)),
        bigquery.ScalarQueryParameter("f", "FLOAT64", 2.5),
        bigquery.ScalarQueryParameter("b", "BOOL", False),
        bigquery.ScalarQueryParameter("d", "DATE", date(2020, 11, 2)),
        bigquery.ScalarQueryParameter("ts", "TIMESTAMP", datetime(2020, 11, 2, 3, 4, 5, 6, tzinfo=timezone.utc)),
        bigquery.ScalarQueryParameter("n", "STRING", None),
        bigquery.ArrayQueryParameter("a", "STRING", ["x", "y"]),
        bigquery.ArrayQueryParameter("ai", "INT64", [1, 2, 3]),
        bigquery.ArrayQueryParameter("empty", "STRING", []),
    ]
    got = rows(bqc, "SELECT @s, @i, @i + 1, @f * 2, @b, NOT @b, @d, @ts, @n, @a, @ai, ARRAY_LENGTH(@empty)", params)
    assert got == [
        (
            "it's",
            -(2**62),
            -(2**62) + 1,
            5.0,
            False,
            True,
            date(2020, 11, 2),
            datetime(2020, 11, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
            None,
            ["x", "y"],
            [1, 2, 3],
            0,
        )
    ]
    recorded = bq.jobs.recorded[-1].parameters
    assert {p["name"]: p["type"] for p in recorded} == {
        "s": "STRING",
        "i": "INT64",
        "f": "FLOAT64",
        "b": "BOOL",
        "d": "DATE",
        "ts": "TIMESTAMP",
        "n": "STRING",
        "a": "ARRAY<STRING>",
        "ai": "ARRAY<INT64>",
        "empty": "ARRAY<STRING>",
    }


def test_parameters_filter_rows_like_literals(store, bqc):
    names = ["page_view", "scroll"]
    sql = (
        f"SELECT event_name, COUNT(*) FROM {T} WHERE _TABLE_SUFFIX BETWEEN @start AND @end "
        "AND event_name IN UNNEST(@names) AND event_timestamp > @after GROUP BY 1"
    )
    params = [
        bigquery.ScalarQueryParameter("start", "STRING", "20201110"),
        bigquery.ScalarQueryParameter("end", "STRING", "20201220"),
        bigquery.ArrayQueryParameter("names", "STRING", names),
        bigquery.ScalarQueryParameter("after", "INT64", 0),
    ]
    expected = duck(
        store,
        "SELECT event_name, COUNT(*) FROM events WHERE event_date BETWEEN '20201110' AND '20201220' "
        "AND event_name IN ('page_view', 'scroll') GROUP BY 1",
    )
    same(rows(bqc, sql, params), expected)
    with pytest.raises(gexc.BadRequest, match="Query parameter 'missing' not found"):
        rows(bqc, f"SELECT COUNT(*) FROM {T} WHERE event_name = @missing")


def test_tables_list_has_one_daily_table_per_day_and_pages(bq, bqc):
    names = [t.table_id for t in bqc.list_tables(DATASET)]
    assert len(names) == DAYS and names[0] == f"events_{FIRST_DAY}" and names[-1] == f"events_{LAST_DAY}"
    before = bq.calls("tables.list")
    assert [t.table_id for t in bqc.list_tables(DATASET, page_size=10)] == names
    assert bq.calls("tables.list") - before == math.ceil(DAYS / 10)
    assert bqc.get_dataset(DATASET).location == "US"
    table = bqc.get_table(f"{DATASET}.events_20201203")
    assert table.num_rows == 10 and table.schema[0].name == "event_date"
    assert [f.field_type for f in table.schema if f.name == "event_params"] == ["RECORD"]
    with pytest.raises(gexc.NotFound):
        bqc.get_table(f"{DATASET}.events_20990101")


def test_wildcard_pruning_reads_and_bills_only_the_matching_days(store, bqc, bq):
    def count(where: str) -> int:
        return rows(bqc, f"SELECT COUNT(*) FROM {T} WHERE {where}")[0][0]

    assert count("_TABLE_SUFFIX = '20201203'") == 10
    assert count(NOV) == duck(store, f"SELECT COUNT(*) FROM events WHERE {NOV_DUCK}")[0][0]
    sql = f"SELECT event_name FROM {T} WHERE _TABLE_SUFFIX BETWEEN @a AND @b"

    def between(a: str, b: str) -> int:
        return dry(
            bqc, sql, [bigquery.ScalarQueryParameter("a", "STRING", a), bigquery.ScalarQueryParameter("b", "STRING", b)]
        )

    one, week, everything = (
        between("20201203", "20201203"),
        between("20201201", "20201207"),
        dry(bqc, f"SELECT event_name FROM {T}"),
    )
    assert 0 < one < week < everything
    assert week == sum(between(f"2020120{d}", f"2020120{d}") for d in range(1, 8))
    # event_name is a STRING: 2 bytes + its UTF-8 length, per row.
    assert one == duck(store, "SELECT SUM(2 + strlen(event_name)) FROM events WHERE event_date = '20201203'")[0][0]
    # Pruning looks through parentheses and the order of the AND terms.
    assert dry(bqc, f"SELECT event_name FROM {T} WHERE (event_name != '' AND (_TABLE_SUFFIX = '20201203'))") == one
    # A filter on another column does not prune: every table is read.
    assert dry(bqc, f"SELECT event_name FROM {T} WHERE event_date = '20201203'") == everything + dry(
        bqc, f"SELECT event_date FROM {T}"
    )
    assert bq.jobs.recorded[-1].dry_run


def test_fewer_columns_scan_fewer_bytes(store, bqc):
    name = dry(bqc, f"SELECT event_name FROM {T}")
    name_ts = dry(bqc, f"SELECT event_name, event_timestamp FROM {T}")
    assert name_ts == name + 8 * duck(store, "SELECT COUNT(event_timestamp) FROM events")[0][0]
    # A nested field bills its whole top-level column; UNNEST bills the whole array.
    assert dry(bqc, f"SELECT t.device.category FROM {T} AS t") == dry(bqc, f"SELECT device FROM {T}")
    params = dry(bqc, f"SELECT (SELECT COUNT(*) FROM UNNEST(t.event_params) AS p WHERE p.key = 'x') FROM {T} AS t")
    assert params == dry(bqc, f"SELECT event_params FROM {T}") > name
    # Everything: SELECT *, t.*, and a whole-row reference.
    star = dry(bqc, f"SELECT * FROM {T}")
    assert star == dry(bqc, f"SELECT t.* FROM {T} AS t") == dry(bqc, f"SELECT TO_JSON_STRING(t) FROM {T} AS t") > params
    assert dry(bqc, f"SELECT COUNT(*) FROM {T}") == 0


def test_intraday_tables_for_days_not_exported_yet(store, bq, bqc):
    bq.catalog.intraday_only.update({"20210130", "20210131"})
    bq.catalog.intraday_also.add("20210129")
    names = [t.table_id for t in bqc.list_tables(DATASET)]
    assert "events_20210131" not in names and "events_intraday_20210131" in names
    assert "events_20210129" in names and "events_intraday_20210129" in names
    per_day = dict(duck(store, "SELECT event_date, COUNT(*) FROM events GROUP BY 1"))
    # events_* also matches the intraday tables, with suffix intraday_YYYYMMDD (as in BigQuery).
    suffixes = rows(bqc, f"SELECT DISTINCT _TABLE_SUFFIX FROM {T} WHERE _TABLE_SUFFIX LIKE 'intraday_%'")
    assert sorted(s for (s,) in suffixes) == ["intraday_20210129", "intraday_20210130", "intraday_20210131"]
    # The daily range, then the intraday tables of the days without a daily table: each event once.
    sql = (
        "SELECT COUNT(*) FROM ("
        f"SELECT event_name FROM {T} WHERE _TABLE_SUFFIX BETWEEN @start AND @end "
        f"UNION ALL SELECT event_name FROM `{DATASET}.events_intraday_*` WHERE _TABLE_SUFFIX IN UNNEST(@intraday))"
    )
    params = [
        bigquery.ScalarQueryParameter("start", "STRING", "20210125"),
        bigquery.ScalarQueryParameter("end", "STRING", "20210131"),
        bigquery.ArrayQueryParameter("intraday", "STRING", ["20210130", "20210131"]),
    ]
    assert rows(bqc, sql, params) == [(sum(per_day[f"202101{d}"] for d in range(25, 32)),)]
    # Reading both kinds of table of a day counts it twice, as it would in BigQuery.
    both = f"SELECT COUNT(*) FROM {T} WHERE _TABLE_SUFFIX IN ('20210129', 'intraday_20210129')"
    assert rows(bqc, both) == [(2 * per_day["20210129"],)]
    one_day = f"SELECT event_name FROM {T} WHERE _TABLE_SUFFIX = '20210129'"
    assert dry(bqc, both.replace("COUNT(*)", "event_name")) == 2 * dry(bqc, one_day) > 0


def test_maximum_bytes_billed_is_enforced_with_bigquerys_error(bqc, bq):
    sql = f"SELECT event_name FROM {T}"
    processed = dry(bqc, sql)
    assert 0 < processed < MIN_BILLED  # billed at least 10 MiB
    with pytest.raises(gexc.GoogleAPICallError) as info:
        rows(bqc, sql, maximum_bytes_billed=MIN_BILLED - 1)
    assert info.value.errors[0]["reason"] == "bytesBilledLimitExceeded"
    assert f"Query exceeded limit for bytes billed: {MIN_BILLED - 1}. {MIN_BILLED} or higher required." in str(
        info.value
    )
    assert rows(bqc, f"SELECT COUNT(*) FROM ({sql})", maximum_bytes_billed=MIN_BILLED)[0][0] > 0
    job = bq.jobs.recorded[-1]
    assert (job.maximum_bytes_billed, job.bytes_processed, job.bytes_billed, job.dry_run) == (
        MIN_BILLED,
        processed,
        MIN_BILLED,
        False,
    )


def test_every_job_is_recorded(bqc, bq):
    config = bigquery.QueryJobConfig(
        labels={"tool": "ga-goals", "report": "weekly"},
        maximum_bytes_billed=10**9,
        query_parameters=[bigquery.ScalarQueryParameter("n", "STRING", "scroll")],
    )
    bqc.query(f"SELECT COUNT(*) FROM {T} WHERE event_name = @n", job_config=config).result()
    job = bq.jobs.recorded[-1]
    assert job.api == "jobs.insert" and not job.dry_run and job.error is None
    assert job.labels == {"tool": "ga-goals", "report": "weekly"}
    assert job.maximum_bytes_billed == 10**9
    assert job.parameters == [{"name": "n", "type": "STRING", "value": "scroll"}]
    assert job.sql.endswith("WHERE event_name = @n") and job.duckdb_sql is not None
    list(bqc.query_and_wait("SELECT 1", job_config=bigquery.QueryJobConfig(labels={"a": "b"})))
    assert (bq.jobs.recorded[-1].api, bq.jobs.recorded[-1].labels) == ("jobs.query", {"a": "b"})


def test_large_results_come_in_pages(store, bqc, bq):
    sql = f"SELECT event_timestamp, event_name FROM {T} ORDER BY event_timestamp, event_name"
    expected = duck(store, "SELECT event_timestamp, event_name FROM events ORDER BY 1, 2")
    before = bq.calls("jobs.getQueryResults")
    job = bqc.query(sql)
    got = [tuple(r.values()) for r in job.result(page_size=64)]
    assert got == expected and len(expected) == 700
    assert bq.calls("jobs.getQueryResults") - before >= math.ceil(700 / 64)
    before = bq.calls("jobs.getQueryResults")
    got = [tuple(r.values()) for r in bqc.query_and_wait(sql, page_size=100)]
    assert got == expected and bq.calls("jobs.getQueryResults") - before >= 6
    assert [tuple(r.values()) for r in bqc.query(sql).result(start_index=690)] == expected[690:]


def test_errors_are_bigquerys(bqc, bq):
    with pytest.raises(gexc.BadRequest, match="Syntax error") as info:
        rows(bqc, "SELEC 1")
    assert info.value.errors[0]["reason"] == "invalidQuery"
    with pytest.raises(gexc.BadRequest, match="nope"):
        rows(bqc, f"SELECT nope FROM {T}")
    with pytest.raises(gexc.NotFound, match=f"Dataset {PROJECT}:analytics_9 was not found in location US"):
        rows(bqc, f"SELECT 1 FROM `{PROJECT}.analytics_9.events_*`")
    with pytest.raises(gexc.NotFound, match="events_20990101"):
        dry(bqc, f"SELECT 1 FROM `{DATASET}.events_20990101`")
    with pytest.raises(gexc.NotFound, match="Dataset"):
        list(bqc.list_tables(f"{PROJECT}.analytics_9"))
    bq.faults.append(
        Fault("jobs.insert", 403, "accessDenied", "Access Denied: User does not have bigquery.jobs.create")
    )
    with pytest.raises(gexc.Forbidden, match="bigquery.jobs.create") as info:
        rows(bqc, "SELECT 1")
    assert info.value.errors[0]["reason"] == "accessDenied"
    bq.faults.append(Fault("tables.list", 429, "rateLimitExceeded", "Exceeded rate limits: too many api requests"))
    with pytest.raises(gexc.TooManyRequests):
        list(bqc.list_tables(DATASET, retry=None))
    rows(bqc, "SELECT 1")  # faults are used up


def test_sandbox_validates_its_dataset(store):
    from ga_goals.sandbox.bigquery import BigQuerySandbox

    with pytest.raises(ValueError, match="PROJECT.DATASET"):
        BigQuerySandbox(store.connection, "no-dataset")


def test_result_table_rows_through_tabledata_list(store, bqc, bq):
    job = bqc.query(f"SELECT event_timestamp, event_name FROM {T} ORDER BY 1, 2")
    job.result()
    before = bq.calls("tabledata.list")
    listed = [tuple(r.values()) for r in bqc.list_rows(job.destination, page_size=300)]
    assert listed == duck(store, "SELECT event_timestamp, event_name FROM events ORDER BY 1, 2")
    assert bq.calls("tabledata.list") - before == 3


def test_a_cap_the_client_sends_as_none_is_refused(bqc):
    # QueryJobConfig(maximum_bytes_billed=None) sends the string "None"; BigQuery refuses it.
    with pytest.raises(gexc.BadRequest, match="maximumBytesBilled"):
        rows(bqc, "SELECT 1", maximum_bytes_billed=None)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.integers(0, DAYS - 1), b=st.integers(0, DAYS - 1))
def test_any_day_range_reads_and_bills_exactly_its_days(store, bqc, a, b):
    days = [d[0] for d in duck(store, "SELECT DISTINCT event_date FROM events ORDER BY 1")]
    start, end = days[min(a, b)], days[max(a, b)]
    params = [bigquery.ScalarQueryParameter("s", "STRING", start), bigquery.ScalarQueryParameter("e", "STRING", end)]
    sql = f"SELECT COUNT(*), COUNT(DISTINCT user_pseudo_id) FROM {T} WHERE _TABLE_SUFFIX BETWEEN @s AND @e"
    expected = duck(
        store,
        f"SELECT COUNT(*), COUNT(DISTINCT user_pseudo_id) FROM events WHERE event_date BETWEEN '{start}' AND '{end}'",
    )
    assert rows(bqc, sql, params) == expected
    billed = store.connection.execute(
        "SELECT SUM(2 + strlen(user_pseudo_id)) FROM events WHERE event_date BETWEEN ? AND ? AND user_pseudo_id IS NOT NULL",
        [start, end],
    ).fetchone()[0]
    assert dry(bqc, sql, params) == billed


def test_only_the_latest_jobs_keep_their_rows(bqc, bq, monkeypatch):
    from ga_goals.sandbox.bigquery import jobs

    monkeypatch.setattr(jobs, "KEPT_RESULTS", 2)
    first = bqc.query("SELECT 1")
    first.result()
    for n in (2, 3):
        bqc.query(f"SELECT {n}").result()
    assert bq.jobs.get(first.job_id).expired and bq.jobs.get(first.job_id).sql == "SELECT 1"
    with pytest.raises(gexc.NotFound, match="results expired"):
        list(bqc.list_rows(first.destination))
