"""`ga-goals report --engine duckdb|bigquery` from the command line: the same report as the Data
API's, and every bad input a clear message, exit 1, and no report written or e-mailed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ga_goals.errors import ExitCode
from ga_goals.events import EventStore
from ga_goals.sandbox.bigquery import Fault, serve_bigquery
from tests.conftest import CONFIGS, GA4_DATA

SHOP = CONFIGS / "shop.yaml"
DATASET = "ga-goals-test.analytics_100000001"
SECTIONS = ("site", "funnels", "key_events", "micro_macro", "split_tests")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The shop synced to a sandbox, its weekly report from the Data API, and its events exported
    (once for the module: the tests only read them)."""
    from click.testing import CliRunner

    from ga_goals.cli import cli

    tmp = tmp_path_factory.mktemp("engines")
    env = {"GA_GOALS_SANDBOX_DIR": str(tmp / "sandbox"), "GA_GOALS_EVENTS_CACHE": str(tmp / "events-cache")}
    runner = CliRunner()

    def run(*args: object) -> object:
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)

    assert run("sync", SHOP, "--apply").exit_code == 0
    result = run("report", SHOP, "weekly", "-o", tmp / "api", "--format", "json")
    assert result.exit_code == 0, result.output
    [path] = (tmp / "api").glob("*.json")
    exported = run("sandbox", "export", tmp / "export")
    assert exported.exit_code == 0, exported.output
    assert "daily export files" in exported.stdout
    return {"data_api": json.loads(path.read_text()), "export": tmp / "export", "tmp": tmp}


def _report(folder: Path) -> dict:
    [path] = folder.glob("*.json")
    return json.loads(path.read_text())


def test_duckdb_engine_on_exported_files(run, shop):
    out = shop["tmp"] / "duckdb"
    result = run("report", SHOP, "weekly", "--events", shop["export"], "-o", out, "--format", "json,text")
    assert result.exit_code == 0, result.output
    assert "DuckDB queries over 56 Parquet files" in result.stdout or "DuckDB queries over" in result.stdout
    data = _report(out)
    assert {k: data[k] for k in SECTIONS} == {k: shop["data_api"][k] for k in SECTIONS}
    assert data["source"]["engine"] == "duckdb"
    [text] = out.glob("*.txt")
    assert "DuckDB quer" in text.read_text()


@pytest.fixture(scope="module")
def loaded(shop) -> Iterator[EventStore]:
    store = EventStore()
    store.load_parquet(str(Path(shop["export"]) / "*.parquet"))
    yield store
    store.close()


@pytest.fixture
def endpoint(loaded: EventStore) -> Iterator[object]:
    with serve_bigquery(loaded.connection, DATASET) as bq:
        yield bq


def test_bigquery_engine_says_the_dry_run_then_reports(run, shop, endpoint):
    out = shop["tmp"] / "bigquery"
    result = run("report", SHOP, "weekly", "--dataset", DATASET, "--bigquery-endpoint", endpoint.endpoint, "-o", out, "--format", "json")
    assert result.exit_code == 0, result.output
    # per period: totals, 4 funnels (2 segments: 2 queries), the split test, the journey map, the lift,
    # the trend; the next actions once
    assert "BigQuery dry run: 19 queries will process" in result.stderr
    assert "cap 10.0 GiB per query" in result.stderr
    data = _report(out)
    assert {k: data[k] for k in SECTIONS} == {k: shop["data_api"][k] for k in SECTIONS}
    assert data["source"]["bytes_billed"] >= 8 * 10 * 2**20  # BigQuery's 10 MiB minimum per query


def test_bigquery_above_the_cap_is_refused_before_anything_is_billed(run, shop, endpoint):
    out = shop["tmp"] / "capped"
    result = run(
        "report", SHOP, "weekly", "--dataset", DATASET, "--bigquery-endpoint", endpoint.endpoint,
        "--max-bytes-billed", "5MiB", "-o", out,
    )
    assert result.exit_code == ExitCode.ERROR
    assert "more than the cap of 5.0 MiB" in result.stderr and "Traceback" not in result.output
    assert [j for j in endpoint.jobs.recorded if not j.dry_run] == []  # nothing ran
    assert not out.exists()


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault("jobs.insert", 403, "accessDenied", "Access Denied: User does not have bigquery.jobs.create"), "BigQuery Job User"),
        (Fault("jobs.*", 403, "quotaExceeded", "Quota exceeded: Your project exceeded quota for free query bytes scanned"), "quota"),
        (Fault("tables.list", 404, "notFound", "Not found: Dataset ga-goals-test:analytics_100000001"), "dataset"),
    ],
)
def test_bigquery_refusals_say_what_to_do(run, shop, endpoint, fault, said):
    endpoint.faults.append(fault)
    out = shop["tmp"] / "refused"
    result = run("report", SHOP, "weekly", "--dataset", DATASET, "--bigquery-endpoint", endpoint.endpoint, "-o", out)
    assert result.exit_code == ExitCode.ERROR, result.output
    assert said.lower() in result.stderr.lower() and "Traceback" not in result.output
    assert not out.exists()


def test_a_dataset_without_tables_for_the_period(run, shop, endpoint):
    result = run(
        "report", SHOP, "weekly", "--dataset", DATASET, "--bigquery-endpoint", endpoint.endpoint,
        "--start", "2020-01-01", "--end", "2020-01-07", "-o", shop["tmp"] / "none",
    )
    assert result.exit_code == ExitCode.ERROR
    assert "has no export tables for 2020-01-01 .. 2020-01-07" in result.stderr
    assert "days)" in result.stderr  # says which days it has


def _error(result) -> str:
    assert result.exit_code == ExitCode.ERROR, result.output
    assert "Traceback" not in result.output
    return result.stderr


def test_bad_export_paths(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GA_GOALS_EVENTS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    missing = _error(run("report", SHOP, "weekly", "--events", tmp_path / "nope", "-o", out))
    assert str(tmp_path / "nope") in missing
    (tmp_path / "empty").mkdir()
    empty = _error(run("report", SHOP, "weekly", "--events", tmp_path / "empty", "-o", out))
    assert "empty" in empty
    not_ga4 = tmp_path / "not-ga4.parquet"
    store = EventStore()
    store.connection.execute(f"COPY (SELECT 1 AS a, 'x' AS b) TO '{not_ga4}' (FORMAT parquet)")
    store.close()
    wrong = _error(run("report", SHOP, "weekly", "--events", not_ga4, "-o", out))
    assert "event_name" in wrong and "GA4" in wrong
    assert not out.exists()


def test_export_files_that_do_not_cover_the_period(run, tmp_path: Path):
    result = run("report", SHOP, "weekly", "--events", GA4_DATA / "export-sample-events.jsonl", "-o", tmp_path / "out")
    message = _error(result)
    assert "2020" in message  # says which days the files cover


def test_engine_options_that_do_not_fit(run, tmp_path: Path):
    assert "--events names export files for --engine duckdb" in _error(
        run("report", SHOP, "weekly", "--engine", "bigquery", "--dataset", DATASET, "--events", tmp_path)
    )
    assert "--engine duckdb reads GA4 export files" in _error(run("report", SHOP, "weekly", "--engine", "duckdb"))
    assert "--dataset PROJECT.analytics_NNN" in _error(run("report", SHOP, "weekly", "--engine", "bigquery"))
    assert "is not a size" in _error(run("report", SHOP, "weekly", "--dataset", DATASET, "--max-bytes-billed", "lots"))
    unknown = run("report", SHOP, "weekly", "--engine", "spark")
    assert unknown.exit_code == ExitCode.USAGE


def test_a_failed_engine_sends_no_email(run, tmp_path: Path):
    """No report is e-mailed as if it were complete: the source fails before any rendering."""
    from tests.reports.smtp_server import LoopbackSMTP, SmtpHandler  # a real aiosmtpd server

    smtp = LoopbackSMTP(SmtpHandler())
    smtp.start()
    try:
        result = run(
            "report", SHOP, "weekly", "--events", tmp_path / "missing", "--email", "--to", "me@example.com",
            "--sent-log", tmp_path / "sent.json", "-o", tmp_path / "out",
            env=smtp.env(),
        )
        _error(result)
        assert smtp.messages == []
    finally:
        smtp.stop()
    assert not (tmp_path / "sent.json").exists()


def test_the_plan_chooses_the_engine_per_environment(run, shop, tmp_path: Path):
    """`source:` in the plan (here per environment, with a path relative to the plan file) chooses
    the engine; the command line still wins."""
    export = Path(shop["export"])
    plan = tmp_path / "plans" / "shop.yaml"
    plan.parent.mkdir()
    text = SHOP.read_text()
    (tmp_path / "plans" / "exports").symlink_to(export, target_is_directory=True)
    plan.write_text(text.replace("environments:\n", "environments:\n  local-export:\n    property: sandbox\n    source: {engine: duckdb, events: [exports/]}\n", 1))
    out = tmp_path / "out"
    result = run("report", plan, "weekly", "--env", "local-export", "-o", out, "--format", "json")
    assert result.exit_code == 0, result.output
    data = _report(out)
    assert data["source"]["engine"] == "duckdb"
    assert {k: data[k] for k in SECTIONS} == {k: shop["data_api"][k] for k in SECTIONS}
    # the command line wins: --engine data-api reads the Data API again
    again = run("report", plan, "weekly", "--env", "local-export", "--engine", "data-api", "-o", tmp_path / "api", "--format", "json")
    assert again.exit_code == 0, again.output
    assert _report(tmp_path / "api")["source"]["engine"] == "data-api"
