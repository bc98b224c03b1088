"""The sandbox's traffic-source, landing-page and user fields beyond the funnel engine's.

GA4's definitions (https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema)
and what the export-shaped events table gives for them (docs/sandbox.md, "Traffic source, landing
page and user fields"):

* the session manual campaign fields (``sessionManualAdContent``: utm_content, ``sessionManualTerm``,
  ``sessionManualCampaignId``...) and ``sessionCampaignId`` / ``sessionSourcePlatform`` are
  session-scoped dimensions of the funnel engine (``SESSION_DIMENSIONS`` of
  :mod:`ga_goals.funnels.semantics`, rule 8): registered here for GetMetadata with their UI names;
* ``firstUserManualSource`` / ``Medium`` / ``CampaignName`` and ``newVsReturning`` are event
  dimensions of the funnel engine (the ``traffic_source`` record; ``ga_session_number``);
* ``firstUserManualSourceMedium`` reads ``traffic_source`` like ``firstUserSourceMedium``;
  ``firstSessionDate`` is the date of ``user_first_touch_timestamp`` in the property's time zone;
* ``landingPage`` / ``landingPagePlusQueryString`` (scope ``landing``): the page path (and query)
  of the first ``page_view`` of the event's session within the date range (rule 2's order:
  timestamp, then batch index; the smallest URL on a tie), ``(not set)`` for a session without
  one or an event without ``ga_session_id``;
* the first-user manual fields the ``traffic_source`` record lacks (``firstUserManualAdContent``,
  ``firstUserManualTerm``, ``firstUserCampaignId``...; scope ``first_session``): rule 8's traffic
  source of the user's first session, the session of the user's earliest ``first_visit`` (or
  ``first_open``) event among all the property's events, whatever the date range (the user's
  first acquisition does not depend on the report's dates); ``(not set)`` when that event is not
  stored or that session has no campaign.

The last two kinds need the whole session or the user's history: the sandbox reports them, the
funnel engines do not take them as breakdowns or step conditions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ga_goals.events.schema import param, quote_literal
from ga_goals.funnels.semantics import SESSION_SOURCE_FIELDS

if TYPE_CHECKING:
    from ga_goals.sandbox.reporting import Catalogue

#: A field: (api name, UI name, category, description).
Field = tuple[str, str, str, str]

_TS = "Traffic source"

#: Session and first-user fields the funnel engine computes (``dimension_sql``).
ENGINE_FIELDS: tuple[Field, ...] = (
    ("sessionManualSource", "Session manual source", _TS, "The session's utm_source (as sessionSource)."),
    ("sessionManualMedium", "Session manual medium", _TS, "The session's utm_medium (as sessionMedium)."),
    ("sessionManualCampaignName", "Session manual campaign name", _TS, "The session's utm_campaign."),
    ("sessionManualSourceMedium", "Session manual source / medium", _TS, "The session's manual source and medium."),
    ("sessionManualCampaignId", "Session manual campaign ID", _TS, "The session's utm_id."),
    ("sessionManualTerm", "Session manual term", _TS, "The session's utm_term."),
    ("sessionManualAdContent", "Session manual ad content", _TS, "The session's utm_content."),
    ("sessionManualSourcePlatform", "Session manual source platform", _TS, "The session's utm_source_platform."),
    ("sessionManualCreativeFormat", "Session manual creative format", _TS, "The session's utm_creative_format."),
    ("sessionManualMarketingTactic", "Session manual marketing tactic", _TS, "The session's utm_marketing_tactic."),
    ("sessionCampaignId", "Session campaign ID", _TS, "The id of the session's (manual) campaign."),
    ("sessionSourcePlatform", "Session source platform", _TS, "The source platform of the session's campaign."),
    ("firstUserManualSource", "First user manual source", _TS, "The source that first acquired the user."),
    ("firstUserManualMedium", "First user manual medium", _TS, "The medium that first acquired the user."),
    ("firstUserManualCampaignName", "First user manual campaign name", _TS, "The campaign that first acquired the user."),
    ("newVsReturning", "New / returning", "User", "new in the user's first session (ga_session_number 1), else returning."),
)

#: First-user fields read from the user's first session (scope ``first_session``): field, session source field.
FIRST_SESSION_FIELDS: tuple[tuple[Field, str], ...] = (
    (("firstUserManualAdContent", "First user manual ad content", _TS, "The utm_content that first acquired the user."), "content"),
    (("firstUserManualTerm", "First user manual term", _TS, "The utm_term that first acquired the user."), "term"),
    (("firstUserManualCampaignId", "First user manual campaign ID", _TS, "The utm_id that first acquired the user."), "campaign_id"),
    (("firstUserManualSourcePlatform", "First user manual source platform", _TS, "The utm_source_platform that first acquired the user."), "source_platform"),
    (("firstUserManualCreativeFormat", "First user manual creative format", _TS, "The utm_creative_format that first acquired the user."), "creative_format"),
    (("firstUserManualMarketingTactic", "First user manual marketing tactic", _TS, "The utm_marketing_tactic that first acquired the user."), "marketing_tactic"),
    (("firstUserCampaignId", "First user campaign ID", _TS, "The id of the (manual) campaign that first acquired the user."), "campaign_id"),
    (("firstUserSourcePlatform", "First user source platform", _TS, "The source platform that first acquired the user."), "source_platform"),
)
assert all(f in SESSION_SOURCE_FIELDS for _field, f in FIRST_SESSION_FIELDS)

_URL_PARTS = r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)([^?#]*)(\?[^#]*)?"


def _url_part(url: str, group: int) -> str:
    return f"NULLIF(regexp_extract({url}, {quote_literal(_URL_PARTS)}, {group}), '')"


#: Landing-page fields (scope ``landing``): SQL over ``lp.loc``, the ``page_location`` of the
#: session's first page view (the same URL parts as ``pagePath`` / ``pagePathPlusQueryString``).
LANDING_FIELDS: tuple[tuple[Field, str], ...] = (
    (
        ("landingPage", "Landing page", "Page / screen", "The page path of the first page view of the session."),
        _url_part("lp.loc", 2),
    ),
    (
        (
            "landingPagePlusQueryString", "Landing page + query string", "Page / screen",
            "The page path and query string of the first page view of the session.",
        ),
        f"NULLIF({_url_part('lp.loc', 2)} || COALESCE({_url_part('lp.loc', 3)}, ''), '')",
    ),
)


def event_fields(time_zone: str) -> tuple[tuple[Field, str], ...]:
    """Event-scoped fields over the row ``t`` that the funnel engine does not compute."""
    first_touch = (
        f"strftime(timezone({quote_literal(time_zone)}, to_timestamp(t.user_first_touch_timestamp / 1000000)), '%Y%m%d')"
    )
    return (
        (
            ("firstUserManualSourceMedium", "First user manual source / medium", _TS, "The source and medium that first acquired the user."),
            "t.traffic_source.source || ' / ' || t.traffic_source.medium",
        ),
        (("firstSessionDate", "First session date", "User", "The date of the user's first session, YYYYMMDD."), first_touch),
    )


def landing_pages_sql(table: str, dates: str) -> str:
    """Per (user, ga_session_id) of the events of ``table`` (aliased ``t``) satisfying ``dates``: ``loc``,
    the ``page_location`` of the session's first ``page_view``."""
    sid = param("ga_session_id", "int", column="t.event_params")
    loc = param("page_location", "text", column="t.event_params")
    order = "{'ts': t.event_timestamp, 'b': COALESCE(t.batch_event_index, -1), 'loc': " + loc + "}"
    return (
        f"SELECT t.user_pseudo_id AS uid, {sid} AS sid, arg_min({loc}, {order}) AS loc FROM {table} AS t "
        f"WHERE {dates} AND t.event_name = 'page_view' AND t.user_pseudo_id IS NOT NULL AND {sid} IS NOT NULL "
        "GROUP BY ALL"
    )


def first_sessions_sql(table: str, session_sources: Callable[[str, str], str]) -> str:
    """Per user of ``table``: ``src``, rule 8's traffic source (``session_sources(relation, dates)``) of
    the user's first session: that of their earliest ``first_visit`` / ``first_open`` event."""
    sid = param("ga_session_id", "int", column="t.event_params")
    firsts = (
        f"SELECT t.user_pseudo_id AS uid, arg_min({sid}, {{'ts': t.event_timestamp, 'sid': {sid}}}) AS sid "
        f"FROM {table} AS t WHERE t.event_name IN ('first_visit', 'first_open') AND t.user_pseudo_id IS NOT NULL "
        f"AND {sid} IS NOT NULL GROUP BY ALL"
    )
    return (
        f"SELECT f.uid, s.src FROM ({firsts}) AS f "
        f"JOIN ({session_sources(f'{table} AS t', 'TRUE')}) AS s ON s.uid = f.uid AND s.sid = f.sid"
    )


def register(catalogue: Catalogue, time_zone: str) -> None:
    """Add this module's fields to a property's catalogue."""
    from ga_goals.funnels.sql import dimension_sql
    from ga_goals.sandbox.reporting import Dimension

    dims = catalogue.dimensions
    for api, ui, category, description in ENGINE_FIELDS:
        spec = dimension_sql(api)
        dims[api] = Dimension(api, ui, category, description, spec.scope, spec.expr, spec.session_default)
    for (api, ui, category, description), expr in event_fields(time_zone):
        dims[api] = Dimension(api, ui, category, description, "event", expr)
    for (api, ui, category, description), expr in LANDING_FIELDS:
        dims[api] = Dimension(api, ui, category, description, "landing", expr)
    for (api, ui, category, description), name in FIRST_SESSION_FIELDS:
        dims[api] = Dimension(api, ui, category, description, "first_session", f"fs.src.{name}")
