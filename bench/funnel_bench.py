"""The funnel-engine benchmark on GA4 export files. Run: ``python bench/run.py funnels --sizes 1M,10M,50M``.

For each size it generates (once; reused afterwards) ``events_YYYYMMDD.parquet`` files in the
export schema under ``bench/.data/`` (:mod:`export_data`), then times every query of
:mod:`funnel_queries` on them, each run in a fresh subprocess (``duckdb.connect()`` in memory,
reading the Parquet files in place) so that the peak resident memory of the process can be
recorded. Rounds are interleaved (query 1..n, then again), the best time counts; at sizes where
one round takes longer than :data:`SLOW_ROUND_SECONDS` only one round is run.

It fails (exit 1, after writing the results) when ga-goals and the hand-written SQL disagree on
any number, and writes a section of ``bench/RESULTS.md`` with the figures and the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import duckdb  # noqa: E402

import export_data  # noqa: E402
import funnel_queries  # noqa: E402
from funnel_queries import QUERIES, Counts, disagreements  # noqa: E402

DATA = HERE / ".data"
RESULTS = HERE / "RESULTS.md"
BEGIN, END = "<!-- funnels:begin -->", "<!-- funnels:end -->"
SLOW_ROUND_SECONDS = 180.0
#: The targets, as ratios.
TARGET_VS_SELFJOIN = 2.0
TARGET_VS_FLOOR = 3.0
TARGET_PEAK_MB = 1536.0
TARGET_LINEARITY = 1.3


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise SystemExit(f"bad size {text!r}: write e.g. 1M, 500k or 2000000")
    return int(float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()])


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# ---------------------------------------------------------------------------------------------
# The relation the engine reads


#: Shown when the engine needs ``_row_hash``: case a with a constant ``_row_hash``, to show what
#: computing it costs (valid here only because timestamps are distinct within a user).
CONSTANT_HASH = "ga_goals_a_constant_row_hash"


def engine_relation(relation: str) -> tuple[str, str]:
    """The relation to give ``run_funnel``, and a note on it.

    The plain ``read_parquet(...)`` when the engine on this branch accepts export files as they
    are; otherwise (an engine whose event order needs the store's private ``_row_hash``) the files
    with ``_row_hash`` computed as the store computes it (``ga_goals.events.schema.row_hash_sql``):
    the cost of using that engine on export files, measured with it.
    """
    from ga_goals.funnels.sql import run_funnel

    con = duckdb.connect()
    funnel, _ = funnel_queries.FUNNELS["a"]
    nowhere = date(1990, 1, 1)  # binds the query without reading events
    try:
        run_funnel(con, funnel, nowhere, nowhere, table=relation)
        return relation, "the plain `read_parquet([...])` of the daily files"
    except duckdb.Error as exc:
        if "_row_hash" not in str(exc):
            raise
    finally:
        con.close()
    from ga_goals.events.schema import row_hash_sql

    wrapped = f"(SELECT *, {row_hash_sql()} AS _row_hash FROM {relation})"
    return wrapped, (
        "`(SELECT *, <row_hash_sql()> AS _row_hash FROM read_parquet([...]))`: this engine's event order needs "
        "the store's `_row_hash` (an MD5 of the event's identity, incl. event_params), which export files do "
        "not have, so it is computed on the fly and its cost is part of the ga-goals figures"
    )


# ---------------------------------------------------------------------------------------------
# One query in a fresh process


def child(query: str, folder: Path, relation: str, start: date, end: date) -> dict[str, object]:
    began = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    _, fn = QUERIES[query]
    result = fn(con, relation, start, end)
    seconds = time.perf_counter() - began
    con.close()
    return {
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "result": result.as_json() if isinstance(result, Counts) else result,
    }


def peak_mb() -> float:
    """This process's peak resident memory, in MiB.

    ``VmHWM`` of /proc/self/status where there is one: unlike ``ru_maxrss``, which Linux carries
    over from the parent through fork and exec (a child would report at least its parent's peak).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(query: str, folder: Path, relation: str, start: date, end: date) -> dict[str, object]:
    argv = [
        sys.executable, str(Path(__file__).resolve()), "--child", query, "--folder", str(folder),
        "--relation", relation, "--start", start.isoformat(), "--end", end.isoformat(),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"query {query} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_mb() -> float:
    """Peak RSS of a process that only imports the benchmark and DuckDB and connects."""
    code = (
        f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(HERE)!r}]; import duckdb, funnel_queries, funnel_bench, "
        "ga_goals.funnels.sql; duckdb.connect().execute('SELECT 1').fetchall(); print(funnel_bench.peak_mb())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


# ---------------------------------------------------------------------------------------------
# BigQuery's billed bytes, estimated


def _bq_size(expr: str, t: object) -> str:
    """SQL: BigQuery's logical size in bytes of the value ``expr`` of type ``t`` (NULL: 0)."""
    from ga_goals.events.schema import lambda_sql

    if isinstance(t, str):
        if t == "VARCHAR":
            return f"COALESCE(2 + strlen({expr}), 0)"
        width = {"BIGINT": 8, "DOUBLE": 8, "BOOLEAN": 1}[t]
        return f"(CASE WHEN {expr} IS NULL THEN 0 ELSE {width} END)"
    if isinstance(t, list):
        inner = _bq_size("x", t[0])
        return f"COALESCE(list_sum(list_transform({expr}, {lambda_sql('x', inner)})), 0)"
    assert isinstance(t, dict)
    return "(" + " + ".join(_bq_size(f"({expr}).{name}", sub) for name, sub in t.items()) + ")"


def column_bytes(folder: Path, relation: str) -> dict[str, int]:
    """Per export column, BigQuery's size of the column over the files (cached in the data folder)."""
    from ga_goals.events.schema import COLUMNS

    cache = folder / "bigquery_bytes.json"
    if cache.exists():
        return json.loads(cache.read_text())
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    sums = ", ".join(f"CAST(SUM({_bq_size(f't.{name}', t)}) AS BIGINT) AS {name}" for name, t in COLUMNS.items())
    row = con.execute(f"SELECT {sums} FROM {relation} AS t").fetchone()
    con.close()
    sizes = {name: int(v or 0) for name, v in zip(COLUMNS, row)}
    cache.write_text(json.dumps(sizes))
    return sizes


HAND_COLUMNS = {"user_pseudo_id", "event_timestamp", "event_name"}


def bigquery_columns(query: str) -> set[str] | None:
    """The export columns the query would reference in BigQuery (dates through ``_TABLE_SUFFIX``, free).

    For ga-goals, those of the engine's own BigQuery SQL (``compile_funnel(dialect="bigquery")``);
    None when the engine on this branch has no BigQuery compiler.
    """
    from ga_goals.events.schema import COLUMNS

    if query in ("floor", "hand_a", "hand_c", "hand_d"):
        return set(HAND_COLUMNS)
    if query == "hand_b":
        return HAND_COLUMNS | {"device"}
    case = query.rsplit("_", 1)[1]
    try:
        from ga_goals.funnels.sql import compile_funnel

        funnel, breakdown = funnel_queries.FUNNELS[case]
        sql = compile_funnel(
            funnel, export_data.FIRST_DAY, export_data.last_day(), breakdown=breakdown, dialect="bigquery",
            table="project.dataset",
        ).sql  # fmt: skip
    except (ImportError, AttributeError, TypeError, ValueError):  # no BigQuery compiler on this branch
        return None
    if re.search(r"TO_JSON_STRING\(\s*t\s*\)", sql) or re.search(r"\bt\.\*", sql):
        return set(COLUMNS)  # the whole row
    return {c for c in re.findall(r"\bt\.(\w+)", sql) if c in COLUMNS}


# ---------------------------------------------------------------------------------------------
# One size


@dataclass
class SizeResult:
    events: int
    users: int
    folder: Path
    file_bytes: int
    generate_s: float | None
    rounds: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)
    results: dict[str, object] = field(default_factory=dict)
    bq_bytes: dict[str, int | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def measure(n: int, rounds: int, seed: int, relation_note: list[str]) -> SizeResult:
    start, end = export_data.FIRST_DAY, export_data.last_day()
    began = time.perf_counter()
    folder = export_data.ensure(DATA, n, seed)
    print(f"[{label(n)}] data: {folder} ({time.perf_counter() - began:.1f} s)", flush=True)
    relation = export_data.relation(folder)
    engine_rel, note = engine_relation(relation)
    relation_note[:] = [note]
    # (row name, query, relation) in the order they run
    tasks = [(q, q, engine_rel if q.startswith("ga_goals") else relation) for q in QUERIES]
    if engine_rel != relation:
        tasks.append((CONSTANT_HASH, "ga_goals_a", f"(SELECT *, '' AS _row_hash FROM {relation})"))
    files = export_data.files(folder)
    out = SizeResult(
        events=n, users=n // 10, folder=folder, file_bytes=sum(f.stat().st_size for f in files),
        generate_s=export_data.generation_seconds(folder),
    )  # fmt: skip
    best: dict[str, float] = {}
    for r in range(rounds):
        round_began = time.perf_counter()
        for query, runs, rel in tasks:
            got = run_child(runs, folder, rel, start, end)
            seconds, peak = float(got["seconds"]), float(got["peak_mb"])  # type: ignore[arg-type]
            best[query] = min(best.get(query, seconds), seconds)
            out.peak_mb[query] = max(out.peak_mb.get(query, 0.0), peak)
            if r == 0:
                out.results[query] = got["result"]
            elif got["result"] != out.results[query]:
                out.problems.append(f"{query}: a different result in round {r + 1}")
            print(f"[{label(n)}] round {r + 1} {query}: {seconds:.2f} s, {peak:.0f} MB", flush=True)
        out.rounds = r + 1
        if time.perf_counter() - round_began > SLOW_ROUND_SECONDS:
            break
    out.seconds = best
    floor = out.results["floor"]
    out.users = int(floor["users"])  # type: ignore[index]
    for case in "abcd":
        hand = Counts.from_json(out.results[f"hand_{case}"])  # type: ignore[arg-type]
        engine = Counts.from_json(out.results[f"ga_goals_{case}"])  # type: ignore[arg-type]
        out.problems += [f"[{label(n)}] {p}" for p in disagreements(case, hand, engine)]
    if CONSTANT_HASH in out.results and out.results[CONSTANT_HASH] != out.results["ga_goals_a"]:
        out.problems.append(f"[{label(n)}] case a with a constant _row_hash: a different result")
    sizes = column_bytes(folder, relation)
    for query, runs, _ in tasks:
        cols = bigquery_columns(runs)
        out.bq_bytes[query] = None if cols is None else sum(sizes[c] for c in cols)
    return out


# ---------------------------------------------------------------------------------------------
# The report


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {ram} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _bq(n: int | None) -> str:
    if n is None:
        return "n/a"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**NOT MET**")


def report(sizes: list[SizeResult], relation_note: str, base_mb: float, problems: list[str]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    lines = [
        BEGIN,
        "## Funnel engine on GA4 export files (Parquet)",
        "",
        f"Run `python bench/run.py funnels --sizes {','.join(label(s.events) for s in sizes)}` ({when} UTC) on "
        f"{machine()}. The machine is shared (other jobs ran on the same 2 cores): compare ratios within a "
        "size, not absolute times across runs.",
        "",
        "**Data** (`bench/export_data.py`, seed 1, generated once and reused from `bench/.data/`): daily files "
        f"`events_YYYYMMDD.parquet` (zstd) in the export schema of `ga_goals/events/schema.py`, {export_data.DAYS} "
        f"days from {export_data.FIRST_DAY}, about ten events per user with distinct timestamps per user, seven "
        "event names, three device categories; the funnel queries read the whole 30 days.",
        "",
        "| events | users | files | on disk | generated in |",
        "|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        gen = f"{s.generate_s:.0f} s" if s.generate_s is not None else "?"
        lines.append(
            f"| {s.events:,} | {s.events // 10:,} | {len(export_data.files(s.folder))} | {_mb(s.file_bytes)} | {gen} |"
        )
    lines += [
        "",
        "**How it is measured**: every query runs in a fresh Python process (`duckdb.connect()` in memory, "
        f"DuckDB's default of {os.cpu_count()} threads, reading the Parquet files in place); seconds are connect + query + fetch, best of the "
        f"rounds (interleaved; one round only where a round takes over {SLOW_ROUND_SECONDS / 60:.0f} minutes); peak MB is the process's peak resident memory (`VmHWM`), of which "
        f"{base_mb:.0f} MB is Python + DuckDB + the imports before any query. "
        f"ga-goals' `run_funnel` reads {relation_note}.",
        "",
        "BigQuery bytes are an **estimate** of what BigQuery would bill for the same query on a real "
        "export dataset holding these events, computed on the data with BigQuery's sizes (INT64/FLOAT64 8 "
        "bytes, STRING 2 + UTF-8 bytes, BOOL 1, NULL 0) over the columns the query references, a referenced "
        "RECORD/ARRAY column costing its whole size, and the date range read through `_TABLE_SUFFIX` (free). "
        "ga-goals' columns are those its own BigQuery SQL (`compile_funnel(dialect=\"bigquery\")`) references.",
        "",
    ]
    describe = {q: d for q, (d, _) in QUERIES.items()}
    describe[CONSTANT_HASH] = (
        "(for comparison) ga-goals (a) with `_row_hash` a constant instead of computed: not valid on real data"
    )
    for s in sizes:
        floor = s.seconds["floor"]
        lines += [
            f"### {s.events:,} events ({s.users:,} users with a funnel event), "
            f"{'best of ' + str(s.rounds) if s.rounds > 1 else '1 run'}",
            "",
            "| query | seconds | vs floor | ns / event | peak MB | BigQuery bytes (est.) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for q in s.seconds:
            sec = s.seconds[q]
            lines.append(
                f"| {describe[q]} | {sec:.2f} | {sec / floor:.1f} | {sec / s.events * 1e9:.0f} | "
                f"{s.peak_mb[q]:.0f} | {_bq(s.bq_bytes[q])} |"
            )
        lines.append("")
        for case in "abcd":
            counts = s.results[f"ga_goals_{case}"]
            cont = f", continued {counts['continued'][:-1]}" if case == "c" else ""  # type: ignore[index]
            lines.append(f"* case {case}: users per step {counts['users']}{cont}")  # type: ignore[index]
        rows = s.results["ga_goals_b"]["rows"]  # type: ignore[index]
        lines.append("* case b by deviceCategory: " + "; ".join(f"{k} {v}" for k, v in sorted(rows.items())))
        lines.append("")
    lines += targets(sizes)
    if problems:
        lines += ["", "### CHECK FAILED: ga-goals and the hand-written SQL disagree", ""]
        lines += [f"* {p}" for p in problems]
    else:
        lines += [
            "",
            "Checks: ga-goals and the hand-written SQL agree on every count at every size (users per step; "
            "continued per step of the open funnel; the deviceCategory rows, which sum to the totals).",
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def targets(sizes: list[SizeResult]) -> list[str]:
    by = {s.events: s for s in sizes}
    lines = ["### Targets", "", "| target | measured | |", "|---|---|---|"]
    ten = by.get(10_000_000)
    for case in "ab":
        if ten is None:
            lines.append(f"| 10M: ga-goals ({case}) >= {TARGET_VS_SELFJOIN:.0f}x faster than the self-join | - | not measured |")
            lines.append(f"| 10M: ga-goals ({case}) within {TARGET_VS_FLOOR:.0f}x of the floor | - | not measured |")
            continue
        r = ten.seconds[f"hand_{case}"] / ten.seconds[f"ga_goals_{case}"]
        f = ten.seconds[f"ga_goals_{case}"] / ten.seconds["floor"]
        lines.append(
            f"| 10M: ga-goals ({case}) >= {TARGET_VS_SELFJOIN:.0f}x faster than the self-join | "
            f"{r:.2f}x | {verdict(r >= TARGET_VS_SELFJOIN)} |"
        )
        lines.append(
            f"| 10M: ga-goals ({case}) within {TARGET_VS_FLOOR:.0f}x of the floor | {f:.2f}x | {verdict(f <= TARGET_VS_FLOOR)} |"
        )
    for case in "cd":
        for s in sizes:
            r = s.seconds[f"hand_{case}"] / s.seconds[f"ga_goals_{case}"]
            lines.append(
                f"| {label(s.events)}: ga-goals ({case}) no slower than the hand-written SQL | "
                f"hand-written / ga-goals = {r:.2f} | {verdict(r >= 1.0)} |"
            )
    for s in sizes:
        peak = max(v for q, v in s.peak_mb.items() if q.startswith("ga_goals") and q != CONSTANT_HASH)
        lines.append(
            f"| {label(s.events)}: ga-goals peak memory < {TARGET_PEAK_MB / 1024:.1f} GB | {peak:.0f} MB | "
            f"{verdict(peak < TARGET_PEAK_MB)} |"
        )
    small, large = by.get(1_000_000), by.get(50_000_000)
    for case in "abcd":
        q = f"ga_goals_{case}"
        if small is None or large is None:
            lines.append(f"| time per event 1M -> 50M within {TARGET_LINEARITY}x, ({case}) | - | not measured |")
            continue
        a = small.seconds[q] / small.events
        b = large.seconds[q] / large.events
        lines.append(
            f"| time per event 1M -> 50M within {TARGET_LINEARITY}x, ({case}) | {a * 1e9:.0f} -> {b * 1e9:.0f} ns "
            f"({b / a:.2f}x) | {verdict(b / a <= TARGET_LINEARITY)} |"
        )
    if large is None and small is not None and ten is not None:  # an indication until 50M is measured
        lines.append("")
        lines.append(
            "Without 50M, time per event of ga-goals 1M -> 10M (indicative): "
            + ", ".join(
                f"({c}) {small.seconds[f'ga_goals_{c}'] / small.events * 1e9:.0f} -> "
                f"{ten.seconds[f'ga_goals_{c}'] / ten.events * 1e9:.0f} ns "
                f"({ten.seconds[f'ga_goals_{c}'] / ten.events / (small.seconds[f'ga_goals_{c}'] / small.events):.2f}x)"
                for c in "abcd"
            )
            + "."
        )
    return lines


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the funnel section of RESULTS.md (between the markers), or append it."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        new = head + text.rstrip("\n") + tail
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1M,10M,50M", help="event counts, e.g. 1M,10M,50M")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (best counts)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--relation", help=argparse.SUPPRESS)
    parser.add_argument("--start", help=argparse.SUPPRESS)
    parser.add_argument("--end", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        got = child(
            args.child, Path(args.folder), args.relation, date.fromisoformat(args.start), date.fromisoformat(args.end)
        )
        print(json.dumps(got))
        return 0
    free = os.statvfs(ROOT).f_bavail * os.statvfs(ROOT).f_frsize
    ns = [parse_size(x) for x in args.sizes.split(",") if x.strip()]
    need = sum(n * 40 for n in ns)  # ~20 bytes per event on disk, twice while a size is written
    if free < need:
        raise SystemExit(f"not enough disk space under {ROOT}: {free / 1e9:.1f} GB free, about {need / 1e9:.1f} GB needed")
    base = baseline_mb()
    note: list[str] = [""]
    sizes: list[SizeResult] = []
    for n in ns:
        sizes.append(measure(n, args.rounds, args.seed, note))
        problems = [p for s in sizes for p in s.problems]
        text = report(sizes, note[0], base, problems)
        if not args.no_write:  # after every size, so a long run that is stopped leaves its figures
            write_section(text)
    print(text)
    if problems:
        print("\n" + "!" * 78, file=sys.stderr)
        print("FUNNEL BENCHMARK FAILED: ga-goals and the hand-written SQL disagree:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        print("!" * 78, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
