"""GA4's naming rules, reserved names and limits, as data: the one home of these facts.

The offline plan-file checks (``ga_goals.plan_file``), the JSON Schema of the plan file, the
planner's limit warnings (``ga_goals.changes``) and the embedded sandbox's validation
(``ga_goals.sandbox.rules``) all read them from here. Pure data, standard library only, cheap
to import.

Sources: docs/ga4-api-facts.md §2 (Google's "Event naming rules", "Event
collection limits", the Admin API field docs, the custom-definition quota articles), §3.2 (the
Data API's funnel report) and Google's lists of automatically collected, enhanced-measurement
and recommended events.
"""

from __future__ import annotations

import re

# Name patterns ---------------------------------------------------------------------------------

#: Event names: start with a letter; letters (any script), digits and underscores (§2.1).
EVENT_NAME_PATTERN = r"^[^\W\d_]\w*$"
#: Parameter names of custom definitions and rules: ASCII letters, digits, underscores, starting
#: with a letter (§1.3-1.4).
PARAMETER_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
#: Display names of custom definitions: ASCII letters, digits, spaces and underscores, starting
#: with a letter; never square brackets (§1.3).
DISPLAY_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_ ]*$"
#: Currency codes: ISO 4217, three upper-case letters (``CURRENCIES`` lists the known ones).
CURRENCY_PATTERN = r"^[A-Z]{3}$"

# Lengths and counts ----------------------------------------------------------------------------

#: Longest event name GA4 accepts (and can still mark as a key event).
EVENT_NAME_MAX = 40
#: EventCreateRule.destination_event must have *fewer* than 40 characters.
CREATED_EVENT_MAX = 39
#: Event parameter names (event- and item-scoped custom definitions).
PARAMETER_MAX = 40
#: User property names (user-scoped custom dimensions).
USER_PROPERTY_MAX = 24
#: ParameterMutation.parameter: fewer than 40 characters.
MUTATION_PARAMETER_MAX = 39
#: ParameterMutation.parameter_value: fewer than 100 characters.
MUTATION_VALUE_MAX = 99
#: Custom dimension and metric display names and descriptions.
DISPLAY_NAME_MAX = 82
DESCRIPTION_MAX = 150
#: EventCreateRule.event_conditions (1 to 10) and parameter_mutations (at most 20).
CONDITIONS_MIN, CONDITIONS_MAX = 1, 10
MUTATIONS_MAX = 20
#: Data API funnel reports: steps per funnel, and FunnelBreakdown.limit.
FUNNEL_STEPS_MIN, FUNNEL_STEPS_MAX = 2, 10
#: Segments one RunFunnelReport request takes (docs/ga4-api-facts.md, "Funnel segments").
FUNNEL_SEGMENTS_MAX = 4
#: How deep a funnel step's dimension conditions may nest groups (any / all / not). GA4 documents no
#: limit for FunnelFilterExpression; ga-goals decides one so that plans stay readable
#: (docs/ga4-api-facts.md, "Funnel step conditions").
FUNNEL_CONDITION_DEPTH = 3
BREAKDOWN_LIMIT_MIN, BREAKDOWN_LIMIT_MAX = 1, 15

# Reserved names and prefixes ------------------------------------------------------------------
# Google says these lists are not exhaustive; GA4 rejects whatever else it reserves.

#: Prefixes GA4 reserves for event names. (``_`` can never start a valid event name anyway,
#: which must start with a letter; it is listed so the message names the reserved prefix.)
RESERVED_EVENT_PREFIXES = ("_", "firebase_", "google_", "ga_")
#: Prefixes GA4 reserves for event parameter names (§2.2).
RESERVED_PARAMETER_PREFIXES = ("_", "firebase_", "google_", "ga_", "gtag.")
#: Prefixes GA4 reserves for user property names (§2.2: the parameter ones but ``gtag.``).
RESERVED_USER_PROPERTY_PREFIXES = ("_", "firebase_", "google_", "ga_")

#: Event names GA4 reserves (web and app lists); a created event cannot use them.
RESERVED_EVENT_NAMES = frozenset(
    {
        "ad_activeview",
        "ad_click",
        "ad_exposure",
        "ad_impression",
        "ad_query",
        "ad_reward",
        "adunit_exposure",
        "app_background",
        "app_clear_data",
        "app_exception",
        "app_install",
        "app_remove",
        "app_store_refund",
        "app_store_subscription_cancel",
        "app_store_subscription_convert",
        "app_store_subscription_renew",
        "app_update",
        "app_upgrade",
        "click",
        "dynamic_link_app_open",
        "dynamic_link_app_update",
        "dynamic_link_first_open",
        "error",
        "file_download",
        "firebase_campaign",
        "firebase_in_app_message_action",
        "firebase_in_app_message_dismiss",
        "firebase_in_app_message_impression",
        "first_open",
        "first_visit",
        "form_start",
        "form_submit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "notification_send",
        "os_update",
        "page_view",
        "screen_view",
        "scroll",
        "session_start",
        "session_start_with_rollout",
        "user_engagement",
        "video_complete",
        "video_progress",
        "video_start",
        "view_complete",
        "view_search_results",
    }
)

#: Events GA4 collects by itself (web and app), with enhanced measurement switched on.
AUTOMATIC_EVENTS = frozenset(
    {
        "ad_click",
        "ad_exposure",
        "ad_impression",
        "ad_query",
        "ad_reward",
        "adunit_exposure",
        "app_clear_data",
        "app_exception",
        "app_remove",
        "app_store_refund",
        "app_store_subscription_cancel",
        "app_store_subscription_convert",
        "app_store_subscription_renew",
        "app_update",
        "click",
        "dynamic_link_app_open",
        "dynamic_link_app_update",
        "dynamic_link_first_open",
        "error",
        "file_download",
        "firebase_campaign",
        "firebase_in_app_message_action",
        "firebase_in_app_message_dismiss",
        "firebase_in_app_message_impression",
        "first_open",
        "first_visit",
        "form_start",
        "form_submit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "os_update",
        "page_view",
        "screen_view",
        "scroll",
        "session_start",
        "user_engagement",
        "video_complete",
        "video_progress",
        "video_start",
        "view_search_results",
    }
)

#: Google's recommended events (all properties, online sales, lead generation, games).
RECOMMENDED_EVENTS = frozenset(
    {
        # all properties
        "ad_impression",
        "earn_virtual_currency",
        "generate_lead",
        "join_group",
        "login",
        "purchase",
        "refund",
        "search",
        "select_content",
        "share",
        "sign_up",
        "spend_virtual_currency",
        "tutorial_begin",
        "tutorial_complete",
        # online sales
        "add_payment_info",
        "add_shipping_info",
        "add_to_cart",
        "add_to_wishlist",
        "begin_checkout",
        "remove_from_cart",
        "select_item",
        "select_promotion",
        "view_cart",
        "view_item",
        "view_item_list",
        "view_promotion",
        "view_search_results",
        # lead generation
        "close_convert_lead",
        "close_unconvert_lead",
        "disqualify_lead",
        "qualify_lead",
        "working_lead",
        # games
        "level_end",
        "level_start",
        "level_up",
        "post_score",
        "unlock_achievement",
        # gtag.js built-ins
        "exception",
    }
)

#: Every event a funnel step may name without declaring it in the plan.
KNOWN_EVENTS = AUTOMATIC_EVENTS | RECOMMENDED_EVENTS

#: Parameter names GA4 will not register as custom dimensions or metrics.
RESERVED_PARAMETERS = frozenset(
    {
        "cid",
        "currency",
        "customer_id",
        "customerid",
        "dclid",
        "gclid",
        "session_id",
        "sessionid",
        "sfmc_id",
        "sid",
        "srsltid",
        "uid",
        "user_id",
        "userid",
    }
)

#: User property names GA4 reserves (user-scoped custom dimensions).
RESERVED_USER_PROPERTIES = frozenset(
    {
        "cid",
        "customer_id",
        "customerid",
        "first_open_after_install",
        "first_open_time",
        "first_visit_time",
        "google_allow_ad_personalization_signals",
        "last_advertising_id_reset",
        "last_deep_link_referrer",
        "last_gclid",
        "lifetime_user_engagement",
        "non_personalized_ads",
        "session_id",
        "session_number",
        "sessionid",
        "sfmc_id",
        "sid",
        "uid",
        "user_id",
        "userid",
    }
)

#: Item parameters GA4 already reports as built-in item dimensions (item-scoped definitions).
RESERVED_ITEM_PARAMETERS = frozenset(
    {
        "affiliation",
        "coupon",
        "creative_name",
        "creative_slot",
        "discount",
        "index",
        "item_brand",
        "item_category",
        "item_category2",
        "item_category3",
        "item_category4",
        "item_category5",
        "item_id",
        "item_list_id",
        "item_list_name",
        "item_name",
        "item_variant",
        "location_id",
        "price",
        "promotion_id",
        "promotion_name",
        "quantity",
    }
)

# Event parameters (docs/ga4-api-facts.md §2.2 and §2.5) ------------------------------------------

#: Parameters one event may carry, by tier: GA4 drops the parameters past the limit.
PARAMETERS_PER_EVENT: dict[str, int] = {"standard": 25, "360": 100}
#: Longest parameter value, by tier ("Event parameter value length").
PARAMETER_VALUE_MAX: dict[str, int] = {"standard": 100, "360": 500}
#: Parameters GA4 lets carry longer values, whatever the tier.
PARAMETER_VALUE_MAX_EXCEPTIONS: dict[str, int] = {"page_title": 300, "page_referrer": 420, "page_location": 1000}
#: Custom item parameters one item may carry besides Google's documented ones (both tiers: the 360
#: table states no other figure).
CUSTOM_ITEM_PARAMETERS_MAX = 27

#: Parameters GA4 collects (or gtag.js sends) by itself with every web event: a plan never has to
#: declare them, and ``check`` never reports them as undeclared (docs/ga4-api-facts.md §2.5).
AUTOMATIC_PARAMETERS = frozenset(
    {
        # the page
        "page_location",
        "page_referrer",
        "page_title",
        "language",
        "screen_resolution",
        # sessions and engagement
        "ga_session_id",
        "ga_session_number",
        "engagement_time_msec",
        "session_engaged",
        "engaged_session_event",
        "entrances",
        "ignore_referrer",
        "debug_mode",
        "batch_page_id",
        "batch_ordering_id",
        "synthetic_bundle",
        # the traffic source, on the events that start a session
        "campaign",
        "campaign_id",
        "source",
        "medium",
        "term",
        "content",
        "gclid",
        "gclsrc",
        "dclid",
        "srsltid",
    }
)

#: The parameters GA4's automatically collected and enhanced-measurement events carry besides
#: :data:`AUTOMATIC_PARAMETERS`, by event (what GA4 sends with them by itself).
AUTOMATIC_EVENT_PARAMETERS: dict[str, frozenset[str]] = {
    "scroll": frozenset({"percent_scrolled"}),
    "click": frozenset({"link_classes", "link_domain", "link_id", "link_url", "outbound"}),
    "file_download": frozenset(
        {"file_extension", "file_name", "link_classes", "link_domain", "link_id", "link_text", "link_url"}
    ),
    "form_start": frozenset({"form_id", "form_name", "form_destination", "first_field_id", "first_field_name",
                             "first_field_type", "first_field_position"}),
    "form_submit": frozenset({"form_id", "form_name", "form_destination", "form_submit_text"}),
    "view_search_results": frozenset({"search_term", "unique_search_term"}),
    **{
        name: frozenset({"video_current_time", "video_duration", "video_percent", "video_provider", "video_title",
                         "video_url", "visible"})
        for name in ("video_start", "video_progress", "video_complete")
    },
}


def automatic_parameters(event_name: str) -> frozenset[str]:
    """The parameters GA4 sends by itself with ``event_name``: never undeclared, never required."""
    return AUTOMATIC_PARAMETERS | AUTOMATIC_EVENT_PARAMETERS.get(event_name, frozenset())


#: Per-property configuration limits (§2.3), by kind and then by tier ("standard" or "360").
#: Kinds: ``key_events`` (custom key events: GA's default ones do not count), ``event``,
#: ``user`` and ``item`` (custom dimensions of that scope), ``custom_metrics`` and
#: ``created_events`` (event create rules; "50" is not said to be per stream, so the safe
#: reading is per property).
LIMITS: dict[str, dict[str, int]] = {
    "key_events": {"standard": 30, "360": 50},
    "event": {"standard": 50, "360": 125},
    "user": {"standard": 25, "360": 100},
    "item": {"standard": 10, "360": 25},
    "custom_metrics": {"standard": 50, "360": 125},
    "created_events": {"standard": 50, "360": 50},
}

#: Active ISO 4217 currency codes (funds, precious metals and test codes left out; a few
#: codes withdrawn since 2023 are kept so older plans still validate).
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG ZWL
    """.split()
)


#: A GA4 export dataset reference, ``PROJECT.DATASET``, as BigQuery SQL can name it (it cannot be
#: a query parameter, so nothing else may reach the SQL text).
BIGQUERY_DATASET = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,200}\.[A-Za-z0-9_]{1,1024}")

#: Funnel step filter operators of a plan (``StepFilter.op``) -> the Data API's
#: ``StringFilter.MatchType`` (text comparisons) and ``NumericFilter.Operation`` (numbers;
#: ``equals`` with a number) names (§3.2). ``in`` is an ``InListFilter``. What ga-goals sends
#: (``ga_goals.ga4.data``) and what the sandbox reads back (``ga_goals.sandbox.data_api``) both
#: come from here; ``tests/funnels/test_filter_agreement.py`` runs every kind through both.
FILTER_STRING_MATCH = {
    "equals": "EXACT",
    "contains": "CONTAINS",
    "starts_with": "BEGINS_WITH",
    "ends_with": "ENDS_WITH",
    "matches": "FULL_REGEXP",
}
FILTER_NUMERIC_OPERATION = {
    "equals": "EQUAL",
    "greater_than": "GREATER_THAN",
    "greater_than_or_equal": "GREATER_THAN_OR_EQUAL",
    "less_than": "LESS_THAN",
    "less_than_or_equal": "LESS_THAN_OR_EQUAL",
}
