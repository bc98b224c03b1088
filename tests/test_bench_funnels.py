"""The funnel benchmark stays honest: its export files are export-shaped and its hand-written SQL agrees with run_funnel.

Runs the generator of ``bench/export_data.py`` at a tiny size and every case of
``bench/funnel_queries.py`` on it (no timing here).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ga_goals.events.schema import COLUMNS, create_table_sql, sql_type

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import export_data  # noqa: E402
import funnel_queries  # noqa: E402
import funnel_bench  # noqa: E402

EVENTS = 20_000


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_data.ensure(tmp_path_factory.mktemp("bench"), EVENTS, seed=3, threads=1)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("SET enable_progress_bar = false")
    return c


def test_one_file_per_day_in_the_export_schema(folder: Path, con: duckdb.DuckDBPyConnection) -> None:
    files = export_data.files(folder)
    days = [export_data.FIRST_DAY + timedelta(days=k) for k in range(export_data.DAYS)]
    assert [f.name for f in files] == [f"events_{d:%Y%m%d}.parquet" for d in days]
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{files[0]}')").fetchall()
    con.execute(create_table_sql("export_reference"))  # the store's table: the export columns, then _row_hash
    reference = con.execute("DESCRIBE export_reference").fetchall()
    assert [(name, kind) for name, kind, *_ in described] == [(name, kind) for name, kind, *_ in reference][:-1]
    assert [name for name, *_ in described] == list(COLUMNS)
    for f in (files[0], files[-1]):
        dates = con.execute(f"SELECT DISTINCT event_date FROM read_parquet('{f}')").fetchall()
        assert dates == [(f.stem.split("_")[1],)]
    total, users = con.execute(
        f"SELECT count(*), count(DISTINCT user_pseudo_id) FROM {export_data.relation(folder)}"
    ).fetchone()
    assert (total, users) == (EVENTS, EVENTS // 10)


def test_traffic_has_what_makes_order_and_windows_matter(folder: Path, con: duckdb.DuckDBPyConnection) -> None:
    rel = export_data.relation(folder)
    ties = con.execute(
        f"SELECT count(*) FROM (SELECT user_pseudo_id, event_timestamp FROM {rel} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    assert ties == 0  # distinct timestamps per user: no tie rule can make two correct engines disagree
    per_name = dict(con.execute(f"SELECT event_name, count(DISTINCT user_pseudo_id) FROM {rel} GROUP BY 1").fetchall())
    assert set(per_name) == set(export_data.STEPS) | set(export_data.NOISE)
    drop = [per_name[s] for s in export_data.STEPS]
    assert drop == sorted(drop, reverse=True) and drop[-1] > 0
    devices = {r[0] for r in con.execute(f"SELECT DISTINCT device.category FROM {rel}").fetchall()}
    assert devices == {"mobile", "desktop", "tablet"}
    returning, out_of_order, repeated = con.execute(
        f"""SELECT count(*) FILTER (WHERE days > 1), count(*) FILTER (WHERE first_item < first_view),
                   count(*) FILTER (WHERE carts > 1)
            FROM (SELECT user_pseudo_id, count(DISTINCT event_date) AS days,
                         min(event_timestamp) FILTER (WHERE event_name = 'view_item') AS first_item,
                         min(event_timestamp) FILTER (WHERE event_name = 'page_view') AS first_view,
                         count(*) FILTER (WHERE event_name = 'add_to_cart') AS carts
                  FROM {rel} GROUP BY 1)"""
    ).fetchone()
    assert returning > 0 and out_of_order > 0 and repeated > 0
    value = con.execute(
        f"SELECT count(*) FROM {rel} AS t WHERE t.event_name = 'purchase' AND {funnels_param('value')} > 0"
    ).fetchone()[0]
    assert value > 0


def funnels_param(name: str) -> str:
    from ga_goals.events.schema import param

    return param(name, "number", column="t.event_params")


def test_generation_is_deterministic_and_reused(folder: Path, con: duckdb.DuckDBPyConnection) -> None:
    def checksum(seed: int) -> int:
        return con.execute(f"SELECT sum(hash(COLUMNS(*))) FROM ({export_data.events_sql(2_000, seed)})").fetchone()[0]

    assert checksum(1) == checksum(1) != checksum(2)
    stamp = export_data.files(folder)[0].stat().st_mtime_ns
    assert export_data.ensure(folder.parent, EVENTS, seed=3) == folder
    assert export_data.files(folder)[0].stat().st_mtime_ns == stamp


@pytest.mark.parametrize("case", ["a", "b", "c", "d"])
def test_hand_written_sql_and_run_funnel_agree(folder: Path, con: duckdb.DuckDBPyConnection, case: str) -> None:
    rel = export_data.relation(folder)
    engine_rel, _ = funnel_bench.engine_relation(rel)
    start, end = export_data.FIRST_DAY, export_data.last_day()
    hand = funnel_queries.run_hand(con, case, rel, start, end)
    engine = funnel_queries.run_engine(con, case, engine_rel, start, end)
    assert funnel_queries.disagreements(case, hand, engine) == []
    assert hand.users[0] > hand.users[-1] > 0
    if case == "b":
        assert hand.rows is not None and set(hand.rows) == {"mobile", "desktop", "tablet"}
    if case == "c":  # the window matters: fewer continue than reach the next step
        assert 0 < hand.continued[0] < hand.users[1]


def test_a_disagreement_is_reported(folder: Path, con: duckdb.DuckDBPyConnection) -> None:
    start, end = export_data.FIRST_DAY, export_data.last_day()
    hand = funnel_queries.run_hand(con, "b", export_data.relation(folder), start, end)
    assert hand.rows is not None
    off = funnel_queries.Counts(hand.users[:-1] + (hand.users[-1] + 1,), hand.continued, dict(hand.rows))
    assert any("users per step" in p for p in funnel_queries.disagreements("b", hand, off))
    uneven = dict(hand.rows)
    first = sorted(uneven)[0]
    uneven[first] = (uneven[first][0] + 1,) + uneven[first][1:]
    problems = funnel_queries.disagreements("b", hand, funnel_queries.Counts(hand.users, hand.continued, uneven))
    assert any("sum to" in p for p in problems) and any("breakdown rows" in p for p in problems)
    cont = funnel_queries.Counts(hand.users, (0,) + hand.continued[1:])
    assert any("continued" in p for p in funnel_queries.disagreements("c", hand, cont))


def test_the_results_section_is_replaced_in_place(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## Other\n\nkept\n")
    funnel_bench.write_section(f"{funnel_bench.BEGIN}\nfirst\n{funnel_bench.END}\n", path)
    funnel_bench.write_section(f"{funnel_bench.BEGIN}\nsecond\n{funnel_bench.END}\n", path)
    text = path.read_text()
    assert "kept" in text and "second" in text and "first" not in text
    assert text.count(funnel_bench.BEGIN) == 1


def test_bigquery_bytes_follow_bigquerys_sizes(con: duckdb.DuckDBPyConnection) -> None:
    kind = {"s": "VARCHAR", "i": "BIGINT", "b": "BOOLEAN", "l": [{"k": "VARCHAR"}]}
    sql = funnel_bench._bq_size("x", kind)
    row = "{'s': 'ab', 'i': 1, 'b': true, 'l': [{'k': 'é'}, {'k': NULL}]}"
    assert con.execute(f"SELECT {sql} FROM (SELECT {row} AS x)").fetchone()[0] == (2 + 2) + 8 + 1 + (2 + 2)
    assert con.execute(f"SELECT {sql} FROM (SELECT NULL::{sql_type(kind)} AS x)").fetchone()[0] == 0


def test_sizes_are_parsed() -> None:
    assert [funnel_bench.parse_size(s) for s in ("1M", "10m", "500k", "2000")] == [1_000_000, 10_000_000, 500_000, 2000]
    with pytest.raises(SystemExit, match="bad size"):
        funnel_bench.parse_size("ten")
    assert funnel_bench.label(50_000_000) == "50M"
    assert date.fromisoformat(f"{export_data.last_day()}") == export_data.FIRST_DAY + timedelta(days=29)


def test_peak_memory_is_this_process_own() -> None:
    import os

    rss_kb = next(int(x.split()[1]) for x in Path(f"/proc/{os.getpid()}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    assert funnel_bench.peak_mb() >= rss_kb / 1024 > 0


def _measured(events: int, engine: float, hand: float, floor: float, peak: float) -> funnel_bench.SizeResult:
    size = funnel_bench.SizeResult(events=events, users=events // 10, folder=Path("."), file_bytes=0, generate_s=None)
    for case in "abcd":
        size.seconds[f"ga_goals_{case}"] = engine * events
        size.seconds[f"hand_{case}"] = hand * events
        size.peak_mb[f"ga_goals_{case}"] = peak
    size.seconds["floor"] = floor * events
    return size


def test_targets_are_judged_on_the_ratios() -> None:
    good = funnel_bench.targets(
        [_measured(1_000_000, 1.0, 2.5, 0.5, 300), _measured(10_000_000, 1.0, 2.5, 0.5, 900),
         _measured(50_000_000, 1.2, 3.0, 0.5, 1400)]
    )  # fmt: skip
    assert not any("NOT MET" in line or "not measured" in line for line in good)
    assert sum("**met**" in line for line in good) == 4 + 6 + 3 + 4
    bad = funnel_bench.targets([_measured(1_000_000, 1.0, 0.9, 0.2, 300), _measured(10_000_000, 1.5, 1.0, 0.2, 1600)])
    assert sum("NOT MET" in line for line in bad) == 4 + 4 + 1
    assert sum("not measured" in line for line in bad) == 4
    assert any("1M -> 10M (indicative)" in line and "(1.50x)" in line for line in bad)
