"""`ga-goals report` end to end: the real Data API clients against the sandbox's Data API,
on generated shop traffic and on the real GA4 export rows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import CONFIGS, GA4_DATA

SHOP = CONFIGS / "shop.yaml"


@pytest.fixture
def events_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Generated default traffic is cached between sandboxes; keep the cache inside the tests.
    monkeypatch.setenv("GA_GOALS_EVENTS_CACHE", str(tmp_path_factory.getbasetemp() / "events-cache"))


def _json_report(folder: Path) -> dict:
    [path] = folder.glob("*.json")
    return json.loads(path.read_text())


def test_weekly_report_of_the_shop_on_generated_traffic(run, events_cache, tmp_path: Path):
    assert run("sync", SHOP, "--apply").exit_code == 0
    out = tmp_path / "reports"
    result = run("report", SHOP, "weekly", "-o", out, "--format", "html,email,text,json,csv")
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".html", ".html", ".json", ".txt"]
    assert str(out) in result.stdout  # says where the files are
    data = _json_report(out)
    assert data["calls"]["data_api"] == {"BatchRunReports": 1, "RunFunnelReport": 8}
    assert data["quota"]["tokens"] > 0
    for funnel in data["funnels"]:
        users = [step["users"] for step in funnel["steps"]]
        assert all(n > 0 for n in users), (funnel["name"], users)
        if not funnel["open"]:
            assert users == sorted(users, reverse=True)
    events = {row["event"]: row for row in data["key_events"]}
    # newsletter_signup exists only through the event create rule sync registered
    assert events["newsletter_signup"]["count"] > 0
    lift = data["micro_macro"]
    assert lift["all_users"] > 0
    assert sum(1 for row in lift["rows"] if row["users"] > 0) >= 8
    assert lift["rows"] == sorted(lift["rows"], key=lambda row: -(row["lift"] or 0))


PLAN_FOR_THE_REAL_ROWS = """
property: "100000007"
conversions:
  macro:
    purchase: {}
  micro:
    add_to_cart: {}
    begin_checkout: {}
funnels:
  shopping:
    steps: [view_item, add_to_cart, begin_checkout, purchase]
    breakdown: deviceCategory
reports:
  december:
    period: {start: 2020-12-01, end: 2020-12-31}
    compare: previous_period
"""


def test_real_export_rows_load_and_report(run, tmp_path: Path):
    """The 700 real rows of Google's sample property, loaded with `sandbox load`, reported on."""
    from ga_goals.events import EventStore
    from ga_goals.funnels import run_funnel
    from ga_goals.plan_file import load_plan

    loaded = run("sandbox", "load", GA4_DATA / "export-sample-events.jsonl", "--property", "100000007")
    assert loaded.exit_code == 0, loaded.output
    assert "700" in loaded.output
    plan_file = tmp_path / "real.yaml"
    plan_file.write_text(PLAN_FOR_THE_REAL_ROWS)
    out = tmp_path / "reports"
    result = run("report", plan_file, "--sandbox", "-o", out, "--format", "json,text")
    assert result.exit_code == 0, result.output
    data = _json_report(out)
    [funnel] = data["funnels"]

    # The same funnel computed directly on the same rows by the engine.
    store = EventStore()
    store.load_jsonl(GA4_DATA / "export-sample-events.jsonl")
    expected = run_funnel(store, load_plan(plan_file).funnels["shopping"], date(2020, 12, 1), date(2020, 12, 31))
    store.close()
    assert [step["users"] for step in funnel["steps"]] == list(expected.users)
    assert funnel["steps"][0]["users"] > 0


def test_quota_exhausted_mid_report_writes_nothing(run, events_cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The property's hourly Data API tokens run out after the first calls: a clear stop, no files."""
    monkeypatch.setenv("GA_GOALS_SANDBOX_DATA_QUOTA", "tokens_per_hour=3")
    out = tmp_path / "reports"
    result = run("report", SHOP, "weekly", "-o", out)
    assert result.exit_code == 1, result.output
    assert "quota" in result.stderr.lower() and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_unknown_report_name_is_refused_before_any_call(run, tmp_path: Path):
    result = run("report", SHOP, "weekley", "-o", tmp_path / "reports")
    assert result.exit_code == 1
    assert "weekly" in result.stderr  # did you mean
    assert not (tmp_path / "reports").exists()


def test_a_sandbox_folder_held_by_another_process_says_so(run, events_cache, tmp_path: Path, sandbox_dir: Path):
    """`report --sandbox-dir D` while another process (a `sandbox serve --dir D`) holds D's
    events: the sandbox folder is in use, by which process, and what to do; not "GA4 refused it"."""
    import subprocess
    import sys

    generated = run("sandbox", "generate", "--users", 20, "--weeks", 1, "--dir", sandbox_dir)
    assert generated.exit_code == 0, generated.output
    path = sandbox_dir / "events" / "100000001.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        result = run("report", SHOP, "weekly", "--sandbox-dir", sandbox_dir, "-o", tmp_path / "out")
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1, result.output
    message = result.stderr
    assert f"the sandbox folder {sandbox_dir} is in use by another process (PID {holder.pid}," in message
    assert "--sandbox-address" in message
    assert "GA4" not in message and "Conflicting lock" not in message
