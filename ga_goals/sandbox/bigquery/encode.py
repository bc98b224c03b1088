"""Query results in the REST API's shape: a schema of BigQuery types, rows of ``f``/``v`` cells.

Every scalar travels as a string (``"42"``, ``"2.5"``, ``"true"``), NULL as ``null``, an array as
``[{"v": ...}, ...]`` (mode ``REPEATED``), a struct as ``{"f": [{"v": ...}, ...]}`` (type
``RECORD``); the client decodes them by the schema.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from duckdb.sqltypes import DuckDBPyType

_SCALARS = {
    "bigint": "INTEGER",
    "integer": "INTEGER",
    "smallint": "INTEGER",
    "tinyint": "INTEGER",
    "hugeint": "INTEGER",
    "ubigint": "INTEGER",
    "uinteger": "INTEGER",
    "usmallint": "INTEGER",
    "utinyint": "INTEGER",
    "double": "FLOAT",
    "float": "FLOAT",
    "decimal": "FLOAT",
    "boolean": "BOOLEAN",
    "varchar": "STRING",
    "date": "DATE",
    "timestamp": "DATETIME",
    "timestamp with time zone": "TIMESTAMP",
    "blob": "BYTES",
    "null": "STRING",
}


def field(name: str, t: DuckDBPyType) -> dict[str, Any]:
    """The ``TableFieldSchema`` of a result column of DuckDB type ``t``."""
    if t.id == "list":
        inner = field(name, cast("DuckDBPyType", t.children[0][1]))
        if inner["mode"] == "REPEATED":
            raise ValueError(f"column {name}: BigQuery has no arrays of arrays")
        inner["mode"] = "REPEATED"
        return inner
    if t.id == "struct":
        return {
            "name": name,
            "type": "RECORD",
            "mode": "NULLABLE",
            "fields": [field(str(n), cast("DuckDBPyType", c)) for n, c in t.children],
        }
    kind = _SCALARS.get(t.id)
    if kind is None:
        raise ValueError(f"column {name}: no BigQuery type for DuckDB's {t}")
    return {"name": name, "type": kind, "mode": "NULLABLE"}


def schema(columns: list[str], types: list[DuckDBPyType]) -> dict[str, Any]:
    return {"fields": [field(n, t) for n, t in zip(columns, types)]}


def _scalar(kind: str, value: Any, int64_timestamps: bool) -> Any:
    if value is None:
        return None
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "INTEGER":
        return str(int(value))
    if kind == "FLOAT":
        f = float(value) if isinstance(value, Decimal) else value
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return repr(float(f))
    if kind == "TIMESTAMP":
        assert isinstance(value, datetime)
        ts = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        micros = round(ts.timestamp() * 1_000_000)
        return str(micros) if int64_timestamps else f"{micros / 1_000_000:.6f}"
    if kind in ("DATE", "DATETIME"):
        assert isinstance(value, (date, datetime))
        return value.isoformat()
    return str(value)


def cell(f: dict[str, Any], value: Any, int64_timestamps: bool = False) -> Any:
    """The ``v`` of one value of field ``f``."""
    if f["mode"] == "REPEATED":
        if value is None:
            return []
        element = dict(f, mode="NULLABLE")
        return [{"v": cell(element, v, int64_timestamps)} for v in value]
    if f["type"] == "RECORD":
        if value is None:
            return None
        return {"f": [{"v": cell(sub, value.get(sub["name"]), int64_timestamps)} for sub in f["fields"]]}
    return _scalar(f["type"], value, int64_timestamps)


def rows(
    fields: list[dict[str, Any]], values: list[tuple[Any, ...]], int64_timestamps: bool = False
) -> list[dict[str, Any]]:
    return [{"f": [{"v": cell(f, v, int64_timestamps)} for f, v in zip(fields, row)]} for row in values]
