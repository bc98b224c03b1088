"""Reports from the GA4 BigQuery export: one source, two engines (DuckDB on files, BigQuery).

:class:`ExportSource` turns a :class:`~ga_goals.sources.base.ReportQuery` into SQL, per date
range: the totals (:func:`~ga_goals.sources.export_sql.totals_query`), one query per funnel
(:func:`ga_goals.funnels.sql.compile_funnel`) and the micro vs macro table
(:func:`~ga_goals.sources.export_sql.lift_query`) and, for ``ga-goals check``, every event name
with the parameters it carries (:func:`~ga_goals.sources.inventory_sql.inventory_query`), and
hands them to an :class:`SqlEngine`:

* :class:`DuckDBEngine`: in-process DuckDB over a relation of export rows: export files read in
  place (:class:`ga_goals.events.files.ExportFiles`, pruned to each date range) or a table;
* ``BigQueryEngine`` (:mod:`ga_goals.sources.bigquery_engine`): the export dataset, every plan
  value a query parameter, a dry run of every query first (the bytes, and a refusal above the
  cap before anything is billed), labels on the jobs.

The answers come back in the same types as the Data API's (:mod:`ga_goals.sources.results`), so
a report cannot tell its engines apart, and the tests hold the three to the same numbers.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from ga_goals.funnels.dialect import Dialect, DialectName, SqlQuery
from ga_goals.funnels.result import NextActions, step_metrics
from ga_goals.funnels.sql import compile_funnel, compile_next_actions, next_actions_from_rows, result_from_rows
from ga_goals.model import Funnel, Segment
from ga_goals.sources.base import (
    ReportAnswer,
    ReportQuery,
    SourceError,
    SourceUsage,
    lift_funnel,
    micro_funnel,
)
from ga_goals.sources.export_sql import lift_query, totals_query
from ga_goals.sources.inventory_sql import inventory_query
from ga_goals.sources.parameter_sql import parameter_check_query
from ga_goals.sources.results import (
    DateSpanLike,
    FunnelTable,
    LiftTables,
    ParameterRef,
    ParameterTable,
    PropertySettings,
    ParameterFault,
    ReportTable,
    SchemaFaults,
    StepValues,
)

if TYPE_CHECKING:
    import duckdb

    from ga_goals.model import TrackingPlan
    from ga_goals.sources.base import EngineOptions

#: Breakdown values kept per funnel when a funnel does not say (the Data API's default).
DEFAULT_BREAKDOWN_LIMIT = 100


class SqlEngine(Protocol):
    """Runs a report's queries over the export rows of a date range."""

    dialect: DialectName
    #: Where the rows come from: ``31 export files``, ``project.analytics_123``.
    description: str

    def relation(self, d: Dialect, start: date, end: date) -> tuple[str, str | None, dict[str, Any]]:
        """``(relation, date condition or None, compile options)`` for the rows of ``start..end``
        (the compile options go to :func:`~ga_goals.funnels.sql.compile_funnel`: ``table``,
        ``intraday``)."""
        ...

    def run(self, queries: Sequence[tuple[str, SqlQuery]]) -> list[list[tuple[Any, ...]]]:
        """Run named queries (all or nothing); rows of each, in order."""
        ...

    def usage(self) -> dict[str, Any]:
        """``bytes_processed`` / ``bytes_billed`` so far (None where the engine does not know)."""
        ...

    def close(self) -> None: ...


@dataclass
class ExportSource:
    """A :class:`~ga_goals.sources.base.ReportSource` over the GA4 export (DuckDB or BigQuery)."""

    sql: SqlEngine
    #: The property the export belongs to (shown in reports).
    property: str = "properties/export"
    time_zone: str = "UTC"
    currency: str = "USD"
    queries_run: int = field(default=0, init=False)

    @builtins.property  # the field `property` hides the builtin in this class
    def engine(self) -> str:
        return self.sql.dialect

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sql.close()

    def settings(self) -> PropertySettings:
        return PropertySettings(
            property=self.property, display_name=self.sql.description, time_zone=self.time_zone, currency=self.currency
        )

    # -- the report ----------------------------------------------------------------------------

    def fetch(self, query: ReportQuery) -> ReportAnswer:
        started = time.monotonic()
        before = self.sql.usage()
        named: list[tuple[str, SqlQuery]] = []
        readers: list[Callable[[list[tuple[Any, ...]]], None]] = []
        names = query.span_names
        event_rows: list[tuple[dict[str, str], dict[str, float]]] = []
        site_rows: list[tuple[dict[str, str], dict[str, float]]] = []
        funnels = {
            f.name: FunnelTable(
                step_names=tuple(s.name for s in f.steps),
                breakdown=f.breakdown,
                date_ranges=tuple(s.name for s in query.funnel_spans(f)),
                segments=tuple(s.label for s in f.segments),
            )
            for f in query.funnels
        }
        lift = None
        if query.macro is not None and query.micros:
            macro = query.macro

            def table(funnel: Funnel) -> FunnelTable:
                return FunnelTable(step_names=tuple(s.name for s in funnel.steps), date_ranges=tuple(names))

            lift = LiftTables(
                baseline=table(lift_funnel(macro)),
                micros={m: table(micro_funnel(m, macro)) for m in dict.fromkeys(query.micros)},
            )

        inventory = None
        if query.event_names or query.parameters:
            inventory = (ReportTable(dimensions=("eventName", "dateRange"), metrics=("eventCount", "totalUsers")), ParameterTable())

        for span in query.spans:
            # One Dialect per query: in BigQuery each collects the parameters of its own text.
            d = Dialect(self.sql.dialect)
            relation, dates, options = self.sql.relation(d, span.start, span.end)
            named.append((f"totals {span.name}", totals_query(d, relation, dates, query.events)))
            readers.append(_read_totals(span.name, event_rows, site_rows))
            for f in query.funnels:
                if span not in query.funnel_spans(f):
                    continue
                # A segmented funnel: one query per segment (rule 11), as the Data API has one row set per segment.
                for segment in f.segments or (None,):
                    label = "" if segment is None else f" segment {segment.name!r}"
                    named.append((f"funnel {f.name!r}{label} {span.name}", self._funnel_query(f, span, options, segment)))
                    readers.append(_read_funnel(f, span, funnels[f.name], segment))
            if lift is not None and query.macro is not None:
                d = Dialect(self.sql.dialect)
                relation, dates, _ = self.sql.relation(d, span.start, span.end)
                named.append((f"micro vs macro {span.name}", lift_query(d, relation, dates, query.macro, query.micros)))
                readers.append(_read_lift(span.name, query.micros, lift))
            if inventory is not None:
                d = Dialect(self.sql.dialect)
                relation, dates, _ = self.sql.relation(d, span.start, span.end)
                named.append((f"event names {span.name}", inventory_query(d, relation, dates, query.parameters)))
                readers.append(_read_inventory(span.name, query.parameters, *inventory))

        schema_faults = None
        if query.schemas:
            schema_faults = SchemaFaults()
            d = Dialect(self.sql.dialect)
            span = query.spans[0]
            relation, dates, _ = self.sql.relation(d, span.start, span.end)
            named.append((f"event schemas {span.name}", parameter_check_query(d, relation, dates, query.schemas)))
            readers.append(_read_schema_faults(schema_faults))

        next_actions: dict[str, NextActions] = {}
        for f, dimension, _limit in query.next_actions:
            d = Dialect(self.sql.dialect)
            span = query.spans[0]
            _, _, options = self.sql.relation(d, span.start, span.end)
            named.append(
                (
                    f"next actions {f.name!r} {span.name}",
                    compile_next_actions(f, span.start, span.end, dimension, dialect=self.sql.dialect, **options),
                )
            )
            readers.append(_read_next_actions(f, dimension, next_actions))

        results = self.sql.run(named)
        for read, rows in zip(readers, results):
            read(rows)
        self.queries_run += len(named)
        after = self.sql.usage()

        def delta(key: str) -> int | None:
            if after.get(key) is None:
                return None
            return int(after[key]) - int(before.get(key) or 0)

        usage = SourceUsage(
            engine=self.engine,
            description=self.sql.description,
            calls={"query": len(named)},
            bytes_processed=delta("bytes_processed"),
            bytes_billed=delta("bytes_billed"),
            seconds=time.monotonic() - started,
        )
        metrics = ("eventCount", "totalUsers", "eventValue")
        return ReportAnswer(
            events=ReportTable(dimensions=("eventName", "dateRange"), metrics=metrics, rows=event_rows) if query.events else None,
            site=ReportTable(dimensions=("dateRange",), metrics=("totalUsers", "sessions"), rows=site_rows),
            funnels=funnels,
            lift=lift,
            usage=usage,
            event_names=inventory[0] if inventory is not None and query.event_names else None,
            parameters=inventory[1] if inventory is not None and query.parameters else None,
            next_actions=next_actions,
            schema_faults=schema_faults,
        )

    def _funnel_query(
        self, funnel: Funnel, span: DateSpanLike, options: dict[str, Any], segment: Segment | None = None
    ) -> SqlQuery:
        compiled = compile_funnel(
            funnel, span.start, span.end, breakdown=funnel.breakdown, dialect=self.sql.dialect, segment=segment, **options
        )
        return compiled.query


def _read_totals(
    span: str, event_rows: list[tuple[dict[str, str], dict[str, float]]], site_rows: list[tuple[dict[str, str], dict[str, float]]]
) -> Callable[[list[tuple[Any, ...]]], None]:
    def read(rows: list[tuple[Any, ...]]) -> None:
        for ev, events, users, value, sessions in rows:
            if ev is None:
                site_rows.append(({"dateRange": span}, {"totalUsers": float(users or 0), "sessions": float(sessions or 0)}))
            elif ev:
                event_rows.append(
                    (
                        {"eventName": str(ev), "dateRange": span},
                        {"eventCount": float(events or 0), "totalUsers": float(users or 0), "eventValue": float(value or 0)},
                    )
                )

    return read


def _read_inventory(
    span: str, parameters: Sequence[ParameterRef], names: ReportTable, carried: ParameterTable
) -> Callable[[list[tuple[Any, ...]]], None]:
    """Rows of :func:`~ga_goals.sources.inventory_sql.inventory_query` into the event-name table
    and the parameter counts (summed over the event names)."""

    def read(rows: list[tuple[Any, ...]]) -> None:
        for parameter in parameters:
            carried.counts.setdefault((span, parameter), 0)
        for row in rows:
            if row[0] is None:
                continue
            names.rows.append(({"eventName": str(row[0]), "dateRange": span}, {"eventCount": float(row[1] or 0), "totalUsers": float(row[2] or 0)}))
            for k, parameter in enumerate(parameters):
                carried.counts[(span, parameter)] += int(row[3 + k] or 0)

    return read


def _read_schema_faults(out: SchemaFaults) -> Callable[[list[tuple[Any, ...]]], None]:
    """Rows of :func:`~ga_goals.sources.parameter_sql.parameter_check_query` into ``out``."""

    def read(rows: list[tuple[Any, ...]]) -> None:
        for event, scope, parameter, kind, events, first, last, example in sorted(rows, key=lambda r: tuple(map(str, r[:4]))):
            if kind == "events":
                out.totals[str(event)] = int(events)
                continue
            out.faults.append(
                ParameterFault(
                    event=str(event), parameter=str(parameter), item=scope == "item", kind=str(kind), events=int(events),
                    first_day=_day(first), last_day=_day(last), example=None if example is None else str(example),
                )
            )

    return read


def _day(text: str) -> date:
    """An export ``event_date`` (``YYYYMMDD``)."""
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _values(names: Sequence[str], users: Sequence[int], continued: Sequence[int] | None = None) -> list[StepValues]:
    return [
        StepValues(m.active_users, m.completion_rate, m.abandonments, m.abandonment_rate)
        for m in step_metrics(names, users, continued)
    ]


def _read_next_actions(
    funnel: Funnel, dimension: str, out: dict[str, NextActions]
) -> Callable[[list[tuple[Any, ...]]], None]:
    def read(rows: list[tuple[Any, ...]]) -> None:
        out[funnel.name] = next_actions_from_rows(funnel, dimension, rows)

    return read


def _read_funnel(
    funnel: Funnel, span: DateSpanLike, table: FunnelTable, segment: Segment | None = None
) -> Callable[[list[tuple[Any, ...]]], None]:
    label = None if segment is None else segment.label

    def read(rows: list[tuple[Any, ...]]) -> None:
        result = result_from_rows(
            funnel, span.start, span.end, funnel.breakdown, rows, limit=funnel.breakdown_limit or DEFAULT_BREAKDOWN_LIMIT
        )
        names = list(result.step_names)
        table.cells[(span.name, label, None)] = _values(names, result.total.users, result.total.continued)
        values = list(table.breakdown_values)
        for row in result.rows:
            table.cells[(span.name, label, row.breakdown)] = _values(names, row.users, row.continued)
            if row.breakdown not in values:
                values.append(str(row.breakdown))
        table.breakdown_values = tuple(values)

    return read


def _read_lift(span: str, micros: Sequence[str], lift: LiftTables) -> Callable[[list[tuple[Any, ...]]], None]:
    """Rows of :func:`~ga_goals.sources.export_sql.lift_query` into the baseline and micro tables."""

    def read(rows: list[tuple[Any, ...]]) -> None:
        row = rows[0] if rows else (0,) * (2 + 2 * len(micros))
        tables = [lift.baseline] + [lift.micros[m] for m in micros]
        for k, table in enumerate(tables):
            entered, converted = int(row[2 * k] or 0), int(row[2 * k + 1] or 0)
            table.cells[(span, None, None)] = _values(list(table.step_names), [entered, converted])

    return read


# ---------------------------------------------------------------------------------------------
# DuckDB


class DuckDBEngine:
    """DuckDB over a relation of export rows.

    ``relation_for(start, end)`` gives the relation of a date range (export files pruned to it,
    or a table name); queries run on ``connection`` (default: a new in-memory database).
    """

    dialect: DialectName = "duckdb"

    def __init__(
        self,
        relation_for: Callable[[date, date], str],
        description: str,
        connection: duckdb.DuckDBPyConnection | None = None,
        *,
        check: Callable[[duckdb.DuckDBPyConnection, date, date], None] | None = None,
    ) -> None:
        import duckdb

        self._relation_for = relation_for
        self.description = description
        self._own = connection is None
        self.connection = connection if connection is not None else duckdb.connect()
        self._check = check

    def relation(self, d: Dialect, start: date, end: date) -> tuple[str, str | None, dict[str, Any]]:
        if self._check is not None:
            self._check(self.connection, start, end)
        relation = self._relation_for(start, end)
        return relation, f"t.event_date BETWEEN '{start:%Y%m%d}' AND '{end:%Y%m%d}'", {"table": relation}

    def run(self, queries: Sequence[tuple[str, SqlQuery]]) -> list[list[tuple[Any, ...]]]:
        import duckdb

        out = []
        for name, query in queries:
            try:
                out.append(self.connection.execute(query.sql).fetchall())
            except duckdb.Error as exc:
                raise SourceError(f"{name}: DuckDB could not read {self.description}: {_first_line(exc)}") from exc
        return out

    def usage(self) -> dict[str, Any]:
        return {"bytes_processed": None, "bytes_billed": None}

    def close(self) -> None:
        if self._own:
            self.connection.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


@contextmanager
def open_export_source(
    options: EngineOptions,
    plan: TrackingPlan,
    *,
    on_estimate: Callable[[list[int], int | None], None] | None = None,
) -> Iterator[ExportSource]:
    """The export source ``options`` describe (``--engine duckdb --events ...`` or ``--engine bigquery
    --dataset ...``); ``on_estimate`` hears BigQuery's dry runs."""
    property_ = plan.property if plan.property.startswith("properties/") else f"properties/{plan.property}"
    if options.engine == "duckdb":
        engine: SqlEngine = duckdb_files_engine(options.events)
    elif options.engine == "bigquery":
        from ga_goals.sources.bigquery_engine import BigQueryEngine

        engine = BigQueryEngine.from_options(options, on_estimate=on_estimate)
    else:
        raise SourceError(f"unknown engine {options.engine!r}: use data-api, duckdb or bigquery")
    source = ExportSource(engine, property=property_, time_zone=options.time_zone or "UTC", currency=plan.currency or "USD")
    try:
        yield source
    finally:
        source.close()


def duckdb_files_engine(paths: Sequence[str]) -> DuckDBEngine:
    """DuckDB over export files read in place (see :mod:`ga_goals.events.files`)."""
    from ga_goals.events.files import ExportFiles, ExportFilesError

    if not paths:
        raise SourceError("--engine duckdb reads GA4 export files: name them with --events PATH (files, folders or globs)")
    try:
        files = ExportFiles.resolve(paths)
    except ExportFilesError as exc:
        raise SourceError(str(exc)) from exc

    def check(con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
        try:
            files.check(con, start, end)
        except ExportFilesError as exc:
            raise SourceError(str(exc)) from exc

    return DuckDBEngine(files.relation_sql, files.describe(), check=check)
