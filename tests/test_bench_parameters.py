"""The parameter benchmark stays honest: its hand-written baseline agrees with ga-goals' parameter
findings on the sandbox's shop traffic as export files (no timing here)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ga_goals.events import EventStore, generate
from tests.checks.schemas import shop_schemas

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import parameter_bench  # noqa: E402

START, END = date(2024, 4, 1), date(2024, 4, 21)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parameters")
    with EventStore() as store:
        generate(store, START, END, users=1500, seed=4)
        for (day,) in store.connection.execute("SELECT DISTINCT event_date FROM events").fetchall():
            store.connection.execute(
                f"COPY (SELECT * EXCLUDE (_row_hash) FROM events WHERE event_date = '{day}') "
                f"TO '{out / f'events_{day}.parquet'}' (FORMAT PARQUET)"
            )
    return out


def test_the_naive_baseline_and_ga_goals_agree(folder: Path) -> None:
    files, start, end = parameter_bench.files_of(folder)
    assert (start, end) == (START, END)
    schemas = list(shop_schemas().values())
    ours = parameter_bench.ga_goals(folder, schemas, start, end)
    con = duckdb.connect()
    try:
        theirs = parameter_bench.naive(con, parameter_bench.relation(files), schemas, start, end)
        assert parameter_bench.floor(con, parameter_bench.relation(files), schemas, start, end) > 0
    finally:
        con.close()
    assert ours == theirs
    faults = {(e, p, k) for e, p, k in ours if k != "events"}
    assert faults == {
        ("add_to_cart", "currency", "missing"),
        ("add_payment_info", "payment_type", "not_allowed"),
        ("purchase", "value", "wrong_type"),
        ("view_item", "experiment_variant", "undeclared"),
    }
