"""A report's trends (a funnel's completion rate per day or week) and next actions (what users who
left a funnel at its biggest drop did next), from a source's answer.

A trend is the funnel broken down by ``date``, the day each user entered it (rule 9 of
:mod:`ga_goals.funnels.semantics`): one more funnel in the report's query, answered by every
engine like any breakdown. A week is the sum of its days (each user counts on one day). Next
actions are rule 10, asked through :attr:`ga_goals.sources.base.ReportQuery.next_actions`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from ga_goals.funnels.dimensions import TREND_DIMENSION
from ga_goals.funnels.result import NextActions
from ga_goals.model import Funnel, NextAction, Report, TrackingPlan, Trend
from ga_goals.sources.results import FunnelTable

#: The trend funnel's breakdown limit: every day of any period (the Data API sends a trend as
#: GA4's trended funnel, not as a breakdown, so GA4's limit of 15 values does not apply).
TREND_DAYS_MAX = 3660

#: The chart's size in the HTML report (SVG user units).
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 480, 140, 28


def trend_funnel_name(report: Report, index: int) -> str:
    return f"trend_{report.name}_{index}"


def trend_funnels(plan: TrackingPlan, report: Report) -> list[Funnel]:
    """The funnels the report's trends need: each broken down by the entry date."""
    return [
        replace(plan.funnels[t.funnel], name=trend_funnel_name(report, i), breakdown=TREND_DIMENSION, breakdown_limit=TREND_DAYS_MAX)
        for i, t in enumerate(report.trends)
    ]


@dataclass(frozen=True)
class TrendPoint:
    """One day or week: the users who entered the funnel then, and those of them who completed it."""

    start: date
    label: str
    entered: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.entered if self.entered else None

    JSON_PROPERTIES = ("rate",)


@dataclass(frozen=True)
class TrendResult:
    funnel: str
    title: str
    by: str
    points: tuple[TrendPoint, ...]

    JSON_PROPERTIES = ("chart",)

    @property
    def chart(self) -> dict[str, Any]:
        """The line chart's geometry (SVG user units; rates 0..max): the polyline of the points
        that have users, each point's position, and the y axis' top value."""
        top = max((p.rate or 0.0 for p in self.points), default=0.0)
        top = max(top, 0.01)
        n = len(self.points)
        inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
        dots = []
        for i, p in enumerate(self.points):
            x = CHART_PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
            y = None if p.rate is None else CHART_PAD + inner_h * (1 - p.rate / top)
            dots.append({"x": round(x, 1), "y": None if y is None else round(y, 1), "label": p.label, "rate": p.rate})
        line = " ".join(f"{d['x']},{d['y']}" for d in dots if d["y"] is not None)
        return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "pad": CHART_PAD, "top": top, "points": dots, "line": line}


def trend_of(trend: Trend, funnel: Funnel, table: FunnelTable, start: date, end: date, span: str) -> TrendResult:
    """The trend of ``funnel`` over ``start..end`` from its table broken down by date (span ``span``)."""
    days: dict[date, tuple[int, int]] = {}
    for value in table.breakdown_values:
        users = table.users(span, breakdown=value)
        if not users or not value.isdigit():
            continue
        day = datetime.strptime(value, "%Y%m%d").date()
        days[day] = (users[0], users[-1])
    points: list[TrendPoint] = []
    day = start
    while day <= end:
        if trend.by == "week":
            first = day - timedelta(days=day.weekday())
            week = [first + timedelta(days=i) for i in range(7)]
            entered = sum(days.get(d, (0, 0))[0] for d in week)
            completed = sum(days.get(d, (0, 0))[1] for d in week)
            points.append(TrendPoint(first, f"week of {first:%b} {first.day}", entered, completed))
            day = first + timedelta(days=7)
        else:
            entered, completed = days.get(day, (0, 0))
            points.append(TrendPoint(day, f"{day:%a} {day:%b} {day.day}", entered, completed))
            day += timedelta(days=1)
    return TrendResult(funnel=funnel.name, title=funnel.title or funnel.name, by=trend.by, points=tuple(points))


@dataclass(frozen=True)
class NextValue:
    value: str
    users: int
    share: float


@dataclass(frozen=True)
class NextActionResult:
    """After the step of the funnel that lost the most users: what they did next."""

    funnel: str
    title: str
    dimension: str
    #: The step (1-based) with the most abandonments, its name and the next step's; None: nobody left.
    step: int | None
    step_name: str | None
    next_step_name: str | None
    left: int
    actions: tuple[NextValue, ...]
    #: Users who left and did something not shown (beyond the limit), or nothing more in the period.
    other: int
    #: Why there is nothing to show (the source did not answer), else None.
    message: str | None = None


def next_action_of(spec: NextAction, funnel: Funnel, found: NextActions | None) -> NextActionResult:
    """The next actions of ``funnel``'s biggest drop (most users lost; ties: the earlier step)."""
    title = funnel.title or funnel.name
    if found is None:
        return NextActionResult(
            spec.funnel, title, spec.dimension, None, None, None, 0, (), 0,
            message="The data source returned no next actions for this funnel.",
        )
    if not found.left or max(found.left) == 0:
        return NextActionResult(spec.funnel, title, spec.dimension, None, None, None, 0, (), 0)
    step = max(range(1, len(found.left) + 1), key=lambda k: (found.left[k - 1], -k))
    left = found.left[step - 1]
    actions = tuple(NextValue(v, u, u / left) for v, u in found.after(step, spec.limit))
    # The Data API returns only the most frequent values: what is not shown is one remainder.
    other = left - sum(a.users for a in actions)
    return NextActionResult(
        spec.funnel, title, spec.dimension, step, found.step_names[step - 1], found.step_names[step], left, actions, other
    )
