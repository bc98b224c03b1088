"""Breakdown dimensions of funnels (and the sandbox's reports): how each is computed from export rows.

Event-scoped dimensions are an expression over the export row ``t`` (``t.device.category``...);
session-scoped ones (``sessionSource``...) come from the traffic source of the session the entry
event belongs to (rule 8 of :mod:`ga_goals.funnels.semantics`), computed by a narrow per-session
query (:func:`session_sources_sql`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ga_goals.funnels.channel_rules import CAMPAIGN, DEFAULT_CHANNEL_RULES, MEDIUM, SOURCE, channel_sql
from ga_goals.funnels.dialect import Dialect, DialectName
from ga_goals.funnels.semantics import (
    EVENT_DIMENSION_FIELDS,
    NEW_VS_RETURNING,
    NOT_SET,
    PAGE_DIMENSION_PARAMETERS,
    SESSION_DIMENSIONS,
    SESSION_SOURCE_FIELDS,
    FunnelDefinitionError,
)

#: The traffic-source fields channel rules read (:mod:`ga_goals.funnels.channel_rules` field ->
#: SQL): of the session (over ``s.src``, a row of :func:`session_sources_sql`) and of the user's
#: first visit (the export's ``traffic_source``, over ``t``). A field not listed reads ``(not set)``.
SESSION_CHANNEL_FIELDS = {
    SOURCE: "s.src.source",
    MEDIUM: "s.src.medium",
    CAMPAIGN: "s.src.campaign",
    # Read by custom groups only (GA4's default rules name none of them), so a funnel's per-session
    # query never reads them (session_source_fields).
    "eachScopeSourcePlatform": "s.src.source_platform",
    "eachScopeCampaignId": "s.src.campaign_id",
    "eachScopeManualAdContent": "s.src.content",
}
FIRST_USER_CHANNEL_FIELDS = {
    SOURCE: "t.traffic_source.source",
    MEDIUM: "t.traffic_source.medium",
    CAMPAIGN: "t.traffic_source.name",
}


@dataclass(frozen=True)
class _Breakdown:
    name: str
    scope: Literal["event", "session"]
    #: event scope: SQL over the events table ``t``; session scope: SQL over ``s.src``, the
    #: session's traffic source (``s.src.source``, ``s.src.medium``...: SESSION_SOURCE_FIELDS).
    expr: str
    #: session scope: the value of a session without any traffic source.
    session_default: str | None = None


#: Event dimensions: SQL over the export row ``t`` (rule 3b's fields, one table for both engines).
_EVENT_DIMENSIONS = {name: "t." + ".".join(path) for name, path in EVENT_DIMENSION_FIELDS.items()}
_SESSION_DIMENSIONS = tuple(SESSION_DIMENSIONS) + ("sessionDefaultChannelGroup",)

#: The breakdown of a trended funnel (rule 9): the entry event's ``event_date`` (``YYYYMMDD``, as
#: GA4's ``date`` dimension writes it).
TREND_DIMENSION = "date"

#: The breakdown dimensions the engine knows (plus ``customEvent:<parameter>`` and ``customUser:<property>``).
BREAKDOWN_DIMENSIONS: tuple[str, ...] = (
    tuple(_EVENT_DIMENSIONS)
    + tuple(PAGE_DIMENSION_PARAMETERS)
    + (NEW_VS_RETURNING,)
    + ("firstUserDefaultChannelGroup",)
    + _SESSION_DIMENSIONS
    + (TREND_DIMENSION,)
)


def session_source_fields(dimensions: Iterable[str]) -> tuple[str, ...]:
    """The fields of SESSION_SOURCE_FIELDS that the session dimensions among ``dimensions`` read
    (``source`` always: it decides which event gives the session's source), so that a query reads
    no more of the export than it shows (on BigQuery, every nested field read is billed)."""
    needed = {"source"}
    for name in dimensions:
        if name in SESSION_DIMENSIONS:
            needed.update(SESSION_DIMENSIONS[name][0])
        elif name in _SESSION_DIMENSIONS:
            needed.update(("medium", "campaign"))
    return tuple(f for f in SESSION_SOURCE_FIELDS if f in needed)


def _session_sources_sql(d: Dialect, source_table: str, dates: str, fields: Iterable[str] | None = None) -> str:
    """Per (user, ga_session_id): the traffic source (SESSION_SOURCE_FIELDS) of the session's first
    event that has a source (only ``fields``, and ``source``, when given).

    Where an event's traffic source is: the last-click record (newer exports), else what the
    event collected (UTM parameters), else the ``source`` / ``medium`` / ``campaign`` / ``term``
    / ``content`` event parameters (older exports).
    """
    last = "t.session_traffic_source_last_click.manual_campaign"
    cts = "t.collected_traffic_source"
    wanted = set(SESSION_SOURCE_FIELDS) if fields is None else {"source", *fields}
    names = tuple(f for f in SESSION_SOURCE_FIELDS if f in wanted)
    columns = []
    # Every field is read, the wanted ones returned: the order among a session's simultaneous
    # first events (rule 8: the smallest record, semantics.source_order) needs all of them.
    for name in SESSION_SOURCE_FIELDS:
        last_field, collected_field, parameter = SESSION_SOURCE_FIELDS[name]
        fallback = f", {d.param(parameter, 'text')}" if parameter else ""
        columns.append(f"COALESCE({last}.{last_field}, {cts}.{collected_field}{fallback}) AS {name}")
    order = ["ts"] + [key for name in SESSION_SOURCE_FIELDS for key in (f"{name} IS NOT NULL", f"COALESCE({name}, '')")]
    first = d.first_struct({name: name for name in names}, order)
    return (
        f"SELECT uid, sid, {first} AS src FROM (\n"
        f"    SELECT t.user_pseudo_id AS uid, {d.param('ga_session_id', 'int')} AS sid, t.event_timestamp AS ts,\n"
        f"           {', '.join(columns)}\n"
        f"    FROM {source_table} WHERE {dates} AND t.user_pseudo_id IS NOT NULL\n"
        "  ) AS s WHERE sid IS NOT NULL AND source IS NOT NULL GROUP BY uid, sid"
    )


def _breakdown(name: str, d: Dialect) -> _Breakdown:
    if name in _EVENT_DIMENSIONS:
        return _Breakdown(name, "event", _EVENT_DIMENSIONS[name])
    if name in PAGE_DIMENSION_PARAMETERS:
        return _Breakdown(name, "event", d.param(PAGE_DIMENSION_PARAMETERS[name], "text"))
    if name == TREND_DIMENSION:
        return _Breakdown(name, "event", "t.event_date")
    if name == NEW_VS_RETURNING:
        n = d.param("ga_session_number", "number")
        return _Breakdown(name, "event", f"CASE WHEN {n} = 1 THEN 'new' WHEN {n} > 1 THEN 'returning' END")
    if name == "firstUserDefaultChannelGroup":
        return _Breakdown(name, "event", channel_sql(d, DEFAULT_CHANNEL_RULES, FIRST_USER_CHANNEL_FIELDS))
    if name.startswith("customEvent:") and len(name) > len("customEvent:"):
        return _Breakdown(name, "event", d.param(name.split(":", 1)[1], "text"))
    if name.startswith("customUser:") and len(name) > len("customUser:"):
        return _Breakdown(name, "event", d.user_property(name.split(":", 1)[1]))
    if name in SESSION_DIMENSIONS:
        parts, default = SESSION_DIMENSIONS[name]
        # A session's source is never NULL (rule 8); the other fields may be.
        shown = [f"s.src.{f}" if f == "source" else f"COALESCE(s.src.{f}, {d.lit(NOT_SET)})" for f in parts]
        return _Breakdown(name, "session", " || ' / ' || ".join(shown), default)
    if name in _SESSION_DIMENSIONS:
        return _Breakdown(name, "session", channel_sql(d, DEFAULT_CHANNEL_RULES, SESSION_CHANNEL_FIELDS), "Direct")
    known = ", ".join(BREAKDOWN_DIMENSIONS)
    raise FunnelDefinitionError(
        f"unknown breakdown dimension {name!r}: use one of {known}, customEvent:<parameter> or customUser:<property>"
    )


def dimension_sql(name: str, dialect: DialectName = "duckdb") -> _Breakdown:
    """How the engine computes the dimension ``name`` (:data:`BREAKDOWN_DIMENSIONS`,
    ``customEvent:<parameter>``, ``customUser:<property>``), for other queries that must agree
    with funnel breakdowns (the sandbox's RunReport).

    The result has ``scope``: ``"event"`` (``expr`` is SQL over the events row ``t``) or
    ``"session"`` (``expr`` is SQL over ``s.src.source``, ``s.src.medium``... (the fields of
    ``SESSION_SOURCE_FIELDS``), a row of :func:`session_sources_sql` aliased ``s``; ``session_default``
    is the value of a session without any traffic source). A missing value is NULL in both:
    show it as ``(not set)``. Raises :class:`FunnelDefinitionError` for an unknown dimension.
    """
    return _breakdown(name, Dialect(dialect))


def session_sources_sql(source: str, dates: str, dialect: DialectName = "duckdb") -> str:
    """Rule 8's traffic source of each session: a SELECT of ``uid``, ``sid`` and ``src`` (a struct
    of the fields of ``SESSION_SOURCE_FIELDS``: ``source``, ``medium``, ``campaign``...) over ``source`` (a relation aliased ``t``, e.g.
    ``events AS t``) restricted by ``dates`` (a condition on ``t``)."""
    return _session_sources_sql(Dialect(dialect), source, dates)


