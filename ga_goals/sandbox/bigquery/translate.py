"""BigQuery SQL -> DuckDB SQL over the local export dataset, with what the query reads.

``sqlglot`` does most of the dialect work (``COUNTIF``, ``DIV``, ``IF``, ``SAFE_CAST``,
``REGEXP_CONTAINS``, ``UNNEST ... WITH OFFSET``, ``[SAFE_OFFSET(n)]``...). This module adds what
it does not do:

* **Tables**: ```project.dataset.events_YYYYMMDD``` becomes a subquery of that day's events;
  a wildcard ```project.dataset.events_*``` (or any ``prefix*``) becomes the union of the
  matching tables with a ``_TABLE_SUFFIX`` column. As in BigQuery, ``events_*`` matches the
  intraday tables too (suffix ``intraday_YYYYMMDD``). Wildcard tables are **pruned** like
  BigQuery prunes them: the top-level ``AND`` terms of the enclosing ``WHERE`` that read only
  ``_TABLE_SUFFIX`` (and constants or parameters) are evaluated on the candidate suffixes, and
  only the tables that pass are read (and billed).
* **Named parameters** ``@name`` become literals of their declared type.
* ``ARRAY_AGG(x [IGNORE NULLS] ORDER BY ... LIMIT n)``: DuckDB has no ``LIMIT`` there; the list
  is sliced instead.
* The first-match lookup ``(SELECT e FROM UNNEST(a) AS p WITH OFFSET AS o WHERE c ORDER BY o
  LIMIT 1)`` (how an event parameter is read) becomes DuckDB's ``list_filter``/``list_transform``
  (the same answer, without a correlated subquery per row).
* ``WITH OFFSET`` counts from 0 (DuckDB's ``WITH ORDINALITY`` from 1).
* ``FARM_FINGERPRINT(s)`` becomes DuckDB's ``hash`` (another 64-bit fingerprint: the same
  inputs tie or differ alike, the values are not Google's).

Deviation: ``SELECT *`` over a wildcard table includes ``_TABLE_SUFFIX`` (BigQuery leaves the
pseudo-column out).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import cast

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError

from ga_goals.events.schema import COLUMNS, ROW_HASH, lambda_sql, quote_literal
from ga_goals.sandbox.bigquery.catalog import Catalog, TableName
from ga_goals.sandbox.bigquery.errors import BigQueryHttpError, invalid_query, not_found
from ga_goals.sandbox.bigquery.params import Parameter, literal

SUFFIX = "_table_suffix"


@dataclass(frozen=True)
class Translation:
    """A query ready for DuckDB, and what BigQuery would bill it for."""

    sql: str
    #: The tables read (after pruning), once per reference in the query.
    tables: tuple[TableName, ...]
    #: The export columns read (whole top-level columns; see ``billing``).
    columns: frozenset[str]


def _parse(sql: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        where = f" at [{first.get('line', 1)}:{first.get('col', 1)}]" if first else ""
        raise invalid_query(f"Syntax error: {first.get('description') or e}{where}") from None
    if len(statements) != 1:
        raise invalid_query("The local BigQuery sandbox runs one SELECT statement per query")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise invalid_query(f"The local BigQuery sandbox runs SELECT queries only, not {tree.key.upper()}")
    return cast(exp.Expression, tree)


def _substitute_parameters(tree: exp.Expression, params: dict[str, Parameter]) -> None:
    for node in list(tree.find_all(exp.Parameter)):
        name = node.this.name if isinstance(node.this, exp.Expression) else str(node.this)
        param = params.get(name.lower())
        if param is None:
            raise invalid_query(f"Query parameter '{name}' not found")
        node.replace(literal(param))


def _export_tables(tree: exp.Expression) -> list[exp.Table]:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    out = []
    for table in tree.find_all(exp.Table):
        if not table.name or table.name.lower() in ctes and not table.db:
            continue
        if isinstance(table.this, exp.Expression) and not isinstance(table.this, exp.Identifier):
            continue  # UNNEST(...) and table functions
        out.append(table)
    return out


def _alias(table: exp.Table) -> str:
    return (table.alias or table.name).lower()


def _billed_columns(tree: exp.Expression, tables: list[exp.Table]) -> frozenset[str]:
    aliases = {_alias(t) for t in tables}
    every = frozenset(COLUMNS)
    found: set[str] = set()
    for col in tree.find_all(exp.Column):
        parts = [p.name.lower() for p in col.parts]
        if isinstance(col.this, exp.Star):
            if parts[:1] and parts[0] in aliases or not parts:
                return every
            continue
        if parts[0] in aliases:
            if len(parts) == 1:
                return every  # the whole row: TO_JSON_STRING(t)
            name = parts[1]
        else:
            name = parts[0]
        if name in COLUMNS:
            found.add(name)
    for select in tree.find_all(exp.Select):
        if any(isinstance(e, exp.Star) for e in select.expressions):
            direct = [t for t in tables if t.find_ancestor(exp.Select) is select]
            if direct:
                return every
    return frozenset(found)


def _and_terms(node: exp.Expression) -> list[exp.Expression]:
    """The terms of ``a AND (b AND c)``: ``[a, b, c]`` (parentheses unwrapped)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _and_terms(node.this) + _and_terms(node.expression)
    return [node]


def _conjuncts(where: exp.Expression | None) -> list[exp.Expression]:
    return [] if where is None else _and_terms(where.this)


def _suffix_filter(select: exp.Select | None) -> str | None:
    """The DuckDB condition on ``_TABLE_SUFFIX`` alone that the enclosing WHERE imposes (None: no pruning)."""
    if select is None:
        return None
    kept = []
    for term in _conjuncts(select.args.get("where")):
        cols = list(term.find_all(exp.Column))
        if not cols or any(c.name.lower() != SUFFIX for c in cols) or term.find(exp.Query):
            continue
        term = term.copy()
        for c in term.find_all(exp.Column):
            c.replace(exp.column(SUFFIX))
        kept.append(term.sql(dialect="duckdb"))
    return " AND ".join(f"({k})" for k in kept) if kept else None


def _prune(
    con: duckdb.DuckDBPyConnection, candidates: list[tuple[TableName, str]], condition: str | None
) -> list[tuple[TableName, str]]:
    if condition is None or not candidates:
        return candidates
    values = ", ".join(f"({quote_literal(sfx)})" for _, sfx in candidates)
    try:
        keep = {
            r[0]
            for r in con.execute(f"SELECT {SUFFIX} FROM (VALUES {values}) AS s({SUFFIX}) WHERE {condition}").fetchall()
        }
    except duckdb.Error as e:
        raise invalid_query(f"Cannot evaluate the _TABLE_SUFFIX filter: {e}") from None
    return [(t, sfx) for t, sfx in candidates if sfx in keep]


def _table_sql(read: list[tuple[TableName, str]], wildcard: bool) -> str:
    columns = f"e.* EXCLUDE ({ROW_HASH})"
    if not wildcard:
        day = read[0][0].day
        return f"(SELECT {columns} FROM events AS e WHERE e.event_date = {quote_literal(day)})"
    if not read:
        return f"(SELECT {columns}, CAST(NULL AS VARCHAR) AS _TABLE_SUFFIX FROM events AS e WHERE FALSE)"
    pairs = ", ".join(f"({quote_literal(t.day)}, {quote_literal(sfx)})" for t, sfx in read)
    return (
        f"(SELECT {columns}, s.sfx AS _TABLE_SUFFIX FROM events AS e "
        f"JOIN (VALUES {pairs}) AS s(day, sfx) ON e.event_date = s.day)"
    )


def _replace_tables(
    tree: exp.Expression,
    tables: list[exp.Table],
    catalog: Catalog,
    default_project: str,
    con: duckdb.DuckDBPyConnection,
) -> list[TableName]:
    read_all: list[TableName] = []
    for table in tables:
        project = table.catalog or default_project
        dataset = table.db
        if not dataset:
            raise invalid_query(f'Table "{table.name}" must be qualified with a dataset (e.g. dataset.table)')
        if (project, dataset) != (catalog.project, catalog.dataset):
            raise not_found(f"Dataset {project}:{dataset} was not found in location {catalog.location}")
        name = table.name
        if name.endswith("*"):
            candidates = catalog.matching(name[:-1])
            if not candidates:
                raise not_found(f"Table {project}:{dataset}.{name} was not found in location {catalog.location}")
            read = _prune(con, candidates, _suffix_filter(table.find_ancestor(exp.Select)))
            wildcard = True
        else:
            found = catalog.table(name)
            if found is None:
                raise not_found(f"Table {project}:{dataset}.{name} was not found in location {catalog.location}")
            read, wildcard = [(found, "")], False
        read_all.extend(t for t, _ in read)
        sub = sqlglot.parse_one(_table_sql(read, wildcard), read="duckdb")
        alias = table.alias or name.replace("*", "_wildcard")
        table.replace(exp.alias_(sub, exp.to_identifier(alias, quoted=True), table=True))
    return read_all


def _rewrite_functions(tree: exp.Expression) -> None:
    for agg in list(tree.find_all(exp.ArrayAgg)):
        wrapper = agg.parent if isinstance(agg.parent, exp.IgnoreNulls) else None
        ignore_nulls = wrapper is not None or bool(agg.args.get("nulls_excluded"))
        inner = agg.this
        limit = None
        if isinstance(inner, exp.Limit):
            limit = inner.expression
            inner = inner.this
        value = inner.this if isinstance(inner, exp.Order) else inner
        new: exp.Expression = exp.ArrayAgg(this=inner.copy())
        if ignore_nulls:
            new = exp.Filter(
                this=new, expression=exp.Where(this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
            )
        if limit is not None:
            new = exp.Anonymous(this="LIST_SLICE", expressions=[new, exp.Literal.number(1), limit.copy()])
        (wrapper or agg).replace(new)
    for node in list(tree.find_all(exp.FarmFingerprint)):
        arg = node.this or node.expressions[0]
        if isinstance(arg, exp.JSONFormat) and arg.this is not None:
            arg = arg.this  # a fingerprint of the JSON text of x: hash x itself (no JSON text per row)
        node.replace(
            exp.cast(
                exp.Mod(
                    this=exp.Anonymous(this="HASH", expressions=[arg.copy()]), expression=exp.Literal.number(2**63 - 1)
                ),
                "BIGINT",
            )
        )


def _first_match(node: exp.Subquery) -> str | None:
    """``(SELECT e FROM UNNEST(a) AS p WITH OFFSET AS o [WHERE c] ORDER BY o LIMIT 1)`` (the first
    array element that matches) as DuckDB list functions, which run far faster than DuckDB's
    correlated subquery; None when ``node`` is not exactly that shape."""
    select = node.this
    if not isinstance(select, exp.Select) or len(select.expressions) != 1 or select.args.get("joins"):
        return None
    if any(select.args.get(k) for k in ("group", "having", "qualify", "distinct", "offset", "with_")):
        return None
    source = select.args.get("from_")
    unnest = source.this if isinstance(source, exp.From) else None
    limit = select.args.get("limit")
    order = select.args.get("order")
    if (
        not isinstance(unnest, exp.Unnest)
        or len(unnest.expressions) != 1
        or not isinstance(unnest.args.get("offset"), exp.Identifier)
    ):
        return None
    alias = unnest.args.get("alias")
    columns = alias.columns if isinstance(alias, exp.TableAlias) else []
    if (
        len(columns) != 1
        or not isinstance(limit, exp.Limit)
        or str(limit.expression) != "1"
        or not isinstance(order, exp.Order)
    ):
        return None
    offset = unnest.args["offset"].name.lower()
    ordered = order.expressions
    if (
        len(ordered) != 1
        or ordered[0].args.get("desc")
        or not isinstance(ordered[0].this, exp.Column)
        or ordered[0].this.name.lower() != offset
    ):
        return None
    value = select.expressions[0]
    where = select.args.get("where")
    parts = [value] + ([where.this] if where is not None else [])
    if any(
        p.find(exp.Query) or p.find(exp.AggFunc) or any(c.name.lower() == offset for c in p.find_all(exp.Column))
        for p in parts
    ):
        return None
    var = columns[0].name
    array = unnest.expressions[0].sql(dialect="duckdb")
    if where is not None:
        array = f"list_filter({array}, {lambda_sql(var, where.this.sql(dialect='duckdb'))})"
    out = value.this if isinstance(value, exp.Alias) else value
    return f"list_transform({array}, {lambda_sql(var, out.sql(dialect='duckdb'))})[1]"


def _rewrite_first_matches(tree: exp.Expression) -> dict[str, str]:
    """Replace each first-match subquery by a placeholder function; returns placeholder -> DuckDB SQL
    (spliced in after generation, so the lambda syntax is the installed DuckDB's)."""
    raw: dict[str, str] = {}
    for node in list(tree.find_all(exp.Subquery)):
        sql = _first_match(node)
        if sql is not None:
            name = f"SANDBOX_RAW_{len(raw)}"
            raw[name] = sql
            node.replace(exp.Anonymous(this=name, expressions=[]))
    return raw


def _zero_based_offsets(tree: exp.Expression) -> None:
    """``UNNEST(a) WITH OFFSET AS o`` counts from 0; DuckDB's ``WITH ORDINALITY`` (sqlglot's
    translation) from 1: every unqualified reference to ``o`` in that SELECT becomes ``o - 1``."""
    for unnest in list(tree.find_all(exp.Unnest)):
        offset = unnest.args.get("offset")
        select = unnest.find_ancestor(exp.Select)
        if not isinstance(offset, exp.Identifier) or select is None:
            continue
        for col in list(select.find_all(exp.Column)):
            if not col.table and col.name.lower() == offset.name.lower():
                col.replace(exp.Paren(this=exp.Sub(this=col.copy(), expression=exp.Literal.number(1))))


#: One translation at a time: the endpoint serves requests on threads, and a run under load once
#: failed a dry run with a syntax error in a query that parses every other time. sqlglot does not
#: promise thread safety; translating is cheap next to running the query, which stays parallel.
_SQLGLOT = threading.Lock()


def translate(
    sql: str, params: dict[str, Parameter], catalog: Catalog, default_project: str, con: duckdb.DuckDBPyConnection
) -> Translation:
    """Translate one BigQuery SELECT (raises :class:`BigQueryHttpError` with BigQuery's reason)."""
    with _SQLGLOT:
        return _translate(sql, params, catalog, default_project, con)


def _translate(
    sql: str, params: dict[str, Parameter], catalog: Catalog, default_project: str, con: duckdb.DuckDBPyConnection
) -> Translation:
    tree = _parse(sql)
    _substitute_parameters(tree, params)
    tables = _export_tables(tree)
    columns = _billed_columns(tree, tables)
    read = _replace_tables(tree, tables, catalog, default_project, con)
    _rewrite_functions(tree)
    raw = _rewrite_first_matches(tree)
    _zero_based_offsets(tree)
    try:
        out = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as e:
        raise invalid_query(f"The local BigQuery sandbox cannot translate this query: {e}") from None
    for name, sql in raw.items():
        out = out.replace(f"{name}()", f"({sql})")
    return Translation(out, tuple(read), columns)


__all__ = ["BigQueryHttpError", "Translation", "translate"]
