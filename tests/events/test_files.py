"""ExportFiles: export files of every layout read in place exactly as the store loads them, pruned to the period."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.errors import GaGoalsError
from ga_goals.events import COLUMNS, EventStore
from ga_goals.events.files import LAYOUTS, ExportFile, ExportFiles, ExportFilesError
from ga_goals.events.schema import ITEM, lambda_sql, sql_type

from tests.conftest import GA4_DATA, ROOT

SAMPLE = GA4_DATA / "export-sample-events.jsonl"
DOC = ROOT / "docs" / "export-files.md"
NAMES = ", ".join(COLUMNS)
FIRST, LAST = date(2020, 11, 1), date(2021, 1, 31)  # the sample's days (92)
DAYS = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]

#: Columns older exports lack (and the sample has no value in), and struct fields they lack.
NEWER_COLUMNS = (
    "collected_traffic_source",
    "session_traffic_source_last_click",
    "is_active_user",
    "batch_event_index",
    "batch_page_id",
    "batch_ordering_id",
)


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


@pytest.fixture(scope="module")
def reference():
    """The sample loaded through EventStore.load_jsonl: the rows every layout must read back."""
    with EventStore() as store:
        store.load_jsonl(SAMPLE)
        yield store


@pytest.fixture(scope="module")
def lines() -> dict[date, list[str]]:
    """The sample's raw JSON lines by day (with their quirks: "ecommerce": "null", floats for INT64)."""
    by_day: dict[date, list[str]] = {}
    for line in SAMPLE.read_text().splitlines():
        if line.strip():
            raw = json.loads(line)["event_date"]
            by_day.setdefault(date(int(raw[:4]), int(raw[4:6]), int(raw[6:])), []).append(line)
    return by_day


def expected(store: EventStore, start: date = FIRST, end: date = LAST) -> list[tuple]:
    rows = store.connection.execute(
        f"SELECT {NAMES} FROM events WHERE event_date BETWEEN ? AND ?", [ymd(start), ymd(end)]
    ).fetchall()
    return sorted(rows, key=repr)


def read(files: ExportFiles, start: date = FIRST, end: date = LAST) -> list[tuple]:
    with duckdb.connect() as con:
        files.check(con, start, end)
        rows = con.execute(f"SELECT {NAMES} FROM {files.relation_sql(start, end)} AS t").fetchall()
    return sorted(rows, key=repr)


class Writer:
    """Writes sample rows as export files of any layout."""

    def __init__(self, store: EventStore, lines: dict[date, list[str]], root: Path) -> None:
        self.store, self.lines, self.root = store, lines, root

    def parquet(self, relative: str, start: date = FIRST, end: date = LAST, *, select: str = NAMES) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.store.connection.execute(
            f"COPY (SELECT {select} FROM events WHERE event_date BETWEEN '{ymd(start)}' AND '{ymd(end)}') "
            f"TO '{path}' (FORMAT parquet)"
        )
        return path

    def jsonl(self, relative: str, start: date = FIRST, end: date = LAST) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(line + "\n" for day in sorted(self.lines) if start <= day <= end for line in self.lines[day])
        if path.name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
        return path


@pytest.fixture
def writer(reference, lines, tmp_path) -> Writer:
    return Writer(reference, lines, tmp_path)


# ---------------------------------------------------------------------------------------------
# Layouts: each writes the whole sample and returns the paths a user would pass


def old_vintage_select() -> str:
    """Columns of an older export: no NEWER_COLUMNS, a device record with fewer fields, in another order."""
    device = (
        "struct_pack(web_info := struct_pack(browser_version := device.web_info.browser_version, "
        "browser := device.web_info.browser), category := device.category, "
        "mobile_brand_name := device.mobile_brand_name, mobile_model_name := device.mobile_model_name, "
        "mobile_marketing_name := device.mobile_marketing_name, "
        "mobile_os_hardware_model := device.mobile_os_hardware_model, operating_system := device.operating_system, "
        "operating_system_version := device.operating_system_version, language := device.language, "
        "is_limited_ad_tracking := device.is_limited_ad_tracking, "
        "time_zone_offset_seconds := device.time_zone_offset_seconds) AS device"
    )
    # items: a list of records without the newer fields, quantity a 32-bit integer
    fields = [
        f"{k} := CAST(i.{k} AS INTEGER)" if k == "quantity" else f"{k} := i.{k}"
        for k in ITEM
        if k not in ("item_params", "item_refund_in_usd", "item_refund", "price_in_usd")
    ]
    record = "struct_pack(" + ", ".join(fields) + ")"
    items = f"list_transform(items, {lambda_sql('i', record)}) AS items"
    replaced = {"device": device, "items": items}
    return ", ".join(replaced.get(n, n) for n in COLUMNS if n not in NEWER_COLUMNS)


def daily(w: Writer, name: Callable[[date], str], kind: str = "parquet") -> None:
    for day in DAYS:
        if kind == "parquet":
            w.parquet(name(day), day, day)
        else:
            w.jsonl(name(day), day, day)


def hive(w: Writer, folder: Callable[[date], str]) -> None:
    """Hive partitions as DuckDB's PARTITION_BY writes them: the files lack event_date (the folder has it)."""
    for day in DAYS:
        path = w.root / folder(day) / "data_0.parquet"
        path.parent.mkdir(parents=True)
        names = ", ".join(n for n in COLUMNS if n != "event_date")
        w.store.connection.execute(
            f"COPY (SELECT {names} FROM events WHERE event_date = '{ymd(day)}') TO '{path}' (FORMAT parquet)"
        )


def hive_by_copy(w: Writer) -> None:
    w.store.connection.execute(
        f"COPY (SELECT {NAMES} FROM events) TO '{w.root / 'hive'}' (FORMAT parquet, PARTITION_BY (event_date))"
    )


def sharded(w: Writer) -> None:
    # BigQuery's wildcard extract: events_YYYYMMDD-000000000000.parquet, -000000000001... (split by time)
    for day in DAYS:
        rows = w.store.connection.execute(
            "SELECT median(event_timestamp) FROM events WHERE event_date = ?", [ymd(day)]
        ).fetchone()[0]
        for shard, condition in enumerate((f"event_timestamp < {rows}", f"event_timestamp >= {rows}")):
            path = w.root / f"extract/events_{ymd(day)}-{shard:012d}.parquet"
            path.parent.mkdir(exist_ok=True)
            w.store.connection.execute(
                f"COPY (SELECT {NAMES} FROM events WHERE event_date = '{ymd(day)}' AND {condition}) TO '{path}' (FORMAT parquet)"
            )


def mixed_formats(w: Writer) -> None:
    w.parquet("mixed/nov.parquet", date(2020, 11, 1), date(2020, 11, 30))
    w.jsonl("mixed/december/events.jsonl", date(2020, 12, 1), date(2020, 12, 31))
    for day in DAYS:
        if day.month == 1:
            w.jsonl(f"mixed/january/events_{ymd(day)}.ndjson.gz", day, day)


def mixed_vintages(w: Writer) -> None:
    for day in DAYS:
        select = old_vintage_select() if day.month == 12 else NAMES
        w.parquet(f"vintages/events_{ymd(day)}.parquet", day, day, select=select)


#: name -> (writes the files, the paths to pass, whether every file's day is known)
LAYOUT_CASES: dict[str, tuple[Callable[[Writer], object], list[str], bool]] = {
    "json lines": (lambda w: w.jsonl("events.jsonl"), ["events.jsonl"], False),
    "gzipped json lines": (lambda w: w.jsonl("events.jsonl.gz"), ["events.jsonl.gz"], False),
    "one parquet file": (lambda w: w.parquet("events.parquet"), ["events.parquet"], False),
    "two files, two formats": (
        lambda w: (w.parquet("a.parquet", FIRST, date(2020, 12, 15)), w.jsonl("b.json", date(2020, 12, 16))),
        ["a.parquet", "b.json"],
        False,
    ),
    "daily parquet, a folder": (lambda w: daily(w, lambda d: f"daily/events_{ymd(d)}.parquet"), ["daily"], True),
    "daily parquet, a glob": (
        lambda w: daily(w, lambda d: f"daily/events_{ymd(d)}.parquet"),
        ["daily/events_*.parquet"],
        True,
    ),
    "daily parquet by month, a ** glob": (
        lambda w: daily(w, lambda d: f"by-month/{d:%Y-%m}/events_{ymd(d)}.parquet"),
        ["by-month/**/*.parquet"],
        True,
    ),
    "daily gzipped json": (lambda w: daily(w, lambda d: f"json/events_{ymd(d)}.json.gz", "json"), ["json"], True),
    "sharded extract names": (sharded, ["extract"], True),
    "a folder per table": (lambda w: daily(w, lambda d: f"tables/events_{ymd(d)}/000000000000.parquet"), ["tables"], True),
    "hive partitions (PARTITION_BY)": (hive_by_copy, ["hive"], True),
    "hive partitions with dashes": (lambda w: hive(w, lambda d: f"dashed/event_date={d}"), ["dashed"], True),
    "hive partitions under table=": (
        lambda w: hive(w, lambda d: f"nested/table=events_{ymd(d)}/event_date={ymd(d)}"),
        ["nested"],
        True,
    ),
    "mixed formats and layouts": (mixed_formats, ["mixed"], False),
    "mixed vintages": (mixed_vintages, ["vintages"], True),
}

#: A week inside the sample for pruning (December 2020 has a row every day).
WEEK = (date(2020, 12, 7), date(2020, 12, 13))


@pytest.mark.parametrize("name", list(LAYOUT_CASES))
def test_every_layout_reads_the_sample_exactly(name, reference, writer):
    write, paths, days_known = LAYOUT_CASES[name]
    write(writer)
    files = ExportFiles.resolve([writer.root / p if "*" not in p else str(writer.root / p) for p in paths])
    assert all(f.day is not None for f in files.files) == days_known
    assert not any(f.intraday for f in files.files)
    assert read(files) == expected(reference)
    # Pruned to a week: only that week's files (and files of unknown day), the week's rows.
    week = files.for_period(*WEEK)
    assert all(f.day is None or WEEK[0] <= f.day <= WEEK[1] for f in week)
    assert {f for f in files.files if f.day is not None and WEEK[0] <= f.day <= WEEK[1]} <= set(week)
    if days_known:
        assert {f.day for f in week} == {WEEK[0] + timedelta(days=i) for i in range(7)}
    assert read(files, *WEEK) == expected(reference, *WEEK)


def test_the_relation_has_every_export_column_with_the_schema_types(writer):
    mixed_vintages(writer)
    old_only = ExportFiles.resolve([str(writer.root / "vintages" / "events_202012*.parquet")])
    with duckdb.connect() as con:
        for files in (old_only, ExportFiles.resolve([writer.root / "vintages"])):
            described = con.execute(f"DESCRIBE SELECT * FROM {files.relation_sql(FIRST, LAST)} AS t").fetchall()
            assert [(r[0], r[1]) for r in described] == [
                (n, con.execute(f"SELECT typeof(CAST(NULL AS {sql_type(t)}))").fetchone()[0])
                for n, t in COLUMNS.items()
            ]
        # the old vintage's missing columns and struct fields read as NULL
        rel = old_only.relation_sql(FIRST, LAST)
        row = con.execute(
            f"SELECT count(*), count(batch_page_id), count(collected_traffic_source), "
            f"count(device.vendor_id), count(device.web_info.hostname), count(device.web_info.browser) FROM {rel} AS t"
        ).fetchone()
        assert row[0] > 0 and row[1:5] == (0, 0, 0, 0) and row[5] == row[0]
        items = con.execute(
            f"SELECT count(*), count(i.item_params), count(i.item_name), typeof(any_value(i.quantity)) "
            f"FROM (SELECT unnest(items) AS i FROM {rel} AS t)"
        ).fetchone()
        assert items[0] > 0 and items[1] == 0 and items[2] == items[0] and items[3] == "BIGINT"


def test_a_query_decodes_only_the_columns_it_reads(writer):
    """Projection pushdown survives the casts, for one vintage and for mixed ones (typed casts of structs included)."""
    mixed_vintages(writer)
    hive_by_copy(writer)  # files without event_date: the day comes from a join on the file name
    for paths in (
        [writer.root / "vintages" / "events_20201201.parquet"],
        [writer.root / "vintages"],
        [writer.root / "hive"],
    ):
        relation = ExportFiles.resolve(paths).relation_sql(FIRST, LAST)
        with duckdb.connect() as con:
            plan = con.execute(
                f"EXPLAIN (FORMAT json) SELECT count(DISTINCT user_pseudo_id), max(event_timestamp) "
                f"FROM {relation} AS t WHERE event_name = 'page_view'"
            ).fetchone()[1]
        scans = [node for node in _nodes(json.loads(plan)) if "PARQUET" in node.get("name", "")]
        assert len(scans) == 1, paths
        projections = scans[0]["extra_info"]["Projections"]
        read_columns = set(projections) if isinstance(projections, list) else set(re.split(r"[\s,]+", projections))
        assert {"user_pseudo_id", "event_timestamp"} <= read_columns
        assert read_columns <= {"user_pseudo_id", "event_timestamp", "event_name", "event_date", "filename"}


def _nodes(plan: list | dict) -> list[dict]:
    out: list[dict] = []
    for node in plan if isinstance(plan, list) else [plan]:
        out.append(node)
        out.extend(_nodes(node.get("children", [])))
    return out


# ---------------------------------------------------------------------------------------------
# Pruning


def test_intraday_files_count_only_for_days_without_a_daily_file(reference, writer):
    # daily tables up to Nov 29; intraday tables for Nov 29 (the same events again) and Nov 30
    for day in DAYS:
        if day <= date(2020, 11, 29):
            writer.parquet(f"x/events_{ymd(day)}.parquet", day, day)
    writer.parquet("x/events_intraday_20201129.parquet", date(2020, 11, 29), date(2020, 11, 29))
    writer.jsonl("x/events_intraday_20201130.jsonl", date(2020, 11, 30), date(2020, 11, 30))
    files = ExportFiles.resolve([writer.root / "x"])
    assert files.describe() == "29 Parquet files, 2020-11-01..2020-11-29 (+2 intraday)"
    period = (date(2020, 11, 28), date(2020, 11, 30))
    chosen = files.for_period(*period)
    assert [(f.path.name, f.day, f.intraday) for f in chosen] == [
        ("events_20201128.parquet", date(2020, 11, 28), False),
        ("events_20201129.parquet", date(2020, 11, 29), False),
        ("events_intraday_20201130.jsonl", date(2020, 11, 30), True),
    ]
    assert read(files, *period) == expected(reference, *period)
    # the intraday table of a day is read when the daily one is all there is... and never outside the period
    assert [f.path.name for f in files.for_period(date(2020, 11, 30), date(2020, 12, 5))] == [
        "events_intraday_20201130.jsonl"
    ]
    assert files.for_period(date(2020, 12, 1), date(2020, 12, 5)) == ()
    assert files.days_without_files(date(2020, 11, 29), date(2020, 12, 2)) == (date(2020, 12, 1), date(2020, 12, 2))
    assert files.days_without_files(*period) == ()


def test_files_of_unknown_day_are_always_read_and_filtered_by_rows(reference, writer):
    writer.parquet("u/events_20201101.parquet", FIRST, FIRST)
    writer.parquet("u/november-rest.parquet", date(2020, 11, 2), date(2020, 11, 30))
    writer.jsonl("u/later.jsonl", date(2020, 12, 1))
    files = ExportFiles.resolve([writer.root / "u"])
    assert files.describe() == "2 Parquet files and 1 JSON-lines file, 2020-11-01, 2 of unknown day"
    period = (date(2020, 11, 20), date(2020, 12, 3))
    assert sorted(f.path.name for f in files.for_period(*period)) == ["later.jsonl", "november-rest.parquet"]
    assert files.days_without_files(*period) == ()  # the files of unknown day may hold any day
    assert read(files, *period) == expected(reference, *period)


def test_a_path_given_twice_is_read_once(reference, writer):
    writer.parquet("d/events.parquet")
    files = ExportFiles.resolve([writer.root / "d", writer.root / "d" / "events.parquet", str(writer.root / "d/*")])
    assert len(files.files) == 1
    assert read(files) == expected(reference)


def test_hidden_and_other_files_in_folders_are_ignored(reference, writer):
    writer.parquet("f/events_20201101.parquet", FIRST, FIRST)
    (writer.root / "f" / "_SUCCESS").write_text("")
    (writer.root / "f" / ".events_20201101.parquet.crc").write_bytes(b"crc")
    (writer.root / "f" / "README.txt").write_text("exported by hand")
    (writer.root / "f" / "_temporary").mkdir()
    (writer.root / "f" / "_temporary" / "part.parquet").write_bytes(b"partial")
    files = ExportFiles.resolve([writer.root / "f"])
    assert [f.path.name for f in files.files] == ["events_20201101.parquet"]
    assert read(files, FIRST, FIRST) == expected(reference, FIRST, FIRST)


@pytest.mark.parametrize(
    ("files", "text"),
    [
        ([("a/events_20240301.parquet", "parquet", date(2024, 3, 1), False)], "1 Parquet file, 2024-03-01"),
        (
            [(f"a/events_202403{d:02d}.parquet", "parquet", date(2024, 3, d), False) for d in range(1, 32)]
            + [("a/events_intraday_20240401.parquet", "parquet", date(2024, 4, 1), True)],
            "31 Parquet files, 2024-03-01..2024-03-31 (+1 intraday)",
        ),
        (
            [(f"a/events_2024030{d}.jsonl", "json", date(2024, 3, d), False) for d in (1, 2, 4)],
            "3 JSON-lines files, 2024-03-01..2024-03-02, 2024-03-04",
        ),
        (
            [(f"a/events_202403{d:02d}.jsonl", "json", date(2024, 3, d), False) for d in (1, 3, 5, 7, 9)],
            "5 JSON-lines files, 2024-03-01..2024-03-09 (5 days, with gaps)",
        ),
        ([("a/x.parquet", "parquet", None, False)], "1 Parquet file, days unknown (read from the rows)"),
        ([("a/events_intraday_20240301.parquet", "parquet", date(2024, 3, 1), True)], "1 Parquet intraday file, 2024-03-01"),
    ],
)
def test_describe(files, text):
    assert ExportFiles(tuple(ExportFile(Path(p), f, d, i) for p, f, d, i in files)).describe() == text


# ---------------------------------------------------------------------------------------------
# Any split of the sample into files reads back the same rows


@st.composite
def splits(draw) -> tuple[list[tuple[list[date], str, str]], tuple[date, date]]:
    """Contiguous runs of the sample's days, each one file of some format and name; and a period.

    A day of its own may be a daily table, an intraday table, or a part of unknown name, at the
    top, in a sub-folder or in a hive partition; a daily table may come with the intraday table
    of the same day (the same events again, which must not count twice).
    """
    islands = draw(st.sets(st.integers(0, len(DAYS) - 1), min_size=1, max_size=6))  # days in files of their own
    cuts = draw(st.sets(st.integers(1, len(DAYS) - 1), max_size=6))
    cuts |= {i for i in islands if i > 0} | {i + 1 for i in islands if i + 1 < len(DAYS)}
    runs = [DAYS[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(DAYS)])]
    formats = st.sampled_from(["parquet", "jsonl", "jsonl.gz", "ndjson"])
    chunks = []
    for i, run in enumerate(runs):
        fmt = draw(formats)
        if len(run) > 1:
            chunks.append((run, fmt, f"part-{i}.{fmt}"))
            continue
        day = run[0]
        stem = draw(st.sampled_from([f"events_{ymd(day)}", f"events_intraday_{ymd(day)}", f"part-{i}"]))
        where = draw(st.sampled_from(["", "sub/", f"event_date={day}/"]))
        chunks.append((run, fmt, f"{where}{stem}.{fmt}"))
        daily = stem.startswith("events_2") or (stem.startswith("part") and where.startswith("event_date"))
        if daily and draw(st.booleans()):
            copy = draw(formats)
            chunks.append((run, copy, f"intraday/events_intraday_{ymd(day)}.{copy}"))
    if draw(st.booleans()):  # a period around a day of its own
        anchor = DAYS[draw(st.sampled_from(sorted(islands)))]
        start = max(FIRST, anchor - timedelta(days=draw(st.integers(0, 5))))
        end = min(LAST, anchor + timedelta(days=draw(st.integers(0, 5))))
    else:
        start = draw(st.sampled_from(DAYS))
        end = draw(st.sampled_from([d for d in DAYS if d >= start]))
    return chunks, (start, end)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(split=splits())
def test_any_split_into_files_reads_back_the_same_rows(reference, lines, split):
    chunks, (start, end) = split
    with tempfile.TemporaryDirectory() as tmp:
        w = Writer(reference, lines, Path(tmp))
        for run, fmt, name in chunks:
            (w.parquet if fmt == "parquet" else w.jsonl)(name, run[0], run[-1])
        files = ExportFiles.resolve([tmp])
        assert len(files.files) == len(chunks)
        assert read(files, start, end) == expected(reference, start, end)
        for f in files.for_period(start, end):
            assert f.day is None or start <= f.day <= end


# ---------------------------------------------------------------------------------------------
# Errors: one line, the path, what to do


def _error(call: Callable[[], object]) -> str:
    with pytest.raises(ExportFilesError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, GaGoalsError)
    return message


def test_paths_that_give_no_files(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("x")
    (tmp_path / "events.csv").write_text("event_name\n")
    (tmp_path / "events.parquet.gz").write_bytes(b"x")
    cases = {
        str(tmp_path / "nope.parquet"): "nope.parquet: no such file or folder",
        str(tmp_path / "nope" / "*.parquet"): "*.parquet: the glob matches nothing",
        str(tmp_path / "docs" / "*"): "the glob matches 1 path(s) but no export file: export files end in .parquet",
        str(tmp_path / "empty"): "empty: the folder holds no export file",
        str(tmp_path / "docs"): "docs: the folder holds no export file",
        str(tmp_path / "events.csv"): "events.csv: not an export file: export files end in .parquet, .jsonl",
        str(tmp_path / "events.parquet.gz"): "events.parquet.gz: gzipped Parquet cannot be read in place: gunzip it",
        "": "an empty path was given",
        "  ": "an empty path was given",
    }
    for path, message in cases.items():
        assert message in _error(lambda: ExportFiles.resolve([path])), path
    assert "no export files given" in _error(lambda: ExportFiles.resolve([]))


def check_error(paths: list[Path], start: date = FIRST, end: date = LAST) -> str:
    files = ExportFiles.resolve(paths)
    with duckdb.connect() as con:
        return _error(lambda: files.check(con, start, end))


def test_files_that_are_not_export_rows(tmp_path, writer):
    other = tmp_path / "orders.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT 1 AS order_id, 'x' AS event_name) TO '{other}' (FORMAT parquet)")
    message = check_error([other])
    assert message.startswith(f"{other}: not GA4 export rows: no event_timestamp, user_pseudo_id columns")
    assert "GA4 BigQuery export rows" in message and "bq extract --destination_format PARQUET" in message
    rows = tmp_path / "orders.jsonl"
    rows.write_text('{"order_id": 1}\n{"order_id": 2}\n')
    assert check_error([rows]).startswith(
        f"{rows}: not GA4 export rows: no event_name, event_timestamp, user_pseudo_id fields"
    )
    array = tmp_path / "array.json"  # a JSON array, not JSON lines
    array.write_text(json.dumps([{"event_name": "x"}]) + "\n")
    assert "not GA4 export rows: no event_name, event_timestamp, user_pseudo_id" in check_error([array])


def test_empty_and_corrupt_files(tmp_path, writer):
    empty = tmp_path / "events_20201101.parquet"
    empty.write_bytes(b"")
    assert check_error([empty]) == f"{empty}: the file is empty (0 bytes): export the table again or leave the file out"
    corrupt = tmp_path / "corrupt" / "events_20201102.parquet"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"PAR1 this is not parquet at all")
    writer.parquet("corrupt/events_20201103.parquet", date(2020, 11, 3), date(2020, 11, 3))
    message = check_error([corrupt.parent])
    assert message.startswith(f"{corrupt}: cannot read it as Parquet (") and message.endswith("re-export it or leave it out")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"event_name": "page_view", \n')
    message = check_error([broken])
    assert message.startswith(f"{broken}: cannot read it as JSON lines (")
    assert "NEWLINE_DELIMITED_JSON" in message
    gz = tmp_path / "events_20201101.jsonl.gz"
    gz.write_bytes(b"not gzip at all")
    assert check_error([gz]).startswith(f"{gz}: cannot read it as JSON lines (")


def test_a_file_removed_after_listing(writer):
    path = writer.parquet("gone/events_20201101.parquet", FIRST, FIRST)
    files = ExportFiles.resolve([path])
    path.unlink()
    with duckdb.connect() as con:
        assert "events_20201101.parquet: no such file (it was there when the files were listed)" in _error(
            lambda: files.check(con, FIRST, FIRST)
        )


def test_no_file_covers_the_period(writer):
    for day in (date(2020, 11, 1), date(2020, 11, 2), date(2020, 11, 3), date(2020, 11, 10)):
        writer.parquet(f"some/events_{ymd(day)}.parquet", day, day)
    message = check_error([writer.root / "some"], date(2021, 3, 1), date(2021, 3, 31))
    assert message == (
        f"4 files in {writer.root / 'some'}: no export file covers 2021-03-01..2021-03-31; the files cover "
        "2020-11-01..2020-11-03, 2020-11-10: pass the files of that period or report on a period they cover"
    )
    # files of unknown day: their rows say which days they hold
    whole = writer.parquet("whole/events.parquet")
    assert check_error([whole], date(2021, 3, 1), date(2021, 3, 31)) == (
        f"{whole}: no event of 2021-03-01..2021-03-31 in the files (they hold events of 2020-11-01..2021-01-31): "
        "pass the files of that period or report on a period they cover"
    )
    json_lines = writer.jsonl("whole/events.jsonl", date(2020, 12, 1), date(2020, 12, 1))
    assert "(they hold events of 2020-12-01)" in check_error([json_lines], FIRST, date(2020, 11, 30))


def test_a_period_that_ends_before_it_starts(writer):
    files = ExportFiles.resolve([writer.parquet("p.parquet")])
    assert "the period 2020-12-01..2020-11-01 ends before it starts" in _error(
        lambda: files.for_period(date(2020, 12, 1), date(2020, 11, 1))
    )


# ---------------------------------------------------------------------------------------------
# The documentation's list of layouts


def test_the_docs_list_the_recognised_layouts(tmp_path):
    text = DOC.read_text()
    table = re.findall(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|", text, flags=re.M)
    documented = [(path, day.strip(), kind.strip()) for path, day, kind in table]
    assert documented == [
        (path, str(day) if day else "unknown (rows say)", "intraday" if intraday else "daily")
        for path, day, intraday in LAYOUTS
    ]
    # and each example is read as documented: one event of the file's day in each file
    with EventStore() as store:
        for path, day, intraday in LAYOUTS:
            assert ExportFile.at(path).day == day and ExportFile.at(path).intraday == intraday, path
            file = tmp_path / path
            file.parent.mkdir(parents=True, exist_ok=True)
            store.clear()
            store.insert([{"event_date": ymd(day or date(2024, 3, 1)), "event_timestamp": 1709251200000000,
                           "event_name": path, "user_pseudo_id": "u"}])
            if file.name.endswith(".parquet"):
                store.connection.execute(f"COPY (SELECT {NAMES} FROM events) TO '{file}' (FORMAT parquet)")
            else:
                line = json.dumps({"event_date": ymd(day or date(2024, 3, 1)), "event_timestamp": "1709251200000000",
                                   "event_name": path, "user_pseudo_id": "u"}) + "\n"
                file.write_bytes(gzip.compress(line.encode()) if file.name.endswith(".gz") else line.encode())
    files = ExportFiles.resolve([tmp_path / "exports"])
    assert sorted(str(f.path.relative_to(tmp_path)) for f in files.files) == sorted(p for p, _, _ in LAYOUTS)
    period = (date(2024, 3, 1), date(2024, 3, 2))
    with duckdb.connect() as con:
        files.check(con, *period)
        names = sorted(r[0] for r in con.execute(f"SELECT event_name FROM {files.relation_sql(*period)} AS t").fetchall())
    # every file is read but the intraday tables of 2024-03-02 (no daily file that day: both read)
    assert names == sorted(p for p, _, _ in LAYOUTS)
    assert "bq extract" in text and "--destination_format PARQUET" in text


def test_a_column_of_another_shape_is_refused(tmp_path):
    other = tmp_path / "events_20201101.parquet"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT '20201101' AS event_date, 1604192073036492 AS event_timestamp, 'page_view' AS event_name, "
            f"'u' AS user_pseudo_id, '[]' AS event_params, ['x'] AS device) TO '{other}' (FORMAT parquet)"
        )
    assert check_error([other]) == (
        f"{other}: column event_params is a value (VARCHAR) where GA4 exports have a list: the files must be GA4 "
        "BigQuery export rows, e.g. from `bq extract --destination_format PARQUET`"
    )


# ---------------------------------------------------------------------------------------------
# event_date: as stored, else the day of the file, else the UTC date of the timestamp

#: 2020-11-01 23:30 UTC: the UTC date is the 1st, a property in UTC+1 exports it on the 2nd.
LATE = 1604273400000000


def test_rows_without_event_date_take_the_day_of_their_file(tmp_path):
    row = {"event_timestamp": str(LATE), "event_name": "page_view", "user_pseudo_id": "u"}
    text = json.dumps(row) + "\n"
    for relative in ("events_20201102.jsonl", "event_date=2020-11-02/part.ndjson", "loose/part.json"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    with duckdb.connect() as con:
        for relative in ("events_20201102.parquet", "event_date=20201102/part.parquet", "loose/part.parquet"):
            (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"COPY (SELECT {LATE} AS event_timestamp, 'page_view' AS event_name, 'u' AS user_pseudo_id) "
                f"TO '{tmp_path / relative}' (FORMAT parquet)"
            )
        files = ExportFiles.resolve([tmp_path])
        relation = files.relation_sql(date(2020, 11, 1), date(2020, 11, 2))
        got = sorted(con.execute(f"SELECT event_date, count(*) FROM {relation} AS t GROUP BY 1").fetchall())
    # four files of known day (the 2nd), two of unknown day (the timestamp's UTC date: the 1st)
    assert got == [("20201101", 2), ("20201102", 4)]


def test_a_stored_event_date_wins_over_the_file_name(tmp_path, writer):
    # a daily file whose rows say another day (a renamed file): the rows say which day they are
    writer.parquet("renamed/events_20201105.parquet", FIRST, FIRST)
    files = ExportFiles.resolve([writer.root / "renamed"])
    assert files.files[0].day == date(2020, 11, 5)
    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FROM {files.relation_sql(FIRST, date(2020, 11, 5))} AS t").fetchone()[0] > 0
        assert con.execute(f"SELECT count(*) FROM {files.relation_sql(date(2020, 11, 5), date(2020, 11, 5))} AS t").fetchone()[0] == 0


def test_a_path_with_glob_characters_that_exists_is_taken_literally(reference, writer):
    writer.parquet("exports [march]/events_20201101.parquet", FIRST, FIRST)
    files = ExportFiles.resolve([str(writer.root / "exports [march]")])
    assert [f.day for f in files.files] == [FIRST]
    assert read(files, FIRST, FIRST) == expected(reference, FIRST, FIRST)
