"""GA4 BigQuery-export files, read in place by DuckDB as one relation of typed ``events`` rows.

``ExportFiles.resolve(paths)`` turns what a user passes (files, globs, folders, in any mix) into
the export files below them, each with the day its name or folder says it holds
(:data:`LAYOUTS` lists the layouts recognised; ``docs/export-files.md`` explains them).
``relation_sql(start, end)`` is a parenthesised SELECT over the files of that period, read where
they are (nothing is loaded into a database first), exposing every column of
:data:`ga_goals.events.schema.COLUMNS` with the schema's types:

* Parquet files are read by one ``read_parquet([...])``, with ``union_by_name=true`` when
  their schemas differ, so files of different export vintages read together (a column or
  struct field a file lacks is NULL), and every column is cast to the schema's type. A cast to
  the type a column already has is free, and DuckDB drops the columns a query does not use
  before the scan, so a query reading three columns decodes three columns; a filter on
  ``event_date`` reaches the scan too (row groups outside the period are skipped) when the
  files carry ``event_date`` as a string, as exports do (``YYYYMMDD``; such a value is taken as
  stored).
* JSON lines (optionally gzipped) go through the store's normalisation rules
  (:mod:`ga_goals.events.normalise`): INT64 written as strings, ``"ecommerce": "null"``, a
  missing ``event_date``.
* A row without ``event_date`` takes the day of its file (name or partition), else the UTC date
  of ``event_timestamp``.

Pruning (:meth:`ExportFiles.for_period`): a file whose day is known is read only when the day is
in the period; an intraday file only for a day that has no daily file (the two tables of a day
hold the same events); a file of unknown day always, its rows filtered by ``event_date``.

:meth:`ExportFiles.check` finds what would make the report wrong or fail (files that are not GA4
export rows, unreadable files, no file for the period) from schemas and metadata, before any
report query runs, and says how to fix it in one line (:class:`ExportFilesError`); paths that
give no file (missing, empty, a glob that matches nothing, a folder without export files) are
refused earlier, by :meth:`ExportFiles.resolve`.
"""

from __future__ import annotations

import glob as globbing
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import duckdb

from ga_goals.errors import GaGoalsError
from ga_goals.events.normalise import event_date_sql, json_rows_sql
from ga_goals.events.schema import COLUMNS, quote_literal, sql_type

Format = Literal["parquet", "json"]

#: File name endings of export files, by format (each may end in ``.gz`` too, except Parquet).
SUFFIXES: dict[str, Format] = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".ndjson": "json"}

#: The columns every GA4 export row has; files without them are not export rows.
REQUIRED_COLUMNS = ("event_name", "event_timestamp", "user_pseudo_id")

#: The layouts recognised, as (example path, the day it holds or None, intraday): the list that
#: ``docs/export-files.md`` shows (a test keeps the two in step and reads every example).
LAYOUTS: tuple[tuple[str, date | None, bool], ...] = (
    ("exports/events_20240301.parquet", date(2024, 3, 1), False),
    ("exports/events_20240301.jsonl", date(2024, 3, 1), False),
    ("exports/events_20240301.json.gz", date(2024, 3, 1), False),
    ("exports/events_20240301-000000000000.parquet", date(2024, 3, 1), False),
    ("exports/events_20240301/000000000000.parquet", date(2024, 3, 1), False),
    ("exports/events_intraday_20240302.parquet", date(2024, 3, 2), True),
    ("exports/events_intraday_20240302-000000000000.ndjson.gz", date(2024, 3, 2), True),
    ("exports/event_date=20240301/part-0.parquet", date(2024, 3, 1), False),
    ("exports/event_date=2024-03-01/part-0.parquet", date(2024, 3, 1), False),
    ("exports/table=events_20240301/part-0.parquet", date(2024, 3, 1), False),
    ("exports/table=events_20240301/event_date=20240301/part-0.parquet", date(2024, 3, 1), False),
    ("exports/table=events_intraday_20240302/part-0.parquet", date(2024, 3, 2), True),
    ("exports/events.parquet", None, False),
    ("exports/2024-03/part-0.jsonl", None, False),
)

# A table's name (a file's stem, its folder, or a hive `table=` folder): events_YYYYMMDD,
# events_intraday_YYYYMMDD, with BigQuery's shard number when a wildcard extract split it.
_TABLE = re.compile(r"(?:table=)?events_(intraday_)?(\d{8})(?:-\d+)?")
_PARTITION = re.compile(r"event_date=(\d{8}|\d{4}-\d{2}-\d{2})")


class ExportFilesError(GaGoalsError):
    """Export files that cannot be read as GA4 events for a report (the message names the path and the fix)."""


@dataclass(frozen=True)
class ExportFile:
    """One export file: where it is, how to read it, and the day its name or folder says it holds."""

    path: Path
    format: Format
    day: date | None  # from the name or the hive folder; None = unknown (rows say)
    intraday: bool  # an events_intraday_YYYYMMDD table

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> ExportFile:
        """The export file at ``path`` (which need not exist): its format and day from its name and folders."""
        file = Path(path)
        fmt = _format_of(file)
        if fmt is None:
            raise ExportFilesError(f"{file}: not an export file: {_EXPECTED}")
        day, intraday = _day_of(file)
        return cls(file, fmt, day, intraday)


_EXPECTED = "export files end in .parquet, .jsonl, .json or .ndjson (JSON lines optionally .gz)"


@dataclass(frozen=True)
class ExportFiles:
    """A set of export files (see the module docstring); build it with :meth:`resolve`."""

    files: tuple[ExportFile, ...]

    @classmethod
    def resolve(cls, paths: Sequence[str | os.PathLike[str]]) -> ExportFiles:
        """The export files of ``paths``: files, globs (``**`` allowed) and folders (searched recursively).

        Raises :class:`ExportFilesError` for a missing or empty path, a glob that matches
        nothing, a folder without export files and a file that is not an export file by name.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        if not paths:
            raise ExportFilesError("no export files given: pass the GA4 export files, a folder or a glob of them")
        found: dict[str, ExportFile] = {}
        for raw in paths:
            text = os.fspath(raw)
            if not text.strip():
                raise ExportFilesError("an empty path was given: pass the GA4 export files, a folder or a glob of them")
            for file in _expand(text):
                found.setdefault(os.path.realpath(file), ExportFile.at(file))
        return cls(tuple(sorted(found.values(), key=_order)))

    # -- pruning -----------------------------------------------------------------------------

    def for_period(self, start: date, end: date) -> tuple[ExportFile, ...]:
        """The files to read for ``start..end``: daily files of those days, intraday files of days
        without a daily file, and every file of unknown day."""
        _check_period(start, end)
        daily = {f.day for f in self.files if f.day is not None and not f.intraday}
        return tuple(
            f
            for f in self.files
            if f.day is None or (start <= f.day <= end and not (f.intraday and f.day in daily))
        )

    def days_without_files(self, start: date, end: date) -> tuple[date, ...]:
        """The days of ``start..end`` that no file is named for (none when a file of unknown day may hold them).

        For a report to say that its period is only partly exported.
        """
        _check_period(start, end)
        if any(f.day is None for f in self.files):
            return ()
        named = {f.day for f in self.files}
        days = (start + timedelta(days=i) for i in range((end - start).days + 1))
        return tuple(day for day in days if day not in named)

    # -- reading -----------------------------------------------------------------------------

    def relation_sql(self, start: date, end: date) -> str:
        """A parenthesised SELECT of the period's events from the files, for ``FROM {relation} AS t``."""
        low, high = _yyyymmdd(start), _yyyymmdd(end)
        rows = _rows_sql(self.for_period(start, end))
        return f"(SELECT * FROM ({rows}) AS rows WHERE event_date BETWEEN '{low}' AND '{high}')"

    def check(self, con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
        """Raise :class:`ExportFilesError` when the period's files cannot give the period's events.

        Reads schemas and Parquet metadata (and the first lines of JSON files), not data, except
        for files of unknown day when no other file covers the period: their ``event_date``
        column is read to tell whether they hold any event of the period.
        """
        files = self.for_period(start, end)
        if not files:
            raise ExportFilesError(
                f"{_where(self.files)}: no export file covers {_days_text([start, end], span=True)}; "
                f"the files cover {_days_text(_known_days(self.files))}: pass the files of that period "
                "or report on a period they cover"
            )
        for file in files:
            _check_exists(file)
        parquet = [f for f in files if f.format == "parquet"]
        if parquet:
            schemas = _parquet_schemas(con, parquet)
            for file in parquet:
                _check_required(file, schemas[file.path].columns, "columns")
            union = _parquet_union(con, parquet, schemas)  # files whose types cannot be unified fail here
            _check_shapes(parquet, union)
        for file in files:
            if file.format == "json":
                _check_required(file, _json_keys(con, file), "fields")
        if any(f.day is not None for f in files):
            return
        # Only files of unknown day: do they hold any event of the period?
        low, high = _yyyymmdd(start), _yyyymmdd(end)
        try:
            first, last, inside = con.execute(
                f"SELECT min(event_date), max(event_date), count(*) FILTER (WHERE event_date BETWEEN '{low}' AND '{high}') "
                f"FROM ({_rows_sql(files)}) AS rows"
            ).fetchone() or (None, None, 0)
        except duckdb.Error as exc:
            raise ExportFilesError(f"{_where(files)}: cannot read the files: {_first_line(exc)}") from exc
        if not inside:
            bounds = [d for d in (_parse(first or ""), _parse(last or "")) if d]
            held = "no events" if first is None else f"events of {_days_text(bounds, span=True)}"
            raise ExportFilesError(
                f"{_where(files)}: no event of {_days_text([start, end], span=True)} in the files (they hold {held}): "
                "pass the files of that period or report on a period they cover"
            )

    def describe(self) -> str:
        """A one-line summary: ``31 Parquet files, 2024-03-01..2024-03-31 (+1 intraday)``."""
        daily = [f for f in self.files if not f.intraday]
        intraday = [f for f in self.files if f.intraday]
        if not daily:
            return _summary(intraday, " intraday")
        text = _summary(daily, "")
        if intraday:
            text += f" (+{len(intraday)} intraday)"
        return text


# ---------------------------------------------------------------------------------------------
# Finding files


def _format_of(path: Path) -> Format | None:
    name = path.name.lower()
    if name.endswith(".parquet.gz"):
        raise ExportFilesError(
            f"{path}: gzipped Parquet cannot be read in place: gunzip it "
            "(Parquet compresses its columns itself: bq extract --compression SNAPPY)"
        )
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, fmt in SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None


def _stem(path: Path) -> str:
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return name.rsplit(".", 1)[0] if "." in name else name


def _day_of(path: Path) -> tuple[date | None, bool]:
    """The day a file holds and whether it is an intraday table, from its name, else its folders.

    The innermost name that says a day wins (a file ``events_20240301-000000000000.parquet``, a
    folder ``events_20240301/``, ``event_date=2024-03-01/`` or ``table=events_20240301/``).
    """
    for name in (_stem(path), *(p.name for p in path.parents)):
        table = _TABLE.fullmatch(name)
        if table and (day := _parse(table[2])):
            return day, bool(table[1])
        partition = _PARTITION.fullmatch(name)
        if partition and (day := _parse(partition[1])):
            # `table=events_intraday_.../event_date=.../`: the table folder says intraday
            intraday = any((t := _TABLE.fullmatch(p.name)) and t[1] for p in path.parents)
            return day, bool(intraday)
    return None, False


def _expand(text: str) -> list[Path]:
    """The export files a path, a folder or a glob stands for (or a clear error)."""
    if any(ch in text for ch in "*?[") and not os.path.exists(text):
        matches = sorted(globbing.glob(text, recursive=True))
        if not matches:
            raise ExportFilesError(
                f"{text}: the glob matches nothing: check the pattern and the folder it starts from"
            )
        files: list[Path] = []
        for match in map(Path, matches):
            if match.is_dir():
                files.extend(_scan(match))
            elif _format_of(match):
                files.append(match)
        if not files:
            raise ExportFilesError(f"{text}: the glob matches {len(matches)} path(s) but no export file: {_EXPECTED}")
        return files
    path = Path(text)
    if path.is_dir():
        files = _scan(path)
        if not files:
            raise ExportFilesError(f"{path}: the folder holds no export file: {_EXPECTED}")
        return files
    if path.is_file():
        if _format_of(path) is None:
            raise ExportFilesError(f"{path}: not an export file: {_EXPECTED}")
        return [path]
    raise ExportFilesError(f"{path}: no such file or folder: check the path")


def _scan(folder: Path) -> list[Path]:
    """Export files below ``folder``, skipping hidden and ``_``-prefixed entries (``_SUCCESS``, ``.crc``)."""
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(names):
            if not name.startswith((".", "_")) and _format_of(Path(root, name)):
                files.append(Path(root, name))
    return files


def _order(file: ExportFile) -> tuple[date, bool, str]:
    return (file.day or date.max, file.intraday, str(file.path))


# ---------------------------------------------------------------------------------------------
# SQL


def _rows_sql(files: Sequence[ExportFile]) -> str:
    """SELECT of every export column, typed, from ``files`` (no filter)."""
    parts = []
    parquet = [f for f in files if f.format == "parquet"]
    json_files = [f for f in files if f.format == "json"]
    if parquet:
        parts.append(_parquet_sql(parquet))
    if json_files:
        parts.append(_json_sql(json_files))
    if not parts:  # no file: no rows, the same columns
        parts.append("SELECT " + ", ".join(f"CAST(NULL AS {sql_type(t)}) AS {n}" for n, t in COLUMNS.items()) + " WHERE false")
    return " UNION ALL ".join(parts)


def _file_list(files: Iterable[ExportFile]) -> str:
    return "[" + ", ".join(quote_literal(_sql_path(f)) for f in files) + "]"


def _sql_path(file: ExportFile) -> str:
    return os.path.abspath(file.path)


def _file_day_sql(files: Sequence[ExportFile], column: str) -> str | None:
    """CASE mapping the ``filename`` column to the day of the file (None when no file has a known day)."""
    known = [f for f in files if f.day is not None]
    if not known:
        return None
    whens = " ".join(f"WHEN {quote_literal(_sql_path(f))} THEN '{_yyyymmdd(f.day)}'" for f in known if f.day)
    return f"CASE {column} {whens} END"


def _parquet_sql(files: Sequence[ExportFile]) -> str:
    """The typed rows of Parquet files: one scan of the files that carry ``event_date``, one of those that do not.

    Files that carry ``event_date`` as a string (as exports do) expose it as stored, so a filter
    on it reaches the Parquet scan (row groups outside the period are skipped). Files without it
    (hive partitions written with the partition column left out) take the day of the file
    through a join of the file name with a table of the files' days: a hash join costs about
    what hive partition columns cost, where a CASE over the file names per row cost 3-4 times
    the scan, a UNION ALL of one scan per day twice the scan, and a COALESCE with the
    timestamp's date 1.5 times (92 daily files, 2.1M rows).
    """
    union = _parquet_union(None, files)
    carrying = [f for f in files if "event_date" in union.columns(f)]
    lacking = [f for f in files if "event_date" not in union.columns(f)]
    branches = []
    if carrying:
        branches.append(_parquet_scan(carrying, union, stored=union.types.get("event_date") == "VARCHAR"))
    # Without event_date: the day of the file (one scan), else the UTC date of the timestamp (another).
    dated = [f for f in lacking if f.day is not None]
    if dated:
        branches.append(_parquet_scan(dated, union, stored=False))
    if len(dated) < len(lacking):
        branches.append(_parquet_scan([f for f in lacking if f.day is None], union, stored=False))
    return " UNION ALL ".join(branches)


def _parquet_scan(files: Sequence[ExportFile], union: _ParquetUnion, *, stored: bool) -> str:
    """SELECT of the typed export columns from one ``read_parquet`` of ``files``.

    ``stored``: ``event_date`` as stored; else the day of the file when no file has the column
    and every file's day is known; else the normalisation rule (the stored value made
    ``YYYYMMDD``, else the UTC date of ``event_timestamp``).
    """
    present = frozenset().union(*(union.columns(f) for f in files))
    # Files without event_date, all of known day: the day of the file, joined by file name.
    join = not stored and "event_date" not in present and all(f.day is not None for f in files)
    items = []
    for name, t in COLUMNS.items():
        value = f"p.{_identifier(name)}" if name in present else "NULL"
        if name == "event_date" and join:
            value = "d.day"
        elif name == "event_date" and not stored:
            timestamp = "p.event_timestamp" if "event_timestamp" in present else "NULL"
            value = event_date_sql(value, timestamp)
        items.append(f"CAST({value} AS {sql_type(t)}) AS {name}")
    # Files of different export vintages are read together by column name.
    options = ("" if union.uniform(files) else "union_by_name = true, ") + "hive_partitioning = false"
    options += ", filename = true" if join else ""
    sql = f"SELECT {', '.join(items)} FROM read_parquet({_file_list(files)}, {options}) AS p"
    if join:
        rows = ", ".join(f"({quote_literal(_sql_path(f))}, '{_yyyymmdd(f.day)}')" for f in files if f.day)
        sql += f" JOIN (VALUES {rows}) AS d(filename, day) ON p.filename = d.filename"
    return sql


def _json_sql(files: Sequence[ExportFile]) -> str:
    source = (
        f"(SELECT json AS j, filename FROM read_json_objects({_file_list(files)}, "
        "format = 'newline_delimited', filename = true, hive_partitioning = false))"
    )
    return json_rows_sql(source, order_column=None, date_fallback=_file_day_sql(files, "filename"))


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# Parquet schemas (metadata only)


@dataclass(frozen=True)
class _FileSchema:
    columns: frozenset[str]  # the top-level column names
    signature: tuple[tuple[object, ...], ...]  # the whole schema below the root, to compare files


@dataclass(frozen=True)
class _ParquetUnion:
    types: dict[str, str]  # column -> DuckDB type of reading all the files together
    schemas: dict[Path, _FileSchema]

    def columns(self, file: ExportFile) -> frozenset[str]:
        return self.schemas[file.path].columns

    def uniform(self, files: Iterable[ExportFile]) -> bool:
        """Whether the files have one schema (then read without ``union_by_name``, which costs ~1.7x the scan)."""
        return len({self.schemas[f.path].signature for f in files}) <= 1


_cache: dict[tuple[tuple[str, int, int], ...], _ParquetUnion] = {}
_private: duckdb.DuckDBPyConnection | None = None
_lock = threading.Lock()


def _parquet_union(
    con: duckdb.DuckDBPyConnection | None,
    files: Sequence[ExportFile],
    schemas: dict[Path, _FileSchema] | None = None,
) -> _ParquetUnion:
    """The unified schema of Parquet files (footers only), cached while the files are unchanged.

    ``con=None`` reads with a private in-memory connection (``relation_sql`` has none).
    """
    global _private
    key = tuple(_stamp(f) for f in files)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        if con is None:
            if _private is None:
                _private = duckdb.connect()
            con = _private
        if schemas is None:
            schemas = _parquet_schemas(con, files)
        by_name = "" if len({s.signature for s in schemas.values()}) <= 1 else "union_by_name = true, "
        try:
            described = con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({_file_list(files)}, {by_name}hive_partitioning = false)"
            ).fetchall()
        except duckdb.Error as exc:
            raise ExportFilesError(
                f"{_where(files)}: the files' columns cannot be read together ({_first_line(exc)}): "
                "pass files of one GA4 export"
            ) from exc
        union = _ParquetUnion({row[0]: row[1] for row in described}, schemas)
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = union
        return union


def _stamp(file: ExportFile) -> tuple[str, int, int]:
    try:
        stat = file.path.stat()
    except OSError:
        return (_sql_path(file), -1, -1)
    return (_sql_path(file), stat.st_mtime_ns, stat.st_size)


def _parquet_schemas(con: duckdb.DuckDBPyConnection, files: Sequence[ExportFile]) -> dict[Path, _FileSchema]:
    """Each file's schema, from the Parquet footers."""
    for file in files:
        _check_exists(file)
    try:
        rows = con.execute(
            "SELECT file_name, name, num_children, type, repetition_type, converted_type, logical_type "
            f"FROM parquet_schema({_file_list(files)})"
        ).fetchall()
    except duckdb.Error as exc:
        for file in files:  # name the file that fails
            try:
                con.execute(f"SELECT count(*) FROM parquet_schema({quote_literal(_sql_path(file))})").fetchall()
            except duckdb.Error as single:
                raise ExportFilesError(
                    f"{file.path}: cannot read it as Parquet ({_first_line(single)}): "
                    "re-export it or leave it out"
                ) from single
        raise ExportFilesError(f"{_where(files)}: cannot read the Parquet files: {_first_line(exc)}") from exc
    by_file: dict[str, list[tuple[object, ...]]] = {}
    for file_name, name, children, *kind in rows:
        by_file.setdefault(file_name, []).append((name, children or 0, *map(str, kind)))
    schemas = {}
    for file in files:
        schema = by_file.get(_sql_path(file), [])
        schemas[file.path] = _FileSchema(_top_level([(str(r[0]), int(str(r[1]))) for r in schema]), tuple(schema[1:]))
    return schemas


def _top_level(schema: list[tuple[str, int]]) -> frozenset[str]:
    """The root's children in a Parquet schema listed depth first as (name, number of children)."""
    if not schema:
        return frozenset()

    def skip(i: int) -> int:  # the index after the subtree at i
        j = i + 1
        for _ in range(schema[i][1]):
            j = skip(j)
        return j

    names = []
    i = 1
    for _ in range(schema[0][1]):
        names.append(schema[i][0])
        i = skip(i)
    return frozenset(names)


# ---------------------------------------------------------------------------------------------
# Checks


def _check_exists(file: ExportFile) -> None:
    try:
        size = file.path.stat().st_size
    except OSError:
        raise ExportFilesError(f"{file.path}: no such file (it was there when the files were listed): check the path") from None
    if size == 0:
        raise ExportFilesError(f"{file.path}: the file is empty (0 bytes): export the table again or leave the file out")


def _json_keys(con: duckdb.DuckDBPyConnection, file: ExportFile, lines: int = 100) -> frozenset[str]:
    """The fields of the first ``lines`` rows of a JSON-lines file."""
    try:
        row = con.execute(
            "SELECT flatten(list(CASE WHEN json_type(json) = 'OBJECT' THEN json_keys(json) ELSE [] END)) FROM "
            f"(SELECT json FROM read_json_objects({quote_literal(_sql_path(file))}, format = 'newline_delimited') LIMIT {lines})"
        ).fetchone()
    except duckdb.Error as exc:
        raise ExportFilesError(
            f"{file.path}: cannot read it as JSON lines ({_first_line(exc)}): "
            "export with --destination_format NEWLINE_DELIMITED_JSON or leave the file out"
        ) from exc
    return frozenset(row[0] or []) if row else frozenset()


def _check_shapes(files: Sequence[ExportFile], union: _ParquetUnion) -> None:
    """A record where the export has a record, a list where it has a list (other casts are safe)."""
    for name, expected in COLUMNS.items():
        actual = union.types.get(name)
        if actual is None:
            continue
        shape = "a list" if actual.endswith("]") else "a record" if actual.startswith("STRUCT") else "a value"
        wanted = "a list" if isinstance(expected, list) else "a record" if isinstance(expected, dict) else "a value"
        if shape != wanted:
            raise ExportFilesError(
                f"{_where(files)}: column {name} is {shape} ({actual}) where "
                f"GA4 exports have {wanted}: the files must be GA4 BigQuery export rows, e.g. from "
                "`bq extract --destination_format PARQUET`"
            )


def _check_required(file: ExportFile, columns: frozenset[str], what: str) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ExportFilesError(
            f"{file.path}: not GA4 export rows: no {', '.join(missing)} {what}; the files must be GA4 BigQuery "
            "export rows (the events_YYYYMMDD tables), e.g. from `bq extract --destination_format PARQUET`"
        )


# ---------------------------------------------------------------------------------------------
# Days and text


def _parse(text: str) -> date | None:
    digits = text.replace("-", "")
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _yyyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ExportFilesError(f"the period {start}..{end} ends before it starts: swap the dates")


def _known_days(files: Iterable[ExportFile]) -> list[date]:
    return sorted({f.day for f in files if f.day is not None})


def _days_text(days: Sequence[date], *, span: bool = False, most: int = 3) -> str:
    """``2024-03-01..2024-03-10, 2024-03-12``; ``span``: the first to the last day."""
    if not days:
        return "no known day"
    if span:
        first, last = min(days), max(days)
        return f"{first}" if first == last else f"{first}..{last}"
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    if len(runs) > most:
        return f"{runs[0][0]}..{runs[-1][1]} ({len(set(days))} days, with gaps)"
    return ", ".join(f"{a}" if a == b else f"{a}..{b}" for a, b in runs)


def _summary(files: Sequence[ExportFile], kind: str) -> str:
    counts = []
    for fmt, label in (("parquet", "Parquet"), ("json", "JSON-lines")):
        n = sum(1 for f in files if f.format == fmt)
        if n:
            counts.append(f"{n} {label}{kind} file{'s' if n != 1 else ''}")
    text = " and ".join(counts)
    days = _known_days(files)
    if days:
        text += f", {_days_text(days)}"
    unknown = sum(1 for f in files if f.day is None)
    if unknown:
        text += f", {unknown} of unknown day" if days else ", days unknown (read from the rows)"
    return text


def _where(files: Sequence[ExportFile]) -> str:
    if not files:
        return "the export files"
    if len(files) == 1:
        return str(files[0].path)
    common = os.path.commonpath([os.path.abspath(f.path) for f in files])
    return f"{len(files)} files in {common}"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
