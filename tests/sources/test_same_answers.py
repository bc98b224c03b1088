"""Same answers on every engine: the sandbox's Data API (through the real GA4 clients), DuckDB on
export files read in place, and BigQuery SQL (through the real BigQuery client against the local
endpoint), on generated shop traffic and on the real GA4 export rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ga_goals.events import EventStore
from ga_goals.funnels import run_funnel
from ga_goals.funnels.sql import compile_funnel, result_from_rows
from ga_goals.manager import Connection, Manager
from ga_goals.funnels import reference_detail
from ga_goals.model.tracking_plan import AllOf, AnyOf, DimensionFilter, EventMatch, Funnel, FunnelStep, Not, Segment, StepFilter
from ga_goals.plan_file import load_plan
from ga_goals.reports.build import build_report
from ga_goals.sandbox.bigquery import serve_bigquery
from ga_goals.sources.base import EngineOptions
from ga_goals.sources.bigquery_engine import BigQueryEngine
from ga_goals.sources.export import ExportSource, duckdb_files_engine
from tests.conftest import CONFIGS, GA4_DATA

DATASET = "ga-goals-test.analytics_100000001"
SECTIONS = ("site", "funnels", "key_events", "micro_macro", "alerts", "split_tests", "journey", "trends", "next_actions")


@dataclass
class Shop:
    plan: Any
    folder: Path
    store: EventStore
    data_api: dict[str, Any]
    today: date
    time_zone: str


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The shop plan synced to a sandbox with generated traffic, its weekly report from the Data
    API, and the same property's events as daily export files (created events included)."""
    base = tmp_path_factory.mktemp("same-answers")
    plan = load_plan(CONFIGS / "shop.yaml", env={})
    with Manager(Connection(sandbox=True, sandbox_dir=base / "sandbox")) as manager:
        manager.sync(plan, apply=True)
        [report] = manager.reports(plan, ["weekly"])
        server = manager._sandbox()
        state = server.store.load("100000001")
        files = server.data.events.export("100000001", state, base / "export", time_zone=report.period.time_zone)
    assert len(files) >= 50
    store = EventStore()
    store.load_parquet(str(base / "export" / "*.parquet"))
    yield Shop(plan, base / "export", store, report.to_json(), report.period.end + timedelta(days=1), report.period.time_zone)
    store.close()


def _sections(report: Any) -> dict[str, Any]:
    data = report.to_json()
    return {k: data[k] for k in SECTIONS}


def _expected(shop: Shop) -> dict[str, Any]:
    return {k: shop.data_api[k] for k in SECTIONS}


def test_duckdb_on_export_files_gives_the_data_api_report(shop: Shop):
    source = ExportSource(duckdb_files_engine([str(shop.folder)]), property="properties/100000001", time_zone=shop.time_zone)
    with source:
        report = build_report(shop.plan, "weekly", source, today=shop.today)
    assert _sections(report) == _expected(shop)
    assert report.source is not None and report.source.engine == "duckdb"
    # per period: the site and key events, each funnel (each segment of a segmented one), the
    # micro vs macro table and the journey map's funnel
    weekly = shop.plan.reports["weekly"]
    funnels = sum(max(1, len(shop.plan.funnels[n].segments)) for n in weekly.funnels)
    assert funnels == len(weekly.funnels) + 1  # checkout_by_segment: two segments
    per_period = 2 + funnels + 1
    # once, over the current period only (nothing compares them with the previous one): each
    # split test, each trend (a funnel by date) and each next action
    current_only = len(weekly.split_tests) + len(weekly.trends) + len(weekly.next_actions)
    assert current_only == 3
    assert report.source.calls == {"query": 2 * per_period + current_only}
    # docs/engines.md shows this report's real output on both SQL engines: the same count
    engines_md = (Path(__file__).resolve().parents[2] / "docs" / "engines.md").read_text()
    queries = report.source.calls["query"]
    assert f"  {queries} DuckDB queries over " in engines_md and f"BigQuery dry run: {queries} queries" in engines_md


def test_the_weekly_split_test_finds_the_known_effect_and_no_false_one(shop: Shop):
    """The sandbox's generated experiment (ga_goals.events.generator: arm B saves more of the
    products it views, C changes nothing) as the shop's weekly report tests it through the Data API."""
    [test] = shop.data_api["split_tests"]
    rows = {v["value"]: v for v in test["values"]}
    assert [v["value"] for v in test["values"]] == ["A", "B", "C"] and test["message"] is None
    assert rows["A"]["status"] == "control" and rows["A"]["users"] > 150
    assert rows["B"]["status"] == "better" and rows["B"]["adjusted_p_value"] < 0.001
    assert rows["B"]["verdict"].startswith("B converts better than A: +")
    assert rows["C"]["status"] == "no_difference" and rows["C"]["adjusted_p_value"] > 0.05
    assert rows["C"]["verdict"].startswith("no detectable difference yet")
def test_the_journey_counts_the_users_of_each_stage(shop: Shop):
    """The map's "reached" of a stage without reached_by is the users with any of its events in
    the period, counted here with plain SQL on the export files."""
    from ga_goals.reports.journey import stage_events

    journey = shop.data_api["journey"]
    current = shop.data_api["period"]["current"]
    days = current["start"].replace("-", ""), current["end"].replace("-", "")
    for stage in journey["stages"][1:]:
        events = stage_events(shop.plan, stage["name"], "purchase")
        (users,) = shop.store.connection.execute(
            "SELECT count(DISTINCT user_pseudo_id) FROM events WHERE event_date BETWEEN ? AND ? AND list_contains(?, event_name)",
            [*days, events],
        ).fetchone()
        assert stage["users"] == users > 0, stage["name"]


def test_bigquery_gives_the_data_api_report(shop: Shop):
    estimates: list[tuple[list[int], int | None]] = []
    with serve_bigquery(shop.store.connection, DATASET) as bq:
        options = EngineOptions(engine="bigquery", dataset=DATASET, endpoint=bq.endpoint)
        engine = BigQueryEngine.from_options(options, on_estimate=lambda *a: estimates.append(a))
        with ExportSource(engine, property="properties/100000001", time_zone=shop.time_zone) as source:
            report = build_report(shop.plan, "weekly", source, today=shop.today)
        jobs = bq.jobs.recorded
    assert _sections(report) == _expected(shop)
    # every query dry-run first, the estimate said before any ran, then run with the cap and labels
    [(sizes, cap)] = estimates
    queries = len(sizes)
    assert queries == report.source.calls["query"] and cap == 10 * 2**30
    assert report.source.bytes_processed == sum(sizes) > 0
    dry = [j for j in jobs if j.dry_run]
    real = [j for j in jobs if not j.dry_run]
    assert len(dry) == len(real) == queries
    assert all(j.labels.get("tool") == "ga-goals" for j in real)
    assert all(str(j.maximum_bytes_billed) == str(cap) for j in real)
    # plan values travel as parameters, never in the SQL text
    assert all("'purchase'" not in j.sql and "'add_to_cart'" not in j.sql for j in real)


# -- funnels of every kind on the real export rows ---------------------------------------------------

SAMPLE_START, SAMPLE_END = date(2020, 11, 1), date(2021, 1, 31)


def _step(event: str, *filters: StepFilter, within: float | None = None, direct: bool = False) -> FunnelStep:
    return FunnelStep(name=event, event=event, filters=filters, within_seconds=within, directly_followed=direct)


FUNNELS = {
    "closed": Funnel("closed", "", (_step("session_start"), _step("view_item"), _step("add_to_cart"), _step("begin_checkout"))),
    "open": Funnel("open", "", (_step("page_view"), _step("view_item"), _step("add_to_cart")), open=True),
    "windows": Funnel("windows", "", (_step("page_view"), _step("view_item", within=60), _step("add_to_cart", within=3600))),
    "open_windows": Funnel("open_windows", "", (_step("page_view"), _step("view_item", within=300)), open=True),
    "direct": Funnel("direct", "", (_step("session_start"), _step("page_view", direct=True), _step("view_item"))),
    "filters": Funnel(
        "filters",
        "",
        (
            _step("page_view", StepFilter("page_title", "contains", "Google", case_sensitive=False)),
            _step("view_item", StepFilter("engagement_time_msec", "greater_than", 0), StepFilter("page_location", "matches", ".*shop.*")),
        ),
    ),
    "same_event": Funnel("same_event", "", (_step("page_view"), _step("page_view"), _step("page_view"))),
    # Step conditions (rules 3b and 3c): alternatives, dimension conditions of every scope, groups.
    "alternatives": Funnel(
        "alternatives",
        "",
        (
            FunnelStep("first_visit or session_start", condition=AnyOf((EventMatch("first_visit"), EventMatch("session_start")))),
            FunnelStep(
                "item or search",
                condition=AnyOf(
                    (
                        EventMatch("view_item"),
                        EventMatch("view_search_results"),
                        EventMatch("page_view", (StepFilter("page_location", "contains", "/Apparel"),)),
                    )
                ),
            ),
            FunnelStep("cart or scroll", condition=AnyOf((EventMatch("add_to_cart"), EventMatch("scroll")))),
        ),
    ),
    "dimensions": Funnel(
        "dimensions",
        "",
        (
            FunnelStep(
                "organic page view",
                condition=AllOf((EventMatch("page_view"), DimensionFilter("firstUserMedium", "contains", "organic"))),
            ),
            FunnelStep(
                "on a phone or tablet, from google, not in the US",
                condition=AllOf(
                    (
                        DimensionFilter("deviceCategory", "in", ("mobile", "tablet")),
                        AnyOf((DimensionFilter("sessionSource", "equals", "google"), DimensionFilter("sessionMedium", "equals", "(none)"))),
                        Not(DimensionFilter("country", "equals", "United States")),
                    )
                ),
            ),
            FunnelStep(
                "an item page",
                condition=AllOf(
                    (
                        DimensionFilter("pageLocation", "matches", "https://[^/]+/.*", case_sensitive=False),
                        DimensionFilter("eventName", "starts_with", "view_"),
                    )
                ),
            ),
        ),
        open=True,
    ),
    "numeric_dimension": Funnel(
        "numeric_dimension",
        "",
        (
            _step("session_start"),
            FunnelStep(
                "custom dimension",
                condition=AllOf(
                    (
                        EventMatch("user_engagement"),
                        DimensionFilter("customEvent:engagement_time_msec", "between", (1000.0, 60000.0)),
                        DimensionFilter("sessionSourceMedium", "equals", "(not set)", negated=True),
                    )
                ),
            ),
        ),
    ),
}
#: The funnels with step conditions.
CONDITIONS = ("alternatives", "dimensions", "numeric_dimension")
BREAKDOWNS = (None, "deviceCategory", "sessionSourceMedium", "customEvent:page_title")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EventStore, Path]]:
    store = EventStore()
    store.load_jsonl(GA4_DATA / "export-sample-events.jsonl")
    folder = tmp_path_factory.mktemp("sample-export")
    for (day,) in store.connection.execute("SELECT DISTINCT event_date FROM events").fetchall():
        columns = "* EXCLUDE (_row_hash)"
        store.connection.execute(
            f"COPY (SELECT {columns} FROM events WHERE event_date = '{day}') TO '{folder / f'events_{day}.parquet'}' (FORMAT parquet)"
        )
    yield store, folder
    store.close()


@pytest.mark.parametrize("breakdown", BREAKDOWNS)
@pytest.mark.parametrize("name", sorted(FUNNELS))
def test_funnels_agree_on_the_real_export_rows(sample, name: str, breakdown: str | None):
    store, folder = sample
    funnel = replace(FUNNELS[name], breakdown=breakdown)
    # DuckDB on the stored table, both plans
    expected = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, breakdown)
    assert run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, breakdown, guarded=True) == expected
    assert expected.users[0] > 0
    # DuckDB on the export files read in place
    engine = duckdb_files_engine([str(folder)])
    try:
        relation = engine._relation_for(SAMPLE_START, SAMPLE_END)
        on_files = run_funnel(engine.connection, funnel, SAMPLE_START, SAMPLE_END, breakdown, table=relation)
    finally:
        engine.close()
    assert (on_files.total, on_files.rows) == (expected.total, expected.rows)


@pytest.mark.parametrize("name", sorted(FUNNELS))
def test_the_sql_engine_follows_the_reference_on_the_real_export_rows(sample, name: str):
    """Users and continuations per step of every funnel above, the SQL engine against the Python
    reference of ga_goals.funnels.semantics (step conditions of every kind included)."""
    from tests.funnels.engines import stored_events

    store, _folder = sample
    funnel = FUNNELS[name]
    expected = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END)
    users, continued = reference_detail(stored_events(store, SAMPLE_START, SAMPLE_END), funnel)
    assert (list(expected.users), list(expected.total.continued)) == (users, continued)
    assert expected.users[0] > 0
    if name in CONDITIONS:
        assert expected.users[-1] > 0 and expected.total.continued[0] > 0


def test_bigquery_sql_agrees_on_the_real_export_rows(sample):
    """Every funnel and breakdown above as BigQuery SQL through the real client (one endpoint)."""
    from ga_goals.bigquery.query import Query
    from ga_goals.bigquery.runner import BigQueryRunner

    store, _folder = sample
    with serve_bigquery(store.connection, DATASET) as bq:
        runner = BigQueryRunner(DATASET, endpoint=bq.endpoint)
        for name, base in sorted(FUNNELS.items()):
            for breakdown in BREAKDOWNS:
                funnel = replace(base, breakdown=breakdown)
                compiled = compile_funnel(funnel, SAMPLE_START, SAMPLE_END, breakdown=breakdown, dialect="bigquery", table=DATASET)
                query = Query.of(compiled.query)
                rows = runner.run(query).rows
                got = result_from_rows(funnel, SAMPLE_START, SAMPLE_END, breakdown, rows)
                expected = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, breakdown)
                assert (got.total, got.rows) == (expected.total, expected.rows), (name, breakdown)


def test_the_sandbox_funnel_report_agrees_on_the_real_export_rows(sample, tmp_path: Path):
    """The same funnels as RunFunnelReport requests (the gateway's request shapes) to a sandbox
    holding the sample rows."""
    from ga_goals.ga4 import Target
    from ga_goals.ga4.data import DataGateway
    from ga_goals.sandbox.server import SandboxServer

    store, _folder = sample

    @dataclass(frozen=True)
    class Span:
        name: str
        start: date
        end: date

    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text((GA4_DATA / "export-sample-events.jsonl").read_text())
    server = SandboxServer(tmp_path / "sandbox")
    server.start()
    try:
        server.store.ensure_property("100000007")
        server.data.events.load("100000007", [rows_file], replace=True)
        with DataGateway(Target("properties/100000007", sandbox_address=server.address, timeout=30)) as gateway:
            for name, base in sorted(FUNNELS.items()):
                for breakdown in (None, "deviceCategory"):
                    funnel = replace(base, breakdown=breakdown)
                    table = gateway.run_funnel(funnel, [Span("all", SAMPLE_START, SAMPLE_END)])
                    expected = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, breakdown)
                    assert table.users("all") == list(expected.users), (name, breakdown)
                    for row in expected.rows:
                        assert table.users("all", breakdown=row.breakdown) == list(row.users), (name, row.breakdown)
    finally:
        server.stop()


def test_the_engines_answer_in_the_same_types(shop: Shop):
    """A report cannot tell its engines apart: the JSON of the DuckDB report has the Data API's keys."""
    source = ExportSource(duckdb_files_engine([str(shop.folder)]), property="properties/100000001", time_zone=shop.time_zone)
    with source:
        report = build_report(shop.plan, "weekly", source, today=shop.today)
    data = json.loads(json.dumps(report.to_json()))
    assert set(data) == set(shop.data_api)


def test_next_actions_agree_on_duckdb_and_bigquery(shop: Shop):
    """The checkout funnel's biggest drop and what those users did next (rule 10), on both SQL engines."""
    found = []
    with serve_bigquery(shop.store.connection, DATASET) as bq:
        options = EngineOptions(engine="bigquery", dataset=DATASET, endpoint=bq.endpoint)
        with ExportSource(BigQueryEngine.from_options(options), property="properties/100000001", time_zone=shop.time_zone) as source:
            found.append(build_report(shop.plan, "weekly", source, today=shop.today).to_json()["next_actions"])
    source = ExportSource(duckdb_files_engine([str(shop.folder)]), property="properties/100000001", time_zone=shop.time_zone)
    with source:
        found.append(build_report(shop.plan, "weekly", source, today=shop.today).to_json()["next_actions"])
    assert found[0] == found[1]
    [checkout] = found[0]
    assert checkout["step"] is not None and checkout["left"] > 0 and checkout["actions"]
    assert sum(a["users"] for a in checkout["actions"]) + checkout["other"] == checkout["left"]
    # and the Data API (the sandbox through the real client) says the same
    assert shop.data_api["next_actions"] == found[0]


def test_trends_and_next_actions_agree_on_the_real_export_rows(sample, tmp_path: Path):
    """Rules 9 and 10 on the real rows: the reference, DuckDB (both plans), BigQuery SQL through the
    real client, and the sandbox's TRENDED_FUNNEL and funnelNextAction through the reports' client."""
    from ga_goals.bigquery.query import Query
    from ga_goals.bigquery.runner import BigQueryRunner
    from ga_goals.funnels.semantics import reference_next_actions, reference_trend
    from ga_goals.funnels.sql import compile_next_actions, next_actions_from_rows, run_next_actions
    from ga_goals.ga4 import Target
    from ga_goals.ga4.data import DataGateway
    from ga_goals.reports.trends import TREND_DAYS_MAX
    from ga_goals.sandbox.server import SandboxServer
    from tests.funnels.engines import stored_events

    store, _folder = sample
    stored = stored_events(store, SAMPLE_START, SAMPLE_END)

    @dataclass(frozen=True)
    class Span:
        name: str
        start: date
        end: date

    span = Span("all", SAMPLE_START, SAMPLE_END)
    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text((GA4_DATA / "export-sample-events.jsonl").read_text())
    server = SandboxServer(tmp_path / "sandbox")
    server.start()
    try:
        server.store.ensure_property("100000007")
        server.data.events.load("100000007", [rows_file], replace=True)
        with serve_bigquery(store.connection, DATASET) as bq, DataGateway(
            Target("properties/100000007", sandbox_address=server.address, timeout=30)
        ) as gateway:
            runner = BigQueryRunner(DATASET, endpoint=bq.endpoint)
            for name, base in sorted(FUNNELS.items()):
                trend = replace(base, breakdown="date", breakdown_limit=TREND_DAYS_MAX)
                expected = {r.breakdown: (list(r.users), list(r.continued)) for r in run_funnel(store, trend, SAMPLE_START, SAMPLE_END, "date").rows}
                assert expected == reference_trend(stored, base), name
                guarded = run_funnel(store, trend, SAMPLE_START, SAMPLE_END, "date", guarded=True)
                assert {r.breakdown: (list(r.users), list(r.continued)) for r in guarded.rows} == expected, name
                compiled = compile_funnel(trend, SAMPLE_START, SAMPLE_END, breakdown="date", dialect="bigquery", table=DATASET)
                on_bq = result_from_rows(trend, SAMPLE_START, SAMPLE_END, "date", runner.run(Query.of(compiled.query)).rows, limit=TREND_DAYS_MAX)
                assert {r.breakdown: (list(r.users), list(r.continued)) for r in on_bq.rows} == expected, name
                table = gateway.run_funnel(trend, [span])
                by_day = {v: table.users("all", breakdown=v) for v in table.breakdown_values}
                assert by_day == {day: users for day, (users, _c) in expected.items()}, name

                found = reference_next_actions(stored, base, "pageTitle")
                want = run_next_actions(store, base, SAMPLE_START, SAMPLE_END, "pageTitle")
                assert {k: (want.left[k - 1], dict(want.values[k - 1])) for k in found} == found, name
                assert run_next_actions(store, base, SAMPLE_START, SAMPLE_END, "pageTitle", guarded=True) == want
                query = compile_next_actions(base, SAMPLE_START, SAMPLE_END, "pageTitle", dialect="bigquery", table=DATASET)
                assert next_actions_from_rows(base, "pageTitle", runner.run(Query.of(query)).rows) == want, name
                api = gateway.next_actions(base, span, "pageTitle", 5)
                assert api.left == want.left, name
                for k in range(1, len(base.steps)):
                    assert api.after(k) == want.after(k, 5), (name, k)
    finally:
        server.stop()


# -- segments (rule 11) on the real export rows ----------------------------------------------------

SEGMENTS = {
    # users who first came from an organic search, who never added to the cart
    "organic_users": Segment(
        "organic_users",
        "user",
        DimensionFilter("firstUserMedium", "equals", "organic"),
        title="Organic users",
        exclusion=EventMatch("add_to_cart"),
    ),
    # sessions with a page view from a phone or a tablet
    "mobile_sessions": Segment(
        "mobile_sessions",
        "session",
        AllOf((EventMatch("page_view"), DimensionFilter("deviceCategory", "in", ("mobile", "tablet")))),
        title="Mobile sessions",
    ),
    # events of sessions that did not come from google (a session dimension), and no scrolls
    "not_google_events": Segment(
        "not_google_events",
        "event",
        Not(DimensionFilter("sessionSource", "equals", "google")),
        title="Not from google",
        exclusion=EventMatch("scroll"),
    ),
    # users with a view of an apparel page (an event with a parameter filter)
    "apparel_viewers": Segment(
        "apparel_viewers",
        "user",
        EventMatch("page_view", (StepFilter("page_location", "contains", "/Apparel"),)),
        title="Apparel viewers",
    ),
}


@pytest.mark.parametrize("segment", sorted(SEGMENTS))
@pytest.mark.parametrize("name", sorted(FUNNELS))
def test_segmented_funnels_follow_the_reference_on_the_real_export_rows(sample, name: str, segment: str):
    """Every funnel above in every segment: the SQL engine (both plans, with a breakdown too)
    against the Python reference of rule 11."""
    from tests.funnels.engines import reference_breakdown, stored_events

    store, _folder = sample
    funnel, seg = FUNNELS[name], SEGMENTS[segment]
    stored = stored_events(store, SAMPLE_START, SAMPLE_END)
    expected = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, segment=seg)
    assert run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, guarded=True, segment=seg) == expected
    users, continued = reference_detail(stored, funnel, seg)
    assert (list(expected.users), list(expected.total.continued)) == (users, continued)
    by_device = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, "deviceCategory", segment=seg)
    assert {r.breakdown: r.users for r in by_device.rows} == reference_breakdown(stored, funnel, seg)


def test_every_segment_restricts_something_on_the_real_export_rows(sample):
    """The segments above are neither empty nor everyone on the sample (the tests above mean something)."""
    store, _folder = sample
    funnel = FUNNELS["closed"]
    whole = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END).users[0]
    for name, seg in SEGMENTS.items():
        users = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, segment=seg).users[0]
        assert 0 < users < whole, (name, users, whole)


def test_bigquery_sql_of_segments_agrees_on_the_real_export_rows(sample):
    from ga_goals.bigquery.query import Query
    from ga_goals.bigquery.runner import BigQueryRunner

    store, _folder = sample
    with serve_bigquery(store.connection, DATASET) as bq:
        runner = BigQueryRunner(DATASET, endpoint=bq.endpoint)
        for name, funnel in sorted(FUNNELS.items()):
            for seg in SEGMENTS.values():
                for breakdown in (None, "sessionSourceMedium"):
                    compiled = compile_funnel(
                        funnel, SAMPLE_START, SAMPLE_END, breakdown=breakdown, dialect="bigquery", table=DATASET, segment=seg
                    )
                    got = result_from_rows(funnel, SAMPLE_START, SAMPLE_END, breakdown, runner.run(Query.of(compiled.query)).rows)
                    expected = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, breakdown, segment=seg)
                    assert (got.total, got.rows) == (expected.total, expected.rows), (name, seg.name, breakdown)


def test_the_sandbox_answers_segmented_funnel_requests_on_the_real_export_rows(sample, tmp_path: Path):
    """Every funnel above with the four segments in one RunFunnelReport (the gateway's request:
    ga_goals.ga4.data.segment_proto) to a sandbox holding the sample rows: each segment's row
    is the SQL engine's segmented funnel."""
    from ga_goals.ga4 import Target
    from ga_goals.ga4.data import DataGateway, segment_proto
    from ga_goals.sandbox.server import SandboxServer

    store, _folder = sample

    @dataclass(frozen=True)
    class Span:
        name: str
        start: date
        end: date

    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text((GA4_DATA / "export-sample-events.jsonl").read_text())
    server = SandboxServer(tmp_path / "sandbox")
    server.start()
    segments = list(SEGMENTS.values())
    try:
        server.store.ensure_property("100000007")
        server.data.events.load("100000007", [rows_file], replace=True)
        with DataGateway(Target("properties/100000007", sandbox_address=server.address, timeout=30)) as gateway:
            for name, base in sorted(FUNNELS.items()):
                for breakdown in (None, "deviceCategory"):
                    funnel = replace(base, breakdown=breakdown)
                    table = gateway.run_funnel(
                        funnel, [Span("all", SAMPLE_START, SAMPLE_END)], segments=[segment_proto(s) for s in segments]
                    )
                    assert table.segments == tuple(s.label for s in segments)
                    for seg in segments:
                        expected = run_funnel(store, funnel, SAMPLE_START, SAMPLE_END, breakdown, limit=5, segment=seg)
                        assert table.users("all", seg.label) == list(expected.users), (name, seg.name)
                        for row in expected.rows:
                            assert table.users("all", seg.label, row.breakdown) == list(row.users), (name, seg.name, row.breakdown)
    finally:
        server.stop()
