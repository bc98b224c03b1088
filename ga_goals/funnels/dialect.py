"""The pieces of SQL that differ between DuckDB and BigQuery, and the query parameters of BigQuery.

One :class:`Dialect` object is used per compiled query. Values that come from a tracking plan
(event names, parameter names, filter values, windows) go through :meth:`Dialect.value`: in
BigQuery they become named query parameters (``@p1``...) collected in :attr:`Dialect.parameters`
and sent beside the SQL, never pasted into it; in DuckDB, which runs in-process on the user's
own files, they are quoted literals (a parameter would hide a regular expression or a constant
from DuckDB's optimiser). Constants of the code itself (``'(not set)'``, channel names) use
:meth:`Dialect.lit`.

Per-user lists (the funnel engine keeps, for each user, the moments of the events of a step) are
DuckDB lists with lambdas, and BigQuery arrays read with correlated ``UNNEST`` subqueries:
:meth:`Dialect.list_agg`, :meth:`Dialect.list_filter`, :meth:`Dialect.list_min`...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ga_goals.events.schema import lambda_sql, param, quote_literal

DialectName = Literal["duckdb", "bigquery"]


@dataclass(frozen=True)
class QueryParameter:
    """A named query parameter: ``type`` is a BigQuery type (``STRING``, ``INT64``, ``FLOAT64``,
    ``BOOL``, ``ARRAY<STRING>``, ``ARRAY<INT64>``)."""

    name: str
    type: str
    value: object


@dataclass(frozen=True)
class SqlQuery:
    """SQL text and the parameters it names (empty for DuckDB)."""

    sql: str
    parameters: tuple[QueryParameter, ...] = ()
    dialect: DialectName = "duckdb"


class Dialect:
    """How one query is spelled in DuckDB or BigQuery (stateful: it collects BigQuery parameters)."""

    def __init__(self, name: DialectName, *, prefix: str = "p") -> None:
        if name not in ("duckdb", "bigquery"):
            raise ValueError(f"unknown SQL dialect {name!r} (duckdb or bigquery)")
        self.name: DialectName = name
        self._prefix = prefix
        self._parameters: dict[tuple[str, object], QueryParameter] = {}

    @property
    def bigquery(self) -> bool:
        return self.name == "bigquery"

    @property
    def parameters(self) -> tuple[QueryParameter, ...]:
        return tuple(self._parameters.values())

    # -- values ----------------------------------------------------------------------------------

    def lit(self, value: str) -> str:
        """A constant of the code as a string literal."""
        return quote_literal(value, self.name)

    def _parameter(self, type_: str, value: object) -> str:
        key = (type_, value if not isinstance(value, list) else tuple(value))
        found = self._parameters.get(key)
        if found is None:
            found = QueryParameter(f"{self._prefix}{len(self._parameters) + 1}", type_, value)
            self._parameters[key] = found
        return f"@{found.name}"

    def value(self, value: str) -> str:
        """A string from the plan: a parameter in BigQuery, a literal in DuckDB."""
        if self.bigquery:
            return self._parameter("STRING", value)
        return quote_literal(value, self.name)

    def number(self, value: float) -> str:
        """A number from the plan (a FLOAT64 parameter in BigQuery)."""
        if self.bigquery:
            return self._parameter("FLOAT64", float(value))
        return repr(float(value))

    def integer(self, value: int) -> str:
        """An integer from the plan (an INT64 parameter in BigQuery)."""
        if self.bigquery:
            return self._parameter("INT64", int(value))
        return str(int(value))

    def values_in(self, expr: str, values: list[str]) -> str:
        """``expr`` is one of ``values`` (strings from the plan)."""
        if self.bigquery:
            return f"{expr} IN UNNEST({self._parameter('ARRAY<STRING>', list(values))})"
        return f"{expr} IN ({', '.join(self.value(v) for v in values)})"

    def date_text(self, value: str) -> str:
        """A ``YYYYMMDD`` date (a parameter in BigQuery)."""
        return self.value(value)

    # -- types and functions ---------------------------------------------------------------------

    @property
    def int_type(self) -> str:
        return "INT64" if self.bigquery else "BIGINT"

    @property
    def string_type(self) -> str:
        return "STRING" if self.bigquery else "VARCHAR"

    def param(self, name: str, kind: str, column: str = "t.event_params") -> str:
        """The event parameter ``name`` of the row ``t`` (see :func:`ga_goals.events.schema.param`)."""
        return param(name, kind, dialect=self.name, column=column, key_sql=self.value(name))  # type: ignore[arg-type]

    def full_match(self, text: str, pattern: str, *, from_plan: bool = False) -> str:
        """``text`` fully matches the RE2 regular expression ``pattern`` (a plan value when ``from_plan``)."""
        quote = self.value if from_plan else self.lit
        if self.bigquery:
            return f"REGEXP_CONTAINS({text}, {quote('^(?:' + pattern + ')$')})"
        return f"regexp_full_match({text}, {quote(pattern)})"

    def user_property(self, name: str) -> str:
        """The user property ``name`` of the row ``t`` as text (NULL when absent)."""
        key = self.value(name)
        if self.bigquery:
            return (
                "(SELECT COALESCE(p.value.string_value, CAST(p.value.int_value AS STRING), "
                "CAST(p.value.double_value AS STRING)) FROM UNNEST(t.user_properties) AS p WITH OFFSET AS o "
                f"WHERE p.key = {key} ORDER BY o LIMIT 1)"
            )
        v = f"list_filter(t.user_properties, {lambda_sql('p', f'p.key = {key}')})[1].value"
        return f"COALESCE({v}.string_value, CAST({v}.int_value AS VARCHAR), CAST({v}.double_value AS VARCHAR))"

    def strpos(self, text: str, needle: str) -> str:
        return f"STRPOS({text}, {needle})" if self.bigquery else f"strpos({text}, {needle})"

    def ends_with(self, text: str, suffix: str) -> str:
        return f"ENDS_WITH({text}, {suffix})" if self.bigquery else f"ends_with({text}, {suffix})"

    def starts_with(self, text: str, prefix: str) -> str:
        return f"STARTS_WITH({text}, {prefix})" if self.bigquery else f"starts_with({text}, {prefix})"

    def div(self, a: str, b: int) -> str:
        """Integer division (both operands non-negative here)."""
        return f"DIV({a}, {b})" if self.bigquery else f"({a} // {b})"

    def first_struct(self, fields: dict[str, str], order: list[str]) -> str:
        """A struct of ``fields`` (name -> SQL) taken from the row of a group that is smallest by
        ``order`` (SQL keys compared in turn; none may be NULL: the engines order NULLs differently)."""
        if self.bigquery:
            inner = ", ".join(f"{sql} AS {name}" for name, sql in fields.items())
            return f"ARRAY_AGG(STRUCT({inner}) ORDER BY {', '.join(order)} LIMIT 1)[SAFE_OFFSET(0)]"
        inner = ", ".join(f"'{name}': {sql}" for name, sql in fields.items())
        keys = ", ".join(f"'k{i}': {sql}" for i, sql in enumerate(order))
        return f"arg_min({{{inner}}}, {{{keys}}})"

    def first_value(self, value: str, order: str, where: str) -> str:
        """The smallest ``value`` among the rows of a group (satisfying ``where``) with the smallest ``order``.

        ``value`` must not be NULL on those rows: the engine coalesces before.
        """
        if self.bigquery:
            return f"ARRAY_AGG(IF({where}, {value}, NULL) IGNORE NULLS ORDER BY {order}, {value} LIMIT 1)[SAFE_OFFSET(0)]"
        return f"arg_min({value}, {{'o': {order}, 'v': {value}}}) FILTER (WHERE {where})"

    def _agg(self, fn: str, value: str, where: str) -> str:
        """``fn`` (MIN, MAX) of ``value`` over the rows of a group that satisfy ``where``."""
        if self.bigquery:
            return f"{fn}(IF({where}, {value}, NULL))"
        return f"{fn.lower()}({value}) FILTER (WHERE {where})"

    def agg_min(self, value: str, where: str) -> str:
        return self._agg("MIN", value, where)

    def agg_max(self, value: str, where: str) -> str:
        return self._agg("MAX", value, where)

    def count_if(self, cond: str) -> str:
        if self.bigquery:
            return f"COUNTIF({cond})"
        return f"count(*) FILTER (WHERE {cond})"

    # -- per-user lists ------------------------------------------------------------------------------

    def list_agg(self, value: str, where: str) -> str:
        """The list of ``value`` over the rows of a group that satisfy ``where`` (NULL or empty when none)."""
        if self.bigquery:
            return f"ARRAY_AGG(IF({where}, {value}, NULL) IGNORE NULLS)"
        return f"list({value}) FILTER (WHERE {where})"

    def list_filter(self, items: str, var: str, cond: str) -> str:
        """The items of a list that satisfy ``cond`` (over ``var``)."""
        if self.bigquery:
            return f"ARRAY(SELECT {var} FROM UNNEST({items}) AS {var} WHERE {cond})"
        return f"list_filter({items}, {lambda_sql(var, cond)})"

    def _list_extreme(self, fn: str, items: str, var: str, cond: str | None) -> str:
        """``fn`` (MIN, MAX) of the items of a list (satisfying ``cond``), NULL when none."""
        if self.bigquery:
            where = f" WHERE {cond}" if cond else ""
            return f"(SELECT {fn}({var}) FROM UNNEST({items}) AS {var}{where})"
        return f"list_{fn.lower()}({self.list_filter(items, var, cond) if cond else items})"

    def list_min(self, items: str, var: str = "x", cond: str | None = None) -> str:
        return self._list_extreme("MIN", items, var, cond)

    def list_max(self, items: str, var: str = "x", cond: str | None = None) -> str:
        return self._list_extreme("MAX", items, var, cond)

    def list_exists(self, items: str, var: str, cond: str) -> str:
        """Some item satisfies ``cond`` (FALSE for an empty or NULL list)."""
        if self.bigquery:
            return f"EXISTS(SELECT 1 FROM UNNEST({items}) AS {var} WHERE {cond})"
        return f"COALESCE(len({self.list_filter(items, var, cond)}) > 0, FALSE)"

    def list_contains(self, items: str, value: str) -> str:
        if self.bigquery:
            return f"COALESCE({value} IN UNNEST({items}), FALSE)"
        return f"COALESCE(list_contains({items}, {value}), FALSE)"
