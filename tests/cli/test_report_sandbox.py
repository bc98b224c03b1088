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


def test_a_split_test_by_an_unregistered_dimension_is_said_not_tested(run, events_cache, tmp_path: Path):
    # Not synced: the property lacks the split test's custom dimension, and the Data API refuses
    # its breakdown. The report says so and shows everything else.
    out = tmp_path / "reports"
    result = run("report", SHOP, "weekly", "-o", out, "--format", "text,json")
    assert result.exit_code == 0, result.output
    [split] = _json_report(out)["split_tests"]
    assert split["message"].startswith(
        "Not tested: the Data API refused the breakdown by customUser:pdp_test (Field customUser:pdp_test is not a "
        "valid dimension."
    )
    assert split["message"].endswith("Register it (custom_dimensions in the plan, then `ga-goals sync`).")
    assert [v["status"] for v in split["values"]] == ["untested"] * 3
    text = next(out.glob("*.txt")).read_text()
    assert "Not tested: the Data API refused the breakdown by customUser:pdp_test" in text
    assert "Checkout funnel" in text and "Key events" in text


def test_weekly_report_of_the_shop_on_generated_traffic(run, events_cache, tmp_path: Path):
    assert run("sync", SHOP, "--apply").exit_code == 0
    out = tmp_path / "reports"
    result = run("report", SHOP, "weekly", "-o", out, "--format", "html,email,text,json,csv")
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".html", ".html", ".json", ".txt"]
    assert str(out) in result.stdout  # says where the files are
    data = _json_report(out)
    assert data["calls"]["data_api"] == {"BatchRunReports": 1, "RunFunnelReport": 19}  # 4 funnels (one with 2 segments in one request), 1 split test, the trend, the next actions, the journey map, baseline, 10 micros
    [split] = data["split_tests"]
    assert [(v["value"], v["status"]) for v in split["values"]] == [("A", "control"), ("B", "better"), ("C", "no_difference")]
    assert data["quota"]["tokens"] > 0
    segmented = [(f["key"], f["heading"]) for f in data["funnels"] if f["segment"]]
    assert segmented == [
        ("checkout_by_segment/newsletter_users", "Checkout by segment · Newsletter readers"),
        ("checkout_by_segment/mobile_sessions", "Checkout by segment · Mobile sessions"),
    ]
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


def test_thresholded_and_sampled_data_is_said_beside_its_figures_in_every_format(run, events_cache, tmp_path: Path):
    """The sandbox set to answer as GA4 does on a big property (ga_goals.sandbox.data_caveats):
    each table says what GA4 said of its own data, in HTML, e-mail, text and JSON."""
    env = {"GA_GOALS_SANDBOX_DATA_CAVEATS": "thresholded,other_row,sample_above=1000"}
    assert run("sync", SHOP, "--apply").exit_code == 0
    out = tmp_path / "reports"
    result = run("report", SHOP, "weekly", "-o", out, "--format", "html,email,text,json", env=env)
    assert result.exit_code == 0, result.output
    data = _json_report(out)
    thresholded = "thresholded: GA4 may have withheld rows with few users"
    other = "some rows were grouped into (other)"
    [sampled] = {n for n in data["site"]["caveats"]["notes"] if n.startswith("sampled: based on ")}
    assert "% of events" in sampled
    # Site totals: user counts, no dimension; key events: by event name; funnels: sampling only.
    assert data["site"]["caveats"]["notes"] == [thresholded, sampled]
    assert data["key_events_caveats"]["notes"] == [thresholded, sampled, other]
    assert [f["caveats"]["notes"] for f in data["funnels"]] == [[sampled]] * len(data["funnels"])
    assert data["micro_macro"]["caveats"]["notes"] == [sampled]
    assert data["site"]["caveats"]["thresholded"] and not data["site"]["caveats"]["other_row"]
    share = data["site"]["caveats"]["sampling"][0]
    assert share["date_range"] == "current" and share["samples_read"] == 1000 < share["sampling_space"]
    assert data["micro_macro"]["rule"].startswith("A micro conversion counts only when it came before the macro conversion")

    text = next(out.glob("*.txt")).read_text()
    key_events = text[text.index("Key events\n") : text.index("Micro conversions against")]
    assert f"! {thresholded}" in key_events and f"! {other}" in key_events
    funnels = text[text.index(f"\n\n{data['funnels'][0]['title']}\n") : text.index("Key events\n")]
    assert f"! {sampled}" in funnels and thresholded not in funnels
    assert data["micro_macro"]["rule"] in text

    # the first funnel's heading: a <section> in the page, the first <h2> in the e-mail
    for suffix, first_funnel in ((".email.html", '<h2 class="name"'), (".html", '<section class="funnel"')):
        [page] = [p for p in out.iterdir() if p.name.endswith(suffix) and (suffix == ".email.html") == p.name.endswith(".email.html")]
        html = page.read_text()
        key_events = _words(html[html.index("Key events</h2>") : html.index("Micro conversions against")])
        assert thresholded in key_events and other in key_events, suffix
        funnels = _words(html[html.index(first_funnel) : html.index("Key events</h2>")])
        assert sampled in funnels and thresholded not in funnels, suffix
        assert data["micro_macro"]["rule"] in _words(html), suffix


def _words(html: str) -> str:
    """The text of some HTML (tags such as <bdi> and <wbr> removed, entities decoded)."""
    import html as html_module
    import re

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def test_a_report_from_export_files_has_no_caveat(run, events_cache, tmp_path: Path):
    """The export engines read every event: no note, every flag false (and the same JSON keys)."""
    assert run("sync", SHOP, "--apply").exit_code == 0
    exports = tmp_path / "exports"
    assert run("sandbox", "export", exports).exit_code == 0
    out = tmp_path / "reports"
    env = {"GA_GOALS_SANDBOX_DATA_CAVEATS": "thresholded,other_row,sample_above=0"}  # the Data API only
    result = run("report", SHOP, "weekly", "--events", exports, "-o", out, "--format", "json,text", env=env)
    assert result.exit_code == 0, result.output
    data = _json_report(out)
    none = {"thresholded": False, "sampled": False, "sampling": [], "other_row": False, "notes": []}
    tables = [data["site"], data["micro_macro"], *data["funnels"]]
    assert all(t["caveats"] == none for t in tables) and data["key_events_caveats"] == none
    assert "! " not in next(out.glob("*.txt")).read_text()
def test_the_readmes_weekly_alert_does_not_fire_on_noise(run, tmp_path: Path):
    """The README's weekly report (traffic generated up to 24 Nov 2026, as in its screenshot):
    purchases fell from 79 to 61 (-22.78 %), past the -20 % alert, and that is chance (p = 0.15).
    Without `significant` the alert fired; the example plan's alert says why it does not."""
    generated = run("sandbox", "generate", "--start", "2026-09-30", "--end", "2026-11-24", "--replace")
    assert generated.exit_code == 0, generated.output
    assert run("sync", SHOP, "--apply").exit_code == 0
    plain = tmp_path / "plain.yaml"
    plain.write_text(SHOP.read_text().replace(", significant: true, min_count: 30}", "}"))
    alerts = {}
    for name, plan in (("plain", plain), ("shop", SHOP)):
        out = tmp_path / name
        result = run("report", plan, "weekly", "--start", "2026-11-18", "--end", "2026-11-24", "-o", out, "--format", "json,text")
        assert result.exit_code == 0, result.output
        data = _json_report(out)
        purchase = next(e for e in data["key_events"] if e["event"] == "purchase")
        assert (purchase["previous_count"], purchase["count"]) == (79, 61)
        assert purchase["count_change"]["significant"] is False
        alerts[name] = next(a for a in data["alerts"] if a["metric"] == "count_change")
        assert "-22.78% ≈" in next(out.glob("*.txt")).read_text()
    assert alerts["plain"]["fired"] and alerts["plain"]["message"] == (
        "purchase: count change is -22.78%, below -20% (within noise: p = 0.15)"
    )
    assert not alerts["shop"]["fired"] and alerts["shop"]["held_back"] == "noise"
    assert alerts["shop"]["message"] == (
        "purchase: count change is -22.78%, below -20%, but within noise (p = 0.15), so the alert does not fire"
    )
