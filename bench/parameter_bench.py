"""The parameter checks of ``ga-goals check`` on GA4 export files, against a naive baseline and the floor.

Run: ``python bench/parameter_bench.py`` (default data: the funnel benchmark's 10M events,
``bench/.data/events_10000000_seed1``, made by ``python bench/run.py funnels --sizes 10M``; or
``--data DIR`` with any folder of daily ``events_YYYYMMDD.parquet`` export files). The event
schemas are configs/shop.yaml's (``--plan`` for another plan). Side by side, in one run, each
measured in a fresh DuckDB connection reading the Parquet files in place, rounds interleaved, the
best time counts (the machines are shared: compare the ratios):

* ``ga-goals``: what ``check`` runs for the parameter findings: ONE query
  (:func:`ga_goals.sources.parameter_sql.parameter_check_query`) through the DuckDB engine;
* ``naive``: what a user writes by hand: per event, one query counting its parameters' faults
  (missing, wrong type, outside the values or pattern), one for its items' parameters and one
  for its undeclared parameters (and its items'): each a scan of the files;
* ``floor``: the scan both pay: the four columns the check reads (``event_name``,
  ``event_date``, ``event_params``, ``items``) of the events with a schema, decoded and counted.

The naive queries' counts are compared with ga-goals' findings (exit 1 when they disagree). Writes
bench/PARAMETERS.md and prints it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from ga_goals.model.event_schemas import EventSchema  # noqa: E402
from ga_goals.model.ga4_facts import automatic_parameters  # noqa: E402
from ga_goals.plan_file import load_plan  # noqa: E402
from ga_goals.sources.export import duckdb_files_engine  # noqa: E402

DATA = HERE / ".data" / "events_10000000_seed1"
RESULTS = HERE / "PARAMETERS.md"


def files_of(folder: Path) -> tuple[list[Path], date, date]:
    files = sorted(folder.glob("events_*.parquet"))
    if not files:
        raise SystemExit(f"no events_YYYYMMDD.parquet files in {folder}: make them with `python bench/run.py funnels --sizes 10M`")
    days = [datetime.strptime(f.stem.split("_")[-1], "%Y%m%d").date() for f in files]
    return files, min(days), max(days)


def relation(files: list[Path]) -> str:
    return "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "])"


# -- ga-goals ---------------------------------------------------------------------------------------


def ga_goals(folder: Path, schemas: list[EventSchema], start: date, end: date) -> dict[tuple[str, str, str], int]:
    """The parameter findings as ``check`` computes them on the DuckDB engine (export files read in
    place): the one query, its rows read into the answer's types (the rest of ``check``, such as
    the event names and the funnels, is not timed)."""
    from ga_goals.funnels.dialect import Dialect
    from ga_goals.sources.export import _read_schema_faults
    from ga_goals.sources.parameter_sql import parameter_check_query
    from ga_goals.sources.results import SchemaFaults

    engine = duckdb_files_engine([str(folder / "events_*.parquet")])
    try:
        d = Dialect("duckdb")
        relation, dates, _ = engine.relation(d, start, end)
        [rows] = engine.run([("event schemas", parameter_check_query(d, relation, dates, schemas))])
    finally:
        engine.close()
    answer = SchemaFaults()
    _read_schema_faults(answer)(rows)
    found = {(f.event, ("items[]." if f.item else "") + f.parameter, f.kind): f.events for f in answer.faults}
    found.update({(e, "", "events"): n for e, n in answer.totals.items()})
    return found


# -- the naive baseline: hand-written SQL, one query per event and parameter ------------------------


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _type_ok(v: str, type_: str) -> str:
    return {
        "string": f"{v}.string_value IS NOT NULL",
        "integer": f"({v}.int_value IS NOT NULL OR {v}.double_value = trunc({v}.double_value) OR {v}.float_value = trunc({v}.float_value))",
        "number": f"({v}.int_value IS NOT NULL OR {v}.double_value IS NOT NULL OR {v}.float_value IS NOT NULL)",
        "boolean": f"({v}.int_value IN (0, 1) OR {v}.string_value IN ('true', 'false'))",
    }[type_]


def naive(con: duckdb.DuckDBPyConnection, rel: str, schemas: list[EventSchema], start: date, end: date) -> dict[tuple[str, str, str], int]:
    """Per event, one query for its parameters (a filtered count per parameter and fault), one
    for its items and one for its undeclared parameters: each a scan of the files."""
    dates = f"event_date BETWEEN '{start:%Y%m%d}' AND '{end:%Y%m%d}'"
    found: dict[tuple[str, str, str], int] = {}
    for schema in schemas:
        e = _q(schema.event_name)
        columns: list[str] = ["count(*)"]
        keys: list[tuple[str, str]] = []
        lookups: list[str] = []
        for n, spec in enumerate(schema.parameters):
            if spec.type == "items":
                continue
            v = f"v{n}"
            lookups.append(f"(list_filter(event_params, lambda p: p.key = {_q(spec.name)}))[1].value AS {v}")
            present = f"(COALESCE({v}.string_value, '') <> '' OR {v}.int_value IS NOT NULL OR {v}.double_value IS NOT NULL OR {v}.float_value IS NOT NULL)"
            ok = f"COALESCE({_type_ok(v, spec.type)}, FALSE)"
            text = f"COALESCE({v}.string_value, CAST(CAST(COALESCE(CAST({v}.int_value AS DOUBLE), {v}.double_value, {v}.float_value) AS BIGINT) AS VARCHAR))"
            checks = {"missing": f"NOT {present}" if spec.required else "FALSE", "wrong_type": f"{present} AND NOT {ok}"}
            allowed = "TRUE"
            if spec.type in ("string", "integer") and spec.values:
                listed = ", ".join(_q(str(x)) for x in spec.values)
                allowed = f"{text} IN ({listed})"
                checks["not_allowed"] = f"{present} AND {ok} AND NOT {allowed}"
            if spec.type in ("string", "integer") and spec.pattern:
                checks["pattern"] = f"{present} AND {ok} AND {allowed} AND NOT regexp_full_match({text}, {_q(spec.pattern)})"
            for kind, condition in checks.items():
                columns.append(f"count(*) FILTER (WHERE {condition})")
                keys.append((spec.name, kind))
        row = con.execute(
            f"SELECT {', '.join(columns)} FROM (SELECT event_date{''.join(', ' + x for x in lookups)} "
            f"FROM {rel} WHERE {dates} AND event_name = {e})"
        ).fetchone()
        found[(schema.event_name, "", "events")] = int(row[0])
        for (name, kind), n in zip(keys, row[1:]):
            if n:
                found[(schema.event_name, name, kind)] = int(n)
        items = next((p for p in schema.parameters if p.type == "items"), None)
        if items is not None:
            _naive_items(con, rel, dates, schema, items, found)
        if schema.closed:
            known = ", ".join(_q(n) for n in sorted({p.name for p in schema.parameters} | automatic_parameters(schema.event_name)))
            for key, n in con.execute(
                f"SELECT k, count(*) FROM (SELECT DISTINCT rid, p.key AS k FROM (SELECT row_number() OVER () AS rid, "
                f"unnest(event_params) AS p FROM {rel} WHERE {dates} AND event_name = {e}) WHERE p.key NOT IN ({known})) GROUP BY 1"
            ).fetchall():
                found[(schema.event_name, key, "undeclared")] = int(n)
    return found


def _naive_items(con, rel: str, dates: str, schema: EventSchema, items, found) -> None:
    """One query per event: its items unnested (with the event's row number, so that an event
    counts once), a filtered distinct count per item parameter and fault; and its undeclared ones."""
    from ga_goals.events.schema import ITEM, ITEM_PARAMETER_COLUMNS

    e = _q(schema.event_name)
    columns = [f"count(DISTINCT rid) FILTER (WHERE n = 0)"]
    keys: list[tuple[str, str]] = []
    for spec in items.items:
        column = ITEM_PARAMETER_COLUMNS.get(spec.name)
        if column is not None and ITEM[column] == "VARCHAR":
            x = f"i.{column}"
            present = f"COALESCE({x} NOT IN ('', '(not set)'), FALSE)"
            ok = {"string": "TRUE", "integer": f"regexp_full_match({x}, '-?[0-9]+')",
                  "number": f"regexp_full_match({x}, '-?[0-9]+(\\.[0-9]+)?')", "boolean": f"{x} IN ('true', 'false')"}[spec.type]
            text = x
        elif column is not None:
            x = f"i.{column}"
            present = f"{x} IS NOT NULL"
            ok = "TRUE" if spec.type == "number" or (spec.type == "integer" and ITEM[column] == "BIGINT") else (
                f"{x} = trunc({x})" if spec.type == "integer" else "FALSE")
            text = f"CAST({x} AS VARCHAR)"
        else:
            v = f"(list_filter(i.item_params, lambda p: p.key = {_q(spec.name)}))[1].value"
            present = f"(COALESCE(({v}).string_value, '') <> '' OR ({v}).int_value IS NOT NULL OR ({v}).double_value IS NOT NULL OR ({v}).float_value IS NOT NULL)"
            ok = f"COALESCE({_type_ok(f'({v})', spec.type)}, FALSE)"
            text = f"({v}).string_value"
        checks = {"missing": f"NOT {present}" if spec.required else "FALSE", "wrong_type": f"{present} AND NOT {ok}"}
        if spec.type == "string" and spec.values:
            listed = ", ".join(_q(str(x)) for x in spec.values)
            checks["not_allowed"] = f"{present} AND {ok} AND {text} NOT IN ({listed})"
        for kind, condition in checks.items():
            columns.append(f"count(DISTINCT rid) FILTER (WHERE n > 0 AND {condition})")
            keys.append((spec.name, kind))
    row = con.execute(
        f"SELECT {', '.join(columns)} FROM (SELECT rid, n, unnest(CASE WHEN n = 0 THEN [NULL] ELSE items END) AS i "
        f"FROM (SELECT row_number() OVER () AS rid, COALESCE(len(items), 0) AS n, items FROM {rel} WHERE {dates} AND event_name = {e}))"
    ).fetchone()
    if items.required and row[0]:
        found[(schema.event_name, "items", "missing")] = int(row[0])
    for (name, kind), n in zip(keys, row[1:]):
        if n:
            found[(schema.event_name, "items[]." + name, kind)] = int(n)
    if schema.closed:
        known = ", ".join(_q(n) for n in sorted({p.name for p in items.items} | set(ITEM_PARAMETER_COLUMNS)))
        for key, n in con.execute(
            f"SELECT k, count(DISTINCT rid) FROM (SELECT rid, unnest(i.item_params).key AS k FROM (SELECT row_number() OVER () AS rid, "
            f"unnest(items) AS i FROM {rel} WHERE {dates} AND event_name = {e})) WHERE k NOT IN ({known}) GROUP BY 1"
        ).fetchall():
            found[(schema.event_name, "items[]." + key, "undeclared")] = int(n)


# -- the floor --------------------------------------------------------------------------------------


def floor(con: duckdb.DuckDBPyConnection, rel: str, schemas: list[EventSchema], start: date, end: date) -> int:
    names = ", ".join(_q(s.event_name) for s in schemas)
    return int(
        con.execute(
            "SELECT count(*) + sum(len(list_filter(event_params, lambda p: p.key IS NOT NULL AND p.value IS NOT NULL))) "
            "+ sum(len(list_filter(items, lambda i: i.item_id IS NOT NULL OR i.item_params IS NOT NULL))) + count(DISTINCT event_date) "
            f"FROM {rel} WHERE event_date BETWEEN '{start:%Y%m%d}' AND '{end:%Y%m%d}' AND event_name IN ({names})"
        ).fetchone()[0]
    )


# -- the run ----------------------------------------------------------------------------------------


def _shown(folder: Path) -> str:
    """The data folder as the results show it: relative to the repository (the funnel benchmark's
    ``bench/.data/...`` whichever checkout holds it)."""
    if folder.resolve().is_relative_to(ROOT):
        return str(folder.resolve().relative_to(ROOT))
    return f"bench/.data/{folder.name}" if folder.parent.name == ".data" else folder.name


def timed(fn, *args) -> tuple[float, object]:
    began = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - began, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--plan", type=Path, default=ROOT / "configs" / "shop.yaml")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    files, start, end = files_of(args.data)
    plan = load_plan(args.plan)
    schemas = list(plan.event_schemas.values())
    if not schemas:
        raise SystemExit(f"{args.plan} declares no event schemas: nothing to check")
    rel = relation(files)
    best: dict[str, float] = {}
    results: dict[str, object] = {}

    def run(name: str, fn, *a) -> None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            seconds, result = timed(fn, *((con,) if name != "ga-goals" else ()), *a)
        finally:
            con.close()
        best[name] = min(best.get(name, float("inf")), seconds)
        results[name] = result
        print(f"  {name}: {seconds:.2f} s", flush=True)

    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", flush=True)
        run("floor", floor, rel, schemas, start, end)
        run("ga-goals", ga_goals, args.data, schemas, start, end)
        if r == 0:  # the baseline is slow: one round
            run("naive", naive, rel, schemas, start, end)
    # (an event without events has no row in ga-goals' answer; the naive queries count 0)
    ours = results["ga-goals"]
    theirs = {k: v for k, v in results["naive"].items() if v}  # type: ignore[union-attr]
    agree = ours == theirs
    events = sum(n for (e, p, k), n in ours.items() if k == "events")  # type: ignore[union-attr]
    parameters = sum(len(s.parameters) + sum(len(p.items) for p in s.parameters) for s in schemas)
    naive_queries = sum(1 + (1 if s.closed else 0) + sum(1 + (1 if s.closed else 0) for p in s.parameters if p.type == "items")
                        for s in schemas)
    faults = {k: v for k, v in ours.items() if k[2] != "events"}  # type: ignore[union-attr]
    lines = [
        "# Parameter checks on GA4 export files",
        "",
        f"`python bench/parameter_bench.py` ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.python_implementation()} "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}, {os.cpu_count()} cores shared with other jobs: compare ratios).",
        "",
        f"Data: {len(files)} daily export files ({start} .. {end}, {sum(f.stat().st_size for f in files) / 2**20:.0f} MiB) in "
        f"`{_shown(args.data)}`; the {len(schemas)} event schemas of "
        f"`{args.plan.relative_to(ROOT) if args.plan.is_relative_to(ROOT) else args.plan}` ({parameters} declared parameters and "
        f"item parameters), checked on {events:,} of their events. Best of {args.rounds} rounds (the naive baseline: 1).",
        "",
        "| what | seconds | vs floor | ns / event checked |",
        "|---|---|---|---|",
        f"| floor: a scan of `event_name`, `event_date`, `event_params`, `items` of those events | {best['floor']:.2f} | 1.0 | {best['floor'] / events * 1e9:.0f} |",
        f"| ga-goals: `check`'s parameter findings, ONE query (DuckDB engine) | {best['ga-goals']:.2f} | {best['ga-goals'] / best['floor']:.1f} | {best['ga-goals'] / events * 1e9:.0f} |",
        f"| naive: hand-written SQL, per event one query for its parameters, one for its items, one for its undeclared parameters ({naive_queries} queries) | {best['naive']:.2f} | {best['naive'] / best['floor']:.1f} | {best['naive'] / events * 1e9:.0f} |",
        "",
        f"ga-goals and the naive queries {'agree on every count' if agree else 'DISAGREE'} "
        f"({len(faults)} faults found: " + (", ".join(f"{e}.{p} {k} {n:,}" for (e, p, k), n in sorted(faults.items())) or "none") + ").",
        "",
    ]
    lines += [
        "Notes: the benchmark data is the funnel benchmark's synthetic export (bench/export_data.py): its events carry "
        "the session parameters and no `items`, so the findings are the shop's required parameters it lacks, and the "
        "item checks (skipped for events without items) are not exercised at this size; on the sandbox's shop traffic "
        "(tests/test_bench_parameters.py) the two agree on every fault, items included. The naive queries count "
        "only (no first and last day, no example), which ga-goals' one query also gives. The machine's 2 cores may be "
        f"shared with other jobs (1-minute load average {os.getloadavg()[0]:.1f} when this file was written): compare "
        "the ratios, taken in the same interleaved rounds.",
        "",
    ]
    if not agree:
        diff = sorted(set(ours) ^ set(theirs) | {k for k in set(ours) & set(theirs) if ours[k] != theirs[k]})  # type: ignore[index]
        lines += ["Disagreements (ga-goals, naive):", ""] + [f"- {k}: {ours.get(k)}, {theirs.get(k)}" for k in diff] + [""]  # type: ignore[union-attr]
    text = "\n".join(lines)
    args.output.write_text(text)
    print(text)
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
