"""Events in the sandbox: `ga-goals sandbox load | generate | status | reset`, default traffic,
and the real export rows reported through the Data API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc

from ga_goals.cli import cli
from ga_goals.events import EventStore
from ga_goals.funnels import run_funnel
from ga_goals.model.tracking_plan import Funnel, FunnelStep
from ga_goals.sandbox import events as sandbox_events
from ga_goals.sandbox.admin import AdminBackend
from ga_goals.sandbox.events import SandboxEvents, default_range
from ga_goals.sandbox.server import SandboxServer
from tests.conftest import GA4_DATA
from tests.sandbox.data_api_helpers import clients, cursor, rows

SAMPLE = GA4_DATA / "export-sample-events.jsonl"
SAMPLE_PROPERTY = "777"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GA_GOALS_EVENTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GA_GOALS_SANDBOX_DATA_QUOTA", raising=False)
    return tmp_path / "sandbox"


@pytest.fixture
def run(state: Path) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: object) -> Result:
        return runner.invoke(cli, ["sandbox", *(str(a) for a in args), "--dir", str(state)], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def sample_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample rows as a Parquet export file (written by DuckDB from the export schema)."""
    path = tmp_path_factory.mktemp("parquet") / "events_sample.parquet"
    with EventStore() as store:
        store.load_jsonl(SAMPLE)
        store.connection.execute(f"COPY (SELECT * EXCLUDE (_row_hash) FROM events) TO '{path}' (FORMAT PARQUET)")
    return path


# -- load --------------------------------------------------------------------------------------


def test_load_jsonl_then_again_then_replace(run, state: Path):
    first = run("load", SAMPLE, "--property", SAMPLE_PROPERTY)
    assert first.exit_code == 0, first.output
    assert f"{SAMPLE}: 700 rows read, 700 inserted, 0 duplicates" in first.output
    assert "properties/777 now holds 700 events of 178 users, 2020-11-01 .. 2021-01-31 (92 dates)." in first.output
    again = run("load", SAMPLE, "--property", SAMPLE_PROPERTY)
    assert "700 rows read, 0 inserted, 700 duplicates" in again.output
    replaced = run("load", SAMPLE, "--property", SAMPLE_PROPERTY, "--replace")
    assert "700 rows read, 700 inserted, 0 duplicates" in replaced.output and "(replaced)" in replaced.output
    assert (state / "events" / "777.duckdb").is_file()
    assert (state / "properties" / "777.json").is_file()  # the property was created


def test_load_parquet_and_jsonl_are_the_same_events(run, sample_parquet: Path):
    parquet = run("load", sample_parquet, "--property", "888")
    assert "700 rows read, 700 inserted, 0 duplicates" in parquet.output, parquet.output
    both = run("load", SAMPLE, sample_parquet, "--property", "888")
    assert "Total: 1,400 rows read, 0 inserted, 1,400 duplicates" in both.output


def test_bad_files_load_nothing(run, state: Path, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"event_name": "page_view", "event_timestamp": "1"}\n{"user_pseudo_id": "u"}\n')
    result = run("load", SAMPLE, bad)
    assert result.exit_code == 1
    assert "bad.jsonl: 1 row(s) lack event_name or event_timestamp" in result.output and "Nothing was loaded" in result.output
    assert SandboxEvents(state).summary("100000001") is None  # the good file before it was not kept either
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    assert "cannot read it as GA4 export rows" in run("load", broken).output
    assert "unknown file type" in run("load", GA4_DATA / "README.md").output
    assert "no such file" in run("load", tmp_path / "missing.jsonl").output
    assert "--property: property id 'abc'" in run("load", SAMPLE, "--property", "abc").output


# -- generate ----------------------------------------------------------------------------------


def test_generate_weeks_dates_seed_and_replace(run, state: Path):
    result = run("generate", "--users", 150, "--weeks", 1, "--property", "5")
    assert result.exit_code == 0, result.output
    start, end = default_range("UTC", weeks=1)
    assert "events of 150 users" in result.output and f"over {start} .. {end}" in result.output
    again = run("generate", "--users", 150, "--weeks", 1, "--property", "5")
    assert "s; 0 inserted, " in again.output and "already stored" in again.output  # the same seed (the property id) gives the same events
    explicit = run("generate", "--users", 100, "--start", "2026-01-05", "--end", "2026-01-11", "--seed", 3, "--property", "5", "--replace")
    assert "over 2026-01-05 .. 2026-01-11" in explicit.output
    summary = SandboxEvents(state).summary("5")
    assert summary is not None and (summary.first, summary.last, summary.users) == (date(2026, 1, 5), date(2026, 1, 11), 100)
    assert "--start and --end go together" in run("generate", "--start", "2026-01-01").output
    assert "not both" in run("generate", "--weeks", 2, "--start", "2026-01-01", "--end", "2026-01-02").output
    assert "before --start" in run("generate", "--start", "2026-01-05", "--end", "2026-01-01").output


# -- status and reset --------------------------------------------------------------------------


def test_status_counts_without_generating(run, state: Path):
    run("generate", "--users", 100, "--weeks", 1)
    from ga_goals.sandbox.store import SandboxStore

    SandboxStore(state).ensure_property("9")
    text = run("status")
    assert "properties/100000001" in text.output
    assert "events: " in text.output and "events of 100 users" in text.output and "generated" in text.output
    assert "properties/9" in text.output and "none yet (the first Data API call generates" in text.output
    data = json.loads(run("status", "--json").output)
    assert data["properties"]["100000001"]["events"]["users"] == 100
    assert data["properties"]["9"]["events"] is None
    assert not (state / "events" / "9.duckdb").exists()


def test_reset_drops_events_unless_kept(run, state: Path):
    run("generate", "--users", 50, "--weeks", 1)
    kept = run("reset", "--yes", "--keep-events")
    assert "events dropped" not in kept.output and SandboxEvents(state).exists("100000001")
    dropped = run("reset", "--yes")
    assert "events dropped: properties/100000001" in dropped.output
    assert not SandboxEvents(state).exists("100000001")


# -- servers and files -------------------------------------------------------------------------


def site_report(address: str, pid: str, start: str = "2020-11-01", end: str = "2021-01-31") -> beta.RunReportResponse:
    with clients(address) as api:
        return api.beta.run_report(
            beta.RunReportRequest(
                property=f"properties/{pid}",
                date_ranges=[beta.DateRange(start_date=start, end_date=end)],
                metrics=[beta.Metric(name="eventCount"), beta.Metric(name="totalUsers")],
            )
        )


def test_loads_are_refused_while_a_server_has_the_file(run, state: Path):
    run("load", SAMPLE, "--property", SAMPLE_PROPERTY)
    with SandboxServer(state) as server:
        assert rows(site_report(server.address or "", SAMPLE_PROPERTY))[0][1] == ["700", "178"]
        result = run("load", SAMPLE, "--property", SAMPLE_PROPERTY)
        assert result.exit_code == 1 and "is in use" in result.output
        assert "in use by a running sandbox server" in run("status").output
    assert "0 inserted" in run("load", SAMPLE, "--property", SAMPLE_PROPERTY).output  # closed when the server stopped


def test_a_file_held_by_another_process_is_a_clear_error(run, state: Path):
    run("generate", "--users", 20, "--weeks", 1)
    path = state / "events" / "100000001.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with SandboxServer(state) as server:
            server.store.ensure_property("100000001")
            with pytest.raises(gexc.FailedPrecondition, match="in use by another process"):
                site_report(server.address or "", "100000001", "7daysAgo", "yesterday")
        assert "in use by another process" in run("load", SAMPLE).output
    finally:
        holder.kill()
        holder.wait()


# -- default traffic ---------------------------------------------------------------------------


def test_default_traffic_is_generated_once_cached_and_refreshed(state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def fresh(folder: Path) -> SandboxServer:
        server = SandboxServer(folder)
        server.store.ensure_property("100000001")
        assert server.data is not None
        server.data.events.default_users = 120
        server.start()
        return server

    first = fresh(state)
    try:
        started = time.perf_counter()
        report = site_report(first.address or "", "100000001", "56daysAgo", "yesterday")
        elapsed = time.perf_counter() - started
        events, users = (int(v) for v in rows(report)[0][1])
        assert users == 120 and events > 1000
        assert first.data is not None and first.data.events.last_default is not None
        assert first.data.events.last_default[1] is False  # generated
        with cursor(first, "100000001") as con:
            low, high = con.execute("SELECT min(event_date), max(event_date) FROM events").fetchone()
        start, end = default_range("UTC")
        assert (low, high) <= (start.strftime("%Y%m%d"), end.strftime("%Y%m%d")) and high == end.strftime("%Y%m%d")
        assert elapsed < 30
        # Later calls use the open file.
        site_report(first.address or "", "100000001", "56daysAgo", "yesterday")
        # A new day: default traffic that ends before yesterday is replaced.
        tomorrow = date.today() + timedelta(days=1)
        monkeypatch.setattr(sandbox_events, "today_in", lambda zone: tomorrow)
        site_report(first.address or "", "100000001", "56daysAgo", "today")
        with cursor(first, "100000001") as con:
            (high,) = con.execute("SELECT max(event_date) FROM events").fetchone()
        assert high == date.today().strftime("%Y%m%d")
        # The cache keeps the newest default traffic of the property only: the new day's.
        [kept] = (tmp_path / "cache").glob("shop-*-s100000001-*.duckdb")
        assert f"-{date.today():%Y%m%d}-u120-" in kept.name
        monkeypatch.undo()
        monkeypatch.setenv("GA_GOALS_EVENTS_CACHE", str(tmp_path / "cache"))
    finally:
        first.stop()

    # Back to today (the clock moved back): generated again, then cached for the next folder.
    for folder, from_cache in ((tmp_path / "other", False), (tmp_path / "third", True)):
        other = fresh(folder)
        try:
            again = site_report(other.address or "", "100000001", "56daysAgo", "yesterday")
            assert other.data is not None and other.data.events.last_default is not None
            assert other.data.events.last_default[1] is from_cache
            assert rows(again) == rows(report)
        finally:
            other.stop()


def test_explicit_events_are_never_replaced(run, state: Path):
    run("load", SAMPLE)
    with SandboxServer(state) as server:
        assert rows(site_report(server.address or "", "100000001"))[0][1] == ["700", "178"]
        assert server.data is not None and server.data.events.last_default is None


# -- the real export rows, reported ------------------------------------------------------------


@pytest.fixture
def sample_server(run, state: Path) -> Iterator[SandboxServer]:
    assert run("load", SAMPLE, "--property", SAMPLE_PROPERTY).exit_code == 0
    server = SandboxServer(state)
    AdminBackend(server.store).create("key_events", f"properties/{SAMPLE_PROPERTY}", {"event_name": "add_to_cart", "counting_method": "ONCE_PER_EVENT"})
    server.start()
    yield server
    server.stop()


def test_export_sample_funnel_and_key_events(sample_server: SandboxServer):
    prop = f"properties/{SAMPLE_PROPERTY}"
    names = ("page_view", "view_item", "add_to_cart")
    with clients(sample_server.address or "") as api:
        response = api.alpha.run_funnel_report(
            alpha.RunFunnelReportRequest(
                property=prop,
                date_ranges=[alpha.DateRange(start_date="2020-11-01", end_date="2021-01-31")],
                funnel=alpha.Funnel(
                    steps=[
                        alpha.FunnelStep(
                            name=n,
                            filter_expression=alpha.FunnelFilterExpression(funnel_event_filter=alpha.FunnelEventFilter(event_name=n)),
                        )
                        for n in names
                    ]
                ),
                funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="deviceCategory")),
            )
        )
        key = api.beta.run_report(
            beta.RunReportRequest(
                property=prop,
                date_ranges=[beta.DateRange(start_date="2020-11-01", end_date="2021-01-31")],
                dimensions=[beta.Dimension(name="date")],
                metrics=[beta.Metric(name="keyEvents"), beta.Metric(name="eventCount")],
                limit=100,
            )
        )
    funnel = Funnel("f", "", tuple(FunnelStep(n, n) for n in names))
    with cursor(sample_server, SAMPLE_PROPERTY) as con:
        expected = run_funnel(con, funnel, date(2020, 11, 1), date(2021, 1, 31), "deviceCategory", limit=5)
        per_day = dict(con.execute("SELECT event_date, count(*) FROM events GROUP BY 1").fetchall())
        carts = dict(con.execute("SELECT event_date, count(*) FROM events WHERE event_name = 'add_to_cart' GROUP BY 1").fetchall())
    totals = [r for r in rows(response.funnel_table) if r[0][1] == "RESERVED_TOTAL"]
    assert [int(m[0]) for _d, m in totals] == [u for u in expected.users if u]
    assert expected.users[0] > expected.users[1] > 0
    got = {d[0]: [int(x) for x in m] for d, m in rows(key)}
    assert len(got) == 92 and all(got[day][1] == n for day, n in per_day.items())
    assert {day: v[0] for day, v in got.items() if v[0]} == carts and sum(carts.values()) == 7


def test_events_put_in_the_file_some_other_way_are_kept(state: Path):
    """A DuckDB file written with ga_goals.events directly (no sandbox log) is data, not a default."""
    with EventStore(state / "events" / "100000001.duckdb") as store:
        store.load_jsonl(SAMPLE)
    with SandboxServer(state) as server:
        server.store.ensure_property("100000001")
        assert rows(site_report(server.address or "", "100000001"))[0][1] == ["700", "178"]
        assert server.data is not None and server.data.events.last_default is None
