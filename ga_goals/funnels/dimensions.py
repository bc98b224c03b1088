"""Breakdown dimensions of funnels (and the sandbox's reports): how each is computed from export rows.

Event-scoped dimensions are an expression over the export row ``t`` (``t.device.category``...);
session-scoped ones (``sessionSource``...) come from the traffic source of the session the entry
event belongs to (rule 8 of :mod:`ga_goals.funnels.semantics`), computed by a narrow per-session
query (:func:`session_sources_sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ga_goals.funnels.channel_rules import CAMPAIGN, DEFAULT_CHANNEL_RULES, MEDIUM, SOURCE, channel_sql
from ga_goals.funnels.dialect import Dialect, DialectName
from ga_goals.funnels.semantics import (
    EVENT_DIMENSION_FIELDS,
    PAGE_DIMENSION_PARAMETERS,
    SESSION_DIMENSION_DEFAULTS,
    FunnelDefinitionError,
)

#: The traffic-source fields channel rules read (:mod:`ga_goals.funnels.channel_rules` field ->
#: SQL): of the session (over ``s.src``, a row of :func:`session_sources_sql`) and of the user's
#: first visit (the export's ``traffic_source``, over ``t``). A field not listed reads ``(not set)``.
SESSION_CHANNEL_FIELDS = {SOURCE: "s.src.source", MEDIUM: "s.src.medium", CAMPAIGN: "s.src.campaign"}
FIRST_USER_CHANNEL_FIELDS = {
    SOURCE: "t.traffic_source.source",
    MEDIUM: "t.traffic_source.medium",
    CAMPAIGN: "t.traffic_source.name",
}


@dataclass(frozen=True)
class _Breakdown:
    name: str
    scope: Literal["event", "session"]
    #: event scope: SQL over the events table ``t``; session scope: SQL over ``s.src.source``,
    #: ``s.src.medium`` and ``s.src.campaign``, the session's traffic source.
    expr: str
    #: session scope: the value of a session without any traffic source.
    session_default: str | None = None


#: Event dimensions: SQL over the export row ``t`` (rule 3b's fields, one table for both engines).
_EVENT_DIMENSIONS = {name: "t." + ".".join(path) for name, path in EVENT_DIMENSION_FIELDS.items()}
_SESSION_DIMENSIONS = (
    "sessionSource",
    "sessionMedium",
    "sessionCampaignName",
    "sessionSourceMedium",
    "sessionDefaultChannelGroup",
)

#: The breakdown of a trended funnel (rule 9): the entry event's ``event_date`` (``YYYYMMDD``, as
#: GA4's ``date`` dimension writes it).
TREND_DIMENSION = "date"

#: The breakdown dimensions the engine knows (plus ``customEvent:<parameter>`` and ``customUser:<property>``).
BREAKDOWN_DIMENSIONS: tuple[str, ...] = (
    tuple(_EVENT_DIMENSIONS)
    + tuple(PAGE_DIMENSION_PARAMETERS)
    + ("firstUserDefaultChannelGroup",)
    + _SESSION_DIMENSIONS
    + (TREND_DIMENSION,)
)


def _session_sources_sql(d: Dialect, source_table: str, dates: str) -> str:
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


def _breakdown(name: str, d: Dialect) -> _Breakdown:
    if name in _EVENT_DIMENSIONS:
        return _Breakdown(name, "event", _EVENT_DIMENSIONS[name])
    if name in PAGE_DIMENSION_PARAMETERS:
        return _Breakdown(name, "event", d.param(PAGE_DIMENSION_PARAMETERS[name], "text"))
    if name == TREND_DIMENSION:
        return _Breakdown(name, "event", "t.event_date")
    if name == "firstUserDefaultChannelGroup":
        return _Breakdown(name, "event", channel_sql(d, DEFAULT_CHANNEL_RULES, FIRST_USER_CHANNEL_FIELDS))
    if name.startswith("customEvent:") and len(name) > len("customEvent:"):
        return _Breakdown(name, "event", d.param(name.split(":", 1)[1], "text"))
    if name.startswith("customUser:") and len(name) > len("customUser:"):
        return _Breakdown(name, "event", d.user_property(name.split(":", 1)[1]))
    if name in _SESSION_DIMENSIONS:
        source, medium, campaign = "s.src.source", "COALESCE(s.src.medium, '(not set)')", "s.src.campaign"
        default = SESSION_DIMENSION_DEFAULTS.get(name)
        if name == "sessionSource":
            return _Breakdown(name, "session", source, default)
        if name == "sessionMedium":
            return _Breakdown(name, "session", medium, default)
        if name == "sessionCampaignName":
            return _Breakdown(name, "session", f"COALESCE({campaign}, '(not set)')", default)
        if name == "sessionSourceMedium":
            return _Breakdown(name, "session", f"{source} || ' / ' || {medium}", default)
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
    ``"session"`` (``expr`` is SQL over ``s.src.source`` / ``s.src.medium`` /
    ``s.src.campaign``, a row of :func:`session_sources_sql` aliased ``s``; ``session_default``
    is the value of a session without any traffic source). A missing value is NULL in both:
    show it as ``(not set)``. Raises :class:`FunnelDefinitionError` for an unknown dimension.
    """
    return _breakdown(name, Dialect(dialect))


def session_sources_sql(source: str, dates: str, dialect: DialectName = "duckdb") -> str:
    """Rule 8's traffic source of each session: a SELECT of ``uid``, ``sid`` and ``src`` (a struct
    of ``source``, ``medium``, ``campaign``) over ``source`` (a relation aliased ``t``, e.g.
    ``events AS t``) restricted by ``dates`` (a condition on ``t``)."""
    return _session_sources_sql(Dialect(dialect), source, dates)


