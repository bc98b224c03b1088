"""GA4 naming rules and per-property limits, as the sandbox enforces them (see docs/ga4-api-facts.md §1-2).

The facts (patterns, lengths, reserved names, limits) come from ``ga_goals.model.ga4_facts``.

Each ``*_problem`` function returns None for a valid value, or a short explanation of what is
wrong, for the caller to prefix with the field it checked.
"""

from __future__ import annotations

import re

from ga_goals.model import ga4_facts as facts

_EVENT_NAME = re.compile(facts.EVENT_NAME_PATTERN)
_PARAMETER_NAME = re.compile(facts.PARAMETER_NAME_PATTERN)
_DISPLAY_NAME = re.compile(facts.DISPLAY_NAME_PATTERN)
_CURRENCY = re.compile(facts.CURRENCY_PATTERN)

#: Event names GA treats as default (non-custom) key events: they get ``custom=false`` and do not
#: count toward the custom key event limit. (Server-side only: which key events GA creates.)
DEFAULT_KEY_EVENTS = frozenset(
    {"purchase", "first_open", "in_app_purchase", "app_store_subscription_convert", "app_store_subscription_renew"}
)

NUMERIC_COMPARISONS = frozenset({"GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL"})
REGEX_COMPARISONS = frozenset({"REGULAR_EXPRESSION", "REGULAR_EXPRESSION_CASE_INSENSITIVE"})


def limit(kind: str, service_level: str) -> int:
    """GA4's limit on ``kind`` (a key of ``facts.LIMITS``) for a property of ``service_level``."""
    return facts.LIMITS[kind]["360" if service_level == "GOOGLE_ANALYTICS_360" else "standard"]


def _length(value: str, maximum: int) -> str | None:
    if len(value) > maximum:
        return f"is {len(value)} characters long; the maximum is {maximum}"
    return None


def event_name_problem(name: str, maximum: int = facts.EVENT_NAME_MAX) -> str | None:
    if not _EVENT_NAME.match(name):
        return "must start with a letter and contain only letters, digits and underscores (no spaces)"
    if problem := _length(name, maximum):
        return problem
    for prefix in facts.RESERVED_EVENT_PREFIXES:
        if name.startswith(prefix):
            return f"uses the reserved prefix {prefix!r}"
    return None


def parameter_name_problem(
    name: str,
    maximum: int,
    reserved: frozenset[str] = facts.RESERVED_PARAMETERS,
    prefixes: tuple[str, ...] = facts.RESERVED_PARAMETER_PREFIXES,
) -> str | None:
    for prefix in prefixes:
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
    return _length(name, facts.DISPLAY_NAME_MAX)


def description_problem(text: str) -> str | None:
    return _length(text, facts.DESCRIPTION_MAX)


def currency_problem(code: str) -> str | None:
    if not _CURRENCY.match(code):
        return "must be an ISO 4217 code of 3 upper-case letters, such as USD"
    return None


__all__ = [
    "DEFAULT_KEY_EVENTS",
    "NUMERIC_COMPARISONS",
    "REGEX_COMPARISONS",
    "currency_problem",
    "description_problem",
    "display_name_problem",
    "event_name_problem",
    "limit",
    "parameter_name_problem",
]
