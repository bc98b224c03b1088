"""The SQL of a report's totals and micro vs macro table over GA4 export rows, for DuckDB and BigQuery.

Funnels compile in :mod:`ga_goals.funnels.sql`; this module holds the two other queries a report
runs per date range, each ONE scan of the columns it needs:

* :func:`totals_query`: per key event, its events (``eventCount``), distinct users
  (``totalUsers``) and the sum of its ``value`` parameter (``eventValue``); and for the site, the
  distinct users and sessions (distinct user and ``ga_session_id``) over every event. The same
  definitions as the sandbox's Data API (:mod:`ga_goals.sandbox.reporting`).
* :func:`lift_query`: the closed funnels of the micro vs macro table
  (:func:`ga_goals.sources.base.lift_funnel`, :func:`ga_goals.sources.base.micro_funnel`),
  all in one scan: ``session_start -> macro`` for all users, and ``micro -> macro`` per micro
  conversion. By the rules of :mod:`ga_goals.funnels.semantics` (2 and 4), a user reaches the
  second step when their latest macro conversion comes at a strictly later moment than their
  first event of step 1: a macro conversion at the same moment as the micro one, or only
  before it, does not count. What the Data API answers for the same funnels.
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
    """One row: users who started a session and of them who converted after it, then per micro
    conversion the users who did it and of them who converted after it:
    ``(entered, converted, entered_1, converted_1, ...)``.

    Per user: the first moment of each step-1 event and the last moment of the macro
    conversion (rule 2's packed moments); a user converted after step 1 exactly when
    ``last macro > first step-1 event``, which is rule 4 for a two-step closed funnel without
    constraints.
    """
    names = sorted({LIFT_ENTRY_EVENT, macro, *micros})
    where = ([dates] if dates else []) + ["t.user_pseudo_id IS NOT NULL", d.values_in("t.event_name", names)]
    goal = d.value(macro)
    firsts = [
        f"{d.agg_min(moment_sql(), f't.event_name = {d.value(event)}')} AS first{i}"
        for i, event in enumerate([LIFT_ENTRY_EVENT, *micros])
    ]
    per_user = (
        f"SELECT {', '.join(firsts)}, {d.agg_max(moment_sql(), f't.event_name = {goal}')} AS goal"
        + " FROM {relation} AS t" + f" WHERE {' AND '.join(where)} GROUP BY t.user_pseudo_id"
    )
    per_user = per_user.replace("{relation}", narrowed(relation, " ".join(export_columns(per_user))))
    i = d.int_type
    columns = []
    for k in range(len(micros) + 1):
        entered = f"first{k} IS NOT NULL"
        converted = f"first{k} IS NOT NULL AND goal > first{k}"
        columns += [f"CAST({d.count_if(entered)} AS {i})", f"CAST({d.count_if(converted)} AS {i})"]
    return SqlQuery(f"SELECT {', '.join(columns)}\nFROM ({per_user}) AS u", d.parameters, d.name)
