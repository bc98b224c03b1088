"""GA4 events in the BigQuery export schema, stored in DuckDB.

The public API (everything else is internal):

``EventStore(path=None)``
    A DuckDB database (a file, or memory) with one ``events`` table in the export schema.
    ``load_jsonl(path)`` and ``load_parquet(path)`` load real export files, ``insert(rows)``
    export-shaped dicts; each returns a :class:`LoadResult` (``read``, ``inserted``,
    ``duplicates``). Loading is idempotent: an event whose identity (user, timestamp, name,
    parameters, items, bundle and batch numbers) is already stored is skipped. ``count()``,
    ``user_count()``, ``dates()``, ``date_range()``, ``event_counts()``, ``clear()``;
    ``connection`` for queries.

``ExportFiles.resolve(paths)``
    GA4 export files (Parquet, JSON lines, gzipped JSON lines; daily, sharded, hive-partitioned
    and intraday layouts) read in place: ``relation_sql(start, end)`` is one DuckDB relation of
    the period's events in the export schema, ``for_period`` the files it reads,
    ``days_without_files`` the period's days no file is named for, ``check(con, start, end)``
    raises :class:`ExportFilesError` (one line, the path and the fix) for files a report cannot
    use, ``describe()`` a one-line summary. See ``docs/export-files.md``.

``generate(store, start, end, *, users=5000, seed=1) -> GenerationResult``
    Adds deterministic, realistic online-shop traffic (sessions over weeks, devices, channels
    and campaigns, the journey from the home page to the order with drop-off at each stage,
    micro conversions, ecommerce items) to a store.

``EVENTS_DDL``, ``COLUMNS``
    The table's DDL and its columns with their types.

``param(name, kind="text", *, dialect="duckdb")``
    SQL reading an event parameter (``text``, ``number``, ``string``, ``int``, ``double`` or
    the ``value`` struct), for DuckDB or BigQuery; ``param_value`` converts a value struct.

``EventLoadError``, ``ExportFilesError``
    Raised (a :class:`ga_goals.errors.GaGoalsError`) for files that cannot become events.
"""

from typing import TYPE_CHECKING, Any

from ga_goals.events.schema import COLUMNS, EVENTS_DDL, param, param_value

# The store, the files and the generator load DuckDB: they are imported on first use, so that a
# module needing only the schema (the SQL dialects, validating a plan) starts without it.
_LAZY = {
    "ExportFile": "files",
    "ExportFiles": "files",
    "ExportFilesError": "files",
    "GenerationResult": "generator",
    "generate": "generator",
    "EventLoadError": "store",
    "EventStore": "store",
    "LoadResult": "store",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"ga_goals.events.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from ga_goals.events.files import ExportFile, ExportFiles, ExportFilesError
    from ga_goals.events.generator import GenerationResult, generate
    from ga_goals.events.store import EventLoadError, EventStore, LoadResult

__all__ = [
    "COLUMNS",
    "EVENTS_DDL",
    "EventLoadError",
    "EventStore",
    "ExportFile",
    "ExportFiles",
    "ExportFilesError",
    "GenerationResult",
    "LoadResult",
    "generate",
    "param",
    "param_value",
]
