"""How export rows become typed ``events`` columns: the one place that owns the normalisation rules.

:class:`ga_goals.events.store.EventStore` loads through these rules and
:class:`ga_goals.events.files.ExportFiles` reads export files in place through them, so an event
reads the same whichever way it came in:

* field names are the export's; unknown fields are dropped, missing ones are NULL;
* values are converted to the column types of :data:`ga_goals.events.schema.COLUMNS`: numbers
  written as strings (BigQuery's JSON export writes INT64 as strings) or as floats
  (``1607484300839189.0``) become integers, numbers become strings where the column is a string;
* a record or list that is not an object or array (``"ecommerce": "null"``, a string) is NULL;
* ``event_date`` is ``YYYYMMDD`` (``2024-03-01`` loses its dashes); when it is missing, the
  caller's fallback (the day of the file it came from), else the UTC date of ``event_timestamp``.
"""

from __future__ import annotations

from ga_goals.events.schema import COLUMNS, LIST_COLUMNS, STRUCT_COLUMNS, json_structure, sql_type


def event_date_sql(value: str, timestamp: str, fallback: str | None = None) -> str:
    """SQL of ``event_date`` as ``YYYYMMDD`` from the row's value, else ``fallback``, else the timestamp's UTC date."""
    parts = [f"replace(CAST({value} AS VARCHAR), '-', '')"]
    if fallback:
        parts.append(fallback)
    parts.append(f"strftime(make_timestamp({timestamp}), '%Y%m%d')")
    return f"COALESCE({', '.join(parts)})"


def json_rows_sql(
    source: str,
    *,
    json_column: str = "j",
    order_column: str | None = "n",
    date_fallback: str | None = None,
) -> str:
    """SELECT of the typed export columns from ``source``, a relation with one JSON object per row.

    ``order_column`` (a column of ``source``) is selected first when given; ``date_fallback`` is
    an expression over ``source``'s columns giving ``event_date`` for rows that carry none.
    """
    row_structure = json_structure(dict(COLUMNS))
    items = []
    for name, t in COLUMNS.items():
        field = f"r.{name}"
        if name in STRUCT_COLUMNS:
            field = f"CASE WHEN json_type({json_column}, '$.{name}') = 'OBJECT' THEN {field} END"
        elif name in LIST_COLUMNS:
            field = f"CASE WHEN json_type({json_column}, '$.{name}') = 'ARRAY' THEN {field} END"
        if name == "event_date":
            field = event_date_sql("r.event_date", "r.event_timestamp", date_fallback)
        items.append(f"CAST({field} AS {sql_type(t)}) AS {name}")
    first = f"{order_column}, " if order_column else ""
    return (
        f"SELECT {first}" + ", ".join(items) + f" FROM (SELECT *, "
        f"from_json({json_column}, '{row_structure}') AS r FROM {source})"
    )
