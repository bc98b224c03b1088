"""The JSON Schema of the plan file's ``audiences:`` entries (merged into ``schema.py``'s).

The schema has no recursive definitions: GA4's filter tree has a fixed depth (an AND of ORs of
conditions), so the definitions are one per level. Which keys go together, and why a group may
not nest deeper, ``audience_rules`` says at the line.
"""

from __future__ import annotations

from typing import Any

from ga_goals.model.audiences import (
    AUDIENCE_SCOPES,
    EXCLUSION_MODES,
    LOG_CONDITIONS,
    MEMBERSHIP_DAYS_MAX,
    MEMBERSHIP_DAYS_MIN,
    N_DAY_PERIOD_MAX,
)


def _filter_properties() -> dict[str, Any]:
    text = {"type": ["string", "number"]}
    return {
        "dimension": {"type": "string", "title": "Dimension", "examples": ["deviceCategory", "firstUserMedium"]},
        "metric": {"type": "string", "title": "Metric", "examples": ["eventCount", "purchaseRevenue"]},
        "parameter": {"type": "string", "title": "Event parameter", "examples": ["value", "content_type"]},
        "equals": {**text, "description": "The value equals this (a number compares as a number)."},
        "contains": {**text, "description": "The value contains this text."},
        "starts_with": {**text, "description": "The value starts with this text."},
        "ends_with": {**text, "description": "The value ends with this text."},
        "matches": {"type": "string", "description": "The whole value matches this regular expression (RE2)."},
        "in": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": ["string", "number"]},
               "description": "The value is one of these."},
        "less_than": {"type": "number", "description": "The value is a number less than this."},
        "greater_than": {"type": "number", "description": "The value is a number greater than this."},
        "between": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"},
                    "description": "[low, high]: a number from low to high (inclusive)."},
        "case_sensitive": {"type": "boolean", "default": True,
                           "description": "false: compare text ignoring case (text comparisons only)."},
        "negate": {"type": "boolean", "default": False,
                   "description": "true: the condition must NOT hold (dimension and metric conditions only)."},
        "in_last_days": {"type": "integer", "minimum": 1, "maximum": N_DAY_PERIOD_MAX,
                         "description": f"Only the last N days count (1 to {N_DAY_PERIOD_MAX}; user scope only). "
                         "On an event: the user did it in the last N days."},
        "at_any_point": {"type": "boolean", "default": False,
                         "description": "true: once true, always true (GA4's static 'in any time period'; "
                         "user scope only)."},
    }


def _nested_group() -> dict[str, Any]:
    """``any``/``all`` where GA4 takes no group: allowed by the schema so that ``rules`` says why."""
    from ga_goals.plan_file.schema import RULES_COMMENT

    return {"type": "array", "uniqueItems": True, "maxItems": 0, "$comment": RULES_COMMENT,
            "description": "Not here: GA4 takes an AND of ORs ('all' of 'any' groups of plain conditions)."}


def _leaf_properties() -> dict[str, Any]:
    return {
        "any": _nested_group(),
        "all": _nested_group(),
        "event": {"$ref": "#/$defs/eventName", "description": "The user logged this event."},
        "where": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"$ref": "#/$defs/audienceFilter"},
                  "description": "Conditions on the event's parameters (or eventCount), ANDed."},
        **_filter_properties(),
    }


def _leaf_schema() -> dict[str, Any]:
    return {"anyOf": [{"$ref": "#/$defs/eventName"}, {"$ref": "#/$defs/audienceLeaf"}]}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", **extra, "properties": properties, "additionalProperties": False}


def _scope() -> dict[str, Any]:
    return {"enum": list(AUDIENCE_SCOPES), "default": "user",
            "description": "user: across all sessions; session: within one session; event: within one event."}


def _condition_properties() -> dict[str, Any]:
    return {
        **_leaf_properties(),
        "any": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _leaf_schema(), "description": "At least one of these holds."},
        "all": {"type": "array", "minItems": 1, "uniqueItems": True,
                "items": {"anyOf": [{"$ref": "#/$defs/eventName"}, {"$ref": "#/$defs/audienceGroup"}]},
                "description": "Every one of these holds (each an event, a condition or an `any` group)."},
    }


def schema_defs() -> dict[str, Any]:
    """The ``$defs`` of the audience entries (added to the plan schema's)."""
    within = {"$ref": "#/$defs/duration"}
    return {
        "audienceFilter": _object(_filter_properties(), title="Audience filter",
                                  description="{dimension|metric|parameter: NAME, <comparison>: VALUE}",
                                  examples=[{"dimension": "deviceCategory", "equals": "mobile"}]),
        "audienceLeaf": _object(_leaf_properties(), title="Audience condition",
                                description="An event ({event, where, in_last_days}) or a dimension/metric condition.",
                                examples=[{"event": "purchase", "in_last_days": 7}]),
        "audienceGroup": _object(
            {**_leaf_properties(), "any": _condition_properties()["any"]},
            title="Audience condition or group",
            description="A condition, or {any: [...]} of conditions.",
            examples=[{"any": [{"dimension": "firstUserMedium", "equals": "email"}, "sign_up"]}],
        ),
        "audienceStep": _object(
            {**_condition_properties(), "scope": _scope(),
             "within": {**within, "description": "At most this long after the prior step."},
             "directly": {"type": "boolean", "default": False,
                          "description": "true: the very next event after the prior step's."}},
            title="Sequence step",
            description="A condition, with how it follows the prior step.",
            examples=[{"event": "add_to_cart", "within": "1h"}],
        ),
        "audienceClause": {
            "title": "Audience clause",
            "description": "An event name, a condition or group, or a sequence.",
            "anyOf": [
                {"$ref": "#/$defs/eventName"},
                _object(
                    {**_condition_properties(), "scope": _scope(),
                     "sequence": {"type": "array", "minItems": 1,
                                  "items": {"anyOf": [{"$ref": "#/$defs/eventName"}, {"$ref": "#/$defs/audienceStep"}]},
                                  "description": "Steps the user takes in this order."},
                     "within": {**within, "description": "A sequence: all its steps within this long."}},
                    title="Audience clause",
                    description="A condition (event, dimension or metric, any/all groups) or a sequence.",
                    examples=[{"event": "add_to_cart"}, {"sequence": ["view_item", {"event": "add_to_cart",
                                                                                    "within": "1h"}]}],
                ),
            ]
        },
        "audience": _object(
            {
                "description": {"type": "string", "minLength": 1, "title": "Description",
                                "description": "Required by GA4: what the audience is for."},
                "membership_days": {"type": "integer", "minimum": MEMBERSHIP_DAYS_MIN,
                                    "maximum": MEMBERSHIP_DAYS_MAX, "title": "Membership duration",
                                    "description": f"Days a user stays in the audience ({MEMBERSHIP_DAYS_MIN} to "
                                    f"{MEMBERSHIP_DAYS_MAX}). Immutable in GA4."},
                "include": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"$ref": "#/$defs/audienceClause"},
                            "description": "Users who meet every one of these clauses join."},
                "exclude": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"$ref": "#/$defs/audienceClause"},
                            "description": "Users who meet any of these clauses are left out."},
                "exclusion": {"enum": list(EXCLUSION_MODES), "default": "temporary",
                              "description": "temporary: left out while they meet an exclude clause; permanent: "
                              "left out for good once they did. Immutable in GA4."},
                "trigger": _object(
                    {"event": {"$ref": "#/$defs/eventName"},
                     "log": {"enum": list(LOG_CONDITIONS), "default": "joined",
                             "description": "joined: when a user joins; renewed: also each time a member meets "
                             "the conditions again."}},
                    required=["event"],
                    examples=[{"event": "cart_abandoner", "log": "joined"}],
                    title="Audience trigger",
                    description="An event GA4 logs for the user when they join the audience.",
                ),
            },
            required=["description", "membership_days", "include"],
            title="Audience",
            description="A GA4 audience; its key is its display name. Only the description and the trigger "
            "(and the name) can change once GA4 has it: other changes archive it and create it again.",
            examples=[{"description": "Added to cart, no purchase within 7 days", "membership_days": 7,
                       "include": ["add_to_cart"], "exclude": [{"event": "purchase", "in_last_days": 7}]}],
        ),
    }


def top_level_schema() -> dict[str, Any]:
    """The schema of the top-level ``audiences:`` mapping."""
    return {
        "type": "object",
        "title": "Audiences",
        "description": "GA4 audiences, keyed by display name (what GA4 shows; its only user-chosen name).",
        "additionalProperties": {"$ref": "#/$defs/audience"},
        "propertyNames": {"minLength": 1},
        "examples": [{"Cart abandoners": {"description": "Added to cart, no purchase", "membership_days": 7,
                                          "include": ["add_to_cart"], "exclude": ["purchase"]}}],
    }
