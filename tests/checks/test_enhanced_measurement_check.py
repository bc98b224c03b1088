"""Enhanced measurement end to end: a sync turns scrolls off, the sandbox's traffic follows the
stream's settings, and `check` finds the micro conversion `scroll` that never fires."""

from __future__ import annotations

from pathlib import Path

from ga_goals.checks import run_check
from ga_goals.manager import Connection, Manager
from ga_goals.plan_file import load_plan
from ga_goals.reports.periods import today_in

PROPERTY = "100000001"

PLAN = """\
property: sandbox
conversions:
  macro:
    purchase: {stage: checkout}
  micro:
    scroll: {stage: product, description: Read a page to the end}
    view_search_results: {stage: category, key_event: false}
"""


def _never_fired(manager: Manager, plan) -> tuple[set[str], dict[str, int]]:
    with manager.report_source(plan) as source:
        result = run_check(plan, source, today=today_in(source.settings().time_zone))
    never = {f.subject: f for f in result.findings if f.kind == "event_never_fired"}
    return set(never), {name: f.message for name, f in never.items()}


def test_scrolls_turned_off_by_sync_make_check_find_the_scroll_that_never_fires(tmp_path: Path) -> None:
    on = tmp_path / "on.yaml"
    on.write_text(PLAN)
    off = tmp_path / "off.yaml"
    off.write_text(PLAN + "enhanced_measurement:\n  scrolls: false\n")
    plan_on, plan_off = load_plan(on), load_plan(off)
    # validate already says it, with the setting
    assert [w.message.split(":")[0] for w in plan_off.warnings] == ["micro conversion 'scroll' will never be measured"]
    with Manager(Connection(sandbox=True, sandbox_dir=tmp_path / "sandbox")) as manager:
        manager.sync(plan_on, apply=True)
        never, _ = _never_fired(manager, plan_on)
        assert "scroll" not in never  # GA4's defaults: scrolls are collected
        events = manager._sandbox().data.events
        with events.reading(PROPERTY) as con:
            before = dict(con.execute("SELECT event_name, count(*) FROM events GROUP BY 1").fetchall())

        plan = manager.plan(plan_off)
        assert [(c.kind, [f.field for f in c.fields]) for c in plan.changes] == [("enhanced_measurement", ["scrolls"])]
        manager.sync(plan_off, apply=True)
        # The next Data API call finds the stream's settings changed: the default traffic is made again.
        never, messages = _never_fired(manager, plan_off)
        assert "scroll" in never and messages["scroll"] == (
            "micro key event 'scroll' never fired: GA4 collects it only while enhanced measurement's scrolls setting "
            "is on, and the plan sets scrolls: false"
        )
        with events.reading(PROPERTY) as con:
            after = dict(con.execute("SELECT event_name, count(*) FROM events GROUP BY 1").fetchall())
        assert before["scroll"] > 1000 and "scroll" not in after
        assert {k: v for k, v in before.items() if k != "scroll"} == after  # nothing else moved
