"""GA4's rolling active-user metrics: ``active1DayUsers``, ``active7DayUsers``, ``active28DayUsers``
and the stickiness ratios ``dauPerWau``, ``dauPerMau``, ``wauPerMau``.

GA4 (https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema; docs/ga4-api-facts.md,
section 3.2c): "the number of distinct active users on your site or app within a N day period. The N
day period includes the last day in the report's date range"; the ratios are "the rolling percent of
30-day active users who are also 1-day (7-day) active users" and of 7-day active users who are also
1-day active users: users active on the last day are active in the longer window too, so each ratio is
the short window's count over the long one's (0 when that is 0).

The window ends on the row's ``date`` when the report has that dimension, else on the last day of the
row's date range, and reaches back before the range: the sandbox reads the property's events of the
N days ending there (``wsrc``: the range's days and the 29 before it), with the row's other dimension
values and the request's dimension filter, and counts the users active in them (``is_active_user`` not
false, as ``activeUsers``). Only event-scoped dimensions can say which window events belong to a row;
other time dimensions than ``date`` (``week``, ``dateHour``...) would each need a window GA4 does not
define: those requests answer UNIMPLEMENTED, naming the dimension.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ga_goals.sandbox.reporting import Catalogue, Dimension, Metric

#: Days before a range's first day the windows may read (the 30-day window of a row on that day).
LOOKBACK = 29

#: api name -> (UI name, description, the windows in days: one count, or numerator and denominator).
WINDOW_METRICS: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "active1DayUsers": (
        "1-day active users",
        "Distinct active users within the 1 day period ending on the row's date (else the range's last day).",
        (1,),
    ),
    "active7DayUsers": (
        "7-day active users",
        "Distinct active users within the 7 day period ending on the row's date (else the range's last day).",
        (7,),
    ),
    "active28DayUsers": (
        "28-day active users",
        "Distinct active users within the 28 day period ending on the row's date (else the range's last day).",
        (28,),
    ),
    "dauPerWau": ("DAU / WAU", "The rolling percent of 7-day active users who are also 1-day active users.", (1, 7)),
    "dauPerMau": ("DAU / MAU", "The rolling percent of 30-day active users who are also 1-day active users.", (1, 30)),
    "wauPerMau": ("WAU / MAU", "The rolling percent of 30-day active users who are also 7-day active users.", (7, 30)),
}


def register(catalogue: Catalogue) -> None:
    from ga_goals.sandbox.reporting import Metric

    for api, (ui, description, window) in WINDOW_METRICS.items():
        type_ = "TYPE_INTEGER" if len(window) == 1 else "TYPE_FLOAT"
        catalogue.metrics[api] = Metric(api, ui, "User", description, type_, "NULL", integer=len(window) == 1, window=window)


def check_dimensions(dimensions: Sequence[Dimension], metrics: Sequence[Metric]) -> None:
    """UNIMPLEMENTED for a dimension the windows cannot follow (see the module docstring)."""
    from ga_goals.sandbox.reporting import unimplemented

    windowed = [m.api_name for m in metrics if m.window]
    if not windowed:
        return
    for d in dimensions:
        if d.scope == "range":
            continue
        timed = d.category == "Time" and d.api_name != "date"
        if d.scope != "event" or d.item or d.needs_range or timed:
            raise unimplemented(
                f"{windowed[0]} with the dimension {d.api_name} (rolling active users follow event-scoped "
                "dimensions and date only)"
            )


def window_source(table: str, columns: Sequence[str], where: str) -> str:
    """The ``wsrc`` CTE: per range ``ri``, the events of the range and the days before it (``day``,
    ``uid``, ``active`` and the dimension ``columns``), restricted by ``where`` (over those columns)."""
    cols = "".join(f", {c}" for c in columns)
    first = f"strftime(CAST(strptime(r.lo, '%Y%m%d') AS DATE) - INTERVAL {LOOKBACK} DAY, '%Y%m%d')"
    return (
        "wsrc AS (\n  SELECT * FROM (SELECT r.ri, r.rname, t.event_date AS day, t.user_pseudo_id AS uid, "
        f"COALESCE(t.is_active_user, TRUE) AS active{cols} FROM {table} AS t JOIN ranges AS r "
        f"ON t.event_date BETWEEN {first} AND r.hi) AS x{where}\n)"
    )


def _count(days: int, end: str, matched: Sequence[str]) -> str:
    match = "".join(f" AND w.{a} IS NOT DISTINCT FROM g.{a}" for a in matched)
    return (
        "(SELECT COUNT(DISTINCT w.uid) FROM wsrc AS w WHERE w.ri = g.ri AND w.active AND w.uid IS NOT NULL "
        f"AND w.day BETWEEN strftime({end} - INTERVAL {days - 1} DAY, '%Y%m%d') AND strftime({end}, '%Y%m%d'){match})"
    )


def with_windows(grouped: str, keys: Sequence[str], metrics: Sequence[Metric], matched: Sequence[str], date: str | None) -> str:
    """``grouped`` (columns ``ri``, ``keys``, ``m1..mk``) with its window metrics' columns computed
    over ``wsrc``: the users of the row's ``matched`` dimension values, in the window ending on the
    row's ``date`` column (else the range's last day)."""
    end = f"CAST(strptime(g.{date}, '%Y%m%d') AS DATE)" if date else "CAST(strptime(r.hi, '%Y%m%d') AS DATE)"
    out = ["g.ri", *(f"g.{k}" for k in keys)]
    for j, m in enumerate(metrics):
        column = f"m{j + 1}"
        if not m.window:
            out.append(f"g.{column}")
            continue
        counts = [_count(days, end, matched) for days in m.window]
        value = counts[0] if len(counts) == 1 else f"COALESCE(CAST({counts[0]} AS DOUBLE) / NULLIF({counts[1]}, 0), 0)"
        out.append(f"{value} AS {column}")
    return f"SELECT {', '.join(out)} FROM ({grouped}) AS g JOIN ranges AS r ON r.ri = g.ri"
