"""The queries of the funnel benchmark: the floor scan, the hand-written SQL, and ga-goals' ``run_funnel``.

Every query runs over ``relation`` (DuckDB relation text usable as ``{relation} AS t``, e.g.
``read_parquet([...])``) for the dates ``start..end`` and returns :class:`Counts`, so the
hand-written SQL and the engine can be compared number by number.

The four cases (``ga_goals.funnels.semantics`` has the rules):

* ``a``: the closed funnel page_view -> view_item -> add_to_cart -> begin_checkout -> purchase;
* ``b``: the same, broken down by ``deviceCategory`` (the device of the user's first page_view);
* ``c``: the same steps as an open funnel, steps 2..5 within one hour of the prior step;
* ``d``: the closed funnel with step 2 directly following step 1 (the user's very next event).

The hand-written SQL is what a user (or a generator such as ga4bigquery) writes: for closed
funnels one CTE per step, "the first time of step k after the user's step k-1" (``MIN(ts)`` of
the step's events later than the prior step's time), a self-join per step; for the open funnel
one self-join per step pair within the window; for ``directly_followed`` a ``ROW_NUMBER()`` over
all the user's events and a join on position + 1. It orders events by ``event_timestamp``
only, which is exact on the benchmark's data (timestamps are distinct within a user; real
exports have ties, which ``semantics`` rule 2 orders).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb

from ga_goals.model.tracking_plan import Funnel, FunnelStep

STEPS = ("page_view", "view_item", "add_to_cart", "begin_checkout", "purchase")
WINDOW_SECONDS = 3600
BREAKDOWN = "deviceCategory"
NOT_SET = "(not set)"


@dataclass(frozen=True)
class Counts:
    """A funnel's numbers: totals and, with a breakdown, per value (value -> users per step)."""

    users: tuple[int, ...]
    continued: tuple[int, ...]
    rows: dict[str, tuple[int, ...]] | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "users": list(self.users),
            "continued": list(self.continued),
            "rows": None if self.rows is None else {k: list(v) for k, v in self.rows.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Counts:
        rows = data.get("rows")
        return cls(
            tuple(data["users"]),  # type: ignore[arg-type]
            tuple(data["continued"]),  # type: ignore[arg-type]
            None if rows is None else {k: tuple(v) for k, v in rows.items()},  # type: ignore[union-attr]
        )


def _steps(*, window: bool = False, direct_step2: bool = False) -> tuple[FunnelStep, ...]:
    return tuple(
        FunnelStep(
            name=event.replace("_", " "),
            event=event,
            directly_followed=direct_step2 and k == 2,
            within_seconds=WINDOW_SECONDS if window and k > 1 else None,
        )
        for k, event in enumerate(STEPS, start=1)
    )


#: The ga-goals funnel of each case, and its breakdown.
FUNNELS: dict[str, tuple[Funnel, str | None]] = {
    "a": (Funnel(name="closed", title="Closed funnel", steps=_steps()), None),
    "b": (Funnel(name="closed", title="Closed funnel", steps=_steps()), BREAKDOWN),
    "c": (Funnel(name="open_1h", title="Open funnel, 1 h windows", steps=_steps(window=True), open=True), None),
    "d": (Funnel(name="closed_direct", title="Closed funnel, step 2 directly followed", steps=_steps(direct_step2=True)), None),
}


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _dates(start: date, end: date) -> str:
    return f"t.event_date BETWEEN '{start:%Y%m%d}' AND '{end:%Y%m%d}'"


def _names() -> str:
    return ", ".join(_lit(s) for s in STEPS)


def floor_sql(relation: str, start: date, end: date) -> str:
    """The scan every funnel engine pays: the funnel's events of the range, their users and times."""
    return (
        "SELECT count(*) AS events, count(DISTINCT t.user_pseudo_id) AS users, max(t.event_timestamp) AS last\n"
        f"FROM {relation} AS t\nWHERE {_dates(start, end)} AND t.event_name IN ({_names()})"
    )


def _closed_sql(relation: str, start: date, end: date, *, breakdown: bool, direct_step2: bool) -> str:
    bd_col = ", t.device.category AS bd" if breakdown else ""
    ctes = []
    if direct_step2:
        # Step 2 must be the very next event among ALL the user's events of the range.
        ctes.append(
            "all_ev AS (\n  SELECT t.user_pseudo_id AS uid, t.event_timestamp AS ts, t.event_name AS name"
            f"{bd_col},\n         ROW_NUMBER() OVER (PARTITION BY t.user_pseudo_id ORDER BY t.event_timestamp) AS pos\n"
            f"  FROM {relation} AS t\n  WHERE {_dates(start, end)} AND t.user_pseudo_id IS NOT NULL\n)"
        )
        ctes.append(f"ev AS (\n  SELECT * FROM all_ev WHERE name IN ({_names()})\n)")
    else:
        ctes.append(
            "ev AS (\n  SELECT t.user_pseudo_id AS uid, t.event_timestamp AS ts, t.event_name AS name"
            f"{bd_col}\n  FROM {relation} AS t\n"
            f"  WHERE {_dates(start, end)} AND t.user_pseudo_id IS NOT NULL AND t.event_name IN ({_names()})\n)"
        )
    first_bd = ", arg_min(bd, ts) AS bd" if breakdown else ""
    ctes.append(f"s1 AS (\n  SELECT uid, MIN(ts) AS ts{first_bd} FROM ev WHERE name = {_lit(STEPS[0])} GROUP BY uid\n)")
    for k in range(2, len(STEPS) + 1):
        if direct_step2 and k == 2:
            ctes.append(
                "s2 AS (\n  SELECT b.uid, MIN(b.ts) AS ts\n  FROM all_ev AS a JOIN all_ev AS b ON b.uid = a.uid AND b.pos = a.pos + 1\n"
                f"  WHERE a.name = {_lit(STEPS[0])} AND b.name = {_lit(STEPS[1])} GROUP BY b.uid\n)"
            )
        else:
            ctes.append(
                f"s{k} AS (\n  SELECT e.uid, MIN(e.ts) AS ts\n  FROM ev AS e JOIN s{k - 1} AS p ON e.uid = p.uid AND e.ts > p.ts\n"
                f"  WHERE e.name = {_lit(STEPS[k - 1])} GROUP BY e.uid\n)"
            )
    n = len(STEPS)
    counts = ", ".join(f"count(s{k}.uid) AS users_{k}" for k in range(1, n + 1))
    joins = "".join(f"\nLEFT JOIN s{k} ON s{k}.uid = s1.uid" for k in range(2, n + 1))
    if breakdown:
        return (
            "WITH " + ",\n".join(ctes) + f"\nSELECT COALESCE(s1.bd, {_lit(NOT_SET)}) AS breakdown, {counts}\nFROM s1"
            + joins + "\nGROUP BY 1 ORDER BY 1"
        )
    return "WITH " + ",\n".join(ctes) + f"\nSELECT NULL AS breakdown, {counts}\nFROM s1" + joins


def open_sql(relation: str, start: date, end: date) -> str:
    """Case c by hand: users with each step's event; users with a step k event followed within the window by step k+1."""
    window_us = WINDOW_SECONDS * 1_000_000
    ev = (
        "ev AS (\n  SELECT t.user_pseudo_id AS uid, t.event_timestamp AS ts, t.event_name AS name\n"
        f"  FROM {relation} AS t\n"
        f"  WHERE {_dates(start, end)} AND t.user_pseudo_id IS NOT NULL AND t.event_name IN ({_names()})\n)"
    )
    users = [
        f"(SELECT count(DISTINCT uid) FROM ev WHERE name = {_lit(step)}) AS users_{k}"
        for k, step in enumerate(STEPS, start=1)
    ]
    continued = [
        f"(SELECT count(DISTINCT a.uid) FROM ev AS a JOIN ev AS b ON b.uid = a.uid AND b.ts > a.ts "
        f"AND b.ts - a.ts <= {window_us} WHERE a.name = {_lit(STEPS[k - 1])} AND b.name = {_lit(STEPS[k])}) AS continued_{k}"
        for k in range(1, len(STEPS))
    ]
    return f"WITH {ev}\nSELECT NULL AS breakdown,\n  " + ",\n  ".join(users + continued)


def hand_sql(case: str, relation: str, start: date, end: date) -> str:
    """The hand-written SQL of a case (one row per breakdown value: breakdown, users_1..n[, continued_1..n-1])."""
    if case == "a":
        return _closed_sql(relation, start, end, breakdown=False, direct_step2=False)
    if case == "b":
        return _closed_sql(relation, start, end, breakdown=True, direct_step2=False)
    if case == "c":
        return open_sql(relation, start, end)
    if case == "d":
        return _closed_sql(relation, start, end, breakdown=False, direct_step2=True)
    raise ValueError(f"unknown case {case!r} (a, b, c or d)")


def _closed_continued(users: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(users[1:]) + (0,)


def run_hand(con: duckdb.DuckDBPyConnection, case: str, relation: str, start: date, end: date) -> Counts:
    rows = con.execute(hand_sql(case, relation, start, end)).fetchall()
    n = len(STEPS)
    if case == "c":
        row = rows[0]
        return Counts(tuple(int(x) for x in row[1 : 1 + n]), tuple(int(x) for x in row[1 + n :]) + (0,))
    if case == "b":
        per = {str(r[0]): tuple(int(x) for x in r[1:]) for r in rows}
        users = tuple(sum(v[k] for v in per.values()) for k in range(n))
        return Counts(users, _closed_continued(users), per)
    users = tuple(int(x) for x in rows[0][1:])
    return Counts(users, _closed_continued(users))


def run_engine(con: duckdb.DuckDBPyConnection, case: str, relation: str, start: date, end: date) -> Counts:
    """ga-goals' ``run_funnel`` on the case (whatever engine ``ga_goals.funnels.sql`` holds)."""
    from ga_goals.funnels.sql import run_funnel

    funnel, breakdown = FUNNELS[case]
    result = run_funnel(con, funnel, start, end, breakdown, table=relation)
    rows = None if breakdown is None else {r.breakdown: tuple(r.users) for r in result.rows}
    return Counts(tuple(result.total.users), tuple(result.total.continued), rows)


def run_floor(con: duckdb.DuckDBPyConnection, relation: str, start: date, end: date) -> dict[str, int]:
    events, users, _ = con.execute(floor_sql(relation, start, end)).fetchone()
    return {"events": int(events), "users": int(users)}


#: Every timed query: name -> (what it is, function(con, relation, start, end) -> JSON-able result).
QUERIES: dict[str, tuple[str, Callable[..., object]]] = {
    "floor": ("scan: funnel events of the range, count events and distinct users", run_floor),
    **{
        f"hand_{c}": (
            {
                "a": "hand-written self-join, closed funnel (a)",
                "b": "hand-written self-join, closed funnel by deviceCategory (b)",
                "c": "hand-written open funnel, 1 h windows (c)",
                "d": "hand-written ROW_NUMBER join, step 2 directly followed (d)",
            }[c],
            (lambda c: lambda con, rel, s, e: run_hand(con, c, rel, s, e))(c),
        )
        for c in "abcd"
    },
    **{
        f"ga_goals_{c}": (
            {
                "a": "ga-goals run_funnel, closed funnel (a)",
                "b": "ga-goals run_funnel, closed funnel by deviceCategory (b)",
                "c": "ga-goals run_funnel, open funnel, 1 h windows (c)",
                "d": "ga-goals run_funnel, step 2 directly followed (d)",
            }[c],
            (lambda c: lambda con, rel, s, e: run_engine(con, c, rel, s, e))(c),
        )
        for c in "abcd"
    },
}


def disagreements(case: str, hand: Counts, engine: Counts) -> list[str]:
    """Every difference between the hand-written SQL's and the engine's numbers (empty: they agree)."""
    problems = []
    n = len(STEPS)
    if hand.users != engine.users:
        problems.append(f"case {case}: users per step: hand-written {list(hand.users)}, ga-goals {list(engine.users)}")
    # An open funnel's continued counts are independent numbers; a closed funnel's are users(k+1).
    if hand.continued[: n - 1] != engine.continued[: n - 1]:
        problems.append(
            f"case {case}: continued per step: hand-written {list(hand.continued)}, ga-goals {list(engine.continued)}"
        )
    if hand.rows is not None:
        if engine.rows is None:
            problems.append(f"case {case}: ga-goals returned no breakdown rows")
        else:
            if hand.rows != engine.rows:
                problems.append(f"case {case}: breakdown rows: hand-written {hand.rows}, ga-goals {engine.rows}")
            sums = tuple(sum(v[k] for v in engine.rows.values()) for k in range(n))
            if sums != engine.users:
                problems.append(f"case {case}: ga-goals breakdown rows sum to {list(sums)}, totals {list(engine.users)}")
    return problems
