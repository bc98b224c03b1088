"""Kept for compatibility: GA4's facts now live in ``ga_goals.model.ga4_facts``.

This module re-exports them, and the plan-file vocabulary that used to sit here (alert metrics,
``safety.protect`` kinds), which now lives in ``ga_goals.plan_file.schema``. New code should
import from those two modules.
"""

# ruff: noqa: F403, F405  (a star re-export with its names listed in __all__)
from __future__ import annotations

from ga_goals.model.ga4_facts import *
from ga_goals.plan_file.schema import EVENT_ALERT_METRICS, FUNNEL_ALERT_METRICS, PROTECT_KINDS

__all__ = [
    "AUTOMATIC_EVENTS",
    "BREAKDOWN_LIMIT_MAX",
    "BREAKDOWN_LIMIT_MIN",
    "CONDITIONS_MAX",
    "CONDITIONS_MIN",
    "CREATED_EVENT_MAX",
    "CURRENCIES",
    "CURRENCY_PATTERN",
    "DESCRIPTION_MAX",
    "DISPLAY_NAME_MAX",
    "DISPLAY_NAME_PATTERN",
    "EVENT_NAME_MAX",
    "EVENT_NAME_PATTERN",
    "FUNNEL_STEPS_MAX",
    "FUNNEL_STEPS_MIN",
    "KNOWN_EVENTS",
    "LIMITS",
    "MUTATIONS_MAX",
    "MUTATION_PARAMETER_MAX",
    "MUTATION_VALUE_MAX",
    "PARAMETER_MAX",
    "PARAMETER_NAME_PATTERN",
    "RECOMMENDED_EVENTS",
    "RESERVED_EVENT_NAMES",
    "RESERVED_EVENT_PREFIXES",
    "RESERVED_ITEM_PARAMETERS",
    "RESERVED_PARAMETERS",
    "RESERVED_PARAMETER_PREFIXES",
    "RESERVED_USER_PROPERTIES",
    "RESERVED_USER_PROPERTY_PREFIXES",
    "USER_PROPERTY_MAX",
    "EVENT_ALERT_METRICS",
    "FUNNEL_ALERT_METRICS",
    "PROTECT_KINDS",
]
