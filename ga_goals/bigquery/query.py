"""A query: SQL text and its named parameters (``@name``), with the BigQuery type of each value.

A value's type follows from its Python type: ``str`` STRING, ``bool`` BOOL, ``int`` INT64,
``float`` FLOAT64, ``datetime.date`` DATE, ``datetime.datetime`` TIMESTAMP (it must carry a
time zone), a list or tuple ``ARRAY<...>`` of one element type. ``None`` and empty lists have no
type: wrap them in :class:`Typed` (``Typed("ARRAY<STRING>", [])``, ``Typed("INT64", None)``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ga_goals.errors import GaGoalsError

SCALAR_TYPES = ("STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP")
if TYPE_CHECKING:
    from ga_goals.funnels.dialect import SqlQuery

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class QueryParameterError(GaGoalsError):
    """A query parameter has no BigQuery type (a bug in the code that built the query)."""


@dataclass(frozen=True)
class Typed:
    """A parameter value with an explicit BigQuery type: ``STRING``... or ``ARRAY<STRING>``..."""

    type: str
    value: Any

    def __post_init__(self) -> None:
        element = self.type[6:-1] if self.type.startswith("ARRAY<") and self.type.endswith(">") else self.type
        if element not in SCALAR_TYPES:
            raise QueryParameterError(
                f"unknown BigQuery parameter type {self.type!r} (one of {', '.join(SCALAR_TYPES)}, or ARRAY<...> of one)"
            )


def scalar_type(value: Any) -> str:
    """The BigQuery type of one Python value."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise QueryParameterError(f"a TIMESTAMP parameter needs a time zone: {value!r}")
        return "TIMESTAMP"
    if isinstance(value, date):
        return "DATE"
    raise QueryParameterError(f"no BigQuery type for {type(value).__name__} value {value!r}: wrap it in Typed(...)")


def typed(name: str, value: Any) -> Typed:
    """``value`` with its BigQuery type (inferred unless it is already :class:`Typed`)."""
    if isinstance(value, Typed):
        return value
    if value is None:
        raise QueryParameterError(f"parameter @{name} is None: give its type with Typed('STRING', None)")
    if isinstance(value, (list, tuple)):
        if not value:
            raise QueryParameterError(
                f"parameter @{name} is an empty list: give its type with Typed('ARRAY<STRING>', [])"
            )
        kinds = {scalar_type(v) for v in value}
        if len(kinds) != 1:
            raise QueryParameterError(f"parameter @{name} mixes types {sorted(kinds)}: an ARRAY holds one type")
        return Typed(f"ARRAY<{kinds.pop()}>", list(value))
    return Typed(scalar_type(value), value)


@dataclass(frozen=True)
class Query:
    """SQL text and its named parameters (``params["start"]`` is ``@start`` in the SQL)."""

    sql: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, query: SqlQuery) -> Query:
        """A compiled query of ga-goals (SQL and its typed parameters, e.g. ``CompiledFunnel.query``)."""
        return cls(query.sql, {p.name: Typed(p.type, p.value) for p in query.parameters})

    def typed_params(self) -> dict[str, Typed]:
        out = {}
        for name, value in self.params.items():
            if not _NAME.match(name):
                raise QueryParameterError(f"{name!r} is not a query parameter name (letters, digits and _)")
            out[name] = typed(name, value)
        return out
