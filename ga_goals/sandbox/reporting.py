"""What the sandbox's Data API computes, in DuckDB SQL over one property's events (no grpc here).

* :class:`Catalogue`: the dimensions and metrics a property can report (GetMetadata lists
  exactly these), with the SQL of each;
* :func:`run_report_query`: a RunReport (rows per date range and dimension values, totals);
* :func:`filter_sql`: a Data API ``FilterExpression`` as SQL (dimension filters, segment
  conditions);
* :func:`segment_users_sql`: the users of a v1alpha user segment over a date range.

Dimensions (values are strings; a missing or empty value reads ``(not set)``):

===============================  ==============================================================
``eventName``, ``date``          ``event_name``, ``event_date`` (YYYYMMDD)
device, geo, first-user source   as the funnel engine computes breakdowns
                                 (``ga_goals.funnels.sql.dimension_sql``): ``deviceCategory``,
                                 ``operatingSystem``, ``browser``, ``country``, ``region``,
                                 ``city``, ``firstUserSource``... ``firstUserDefaultChannelGroup``
session traffic source           ``sessionSource``, ``sessionMedium``, ``sessionCampaignName``,
                                 ``sessionSourceMedium``, ``sessionDefaultChannelGroup``: the
                                 source of the event's session (``ga_session_id``) in the date
                                 range, as funnel breakdowns (rule 8 of ``ga_goals.funnels``)
``pageLocation``, ``pageTitle``  the ``page_location`` / ``page_title`` parameters
``customEvent:<parameter>``      the parameter, for event-scoped custom dimensions registered
                                 in the property (Admin state); ``customUser:<property>`` the user
                                 property, for registered user-scoped ones
``dateRange``                    the date range's name (``date_range_N`` when unnamed); added as
                                 the last column when a request has several ranges
===============================  ==============================================================

More dimensions and metrics (time, geography ids, pages and links, revenue and ecommerce,
engagement, item scope) are defined in :mod:`ga_goals.sandbox.report_fields`, traffic-source and
landing-page ones in :mod:`ga_goals.sandbox.traffic_fields`, unified page/screen, ecommerce rates,
session duration and first-time purchasers in :mod:`ga_goals.sandbox.more_fields`, and the rolling
active users (whose windows reach before the date range) in :mod:`ga_goals.sandbox.active_users`.

Metrics: ``eventCount`` (events), ``totalUsers`` (distinct ``user_pseudo_id``),
``activeUsers`` (distinct users whose events are not marked ``is_active_user = false``),
``newUsers`` (users with ``first_visit``), ``sessions`` (distinct (user, ``ga_session_id``)),
``eventCountPerUser`` (events / active users), ``eventValue`` (sum of the ``value``
parameter), ``keyEvents`` (events of the property's key events; a ONCE_PER_SESSION key event
counts once per session) and ``keyEvents:<event>``, ``screenPageViews`` (``page_view`` and
``screen_view`` events), ``purchaseRevenue`` (``ecommerce.purchase_revenue``, else ``value``,
of ``purchase`` / ``in_app_purchase`` events, minus the value of ``refund`` events),
``ecommercePurchases``, ``addToCarts``, ``checkouts`` (``purchase``, ``add_to_cart``,
``begin_checkout`` events) and ``customEvent:<parameter>`` (the sum of the parameter, for
registered custom metrics).

Past 600 lines because it is the SQL of every Data API field in one place: the catalogue, the
filter expressions, the report query, user segments and the events of event create rules all
compile to SQL over the same ``t`` row and columns, and the filter SQL is shared by reports,
funnels and segments. The filter expressions (``leaf_sql`` .. ``metric_matches``) are the seam
to move out next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ga_goals.events.schema import param, quote_literal
from ga_goals.regex import re2_problem
from ga_goals.sandbox import report_fields as _rf
from ga_goals.sandbox import active_users, more_fields, traffic_fields
from ga_goals.sandbox.admin import SandboxError, invalid
from ga_goals.sandbox.channel_fields import add_channel_fields, unknown_channel_field

NOT_SET = "(not set)"
DATE_RANGE = "dateRange"


def unimplemented(message: str) -> SandboxError:
    """A request GA4 would serve but the sandbox cannot (yet)."""
    return SandboxError("UNIMPLEMENTED", f"The GA4 sandbox does not support {message}.")


@dataclass(frozen=True)
class DateSpan:
    """A resolved date range: its name in responses, first and last day (inclusive)."""

    name: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def condition(self, column: str = "t.event_date") -> str:
        return f"{column} BETWEEN '{self.start:%Y%m%d}' AND '{self.end:%Y%m%d}'"


# ---------------------------------------------------------------------------------------------
# The catalogue


@dataclass(frozen=True)
class Dimension:
    api_name: str
    ui_name: str
    category: str
    description: str
    #: ``event``: ``expr`` is SQL over the events row ``t``; ``session``: over ``s.src`` (see
    #: ``ga_goals.funnels.sql.dimension_sql``); ``range``: the date range's name; ``landing``:
    #: over ``lp.loc`` and ``first_session``: over ``fs.src`` (:mod:`ga_goals.sandbox.traffic_fields`).
    scope: str
    expr: str = ""
    session_default: str | None = None
    custom: bool = False
    #: Item-scoped: ``expr`` reads the unnested item ``it`` (one row per item of each event).
    item: bool = False
    #: ``expr`` reads ``r.lo``, the first day of the row's date range (``nthDay``...).
    needs_range: bool = False


@dataclass(frozen=True)
class Metric:
    api_name: str
    ui_name: str
    category: str
    description: str
    type_: str  # MetricType name
    #: An aggregate over the rows of the ``rows`` relation (columns: ri, uid, ev, sid, val, rev,
    #: active, and the ``inputs`` below).
    sql: str
    integer: bool = True
    custom: bool = False
    #: Extra input columns: name -> SQL over ``t``.
    inputs: tuple[tuple[str, str], ...] = ()
    #: Item-scoped: aggregates one row per item of each event (inputs may read ``it``).
    item: bool = False
    #: Rolling active users (:mod:`ga_goals.sandbox.active_users`): the window in days, or the
    #: numerator's and denominator's windows of a ratio; ``sql`` is then unused.
    window: tuple[int, ...] = ()


#: (api name, UI name, category, description) of the standard event-scoped dimensions the funnel
#: engine knows, in GetMetadata order.
_ENGINE_DIMENSIONS = (
    ("deviceCategory", "Device category", "Platform / device", "The type of device: Desktop, Tablet, or Mobile."),
    ("operatingSystem", "Operating system", "Platform / device", "The operating systems used by visitors."),
    ("operatingSystemVersion", "OS version", "Platform / device", "The operating system versions used by visitors."),
    ("browser", "Browser", "Platform / device", "The browsers used to view your website."),
    ("mobileDeviceBranding", "Device brand", "Platform / device", "Manufacturer or branded name."),
    ("mobileDeviceModel", "Device model", "Platform / device", "Mobile device model name."),
    ("language", "Language", "Platform / device", "The language setting of the user's browser or device."),
    ("platform", "Platform", "Platform / device", "The platform on which your app or website ran."),
    ("streamId", "Stream ID", "Platform / device", "The numeric data stream identifier."),
    ("country", "Country", "Geography", "The country from which the user activity originated."),
    ("region", "Region", "Geography", "The geographic region from which the user activity originated."),
    ("city", "City", "Geography", "The city from which the user activity originated."),
    ("continent", "Continent", "Geography", "The continent from which the user activity originated."),
    ("subContinent", "Subcontinent", "Geography", "The subcontinent from which the user activity originated."),
    ("firstUserSource", "First user source", "Traffic source", "The source that first acquired the user."),
    ("firstUserMedium", "First user medium", "Traffic source", "The medium that first acquired the user."),
    ("firstUserCampaignName", "First user campaign", "Traffic source", "The campaign that first acquired the user."),
    (
        "firstUserDefaultChannelGroup",
        "First user default channel group",
        "Traffic source",
        "The default channel group that first acquired the user.",
    ),
    ("sessionSource", "Session source", "Traffic source", "The source that initiated a session."),
    ("sessionMedium", "Session medium", "Traffic source", "The medium that initiated a session."),
    ("sessionCampaignName", "Session campaign", "Traffic source", "The marketing campaign name for a session."),
    ("sessionSourceMedium", "Session source / medium", "Traffic source", "The source and medium of a session."),
    (
        "sessionDefaultChannelGroup",
        "Session default channel group",
        "Traffic source",
        "The session's default channel group, based on its source and medium.",
    ),
)

_KEY_EVENT_PER_SESSION = "ONCE_PER_SESSION"


def _event_count(names: Iterable[str]) -> str:
    values = ", ".join(quote_literal(n) for n in names)
    return f"COUNT(*) FILTER (WHERE ev IN ({values}))"


def _key_events_sql(key_events: Sequence[tuple[str, str]]) -> str:
    """Events of key events: ONCE_PER_EVENT ones each, ONCE_PER_SESSION ones once per session."""
    per_event = [n for n, method in key_events if method != _KEY_EVENT_PER_SESSION]
    per_session = [n for n, method in key_events if method == _KEY_EVENT_PER_SESSION]
    parts = []
    if per_event:
        parts.append(_event_count(per_event))
    if per_session:
        values = ", ".join(quote_literal(n) for n in per_session)
        parts.append(
            f"COUNT(DISTINCT CASE WHEN ev IN ({values}) THEN ev || '#' || COALESCE(uid, '') || '#' || "
            "COALESCE(CAST(sid AS VARCHAR), '') END)"
        )
    return " + ".join(parts) if parts else "0"


_ACTIVE_USERS = "COUNT(DISTINCT CASE WHEN active THEN uid END)"

_STANDARD_METRICS = (
    Metric("activeUsers", "Active users", "User", "Distinct users who visited your site or app.", "TYPE_INTEGER", _ACTIVE_USERS),
    Metric("totalUsers", "Total users", "User", "Distinct users who logged at least one event.", "TYPE_INTEGER", "COUNT(DISTINCT uid)"),
    Metric(
        "newUsers",
        "New users",
        "User",
        "Users who interacted with your site for the first time (first_visit).",
        "TYPE_INTEGER",
        "COUNT(DISTINCT CASE WHEN ev = 'first_visit' THEN uid END)",
    ),
    Metric(
        "sessions",
        "Sessions",
        "Session",
        "Sessions (distinct user and ga_session_id).",
        "TYPE_INTEGER",
        "COUNT(DISTINCT CASE WHEN sid IS NOT NULL THEN uid || '#' || CAST(sid AS VARCHAR) END)",
    ),
    Metric("eventCount", "Event count", "Event", "The count of events.", "TYPE_INTEGER", "COUNT(*)"),
    Metric(
        "eventCountPerUser",
        "Event count per active user",
        "Event",
        "Events per active user.",
        "TYPE_FLOAT",
        f"COALESCE(CAST(COUNT(*) AS DOUBLE) / NULLIF({_ACTIVE_USERS}, 0), 0)",
        integer=False,
    ),
    Metric(
        "eventValue",
        "Event value",
        "Event",
        "The sum of the event parameter named value.",
        "TYPE_FLOAT",
        "COALESCE(SUM(val), 0)",
        integer=False,
    ),
    Metric(
        "screenPageViews",
        "Views",
        "Page / screen",
        "Web pages and app screens viewed (page_view and screen_view events).",
        "TYPE_INTEGER",
        _event_count(("page_view", "screen_view")),
    ),
    Metric(
        "purchaseRevenue",
        "Purchase revenue",
        "Revenue",
        "Revenue of purchase and in_app_purchase events (ecommerce.purchase_revenue, else their value "
        "parameter) minus refund events' value.",
        "TYPE_CURRENCY",
        _rf.PURCHASE,
        integer=False,
        inputs=(("refund", _rf.INPUTS["refund"]),),
    ),
    Metric("ecommercePurchases", "Ecommerce purchases", "Ecommerce", "Purchases completed.", "TYPE_INTEGER", _event_count(("purchase",))),
    Metric("addToCarts", "Add to carts", "Ecommerce", "Times users added items to their carts.", "TYPE_INTEGER", _event_count(("add_to_cart",))),
    Metric("checkouts", "Checkouts", "Ecommerce", "Times users started the checkout.", "TYPE_INTEGER", _event_count(("begin_checkout",))),
)

#: custom and calculated metric measurement unit -> MetricType name (MetricType documents
#: TYPE_STANDARD as "a custom metric of standard type").
UNIT_TYPES = {
    "STANDARD": "TYPE_STANDARD",
    "CURRENCY": "TYPE_CURRENCY",
    "FEET": "TYPE_FEET",
    "METERS": "TYPE_METERS",
    "KILOMETERS": "TYPE_KILOMETERS",
    "MILES": "TYPE_MILES",
    "MILLISECONDS": "TYPE_MILLISECONDS",
    "SECONDS": "TYPE_SECONDS",
    "MINUTES": "TYPE_MINUTES",
    "HOURS": "TYPE_HOURS",
}


@dataclass
class Catalogue:
    """The dimensions and metrics of one property (``custom`` from its Admin state)."""

    dimensions: dict[str, Dimension] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    #: The ids of the property's custom channel groups (:mod:`ga_goals.sandbox.channel_fields`).
    channel_group_ids: tuple[str, ...] = ()

    @classmethod
    def for_property(cls, state: dict[str, Any] | None) -> Catalogue:
        """The catalogue of a property state (None: property 0, the universal list)."""
        from ga_goals.funnels.sql import dimension_sql

        cat = cls()
        cat.dimensions["eventName"] = Dimension("eventName", "Event name", "Event", "The name of the event.", "event", "t.event_name")
        cat.dimensions["date"] = Dimension("date", "Date", "Time", "The date of the event, formatted as YYYYMMDD.", "event", "t.event_date")
        for api, ui, category, description in _ENGINE_DIMENSIONS:
            spec = dimension_sql(api)
            cat.dimensions[api] = Dimension(api, ui, category, description, spec.scope, spec.expr, spec.session_default)
        cat.dimensions["pageLocation"] = Dimension(
            "pageLocation", "Page location", "Page / screen", "The full URL of the page (page_location).", "event",
            param("page_location", column="t.event_params"),
        )
        cat.dimensions["pageTitle"] = Dimension(
            "pageTitle", "Page title", "Page / screen", "The title of the page (page_title).", "event",
            param("page_title", column="t.event_params"),
        )
        for metric in _STANDARD_METRICS:
            cat.metrics[metric.api_name] = metric
        key_events = [
            (k["event_name"], str(k.get("counting_method") or "ONCE_PER_EVENT"))
            for k in (state or {}).get("key_events", [])
            if not k.get("_archived")
        ]
        time_zone = str((state or {}).get("property", {}).get("time_zone") or "UTC")
        _add_report_fields(cat, key_events, time_zone)
        add_channel_fields(cat, state)
        traffic_fields.register(cat, time_zone)
        more_fields.register(cat, state, time_zone)
        active_users.register(cat)
        if state is None:
            cat.metrics["keyEvents"] = _key_events_metric("keyEvents", ())
            return cat
        cat.metrics["keyEvents"] = _key_events_metric("keyEvents", key_events)
        for name, method in key_events:
            api = f"keyEvents:{name}"
            cat.metrics[api] = _key_events_metric(api, [(name, method)])
        for d in state.get("custom_dimensions", []):
            if d.get("_archived"):
                continue
            scope, parameter = str(d.get("scope") or ""), d.get("parameter_name", "")
            ui, description = d.get("display_name") or parameter, d.get("description") or ""
            if scope == "EVENT":
                api = f"customEvent:{parameter}"
                spec = dimension_sql(api)
                cat.dimensions[api] = Dimension(api, ui, "Custom", description, "event", spec.expr, custom=True)
            elif scope == "USER":
                api = f"customUser:{parameter}"
                spec = dimension_sql(api)
                cat.dimensions[api] = Dimension(api, ui, "Custom", description, "event", spec.expr, custom=True)
            elif scope == "ITEM":
                from ga_goals.sandbox.report_fields import item_p

                api = f"customItem:{parameter}"
                cat.dimensions[api] = Dimension(api, ui, "Custom", description, "event", item_p(parameter), custom=True, item=True)
        for m in state.get("custom_metrics", []):
            if m.get("_archived"):
                continue
            parameter = m.get("parameter_name", "")
            api = f"customEvent:{parameter}"
            column = f"cm{len([x for x in cat.metrics.values() if x.custom]) + 1}"
            unit = str(m.get("measurement_unit") or "STANDARD")
            cat.metrics[api] = Metric(
                api,
                m.get("display_name") or parameter,
                "Custom",
                m.get("description") or "",
                UNIT_TYPES.get(unit, "TYPE_FLOAT"),
                f"COALESCE(SUM({column}), 0)",
                integer=False,
                custom=True,
                inputs=((column, param(parameter, "number", column="t.event_params")),),
            )
        return cat

    def dimension(self, name: str, *, where: str = "") -> Dimension:
        """The dimension ``name``; else UNIMPLEMENTED when GA4 has it, INVALID_ARGUMENT (as GA4 words
        it, with a did-you-mean from GA4's schema) when GA4 does not (:mod:`ga_goals.sandbox.ga4_schema`)."""
        if name == DATE_RANGE:
            return Dimension(DATE_RANGE, "Date range", "Other", "The name of the date range.", "range")
        found = self.dimensions.get(name)
        if found is not None:
            return found
        raise self._unknown(name, "dimension", where)

    def metric(self, name: str, *, where: str = "") -> Metric:
        """The metric ``name``; else as :meth:`dimension` decides."""
        found = self.metrics.get(name)
        if found is not None:
            return found
        raise self._unknown(name, "metric", where)

    def _unknown(self, name: str, kind: str, where: str) -> SandboxError:
        from ga_goals.sandbox.ga4_schema import custom_prefix, ga4_schema, is_ga4_dimension, is_ga4_metric, suggestion

        if (channel := unknown_channel_field(name, kind, self, where)) is not None:
            return channel
        other = "metric" if kind == "dimension" else "dimension"
        mine, theirs = (self.dimensions, self.metrics) if kind == "dimension" else (self.metrics, self.dimensions)
        has = is_ga4_dimension if kind == "dimension" else is_ga4_metric
        has_other = is_ga4_metric if kind == "dimension" else is_ga4_dimension
        if name in theirs or (has_other(name) and not has(name)):
            return invalid(f"Field {name} is a {other}, not a {kind}.{where}")
        if has(name):
            return unimplemented(
                f"the {kind} {name} (GA4 has it; the sandbox computes the fields GetMetadata lists, "
                "see docs/sandbox.md for the gaps)"
            )
        head = f"Field {name} is not a valid {kind}.{where}"
        if custom_prefix(name):
            return invalid(
                f"{head} Custom dimensions and metrics must be registered in the property (Admin API) before "
                "they can be reported."
            )
        custom = tuple(k for k, v in mine.items() if getattr(v, "custom", False))
        close = suggestion(name, kind, custom)
        if close is None:
            return invalid(f"{head} For a list of valid dimensions and metrics, call GetMetadata.")
        renamed = ga4_schema().renamed.get(name)
        note = f" ({name} was renamed {renamed})" if renamed else ""
        return invalid(f"{head} Did you mean {close}?{note}")


def check_compatible(dimensions: Sequence[Dimension], metrics: Sequence[Metric], where: str = "") -> None:
    """Item-scoped dimensions go with item-scoped metrics only (GA4 refuses other mixes as incompatible)."""
    items = [d.api_name for d in dimensions if d.item]
    others = [m.api_name for m in metrics if not m.item]
    if items and others:
        raise invalid(
            f"{where}Please remove {items[0]} to make the request compatible. The request's dimensions & metrics "
            f"are incompatible: item-scoped dimensions ({', '.join(items)}) go with item-scoped metrics "
            f"(itemRevenue, itemsViewed, itemsPurchased...), not {', '.join(others)}."
        )


def _add_report_fields(cat: Catalogue, key_events: Sequence[tuple[str, str]], time_zone: str) -> None:
    """The fields of :mod:`ga_goals.sandbox.report_fields` (time, ids, pages, revenue, items...)."""
    from ga_goals.sandbox import report_fields as rf

    for api, ui, category, description, expr in rf.time_dimensions(time_zone) + rf.event_dimensions():
        cat.dimensions.setdefault(api, Dimension(api, ui, category, description, "event", expr))
    for api, ui, category, description, expr in rf.nth_dimensions(time_zone):
        cat.dimensions[api] = Dimension(api, ui, category, description, "event", expr, needs_range=True)
    cat.dimensions["isKeyEvent"] = Dimension(
        "isKeyEvent", "Is key event", "Event", "'true' if the event is a key event.", "event",
        rf.is_key_event_sql([n for n, _m in key_events]),
    )
    for api, ui, expr in rf.ITEM_DIMENSIONS:
        cat.dimensions[api] = Dimension(api, ui, "Ecommerce", f"{ui} of the ecommerce item.", "event", expr, item=True)
    for api, ui, category, description, type_, sql, integer, input_names in rf.EVENT_METRICS:
        inputs = tuple((n, rf.INPUTS[n]) for n in input_names)
        cat.metrics[api] = Metric(api, ui, category, description, type_, sql, integer=integer, inputs=inputs)
    item_inputs = tuple(rf.ITEM_INPUTS.items())
    for api, ui, description, type_, sql, integer in rf.ITEM_METRICS:
        cat.metrics[api] = Metric(api, ui, "Ecommerce", description, type_, sql, integer=integer, inputs=item_inputs, item=True)
    # Key event rates (per session and per user, as fractions).
    if key_events:
        names = ", ".join(quote_literal(n) for n, _m in key_events)
        with_key = f"ev IN ({names})"
    else:
        with_key = "FALSE"
    cat.metrics["sessionKeyEventRate"] = Metric(
        "sessionKeyEventRate", "Session key event rate", "Session", "Sessions with a key event, per session.",
        "TYPE_FLOAT", rf.ratio(f"COUNT(DISTINCT CASE WHEN sid IS NOT NULL AND {with_key} THEN {rf.SESSION_KEY} END)", rf.SESSIONS),
        integer=False,
    )
    cat.metrics["userKeyEventRate"] = Metric(
        "userKeyEventRate", "User key event rate", "User", "Active users with a key event, per active user.",
        "TYPE_FLOAT", rf.ratio(f"COUNT(DISTINCT CASE WHEN active AND {with_key} THEN uid END)", rf.ACTIVE_USERS),
        integer=False,
    )


def _key_events_metric(api: str, key_events: Sequence[tuple[str, str]]) -> Metric:
    single = api != "keyEvents"
    return Metric(
        api,
        f"Key events ({key_events[0][0]})" if single and key_events else "Key events",
        "Event",
        "The count of key events." if not single else f"The count of {key_events[0][0]} key events.",
        "TYPE_FLOAT",
        _key_events_sql(key_events),
    )


# ---------------------------------------------------------------------------------------------
# Filters


def enum_name(value: Any) -> str:
    """A proto enum's name (``"EXACT"``), whether the message holds the enum or its name."""
    return str(getattr(value, "name", value))


def numeric_value(value: Any) -> float:
    """A ``NumericValue`` as a Python number (0 when unset)."""
    if "double_value" in value:
        return float(value.double_value)
    return float(value.int64_value)


def _literal_number(x: float) -> str:
    return repr(float(x))


def _check_regex(pattern: str, where: str) -> None:
    if problem := re2_problem(pattern):
        raise invalid(f"{where}: invalid regular expression {pattern!r}: {problem}")


def leaf_sql(f: Any, text: str, number: str, where: str) -> str:
    """One filter (a message with one of ``string_filter``, ``in_list_filter``, ``numeric_filter``,
    ``between_filter``, ``empty_filter``) over a value given as text SQL and as number SQL."""
    if "string_filter" in f:
        s = f.string_filter
        match = enum_name(s.match_type)
        value = s.value
        if match in ("FULL_REGEXP", "PARTIAL_REGEXP"):
            _check_regex(value, where)
            pattern = quote_literal(value if s.case_sensitive else "(?i)" + value)
            fn = "regexp_full_match" if match == "FULL_REGEXP" else "regexp_matches"
            return f"COALESCE({fn}({text}, {pattern}), FALSE)"
        t, v = (text, quote_literal(value)) if s.case_sensitive else (f"lower({text})", f"lower({quote_literal(value)})")
        if match in ("EXACT", "MATCH_TYPE_UNSPECIFIED", "0"):
            cond = f"{t} = {v}"
        elif match == "BEGINS_WITH":
            cond = f"starts_with({t}, {v})"
        elif match == "ENDS_WITH":
            cond = f"ends_with({t}, {v})"
        elif match == "CONTAINS":
            cond = f"strpos({t}, {v}) > 0"
        else:
            raise invalid(f"{where}: unknown string match type {match}")
        return f"COALESCE({cond}, FALSE)"
    if "in_list_filter" in f:
        values = list(f.in_list_filter.values)
        if not values:
            raise invalid(f"{where}: inListFilter needs at least one value")
        if f.in_list_filter.case_sensitive:
            items = ", ".join(quote_literal(v) for v in values)
            return f"COALESCE({text} IN ({items}), FALSE)"
        items = ", ".join(quote_literal(v.lower()) for v in values)
        return f"COALESCE(lower({text}) IN ({items}), FALSE)"
    if "numeric_filter" in f:
        n = f.numeric_filter
        op = {
            "EQUAL": "=",
            "LESS_THAN": "<",
            "LESS_THAN_OR_EQUAL": "<=",
            "GREATER_THAN": ">",
            "GREATER_THAN_OR_EQUAL": ">=",
        }.get(enum_name(n.operation))
        if op is None:
            raise invalid(f"{where}: numericFilter needs an operation (EQUAL, LESS_THAN, GREATER_THAN...)")
        return f"COALESCE({number} {op} {_literal_number(numeric_value(n.value))}, FALSE)"
    if "between_filter" in f:
        b = f.between_filter
        low, high = numeric_value(b.from_value), numeric_value(b.to_value)
        return f"COALESCE({number} BETWEEN {_literal_number(low)} AND {_literal_number(high)}, FALSE)"
    if "empty_filter" in f:
        return f"COALESCE({text} IN ('', {quote_literal(NOT_SET)}), TRUE)"
    raise invalid(f"{where}: the filter has no condition (stringFilter, inListFilter, numericFilter, betweenFilter)")


@dataclass
class FilterCount:
    leaves: int = 0


def filter_sql(expression: Any, column: Callable[[str], str], where: str, count: FilterCount | None = None) -> str:
    """A ``FilterExpression`` (v1beta or v1alpha) as SQL; ``column(field_name)`` gives a field's
    text SQL (its number is ``TRY_CAST(text AS DOUBLE)``)."""
    count = count if count is not None else FilterCount()
    if "and_group" in expression or "or_group" in expression:
        group = expression.and_group if "and_group" in expression else expression.or_group
        parts = [filter_sql(e, column, where, count) for e in group.expressions]
        if not parts:
            return "TRUE" if "and_group" in expression else "FALSE"
        joiner = " AND " if "and_group" in expression else " OR "
        return "(" + joiner.join(parts) + ")"
    if "not_expression" in expression:
        return f"(NOT {filter_sql(expression.not_expression, column, where, count)})"
    if "filter" in expression:
        f = expression.filter
        if not f.field_name:
            raise invalid(f"{where}: a filter needs a fieldName")
        text = column(f.field_name)
        count.leaves += 1
        return leaf_sql(f, text, f"TRY_CAST({text} AS DOUBLE)", f"{where} ({f.field_name})")
    raise invalid(f"{where}: an empty filter expression")


def filter_fields(expression: Any) -> list[str]:
    """Field names a ``FilterExpression`` reads."""
    if "and_group" in expression or "or_group" in expression:
        group = expression.and_group if "and_group" in expression else expression.or_group
        return [name for e in group.expressions for name in filter_fields(e)]
    if "not_expression" in expression:
        return filter_fields(expression.not_expression)
    if "filter" in expression:
        return [expression.filter.field_name]
    return []


def display(expr: str) -> str:
    """A dimension value as shown: text, ``(not set)`` when missing or empty."""
    return f"COALESCE(NULLIF(CAST({expr} AS VARCHAR), ''), {quote_literal(NOT_SET)})"


def event_dimension_sql(dimension: Dimension, where: str) -> str:
    """A dimension's displayed value as SQL over the events row ``t`` (event scope only)."""
    if dimension.scope != "event" or dimension.item or dimension.needs_range:
        raise unimplemented(f"{dimension.api_name} {where} (only event-scoped dimensions can be used there)")
    return display(dimension.expr)


def metric_matches(expression: Any, values: dict[str, float], where: str) -> bool:
    """A metric ``FilterExpression`` on one row's metric values (numeric and between filters)."""
    if "and_group" in expression:
        return all(metric_matches(e, values, where) for e in expression.and_group.expressions)
    if "or_group" in expression:
        return any(metric_matches(e, values, where) for e in expression.or_group.expressions)
    if "not_expression" in expression:
        return not metric_matches(expression.not_expression, values, where)
    if "filter" not in expression:
        raise invalid(f"{where}: an empty filter expression")
    f = expression.filter
    x = values[f.field_name]
    if "numeric_filter" in f:
        target = numeric_value(f.numeric_filter.value)
        op = enum_name(f.numeric_filter.operation)
        if op == "EQUAL":
            return x == target
        if op == "LESS_THAN":
            return x < target
        if op == "LESS_THAN_OR_EQUAL":
            return x <= target
        if op == "GREATER_THAN":
            return x > target
        if op == "GREATER_THAN_OR_EQUAL":
            return x >= target
        raise invalid(f"{where}: numericFilter needs an operation")
    if "between_filter" in f:
        return numeric_value(f.between_filter.from_value) <= x <= numeric_value(f.between_filter.to_value)
    if "empty_filter" in f:
        return x == 0
    raise invalid(f"{where} ({f.field_name}): metrics take numericFilter or betweenFilter only")


# ---------------------------------------------------------------------------------------------
# RunReport


@dataclass
class ReportResult:
    """Rows as (range index, dimension values (without dateRange), metric values), and totals per range."""

    rows: list[tuple[int, tuple[str, ...], tuple[float, ...]]]
    totals: dict[int, tuple[float, ...]]


def _ranges_cte(spans: Sequence[DateSpan]) -> str:
    values = ", ".join(
        f"({i}, '{s.start:%Y%m%d}', '{s.end:%Y%m%d}', {quote_literal(s.name)})" for i, s in enumerate(spans)
    )
    return f"ranges(ri, lo, hi, rname) AS (VALUES {values})"


def report_sql(
    catalogue: Catalogue,
    dimensions: Sequence[Dimension],
    metrics: Sequence[Metric],
    spans: Sequence[DateSpan],
    dimension_filter: Any | None = None,
    *,
    count: FilterCount | None = None,
    table: str = "events",
) -> tuple[str, str]:
    """(rows SQL, totals SQL) of a report of ``dimensions`` (dateRange excluded: every row has
    its range index ``ri``) and ``metrics`` per date range, events restricted by
    ``dimension_filter``. Rows: ``ri, d1..dn, m1..mk``; totals: ``ri, m1..mk``."""
    from ga_goals.funnels.sql import session_sources_sql

    shown = [d for d in dimensions if d.scope != "range"]
    every: dict[str, Dimension] = {d.api_name: d for d in shown}
    if dimension_filter is not None:
        for name in filter_fields(dimension_filter):
            if name in catalogue.metrics and name not in catalogue.dimensions:
                raise invalid(f"Field {name} is a metric: dimensionFilter takes dimensions (use metricFilter).")
            every.setdefault(name, catalogue.dimension(name, where=" (dimensionFilter)"))
    alias = {name: ("rname" if d.scope == "range" else f"d{i + 1}") for i, (name, d) in enumerate(every.items())}

    inputs: dict[str, str] = {
        "uid": "t.user_pseudo_id",
        "ev": "t.event_name",
        "sid": param("ga_session_id", "int", column="t.event_params"),
        "active": "COALESCE(t.is_active_user, TRUE)",
    }
    text = " ".join(m.sql for m in metrics)
    if re.search(r"\bval\b", text):
        inputs["val"] = param("value", "number", column="t.event_params")
    if re.search(r"\brev\b", text):
        inputs["rev"] = "t.ecommerce.purchase_revenue"
    for m in metrics:
        inputs.update(dict(m.inputs))
    src = [f"{sql} AS {name}" for name, sql in inputs.items()]
    # Item scope: one row per item of each event (GA4's item-scoped dimensions and metrics).
    item_scope = any(d.item for d in every.values()) or any(m.item for m in metrics)
    items = " CROSS JOIN UNNEST(t.items) AS u(it)" if item_scope else ""
    joined_dims = []
    scopes = set()
    for name, d in every.items():
        if d.scope == "event":
            src.append(f"{display(d.expr)} AS {alias[name]}")
        elif d.scope in ("session", "landing"):
            # A session's value; an event without ga_session_id is in no session.
            default = d.session_default if d.scope == "session" else None
            missing = "s.uid IS NULL" if d.scope == "session" else "lp.uid IS NULL"
            joined_dims.append(
                f"CASE WHEN src.sid IS NULL THEN {quote_literal(NOT_SET)} "
                f"WHEN {missing} THEN {quote_literal(default or NOT_SET)} "
                f"ELSE {display(d.expr)} END AS {alias[name]}"
            )
        elif d.scope == "first_session":
            joined_dims.append(f"{display(d.expr)} AS {alias[name]}")
        scopes.add(d.scope)
    ctes = [
        _ranges_cte(spans),
        "src AS (\n  SELECT r.ri, r.rname, " + ", ".join(src) + f"\n  FROM {table} AS t{items} JOIN ranges AS r "
        "ON t.event_date BETWEEN r.lo AND r.hi\n)",
    ]
    joins = []
    if "session" in scopes:
        sessions = "\n  UNION ALL ".join(
            f"SELECT {i} AS ri, x.* FROM ({session_sources_sql(f'{table} AS t', span.condition())}) AS x"
            for i, span in enumerate(spans)
        )
        ctes.append(f"sessions AS (\n  {sessions}\n)")
        joins.append(" LEFT JOIN sessions AS s ON s.ri = src.ri AND s.uid = src.uid AND s.sid = src.sid")
    if "landing" in scopes:
        landings = "\n  UNION ALL ".join(
            f"SELECT {i} AS ri, x.* FROM ({traffic_fields.landing_pages_sql(table, span.condition())}) AS x"
            for i, span in enumerate(spans)
        )
        ctes.append(f"landings AS (\n  {landings}\n)")
        joins.append(" LEFT JOIN landings AS lp ON lp.ri = src.ri AND lp.uid = src.uid AND lp.sid = src.sid")
    if "first_session" in scopes:
        ctes.append(f"first_sessions AS (\n  {traffic_fields.first_sessions_sql(table, session_sources_sql)}\n)")
        joins.append(" LEFT JOIN first_sessions AS fs ON fs.uid = src.uid")
    if joined_dims:
        ctes.append("joined AS (\n  SELECT src.*, " + ", ".join(joined_dims) + "\n  FROM src" + "".join(joins) + "\n)")
        base = "joined"
    else:
        base = "src"
    where = ""
    if dimension_filter is not None:
        where = " WHERE " + filter_sql(dimension_filter, lambda name: alias[name], "dimensionFilter", count)
    ctes.append(f"rows AS (SELECT * FROM {base}{where})")
    windowed = any(m.window for m in metrics)
    if windowed:  # rolling active users read the days before the range (active_users.py)
        active_users.check_dimensions(list(every.values()), metrics)
        columns = [f"{display(d.expr)} AS {alias[n]}" for n, d in every.items() if d.scope == "event"]
        ctes.append(active_users.window_source(table, columns, where))
    aggregates = [f"{m.sql} AS m{j + 1}" for j, m in enumerate(metrics)]
    head = "WITH " + ",\n".join(ctes) + "\n"
    group = ["ri", *(alias[d.api_name] for d in shown)]
    rows = f"SELECT {', '.join(group + aggregates)} FROM rows GROUP BY {', '.join(group)}"
    totals = f"SELECT {', '.join(['ri', *aggregates])} FROM rows GROUP BY ri"
    if windowed:
        keys = group[1:]
        date = alias["date"] if any(d.api_name == "date" for d in shown) else None
        rows = active_users.with_windows(rows, keys, metrics, [k for k in keys if k != date], date)
        totals = active_users.with_windows(totals, [], metrics, [], None)
    return head + rows, head + totals


def run_report_query(
    con: Any,
    catalogue: Catalogue,
    dimensions: Sequence[Dimension],
    metrics: Sequence[Metric],
    spans: Sequence[DateSpan],
    dimension_filter: Any | None = None,
    *,
    with_totals: bool = False,
    count: FilterCount | None = None,
    table: str = "events",
) -> ReportResult:
    """Run a report in DuckDB (``con``: a cursor on the property's events)."""
    import duckdb

    rows_sql, totals_sql = report_sql(catalogue, dimensions, metrics, spans, dimension_filter, count=count, table=table)
    shown = len([d for d in dimensions if d.scope != "range"])
    try:
        raw = con.execute(rows_sql).fetchall()
        totals_raw = con.execute(totals_sql).fetchall() if with_totals else []
    except duckdb.InvalidInputException as exc:  # e.g. a regular expression RE2 rejects
        raise invalid(f"Invalid filter: {str(exc).splitlines()[0]}") from None
    rows = [(int(r[0]), tuple(str(v) for v in r[1 : 1 + shown]), tuple(_number(v) for v in r[1 + shown :])) for r in raw]
    totals = {int(r[0]): tuple(_number(v) for v in r[1:]) for r in totals_raw}
    return ReportResult(rows=rows, totals=totals)


def _number(value: Any) -> float:
    return 0.0 if value is None else float(value)


# ---------------------------------------------------------------------------------------------
# User segments (RunFunnelReport ``segments``)


def segment_users_sql(segment: Any, catalogue: Catalogue, span: DateSpan, where: str, table: str = "events") -> str:
    """A SELECT of ``uid``: the users of a v1alpha ``Segment`` over ``span``.

    User segments only. A user belongs when every ``and_condition_groups`` entry matches and the
    exclusion criteria (permanent or temporary alike: a user who matches them anywhere in the date
    range is left out) do not. A condition group's expression is evaluated per
    ``condition_scoping``: on single events (WITHIN_SAME_EVENT), per session (WITHIN_SAME_SESSION)
    or over all the user's events of the range (ACROSS_ALL_SESSIONS, the default): its leaves
    (an event name with parameter filters, or a condition on an event-scoped dimension) hold
    when some event of that scope satisfies them, and ``and_group`` / ``or_group`` /
    ``not_expression`` combine those answers. Sequence groups are not supported.
    """
    if "user_segment" not in segment:
        kind = "session" if "session_segment" in segment else "event" if "event_segment" in segment else "empty"
        if kind == "empty":
            raise invalid(f"{where}: a segment needs a userSegment, sessionSegment or eventSegment")
        raise unimplemented(f"{kind} segments ({where}); use user segments")
    user = segment.user_segment
    everyone = (
        f"SELECT DISTINCT t.user_pseudo_id AS uid FROM {table} AS t "
        f"WHERE {span.condition()} AND t.user_pseudo_id IS NOT NULL"
    )
    sql = everyone
    if "user_inclusion_criteria" in user:
        included = _criteria_sql(user.user_inclusion_criteria, catalogue, span, f"{where}.userInclusionCriteria", table)
        if included:
            sql = included
    if "exclusion" in user and "user_exclusion_criteria" in user.exclusion:
        excluded = _criteria_sql(
            user.exclusion.user_exclusion_criteria, catalogue, span, f"{where}.exclusion.userExclusionCriteria", table
        )
        if excluded:
            sql = f"SELECT uid FROM ({sql}) AS inc EXCEPT SELECT uid FROM ({excluded}) AS exc"
    return sql


def _criteria_sql(criteria: Any, catalogue: Catalogue, span: DateSpan, where: str, table: str) -> str | None:
    if len(criteria.and_sequence_groups):
        raise unimplemented(f"sequence groups in user segments ({where}.andSequenceGroups)")
    groups = [
        _group_sql(g, catalogue, span, f"{where}.andConditionGroups[{i}]", table)
        for i, g in enumerate(criteria.and_condition_groups)
    ]
    if not groups:
        return None
    return " INTERSECT ".join(f"SELECT uid FROM ({g}) AS g{i}" for i, g in enumerate(groups))


def _group_sql(group: Any, catalogue: Catalogue, span: DateSpan, where: str, table: str) -> str:
    if "segment_filter_expression" not in group:
        raise invalid(f"{where}: segmentFilterExpression is required")
    leaves: list[str] = []
    tree = _segment_tree(group.segment_filter_expression, catalogue, leaves, f"{where}.segmentFilterExpression")
    scoping = enum_name(group.condition_scoping)
    columns = ", ".join(f"{leaf} AS l{i + 1}" for i, leaf in enumerate(leaves))
    inner = (
        f"SELECT t.user_pseudo_id AS uid, {param('ga_session_id', 'int', column='t.event_params')} AS sid, {columns} "
        f"FROM {table} AS t WHERE {span.condition()} AND t.user_pseudo_id IS NOT NULL"
    )
    if scoping == "USER_CRITERIA_WITHIN_SAME_EVENT":
        return f"SELECT DISTINCT uid FROM ({inner}) AS e WHERE {tree}"
    keys = "uid, sid" if scoping == "USER_CRITERIA_WITHIN_SAME_SESSION" else "uid"
    anyof = ", ".join(f"BOOL_OR(l{i + 1}) AS l{i + 1}" for i in range(len(leaves)))
    return f"SELECT DISTINCT uid FROM (SELECT {keys}, {anyof} FROM ({inner}) AS e GROUP BY {keys}) AS g WHERE {tree}"


def _segment_tree(expression: Any, catalogue: Catalogue, leaves: list[str], where: str) -> str:
    """The expression over leaf columns ``l1..ln`` (each leaf's event-level SQL appended to ``leaves``)."""
    if "and_group" in expression or "or_group" in expression:
        is_and = "and_group" in expression
        group = expression.and_group if is_and else expression.or_group
        parts = [_segment_tree(e, catalogue, leaves, where) for e in group.expressions]
        if not parts:
            return "TRUE" if is_and else "FALSE"
        return "(" + (" AND " if is_and else " OR ").join(parts) + ")"
    if "not_expression" in expression:
        return f"(NOT {_segment_tree(expression.not_expression, catalogue, leaves, where)})"
    if "segment_event_filter" in expression:
        e = expression.segment_event_filter
        if "event_name" not in e or not e.event_name:
            raise invalid(f"{where}: segmentEventFilter.eventName is required")
        cond = f"t.event_name = {quote_literal(e.event_name)}"
        if "segment_parameter_filter_expression" in e:
            cond += " AND " + _parameter_sql(e.segment_parameter_filter_expression, f"{where}.segmentEventFilter")
        leaves.append(f"COALESCE({cond}, FALSE)")
        return f"l{len(leaves)}"
    if "segment_filter" in expression:
        f = expression.segment_filter
        if not f.field_name:
            raise invalid(f"{where}: segmentFilter.fieldName is required")
        if f.field_name in catalogue.metrics:
            raise unimplemented(f"metric conditions in segments ({f.field_name})")
        text = event_dimension_sql(catalogue.dimension(f.field_name, where=f" ({where})"), f"in segments ({where})")
        leaves.append(leaf_sql(f, text, f"TRY_CAST({text} AS DOUBLE)", f"{where}.segmentFilter"))
        return f"l{len(leaves)}"
    raise invalid(f"{where}: an empty segment filter expression")


def _parameter_sql(expression: Any, where: str) -> str:
    """A ``SegmentParameterFilterExpression`` on one event, as SQL over ``t``."""
    if "and_group" in expression or "or_group" in expression:
        is_and = "and_group" in expression
        group = expression.and_group if is_and else expression.or_group
        parts = [_parameter_sql(e, where) for e in group.expressions]
        if not parts:
            return "TRUE" if is_and else "FALSE"
        return "(" + (" AND " if is_and else " OR ").join(parts) + ")"
    if "not_expression" in expression:
        return f"(NOT {_parameter_sql(expression.not_expression, where)})"
    if "segment_parameter_filter" in expression:
        f = expression.segment_parameter_filter
        if "item_parameter_name" in f:
            raise unimplemented(f"item parameter filters in segments ({where})")
        name = f.event_parameter_name
        if not name:
            raise invalid(f"{where}: segmentParameterFilter.eventParameterName is required")
        text = param(name, "text", column="t.event_params")
        number = param(name, "number", column="t.event_params")
        return leaf_sql(f, text, number, f"{where} ({name})")
    raise invalid(f"{where}: an empty parameter filter expression")


# ---------------------------------------------------------------------------------------------
# Event create rules (the events a property's rules create)


def _rule_condition(c: dict[str, Any]) -> str:
    """One ``MatchingCondition`` of an event create rule, as SQL over ``t``."""
    field_name = str(c.get("field") or "")
    comparison = str(c.get("comparison_type") or "EQUALS")
    value = str(c.get("value") or "")
    if field_name == "event_name":
        text, number = "t.event_name", "TRY_CAST(t.event_name AS DOUBLE)"
    else:
        text = param(field_name, "text", column="t.event_params")
        number = param(field_name, "number", column="t.event_params")
    insensitive = comparison.endswith("_CASE_INSENSITIVE")
    base = comparison.removesuffix("_CASE_INSENSITIVE")
    t, v = (f"lower({text})", quote_literal(value.lower())) if insensitive else (text, quote_literal(value))
    if base == "EQUALS":
        cond = f"{t} = {v}"
    elif base == "CONTAINS":
        cond = f"strpos({t}, {v}) > 0"
    elif base == "STARTS_WITH":
        cond = f"starts_with({t}, {v})"
    elif base == "ENDS_WITH":
        cond = f"ends_with({t}, {v})"
    elif base == "REGULAR_EXPRESSION":
        cond = f"regexp_full_match({text}, {quote_literal(('(?i)' if insensitive else '') + value)})"
    else:
        op = {"GREATER_THAN": ">", "GREATER_THAN_OR_EQUAL": ">=", "LESS_THAN": "<", "LESS_THAN_OR_EQUAL": "<="}.get(base)
        try:
            target = float(value)
        except ValueError:
            return "FALSE"
        if op is None:
            return "FALSE"
        cond = f"{number} {op} {_literal_number(target)}"
    cond = f"COALESCE({cond}, FALSE)"
    return f"NOT {cond}" if c.get("negated") else cond


def events_source(state: dict[str, Any] | None) -> str:
    """The relation of a property's events: ``events``, plus the events its event create rules create.

    GA4 applies a data stream's event create rules when it collects events; the sandbox applies
    the property's (active) rules when it reads its stored events, as if they had been active
    all along, whatever the events' ``stream_id``: an event that meets every condition of a
    rule is followed by a copy named ``destination_event`` (with the source's parameters when
    ``source_copy_parameters``, none otherwise) and the rule's parameter mutations applied (a
    constant, or ``[[parameter]]`` to copy one). Rules do not apply to created events.
    """
    from ga_goals.events.schema import PARAMS, lambda_sql, sql_type

    rules = [r for r in (state or {}).get("event_create_rules", []) if not r.get("_archived") and r.get("destination_event")]
    if not rules:
        return "events"
    entry = sql_type(PARAMS[0])
    copies = []
    for i, rule in enumerate(rules):
        conditions = [_rule_condition(c) for c in rule.get("event_conditions") or ()]
        if not conditions:
            continue
        params = "t.event_params" if rule.get("source_copy_parameters") else f"CAST([] AS {entry}[])"
        mutations = [m for m in rule.get("parameter_mutations") or () if m.get("parameter")]
        if mutations:
            names = ", ".join(quote_literal(m["parameter"]) for m in mutations)
            kept = f"list_filter(COALESCE({params}, CAST([] AS {entry}[])), {lambda_sql('p', f'p.key NOT IN ({names})')})"
            added = []
            for m in mutations:
                value = str(m.get("parameter_value") or "")
                copied = re.fullmatch(r"\[\[([A-Za-z][A-Za-z0-9_]*)\]\]", value)
                if copied:
                    struct = param(copied.group(1), "value", column="t.event_params")
                else:
                    struct = (
                        f"{{'string_value': {quote_literal(value)}, 'int_value': NULL, 'float_value': NULL, "
                        "'double_value': NULL}"
                    )
                added.append(f"CAST({{'key': {quote_literal(m['parameter'])}, 'value': {struct}}} AS {entry})")
            params = f"list_concat({kept}, [{', '.join(added)}])"
        destination = quote_literal(str(rule["destination_event"]))
        copies.append(
            f"SELECT * REPLACE ({destination} AS event_name, {params} AS event_params, "
            f"md5(t._row_hash || ':rule{i}') AS _row_hash) FROM events AS t WHERE {' AND '.join(conditions)}"
        )
    if not copies:
        return "events"
    return "(SELECT * FROM events UNION ALL " + " UNION ALL ".join(copies) + ")"
