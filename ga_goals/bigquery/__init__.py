"""BigQuery: the GA4 export dataset (``PROJECT.analytics_NNN``) queried with ``google-cloud-bigquery``.

This package is the only code that imports ``google.cloud.bigquery`` (the ``bigquery`` extra:
``pip install 'ga-goals[bigquery]'``), and only when :class:`BigQueryRunner` is first used:
``query`` (SQL and parameters), ``cost`` (bytes -> USD, sizes for people) and ``settings``
(dataset names, labels) import nothing from Google. Set-up, roles and costs: docs/bigquery.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ga_goals.bigquery.cost import USD_PER_TIB, billed_bytes, cost_usd, human_size
from ga_goals.bigquery.query import Query, Typed
from ga_goals.bigquery.settings import BigQueryConfigError, DatasetRef, parse_dataset

if TYPE_CHECKING:
    from ga_goals.bigquery.runner import DEFAULT_MAX_BYTES_BILLED, BigQueryRunner, DayTables, QueryResult

_LAZY = {"BigQueryRunner", "DayTables", "QueryResult", "DEFAULT_MAX_BYTES_BILLED"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ga_goals.bigquery import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_BYTES_BILLED",
    "USD_PER_TIB",
    "BigQueryConfigError",
    "BigQueryRunner",
    "DatasetRef",
    "DayTables",
    "Query",
    "QueryResult",
    "Typed",
    "billed_bytes",
    "cost_usd",
    "human_size",
    "parse_dataset",
]
