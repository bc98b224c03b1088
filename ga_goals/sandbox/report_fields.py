"""The GA4 fields the sandbox computes beyond the funnel engine's: time, geography ids, page and
link parameters, revenue and ecommerce, engagement, and item-scoped dimensions with item metrics.

Each field is SQL over one events row ``t`` of the export schema (``ga_goals.events.schema``), as
GA4 defines it (https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema
and the metric definitions of Google's "[GA4] Analytics dimensions and metrics" article):

* time dimensions read ``event_timestamp`` in the property's time zone (``dateHour``,
  ``hour``...) or ``event_date`` (``day``, ``week``: Sunday-based, 1 January in week 01;
  ``isoWeek``...); ``nthDay`` / ``nthWeek`` / ``nthMonth`` / ``nthYear`` / ``nthHour`` count
  from the start of the row's date range, at least four digits (``0000``; lpad would cut longer ones);
* ``countryId`` is the ISO 3166-1 alpha-2 code of ``geo.country`` (the export's English name),
  ``continentId`` the UN M49 code of ``geo.continent``;
* revenue: ``grossPurchaseRevenue`` is the revenue of ``purchase`` and ``in_app_purchase``
  events (``ecommerce.purchase_revenue``, else their ``value``); ``refundAmount`` the value of
  ``refund`` events (``ecommerce.refund_value``, else ``value``); ``purchaseRevenue`` = gross
  minus refunds; ``totalAdRevenue`` the ``value`` of ``ad_impression`` events;
  ``totalRevenue`` = ``purchaseRevenue`` + ``totalAdRevenue`` (subscriptions arrive as
  ``in_app_purchase``);
* engagement: a session is engaged when an event of it carries ``session_engaged`` = 1;
  ``userEngagementDuration`` sums ``engagement_time_msec`` (seconds);
* item scope: a report with an item-scoped dimension or metric reads one row per item of each
  event (``items``); item metrics sum ``quantity`` (1 when missing) of the events GA4 names
  (``itemsViewed``: ``view_item``...), ``itemRevenue`` sums ``item_revenue`` (else price ×
  quantity) of purchases minus ``item_refund`` of refunds. Item-scoped fields go with item-scoped
  metrics only, as in GA4.

Field tuples here are (api name, UI name, category, description, SQL).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

from ga_goals.events.schema import param, quote_literal

_P = "t.event_params"


def p(name: str, kind: str = "text") -> str:
    """An event parameter of ``t``."""
    return param(name, kind, column=_P)  # type: ignore[arg-type]


def item_p(name: str) -> str:
    """An item parameter of the unnested item ``it``."""
    return param(name, "text", column="it.item_params")


# -- dimensions ----------------------------------------------------------------------------------

_DAY = "CAST(strptime(t.event_date, '%Y%m%d') AS DATE)"
_RANGE_START = "CAST(strptime(r.lo, '%Y%m%d') AS DATE)"


def local_time(time_zone: str) -> str:
    """The event's local time (TIMESTAMP) in ``time_zone``."""
    return f"timezone({quote_literal(time_zone)}, to_timestamp(t.event_timestamp / 1000000))"


def _two(expr: str) -> str:
    return f"lpad(CAST({expr} AS VARCHAR), 2, '0')"


def _four(expr: str) -> str:
    """A count as GA4 writes ``nth*`` values: zero-padded to four digits, never cut (``lpad`` cuts)."""
    text = f"CAST({expr} AS VARCHAR)"
    return f"CASE WHEN length({text}) < 4 THEN lpad({text}, 4, '0') ELSE {text} END"


def time_dimensions(time_zone: str) -> list[tuple[str, str, str, str, str]]:
    """Time dimensions (``nth*`` ones read ``r.lo``, the range's first day)."""
    local = local_time(time_zone)
    week = f"(dayofyear({_DAY}) - 1 + dayofweek(make_date(year({_DAY}), 1, 1))) // 7 + 1"
    return [
        ("dateHour", "Date + hour (YYYYMMDDHH)", "Time", "Date and hour, YYYYMMDDHH.", f"strftime({local}, '%Y%m%d%H')"),
        ("dateHourMinute", "Date hour and minute", "Time", "Date, hour and minute, YYYYMMDDHHMM.", f"strftime({local}, '%Y%m%d%H%M')"),
        ("hour", "Hour", "Time", "The two-digit hour of the day (00-23).", f"strftime({local}, '%H')"),
        ("minute", "Minute", "Time", "The two-digit minute of the hour (00-59).", f"strftime({local}, '%M')"),
        ("day", "Day", "Time", "The day of the month, 01 to 31.", f"strftime({_DAY}, '%d')"),
        ("dayOfWeek", "Day of week", "Time", "The day of the week, 0 (Sunday) to 6.", f"CAST(dayofweek({_DAY}) AS VARCHAR)"),
        ("dayOfWeekName", "Day of week name", "Time", "The day of the week in English.", f"dayname({_DAY})"),
        ("week", "Week", "Time", "The week of the year, 01 to 53 (weeks start on Sunday).", _two(week)),
        ("month", "Month", "Time", "The month, 01 to 12.", f"strftime({_DAY}, '%m')"),
        ("year", "Year", "Time", "The four-digit year.", f"strftime({_DAY}, '%Y')"),
        ("yearMonth", "Month", "Time", "Year and month, YYYYMM.", f"strftime({_DAY}, '%Y%m')"),
        ("yearWeek", "Week", "Time", "Year and week, YYYYWW.", f"strftime({_DAY}, '%Y') || {_two(week)}"),
        ("isoWeek", "ISO week of the year", "Time", "The ISO week number, 01 to 53.", _two(f"week({_DAY})")),
        ("isoYear", "ISO year", "Time", "The ISO year.", f"CAST(isoyear({_DAY}) AS VARCHAR)"),
        ("isoYearIsoWeek", "ISO week of ISO year", "Time", "ISO year and week, YYYYWW.", f"CAST(isoyear({_DAY}) AS VARCHAR) || {_two(f'week({_DAY})')}"),
    ]


def nth_dimensions(time_zone: str) -> list[tuple[str, str, str, str, str]]:
    """Offsets from the start of the row's date range."""
    local = local_time(time_zone)
    days = f"date_diff('day', {_RANGE_START}, {_DAY})"
    return [
        ("nthDay", "Nth day", "Time", "Days since the start of the date range (0000...).", _four(days)),
        ("nthWeek", "Nth week", "Time", "Weeks since the start of the date range.", _four(f"{days} // 7")),
        ("nthMonth", "Nth month", "Time", "Months since the start of the date range.", _four(f"date_diff('month', {_RANGE_START}, {_DAY})")),
        ("nthYear", "Nth year", "Time", "Years since the start of the date range.", _four(f"date_diff('year', {_RANGE_START}, {_DAY})")),
        ("nthHour", "Nth hour", "Time", "Hours since the start of the date range.", _four(f"date_diff('hour', CAST({_RANGE_START} AS TIMESTAMP), {local})")),
    ]


_CONTINENT_IDS = {"Africa": "002", "Americas": "019", "Asia": "142", "Europe": "150", "Oceania": "009"}

#: GA4's spellings of country names that differ from the tz database's (``iso3166.tab``).
_COUNTRY_SPELLINGS = {
    "United Kingdom": "GB",
    "South Korea": "KR",
    "North Korea": "KP",
    "Czechia": "CZ",
    "Türkiye": "TR",
    "Myanmar (Burma)": "MM",
    "Congo - Kinshasa": "CD",
    "Congo - Brazzaville": "CG",
    "Côte d’Ivoire": "CI",
    "Eswatini": "SZ",
    "Bosnia & Herzegovina": "BA",
    "St. Kitts & Nevis": "KN",
    "St. Lucia": "LC",
    "St. Vincent & Grenadines": "VC",
    "Trinidad & Tobago": "TT",
    "Antigua & Barbuda": "AG",
    "Hong Kong": "HK",
    "Macao": "MO",
    "Palestine": "PS",
    "Vatican City": "VA",
    "Micronesia": "FM",
    "Réunion": "RE",
    "Curaçao": "CW",
    "U.S. Virgin Islands": "VI",
    "British Virgin Islands": "VG",
    "São Tomé & Príncipe": "ST",
    "Timor-Leste": "TL",
}


@functools.cache
def country_codes() -> dict[str, str]:
    """English country name → ISO 3166-1 alpha-2 code (the tz database's table plus GA4's spellings)."""
    text = resources.files("tzdata").joinpath("zoneinfo").joinpath("iso3166.tab").read_text("utf-8")
    codes = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t", 1)
            codes[name.strip()] = code
    codes.update(_COUNTRY_SPELLINGS)
    return codes


def _lookup(expr: str, table: dict[str, str]) -> str:
    cases = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in sorted(table.items()))
    return f"CASE {expr} {cases} END"


_LOCATION = p("page_location")
_URL_PARTS = r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)([^?#]*)(\?[^#]*)?"


def _url_part(group: int) -> str:
    return f"NULLIF(regexp_extract({_LOCATION}, {quote_literal(_URL_PARTS)}, {group}), '')"


#: Dimensions read from one event parameter: (api name, UI name, category, parameter).
PARAMETER_DIMENSIONS = (
    ("pageReferrer", "Page referrer", "Page / screen", "page_referrer"),
    ("contentGroup", "Content group", "Page / screen", "content_group"),
    ("contentId", "Content ID", "Page / screen", "content_id"),
    ("contentType", "Content type", "Page / screen", "content_type"),
    ("searchTerm", "Search term", "Page / screen", "search_term"),
    ("percentScrolled", "Percent scrolled", "Page / screen", "percent_scrolled"),
    ("visible", "Visible", "Page / screen", "visible"),
    ("linkUrl", "Link URL", "Link", "link_url"),
    ("linkDomain", "Link domain", "Link", "link_domain"),
    ("linkClasses", "Link classes", "Link", "link_classes"),
    ("linkId", "Link ID", "Link", "link_id"),
    ("linkText", "Link text", "Link", "link_text"),
    ("outbound", "Outbound", "Link", "outbound"),
    ("fileExtension", "File extension", "Link", "file_extension"),
    ("fileName", "File name", "Link", "file_name"),
    ("method", "Method", "Event", "method"),
    ("videoProvider", "Video provider", "Video", "video_provider"),
    ("videoTitle", "Video title", "Video", "video_title"),
    ("videoUrl", "Video URL", "Video", "video_url"),
    ("achievementId", "Achievement ID", "Gaming", "achievement_id"),
    ("character", "Character", "Gaming", "character"),
    ("groupId", "Group ID", "Gaming", "group_id"),
    ("level", "Level", "Gaming", "level"),
    ("virtualCurrencyName", "Virtual currency name", "Gaming", "virtual_currency_name"),
    ("currencyCode", "Currency", "Ecommerce", "currency"),
    ("orderCoupon", "Order coupon", "Ecommerce", "coupon"),
    ("shippingTier", "Shipping tier", "Ecommerce", "shipping_tier"),
)


def event_dimensions() -> list[tuple[str, str, str, str, str]]:
    """Event-scoped dimensions over ``t`` (besides time and the funnel engine's)."""
    os_, version = "t.device.operating_system", "t.device.operating_system_version"
    out = [
        ("countryId", "Country ID", "Geography", "The ISO 3166-1 alpha-2 code of the country.", _lookup("t.geo.country", country_codes())),
        ("continentId", "Continent ID", "Geography", "The UN M49 code of the continent.", _lookup("t.geo.continent", _CONTINENT_IDS)),
        ("hostName", "Hostname", "Page / screen", "The hostname of the page.", f"COALESCE(t.device.web_info.hostname, {_url_part(1)})"),
        ("pagePath", "Page path", "Page / screen", "The path of the page (between host and query).", _url_part(2)),
        (
            "pagePathPlusQueryString", "Page path + query string", "Page / screen", "The path and query of the page.",
            f"NULLIF({_url_part(2)} || COALESCE({_url_part(3)}, ''), '')",
        ),
        (
            "fullPageUrl", "Full page URL", "Page / screen", "Hostname, path and query of the page.",
            f"NULLIF(COALESCE({_url_part(1)}, '') || COALESCE({_url_part(2)}, '') || COALESCE({_url_part(3)}, ''), '')",
        ),
        (
            "unifiedScreenName", "Page title and screen name", "Page / screen", "The page title (web) or screen name (app).",
            f"COALESCE({p('page_title')}, {p('firebase_screen')})",
        ),
        ("appVersion", "App version", "Platform / device", "The app's version.", "t.app_info.version"),
        ("mobileDeviceMarketingName", "Device", "Platform / device", "The branded device name.", "t.device.mobile_marketing_name"),
        ("deviceModel", "Device model", "Platform / device", "The mobile device model.", "t.device.mobile_model_name"),
        (
            "operatingSystemWithVersion", "Operating system with version", "Platform / device",
            "The operating system and its version.",
            f"CASE WHEN starts_with({version}, {os_}) THEN {version} ELSE {os_} || ' ' || {version} END",
        ),
        (
            "platformDeviceCategory", "Platform / device category", "Platform / device", "Platform and device type.",
            "t.platform || ' / ' || lower(t.device.category)",
        ),
        (
            "firstUserSourceMedium", "First user source / medium", "Traffic source",
            "The source and medium that first acquired the user.",
            "t.traffic_source.source || ' / ' || t.traffic_source.medium",
        ),
        ("transactionId", "Transaction ID", "Ecommerce", "The ecommerce transaction id.", f"COALESCE(t.ecommerce.transaction_id, {p('transaction_id')})"),
    ]
    out += [(api, ui, cat, f"The {name} event parameter.", p(name)) for api, ui, cat, name in PARAMETER_DIMENSIONS]
    return out


def is_key_event_sql(key_events: Sequence[str]) -> str:
    names = ", ".join(quote_literal(n) for n in key_events) or "NULL"
    return f"CASE WHEN t.event_name IN ({names}) THEN 'true' ELSE 'false' END"


#: Item-scoped dimensions over the unnested item ``it``: (api name, UI name, SQL).
ITEM_DIMENSIONS = (
    ("itemId", "Item ID", "it.item_id"),
    ("itemName", "Item name", "it.item_name"),
    ("itemBrand", "Item brand", "it.item_brand"),
    ("itemVariant", "Item variant", "it.item_variant"),
    ("itemCategory", "Item category", "it.item_category"),
    ("itemCategory2", "Item category 2", "it.item_category2"),
    ("itemCategory3", "Item category 3", "it.item_category3"),
    ("itemCategory4", "Item category 4", "it.item_category4"),
    ("itemCategory5", "Item category 5", "it.item_category5"),
    ("itemListId", "Item list ID", "it.item_list_id"),
    ("itemListName", "Item list name", "it.item_list_name"),
    ("itemListPosition", "Item list position", "it.item_list_index"),
    ("itemAffiliation", "Item affiliation", "it.affiliation"),
    ("itemLocationID", "Item location ID", "it.location_id"),
    ("itemPromotionId", "Item promotion ID", "it.promotion_id"),
    ("itemPromotionName", "Item promotion name", "it.promotion_name"),
    ("itemPromotionCreativeName", "Item promotion creative name", "it.creative_name"),
    ("itemPromotionCreativeSlot", "Item promotion creative slot", "it.creative_slot"),
)


# -- metrics -------------------------------------------------------------------------------------
#
# Aggregates over the ``rows`` relation: ``uid``, ``ev``, ``sid``, ``active``, ``val`` (the value
# parameter), ``rev`` (ecommerce.purchase_revenue) and the inputs named below.

PURCHASE_EVENTS = ("purchase", "in_app_purchase")
_PURCHASES = "ev IN ('purchase', 'in_app_purchase')"
SESSION_KEY = "uid || '#' || CAST(sid AS VARCHAR)"
ACTIVE_USERS = "COUNT(DISTINCT CASE WHEN active THEN uid END)"
SESSIONS = f"COUNT(DISTINCT CASE WHEN sid IS NOT NULL THEN {SESSION_KEY} END)"

#: name → SQL over ``t``: the metric inputs these metrics read.
INPUTS = {
    "refund": f"COALESCE(t.ecommerce.refund_value, {p('value', 'number')})",
    "txid": f"COALESCE(t.ecommerce.transaction_id, {p('transaction_id')})",
    "ship": f"COALESCE(t.ecommerce.shipping_value, {p('shipping', 'number')})",
    "tax": f"COALESCE(t.ecommerce.tax_value, {p('tax', 'number')})",
    "eng": p("engagement_time_msec", "number"),
    "seng": p("session_engaged"),
}

GROSS_PURCHASE = f"COALESCE(SUM(CASE WHEN {_PURCHASES} THEN COALESCE(rev, val) END), 0)"
REFUNDS = "COALESCE(SUM(CASE WHEN ev = 'refund' THEN refund END), 0)"
PURCHASE = f"({GROSS_PURCHASE} - {REFUNDS})"
AD_REVENUE = "COALESCE(SUM(CASE WHEN ev = 'ad_impression' THEN val END), 0)"
TOTAL_REVENUE = f"({PURCHASE} + {AD_REVENUE})"
TRANSACTIONS = f"COUNT(DISTINCT CASE WHEN {_PURCHASES} THEN txid END)"
PURCHASERS = f"COUNT(DISTINCT CASE WHEN {_PURCHASES} THEN uid END)"
ENGAGED_SESSIONS = f"COUNT(DISTINCT CASE WHEN sid IS NOT NULL AND seng IN ('1', '1.0') THEN {SESSION_KEY} END)"
VIEWS = "COUNT(*) FILTER (WHERE ev IN ('page_view', 'screen_view'))"


def ratio(numerator: str, denominator: str) -> str:
    """A ratio that is 0 when the denominator is (as GA4 writes it)."""
    return f"COALESCE(CAST({numerator} AS DOUBLE) / NULLIF({denominator}, 0), 0)"


def count_of(*events: str) -> str:
    return "COUNT(*) FILTER (WHERE ev IN (" + ", ".join(quote_literal(e) for e in events) + "))"


#: (api name, UI name, category, description, MetricType, SQL, integer?, input names).
EVENT_METRICS: tuple[tuple[str, str, str, str, str, str, bool, tuple[str, ...]], ...] = (
    ("grossPurchaseRevenue", "Gross purchase revenue", "Revenue", "Revenue of purchase and in_app_purchase events, before refunds.", "TYPE_CURRENCY", GROSS_PURCHASE, False, ()),
    ("refundAmount", "Refund amount", "Revenue", "The value of refund events.", "TYPE_CURRENCY", REFUNDS, False, ("refund",)),
    ("totalAdRevenue", "Total ad revenue", "Revenue", "The value of ad_impression events.", "TYPE_CURRENCY", AD_REVENUE, False, ()),
    ("totalRevenue", "Total revenue", "Revenue", "Purchase revenue (net of refunds) plus ad revenue.", "TYPE_CURRENCY", TOTAL_REVENUE, False, ("refund",)),
    ("shippingAmount", "Shipping amount", "Revenue", "Shipping of purchase events.", "TYPE_CURRENCY", f"COALESCE(SUM(CASE WHEN {_PURCHASES} THEN ship END), 0)", False, ("ship",)),
    ("taxAmount", "Tax amount", "Revenue", "Tax of purchase events.", "TYPE_CURRENCY", f"COALESCE(SUM(CASE WHEN {_PURCHASES} THEN tax END), 0)", False, ("tax",)),
    ("transactions", "Transactions", "Ecommerce", "Distinct transaction ids of purchase events.", "TYPE_INTEGER", TRANSACTIONS, True, ("txid",)),
    ("averagePurchaseRevenue", "Average purchase revenue", "Revenue", "Purchase revenue per transaction.", "TYPE_CURRENCY", ratio(PURCHASE, TRANSACTIONS), False, ("refund", "txid")),
    ("totalPurchasers", "Total purchasers", "User", "Users with a purchase event.", "TYPE_INTEGER", PURCHASERS, True, ()),
    ("purchaserRate", "Purchaser rate", "User", "Purchasers per active user.", "TYPE_FLOAT", ratio(PURCHASERS, ACTIVE_USERS), False, ()),
    ("transactionsPerPurchaser", "Transactions per purchaser", "Ecommerce", "Transactions per purchaser.", "TYPE_FLOAT", ratio(TRANSACTIONS, PURCHASERS), False, ("txid",)),
    ("averagePurchaseRevenuePerPayingUser", "ARPPU", "Revenue", "Purchase revenue per purchaser.", "TYPE_CURRENCY", ratio(PURCHASE, PURCHASERS), False, ("refund",)),
    ("averagePurchaseRevenuePerUser", "Average purchase revenue per active user", "Revenue", "Purchase revenue per active user.", "TYPE_CURRENCY", ratio(PURCHASE, ACTIVE_USERS), False, ("refund",)),
    ("averageRevenuePerUser", "ARPU", "Revenue", "Total revenue per active user.", "TYPE_CURRENCY", ratio(TOTAL_REVENUE, ACTIVE_USERS), False, ("refund",)),
    ("itemViewEvents", "Item view events", "Ecommerce", "view_item events.", "TYPE_INTEGER", count_of("view_item"), True, ()),
    ("itemListViewEvents", "Item-list view events", "Ecommerce", "view_item_list events.", "TYPE_INTEGER", count_of("view_item_list"), True, ()),
    ("itemListClickEvents", "Item-list click events", "Ecommerce", "select_item events.", "TYPE_INTEGER", count_of("select_item"), True, ()),
    ("promotionViews", "Promotion views", "Ecommerce", "view_promotion events.", "TYPE_INTEGER", count_of("view_promotion"), True, ()),
    ("promotionClicks", "Promotion clicks", "Ecommerce", "select_promotion events.", "TYPE_INTEGER", count_of("select_promotion"), True, ()),
    ("publisherAdImpressions", "Publisher ad impressions", "Publisher", "ad_impression events.", "TYPE_INTEGER", count_of("ad_impression"), True, ()),
    ("scrolledUsers", "Scrolled users", "User", "Users with a scroll event.", "TYPE_INTEGER", "COUNT(DISTINCT CASE WHEN ev = 'scroll' THEN uid END)", True, ()),
    ("engagedSessions", "Engaged sessions", "Session", "Sessions with session_engaged = 1.", "TYPE_INTEGER", ENGAGED_SESSIONS, True, ("seng",)),
    ("engagementRate", "Engagement rate", "Session", "Engaged sessions per session.", "TYPE_FLOAT", ratio(ENGAGED_SESSIONS, SESSIONS), False, ("seng",)),
    ("bounceRate", "Bounce rate", "Session", "Sessions that were not engaged, per session.", "TYPE_FLOAT", f"(1 - {ratio(ENGAGED_SESSIONS, SESSIONS)}) * (CASE WHEN {SESSIONS} > 0 THEN 1 ELSE 0 END)", False, ("seng",)),
    ("sessionsPerUser", "Sessions per user", "Session", "Sessions per active user.", "TYPE_FLOAT", ratio(SESSIONS, ACTIVE_USERS), False, ()),
    ("eventsPerSession", "Events per session", "Event", "Events per session.", "TYPE_FLOAT", ratio("COUNT(*)", SESSIONS), False, ()),
    ("screenPageViewsPerSession", "Views per session", "Page / screen", "Views per session.", "TYPE_FLOAT", ratio(VIEWS, SESSIONS), False, ()),
    ("screenPageViewsPerUser", "Views per user", "Page / screen", "Views per active user.", "TYPE_FLOAT", ratio(VIEWS, ACTIVE_USERS), False, ()),
    ("userEngagementDuration", "User engagement", "Session", "The sum of engagement_time_msec, in seconds.", "TYPE_SECONDS", "COALESCE(SUM(eng), 0) / 1000.0", False, ("eng",)),
)

#: Item metrics: (api name, UI name, description, MetricType, SQL over rows with ``iq``, ``irev``, ``iref``).
_ITEM_QTY = "COALESCE(it.quantity, 1)"
ITEM_INPUTS = {
    "iq": _ITEM_QTY,
    "irev": f"COALESCE(it.item_revenue, it.price * {_ITEM_QTY})",
    "iref": "it.item_refund",
}


def _item_units(*events: str) -> str:
    return "COALESCE(SUM(iq) FILTER (WHERE ev IN (" + ", ".join(quote_literal(e) for e in events) + ")), 0)"


_GROSS_ITEM = f"COALESCE(SUM(irev) FILTER (WHERE {_PURCHASES}), 0)"
_ITEM_REFUNDS = "COALESCE(SUM(iref) FILTER (WHERE ev = 'refund'), 0)"
ITEM_METRICS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("itemRevenue", "Item revenue", "Item revenue of purchases, net of item refunds.", "TYPE_CURRENCY", f"({_GROSS_ITEM} - {_ITEM_REFUNDS})", False),
    ("grossItemRevenue", "Gross item revenue", "Item revenue of purchases, before refunds.", "TYPE_CURRENCY", _GROSS_ITEM, False),
    ("itemRefundAmount", "Item refund amount", "item_refund of refund events.", "TYPE_CURRENCY", _ITEM_REFUNDS, False),
    ("itemsViewed", "Items viewed", "Units in view_item events.", "TYPE_INTEGER", _item_units("view_item"), True),
    ("itemsAddedToCart", "Items added to cart", "Units in add_to_cart events.", "TYPE_INTEGER", _item_units("add_to_cart"), True),
    ("itemsCheckedOut", "Items checked out", "Units in begin_checkout events.", "TYPE_INTEGER", _item_units("begin_checkout"), True),
    ("itemsPurchased", "Items purchased", "Units in purchase events.", "TYPE_INTEGER", _item_units(*PURCHASE_EVENTS), True),
    ("itemsViewedInList", "Items viewed in list", "Units in view_item_list events.", "TYPE_INTEGER", _item_units("view_item_list"), True),
    ("itemsClickedInList", "Items clicked in list", "Units in select_item events.", "TYPE_INTEGER", _item_units("select_item"), True),
    ("itemsViewedInPromotion", "Items viewed in promotion", "Units in view_promotion events.", "TYPE_INTEGER", _item_units("view_promotion"), True),
    ("itemsClickedInPromotion", "Items clicked in promotion", "Units in select_promotion events.", "TYPE_INTEGER", _item_units("select_promotion"), True),
)
