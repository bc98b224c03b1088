"""GA4 naming rules and per-property limits, as the sandbox enforces them (see docs/GA4-API.md §1-2).

Each ``*_problem`` function returns None for a valid value, or a short explanation of what is
wrong, for the caller to prefix with the field it checked.
"""

from __future__ import annotations

import re

#: Event names: start with a letter; letters (any script), digits and underscores.
_EVENT_NAME = re.compile(r"^[^\W\d_]\w*$")
#: Parameter names of custom definitions and rules: ASCII letters, digits, underscores.
_PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: Display names of custom definitions.
_DISPLAY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _]*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

EVENT_NAME_MAX = 40
#: EventCreateRule.destination_event must be *fewer than* 40 characters.
CREATED_EVENT_NAME_MAX = 39
USER_PARAMETER_MAX = 24
EVENT_PARAMETER_MAX = 40
DISPLAY_NAME_MAX = 82
DESCRIPTION_MAX = 150
#: ParameterMutation.parameter fewer than 40, parameter_value fewer than 100 characters.
MUTATION_PARAMETER_MAX = 39
MUTATION_VALUE_MAX = 99
MAX_CONDITIONS = 10
MAX_MUTATIONS = 20

RESERVED_EVENT_PREFIXES = ("firebase_", "google_", "ga_")
RESERVED_PARAMETER_PREFIXES = ("_", "firebase_", "ga_", "google_", "gtag.")
RESERVED_PARAMETERS = frozenset(
    "cid currency customer_id customerid dclid gclid session_id sessionid sfmc_id sid srsltid uid user_id userid".split()
)
RESERVED_USER_PROPERTIES = frozenset(
    """cid customer_id customerid first_open_after_install first_open_time first_visit_time
    google_allow_ad_personalization_signals last_advertising_id_reset last_deep_link_referrer last_gclid
    lifetime_user_engagement non_personalized_ads session_id session_number sessionid sfmc_id sid uid
    user_id userid""".split()
)
#: Item parameters GA4 already reports as built-in item dimensions (partial list).
RESERVED_ITEM_PARAMETERS = frozenset(
    """affiliation coupon creative_name creative_slot discount index item_brand item_category item_category2
    item_category3 item_category4 item_category5 item_id item_list_id item_list_name item_name item_variant
    location_id price promotion_id promotion_name quantity""".split()
)
#: Event names GA treats as default (non-custom) key events: they get ``custom=false`` and do not
#: count toward the custom key event limit.
DEFAULT_KEY_EVENTS = frozenset(
    {"purchase", "first_open", "in_app_purchase", "app_store_subscription_convert", "app_store_subscription_renew"}
)

#: Per-property limits: (standard, GA360).
LIMITS: dict[str, tuple[int, int]] = {
    "key_events": (30, 50),
    "dimensions:EVENT": (50, 125),
    "dimensions:USER": (25, 100),
    "dimensions:ITEM": (10, 25),
    "metrics": (50, 125),
    "event_create_rules": (50, 50),
}

NUMERIC_COMPARISONS = frozenset({"GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL"})
REGEX_COMPARISONS = frozenset({"REGULAR_EXPRESSION", "REGULAR_EXPRESSION_CASE_INSENSITIVE"})


def limit(key: str, service_level: str) -> int:
    standard, ga360 = LIMITS[key]
    return ga360 if service_level == "GOOGLE_ANALYTICS_360" else standard


def _length(value: str, maximum: int) -> str | None:
    if len(value) > maximum:
        return f"is {len(value)} characters long; the maximum is {maximum}"
    return None


def event_name_problem(name: str, maximum: int = EVENT_NAME_MAX) -> str | None:
    if not _EVENT_NAME.match(name):
        return "must start with a letter and contain only letters, digits and underscores (no spaces)"
    if problem := _length(name, maximum):
        return problem
    for prefix in RESERVED_EVENT_PREFIXES:
        if name.startswith(prefix):
            return f"uses the reserved prefix {prefix!r}"
    return None


def parameter_name_problem(name: str, maximum: int, reserved: frozenset[str] = RESERVED_PARAMETERS) -> str | None:
    for prefix in RESERVED_PARAMETER_PREFIXES:
        if name.startswith(prefix):
            return f"uses the reserved prefix {prefix!r}"
    if not _PARAMETER_NAME.match(name):
        return "must start with a letter and contain only letters (A-Z, a-z), digits and underscores"
    if problem := _length(name, maximum):
        return problem
    if name in reserved:
        return "is a reserved name"
    return None


def display_name_problem(name: str) -> str | None:
    if not _DISPLAY_NAME.match(name):
        return "must start with a letter and contain only letters (A-Z, a-z), digits, spaces and underscores"
    return _length(name, DISPLAY_NAME_MAX)


def description_problem(text: str) -> str | None:
    return _length(text, DESCRIPTION_MAX)


def currency_problem(code: str) -> str | None:
    if not _CURRENCY.match(code):
        return "must be an ISO 4217 code of 3 upper-case letters, such as USD"
    return None


__all__ = [name for name in dir() if not name.startswith("_") and name != "annotations" and name != "re"]
