"""Funnels compiled to SQL over GA4 export-shaped events, for DuckDB and BigQuery; run in DuckDB.

:func:`compile_funnel` turns a :class:`~ga_goals.model.tracking_plan.Funnel`, a date range and an
optional breakdown dimension into one SQL query that follows :mod:`ga_goals.funnels.semantics`
exactly; the DuckDB and the BigQuery text are built from the same plan, the differences live in
:class:`~ga_goals.funnels.dialect.Dialect`. :func:`run_funnel` runs the DuckDB query and returns a
:class:`~ga_goals.funnels.result.FunnelResult`.

Past 600 lines because one query is one plan: the scan, the per-user aggregation and the step
matching share one compiler's state; the dialects, the breakdown dimensions and the channel rules
already have modules of their own.

How the query works: one scan, one aggregation per user, no join, no sort
=========================================================================

1. ``scan``: the events of the date range (only the funnel's event names, unless a step is
   ``directly_followed``: "the very next event" may be any event), each read as three values:
   the user, the event's *moment* (rule 2, one integer: ``event_timestamp * 2048 + batch * 4 +
   rank``) and one boolean per step ("satisfies step k": name and filters, rule 3); plus the
   breakdown value on the rows that can be an entry. Each parameter a filter reads is looked up
   once, on the events of the steps that filter it.
2. ``users``: ONE ``GROUP BY`` user computing, per step, the earliest moment of the events that
   satisfy it and the list of those moments (and the list of every moment of the user when a
   step is directly followed); the latest moment too where the plan decides with it.
3. Per user, step by step (closed funnels), the earliest moment ``t_k`` at which the user reached
   step k: the earliest step-k moment after ``t_(k-1)`` (without a window or a directly-followed
   rule the earliest is all that matters: greedy earliest is optimal for "some later event").
   A step with a window or a directly-followed rule keeps the set of moments that reached the
   prior step and keeps the events whose best prior moment (the latest before them, or the
   moment right before them) satisfies the rule: exact. Open funnels (rule 6): a user is at
   step k when some event satisfies it; continued from k when some event of step k is earlier
   than some event of step k+1 (min < max, no list) or, with a rule on step k+1, when some
   step-(k+1) event satisfies it against step k's moments.
   In BigQuery (``guarded``) the aggregates decide first and the lists are read only for users
   they cannot decide (step events on both sides of ``t_(k-1)``); DuckDB reads every user's
   short lists directly, which measured faster than any guard.
4. ``GROUP BY`` the breakdown value: users per step and users who continued. The totals are the
   sum of the breakdown rows (each user counts under exactly one value), so they need no second
   pass.

The cost is one scan and one hash aggregation by user: no join per step and no sort of the
events (figures against a plain scan and the hand-written self-join: bench/RESULTS.md). On
BigQuery the query reads each needed column once (bytes billed), and plan values are query
parameters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ga_goals.events.schema import COLUMNS, NUMBER_PATTERN, param_value
from ga_goals.funnels.dialect import Dialect, DialectName, QueryParameter, SqlQuery
from ga_goals.funnels.dimensions import (
    BREAKDOWN_DIMENSIONS,
    _breakdown,
    _session_sources_sql,
    dimension_sql,
    session_source_fields,
    session_sources_sql,
)
from ga_goals.funnels.result import NOT_SET, FunnelResult, FunnelRow, NextActions
from ga_goals.funnels.semantics import (
    BATCH_CAP,
    DEFAULT_RANK,
    EVENT_RANK,
    MOMENT_SCALE,
    NUMERIC_OPS,
    SESSION_DIMENSION_DEFAULTS,
    FunnelDefinitionError,
    condition_dimensions,
    condition_event_names,
    filter_text,
    next_action_problem,
    reads_sessions,
    step_dimension_problem,
    validate,
    validate_segment,
    within_micros,
)
from ga_goals.model.tracking_plan import (
    AllOf,
    AnyOf,
    DimensionFilter,
    EventMatch,
    Funnel,
    FunnelStep,
    Not,
    Segment,
    StepCondition,
    StepFilter,
)

# ---------------------------------------------------------------------------------------------
# Rule 2 and rule 3 as SQL over the export row ``t``


def moment_sql(names: Collection[str] | None = None) -> str:
    """Rule 2's moment of the row ``t`` as one integer (see :func:`ga_goals.funnels.semantics.moment`).

    ``names``: the event names the rows can have (None: any); when none of them is ranked, the
    rank is the constant it then is.
    """
    batch = f"GREATEST(LEAST(COALESCE(t.batch_event_index + 1, 0), {BATCH_CAP}), 0)"
    if names is not None and not set(names) & set(EVENT_RANK):
        rank = str(DEFAULT_RANK)
    else:
        rank = "CASE t.event_name " + " ".join(f"WHEN '{n}' THEN {r}" for n, r in EVENT_RANK.items()) + f" ELSE {DEFAULT_RANK} END"
    return f"(t.event_timestamp * {MOMENT_SCALE} + {batch} * 4 + {rank})"


def _compare_sql(op: str, target: Any, case_sensitive: bool, text: str, number: str, d: Dialect) -> str:
    """Rule 3's comparison ``op`` of a value (SQL ``text`` and ``number``) with the plan's ``target``;
    NULL when the value is missing (callers coalesce)."""
    if op == "between":
        low, high = target
        return f"{number} BETWEEN {d.number(float(low))} AND {d.number(float(high))}"
    if op in NUMERIC_OPS or (op == "equals" and isinstance(target, (int, float)) and not isinstance(target, bool)):
        sign = {
            "equals": "=",
            "greater_than": ">",
            "greater_than_or_equal": ">=",
            "less_than": "<",
            "less_than_or_equal": "<=",
        }[op]
        return f"{number} {sign} {d.number(float(target))}"
    if op == "matches":
        pattern = str(target) if case_sensitive else "(?i)" + str(target)
        return d.full_match(text, pattern, from_plan=True)
    fold = (lambda s: s) if case_sensitive else (lambda s: f"lower({s})")
    t = fold(text)
    if op == "in":
        values = ", ".join(fold(d.value(filter_text(v))) for v in target)
        return f"{t} IN ({values})"
    v = fold(d.value(filter_text(target)))
    if op == "equals":
        return f"{t} = {v}"
    if op == "contains":
        return f"{d.strpos(t, v)} > 0"
    if op == "starts_with":
        return d.starts_with(t, v)
    if op == "ends_with":
        return d.ends_with(t, v)
    raise FunnelDefinitionError(f"unknown filter operator {op!r}")


def _filter_sql(f: StepFilter, d: Dialect, value: str) -> str:
    """Rule 3 for one filter; ``value`` is the SQL of the parameter's value struct."""
    text = param_value(value, "text", dialect=d.name)
    number = param_value(value, "number", dialect=d.name)
    positive = f"COALESCE({_compare_sql(f.op, f.value, f.case_sensitive, text, number, d)}, FALSE)"
    return f"NOT {positive}" if f.negated else positive


def _text_number(text: str, d: Dialect) -> str:
    """A text read as a number when it is a plain decimal (rule 3b), else NULL."""
    if d.bigquery:
        return f"IF(REGEXP_CONTAINS({text}, r'{NUMBER_PATTERN}'), CAST({text} AS FLOAT64), NULL)"
    return f"CASE WHEN regexp_full_match({text}, '{NUMBER_PATTERN[1:-1]}') THEN CAST({text} AS DOUBLE) END"


def _dimension_value_sql(name: str, d: Dialect) -> str:
    """Rule 3b's value of a step dimension over the scanned row ``t`` (never NULL).

    Session dimensions read ``t.sid_`` (the event's ``ga_session_id``) and ``s``, the row of
    the ``sessions`` CTE joined to it (:func:`ga_goals.funnels.dimensions.session_sources_sql`).
    """
    if problem := step_dimension_problem(name):
        raise FunnelDefinitionError(problem)
    dim = _breakdown(name, d)
    if dim.scope == "session":
        default = d.lit(dim.session_default or NOT_SET)
        return (
            f"(CASE WHEN t.sid_ IS NULL THEN {d.lit(NOT_SET)} WHEN s.uid IS NULL THEN {default} "
            f"ELSE COALESCE({dim.expr}, {d.lit(NOT_SET)}) END)"
        )
    return f"COALESCE({dim.expr}, {d.lit(NOT_SET)})"


def _dimension_filter_sql(f: DimensionFilter, d: Dialect) -> str:
    """Rule 3b for one dimension condition over the scanned row ``t``."""
    text = _dimension_value_sql(f.dimension, d)
    positive = f"COALESCE({_compare_sql(f.op, f.value, f.case_sensitive, text, _text_number(text, d), d)}, FALSE)"
    return f"NOT {positive}" if f.negated else positive


def _condition_sql(condition: StepCondition, d: Dialect, params: dict[str, str], named: bool) -> str:
    """Rule 3c: a step condition over the scanned row ``t`` (never NULL)."""
    if isinstance(condition, EventMatch):
        parts = [f"t.event_name = {d.value(condition.event)}"] + [
            _filter_sql(f, d, f"t.{params[f.parameter]}") for f in condition.filters
        ]
        if named:
            return "(" + " AND ".join(parts) + ")"
        return "COALESCE(" + " AND ".join(parts) + ", FALSE)"
    if isinstance(condition, DimensionFilter):
        return _dimension_filter_sql(condition, d)
    if isinstance(condition, (AllOf, AnyOf)):
        glue = " AND " if isinstance(condition, AllOf) else " OR "
        return "(" + glue.join(_condition_sql(p, d, params, named) for p in condition.parts) + ")"
    return f"(NOT {_condition_sql(condition.part, d, params, named)})"


def _step_sql(step: FunnelStep, d: Dialect, params: dict[str, str], *, named: bool = False) -> str:
    """Rules 3 to 3c for one step over the scanned row ``t`` (``params``: parameter name -> column).

    ``named``: the rows are known to have an event name (the scan kept only the funnel's names),
    so the comparison needs no NULL guard (filters have their own).
    """
    return _condition_sql(step.condition, d, params, named)


def _event_matches(condition: StepCondition) -> list[EventMatch]:
    """Every :class:`EventMatch` of a condition."""
    if isinstance(condition, EventMatch):
        return [condition]
    if isinstance(condition, (AllOf, AnyOf)):
        return [m for p in condition.parts for m in _event_matches(p)]
    if isinstance(condition, Not):
        return _event_matches(condition.part)
    return []


# ---------------------------------------------------------------------------------------------
# Sources


def bigquery_events_relation(dataset: str, start: date, end: date, d: Dialect, intraday: Sequence[date] = ()) -> str:
    """The export rows of ``start..end`` in BigQuery: the daily tables through ``events_*`` pruned with
    ``_TABLE_SUFFIX``, plus the intraday tables of ``intraday`` (days not exported yet)."""
    check_dataset(dataset)
    daily = (
        f"SELECT * FROM `{dataset}.events_*` WHERE _TABLE_SUFFIX BETWEEN "
        f"{d.date_text(start.strftime('%Y%m%d'))} AND {d.date_text(end.strftime('%Y%m%d'))}"
    )
    if not intraday:
        return f"({daily})"
    days = [day.strftime("%Y%m%d") for day in sorted(set(intraday))]
    extra = f"SELECT * FROM `{dataset}.events_intraday_*` WHERE {d.values_in('_TABLE_SUFFIX', days)}"
    return f"({daily}\n    UNION ALL {extra})"


_COLUMN = re.compile(r"\bt\.([A-Za-z_][A-Za-z0-9_]*)")


def export_columns(sql: str) -> list[str]:
    """The export columns (top level, in schema order) that ``sql`` reads from the row ``t``."""
    named = set(_COLUMN.findall(sql))
    return [c for c in COLUMNS if c in named]


def narrowed(relation: str, columns: str) -> str:
    """``relation`` (a BigQuery relation of :func:`bigquery_events_relation`) selecting only the
    export columns ``columns`` (space-separated), so that BigQuery bills only those; other
    relations are returned as they are (DuckDB prunes columns itself)."""
    names = [c for c in columns.split() if c in COLUMNS]
    if not names or "SELECT * FROM `" not in relation:
        return relation
    return relation.replace("SELECT * FROM `", f"SELECT {', '.join(names)} FROM `")


def check_dataset(dataset: str) -> None:
    """A BigQuery dataset reference ``project.dataset`` that is safe to write into SQL (it cannot be a parameter)."""
    from ga_goals.model.ga4_facts import BIGQUERY_DATASET

    if not BIGQUERY_DATASET.fullmatch(dataset or ""):
        raise FunnelDefinitionError(
            f"{dataset!r} is not a BigQuery dataset: write PROJECT.DATASET, e.g. my-project.analytics_123456789"
        )


# ---------------------------------------------------------------------------------------------
# The query


@dataclass(frozen=True)
class CompiledFunnel:
    """A funnel's SQL, its parameters (BigQuery) and how to read its result.

    Each result row is ``(breakdown, users_1..users_n, continued_1..continued_n)``; ``breakdown``
    is NULL when no breakdown was asked for (then there is one row, or none when nobody entered).
    """

    sql: str
    dialect: DialectName
    steps: int
    breakdown: str | None
    parameters: tuple[QueryParameter, ...] = field(default=())

    @property
    def query(self) -> SqlQuery:
        return SqlQuery(self.sql, self.parameters, self.dialect)

    @property
    def columns(self) -> list[str]:
        n = self.steps
        return ["breakdown"] + [f"users_{k}" for k in range(1, n + 1)] + [f"continued_{k}" for k in range(1, n + 1)]



def _events_relation(
    dialect: DialectName, table: str | None, start: date, end: date, intraday: Sequence[date]
) -> tuple[Dialect, str, str | None]:
    """The dialect, the events relation over ``start..end`` and the date condition on it (None
    when the relation is already pruned to the range: BigQuery's ``_TABLE_SUFFIX``)."""
    if end < start:
        raise FunnelDefinitionError(f"the end date {end} is before the start date {start}")
    d = Dialect(dialect)
    if dialect == "bigquery":
        if not table:
            raise ValueError("BigQuery needs the export dataset as table='project.dataset'")
        return d, bigquery_events_relation(table, start, end, d, intraday), None
    return d, table or "events", f"t.event_date BETWEEN '{start:%Y%m%d}' AND '{end:%Y%m%d}'"

def compile_funnel(
    funnel: Funnel,
    start: date,
    end: date,
    *,
    breakdown: str | None = None,
    dialect: DialectName = "duckdb",
    table: str | None = None,
    intraday: Sequence[date] = (),
    guarded: bool | None = None,
    segment: Segment | None = None,
) -> CompiledFunnel:
    """The SQL computing ``funnel`` over the events of ``start..end`` (inclusive dates).

    ``table``: DuckDB: a relation of export rows (default ``events``; also
    ``read_parquet('...')`` or a parenthesised SELECT); BigQuery: the export dataset
    ``project.dataset`` (the daily tables of the range through ``events_*`` and
    ``_TABLE_SUFFIX``, plus the intraday tables of the days in ``intraday``).

    ``guarded``: per user, decide from the aggregates or read the lists in one expression (one
    pass over the users: BigQuery's plan, the default there) rather than in two branches (the
    default for DuckDB, where a guarded list expression costs more). Both are exact; the tests
    run both plans in DuckDB.

    ``segment``: compute the funnel on the events the segment keeps (rule 11): a user or session
    segment adds one CTE (``segment``: the users or sessions kept, one aggregation over the
    date range's events) joined to the scan; an event segment is a condition of the scan.
    """
    validate(funnel)
    if segment is not None:
        validate_segment(segment)
    d, source, dates = _events_relation(dialect, table, start, end, intraday)
    guarded = d.bigquery if guarded is None else guarded
    sql = _FunnelQuery(funnel, d, source, dates, breakdown, guarded, segment).sql()
    return CompiledFunnel(sql=sql, dialect=dialect, steps=len(funnel.steps), breakdown=breakdown, parameters=d.parameters)


class _FunnelQuery:
    """Builds one funnel's SQL (the steps of the module docstring)."""

    def __init__(
        self,
        funnel: Funnel,
        d: Dialect,
        source: str,
        dates: str | None,
        breakdown: str | None,
        guarded: bool,
        segment: Segment | None = None,
    ) -> None:
        self.funnel = funnel
        self.segment = segment
        self.guarded = guarded
        self.d = d
        self.source = source
        self.dates = dates
        self.steps = funnel.steps
        self.n = len(funnel.steps)
        self.bd = _breakdown(breakdown, d) if breakdown else None
        self.session = self.bd is not None and self.bd.scope == "session"
        #: Steps (1-based, > 1) with a window or a directly-followed rule.
        self.ruled = {k for k in range(2, self.n + 1) if self._has_rule(k)}
        self.direct = any(self.steps[k - 1].directly_followed for k in range(2, self.n + 1))
        #: The event names the scan keeps (rule 3c), None when any event may count.
        self.names: set[str] | None = None
        if not self.direct:
            names = [condition_event_names(s.condition) for s in self.steps]
            if all(n is not None for n in names):
                self.names = set().union(*names)  # type: ignore[arg-type]
        #: The segment's condition and exclusion (rule 11), when there is a segment.
        self.seg_conditions: list[StepCondition] = []
        if segment is not None:
            self.seg_conditions = [segment.condition] + ([segment.exclusion] if segment.exclusion is not None else [])
        #: A segment condition reads a session dimension: the segment's scan joins the sessions.
        self.seg_sessions = reads_sessions(*self.seg_conditions)
        #: The scan joins the sessions (rule 3b): a step condition, or an event segment's, reads a
        #: session dimension.
        self.step_sessions = reads_sessions(*(s.condition for s in self.steps)) or (
            self.seg_sessions and segment is not None and segment.scope == "event"
        )

    def _has_rule(self, k: int) -> bool:
        step = self.steps[k - 1]
        return step.directly_followed or step.within_seconds is not None

    # -- pieces ------------------------------------------------------------------------------------

    def ts(self, moment: str) -> str:
        return self.d.div(moment, MOMENT_SCALE)

    def rule(self, k: int, y: str, prior: str) -> str:
        """SQL: the moment ``y`` of a step-k event satisfies step k's rule against the moments
        ``prior`` (a list) that reached step k-1 (rule 5)."""
        d, step = self.d, self.steps[k - 1]
        window = within_micros(step)
        if step.directly_followed:
            before = d.list_max("a_all", "z", f"z < {y}")
            cond = d.list_contains(prior, before)
            if window is not None:
                cond += f" AND {self.ts(y)} - {self.ts(before)} <= {d.integer(window)}"
            return cond
        latest = d.list_max(prior, "x", f"x < {y}")
        return f"{self.ts(y)} - {self.ts(latest)} <= {d.integer(window or 0)}"

    # -- the query ---------------------------------------------------------------------------------

    def sessions(self) -> tuple[str, str]:
        """The ``sessions`` CTE: rule 8's traffic source of each session (breakdowns, step conditions)."""
        conditions = [s.condition for s in self.steps] + self.seg_conditions
        shown = set().union(*(condition_dimensions(c) for c in conditions)) | ({self.bd.name} if self.bd else set())
        sessions = _session_sources_sql(self.d, "{source} AS t", self.dates or "TRUE", session_source_fields(shown))
        source = narrowed(self.source, " ".join(export_columns(sessions)))
        return ("sessions", sessions.replace("{source}", source))

    def lookups(self, conditions: Sequence[StepCondition]) -> tuple[dict[str, str], list[str]]:
        """The parameters the conditions' filters read: name -> column alias, and the SELECT items
        looking each up once, on the events of the conditions that filter it."""
        params: dict[str, str] = {}
        readers: dict[str, set[str]] = {}
        for condition in conditions:
            for match in _event_matches(condition):
                for f in match.filters:
                    params.setdefault(f.parameter, f"p{len(params) + 1}")
                    readers.setdefault(f.parameter, set()).add(match.event)
        lookups = []
        for name, alias in params.items():
            events = self.d.values_in("t.event_name", sorted(readers[name]))
            lookups.append(f"CASE WHEN {events} THEN {self.d.param(name, 'value')} END AS {alias}")
        return params, lookups

    def segment_cte(self) -> tuple[str, str]:
        """The ``segment`` CTE of a user or session segment (rule 11): the users (``uid``) or
        sessions (``uid``, ``sid``) with an event satisfying the condition and none satisfying
        the exclusion, in one aggregation over the date range's events."""
        d, segment = self.d, self.segment
        assert segment is not None
        params, lookups = self.lookups(self.seg_conditions)
        session = segment.scope == "session"
        if session or self.seg_sessions:
            lookups.append(f"{d.param('ga_session_id', 'int')} AS sid_")
        where = [self.dates] if self.dates else []
        where.append("t.user_pseudo_id IS NOT NULL")
        names = [condition_event_names(c) for c in self.seg_conditions]
        if all(n is not None for n in names):
            where.append(d.values_in("t.event_name", sorted(set().union(*names))))  # type: ignore[arg-type]
        if session:
            where.append(f"{d.param('ga_session_id', 'int')} IS NOT NULL")
        holds = _condition_sql(segment.condition, d, params, False)
        having = [f"{d.count_if(holds)} > 0"]
        if segment.exclusion is not None:
            having.append(f"{d.count_if(_condition_sql(segment.exclusion, d, params, False))} = 0")
        reads = export_columns(" ".join([holds, *having, *lookups, *where]))
        inner = (
            f"SELECT {', '.join('t.' + c for c in reads)}{''.join(', ' + x for x in lookups)} "
            f"FROM {narrowed(self.source, ' '.join(reads))} AS t WHERE {' AND '.join(where)}"
        )
        keys = "t.user_pseudo_id" + (", t.sid_" if session else "")
        names_sql = "t.user_pseudo_id AS uid" + (", t.sid_ AS sid" if session else "")
        join = (
            " LEFT JOIN sessions AS s ON s.uid = t.user_pseudo_id AND s.sid = t.sid_" if self.seg_sessions else ""
        )
        return (
            "segment",
            f"SELECT {names_sql}\n  FROM ({inner}) AS t{join} GROUP BY {keys} HAVING {' AND '.join(having)}",
        )

    def scan(self) -> str:
        d, steps = self.d, self.steps
        segment = self.segment
        event_segment = segment is not None and segment.scope == "event"
        params, lookups = self.lookups([s.condition for s in steps] + (self.seg_conditions if event_segment else []))
        if self.step_sessions or (segment is not None and segment.scope == "session"):
            lookups.append(f"{d.param('ga_session_id', 'int')} AS sid_")
        where = [self.dates] if self.dates else []
        where.append("t.user_pseudo_id IS NOT NULL")
        named = self.names is not None
        if self.names is not None:
            where.append(d.values_in("t.event_name", sorted(self.names)))
        columns = ["t.user_pseudo_id AS uid", f"{moment_sql(self.names)} AS k"]
        columns += [f"{_step_sql(s, d, params, named=named)} AS m{k}" for k, s in enumerate(steps, start=1)]
        if self.bd is not None:
            # The entry condition (rule 8), so that the value is only computed where it can count.
            entry_sql = " OR ".join(_step_sql(s, d, params) for s in (steps if self.funnel.open else steps[:1]))
            if self.session:
                value = f"COALESCE({d.param('ga_session_id', 'int')}, -1)"
            else:
                value = f"COALESCE({self.bd.expr}, {d.lit(NOT_SET)})"
            columns.append(f"CASE WHEN {entry_sql} THEN {value} END AS bd")
        kept = ""
        if event_segment:
            assert segment is not None
            # Rule 11: only the events an event segment keeps.
            conds = [_condition_sql(segment.condition, d, params, False)]
            if segment.exclusion is not None:
                conds.append(f"NOT {_condition_sql(segment.exclusion, d, params, False)}")
            kept = f" WHERE {' AND '.join(conds)}"
        # Only the export columns the scan reads (BigQuery bills every column a query names).
        reads = export_columns(" ".join(columns + lookups + where + [kept]))
        inner = (
            f"SELECT {', '.join('t.' + c for c in reads)}{''.join(', ' + x for x in lookups)} "
            f"FROM {narrowed(self.source, ' '.join(reads))} AS t WHERE {' AND '.join(where)}"
        )
        joins = ""
        if self.step_sessions:
            # Rule 3b: a session dimension is the traffic source of the event's session.
            joins += " LEFT JOIN sessions AS s ON s.uid = t.user_pseudo_id AND s.sid = t.sid_"
        if segment is not None:
            # Rule 11: only the events the segment keeps.
            if segment.scope == "user":
                joins += " JOIN segment AS g ON g.uid = t.user_pseudo_id"
            elif segment.scope == "session":
                joins += " JOIN segment AS g ON g.uid = t.user_pseudo_id AND g.sid = t.sid_"
        return f"SELECT {', '.join(columns)}\n  FROM ({inner}) AS t{joins}{kept}"

    def lists_needed(self) -> set[int]:
        """The steps whose per-user list of moments the exact computation reads."""
        if self.funnel.open:
            return {j for k in self.ruled for j in (k - 1, k)}
        lists = set(range(2, self.n + 1))
        if 2 in self.ruled:
            lists.add(1)
        return lists

    def entry_condition(self) -> str:
        if not self.funnel.open:
            return "m1"
        return "(" + " OR ".join(f"m{k}" for k in range(1, self.n + 1)) + ")"

    def users(self) -> str:
        """Per user: the earliest moment of each step, the latest where the plan decides with it
        (open funnels; the guarded plan), the lists of moments, and the breakdown value."""
        d, n = self.d, self.n
        aggs = ["uid"]
        for k in range(1, n + 1):
            aggs.append(f"{d.agg_min('k', f'm{k}')} AS mn{k}")
            if (k > 1 and self.guarded) or self.funnel.open:
                aggs.append(f"{d.agg_max('k', f'm{k}')} AS mx{k}")
        aggs += self.list_aggs()
        if self.bd is not None:
            aggs.append(f"{d.first_value('bd', 'k', self.entry_condition())} AS bd")
        return f"SELECT {', '.join(aggs)}\n  FROM scan GROUP BY uid"

    def list_aggs(self) -> list[str]:
        d = self.d
        out = [f"{d.list_agg('k', f'm{k}')} AS l{k}" for k in sorted(self.lists_needed())]
        if self.direct:
            out.append(f"{d.list_agg('k', 'TRUE')} AS a_all")
        return out

    # -- closed funnels ----------------------------------------------------------------------------

    def closed_exact(self, source: str, *, guarded: bool) -> list[tuple[str, str]]:
        """Layers computing ``t{k}`` (earliest moment at step k) and ``q{k}`` (every moment that
        reached step k, when step k+1 has a rule) from the lists of ``source``.

        ``guarded``: decide from the aggregates first and read the lists only when they cannot
        tell (BigQuery). Unguarded (DuckDB), every user's lists are read: DuckDB's list lambdas
        over the few moments of a user cost less than the aggregates and branches that would
        avoid them (measured side by side in bench/).
        """
        d, n = self.d, self.n
        first = ["mn1 AS t1"] + (["l1 AS q1"] if 2 in self.ruled else [])
        layers = [("exact1", f"SELECT *, {', '.join(first)} FROM {source}")]
        for k in range(2, n + 1):
            t_prev, mn, mx, lk = f"t{k - 1}", f"mn{k}", f"mx{k}", f"l{k}"
            stop = f"{t_prev} IS NULL OR {mx} IS NULL OR {mx} <= {t_prev}"
            if k in self.ruled:
                reached = d.list_filter(lk, "y", self.rule(k, "y", f"q{k - 1}"))
                if guarded:
                    reached = f"CASE WHEN {stop} THEN NULL ELSE {reached} END"
                layers.append((f"exact{k}r", f"SELECT *, {reached} AS q{k} FROM exact{k - 1}"))
                layers.append((f"exact{k}", f"SELECT *, {d.list_min(f'q{k}')} AS t{k} FROM exact{k}r"))
                continue
            t_sql = d.list_min(lk, "x", f"x > {t_prev}")
            r_sql = d.list_filter(lk, "x", f"x > {t_prev}")
            if guarded:
                t_sql = f"CASE WHEN {stop} THEN NULL WHEN {mn} > {t_prev} THEN {mn} ELSE {t_sql} END"
                r_sql = f"CASE WHEN {stop} THEN NULL ELSE {r_sql} END"
            cols = [f"{t_sql} AS t{k}"] + ([f"{r_sql} AS q{k}"] if k + 1 in self.ruled else [])
            layers.append((f"exact{k}", f"SELECT *, {', '.join(cols)} FROM exact{k - 1}"))
        return layers

    def open_continued(self, k: int, *, guarded: bool) -> str:
        """SQL: the user continued from step k to step k+1 (rule 6). Without a rule on step k+1 the
        earliest and latest moments decide; with one, the lists do (``guarded``: only where the
        moments allow it)."""
        d = self.d
        mn, mx = f"mn{k}", f"mx{k + 1}"
        possible = f"COALESCE({mn} < {mx}, FALSE)"
        if k + 1 not in self.ruled:
            return possible
        exists = d.list_exists(f"l{k + 1}", "y", self.rule(k + 1, "y", f"l{k}"))
        if not guarded:
            return exists
        return f"CASE WHEN {possible} THEN {exists} ELSE FALSE END"

    # -- next actions (rule 10) --------------------------------------------------------------------

    def next_actions_sql(self, dimension: str) -> str:
        """Per step (not the last), the users who left after it and the value of ``dimension`` on
        each one's next event: rows ``(step, value, users)``, ``value`` NULL for the step's total.

        The users and steps come from this funnel's own layers (``t{k}``: the earliest moment at
        which the user reached step k; open funnels: ``mn{k}`` and the continued test); their
        next events from a second scan of every event of the range, joined by user.
        """
        d, n = self.d, self.n
        if problem := next_action_problem(dimension):
            raise FunnelDefinitionError(problem)
        ctes = [self.sessions()] if self.step_sessions else []
        ctes += [("scan", self.scan()), ("users", self.users())]
        parts = []
        if self.funnel.open:
            for k in range(1, n):
                gone = self.open_continued(k, guarded=self.guarded)
                parts.append(f"SELECT uid, {k} AS step, mn{k} AS at_ FROM users WHERE mn{k} IS NOT NULL AND NOT ({gone})")
        else:
            layers = self.closed_exact("users", guarded=self.guarded)
            ctes += layers
            last = layers[-1][0]
            for k in range(1, n):
                parts.append(f"SELECT uid, {k} AS step, t{k} AS at_ FROM {last} WHERE t{k} IS NOT NULL AND t{k + 1} IS NULL")
        ctes.append(("leavers", "\n  UNION ALL ".join(parts)))
        value = f"COALESCE({_breakdown(dimension, d).expr}, {d.lit(NOT_SET)})"
        columns = ["t.user_pseudo_id AS uid", f"{moment_sql()} AS k", f"{value} AS v"]
        where = ([self.dates] if self.dates else []) + ["t.user_pseudo_id IS NOT NULL"]
        reads = export_columns(" ".join(columns + where))
        ctes.append(
            ("later", f"SELECT {', '.join(columns)} FROM {narrowed(self.source, ' '.join(reads))} AS t WHERE {' AND '.join(where)}")
        )
        ctes.append(
            (
                "firsts",
                "SELECT step, uid, v FROM (SELECT l.step, l.uid, e.v, ROW_NUMBER() OVER "
                "(PARTITION BY l.step, l.uid ORDER BY e.k, e.v) AS rn FROM leavers AS l JOIN later AS e "
                "ON e.uid = l.uid AND e.k > l.at_) AS x WHERE rn = 1",
            )
        )
        i = d.int_type
        final = (
            f"SELECT step, CAST(NULL AS {d.string_type}) AS value, CAST(COUNT(*) AS {i}) AS users FROM leavers GROUP BY step\n"
            f"UNION ALL SELECT step, v AS value, CAST(COUNT(*) AS {i}) AS users FROM firsts GROUP BY step, v"
        )
        return "WITH " + ",\n".join(f"{name} AS (\n  {body}\n)" for name, body in ctes) + "\n" + final

    # -- the query ---------------------------------------------------------------------------------

    def sql(self) -> str:
        """One scan, one aggregation per user, then per user the steps reached (closed) or the
        transitions made (open), from the earliest moments and the lists of moments."""
        d, n = self.d, self.n
        # The scan (rule 3b) or the segment (rule 11) joins the sessions.
        with_sessions = self.step_sessions or (self.seg_sessions and self.segment is not None)
        ctes = [self.sessions()] if with_sessions else []
        if self.segment is not None and self.segment.scope != "event":
            ctes.append(self.segment_cte())
        ctes += [("scan", self.scan()), ("users", self.users())]
        carried = ["uid"] + (["bd"] if self.bd is not None else [])
        flags = [f"r{k}" for k in range(1, n + 1)]
        if self.funnel.open:
            keep = "(" + " OR ".join(f"mn{k} IS NOT NULL" for k in range(1, n + 1)) + ")"
            reached = [f"mn{k} IS NOT NULL AS r{k}" for k in range(1, n + 1)]
            # One pass: a rule on a transition means most users with both steps must be looked at,
            # so the lists come with the aggregates. BigQuery guards each look with the aggregates;
            # DuckDB looks at every user (a guarded lambda costs it more than an unguarded one).
            exact = [f"{self.open_continued(k, guarded=self.guarded)} AS c{k}" for k in range(1, n)]
            ctes.append(("per_user", f"SELECT {', '.join(carried + reached + exact)} FROM users WHERE {keep}"))
            continued = [f"c{k}" for k in range(1, n)]
        else:
            exact_flags = [f"t{k} IS NOT NULL AS r{k}" for k in range(1, n + 1)]
            layers = self.closed_exact("users", guarded=self.guarded)
            ctes += layers
            ctes.append(("per_user", f"SELECT {', '.join(carried + exact_flags)} FROM {layers[-1][0]} WHERE t1 IS NOT NULL"))
            continued = [f"r{k + 1}" for k in range(1, n)]
        last = "per_user"
        if self.session:
            assert self.bd is not None
            if not with_sessions:
                ctes.append(self.sessions())
            default = d.lit(self.bd.session_default or NOT_SET)
            value = (
                f"CASE WHEN p.bd = -1 THEN {d.lit(NOT_SET)} WHEN s.uid IS NULL THEN {default} "
                f"ELSE COALESCE({self.bd.expr}, {d.lit(NOT_SET)}) END"
            )
            except_ = "EXCEPT" if d.bigquery else "EXCLUDE"
            ctes.append(
                (
                    "entries",
                    f"SELECT p.* {except_} (bd), {value} AS bd FROM per_user AS p "
                    "LEFT JOIN sessions AS s ON s.uid = p.uid AND s.sid = p.bd",
                )
            )
            last = "entries"
        i = d.int_type
        sums = [f"CAST({d.count_if(r)} AS {i}) AS users_{k}" for k, r in enumerate(flags, start=1)]
        sums += [f"CAST({d.count_if(c)} AS {i}) AS continued_{k}" for k, c in enumerate(continued, start=1)]
        sums.append(f"CAST(0 AS {i}) AS continued_{n}")
        if self.bd is None:
            final = f"SELECT CAST(NULL AS {d.string_type}) AS breakdown, {', '.join(sums)}\nFROM {last}"
        else:
            final = f"SELECT bd AS breakdown, {', '.join(sums)}\nFROM {last} GROUP BY bd"
        return "WITH " + ",\n".join(f"{name} AS (\n  {body}\n)" for name, body in ctes) + "\n" + final


def compile_next_actions(
    funnel: Funnel,
    start: date,
    end: date,
    dimension: str = "eventName",
    *,
    dialect: DialectName = "duckdb",
    table: str | None = None,
    intraday: Sequence[date] = (),
    guarded: bool | None = None,
) -> SqlQuery:
    """The SQL of rule 10 (what users did next after each step they left the funnel at) for
    ``funnel`` over ``start..end``; arguments as :func:`compile_funnel`. Rows ``(step, value,
    users)``: read them with :func:`next_actions_from_rows`. A plain funnel's SQL is not affected."""
    validate(funnel)
    d, source, dates = _events_relation(dialect, table, start, end, intraday)
    guarded = d.bigquery if guarded is None else guarded
    sql = _FunnelQuery(funnel, d, source, dates, None, guarded).next_actions_sql(dimension)
    return SqlQuery(sql, d.parameters, dialect)


def next_actions_from_rows(funnel: Funnel, dimension: str, rows: Sequence[Sequence[Any]]) -> NextActions:
    """The :class:`~ga_goals.funnels.result.NextActions` of a compiled next-action query's rows."""
    left: dict[int, int] = {k: 0 for k in range(1, len(funnel.steps))}
    values: dict[int, dict[str, int]] = {k: {} for k in left}
    for step, value, users in rows:
        if value is None:
            left[int(step)] = int(users)
        else:
            values[int(step)][str(value)] = int(users)
    return NextActions.of(funnel, dimension, left, values)


def run_next_actions(
    store_or_connection: Any, funnel: Funnel, start: date, end: date, dimension: str = "eventName", *, table: str = "events", guarded: bool | None = None
) -> NextActions:
    """Rule 10 for ``funnel`` over ``start..end`` in DuckDB (as :func:`run_funnel`)."""
    con = getattr(store_or_connection, "connection", store_or_connection)
    query = compile_next_actions(funnel, start, end, dimension, table=table, guarded=guarded)
    return next_actions_from_rows(funnel, dimension, con.execute(query.sql).fetchall())


# ---------------------------------------------------------------------------------------------
# Results


def result_from_rows(
    funnel: Funnel,
    start: date,
    end: date,
    breakdown: str | None,
    rows: Sequence[Sequence[Any]],
    limit: int | None = None,
    seconds: float = 0.0,
) -> FunnelResult:
    """A :class:`FunnelResult` from the rows of a compiled funnel (any engine).

    The totals are the sum of the rows (each user counts under exactly one breakdown value),
    taken before ``limit`` cuts the breakdown values.
    """
    n = len(funnel.steps)
    users_total = [0] * n
    continued_total = [0] * n
    values = []
    for row in rows:
        users = tuple(int(x or 0) for x in row[1 : 1 + n])
        continued = tuple(int(x or 0) for x in row[1 + n : 1 + 2 * n])
        users_total = [a + b for a, b in zip(users_total, users)]
        continued_total = [a + b for a, b in zip(continued_total, continued)]
        if breakdown is not None:
            values.append(FunnelRow(str(row[0]), users, continued))
    # Most users first: at the first step, then the later steps, then by name for a stable order.
    values.sort(key=lambda r: (tuple(-u for u in r.users), r.breakdown))
    omitted = 0
    if limit is not None and len(values) > limit:
        omitted = len(values) - limit
        values = values[:limit]
    return FunnelResult(
        funnel=funnel.name,
        step_names=tuple(s.name for s in funnel.steps),
        start=start,
        end=end,
        open=funnel.open,
        total=FunnelRow(None, tuple(users_total), tuple(continued_total)),
        breakdown=breakdown,
        rows=tuple(values),
        omitted_values=omitted,
        seconds=seconds,
    )


def run_funnel(
    store_or_connection: Any,
    funnel: Funnel,
    start: date,
    end: date,
    breakdown: str | None = None,
    *,
    limit: int | None = None,
    table: str = "events",
    guarded: bool | None = None,
    segment: Segment | None = None,
) -> FunnelResult:
    """Compute ``funnel`` over ``start..end`` in DuckDB.

    ``store_or_connection`` is an :class:`~ga_goals.events.store.EventStore` or a DuckDB
    connection; ``table`` a relation of export rows (default ``events``), as in
    :func:`compile_funnel`. ``breakdown`` is a dimension name (:data:`BREAKDOWN_DIMENSIONS`; the
    funnel's own ``breakdown`` is not applied unless passed here); ``limit`` keeps that many
    breakdown values (most users first); ``segment`` restricts the funnel (rule 11).
    """
    con = getattr(store_or_connection, "connection", store_or_connection)
    compiled = compile_funnel(funnel, start, end, breakdown=breakdown, table=table, guarded=guarded, segment=segment)
    began = time.perf_counter()
    rows = con.execute(compiled.sql).fetchall()
    return result_from_rows(funnel, start, end, breakdown, rows, limit, time.perf_counter() - began)


__all__ = [
    "BREAKDOWN_DIMENSIONS",
    "CompiledFunnel",
    "bigquery_events_relation",
    "check_dataset",
    "compile_funnel",
    "compile_next_actions",
    "dimension_sql",
    "next_actions_from_rows",
    "run_next_actions",
    "moment_sql",
    "result_from_rows",
    "run_funnel",
    "session_sources_sql",
]
