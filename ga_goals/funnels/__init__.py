"""Funnels: their semantics in one place, and the SQL engine that computes them.

The rules (open and closed funnels, the order of events and the tie rule for events with the
same timestamp, directly-followed steps, time windows, parameter filters, per-step metrics,
breakdowns) are written down once, in :mod:`ga_goals.funnels.semantics`; every engine follows
them, and the tests compare the SQL engine with the plain-Python reference there.

The public API (everything else is internal):

``run_funnel(store_or_connection, funnel, start, end, breakdown=None, *, limit=None) -> FunnelResult``
    Computes a :class:`ga_goals.model.tracking_plan.Funnel` over the events of ``start..end``
    (inclusive dates) in DuckDB (an :class:`ga_goals.events.EventStore` or a connection with an
    ``events`` table). ``breakdown`` is a dimension (:data:`BREAKDOWN_DIMENSIONS`,
    ``customEvent:<parameter>``, ``customUser:<property>``); the funnel's own ``breakdown`` is
    not applied unless passed.

``compile_funnel(funnel, start, end, *, breakdown=None, dialect="duckdb", table=None, intraday=(), guarded=None) -> CompiledFunnel``
    The same computation as SQL text, for DuckDB or for BigQuery (``table="project.dataset"``
    reads the export's ``events_*`` daily tables, plus the ``intraday`` days' tables); in
    BigQuery every plan value is a query parameter (``CompiledFunnel.parameters``).

``result_from_rows(funnel, start, end, breakdown, rows, limit=None) -> FunnelResult``
    The result of a compiled funnel's rows, whichever engine ran them.

``FunnelResult``
    ``users`` per step, ``total`` and per-breakdown ``rows`` (:class:`FunnelRow`: users and
    continued per step), ``metrics(row)`` / ``reported(row)`` (:class:`StepMetrics`: the Data
    API's four metrics per step), ``overall_conversion(row)``.

``step_metrics(names, users, continued=None) -> list[StepMetrics]``
    The one derivation of completion rate, abandonments and abandonment rate.

``reference_funnel(events_by_user, funnel) -> list[int]``
    The plain-Python reference (users per step), for tests and small data.

Trends (rule 9) are a breakdown by ``date`` (the entry event's day). Next actions (rule 10):

``run_next_actions(store_or_connection, funnel, start, end, dimension="eventName") -> NextActions``
    Per step, the users who left the funnel after it and the ``dimension`` (``eventName``,
    ``pageLocation``, ``pageTitle``) of their next event; ``compile_next_actions`` gives the SQL
    (DuckDB or BigQuery, as ``compile_funnel``), ``next_actions_from_rows`` reads its rows.

``FunnelDefinitionError``
    A funnel no engine can compute (no steps, an unknown operator or breakdown dimension).
"""

from typing import TYPE_CHECKING, Any

from ga_goals.funnels.result import RESERVED_TOTAL, FunnelResult, FunnelRow, NextActions, StepMetrics, step_metrics
from ga_goals.funnels.semantics import FunnelDefinitionError, reference_detail, reference_funnel

# The SQL engine loads DuckDB: it is imported on first use, so that what needs only the
# semantics (validating a plan reads funnels.semantics) starts without it.
_SQL_NAMES = frozenset(
    {
        "BREAKDOWN_DIMENSIONS",
        "CompiledFunnel",
        "compile_funnel",
        "compile_next_actions",
        "next_actions_from_rows",
        "result_from_rows",
        "run_funnel",
        "run_next_actions",
    }
)


def __getattr__(name: str) -> Any:
    if name in _SQL_NAMES:
        from ga_goals.funnels import sql

        return getattr(sql, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from ga_goals.funnels.sql import (
        BREAKDOWN_DIMENSIONS,
        CompiledFunnel,
        compile_funnel,
        compile_next_actions,
        next_actions_from_rows,
        result_from_rows,
        run_funnel,
        run_next_actions,
    )

__all__ = [
    "BREAKDOWN_DIMENSIONS",
    "RESERVED_TOTAL",
    "CompiledFunnel",
    "FunnelDefinitionError",
    "FunnelResult",
    "FunnelRow",
    "NextActions",
    "StepMetrics",
    "compile_funnel",
    "compile_next_actions",
    "next_actions_from_rows",
    "reference_detail",
    "reference_funnel",
    "result_from_rows",
    "run_funnel",
    "run_next_actions",
    "step_metrics",
]
