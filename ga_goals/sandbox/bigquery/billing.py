"""Bytes a query processes and is billed for, the way BigQuery counts them (on-demand pricing).

BigQuery bills a query by the logical size of the columns it reads in the tables it reads.
The rule implemented here:

* **Tables**: the tables left after ``_TABLE_SUFFIX`` pruning (``ga_goals.sandbox.bigquery.translate``).
* **Columns**: every top-level export column the query names anywhere (``event_name``,
  ``t.device.category``, ``UNNEST(t.event_params)``) counts **whole**: a reference to any field
  of a RECORD or ARRAY column bills the entire column. (Real BigQuery can bill only the leaf
  fields of a non-repeated RECORD; counting the whole column is an upper bound.) ``SELECT *``,
  ``t.*`` and a whole-row reference (``TO_JSON_STRING(t)``) read every column. Names are matched
  across the whole query, not scope by scope: an output alias spelled like an export column
  counts that column.
* **Sizes** (Google's "Data type sizes" table): INT64 and FLOAT64 8 bytes, BOOL 1, STRING
  2 + its UTF-8 bytes, a STRUCT the sum of its fields, an ARRAY the sum of its elements, NULL 0.
* **Billed**: processed bytes rounded up to a whole MiB, at least 10 MiB per query
  (:func:`ga_goals.bigquery.cost.billed_bytes`, the rule the runner's cap uses too).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import duckdb

from ga_goals.bigquery.cost import MIN_BILLED_BYTES as MIN_BILLED
from ga_goals.bigquery.cost import billed_bytes as bytes_billed
from ga_goals.events.schema import COLUMNS, Type, lambda_sql

_FIXED = {"BIGINT": 8, "DOUBLE": 8, "BOOLEAN": 1}


def size_sql(expr: str, t: Type, depth: int = 0) -> str:
    """SQL computing the logical BigQuery size in bytes of ``expr`` of export type ``t`` (NULL: 0)."""
    if isinstance(t, str):
        if t == "VARCHAR":
            return f"COALESCE(2 + strlen({expr}), 0)"
        return f"(CASE WHEN {expr} IS NULL THEN 0 ELSE {_FIXED[t]} END)"
    if isinstance(t, list):
        var = f"e{depth}"
        inner = size_sql(var, t[0], depth + 1)
        return f"COALESCE(list_sum(list_transform({expr}, {lambda_sql(var, inner)})), 0)"
    parts = [size_sql(f"({expr}).{name}", sub, depth) for name, sub in t.items()]
    return f"(CASE WHEN {expr} IS NULL THEN 0 ELSE {' + '.join(parts)} END)"


class ColumnSizes:
    """Bytes of each export column in each day's table, computed from the events (cached until they change)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._sizes: dict[str, dict[str, int]] = {}

    def sizes(self) -> dict[str, dict[str, int]]:
        """``{event_date: {column: bytes}}``."""
        with self._lock:
            return self._compute()

    def _compute(self) -> dict[str, dict[str, int]]:
        cur = self._connection.cursor()
        try:
            # The row count and the largest row hash tell whether events were added or removed.
            key_row = cur.execute("SELECT count(*), COALESCE(max(_row_hash), '') FROM events").fetchone()
            key = (int(key_row[0]), str(key_row[1])) if key_row else (0, "")
            if key != self._key:
                sums = ", ".join(f"SUM({size_sql(name, t)})::BIGINT" for name, t in COLUMNS.items())
                rows = cur.execute(f"SELECT event_date, {sums} FROM events GROUP BY event_date").fetchall()
                self._sizes = {row[0]: dict(zip(COLUMNS, (int(v or 0) for v in row[1:]))) for row in rows}
                self._key = key
            return self._sizes
        finally:
            cur.close()

    def bytes_processed(self, days: Iterable[str], columns: Iterable[str]) -> int:
        """Bytes of ``columns`` over the tables of ``days`` (one entry per table read: a day read
        through its daily and its intraday table counts twice)."""
        sizes = self.sizes()
        wanted = list(columns)
        return sum(sizes.get(day, {}).get(c, 0) for day in days for c in wanted)


__all__ = ["MIN_BILLED", "ColumnSizes", "bytes_billed", "size_sql"]
