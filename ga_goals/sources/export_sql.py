"""The SQL of a report's totals and micro vs macro table over GA4 export rows, for DuckDB and BigQuery.

Funnels compile in :mod:`ga_goals.funnels.sql`; this module holds the two other queries a report
runs per date range, each ONE scan of the columns it needs:

* :func:`totals_query`: per key event, its events (``eventCount``), distinct users
  (``totalUsers``) and the sum of its ``value`` parameter (``eventValue``); and for the site, the
  distinct users and sessions (distinct user and ``ga_session_id``) over every event. The same
  definitions as the sandbox's Data API (:mod:`ga_goals.sandbox.reporting`).
* :func:`lift_query`: the closed funnel ``session_start -> macro`` (rules of
  :mod:`ga_goals.funnels.semantics`: the macro conversion at a later moment than the user's
  first session start), for all users and for the users who logged each micro conversion in
  the range: what the Data API answers for the same funnel with one user segment per micro.
"""

from __future__ import annotations

from collections.abc import Sequence

from ga_goals.funnels.dialect import Dialect, SqlQuery
from ga_goals.funnels.sql import export_columns, moment_sql, narrowed
from ga_goals.sources.base import LIFT_ENTRY_EVENT


def totals_query(d: Dialect, relation: str, dates: str | None, events: Sequence[str]) -> SqlQuery:
    """Rows ``(event_name, events, users, value, sessions)``: one per key event that has events,
    and the site row with ``event_name`` NULL (its ``events`` and ``value`` are every event's)."""
    where = [dates] if dates else []
    name = f"IF({d.values_in('t.event_name', list(events))}, t.event_name, '')" if events else "''"
    if not d.bigquery:
        name = name.replace("IF(", "if(")
    sid = d.param("ga_session_id", "int")
    key = (
        f"CONCAT(t.user_pseudo_id, '#', CAST({sid} AS STRING))"
        if d.bigquery
        else f"t.user_pseudo_id || '#' || CAST({sid} AS VARCHAR)"
    )
    rows = (
        f"SELECT t.user_pseudo_id AS uid, {name} AS ev, {d.param('value', 'number')} AS val, {key} AS session_key "
        "FROM {relation} AS t" + (f" WHERE {' AND '.join(where)}" if where else "")
    )
    rows = rows.replace("{relation}", narrowed(relation, " ".join(export_columns(rows))))
    i = d.int_type
    sql = (
        f"SELECT ev, CAST(COUNT(*) AS {i}) AS events, CAST(COUNT(DISTINCT uid) AS {i}) AS users, "
        f"COALESCE(SUM(val), 0) AS value, CAST(COUNT(DISTINCT session_key) AS {i}) AS sessions\n"
        f"FROM ({rows}) AS r GROUP BY ROLLUP (ev)"
    )
    return SqlQuery(sql, d.parameters, d.name)


def lift_query(d: Dialect, relation: str, dates: str | None, macro: str, micros: Sequence[str]) -> SqlQuery:
    """One row: users who started a session and of them who converted, for all users then for the
    users of each micro conversion: ``(entered, converted, entered_1, converted_1, ...)``."""
    names = sorted({LIFT_ENTRY_EVENT, macro, *micros})
    where = ([dates] if dates else []) + ["t.user_pseudo_id IS NOT NULL", d.values_in("t.event_name", names)]
    start, goal = d.value(LIFT_ENTRY_EVENT), d.value(macro)
    flags = [f"{_any(d, f't.event_name = {d.value(m)}')} AS f{i}" for i, m in enumerate(micros, start=1)]
    per_user = (
        f"SELECT {d.agg_min(moment_sql(), f't.event_name = {start}')} AS entry, "
        f"{d.agg_max(moment_sql(), f't.event_name = {goal}')} AS goal"
        + "".join(", " + f for f in flags)
        + " FROM {relation} AS t" + f" WHERE {' AND '.join(where)} GROUP BY t.user_pseudo_id"
    )
    per_user = per_user.replace("{relation}", narrowed(relation, " ".join(export_columns(per_user))))
    i = d.int_type
    entered, converted = "entry IS NOT NULL", "entry IS NOT NULL AND goal > entry"
    columns = [f"CAST({d.count_if(entered)} AS {i})", f"CAST({d.count_if(converted)} AS {i})"]
    for k in range(1, len(micros) + 1):
        columns += [f"CAST({d.count_if(f'f{k} AND {entered}')} AS {i})", f"CAST({d.count_if(f'f{k} AND {converted}')} AS {i})"]
    return SqlQuery(f"SELECT {', '.join(columns)}\nFROM ({per_user}) AS u", d.parameters, d.name)


def _any(d: Dialect, cond: str) -> str:
    """The group has a row satisfying ``cond``."""
    if d.bigquery:
        return f"COALESCE(LOGICAL_OR({cond}), FALSE)"
    return f"COALESCE(bool_or({cond}), FALSE)"
