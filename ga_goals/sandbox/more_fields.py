"""More GA4 fields an export-shaped events table can give: unified page/screen, geography and
language codes, stream names, sign-in, ``nthMinute``; item-scoped ecommerce rates and discounts;
session duration and first-time purchasers.

GA4's definitions (https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema;
docs/ga4-api-facts.md, section 3.2c) and how the sandbox reads them from the export row ``t``
(docs/sandbox.md, "Page, device, ecommerce and user fields"):

* ``unifiedPagePathScreen`` / ``unifiedPageScreen`` / ``unifiedScreenClass``: the page path / the
  page path and query string / the page title of a web event, else the app's screen class
  (``firebase_screen_class``), as ``unifiedScreenName`` reads the page title, else the screen name;
* ``subContinentCode``: the UN M49 code of ``geo.sub_continent`` (as ``continentId``);
  ``languageCode``: ``device.language`` (ISO 639, ``en-us``); ``streamName``: the display name of
  the property's data stream whose id is the event's ``stream_id`` (Admin state); ``(not set)``
  for an id that is not one of the property's streams;
* ``signedInWithUserId``: ``yes`` when the event carries a ``user_id``, else ``no``;
* ``nthMinute``: minutes from the start of the row's date range (property time zone), at least four
  digits;
* item metrics (one row per item): ``cartToViewRate`` / ``purchaseToViewRate``: users with the
  item in an ``add_to_cart`` / purchase event per user with it in a ``view_item`` event;
  ``itemListClickThroughRate``: users with ``select_item`` per user with ``view_item_list``;
  ``itemPromotionClickThroughRate``: ``select_promotion`` per ``view_promotion`` user;
  ``itemDiscountAmount``: the ``discount`` item parameter times the quantity, of purchases;
* ``averageSessionDuration``: per session, the seconds from its first to its last event within the
  date range, summed over the row's sessions, per session;
* ``firstTimePurchasers``: users whose earliest stored ``purchase`` / ``in_app_purchase`` (among all
  the property's events, whatever the date range) is in the row; per active user
  (``firstTimePurchaserRate``) and per new user (``firstTimePurchasersPerNewUser``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ga_goals.events.schema import lambda_sql, param, quote_literal
from ga_goals.sandbox import report_fields as rf

if TYPE_CHECKING:
    from ga_goals.sandbox.reporting import Catalogue

#: UN M49 codes of the sub-regions GA4 names in ``geo.sub_continent``
#: (https://unstats.un.org/unsd/methodology/m49/; GA4 writes "Southeast Asia" and "Australasia").
SUB_CONTINENT_CODES = {
    "Northern Africa": "015",
    "Eastern Africa": "014",
    "Middle Africa": "017",
    "Southern Africa": "018",
    "Western Africa": "011",
    "Caribbean": "029",
    "Central America": "013",
    "South America": "005",
    "Northern America": "021",
    "Central Asia": "143",
    "Eastern Asia": "030",
    "Southern Asia": "034",
    "Southeast Asia": "035",
    "Western Asia": "145",
    "Eastern Europe": "151",
    "Northern Europe": "154",
    "Southern Europe": "039",
    "Western Europe": "155",
    "Australasia": "053",
    "Melanesia": "054",
    "Micronesia": "057",
    "Polynesia": "061",
}

_PAGE = "Page / screen"
_SCREEN_CLASS = rf.p("firebase_screen_class")
_PATH = rf._url_part(2)
_QUERY = rf._url_part(3)


def stream_names(state: dict[str, Any] | None) -> dict[str, str]:
    """Stream id -> display name of the property's data streams."""
    return {
        str(s["name"]).rsplit("/", 1)[-1]: str(s.get("display_name") or "")
        for s in (state or {}).get("data_streams", [])
        if s.get("name")
    }


def event_dimensions(state: dict[str, Any] | None) -> list[tuple[str, str, str, str, str]]:
    """Event-scoped dimensions over ``t``: (api name, UI name, category, description, SQL)."""
    streams = stream_names(state)
    stream_sql = rf._lookup("CAST(t.stream_id AS VARCHAR)", streams) if streams else "NULL"
    return [
        (
            "unifiedPagePathScreen", "Page path and screen class", _PAGE,
            "The page path (web) or screen class (app) on which the event was logged.",
            f"COALESCE({_PATH}, {_SCREEN_CLASS})",
        ),
        (
            "unifiedPageScreen", "Page path + query string and screen class", _PAGE,
            "The page path and query string (web) or screen class (app) on which the event was logged.",
            f"COALESCE(NULLIF({_PATH} || COALESCE({_QUERY}, ''), ''), {_SCREEN_CLASS})",
        ),
        (
            "unifiedScreenClass", "Page title and screen class", _PAGE,
            "The page title (web) or screen class (app) on which the event was logged.",
            f"COALESCE({rf.p('page_title')}, {_SCREEN_CLASS})",
        ),
        (
            "subContinentCode", "Subcontinent code", "Geography",
            "The UN M49 code of the subcontinent from which the user activity originated.",
            rf._lookup("t.geo.sub_continent", SUB_CONTINENT_CODES),
        ),
        (
            "languageCode", "Language code", "Platform / device",
            "The language setting (ISO 639) of the user's browser or device, e.g. en-us.",
            "lower(t.device.language)",
        ),
        ("streamName", "Stream name", "Platform / device", "The data stream name for your app or website.", stream_sql),
        (
            "signedInWithUserId", "Signed in with user ID", "User",
            "yes if the user signed in with the User-ID feature (the event carries a user_id), else no.",
            "CASE WHEN NULLIF(t.user_id, '') IS NOT NULL THEN 'yes' ELSE 'no' END",
        ),
    ]


def nth_minute(time_zone: str) -> tuple[str, str, str, str, str]:
    start = "CAST(CAST(strptime(r.lo, '%Y%m%d') AS DATE) AS TIMESTAMP)"
    return (
        "nthMinute", "Nth minute", "Time", "The number of minutes since the start of the date range (0000...).",
        rf._four(f"date_diff('minute', {start}, {rf.local_time(time_zone)})"),
    )


# -- metrics ----------------------------------------------------------------------------------------

_PURCHASES = "ev IN (" + ", ".join(quote_literal(e) for e in rf.PURCHASE_EVENTS) + ")"


def _users(condition: str) -> str:
    return f"COUNT(DISTINCT CASE WHEN {condition} THEN uid END)"


#: Item metrics: (api name, UI name, category, description, MetricType, SQL over the item rows).
ITEM_METRICS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "cartToViewRate", "Cart-to-view rate", "Ecommerce",
        "Users who added the item(s) to their cart per user who viewed them (view_item).",
        "TYPE_FLOAT", rf.ratio(_users("ev = 'add_to_cart'"), _users("ev = 'view_item'")),
    ),
    (
        "purchaseToViewRate", "Purchase-to-view rate", "Ecommerce",
        "Users who purchased the item(s) per user who viewed them (view_item).",
        "TYPE_FLOAT", rf.ratio(_users(_PURCHASES), _users("ev = 'view_item'")),
    ),
    (
        "itemListClickThroughRate", "Item list click through rate", "Ecommerce",
        "Users who selected an item from the list(s) (select_item) per user who viewed them (view_item_list).",
        "TYPE_FLOAT", rf.ratio(_users("ev = 'select_item'"), _users("ev = 'view_item_list'")),
    ),
    (
        "itemPromotionClickThroughRate", "Item promotion click through rate", "Ecommerce",
        "Users who selected the promotion(s) (select_promotion) per user who viewed them (view_promotion).",
        "TYPE_FLOAT", rf.ratio(_users("ev = 'select_promotion'"), _users("ev = 'view_promotion'")),
    ),
    (
        "itemDiscountAmount", "Item discount amount", "Revenue",
        "The discount item parameter times the quantity, of purchase events.",
        "TYPE_CURRENCY", f"COALESCE(SUM(idisc * iq) FILTER (WHERE {_PURCHASES}), 0)",
    ),
)
ITEM_INPUTS = {"idisc": param("discount", "number", column="it.item_params")}

_SID = param("ga_session_id", "int", column="t.event_params")
#: The seconds between the first and the last event of the event's session in its date range.
_SESSION_WINDOW = f"(PARTITION BY r.ri, t.user_pseudo_id, {_SID})"
_SESSION_SECONDS = (
    f"(max(t.event_timestamp) OVER {_SESSION_WINDOW} - min(t.event_timestamp) OVER {_SESSION_WINDOW}) / 1000000.0"
)
_SESSION_DURATIONS = lambda_sql("x", "x.d")
AVERAGE_SESSION_DURATION = rf.ratio(
    "COALESCE(list_sum(list_transform(list(DISTINCT {'k': " + rf.SESSION_KEY + ", 'd': sdur}) "
    f"FILTER (WHERE sid IS NOT NULL), {_SESSION_DURATIONS})), 0)",
    rf.SESSIONS,
)

#: The event is its user's earliest purchase among all the property's stored events.
_FIRST_PURCHASE = (
    "(t.event_name IN ('purchase', 'in_app_purchase') AND t.event_timestamp = "
    "(SELECT min(e.event_timestamp) FROM events AS e WHERE e.user_pseudo_id = t.user_pseudo_id "
    "AND e.event_name IN ('purchase', 'in_app_purchase')))"
)
FIRST_TIME_PURCHASERS = _users("fpur")


def register(catalogue: Catalogue, state: dict[str, Any] | None, time_zone: str) -> None:
    """Add this module's fields to a property's catalogue."""
    from ga_goals.sandbox.reporting import Dimension, Metric

    for api, ui, category, description, expr in event_dimensions(state):
        catalogue.dimensions[api] = Dimension(api, ui, category, description, "event", expr)
    api, ui, category, description, expr = nth_minute(time_zone)
    catalogue.dimensions[api] = Dimension(api, ui, category, description, "event", expr, needs_range=True)
    item_inputs = (*rf.ITEM_INPUTS.items(), *ITEM_INPUTS.items())
    for api, ui, category, description, type_, sql in ITEM_METRICS:
        catalogue.metrics[api] = Metric(api, ui, category, description, type_, sql, integer=False, inputs=item_inputs, item=True)
    catalogue.metrics["averageSessionDuration"] = Metric(
        "averageSessionDuration", "Average session duration", "Session",
        "The average duration (in seconds) of users' sessions: first to last event of each session in the range.",
        "TYPE_SECONDS", AVERAGE_SESSION_DURATION, integer=False, inputs=(("sdur", _SESSION_SECONDS),),
    )
    first = (("fpur", _FIRST_PURCHASE),)
    catalogue.metrics["firstTimePurchasers"] = Metric(
        "firstTimePurchasers", "First time purchasers", "User",
        "Users whose first purchase event (among all their stored events) is in the row.",
        "TYPE_INTEGER", FIRST_TIME_PURCHASERS, inputs=first,
    )
    catalogue.metrics["firstTimePurchaserRate"] = Metric(
        "firstTimePurchaserRate", "First-time purchaser rate", "User",
        "First time purchasers per active user.",
        "TYPE_FLOAT", rf.ratio(FIRST_TIME_PURCHASERS, rf.ACTIVE_USERS), integer=False, inputs=first,
    )
    catalogue.metrics["firstTimePurchasersPerNewUser"] = Metric(
        "firstTimePurchasersPerNewUser", "First-time purchasers per new user", "User",
        "First time purchasers per new user.",
        "TYPE_FLOAT", rf.ratio(FIRST_TIME_PURCHASERS, catalogue.metrics["newUsers"].sql), integer=False, inputs=first,
    )
