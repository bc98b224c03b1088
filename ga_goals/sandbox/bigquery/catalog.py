"""Which tables the local export dataset has, and their BigQuery schema.

The events live in one DuckDB ``events`` table (``ga_goals.events.schema``). The dataset shows
them the way a GA4 export does: one daily table ``events_YYYYMMDD`` per ``event_date``, and an
intraday table ``events_intraday_YYYYMMDD`` for the days marked intraday. A day can be daily
only (the default), intraday only (``intraday_only``: today's data, not exported yet), or both
(``intraday_also``: the short time when GA4 has written the daily table and not yet deleted the
intraday one). A table's rows are the events of its day, whatever kind it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ga_goals.events.schema import COLUMNS, Type

DAILY_PREFIX = "events_"
INTRADAY_PREFIX = "events_intraday_"

_DAY = re.compile(r"^\d{8}$")


@dataclass(frozen=True, order=True)
class TableName:
    """One table of the dataset: its name and the ``event_date`` whose events it holds."""

    name: str
    day: str

    @property
    def intraday(self) -> bool:
        return self.name.startswith(INTRADAY_PREFIX)


@dataclass
class Catalog:
    """The dataset ``project.dataset`` over a DuckDB connection with an ``events`` table.

    ``intraday_only`` / ``intraday_also``: days (``YYYYMMDD``) shown as an intraday table instead
    of, or as well as, their daily table. Change them between queries to simulate the export.
    """

    connection: duckdb.DuckDBPyConnection
    project: str
    dataset: str
    location: str = "US"
    intraday_only: set[str] = field(default_factory=set)
    intraday_also: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for day in (*self.intraday_only, *self.intraday_also):
            if not _DAY.match(day):
                raise ValueError(f"an intraday day is written YYYYMMDD, not {day!r}")

    def days(self) -> list[str]:
        """The distinct ``event_date`` values of the events, sorted."""
        cur = self.connection.cursor()
        try:
            rows = cur.execute(
                "SELECT DISTINCT event_date FROM events WHERE event_date IS NOT NULL ORDER BY 1"
            ).fetchall()
        finally:
            cur.close()
        return [r[0] for r in rows]

    def tables(self) -> list[TableName]:
        """Every table of the dataset, sorted by name (as ``tables.list`` returns them)."""
        out: list[TableName] = []
        for day in self.days():
            if day not in self.intraday_only:
                out.append(TableName(DAILY_PREFIX + day, day))
            if day in self.intraday_only or day in self.intraday_also:
                out.append(TableName(INTRADAY_PREFIX + day, day))
        return sorted(out)

    def table(self, name: str) -> TableName | None:
        return next((t for t in self.tables() if t.name == name), None)

    def matching(self, prefix: str) -> list[tuple[TableName, str]]:
        """The tables a wildcard ``prefix*`` reads, each with its ``_TABLE_SUFFIX``.

        As in BigQuery, ``events_*`` matches the intraday tables too (suffix ``intraday_YYYYMMDD``).
        """
        return [(t, t.name[len(prefix) :]) for t in self.tables() if t.name.startswith(prefix)]

    def row_count(self, day: str) -> int:
        cur = self.connection.cursor()
        try:
            return int(cur.execute("SELECT count(*) FROM events WHERE event_date = ?", [day]).fetchone()[0])  # type: ignore[index]
        finally:
            cur.close()


def field_schema(name: str, t: Type) -> dict[str, Any]:
    """The REST ``TableFieldSchema`` of an export column."""
    if isinstance(t, list):
        inner = field_schema(name, t[0])
        inner["mode"] = "REPEATED"
        return inner
    if isinstance(t, dict):
        return {
            "name": name,
            "type": "RECORD",
            "mode": "NULLABLE",
            "fields": [field_schema(sub, st) for sub, st in t.items()],
        }
    kind = {"VARCHAR": "STRING", "BIGINT": "INTEGER", "DOUBLE": "FLOAT", "BOOLEAN": "BOOLEAN"}[t]
    return {"name": name, "type": kind, "mode": "NULLABLE"}


def table_schema() -> dict[str, Any]:
    """The REST schema of every table of the export dataset."""
    return {"fields": [field_schema(name, t) for name, t in COLUMNS.items()]}
