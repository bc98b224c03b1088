"""Trends (completion per day or week) and next actions in the report: the numbers taken from a
source's tables, and the charts and sentences in every format."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from ga_goals.funnels.result import NextActions
from ga_goals.model import Funnel, FunnelStep, NextAction, Trend
from ga_goals.reports.model import ReportData
from ga_goals.reports.render import render_report
from ga_goals.reports.trends import next_action_of, trend_of
from ga_goals.sources.results import FunnelTable, StepValues

FUNNEL = Funnel(
    name="checkout",
    title="Checkout",
    steps=tuple(FunnelStep(name=n, event=n) for n in ("view_item", "add_to_cart", "purchase")),
)
START, END = date(2026, 11, 18), date(2026, 11, 24)  # Wednesday to Tuesday


def table_by_day(days: dict[str, tuple[int, int, int]]) -> FunnelTable:
    table = FunnelTable(step_names=("view_item", "add_to_cart", "purchase"), breakdown="date", date_ranges=("current",))
    for day, users in days.items():
        table.cells[("current", None, day)] = [StepValues(u, 0.0, 0, 0.0) for u in users]
    table.breakdown_values = tuple(days)
    return table


DAYS = {"20261118": (10, 5, 2), "20261119": (20, 10, 10), "20261123": (4, 4, 1), "20261124": (6, 3, 3)}


def test_a_daily_trend_has_every_day_and_no_rate_where_nobody_entered():
    trend = trend_of(Trend("checkout", "day"), FUNNEL, table_by_day(DAYS), START, END, "current")
    assert [p.start for p in trend.points] == [date(2026, 11, d) for d in range(18, 25)]
    assert [p.rate for p in trend.points] == [0.2, 0.5, None, None, None, 0.25, 0.5]
    chart = trend.chart
    assert chart["top"] == 0.5
    # the line joins the days that have a rate: the highest at the top edge, none for empty days
    line = [tuple(map(float, xy.split(","))) for xy in chart["line"].split()]
    assert len(line) == 4 and min(y for _x, y in line) == chart["pad"]
    assert [p["y"] for p in chart["points"]][2:5] == [None, None, None]


def test_a_weekly_trend_sums_the_days_of_each_week_from_monday():
    trend = trend_of(Trend("checkout", "week"), FUNNEL, table_by_day(DAYS), START, END, "current")
    assert [(p.start, p.entered, p.completed) for p in trend.points] == [
        (date(2026, 11, 16), 30, 12),
        (date(2026, 11, 23), 10, 4),
    ]


def actions(left: dict[int, int], values: dict[int, dict[str, int]]) -> NextActions:
    return NextActions.of(FUNNEL, "eventName", left, values)


def test_next_actions_of_the_step_that_loses_the_most_users():
    found = actions({1: 40, 2: 60}, {1: {"scroll": 30}, 2: {"page_view": 30, "scroll": 12, "a": 1, "b": 1}})
    result = next_action_of(NextAction("checkout", "eventName", limit=2), FUNNEL, found)
    assert (result.step, result.step_name, result.next_step_name, result.left) == (2, "add_to_cart", "purchase", 60)
    assert [(a.value, a.users, a.share) for a in result.actions] == [("page_view", 30, 0.5), ("scroll", 12, 0.2)]
    assert result.other == 18  # beyond the limit, or nothing more
    # a tie goes to the earlier step; nobody leaving says so
    assert next_action_of(NextAction("checkout"), FUNNEL, actions({1: 5, 2: 5}, {})).step == 1
    assert next_action_of(NextAction("checkout"), FUNNEL, actions({1: 0, 2: 0}, {})).step is None


def with_sections(weekly: ReportData) -> ReportData:
    trend = trend_of(Trend("checkout", "day"), FUNNEL, table_by_day(DAYS), START, END, "current")
    found = actions({1: 40, 2: 60}, {2: {"page_view": 30, "<b>scroll</b>": 12}})
    return dataclasses.replace(
        weekly, trends=(trend,), next_actions=(next_action_of(NextAction("checkout", limit=5), FUNNEL, found),)
    )


def test_the_page_draws_the_trend_as_an_svg_line(weekly):
    data = with_sections(weekly)
    html = render_report(data, "html")
    section = html[html.index('<section class="trend"') : html.index("</section>", html.index('<section class="trend"'))]
    assert f'points="{data.trends[0].chart["line"]}"' in section
    assert section.count("<circle") == 4 and "<script" not in section
    assert "Thu Nov 19: 50%" in section
    assert "After step 2" in html and "&lt;b&gt;scroll&lt;/b&gt;" in html and "<b>scroll</b>" not in html


def test_the_email_draws_the_trend_as_a_table_without_svg(weekly):
    email = render_report(with_sections(weekly), "email")
    trend = email[email.index("Checkout</bdi>: completion per") :]
    trend = trend[: trend.index("</table>\n</td></tr>")]
    assert "<svg" not in trend and 'bgcolor="#1a73e8"' in trend
    # the bar widths are the rates against the highest (50 %): 20 % -> 40 %, 50 % -> 100 %
    assert re.findall(r'width="(\d+)%"[^>]*>(?:<tbody>)?<tr><td bgcolor', trend) == ["40", "100", "50", "100"]
    # the bar cell keeps no padding or border of the table around it (the last declaration wins)
    for style in re.findall(r'bgcolor="#1a73e8" height="10" style="([^"]*)"', trend):
        declared = dict(d.split(":", 1) for d in (x.strip() for x in style.split(";")) if d)
        assert declared["padding"].strip() == "0" and declared["border"].strip() == "0", style


def test_the_text_report_draws_bars_and_lists_the_next_actions(weekly):
    text = render_report(with_sections(weekly), "text")
    assert "Thu Nov 19" in text and "#" * 30 in text
    assert "page_view: 50" in text and "something else, or nothing more in the period: 30" in text
