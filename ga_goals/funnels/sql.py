"""Funnels compiled to SQL over GA4 export-shaped events, for DuckDB and BigQuery; run in DuckDB.

:func:`compile_funnel` turns a :class:`~ga_goals.model.tracking_plan.Funnel`, a date range and an
optional breakdown dimension into one SQL query that follows ``ga_goals.funnels.semantics``
exactly. The DuckDB and the BigQuery text are built from the same plan; only small pieces differ
(:class:`_Dialect`: the table and its date filter, reading a parameter, regular expressions,
string literals, picking a value at the first event, the last tie-breaker of the event order).
:func:`run_funnel` runs the DuckDB query and returns a
:class:`~ga_goals.funnels.result.FunnelResult`.

How the query works (one scan of the date range, then window functions over each user's
funnel-relevant events; no self-join per step):

1. ``base``: the events of the date range (only those of the funnel's event names, unless a step
   is ``directly_followed``: "the very next event" may be any event), each parameter a filter
   reads looked up once, one boolean per step ("satisfies step k": name and filters, rule 3),
   and each event's position in the user's order (rule 2, ``ROW_NUMBER()``).
2. ``relevant``: the events that satisfy some step.
3. Closed funnel, one level per step k > 1, on the rows that can still matter (those that reached
   step k-1 and the candidates of steps k..n): an event reaches step k when it satisfies step k
   and the latest earlier event that reached step k-1 (``MAX(...) OVER (... ROWS BETWEEN
   UNBOUNDED PRECEDING AND 1 PRECEDING)``) exists and lies within the window; the latest is the
   best candidate for a time window, so this is exact (rule 5). ``directly_followed`` looks at
   the row just before (``LAG``) and checks its position is one less. Open funnel: one level
   computes every transition at once (rule 6).
4. ``per_user``: the deepest step each user reached (closed) or the steps reached and continued
   from (open), and the breakdown value of the entry event (rule 8; session dimensions from a
   narrow per-session scan); then sums per breakdown value, and the totals.

Measured (DuckDB 2.0.1 on 2 cores; 994,022 generated events of 60,000 users over eight weeks,
``generate(store, date(2024, 3, 4), date(2024, 4, 28), users=60000, seed=7)``; best of 7 runs):

==============================================================  ========
query                                                           seconds
==============================================================  ========
``checkout`` of ``configs/shop.yaml`` (closed, 6 steps, two       0.13
windows, a ``value > 0`` filter)
the same, by ``deviceCategory``                                   0.14
the same, by ``sessionDefaultChannelGroup`` (session scope)       0.37
``browse_to_buy`` (open, 4 steps) / by ``deviceCategory``         0.12
``checkout`` with step 2 ``directly_followed`` (orders every      0.46
event, not only the funnel's)
reference scans: read ``user_pseudo_id``, ``event_timestamp``,    0.04
``event_name``, batch fields, ``_row_hash`` of every event
read the ``value`` parameter of every event                       0.07
number every event in its user's order (``ROW_NUMBER()``)         0.39
==============================================================  ========

So a funnel costs little more than reading the columns it needs; a ``directly_followed`` step
costs one ordering of every event of the range, which is what that rule asks for.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ga_goals.events.schema import ROW_HASH, lambda_sql, param, param_value, quote_literal
from ga_goals.funnels.result import NOT_SET, FunnelResult, FunnelRow
from ga_goals.funnels.semantics import (
    DEFAULT_RANK,
    EVENT_RANK,
    NUMERIC_OPS,
    FunnelDefinitionError,
    filter_text,
    validate,
    within_micros,
)
from ga_goals.model.tracking_plan import Funnel, FunnelStep, StepFilter

Dialect = Literal["duckdb", "bigquery"]


class _Dialect:
    """The pieces of SQL that differ between DuckDB and BigQuery."""

    def __init__(self, name: Dialect) -> None:
        if name not in ("duckdb", "bigquery"):
            raise ValueError(f"unknown SQL dialect {name!r} (duckdb or bigquery)")
        self.name = name

    def lit(self, value: str) -> str:
        return quote_literal(value, self.name)

    def table_and_dates(self, table: str, start: date, end: date) -> tuple[str, str]:
        a, b = start.strftime("%Y%m%d"), end.strftime("%Y%m%d")
        if self.name == "bigquery":
            return f"`{table}.events_*` AS t", f"_TABLE_SUFFIX BETWEEN '{a}' AND '{b}'"
        return f"{table} AS t", f"t.event_date BETWEEN '{a}' AND '{b}'"

    def param(self, name: str, kind: str) -> str:
        return param(name, kind, dialect=self.name, column="t.event_params")  # type: ignore[arg-type]

    def user_property(self, name: str) -> str:
        key = self.lit(name)
        if self.name == "bigquery":
            return (
                "(SELECT COALESCE(p.value.string_value, CAST(p.value.int_value AS STRING), "
                "CAST(p.value.double_value AS STRING)) FROM UNNEST(t.user_properties) AS p WITH OFFSET AS o "
                f"WHERE p.key = {key} ORDER BY o LIMIT 1)"
            )
        v = f"list_filter(t.user_properties, {lambda_sql('p', f'p.key = {key}')})[1].value"
        return f"COALESCE({v}.string_value, CAST({v}.int_value AS VARCHAR), CAST({v}.double_value AS VARCHAR))"

    def full_match(self, text: str, pattern: str) -> str:
        if self.name == "bigquery":
            return f"REGEXP_CONTAINS({text}, {self.lit('^(?:' + pattern + ')$')})"
        return f"regexp_full_match({text}, {self.lit(pattern)})"

    def strpos(self, text: str, needle: str) -> str:
        return f"STRPOS({text}, {needle})" if self.name == "bigquery" else f"strpos({text}, {needle})"

    def ends_with(self, text: str, suffix: str) -> str:
        return f"ENDS_WITH({text}, {suffix})" if self.name == "bigquery" else f"ends_with({text}, {suffix})"

    def starts_with(self, text: str, prefix: str) -> str:
        return f"STARTS_WITH({text}, {prefix})" if self.name == "bigquery" else f"starts_with({text}, {prefix})"

    def tiebreak(self) -> str:
        """The last component of the event order (rule 2)."""
        if self.name == "bigquery":
            return "FARM_FINGERPRINT(TO_JSON_STRING(t))"
        return f"t.{ROW_HASH}"

    def first_by(self, value: str, order: str, where: str | None = None) -> str:
        """The value at the smallest ``order`` among rows (that satisfy ``where``) of a group."""
        if self.name == "bigquery":
            v = value if where is None else f"IF({where}, {value}, NULL)"
            return f"ARRAY_AGG({v} IGNORE NULLS ORDER BY {order} LIMIT 1)[SAFE_OFFSET(0)]"
        if where is None:
            return f"arg_min({value}, {order})"
        return f"arg_min({value}, {order}) FILTER (WHERE {where})"

    def first_struct(self, fields: dict[str, str], order: str) -> str:
        """A struct of ``fields`` (name -> SQL) taken from the row with the smallest ``order`` of a group."""
        if self.name == "bigquery":
            inner = ", ".join(f"{sql} AS {name}" for name, sql in fields.items())
            return f"ARRAY_AGG(STRUCT({inner}) ORDER BY {order} LIMIT 1)[SAFE_OFFSET(0)]"
        inner = ", ".join(f"'{name}': {sql}" for name, sql in fields.items())
        return f"arg_min({{{inner}}}, {order})"

    def int_type(self) -> str:
        return "INT64" if self.name == "bigquery" else "BIGINT"


# ---------------------------------------------------------------------------------------------
# Breakdown dimensions

_SEARCH_SOURCES = "google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|naver|search\\.yahoo\\.com"
_SOCIAL_SOURCES = (
    "facebook|fb|instagram|ig|linkedin|lnkd\\.in|twitter|t\\.co|x\\.com|pinterest|reddit|tiktok|youtube|snapchat"
)
_PAID_MEDIUM = "(.*cp.*|ppc|retargeting|paid.*)"


def _channel_group(d: _Dialect, source: str, medium: str, campaign: str) -> str:
    """GA4's default channel group of a source / medium / campaign (Google's rules, in their order, simplified)."""
    s = f"lower(COALESCE({source}, ''))"
    m = f"lower(COALESCE({medium}, ''))"
    c = f"lower(COALESCE({campaign}, ''))"
    cross = "'cross-network'"
    search, social, paid = (
        d.full_match(s, _SEARCH_SOURCES),
        d.full_match(s, _SOCIAL_SOURCES),
        d.full_match(m, _PAID_MEDIUM),
    )
    return (
        "CASE"
        f" WHEN {s} IN ('(direct)', '') AND {m} IN ('(none)', '(not set)', '') THEN 'Direct'"
        f" WHEN {d.strpos(c, cross)} > 0 THEN 'Cross-network'"
        f" WHEN {d.full_match(c, '.*(shop|shopping).*')} AND {paid} THEN 'Paid Shopping'"
        f" WHEN {search} AND {paid} THEN 'Paid Search'"
        f" WHEN {social} AND {paid} THEN 'Paid Social'"
        f" WHEN {m} IN ('display', 'banner', 'expandable', 'interstitial', 'cpm') THEN 'Display'"
        f" WHEN {paid} THEN 'Paid Other'"
        f" WHEN {social} OR {m} IN ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')"
        " THEN 'Organic Social'"
        f" WHEN {search} OR {m} = 'organic' THEN 'Organic Search'"
        f" WHEN {m} IN ('referral', 'app', 'link') THEN 'Referral'"
        f" WHEN {d.full_match(s, 'email|e-mail|e_mail|e mail')} OR {d.full_match(m, 'email|e-mail|e_mail|e mail')}"
        " THEN 'Email'"
        f" WHEN {m} = 'affiliate' THEN 'Affiliates'"
        f" WHEN {m} = 'audio' THEN 'Audio'"
        f" WHEN {s} = 'sms' OR {m} = 'sms' THEN 'SMS'"
        " ELSE 'Unassigned' END"
    )


@dataclass(frozen=True)
class _Breakdown:
    name: str
    scope: Literal["event", "session"]
    #: event scope: SQL over the events table ``t``; session scope: SQL over ``s.src.source``,
    #: ``s.src.medium`` and ``s.src.campaign``, the session's traffic source.
    expr: str
    #: session scope: the value of a session without any traffic source.
    session_default: str | None = None


_EVENT_DIMENSIONS = {
    "deviceCategory": "t.device.category",
    "operatingSystem": "t.device.operating_system",
    "operatingSystemVersion": "t.device.operating_system_version",
    "browser": "t.device.web_info.browser",
    "mobileDeviceBranding": "t.device.mobile_brand_name",
    "mobileDeviceModel": "t.device.mobile_model_name",
    "language": "t.device.language",
    "platform": "t.platform",
    "country": "t.geo.country",
    "region": "t.geo.region",
    "city": "t.geo.city",
    "continent": "t.geo.continent",
    "subContinent": "t.geo.sub_continent",
    "firstUserSource": "t.traffic_source.source",
    "firstUserMedium": "t.traffic_source.medium",
    "firstUserCampaignName": "t.traffic_source.name",
    "streamId": "t.stream_id",
}
_SESSION_DIMENSIONS = (
    "sessionSource",
    "sessionMedium",
    "sessionCampaignName",
    "sessionSourceMedium",
    "sessionDefaultChannelGroup",
)

#: The breakdown dimensions the engine knows (plus ``customEvent:<parameter>`` and ``customUser:<property>``).
BREAKDOWN_DIMENSIONS: tuple[str, ...] = (
    tuple(_EVENT_DIMENSIONS) + ("firstUserDefaultChannelGroup",) + _SESSION_DIMENSIONS
)


def _session_sources_sql(d: _Dialect, source_table: str, dates: str) -> str:
    """Per (user, ga_session_id): the source, medium and campaign of the session's first event that has one.

    Where an event's traffic source is: the last-click record (newer exports), else what the
    event collected (UTM parameters), else the ``source`` / ``medium`` / ``campaign`` event
    parameters (older exports).
    """
    last = "t.session_traffic_source_last_click.manual_campaign"
    cts = "t.collected_traffic_source"
    source = f"COALESCE({last}.source, {cts}.manual_source, {d.param('source', 'text')})"
    medium = f"COALESCE({last}.medium, {cts}.manual_medium, {d.param('medium', 'text')})"
    campaign = f"COALESCE({last}.campaign_name, {cts}.manual_campaign_name, {d.param('campaign', 'text')})"
    first = d.first_struct({"source": "source", "medium": "medium", "campaign": "campaign"}, "ts")
    return (
        f"SELECT uid, sid, {first} AS src FROM (\n"
        f"    SELECT t.user_pseudo_id AS uid, {d.param('ga_session_id', 'int')} AS sid, t.event_timestamp AS ts,\n"
        f"           {source} AS source, {medium} AS medium, {campaign} AS campaign\n"
        f"    FROM {source_table} WHERE {dates} AND t.user_pseudo_id IS NOT NULL\n"
        "  ) AS s WHERE sid IS NOT NULL AND source IS NOT NULL GROUP BY uid, sid"
    )


def _breakdown(name: str, d: _Dialect) -> _Breakdown:
    if name in _EVENT_DIMENSIONS:
        return _Breakdown(name, "event", _EVENT_DIMENSIONS[name])
    if name == "firstUserDefaultChannelGroup":
        ts = "t.traffic_source"
        return _Breakdown(name, "event", _channel_group(d, f"{ts}.source", f"{ts}.medium", f"{ts}.name"))
    if name.startswith("customEvent:") and len(name) > len("customEvent:"):
        return _Breakdown(name, "event", d.param(name.split(":", 1)[1], "text"))
    if name.startswith("customUser:") and len(name) > len("customUser:"):
        return _Breakdown(name, "event", d.user_property(name.split(":", 1)[1]))
    if name in _SESSION_DIMENSIONS:
        source, medium, campaign = "s.src.source", "COALESCE(s.src.medium, '(not set)')", "s.src.campaign"
        if name == "sessionSource":
            return _Breakdown(name, "session", source, "(direct)")
        if name == "sessionMedium":
            return _Breakdown(name, "session", medium, "(none)")
        if name == "sessionCampaignName":
            return _Breakdown(name, "session", f"COALESCE({campaign}, '(not set)')", "(direct)")
        if name == "sessionSourceMedium":
            return _Breakdown(name, "session", f"{source} || ' / ' || {medium}", "(direct) / (none)")
        return _Breakdown(name, "session", _channel_group(d, "s.src.source", "s.src.medium", campaign), "Direct")
    known = ", ".join(BREAKDOWN_DIMENSIONS)
    raise FunnelDefinitionError(
        f"unknown breakdown dimension {name!r}: use one of {known}, customEvent:<parameter> or customUser:<property>"
    )


def dimension_sql(name: str, dialect: Dialect = "duckdb") -> _Breakdown:
    """How the engine computes the dimension ``name`` (:data:`BREAKDOWN_DIMENSIONS`,
    ``customEvent:<parameter>``, ``customUser:<property>``), for other queries that must agree
    with funnel breakdowns (the sandbox's RunReport).

    The result has ``scope``: ``"event"`` (``expr`` is SQL over the events row ``t``) or
    ``"session"`` (``expr`` is SQL over ``s.src.source`` / ``s.src.medium`` /
    ``s.src.campaign``, a row of :func:`session_sources_sql` aliased ``s``; ``session_default``
    is the value of a session without any traffic source). A missing value is NULL in both:
    show it as ``(not set)``. Raises :class:`FunnelDefinitionError` for an unknown dimension.
    """
    return _breakdown(name, _Dialect(dialect))


def session_sources_sql(source: str, dates: str, dialect: Dialect = "duckdb") -> str:
    """Rule 8's traffic source of each session: a SELECT of ``uid``, ``sid`` and ``src`` (a struct
    of ``source``, ``medium``, ``campaign``) over ``source`` (a relation aliased ``t``, e.g.
    ``events AS t``) restricted by ``dates`` (a condition on ``t``)."""
    return _session_sources_sql(_Dialect(dialect), source, dates)


# ---------------------------------------------------------------------------------------------
# Step conditions (rule 3)


def _filter_sql(f: StepFilter, d: _Dialect, value: str) -> str:
    """Rule 3 for one filter; ``value`` is the SQL of the parameter's value struct."""
    op = f.op
    if op in NUMERIC_OPS or (op == "equals" and isinstance(f.value, (int, float)) and not isinstance(f.value, bool)):
        number = param_value(value, "number", dialect=d.name)
        literal = repr(float(f.value))  # type: ignore[arg-type]
        sign = {
            "equals": "=",
            "greater_than": ">",
            "greater_than_or_equal": ">=",
            "less_than": "<",
            "less_than_or_equal": "<=",
        }[op]
        positive = f"{number} {sign} {literal}"
    else:
        text = param_value(value, "text", dialect=d.name)
        if op == "matches":
            pattern = str(f.value) if f.case_sensitive else "(?i)" + str(f.value)
            positive = d.full_match(text, pattern)
        else:
            fold = (lambda s: s) if f.case_sensitive else (lambda s: f"lower({s})")
            t = fold(text)
            if op == "in":
                values = ", ".join(fold(d.lit(filter_text(v))) for v in f.value)  # type: ignore[union-attr]
                positive = f"{t} IN ({values})"
            else:
                v = fold(d.lit(filter_text(f.value)))
                if op == "equals":
                    positive = f"{t} = {v}"
                elif op == "contains":
                    positive = f"{d.strpos(t, v)} > 0"
                elif op == "starts_with":
                    positive = d.starts_with(t, v)
                elif op == "ends_with":
                    positive = d.ends_with(t, v)
                else:
                    raise FunnelDefinitionError(f"unknown filter operator {op!r}")
    positive = f"COALESCE({positive}, FALSE)"
    return f"NOT {positive}" if f.negated else positive


def _step_sql(step: FunnelStep, d: _Dialect, params: dict[str, str]) -> str:
    """Rule 3 for one step over the ``e`` rows (``params``: parameter name -> column of its value)."""
    parts = [f"e.name = {d.lit(step.event)}"] + [_filter_sql(f, d, f"e.{params[f.parameter]}") for f in step.filters]
    return "(" + " AND ".join(parts) + ")"


def _order_sql() -> str:
    """Rule 2's order as SQL over the ``e`` rows."""
    ranks = " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in EVENT_RANK.items())
    return (
        "e.ts, e.batch_page ASC NULLS FIRST, e.batch_ordering ASC NULLS FIRST, e.batch_index ASC NULLS FIRST, "
        f"CASE e.name {ranks} ELSE {DEFAULT_RANK} END, e.name, e.tiebreak"
    )


# ---------------------------------------------------------------------------------------------
# The query


@dataclass(frozen=True)
class CompiledFunnel:
    """A funnel's SQL and how to read its result.

    Each result row is ``(breakdown, is_total, users_1..users_n, continued_1..continued_n)``:
    ``breakdown`` is NULL on the totals row (and on every row without a breakdown).
    """

    sql: str
    dialect: Dialect
    steps: int
    breakdown: str | None

    @property
    def columns(self) -> list[str]:
        n = self.steps
        return (
            ["breakdown", "is_total"]
            + [f"users_{k}" for k in range(1, n + 1)]
            + [f"continued_{k}" for k in range(1, n + 1)]
        )


def compile_funnel(
    funnel: Funnel,
    start: date,
    end: date,
    *,
    breakdown: str | None = None,
    dialect: Dialect = "duckdb",
    table: str | None = None,
) -> CompiledFunnel:
    """The SQL computing ``funnel`` over the events of ``start..end`` (inclusive dates).

    ``table``: DuckDB: the events table (default ``events``), or a parenthesised SELECT of export
    rows with ``_row_hash`` (the sandbox passes ``(SELECT t.* FROM events AS t WHERE ...)`` to
    restrict a funnel to a segment's users); BigQuery: the export dataset,
    ``project.dataset`` (the query reads the daily tables ``events_YYYYMMDD`` of the range through
    ``events_*`` and ``_TABLE_SUFFIX``; intraday tables are not read).
    """
    validate(funnel)
    if end < start:
        raise FunnelDefinitionError(f"the end date {end} is before the start date {start}")
    d = _Dialect(dialect)
    if table is None:
        if dialect == "bigquery":
            raise ValueError("BigQuery needs the export dataset as table='project.dataset'")
        table = "events"
    source, dates = d.table_and_dates(table, start, end)
    steps = funnel.steps
    n = len(steps)
    direct = any(s.directly_followed for s in steps[1:])
    bd = _breakdown(breakdown, d) if breakdown else None
    session_scope = bd is not None and bd.scope == "session"
    one = "1"
    i = d.int_type()

    # Each parameter a filter reads is looked up once, on the events of the steps that filter it.
    params: dict[str, str] = {}
    readers: dict[str, set[str]] = {}
    for step in steps:
        for f in step.filters:
            params.setdefault(f.parameter, f"p{len(params) + 1}")
            readers.setdefault(f.parameter, set()).add(step.event)
    inner = [
        "t.user_pseudo_id AS uid",
        "t.event_timestamp AS ts",
        "t.event_name AS name",
        "t.batch_page_id AS batch_page",
        "t.batch_ordering_id AS batch_ordering",
        "t.batch_event_index AS batch_index",
        f"{d.tiebreak()} AS tiebreak",
    ]
    for name, alias in params.items():
        events = ", ".join(d.lit(x) for x in sorted(readers[name]))
        inner.append(f"CASE WHEN t.event_name IN ({events}) THEN {d.param(name, 'value')} END AS {alias}")
    if session_scope:
        inner.append(f"{d.param('ga_session_id', 'int')} AS sid")
    elif bd is not None:
        inner.append(f"{bd.expr} AS bd")
    where = [dates, "t.user_pseudo_id IS NOT NULL"]
    if not direct:
        names = sorted({s.event for s in steps})
        where.append("t.event_name IN (" + ", ".join(d.lit(x) for x in names) + ")")
    matches = [f"COALESCE({_step_sql(s, d, params)}, FALSE) AS m{k}" for k, s in enumerate(steps, start=1)]
    any_match = " OR ".join(f"m{k}" for k in range(1, n + 1))
    selected = ["e.uid", "e.ts", *matches]
    if session_scope:
        selected.append("e.sid")
    elif bd is not None:
        selected.append("e.bd")
    selected.append(f"ROW_NUMBER() OVER (PARTITION BY e.uid ORDER BY {_order_sql()}) AS pos")
    ctes = [
        (
            f"base AS (\n  SELECT {', '.join(selected)}\n  FROM (\n    SELECT {', '.join(inner)}\n    FROM {source}\n"
            f"    WHERE {' AND '.join(where)}\n  ) AS e\n)"
        )
    ]
    if session_scope:
        ctes.append(f"sessions AS (\n  {_session_sources_sql(d, source, dates)}\n)")
    ctes.append(f"relevant AS (\n  SELECT * FROM base WHERE {any_match}\n)")

    window = "PARTITION BY uid ORDER BY pos"
    looking_back = f"({window} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"

    def transition(k: int, prior: str) -> str:
        """SQL: this row satisfies step k (1-based, k > 1) after a row flagged ``prior``."""
        step = steps[k - 1]
        window_us = within_micros(step)
        if step.directly_followed:
            cond = [
                f"m{k}",
                f"COALESCE(LAG({prior}) OVER ({window}), FALSE)",
                f"LAG(pos) OVER ({window}) = pos - 1",
            ]
            if window_us is not None:
                cond.append(f"ts - LAG(ts) OVER ({window}) <= {window_us}")
        else:
            latest = f"MAX(CASE WHEN {prior} THEN ts END) OVER {looking_back}"
            cond = [f"m{k}", f"{latest} IS NOT NULL"]
            if window_us is not None:
                cond.append(f"ts - {latest} <= {window_us}")
        return "COALESCE(" + " AND ".join(cond) + ", FALSE)"

    if funnel.open:
        transitions = [f"{transition(k, f'm{k - 1}')} AS c{k - 1}" for k in range(2, n + 1)]
        ctes.append(f"levels AS (\n  SELECT *{''.join(', ' + x for x in transitions)}\n  FROM relevant\n)")
        reached = [f"MAX(CASE WHEN m{k} THEN {one} ELSE 0 END) AS r{k}" for k in range(1, n + 1)]
        cont = [f"MAX(CASE WHEN c{k} THEN {one} ELSE 0 END) AS c{k}" for k in range(1, n)]
        per_user = ["uid", *reached, *cont]
        if bd is not None:
            if session_scope:
                per_user.append(d.first_by("sid", "pos") + " AS entry_sid")
            else:
                per_user.append(d.first_by(f"COALESCE(bd, {d.lit(NOT_SET)})", "pos") + " AS bd")
        ctes.append(f"per_user AS (\n  SELECT {', '.join(per_user)}\n  FROM levels GROUP BY uid\n)")
    else:
        # Rows a level needs: its candidates and the rows that reached the prior step (the
        # providers), plus the candidates of later steps. Other rows are dropped level by level.
        ctes.append("level1 AS (\n  SELECT *, m1 AS v1 FROM relevant\n)")
        for k in range(2, n + 1):
            later = " OR ".join([f"v{k - 1}"] + [f"m{j}" for j in range(k, n + 1)])
            ctes.append(
                f"level{k} AS (\n  SELECT *, {transition(k, f'v{k - 1}')} AS v{k}\n"
                f"  FROM (SELECT * FROM level{k - 1} WHERE {later}) AS prior\n)"
            )
        entry = ["uid"]
        if bd is not None:
            if session_scope:
                entry.append(d.first_by("sid", "pos") + " AS entry_sid")
            else:
                entry.append(d.first_by(f"COALESCE(bd, {d.lit(NOT_SET)})", "pos") + " AS bd")
        ctes.append(f"entry AS (\n  SELECT {', '.join(entry)}\n  FROM relevant WHERE m1 GROUP BY uid\n)")
        if n > 1:
            unions = "\n    UNION ALL ".join(f"SELECT uid, {k} AS k FROM level{k} WHERE v{k}" for k in range(2, n + 1))
            ctes.append(f"reach AS (\n  SELECT uid, MAX(k) AS reached FROM (\n    {unions}\n  ) AS r GROUP BY uid\n)")
            reached_sql = ["1 AS r1"] + [
                f"CASE WHEN COALESCE(r.reached, 1) >= {k} THEN 1 ELSE 0 END AS r{k}" for k in range(2, n + 1)
            ]
            join = " LEFT JOIN reach AS r ON r.uid = e.uid"
        else:
            reached_sql, join = ["1 AS r1"], ""
        carried = [f"e.{c.split(' AS ')[-1]}" for c in entry[1:]]
        ctes.append(f"per_user AS (\n  SELECT e.uid, {', '.join(carried + reached_sql)}\n  FROM entry AS e{join}\n)")
    if session_scope:
        default = d.lit(bd.session_default or NOT_SET)  # type: ignore[union-attr]
        ctes.append(
            "entries AS (\n  SELECT p.*, CASE WHEN p.entry_sid IS NULL THEN "
            f"{d.lit(NOT_SET)} WHEN s.uid IS NULL THEN {default} ELSE {bd.expr} END AS bd\n"  # type: ignore[union-attr]
            "  FROM per_user AS p LEFT JOIN sessions AS s ON s.uid = p.uid AND s.sid = p.entry_sid\n)"
        )
        users_from = "entries"
    else:
        users_from = "per_user"
    keep = "r1 = 1" if not funnel.open else "(" + " OR ".join(f"r{k} = 1" for k in range(1, n + 1)) + ")"
    sums = [f"CAST(SUM(r{k}) AS {i}) AS users_{k}" for k in range(1, n + 1)]
    if funnel.open:
        sums += [f"CAST(SUM(c{k}) AS {i}) AS continued_{k}" for k in range(1, n)]
        sums.append(f"CAST(0 AS {i}) AS continued_{n}")
    else:
        sums += [f"CAST(SUM(r{k + 1}) AS {i}) AS continued_{k}" for k in range(1, n)]
        sums.append(f"CAST(0 AS {i}) AS continued_{n}")
    total = (
        f"SELECT CAST(NULL AS {'STRING' if dialect == 'bigquery' else 'VARCHAR'}) AS breakdown, TRUE AS is_total, "
        + ", ".join(sums)
        + f"\nFROM {users_from} WHERE {keep}"
    )
    if bd is None:
        final = total
    else:
        final = (
            "SELECT bd AS breakdown, FALSE AS is_total, "
            + ", ".join(sums)
            + f"\nFROM {users_from} WHERE {keep} GROUP BY bd\nUNION ALL\n"
            + total
        )
    sql = "WITH " + ",\n".join(ctes) + "\n" + final
    return CompiledFunnel(sql=sql, dialect=dialect, steps=n, breakdown=breakdown)


def _result_from_rows(
    funnel: Funnel,
    start: date,
    end: date,
    breakdown: str | None,
    rows: Sequence[Sequence[Any]],
    limit: int | None,
    seconds: float,
) -> FunnelResult:
    n = len(funnel.steps)
    total = FunnelRow(None, tuple([0] * n), tuple([0] * n))
    values = []
    for row in rows:
        value, is_total = row[0], row[1]
        users = tuple(int(x or 0) for x in row[2 : 2 + n])
        continued = tuple(int(x or 0) for x in row[2 + n : 2 + 2 * n])
        if is_total:
            total = FunnelRow(None, users, continued)
        else:
            values.append(FunnelRow(str(value), users, continued))
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
        total=total,
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
) -> FunnelResult:
    """Compute ``funnel`` over ``start..end`` in DuckDB.

    ``store_or_connection`` is an :class:`~ga_goals.events.store.EventStore` or a DuckDB
    connection with an export-shaped ``events`` table (with ``_row_hash``). ``breakdown`` is a
    dimension name (:data:`BREAKDOWN_DIMENSIONS`; the funnel's own ``breakdown`` is not applied
    unless passed here); ``limit`` keeps that many breakdown values (most users first);
    ``table`` as in :func:`compile_funnel`.
    """
    con = getattr(store_or_connection, "connection", store_or_connection)
    compiled = compile_funnel(funnel, start, end, breakdown=breakdown, table=table)
    began = time.perf_counter()
    rows = con.execute(compiled.sql).fetchall()
    return _result_from_rows(funnel, start, end, breakdown, rows, limit, time.perf_counter() - began)


__all__ = [
    "BREAKDOWN_DIMENSIONS",
    "CompiledFunnel",
    "compile_funnel",
    "dimension_sql",
    "run_funnel",
    "session_sources_sql",
]
