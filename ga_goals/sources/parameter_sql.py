"""The SQL that checks events against their schemas over GA4 export rows (DuckDB and BigQuery).

:func:`parameter_check_query` compiles ONE query, one scan of ``event_name``, ``event_date``,
``event_params`` and ``items``, for every event that has a schema
(:class:`~ga_goals.model.event_schemas.EventSchema`). Per event row it builds the list of what
is wrong with it, at most one entry per parameter and kind (however many items share the fault):

* a declared parameter (first entry of its key, as :func:`ga_goals.events.schema.param` reads
  it): ``missing`` (required, not present), ``wrong_type``, ``not_allowed`` (outside
  ``values``), ``pattern`` (not matching ``pattern``): the first that applies, by the rules of
  :mod:`ga_goals.model.parameter_types` (the one definition of types);
* ``items`` declared: ``missing`` when required and the event has no item; per declared item
  parameter the same kinds, an event counting once when any of its items has the fault (the
  standard item parameters read from their export column, the others from ``item_params``);
* a closed schema: every ``event_params`` key it does not declare (GA4's automatically
  collected parameters aside, :func:`ga_goals.model.ga4_facts.automatic_parameters`) and every
  ``item_params`` key its items do not declare: ``undeclared``;
* one ``events`` entry (every row), for the event's total.

Then it groups the entries: rows ``(event, scope, parameter, kind, events, first day, last day,
example)``, ``scope`` ``event`` or ``item`` (NULL for the ``events`` rows), the example the
smallest offending value as text (NULL for ``missing``). Only these rows come back.

How: an inner SELECT reads each declared parameter's value record once per row, only on the
rows of the events that declare it; a CASE on the event name picks the event's checks. DuckDB
builds the item and undeclared lists with list lambdas (skipped for events without items: a
lambda costs even on an empty list); BigQuery with three correlated subqueries for the whole
query (each with a CASE on the event name inside), which it runs per row where the data is.
Plan values (event and parameter names, allowed values, patterns) are query parameters in
BigQuery, literals in DuckDB (:class:`~ga_goals.funnels.dialect.Dialect`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from ga_goals.events.schema import COLUMNS, ITEM, ITEM_PARAMETER_COLUMNS, lambda_sql
from ga_goals.funnels.dialect import Dialect, SqlQuery
from ga_goals.funnels.sql import export_columns, narrowed
from ga_goals.model.event_schemas import EventSchema, ParameterSpec
from ga_goals.model.ga4_facts import automatic_parameters
from ga_goals.model.parameter_types import ACCEPTS, ANY, TEXT_FORMS, TEXT_MISSING, VALUE_CHECKED, WHOLE

#: Kinds of rows (``events``: the event's total; the others: a fault).
KINDS = ("events", "missing", "wrong_type", "not_allowed", "pattern", "undeclared")

#: Export item columns by type (standard item parameters).
_TEXT, _INT, _FLOAT = "VARCHAR", "BIGINT", "DOUBLE"


@dataclass(frozen=True)
class _Value:
    """A parameter value in SQL: the four fields of the export's value record (``NULL`` where the
    storage cannot hold one), or ``text`` for a text column of ``items``."""

    string_value: str = "NULL"
    int_value: str = "NULL"
    float_value: str = "NULL"
    double_value: str = "NULL"
    text: str | None = None

    @classmethod
    def record(cls, sql: str) -> _Value:
        return cls(f"{sql}.string_value", f"{sql}.int_value", f"{sql}.float_value", f"{sql}.double_value")


class _Compiler:
    """Builds the per-row list of entries in one dialect (every part is a list expression)."""

    def __init__(self, d: Dialect) -> None:
        self.d = d
        self._names = count()
        #: BigQuery: parameter name -> the column of an inner SELECT holding its value record
        #: (read once per row, not once per mention).
        self.columns: dict[str, str] = {}

    def value_of(self, name: str) -> str:
        """The value record of the event parameter ``name`` of the row ``t`` (first entry): a
        column of the inner SELECT (:meth:`value_columns`), read once per row."""
        if name not in self.columns:
            self.columns[name] = f"pv{len(self.columns)}"
        return f"t.{self.columns[name]}"

    def value_columns(self, schemas: Sequence[EventSchema]) -> str:
        """The inner SELECT's value columns (``, <lookup> AS pvN``...), each read only on the rows
        of the events that declare the parameter."""
        declaring: dict[str, list[str]] = {}
        for schema in schemas:
            for spec in schema.parameters:
                declaring.setdefault(spec.name, []).append(schema.event_name)
        return "".join(
            f", CASE WHEN {self.d.values_in('t.event_name', declaring[name])} THEN {self.d.param(name, 'value')} END AS {column}"
            for name, column in self.columns.items()
        )

    # -- dialect pieces -------------------------------------------------------------------------

    def var(self, stem: str) -> str:
        """A lambda variable name not used elsewhere in the query (DuckDB)."""
        return f"{stem}{next(self._names)}"

    def _text(self, sql: str | None) -> str:
        return f"CAST({sql} AS {self.d.string_type})" if sql else f"CAST(NULL AS {self.d.string_type})"

    def entry(self, scope: str | None, parameter: str | None, kind: str, example: str | None) -> str:
        """One entry as a struct; ``parameter``, ``kind`` and ``example`` are SQL expressions."""
        s = self.d.lit(scope) if scope else self._text(None)
        fields = {"scope": s, "parameter": self._text(parameter), "kind": kind, "example": self._text(example)}
        if self.d.bigquery:
            return "STRUCT(" + ", ".join(f"{sql} AS {name}" for name, sql in fields.items()) + ")"
        return "{" + ", ".join(f"'{name}': {sql}" for name, sql in fields.items()) + "}"

    def let(self, expr: str, body: Callable[[str], str]) -> str:
        """``body`` over ``expr``, evaluated once per row in DuckDB (which does not share repeated
        sub-expressions: a one-element list and a lambda); inlined in BigQuery."""
        if self.d.bigquery:
            return body(expr)
        v = self.var("v")
        return f"list_transform([{expr}], {lambda_sql(v, body(v))})[1]"

    def concat(self, lists: Sequence[str]) -> str:
        if len(lists) == 1:
            return lists[0]
        if self.d.bigquery:
            return f"ARRAY_CONCAT({', '.join(lists)})"
        return "(" + " || ".join(lists) + ")"

    def strings(self, values: Sequence[str]) -> str:
        """A list of plan strings (a parameter in BigQuery)."""
        if self.d.bigquery:
            return self.d._parameter("ARRAY<STRING>", list(values))
        return "[" + ", ".join(self.d.value(v) for v in values) + "]"

    def whole(self, x: str) -> str:
        return f"({x} = TRUNC({x}))" if self.d.bigquery else f"({x} = trunc({x}))"

    def number_text(self, x: str) -> str:
        """A double as text, whole numbers without a decimal point (so that both engines agree)."""
        t, i = self.d.string_type, self.d.int_type
        return f"(CASE WHEN {self.whole(x)} AND ABS({x}) < 1e15 THEN CAST(CAST({x} AS {i}) AS {t}) ELSE CAST({x} AS {t}) END)"

    def text(self, v: _Value) -> str:
        """The value as text (the example a finding shows)."""
        if v.text is not None:
            return v.text
        parts = [v.string_value, f"CAST({v.int_value} AS {self.d.string_type})" if v.int_value != "NULL" else "NULL"]
        doubles = [x for x in (v.double_value, v.float_value) if x != "NULL"]
        if doubles:
            parts.append(self.number_text(doubles[0] if len(doubles) == 1 else f"COALESCE({', '.join(doubles)})"))
        return f"COALESCE({', '.join(p for p in parts if p != 'NULL')})"

    # -- the rules of ga_goals.model.parameter_types --------------------------------------------

    def present(self, v: _Value) -> str:
        if v.text is not None:
            missing = ", ".join(self.d.lit(m) for m in TEXT_MISSING)
            return f"COALESCE({v.text} NOT IN ({missing}), FALSE)"
        terms = [f"COALESCE({v.string_value} <> '', FALSE)"] if v.string_value != "NULL" else []
        terms += [f"{x} IS NOT NULL" for x in (v.int_value, v.float_value, v.double_value) if x != "NULL"]
        return "(" + " OR ".join(terms) + ")"

    def accepts(self, v: _Value, type_: str) -> str:
        if v.text is not None:
            form = TEXT_FORMS[type_]
            return "TRUE" if form is None else self.d.full_match(v.text, form)
        terms = []
        stored = [name for name in ("string_value", "int_value", "float_value", "double_value") if getattr(v, name) != "NULL"]
        if len(stored) == 1 and ACCEPTS[type_].get(stored[0]) == ANY:
            return "TRUE"  # a column of the export that can only hold this type (a present value is accepted)
        for name, rule in ACCEPTS[type_].items():
            x = getattr(v, name)
            if x == "NULL":
                continue
            if rule == ANY:
                terms.append(f"{x} IS NOT NULL")
            elif rule == WHOLE:
                terms.append(f"COALESCE({self.whole(x)}, FALSE)")
            else:
                listed = ", ".join(self.d.lit(r) if isinstance(r, str) else str(r) for r in rule)
                terms.append(f"COALESCE({x} IN ({listed}), FALSE)")
        return "(" + " OR ".join(terms) + ")" if terms else "FALSE"

    def _number(self, v: _Value) -> str:
        f = "FLOAT64" if self.d.bigquery else "DOUBLE"
        parts = [f"CAST({v.int_value} AS {f})" if v.int_value != "NULL" else "NULL", v.double_value, v.float_value]
        return f"COALESCE({', '.join(parts)})"

    def _checked_text(self, v: _Value, spec: ParameterSpec) -> str:
        """The text ``values`` and ``pattern`` read: the string, or the integer in decimal."""
        if v.text is not None:
            return v.text
        if spec.type == "string":
            return v.string_value
        return f"CAST(CAST({self._number(v)} AS {self.d.int_type}) AS {self.d.string_type})"

    def allowed(self, v: _Value, spec: ParameterSpec) -> str:
        """The (accepted) value is one of ``spec.values``."""
        d = self.d
        if v.text is not None or spec.type == "string":
            return f"COALESCE({d.values_in(self._checked_text(v, spec), [str(x) for x in spec.values])}, FALSE)"
        numbers = ", ".join(d.number(float(x)) for x in spec.values)
        return f"COALESCE({self._number(v)} IN ({numbers}), FALSE)"

    def matches(self, v: _Value, spec: ParameterSpec) -> str:
        assert spec.pattern is not None
        return f"COALESCE({self.d.full_match(self._checked_text(v, spec), spec.pattern, from_plan=True)}, FALSE)"

    def can_fail(self, v: _Value, spec: ParameterSpec) -> bool:
        """Some value could have a fault (an optional standard item field whose export column
        always holds the declared type, without values or pattern, cannot: it is not checked)."""
        return spec.required or self.accepts(v, spec.type) != "TRUE" or bool(
            spec.type in VALUE_CHECKED and (spec.values or spec.pattern)
        )

    def fault(self, v: _Value, spec: ParameterSpec) -> str:
        """The kind of fault of one value, the first that applies (NULL: none)."""
        d = self.d
        branches = [f"WHEN NOT {self.present(v)} THEN {d.lit('missing') if spec.required else 'NULL'}"]
        accepts = self.accepts(v, spec.type)
        if accepts != "TRUE":
            branches.append(f"WHEN NOT {accepts} THEN {d.lit('wrong_type')}")
        if spec.type in VALUE_CHECKED and spec.values:
            branches.append(f"WHEN NOT {self.allowed(v, spec)} THEN {d.lit('not_allowed')}")
        if spec.type in VALUE_CHECKED and spec.pattern:
            branches.append(f"WHEN NOT {self.matches(v, spec)} THEN {d.lit('pattern')}")
        return "CASE " + " ".join(branches) + " END"

    # -- event parameters -------------------------------------------------------------------------

    def event_parameter(self, spec: ParameterSpec) -> str:
        """A declared (non-items) parameter of the row ``t``: a list of its entry (NULL: no fault)."""
        name = self.d.value(spec.name)

        def body(raw: str) -> str:
            v = _Value.record(raw)
            # kind NULL: no fault (the entry is dropped); the example of a missing value is dropped when grouped
            return self.entry("event", name, self.fault(v, spec), self.text(v))

        return "[" + body(self.value_of(spec.name)) + "]"

    def undeclared_event_parameters(self, schema: EventSchema) -> str:
        """Entries for the row's ``event_params`` keys the schema does not declare (one per key)."""
        d = self.d
        known = self.strings(_known_parameters(schema))
        p, q, k = self.var("p"), self.var("q"), self.var("k")
        keys = (
            f"list_distinct(list_transform(list_filter(t.event_params, {lambda_sql(p, f'NOT list_contains({known}, {p}.key)')}), "
            f"{lambda_sql(p, f'{p}.key')}))"
        )
        values = f"list_filter(t.event_params, {lambda_sql(q, f'{q}.key = {k}')})"
        example = f"list_min(list_transform({values}, {lambda_sql(q, self.text(_Value.record(f'{q}.value')))}))"
        return f"list_transform({keys}, {lambda_sql(k, self.entry('event', k, d.lit('undeclared'), example))})"

    # -- items ------------------------------------------------------------------------------------

    def item_value(self, item: str, name: str) -> _Value:
        """An item parameter of ``item``: its export column, or its first ``item_params`` entry."""
        column = ITEM_PARAMETER_COLUMNS.get(name)
        if column is not None:
            kind = ITEM[column]
            if kind == _TEXT:
                return _Value(text=f"{item}.{column}")
            if kind == _INT:
                return _Value(int_value=f"{item}.{column}")
            return _Value(double_value=f"{item}.{column}")
        key = self.d.value(name)
        if self.d.bigquery:
            raw = f"(SELECT ip.value FROM UNNEST({item}.item_params) AS ip WITH OFFSET AS io WHERE ip.key = {key} ORDER BY io LIMIT 1)"
        else:
            ip = self.var("ip")
            raw = f"list_filter({item}.item_params, {lambda_sql(ip, f'{ip}.key = {key}')})[1].value"
        return _Value.record(raw)

    def item_parameters(self, specs: Sequence[ParameterSpec]) -> str:
        """DuckDB: the declared item parameters: a list of one entry per parameter and kind of fault
        some item of ``t`` has (an event counts once however many of its items have it). One pass
        over the items builds every item's faults; the (usually empty) list of faults found is
        then grouped by parameter and kind."""
        d = self.d
        i, f, g, h, pk = (self.var(x) for x in ("i", "f", "g", "h", "pk"))
        checks = []
        for spec in specs:
            v = self.item_value(i, spec.name)
            if self.can_fail(v, spec):
                checks.append(
                    f"{{'parameter': {self._text(d.value(spec.name))}, 'kind': {self.fault(v, spec)}, 'example': {self._text(self.text(v))}}}"
                )
        if not checks:
            return "[]"
        per_item = f"flatten(list_transform(t.items, {lambda_sql(i, '[' + ', '.join(checks) + ']')}))"
        found = f"list_filter({per_item}, {lambda_sql(f, f'{f}.kind IS NOT NULL')})"

        def group(faults: str) -> str:
            keys = f"list_distinct(list_transform({faults}, {lambda_sql(g, f'{{{chr(39)}p{chr(39)}: {g}.parameter, {chr(39)}k{chr(39)}: {g}.kind}}')}))"
            same = f"list_filter({faults}, {lambda_sql(h, f'{h}.parameter = {pk}.p AND {h}.kind = {pk}.k')})"
            example = f"list_min(list_transform({same}, {lambda_sql(h, f'{h}.example')}))"
            return f"list_transform({keys}, {lambda_sql(pk, self.entry('item', f'{pk}.p', f'{pk}.k', example))})"

        # (the lambdas cost even on an empty list: skipped for events without items)
        return f"CASE WHEN len(t.items) > 0 THEN {self.let(found, group)} ELSE [] END"

    def _bigquery_item_checks(self, specs: Sequence[ParameterSpec]) -> str:
        """BigQuery: the array of one item ``i``'s faults, one struct per declared item parameter."""
        d = self.d
        checks = []
        for spec in specs:
            v = self.item_value("i", spec.name)
            if not self.can_fail(v, spec):
                continue
            fault, text = self.fault(v, spec), self.text(v)
            checks.append(f"STRUCT({self._text(d.value(spec.name))} AS parameter, {fault} AS kind, {text} AS example)")
        return "[" + ", ".join(checks) + "]"

    def undeclared_item_parameters(self, items: ParameterSpec) -> str:
        """Entries for the ``item_params`` keys of the row's items that ``items`` does not declare
        (GA4's standard item parameters, export columns, never are)."""
        d = self.d
        known = self.strings(_known_item_parameters(items))
        i, p, k, j, q = (self.var(s) for s in "ipkjq")
        unknown = f"list_filter({i}.item_params, {lambda_sql(p, f'NOT list_contains({known}, {p}.key)')})"
        unknown_keys = f"list_transform({unknown}, {lambda_sql(p, p + '.key')})"
        keys = f"list_distinct(flatten(list_transform(t.items, {lambda_sql(i, unknown_keys)})))"
        values = (
            f"list_transform(list_filter({j}.item_params, {lambda_sql(q, f'{q}.key = {k}')}), "
            f"{lambda_sql(q, self.text(_Value.record(f'{q}.value')))})"
        )
        example = f"list_min(flatten(list_transform(t.items, {lambda_sql(j, values)})))"
        found = f"list_transform({keys}, {lambda_sql(k, self.entry('item', k, d.lit('undeclared'), example))})"
        return f"CASE WHEN len(t.items) > 0 THEN {found} ELSE [] END"

    # -- one event --------------------------------------------------------------------------------

    def bigquery_entries(self, schemas: Sequence[EventSchema]) -> str:
        """BigQuery: the row's list of entries, for whichever of ``schemas`` its event has.

        Per event, a CASE picks the array of its declared parameters' entries (no subquery but
        the first-match lookups); then three correlated subqueries for the whole query, each
        choosing the event's declarations with a CASE inside: the undeclared parameters, the
        items' faults (every item's faults unnested, grouped by parameter and kind: an event
        counts once), the items' undeclared parameters.
        """
        d = self.d
        scalars = " ".join(f"WHEN {d.value(s.event_name)} THEN {self.entries(s, nested=False)}" for s in schemas)
        parts = [f"CASE t.event_name {scalars} END"]
        closed = [s for s in schemas if s.closed]
        if closed:
            known = " ".join(f"WHEN {d.value(s.event_name)} THEN p.key NOT IN UNNEST({self.strings(_known_parameters(s))})" for s in closed)
            entry = self.entry("event", "p.key", d.lit("undeclared"), f"MIN({self.text(_Value.record('p.value'))})")
            parts.append(
                f"ARRAY(SELECT {entry} FROM UNNEST(t.event_params) AS p WHERE CASE t.event_name {known} ELSE FALSE END GROUP BY p.key)"
            )
        item_checks = [
            (s, self._bigquery_item_checks(items.items)) for s in schemas for items in s.parameters if items.type == "items"
        ]
        item_checks = [(s, checks) for s, checks in item_checks if checks != "[]"]
        if item_checks:
            checks = " ".join(f"WHEN {d.value(s.event_name)} THEN {checked}" for s, checked in item_checks)
            entry = self.entry("item", "c.parameter", "c.kind", "MIN(c.example)")
            parts.append(
                f"ARRAY(SELECT {entry} FROM UNNEST(t.items) AS i, UNNEST(CASE t.event_name {checks} END) AS c "
                "WHERE c.kind IS NOT NULL GROUP BY c.parameter, c.kind)"
            )
        closed_items = [(s, items) for s, items in ((s, next((p for p in s.parameters if p.type == "items"), None)) for s in closed) if items]
        if closed_items:
            known = " ".join(
                f"WHEN {d.value(s.event_name)} THEN p.key NOT IN UNNEST({self.strings(_known_item_parameters(items))})"
                for s, items in closed_items
            )
            entry = self.entry("item", "p.key", d.lit("undeclared"), f"MIN({self.text(_Value.record('p.value'))})")
            parts.append(
                f"ARRAY(SELECT {entry} FROM UNNEST(t.items) AS i, UNNEST(i.item_params) AS p "
                f"WHERE CASE t.event_name {known} ELSE FALSE END GROUP BY p.key)"
            )
        return self.concat(parts)

    def entries(self, schema: EventSchema, *, nested: bool = True) -> str:
        """The row's list of entries, for an event of ``schema`` (``nested`` False: without the
        parts that read the parameter and item lists, which BigQuery gets elsewhere)."""
        d = self.d
        lists = ["[" + self.entry(None, None, d.lit("events"), None) + "]"]
        if schema.closed and nested:
            lists.append(self.undeclared_event_parameters(schema))
        for spec in schema.parameters:
            if spec.type != "items":
                lists.append(self.event_parameter(spec))
                continue
            if spec.required:
                empty = "COALESCE(ARRAY_LENGTH(t.items), 0) = 0" if d.bigquery else "COALESCE(len(t.items), 0) = 0"
                lists.append(f"[CASE WHEN {empty} THEN {self.entry('event', d.value(spec.name), d.lit('missing'), None)} END]")
            if spec.items and nested:
                lists.append(self.item_parameters(spec.items))
            if schema.closed and nested:
                lists.append(self.undeclared_item_parameters(spec))
        return self.concat(lists)


def _known_parameters(schema: EventSchema) -> list[str]:
    """The event parameters that are never undeclared on ``schema``'s event."""
    return sorted({p.name for p in schema.parameters} | automatic_parameters(schema.event_name))


def _known_item_parameters(items: ParameterSpec) -> list[str]:
    """The item parameters that are never undeclared in ``items``: declared, or GA4's standard ones."""
    return sorted({p.name for p in items.items} | set(ITEM_PARAMETER_COLUMNS))


def parameter_check_query(d: Dialect, relation: str, dates: str | None, schemas: Sequence[EventSchema]) -> SqlQuery:
    """Rows ``(event_name, scope, parameter, kind, events, first_day, last_day, example)``: per
    event of ``schemas``, its ``events`` row and one row per parameter and kind of fault."""
    c = _Compiler(d)
    names = [s.event_name for s in schemas]
    if d.bigquery:
        faults = c.bigquery_entries(schemas)
    else:
        branches = " ".join(f"WHEN {d.value(s.event_name)} THEN {c.entries(s)}" for s in schemas)
        faults = f"CASE t.event_name {branches} END"
    where = ([dates] if dates else []) + [d.values_in("t.event_name", names)]
    i = d.int_type
    # A missing parameter has no example (its entries may carry one: dropped here).
    example = f"MIN(CASE WHEN f.kind = {d.lit('missing')} THEN NULL ELSE f.example END)"
    # An inner SELECT reads each declared parameter's value record once per row (on the rows of
    # the events that declare it).
    inner = (
        f"SELECT t.event_name, t.event_date, t.event_params, t.items{c.value_columns(schemas)} "
        f"FROM {{relation}} AS t WHERE {' AND '.join(where)}"
    )
    inner = inner.replace("{relation}", narrowed(relation, " ".join(export_columns(inner))))
    if d.bigquery:
        rows = f"SELECT t.event_name AS e, t.event_date AS day, {faults} AS v FROM ({inner}) AS t"
        sql = (
            f"SELECT r.e, f.scope, f.parameter, f.kind, CAST(COUNT(*) AS {i}), MIN(r.day), MAX(r.day), {example}\n"
            f"FROM ({rows}) AS r, UNNEST(r.v) AS f WHERE f.kind IS NOT NULL GROUP BY 1, 2, 3, 4"
        )
    else:
        rows = f"SELECT t.event_name AS e, t.event_date AS day, unnest({faults}) AS f FROM ({inner}) AS t"
        sql = (
            f"SELECT e, f.scope, f.parameter, f.kind, CAST(count(*) AS {i}), min(day), max(day), {example}\n"
            f"FROM ({rows}) AS r WHERE f.kind IS NOT NULL GROUP BY ALL"
        )
    assert set(export_columns(sql)) <= set(COLUMNS)
    return SqlQuery(sql, d.parameters, d.name)
