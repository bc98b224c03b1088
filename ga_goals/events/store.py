"""A DuckDB database of GA4 events in the BigQuery export schema.

``EventStore(path)`` opens (and creates) a DuckDB file, or an in-memory database with
``EventStore()`` / ``EventStore(":memory:")``, holding one ``events`` table
(:data:`ga_goals.events.schema.EVENTS_DDL`). Events come in from real export files
(:meth:`EventStore.load_jsonl`, :meth:`EventStore.load_parquet`), from Python dicts
(:meth:`EventStore.insert`) and from the traffic generator (``ga_goals.events.generator``).

Loading is idempotent. Every event is stored with ``_row_hash``, the MD5 of its identity
(``ga_goals.events.schema.IDENTITY``: user, timestamp, name, parameters, items, bundle and batch
numbers, once normalised to the table's types), and an event whose hash is already stored is
skipped: loading the same file twice, two files that overlap (a daily table and an intraday
table), or the same events from JSON lines and from Parquet, stores each event once, and
:class:`LoadResult` says how many rows were new and how many were duplicates. Duplicates inside
one file are stored once too (GA4 exports occasionally carry them; no analysis wants them
twice). Context fields (device, geo, traffic source, ``user_ltv``...) are not part of the
identity: an event exported again after GA4 updated ``user_ltv`` is the same event, and the copy
stored first is kept.

How input is read (the same for every source, and for export files read in place:
``ga_goals.events.normalise`` owns these rules):

* field names are the export's; unknown fields (such as ``_source`` in the sample file) are
  dropped, missing ones are NULL;
* values are converted to the column types: numbers written as strings (BigQuery's JSON export
  writes INT64 as strings) or as floats (``1607484300839189.0``) become integers, numbers become
  strings where the column is a string (``stream_id``);
* a record or list that is not an object or array (the sample carries ``"ecommerce": "null"``,
  a string) is NULL;
* ``event_date`` missing: the UTC date of ``event_timestamp``;
* a row without ``event_name`` or ``event_timestamp`` is an error (:class:`EventLoadError`, with
  the line numbers), and nothing of that load is stored.

A load runs in one transaction: it is stored whole or not at all. DuckDB lets one process open a
database file for writing; the sandbox keeps one store per state folder and opens it in one place.
A DuckDB connection serves one thread at a time: threads (a gRPC server's) each take
:meth:`EventStore.cursor`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ga_goals.errors import GaGoalsError
from ga_goals.events.normalise import json_rows_sql
from ga_goals.events.schema import COLUMNS, EVENTS_DDL, ROW_HASH, row_hash_sql, sql_type

TABLE = "events"


class EventLoadError(GaGoalsError):
    """Input that cannot become events: a missing or unreadable file, rows without required fields."""


@dataclass(frozen=True)
class LoadResult:
    """What one load did: rows read from the source, rows stored, rows already stored (or repeated)."""

    read: int
    inserted: int

    @property
    def duplicates(self) -> int:
        return self.read - self.inserted


class EventStore:
    """GA4 export-shaped events in DuckDB (a file, or memory).

    >>> store = EventStore()                    # in memory
    >>> store.load_jsonl("export.jsonl")        # doctest: +SKIP
    LoadResult(read=700, inserted=700)
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> None:
        self.path = ":memory:" if path is None or str(path) == ":memory:" else str(Path(path))
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(self.path, read_only=read_only)
        if not read_only:
            self._con.execute(EVENTS_DDL)

    # -- connection --------------------------------------------------------------------------

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (for queries; writes should go through this class)."""
        return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Another connection to the same database, for one thread (close it when done)."""
        return self._con.cursor()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> EventStore:  # noqa: PYI034 (no typing_extensions.Self on 3.10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EventStore({self.path!r})"

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # -- loading -----------------------------------------------------------------------------

    def load_jsonl(self, path: str | os.PathLike[str]) -> LoadResult:
        """Load a JSON-lines file of export rows (one object a line; blank lines are skipped)."""
        file = _existing(path)
        source = (
            f"(SELECT row_number() OVER () AS n, json AS j FROM "
            f"read_json_objects({_literal(file)}, format = 'newline_delimited'))"
        )
        return self._load_json(source, what=str(file))

    def load_parquet(self, path: str | os.PathLike[str]) -> LoadResult:
        """Load a Parquet file (or a glob of them) of export rows, e.g. from ``bq extract --destination_format PARQUET``."""
        text = str(path)
        if not any(ch in text for ch in "*?["):
            _existing(path)
        source = f"(SELECT row_number() OVER () AS n, to_json(t) AS j FROM read_parquet({_literal(text)}) AS t)"
        return self._load_json(source, what=text)

    def insert(self, rows: Iterable[Mapping[str, Any]]) -> LoadResult:
        """Insert export-shaped dicts (as ``json.loads`` of an export line gives them)."""
        lines = [json.dumps(row, default=_json_default) for row in rows]
        if not lines:
            return LoadResult(0, 0)
        source = "(SELECT row_number() OVER () AS n, CAST(s AS JSON) AS j FROM (SELECT unnest($lines) AS s))"
        return self._load_json(source, what="rows", parameters={"lines": lines})

    def insert_select(
        self, select_sql: str, parameters: Mapping[str, Any] | None = None, *, unique: bool = False
    ) -> LoadResult:
        """Insert the rows of a SELECT that yields the export columns by name (``_row_hash`` is computed here).

        ``unique=True`` promises that the SELECT yields no two rows with the same identity, which
        skips the search for duplicates inside the batch (rows already stored are skipped either way).
        """
        typed = ", ".join(f"CAST({name} AS {sql_type(t)}) AS {name}" for name, t in COLUMNS.items())
        with self._transaction() as con:
            return self._insert(con, f"SELECT {typed} FROM ({select_sql}) AS source", parameters, unique=unique)

    def _load_json(self, source: str, *, what: str, parameters: Mapping[str, Any] | None = None) -> LoadResult:
        normalised = json_rows_sql(source)
        with self._transaction() as con:
            try:
                result = self._insert(con, normalised, parameters, unique=False, count_sql=source)
                missing = _scalar(
                    con, f"SELECT count(*) FROM {TABLE} WHERE event_name IS NULL OR event_timestamp IS NULL"
                )
            except duckdb.Error as exc:
                raise EventLoadError(f"{what}: cannot read it as GA4 export rows: {exc}") from exc
            if missing:
                bad = con.execute(
                    f"SELECT n, event_name IS NULL FROM ({normalised}) "
                    "WHERE event_name IS NULL OR event_timestamp IS NULL ORDER BY n LIMIT 5",
                    dict(parameters or {}),
                ).fetchall()
                where = ", ".join(
                    f"row {n} (no {'event_name' if no_name else 'event_timestamp'})" for n, no_name in bad
                )
                more = f" and {missing - len(bad)} more" if missing > len(bad) else ""
                raise EventLoadError(
                    f"{what}: {missing} row(s) lack event_name or event_timestamp, which every GA4 event has: "
                    f"{where}{more}. Nothing was loaded."
                )
            return result

    def _insert(
        self,
        con: duckdb.DuckDBPyConnection,
        select_sql: str,
        parameters: Mapping[str, Any] | None,
        *,
        unique: bool,
        count_sql: str | None = None,
    ) -> LoadResult:
        """INSERT the rows of ``select_sql`` (typed export columns) whose identity is not stored yet.

        ``count_sql``: a cheaper relation with as many rows as ``select_sql`` (the raw source).
        """
        names = ", ".join(COLUMNS)
        before = _scalar(con, f"SELECT count(*) FROM {TABLE}")
        read = _scalar(con, f"SELECT count(*) FROM ({count_sql or select_sql}) AS source", parameters)
        con.execute(
            f"""
            INSERT INTO {TABLE} ({names}, {ROW_HASH})
            SELECT {names}, {ROW_HASH} FROM (
                SELECT {names}, {row_hash_sql()} AS {ROW_HASH} FROM ({select_sql}) AS typed
            ) AS incoming
            WHERE NOT EXISTS (SELECT 1 FROM {TABLE} AS e WHERE e.{ROW_HASH} = incoming.{ROW_HASH})
            """,
            dict(parameters or {}),
        )
        added = _scalar(con, f"SELECT count(*) FROM {TABLE}") - before
        if not unique and added:
            # Rows repeated inside this batch: keep the first of each.
            removed = _scalar(
                con,
                f"""
                DELETE FROM {TABLE} WHERE rowid IN (
                    SELECT rowid FROM (
                        SELECT rowid, row_number() OVER (PARTITION BY {ROW_HASH} ORDER BY rowid) AS k
                        FROM {TABLE}
                        WHERE {ROW_HASH} IN (SELECT {ROW_HASH} FROM {TABLE} GROUP BY 1 HAVING count(*) > 1)
                    ) WHERE k > 1
                )
                """,
            )
            added -= removed
        return LoadResult(read=read, inserted=added)

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        """Number of events stored."""
        return _scalar(self._con, f"SELECT count(*) FROM {TABLE}")

    def user_count(self) -> int:
        """Number of distinct ``user_pseudo_id`` values."""
        return _scalar(self._con, f"SELECT count(DISTINCT user_pseudo_id) FROM {TABLE}")

    def dates(self) -> list[date]:
        """The distinct ``event_date`` values, in order."""
        rows = self._con.execute(f"SELECT DISTINCT event_date FROM {TABLE} ORDER BY 1").fetchall()
        return [_parse_date(r[0]) for r in rows]

    def date_range(self) -> tuple[date, date] | None:
        """The first and last ``event_date`` stored, or None when the store is empty."""
        row = self._con.execute(f"SELECT min(event_date), max(event_date) FROM {TABLE}").fetchone()
        low, high = row if row else (None, None)
        if low is None:
            return None
        return _parse_date(low), _parse_date(high)

    def event_counts(self) -> dict[str, int]:
        """Events per event name (most frequent first)."""
        rows = self._con.execute(f"SELECT event_name, count(*) FROM {TABLE} GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        return dict(rows)

    def clear(self) -> int:
        """Delete every event; returns how many there were."""
        with self._transaction() as con:
            n = _scalar(con, f"SELECT count(*) FROM {TABLE}")
            con.execute(f"DELETE FROM {TABLE}")
        return n


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
    row = con.execute(sql, dict(parameters or {})).fetchone()
    return None if row is None else row[0]


def _existing(path: str | os.PathLike[str]) -> Path:
    file = Path(path)
    if not file.is_file():
        raise EventLoadError(f"{file}: no such file")
    return file


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _parse_date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot store a {type(value).__name__} in an event row")
