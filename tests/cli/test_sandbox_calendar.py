"""Sandbox events that do not move with the calendar, and the cache of default traffic.

* ``sandbox generate`` (explicit dates or --weeks) says its events stay on their dates;
* ``report`` warns when a period reaches outside the days the sandbox property has events for
  (the report would show zeros and fire alerts for nothing);
* the cache of default traffic keeps only the newest file per seed and user count.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from ga_goals.sandbox import events as sandbox_events
from ga_goals.sandbox.events import SandboxEvents, coverage_warnings
from tests.conftest import CONFIGS

SHOP = CONFIGS / "shop.yaml"
D = date.fromisoformat


# -- coverage_warnings ------------------------------------------------------------------------


def test_a_period_inside_the_events_needs_no_warning():
    assert coverage_warnings("1", D("2026-01-01"), D("2026-01-31"), [("report", D("2026-01-08"), D("2026-01-14"))]) == []


@pytest.mark.parametrize(
    "start,end,partly",
    [("2026-02-01", "2026-02-07", False), ("2025-12-01", "2025-12-07", False), ("2026-01-29", "2026-02-04", True),
     ("2025-12-30", "2026-01-02", True), ("2025-12-01", "2026-02-28", True)],
)
def test_a_period_outside_the_events_is_named_with_the_fix(start: str, end: str, partly: bool):
    [message] = coverage_warnings("7", D("2026-01-01"), D("2026-01-31"), [("comparison", D(start), D(end))])
    assert f"the comparison period {start} .. {end} is {'partly ' if partly else ''}outside the events" in message
    assert "sandbox property 7 (2026-01-01 .. 2026-01-31)" in message
    assert "--start 2026-01-01 --end 2026-01-31" in message and "ga-goals sandbox generate --replace" in message


def test_a_property_without_events_is_said():
    assert coverage_warnings("7", None, None, [("report", D("2026-01-01"), D("2026-01-07"))]) == [
        "sandbox property 7 has no events: every number of the report is zero"
    ]


# -- the CLI ----------------------------------------------------------------------------------


def test_generate_says_its_events_stay_on_their_dates(run, sandbox_dir: Path):
    result = run("sandbox", "generate", "--users", 10, "--start", "2026-01-01", "--end", "2026-01-14", "--replace")
    assert result.exit_code == 0, result.output
    assert "These events stay on 2026-01-01 .. 2026-01-14" in result.stdout
    assert "do not move with the calendar" in result.stdout


def test_report_warns_about_a_period_outside_the_sandbox_events(run, sandbox_dir: Path, tmp_path: Path):
    assert run("sandbox", "generate", "--users", 30, "--start", "2026-01-01", "--end", "2026-01-28", "--replace").exit_code == 0
    outside = run("report", SHOP, "weekly", "--start", "2026-02-02", "--end", "2026-02-08", "-o", tmp_path / "a")
    assert outside.exit_code == 0, outside.output
    assert "Warning: weekly: the report period 2026-02-02 .. 2026-02-08 is outside the events" in outside.stderr
    assert "comparison period 2026-01-26 .. 2026-02-01 is partly outside" in outside.stderr
    inside = run("report", SHOP, "weekly", "--start", "2026-01-15", "--end", "2026-01-21", "-o", tmp_path / "b")
    assert inside.exit_code == 0, inside.output
    assert "outside the events" not in inside.stderr


def test_report_on_traffic_ending_yesterday_does_not_warn(run, sandbox_dir: Path, tmp_path: Path):
    # 4 weeks ending yesterday hold last week and the week before, the weekly report's two periods
    assert run("sandbox", "generate", "--users", 30, "--weeks", 4, "--replace").exit_code == 0
    result = run("report", SHOP, "weekly", "-o", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert "outside the events" not in result.stderr


# -- the cache --------------------------------------------------------------------------------


def _cached(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("shop-*.duckdb"))


def test_the_cache_keeps_the_newest_default_traffic_per_property(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("GA_GOALS_EVENTS_CACHE", str(cache))
    events = SandboxEvents(tmp_path / "state", default_users=10)
    day = date(2026, 3, 1)
    for shift in range(3):  # three days in a row: the first report of each day generates
        start, end = day + timedelta(days=shift), day + timedelta(days=shift + 6)
        assert events._write_default(events.path("11"), "11", start, end) is False
    events._write_default(events.path("22"), "22", day, day + timedelta(days=6))
    names = _cached(cache)
    assert len(names) == 2, names
    assert any("-20260303-20260309-u10-s11-" in n for n in names)
    assert any("-s22-" in n for n in names)
    # the same day again comes from the cache
    assert events._write_default(events.path("11"), "11", D("2026-03-03"), D("2026-03-09")) is True
    # a file not touched for days goes too, whatever its seed
    stale = cache / names[0]
    old = stale.stat().st_mtime - (sandbox_events.CACHE_DAYS + 1) * 86400
    os.utime(stale, (old, old))
    events._write_default(events.path("33"), "33", day, day + timedelta(days=6))
    assert stale.name not in _cached(cache)


def test_a_cache_file_pruned_meanwhile_is_generated_instead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("GA_GOALS_EVENTS_CACHE", str(cache))
    events = SandboxEvents(tmp_path / "state", default_users=10)
    start, end = D("2026-03-01"), D("2026-03-07")
    events._write_default(events.path("11"), "11", start, end)

    def vanished(source: Path, target: Path) -> None:
        raise FileNotFoundError(source)

    monkeypatch.setattr(sandbox_events, "_copy_into_place", vanished)
    assert events._write_default(tmp_path / "other.duckdb", "11", start, end) is False
    assert (tmp_path / "other.duckdb").is_file()
