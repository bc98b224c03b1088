"""Named query parameters: decoded from the REST request and written into DuckDB SQL as typed literals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ga_goals.sandbox.bigquery.errors import invalid_query

#: BigQuery scalar parameter type -> DuckDB type.
SCALAR_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "INTEGER": "BIGINT",
    "FLOAT64": "DOUBLE",
    "FLOAT": "DOUBLE",
    "NUMERIC": "DOUBLE",
    "BIGNUMERIC": "DOUBLE",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "DATETIME": "TIMESTAMP",
}


@dataclass(frozen=True)
class Parameter:
    """One named parameter as the client sent it: BigQuery type (``STRING``, ``ARRAY<INT64>``) and value."""

    name: str
    type: str
    value: Any

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "value": self.value}


def _scalar(kind: str, raw: Any) -> Any:
    if raw is None:
        return None
    if kind in ("INT64", "INTEGER"):
        return int(raw)
    if kind in ("FLOAT64", "FLOAT", "NUMERIC", "BIGNUMERIC"):
        return float(raw)
    if kind in ("BOOL", "BOOLEAN"):
        return raw if isinstance(raw, bool) else str(raw).lower() == "true"
    return str(raw)


def decode(parameters: Sequence[Mapping[str, Any]] | None) -> dict[str, Parameter]:
    """The ``queryParameters`` of a query request, by name (a positional parameter is an error)."""
    out: dict[str, Parameter] = {}
    for p in parameters or ():
        name = p.get("name")
        if not name:
            raise invalid_query("Positional (?) query parameters are not supported here; use named (@name) parameters")
        ptype = p.get("parameterType", {})
        pvalue = p.get("parameterValue") or {}
        kind = str(ptype.get("type", "")).upper()
        if kind == "ARRAY":
            element = str(ptype.get("arrayType", {}).get("type", "")).upper()
            if element not in SCALAR_TYPES:
                raise invalid_query(f"Unsupported query parameter type ARRAY<{element}> for parameter {name}")
            values = pvalue.get("arrayValues")
            value = None if values is None else [_scalar(element, v.get("value")) for v in values]
            out[name.lower()] = Parameter(name, f"ARRAY<{element}>", value)
        elif kind in SCALAR_TYPES:
            out[name.lower()] = Parameter(name, kind, _scalar(kind, pvalue.get("value")))
        else:
            raise invalid_query(f"Unsupported query parameter type {kind or '(none)'} for parameter {name}")
    return out


def _literal(kind: str, value: Any) -> exp.Expression:
    duck = SCALAR_TYPES[kind]
    if value is None:
        return exp.cast(exp.Null(), duck)
    if duck == "BOOLEAN":
        return exp.Boolean(this=bool(value))
    if duck == "VARCHAR":
        return exp.Literal.string(value)
    if duck in ("BIGINT", "DOUBLE"):
        return exp.cast(exp.Literal.number(repr(value)), duck)
    return exp.cast(exp.Literal.string(str(value)), duck)


def literal(param: Parameter) -> exp.Expression:
    """The DuckDB expression of a parameter's value, typed as declared."""
    if param.type.startswith("ARRAY<"):
        element = param.type[6:-1]
        if param.value is None:
            return exp.cast(exp.Null(), f"{SCALAR_TYPES[element]}[]")
        items = [_literal(element, v) for v in param.value]
        array = exp.Array(expressions=items)
        return exp.cast(array, f"{SCALAR_TYPES[element]}[]")
    return _literal(param.type, param.value)
