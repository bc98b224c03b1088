"""The JSON Schema (draft 2020-12) of the tracking plan file: the single source of its structure.

``plan_schema()`` is what ``ga-goals schema`` prints and what ``ga_goals/schema/plan.schema.json``
holds (regenerate it with ``ga-goals schema -o ga_goals/schema/plan.schema.json``; a test checks
the two are equal). The loader validates every document against it with
``jsonschema`` and turns the errors into friendly problems (``structure.py``).

The schema carries titles, descriptions, defaults and examples for editors. Checks GA4 makes on
names and lengths are in the schema too (so editors flag them), marked with a ``$comment``
naming ``ga_goals.plan_file.rules``: the loader leaves those to ``rules.py``, whose messages
say more (which character is wrong, which prefix is reserved...).

Past 600 lines because the schema is one document whose text is the plan's reference in editors
(titles, descriptions, examples of every key): splitting it would scatter what an editor shows
for one key across modules, while the code around it (``_ref``, ``_obj``, variables) is small.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ga_goals.model import DEFAULT_STAGES as _DEFAULT_STAGES
from ga_goals.model import MEASUREMENT_UNITS, CustomDimension, CustomMetric, EventCreateRule, KeyEvent
from ga_goals.model import ga4_facts as facts
from ga_goals.model.event_schemas import PARAMETER_TYPES
from ga_goals.model.tracking_plan import (
    NEXT_ACTION_DIMENSIONS,
    NEXT_ACTION_LIMIT_MAX,
    SPLIT_TEST_DEFAULT_VALUES,
    TREND_PERIODS,
)

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"

#: Marks a constraint that ``rules.py`` reports with a better message than jsonschema's.
RULES_COMMENT = "Also checked by ga_goals.plan_file.rules, which reports it with a friendlier message."

#: Lists whose items may repeat; every other list of the schema refuses a repeated item
#: (``uniqueItems``). A funnel may pass the same event twice; a rule's mutations are refused
#: stricter by ``rules.py`` (one per parameter). See docs/plan-rules.md, "Repeated items".
REPEATABLE_LISTS = ("steps", "set", "between")

#: Condition / filter comparisons, text ones first.
TEXT_COMPARISONS = ("equals", "contains", "starts_with", "ends_with", "matches")
NUMERIC_COMPARISONS = ("greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal")
RULE_COMPARISONS = TEXT_COMPARISONS + NUMERIC_COMPARISONS
FILTER_COMPARISONS = RULE_COMPARISONS + ("in",)

PERIODS = ("last_7_days", "last_28_days", "last_week", "last_month", "month_to_date")
COMPARES = ("previous_period", "previous_year", "none")
FORMATS = ("html", "email", "text", "json", "csv")
SCOPES = ("event", "user", "item")
UNITS = MEASUREMENT_UNITS
RESTRICTED = ("cost", "revenue")
DEFAULT_STAGES = list(_DEFAULT_STAGES)

#: Alert metrics: per funnel, and per event. ``*_change`` are relative changes against the
#: report's comparison period (-0.2 = a 20 % drop).
FUNNEL_ALERT_METRICS = (
    "conversion_rate",
    "conversion_rate_change",
    "users",
    "users_change",
    "completions",
    "completions_change",
)
EVENT_ALERT_METRICS = ("count", "count_change", "users", "users_change", "value", "value_change")
#: Split tests: at most this many values besides the control (GA4 returns at most
#: ``BREAKDOWN_LIMIT_MAX`` values of a funnel breakdown), and this many when none are named.
SPLIT_TEST_VALUES_MAX = facts.BREAKDOWN_LIMIT_MAX - 1
_ALERT_METRICS = list(dict.fromkeys(FUNNEL_ALERT_METRICS + EVENT_ALERT_METRICS))

#: Kinds a ``safety.protect`` entry may name (``kind:name``): the resources' ``KIND``.
PROTECT_KINDS = (KeyEvent.KIND, CustomDimension.KIND, CustomMetric.KIND, EventCreateRule.KIND)


#: ``in:`` of a parameter filter and of a dimension condition alike.
IN_LIST: dict[str, Any] = {
    "type": "array",
    "uniqueItems": True,
    "minItems": 1,
    "items": {"type": ["string", "number"]},
    "description": "The value is one of these.",
}


def _ref(name: str, **extra: Any) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}", **extra}


def _obj(properties: dict[str, Any], *, required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", **extra, "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _map_of(item: dict[str, Any], *, names: str | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", **extra, "additionalProperties": item}
    if names:
        schema["propertyNames"] = _ref(names)
    return schema


def _step_conditions(comparison_values: dict[str, Any], case_and_negate: dict[str, Any]) -> dict[str, Any]:
    """``stepCondition1`` .. ``stepConditionN``: a dimension condition or a group of conditions of the next
    level (the schema has no recursive definitions); which keys go together is checked by ``rules.py``."""
    # One level more than groups may nest: its conditions are checked, its groups left to rules.py.
    depth = facts.FUNNEL_CONDITION_DEPTH + 1
    out: dict[str, Any] = {}
    for level in range(1, depth + 1):
        inner: dict[str, Any] = _ref(f"stepCondition{level + 1}") if level < depth else {}
        group = {"type": "array", "uniqueItems": True, "minItems": 1, "$comment": RULES_COMMENT, "items": inner}
        out[f"stepCondition{level}"] = _obj(
            {
                "dimension": {"type": "string", "title": "Dimension", "examples": ["deviceCategory", "firstUserMedium"]},
                **comparison_values,
                "in": IN_LIST,
                "between": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "items": {"type": "number"},
                    "description": "[low, high]: the value is a number from low to high (inclusive).",
                },
                **case_and_negate,
                "any": {**group, "description": "At least one of these conditions holds."},
                "all": {**group, "description": "Every one of these conditions holds."},
                "not": {**({"$ref": inner["$ref"]} if inner else {}), "description": "This condition does not hold."},
            },
            title="Dimension condition",
            examples=[{"dimension": "firstUserMedium", "contains": "organic"}],
            description="{dimension: NAME, <comparison>: VALUE}, or {any: [...]}, {all: [...]}, {not: CONDITION}.",
        )
    return out


#: ``undeclared_parameters`` of an event: what ``check`` does with a parameter nobody declared.
UNDECLARED_PARAMETERS = ("report", "allowed")


def _event_parameters() -> dict[str, Any]:
    """The keys a conversion and an event share to declare their parameters."""
    return {
        "parameters": _ref("parameters", description="The event's own parameters, by name: a type (string, "
                           "integer, number, boolean, items) or a spec. They override Google's and the sets' "
                           "field by field."),
        "parameter_sets": {
            "type": "array",
            "uniqueItems": True,
            "title": "Parameter sets",
            "description": "Shared sets (`parameter_sets:` at the top level) whose parameters the event carries, "
            "applied in order.",
            "items": {"type": "string", "examples": ["ecommerce"]},
        },
        "undeclared_parameters": {
            "enum": list(UNDECLARED_PARAMETERS),
            "default": "report",
            "description": "report: `check` lists parameters the event carries that nobody declared (GA4's own "
            "are never listed); allowed: it does not.",
        },
    }


def _parameter_spec(*, items: bool) -> dict[str, Any]:
    """A parameter's spec: a type name, or a mapping (``item_parameters`` only outside items)."""
    fields: dict[str, Any] = {
        "type": {
            "enum": list(PARAMETER_TYPES),
            "default": "string",
            "$comment": RULES_COMMENT,
            "description": "string, integer, number (a float), boolean, or items (GA4's array of item objects).",
        },
        "required": {"type": "boolean", "default": False, "description": "true: every event carries it."},
        "values": {
            "type": "array",
            "uniqueItems": True,
            "minItems": 1,
            "items": {"type": ["string", "integer"]},
            "title": "Allowed values",
            "description": "The only values allowed (strings or integers; not on number, boolean or items).",
        },
        "pattern": {
            "type": "string",
            "title": "Regular expression",
            "description": "A regular expression the whole value matches (RE2 syntax).",
            "examples": ["[A-Z]{3}"],
        },
        "description": {"type": "string", "description": "What the parameter means, for the people who send it."},
    }
    if items:
        fields["item_parameters"] = _ref(
            "itemParameters", description="The parameters of each item (type items only), by name."
        )
    return {
        "title": "Item parameter" if not items else "Parameter",
        "description": "A type name (string, integer, number, boolean" + (", items" if items else "")
        + ") or {type, required, values, pattern, description"
        + (", item_parameters" if items else "") + "}.",
        "anyOf": [
            {"enum": list(PARAMETER_TYPES), "$comment": RULES_COMMENT, "title": "Type"},
            _obj(fields, examples=[{"type": "string", "required": True, "values": ["credit_card", "paypal"]}]),
        ],
    }


def _defs() -> dict[str, Any]:
    identifier = {"pattern": facts.PARAMETER_NAME_PATTERN, "$comment": RULES_COMMENT}
    comparison_values: dict[str, Any] = {
        "equals": {"type": ["string", "number", "boolean"], "description": "The value equals this."},
        "contains": {"type": ["string", "number"], "description": "The value contains this text."},
        "starts_with": {"type": ["string", "number"], "description": "The value starts with this text."},
        "ends_with": {"type": ["string", "number"], "description": "The value ends with this text."},
        "matches": {
            "type": "string",
            "title": "Regular expression",
            "description": "The whole value matches this regular expression (RE2 syntax).",
            "examples": ["^/blog/.*"],
        },
        "greater_than": {"type": "number", "description": "The value is a number greater than this."},
        "greater_than_or_equal": {"type": "number", "description": "The value is a number >= this."},
        "less_than": {"type": "number", "description": "The value is a number less than this."},
        "less_than_or_equal": {"type": "number", "description": "The value is a number <= this."},
    }
    case_and_negate = {
        "case_sensitive": {
            "type": "boolean",
            "default": True,
            "description": "false: compare text ignoring case (text comparisons only).",
        },
        "negate": {"type": "boolean", "default": False, "description": "true: the condition must NOT hold."},
    }
    return {
        "eventName": {
            "type": "string",
            "title": "Event name",
            "description": "A GA4 event name: starts with a letter; letters, digits and _; at most "
            f"{facts.EVENT_NAME_MAX} characters ({facts.CREATED_EVENT_MAX} for created events); no reserved "
            f"name or prefix ({', '.join(facts.RESERVED_EVENT_PREFIXES)}).",
            "maxLength": facts.EVENT_NAME_MAX,
            **identifier,
            "examples": ["add_to_cart"],
        },
        "parameterName": {
            "type": "string",
            "title": "Parameter name",
            "description": "An event parameter name: starts with a letter; letters, digits and _; at most "
            f"{facts.PARAMETER_MAX} characters ({facts.USER_PROPERTY_MAX} for user properties).",
            "maxLength": facts.PARAMETER_MAX,
            **identifier,
            "examples": ["form_id"],
        },
        "parameterReference": {
            "type": "string",
            "title": "Parameter",
            "description": "A parameter name, or a declared parameter: EVENT.PARAMETER, SET.PARAMETER, or "
            "EVENT.items.PARAMETER for an item parameter.",
            "pattern": r"^[A-Za-z][A-Za-z0-9_-]*(\.items)?(\.[A-Za-z][A-Za-z0-9_]*)?$",
            "$comment": RULES_COMMENT,
            "examples": ["form_id", "add_payment_info.payment_type"],
        },
        "name": {
            "type": "string",
            "title": "Name",
            "description": "starts with a letter; letters, digits, _ and - only",
            "pattern": "^[A-Za-z][A-Za-z0-9_-]*$",
            "examples": ["checkout"],
        },
        "displayName": {
            "type": "string",
            "title": "Display name",
            "description": f"Shown in GA4: at most {facts.DISPLAY_NAME_MAX} characters of letters, digits, "
            "spaces and _, starting with a letter.",
            "maxLength": facts.DISPLAY_NAME_MAX,
            "pattern": facts.DISPLAY_NAME_PATTERN,
            "$comment": RULES_COMMENT,
            "examples": ["Form ID"],
        },
        "definitionDescription": {
            "type": "string",
            "title": "Description",
            "description": f"Shown in GA4: at most {facts.DESCRIPTION_MAX} characters.",
            "maxLength": facts.DESCRIPTION_MAX,
            "$comment": RULES_COMMENT,
        },
        "currency": {
            "type": "string",
            "title": "Currency code",
            "description": "An ISO 4217 currency code (three upper-case letters).",
            "pattern": facts.CURRENCY_PATTERN,
            "$comment": RULES_COMMENT,
            "examples": ["USD", "EUR"],
        },
        "duration": {
            "type": "string",
            "title": "Duration",
            "description": "A positive duration: numbers with units w, d, h, m, s from largest to smallest, "
            "e.g. 30s, 5m, 1h30m, 2d, 1w.",
            "pattern": "^([0-9]+[wdhms])+$",
            "examples": ["30s", "5m", "1h30m"],
        },
        "date": {
            "type": "string",
            "title": "Date",
            "format": "date",
            "description": "A date as YYYY-MM-DD.",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "examples": ["2026-01-31"],
        },
        "stream": {
            "type": ["string", "integer"],
            "title": "Data stream",
            "description": "A web data stream: its id (\"1234567\") or its display name. Default: the "
            "property's only web stream.",
            "examples": ["Web", "1234567"],
        },
        "property": {
            "type": ["string", "integer"],
            "title": "GA4 property",
            "description": "\"sandbox\" (the embedded local property), a numeric property id, or "
            "\"properties/<id>\". ${VAR} and ${VAR:-default} are replaced from the environment.",
            "pattern": "^(sandbox|properties/[1-9][0-9]*|[1-9][0-9]*)$",
            "minimum": 1,
            "examples": ["sandbox", "123456789", "properties/123456789"],
        },
        "tier": {
            "enum": ["standard", "360", 360],
            "title": "Property tier",
            "default": "standard",
            "description": "standard or 360: the limits `validate` checks against (plan and sync read the "
            "real tier from the property).",
        },
        "stage": {
            "type": "string",
            "title": "Journey stage",
            "description": "One of the plan's `stages`.",
            "examples": ["product"],
        },
        "parameters": _map_of(
            _ref("parameterSpec"),
            names="parameterName",
            title="Parameters",
            examples=[{"payment_type": {"type": "string", "required": True}, "coupon": "string"}],
            description="Event parameters by name: a type, or {type, required, values, pattern, description, "
            "item_parameters}.",
        ),
        "itemParameters": _map_of(
            _ref("itemParameterSpec"),
            names="parameterName",
            title="Item parameters",
            examples=[{"item_id": {"type": "string", "required": True}, "item_color": "string"}],
            description="The parameters of each item of an items parameter, by name.",
        ),
        "parameterSpec": _parameter_spec(items=True),
        "itemParameterSpec": _parameter_spec(items=False),
        "parameterSet": _obj(
            {
                "description": {"type": "string", "description": "What the set is for."},
                "parameters": _ref("parameters"),
            },
            required=("parameters",),
            title="Parameter set",
            examples=[{"description": "A form's fields", "parameters": {"form_id": {"type": "string", "required": True}}}],
            description="Parameters several events share; an event lists it in `parameter_sets`.",
        ),
        "conversion": _obj(
            {
                "stage": _ref("stage"),
                "counting": {
                    "enum": ["once_per_event", "once_per_session"],
                    "default": "once_per_event",
                    "title": "Counting method",
                    "description": "once_per_event counts every event; once_per_session at most one per session.",
                },
                "value": {
                    "title": "Default value",
                    "description": "The key event's default value: a number (in the plan's `currency`) or "
                    "{default: 0, currency: USD}.",
                    "anyOf": [
                        {"type": "number", "title": "Value", "minimum": 0, "examples": [25]},
                        _obj(
                            {
                                "default": {"type": "number", "minimum": 0, "description": "The default value."},
                                "currency": _ref("currency"),
                            },
                            required=("default",),
                            examples=[{"default": 0, "currency": "USD"}],
                        ),
                    ],
                },
                "description": {"type": "string", "description": "What this conversion means for the business."},
                "key_event": {
                    "type": "boolean",
                    "default": True,
                    "description": "true: register it as a GA4 key event; false: tracked and reported only.",
                },
                "created_from": {
                    "title": "Event create rule",
                    "description": "Create this event from other events: one rule, or a list of rules (ORed).",
                    "anyOf": [
                        _ref("createRule"),
                        {"type": "array", "minItems": 1, "uniqueItems": True, "items": _ref("createRule")},
                    ],
                },
                **_event_parameters(),
            },
            title="Conversion",
            examples=[{"stage": "checkout", "value": 25}],
            description="A conversion; its key is the GA4 event name.",
        ),
        "createRule": _obj(
            {
                "when": {
                    "type": "array",
                    "uniqueItems": True,
                    "title": "Conditions",
                    "description": f"{facts.CONDITIONS_MIN} to {facts.CONDITIONS_MAX} conditions, ANDed.",
                    "minItems": facts.CONDITIONS_MIN,
                    "maxItems": facts.CONDITIONS_MAX,
                    "$comment": RULES_COMMENT,
                    "items": _ref("condition"),
                },
                "copy_parameters": {
                    "type": "boolean",
                    "default": False,
                    "description": "true: copy the source event's parameters to the new event.",
                },
                "set": {
                    "type": "array",
                    "title": "Parameter mutations",
                    "description": "Parameters to set on the new event, in order "
                    f"(at most {facts.MUTATIONS_MAX}).",
                    "maxItems": facts.MUTATIONS_MAX,
                    "$comment": RULES_COMMENT,
                    "items": _ref("mutation"),
                },
                "stream": _ref("stream"),
            },
            required=("when",),
            title="Event create rule",
            examples=[{"when": [{"event_name": "form_submit"}]}],
            description="A GA4 event create rule on a web data stream.",
        ),
        "condition": _obj(
            {
                "event_name": {
                    "type": "string",
                    "description": "Shorthand for {parameter: event_name, equals: ...}.",
                    "examples": ["form_submit"],
                },
                "parameter": {
                    "type": "string",
                    "title": "Parameter",
                    "description": "event_name, or the event parameter to test.",
                    "examples": ["form_id"],
                },
                **comparison_values,
                **case_and_negate,
            },
            title="Condition",
            examples=[{"parameter": "form_id", "equals": "contact"}],
            description="{event_name: NAME}, or {parameter: NAME, <comparison>: VALUE} with one of: "
            + ", ".join(RULE_COMPARISONS)
            + ".",
        ),
        "mutation": _obj(
            {
                "parameter": _ref("parameterName"),
                "value": {"type": ["string", "number", "boolean"], "description": "A constant value."},
                "copy_from": _ref(
                    "parameterName", description="Copy this parameter's value (written to GA4 as [[name]])."
                ),
            },
            required=("parameter",),
            title="Parameter mutation",
            examples=[{"parameter": "form_type", "value": "lead"}],
            description="Set a parameter to a constant (`value`) or to another parameter's value (`copy_from`).",
        ),
        "event": _obj(
            {"stage": _ref("stage"), "description": {"type": "string"}, **_event_parameters()},
            title="Event",
            examples=[{"stage": "product"}],
            description="An event the site sends (not a key event, not created by a rule).",
        ),
        "customDimension": _obj(
            {
                "scope": {"enum": list(SCOPES), "title": "Scope", "description": "event, user or item."},
                "display_name": _ref("displayName"),
                "description": _ref("definitionDescription"),
                "disallow_ads_personalization": {
                    "type": "boolean",
                    "default": False,
                    "description": "Exclude from ads personalization (user scope only).",
                },
                "parameter": _ref(
                    "parameterReference",
                    description="The parameter (or user property) name, when it must differ from the key; or a "
                    "declared parameter: EVENT.PARAMETER or SET.PARAMETER (item scope: EVENT.items.PARAMETER).",
                ),
            },
            required=("scope", "display_name"),
            title="Custom dimension",
            examples=[{"scope": "event", "display_name": "Form ID"}],
            description="A custom dimension; its key is the parameter (or user property) name.",
        ),
        "customMetric": _obj(
            {
                "display_name": _ref("displayName"),
                "unit": {
                    "enum": list(UNITS),
                    "default": "standard",
                    "title": "Measurement unit",
                    "description": "How GA4 shows the metric.",
                },
                "restricted": {
                    "type": "array",
                    "title": "Restricted metric types",
                    "description": "Required when unit is currency, forbidden otherwise: cost and/or revenue.",
                    "uniqueItems": True,
                    "items": {"enum": list(RESTRICTED)},
                },
                "description": _ref("definitionDescription"),
                "scope": {"enum": ["event"], "default": "event", "description": "GA4 has event scope only."},
                "parameter": _ref(
                    "parameterReference",
                    description="The parameter, when it must differ from the key; or a declared numeric parameter: "
                    "EVENT.PARAMETER or SET.PARAMETER.",
                ),
            },
            required=("display_name",),
            title="Custom metric",
            examples=[{"display_name": "Cart value", "unit": "currency", "restricted": ["revenue"]}],
            description="A custom metric; its key is the event parameter name.",
        ),
        "segment": _obj(
            {
                "scope": {
                    "enum": ["user", "session", "event"],
                    "description": "What the segment keeps: the users (all their events), the sessions (their "
                    "events) or the events that have an event satisfying the conditions.",
                },
                "title": {"type": "string", "description": "Shown in reports. Default: the segment's key."},
                "description": {"type": "string"},
                        "event": _ref("eventName", description="The event's name."),
                        "any": {
                            "type": "array",
                            "uniqueItems": True,
                            "title": "Alternatives",
                            "description": "Any of these events (instead of `event`).",
                            "minItems": 1,
                            "$comment": RULES_COMMENT,
                            "items": _ref("stepAlternative"),
                        },
                        "where": {
                            "type": "array",
                            "uniqueItems": True,
                            "title": "Parameter filters",
                            "description": "Conditions on the event's parameters, ANDed.",
                            "items": _ref("stepFilter"),
                        },
                        "when": _ref("stepConditions"),
                "exclude": _ref(
                    "segmentConditions",
                    description="Leave out the users / sessions / events that have an event satisfying this.",
                ),
            },
            required=("scope",),
            title="Segment",
            description="A part of the traffic funnels are shown for: an event (`event` / `any`, `where`) and/or "
            "`when` dimension conditions, as in a funnel step, tested on single events.",
            examples=[
                {"scope": "user", "title": "Newsletter readers", "when": [{"dimension": "firstUserMedium", "equals": "email"}]},
                {"scope": "session", "when": [{"dimension": "deviceCategory", "equals": "mobile"}]},
            ],
        ),
        "segmentConditions": _obj(
            {
                        "event": _ref("eventName", description="The event's name."),
                        "any": {
                            "type": "array",
                            "uniqueItems": True,
                            "title": "Alternatives",
                            "description": "Any of these events (instead of `event`).",
                            "minItems": 1,
                            "$comment": RULES_COMMENT,
                            "items": _ref("stepAlternative"),
                        },
                        "where": {
                            "type": "array",
                            "uniqueItems": True,
                            "title": "Parameter filters",
                            "description": "Conditions on the event's parameters, ANDed.",
                            "items": _ref("stepFilter"),
                        },
                        "when": _ref("stepConditions"),
            },
            title="Segment conditions",
            description="An event (`event` / `any`, `where`) and/or `when` dimension conditions, tested on single events.",
            examples=[{"event": "purchase"}],
        ),
        "segmentNames": {
            "title": "Segments",
            "description": f"A segment's name, or a list of 1 to {facts.FUNNEL_SEGMENTS_MAX}: the funnel is shown "
            "for each (one Data API request).",
            "anyOf": [
                {"type": "string", "examples": ["mobile_sessions"]},
                {"type": "array", "uniqueItems": True, "minItems": 1, "items": {"type": "string"}, "$comment": RULES_COMMENT},
            ],
        },
        "funnel": _obj(
            {
                "title": {"type": "string", "description": "Shown in reports. Default: the funnel's key."},
                "description": {"type": "string"},
                "open": {
                    "type": "boolean",
                    "default": False,
                    "description": "true: users may enter at any step; false (closed): at step 1 only.",
                },
                "steps": {
                    "type": "array",
                    "title": "Steps",
                    "description": f"{facts.FUNNEL_STEPS_MIN} to {facts.FUNNEL_STEPS_MAX} steps, in order.",
                    "minItems": facts.FUNNEL_STEPS_MIN,
                    "maxItems": facts.FUNNEL_STEPS_MAX,
                    "$comment": RULES_COMMENT,
                    "items": _ref("funnelStep"),
                },
                "segment": _ref("segmentNames"),
                "breakdown": {
                    "title": "Breakdown",
                    "description": "A Data API dimension to break the funnel down by, or {dimension, limit}.",
                    "anyOf": [
                        {"type": "string", "title": "Dimension", "examples": ["deviceCategory"]},
                        _obj(
                            {
                                "dimension": {"type": "string", "examples": ["deviceCategory"]},
                                "limit": {
                                    "type": "integer",
                                    "minimum": facts.BREAKDOWN_LIMIT_MIN,
                                    "maximum": facts.BREAKDOWN_LIMIT_MAX,
                                    "default": 5,
                                    "description": "How many values to show "
                                    f"({facts.BREAKDOWN_LIMIT_MIN} to {facts.BREAKDOWN_LIMIT_MAX}).",
                                },
                            },
                            required=("dimension",),
                            examples=[{"dimension": "deviceCategory", "limit": 5}],
                        ),
                    ],
                },
            },
            required=("steps",),
            title="Funnel",
            examples=[{"steps": ["view_item", "add_to_cart", "purchase"]}],
        ),
        "funnelStep": {
            "title": "Funnel step",
            "description": "An event name, or a mapping: `event` (or `any` alternatives) with options, "
            "and `when` dimension conditions.",
            "anyOf": [
                _ref("eventName"),
                _obj(
                    {
                        "event": _ref("eventName"),
                        "name": {"type": "string", "description": "Shown in reports. Default: the event name "
                                 "(alternatives: 'a or b')."},
                        "within": _ref(
                            "duration", description="At most this long after the prior step: 30s, 5m, 1h30m, 2d, 1w."
                        ),
                        "directly_followed": {
                            "type": "boolean",
                            "default": False,
                            "description": "true: must be the very next event after the prior step.",
                        },
                        "where": {
                            "type": "array",
                            "uniqueItems": True,
                            "title": "Parameter filters",
                            "description": "Conditions on the event's parameters, ANDed.",
                            "items": _ref("stepFilter"),
                        },
                        "any": {
                            "type": "array",
                            "uniqueItems": True,
                            "title": "Alternatives",
                            "description": "The step is reached by any of these events (instead of `event`).",
                            "minItems": 1,
                            "$comment": RULES_COMMENT,
                            "items": _ref("stepAlternative"),
                        },
                        "when": _ref("stepConditions"),
                    },
                    examples=[
                        {"event": "purchase", "within": "1h"},
                        {"name": "First visit", "any": ["first_open", "first_visit"]},
                        {"event": "page_view", "when": [{"dimension": "deviceCategory", "equals": "mobile"}]},
                    ],
                ),
            ],
        },
        "stepAlternative": {
            "title": "Step alternative",
            "description": "An event name, or {event, where, when}.",
            "anyOf": [
                _ref("eventName"),
                _obj(
                    {
                        "event": _ref("eventName"),
                        "where": {
                            "type": "array",
                            "uniqueItems": True,
                            "title": "Parameter filters",
                            "description": "Conditions on the event's parameters, ANDed.",
                            "items": _ref("stepFilter"),
                        },
                        "when": _ref("stepConditions"),
                    },
                    required=("event",),
                    examples=[{"event": "first_visit", "where": [{"parameter": "page_location", "contains": "/blog/"}]}],
                ),
            ],
        },
        "stepConditions": {
            "type": "array",
            "uniqueItems": True,
            "title": "Dimension conditions",
            "description": "Conditions on dimensions of the event that reaches the step (deviceCategory, "
            "firstUserMedium, sessionSource, pageLocation...), ANDed; {any: [...]}, {all: [...]} and {not: ...} "
            f"group them, nested at most {facts.FUNNEL_CONDITION_DEPTH} deep.",
            "minItems": 1,
            "$comment": RULES_COMMENT,
            "items": _ref("stepCondition1"),
        },
        **_step_conditions(comparison_values, case_and_negate),
        "stepFilter": _obj(
            {
                "parameter": {"type": "string", "title": "Parameter", "examples": ["currency"]},
                **comparison_values,
                "in": IN_LIST,
                **case_and_negate,
            },
            required=("parameter",),
            title="Parameter filter",
            examples=[{"parameter": "currency", "equals": "USD"}],
            description="{parameter: NAME, <comparison>: VALUE} with one of: " + ", ".join(FILTER_COMPARISONS) + ".",
        ),
        "report": _obj(
            {
                "title": {"type": "string", "description": "Default: the report's key."},
                "period": {
                    "title": "Period",
                    "default": "last_7_days",
                    "description": "A named period, or {start: YYYY-MM-DD, end: YYYY-MM-DD}.",
                    "anyOf": [
                        {"enum": list(PERIODS)},
                        _obj(
                            {"start": _ref("date"), "end": _ref("date")},
                            required=("start", "end"),
                            examples=[{"start": "2026-01-01", "end": "2026-01-31"}],
                        ),
                    ],
                },
                "compare": {
                    "enum": list(COMPARES),
                    "default": "previous_period",
                    "description": "What each number is compared against.",
                },
                "funnels": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string"},
                    "description": "Funnels to report. Default: every funnel.",
                },
                "key_events": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string"},
                    "description": "Conversions to total. Default: every key event.",
                },
                "macro": {
                    "type": "string",
                    "description": "The macro conversion micro conversions are compared against.",
                },
                "segment": _ref(
                    "segmentNames",
                    description="Show the report's funnels for these segments (a funnel's own `segment` wins).",
                ),
                "alerts": {"type": "array", "uniqueItems": True, "items": _ref("alert")},
                "split_tests": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": _ref("splitTest"),
                    "description": "Funnels compared across the values of a dimension, each value tested "
                    "against a control value (two-proportion z-test, Holm-corrected).",
                },
                "trends": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": _ref("trend"),
                    "description": "Funnels shown as their completion rate per day or week (a line chart).",
                },
                "next_actions": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": _ref("nextAction"),
                    "description": "Funnels whose biggest drop is followed by what those users did next.",
                },
                "email": _obj(
                    {
                        "to": {
                            "type": "array",
                            "uniqueItems": True,
                            "minItems": 1,
                            "items": {"type": "string", "format": "email"},
                            "examples": [["growth@example.com"]],
                        },
                        "cc": {"type": "array", "uniqueItems": True, "items": {"type": "string", "format": "email"}},
                        "subject": {
                            "type": "string",
                            "description": "A jinja2 template.",
                            "default": "{{ report.title }}: {{ period.label }}",
                        },
                    },
                    required=("to",),
                    title="E-mail",
                    examples=[{"to": ["growth@example.com"]}],
                ),
                "formats": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"enum": list(FORMATS)},
                    "default": ["html", "text", "json"],
                },
            },
            title="Report",
            examples=[{"period": "last_7_days", "email": {"to": ["growth@example.com"]}}],
        ),
        "alert": _obj(
            {
                "funnel": {"type": "string", "description": "The funnel to watch (or `event`)."},
                "event": {"type": "string", "description": "The event to watch (or `funnel`)."},
                "metric": {
                    "enum": _ALERT_METRICS,
                    "description": "Funnels: conversion_rate, users, completions; events: count, users, value; "
                    "*_change: relative change against the comparison period (-0.2 = a 20 % drop).",
                },
                "below": {"type": "number", "description": "Alert when the metric is below this."},
                "above": {"type": "number", "description": "Alert when the metric is above this."},
                "significant": {
                    "type": "boolean",
                    "default": False,
                    "description": "*_change metrics (not value_change): fire only when the change is "
                    "distinguishable from noise at `confidence` (exact Poisson test for counts, two-proportion "
                    "z-test for conversion rates).",
                },
                "confidence": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "exclusiveMaximum": 1,
                    "default": 0.95,
                    "description": "With `significant: true`: fire when p < 1 - confidence.",
                },
                "min_count": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Fire only when the count the metric rests on is at least this: events "
                    "(count, value), users, completions, users entered (conversion_rate); for *_change, the larger "
                    "of the two periods'.",
                },
            },
            required=("metric",),
            title="Alert",
            examples=[
                {"funnel": "checkout", "metric": "conversion_rate", "below": 0.02},
                {"event": "purchase", "metric": "count_change", "below": -0.2, "significant": True, "min_count": 30},
            ],
        ),
        "splitTest": _obj(
            {
                "funnel": {"type": "string", "description": "The funnel compared (a closed funnel of the plan)."},
                "by": {
                    "type": "string",
                    "description": "The dimension whose values are compared: deviceCategory, sessionCampaignName, "
                    "sessionSource, customEvent:<parameter>, customUser:<property>...",
                    "examples": ["deviceCategory", "customUser:checkout_test"],
                },
                "control": {"type": "string", "description": "The value the others are tested against."},
                "values": {
                    "type": "array",
                    "uniqueItems": True,
                    "minItems": 1,
                    "maxItems": SPLIT_TEST_VALUES_MAX,
                    "items": {"type": "string"},
                    "description": "The values tested against the control. Default: the values with the most "
                    f"users (at most {SPLIT_TEST_DEFAULT_VALUES}).",
                },
                "title": {"type": "string", "description": "Default: the funnel's title by the dimension."},
                "confidence": {
                    "type": "number",
                    "exclusiveMinimum": 0.5,
                    "exclusiveMaximum": 1,
                    "default": 0.95,
                    "description": "Of the intervals; 1 - confidence is the significance level of the tests.",
                },
            },
            required=("funnel", "by", "control"),
            title="Split test",
            examples=[{"funnel": "checkout", "by": "deviceCategory", "control": "desktop"}],
        ),
        "trend": _obj(
            {
                "funnel": {"type": "string", "description": "The funnel (of the plan) whose completion rate is drawn."},
                "by": {
                    "enum": list(TREND_PERIODS),
                    "default": "day",
                    "description": "One point per day, or per week (weeks start on Monday).",
                },
            },
            required=("funnel",),
            title="Trend",
            examples=[{"funnel": "checkout", "by": "day"}],
        ),
        "nextAction": _obj(
            {
                "funnel": {"type": "string", "description": "The funnel (of the plan) whose biggest drop is examined."},
                "dimension": {
                    "enum": list(NEXT_ACTION_DIMENSIONS),
                    "default": "eventName",
                    "description": "What is shown of the users' next event: its name, or its page.",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": NEXT_ACTION_LIMIT_MAX,
                    "default": NEXT_ACTION_LIMIT_MAX,
                    "description": "How many of the most frequent values to show (GA4 allows 1 to 5).",
                },
            },
            required=("funnel",),
            title="Next action",
            examples=[{"funnel": "checkout", "dimension": "eventName", "limit": 5}],
        ),
        "source": _obj(
            {
                "engine": {
                    "enum": ["data-api", "duckdb", "bigquery"],
                    "default": "data-api",
                    "description": "Where `report` reads its numbers: the GA4 Data API, DuckDB over GA4 "
                    "BigQuery export files (`events`), or BigQuery over the export dataset (`dataset`).",
                },
                "events": {
                    "type": ["array", "string"],
                    "items": {"type": "string"},
                    "description": "duckdb: export files, folders or globs, relative to the plan file.",
                    "examples": [["exports/"]],
                },
                "dataset": {
                    "type": "string",
                    "description": "bigquery: the export dataset, PROJECT.analytics_<property id>.",
                    "examples": ["my-project.analytics_123456789"],
                },
                "billing_project": {"type": "string", "description": "bigquery: the project that runs and pays for the queries."},
                "location": {"type": "string", "description": "bigquery: the dataset's location.", "examples": ["US", "EU"]},
                "max_bytes_billed": {
                    "type": ["string", "integer"],
                    "description": "bigquery: refuse queries whose dry run says they would bill more (0: no cap).",
                    "examples": ["10GiB"],
                },
                "time_zone": {
                    "type": "string",
                    "description": "duckdb/bigquery: the property's time zone, in which export dates are written.",
                    "examples": ["Europe/Berlin"],
                },
            },
            title="Report source",
            examples=[{"engine": "bigquery", "dataset": "my-project.analytics_123456789", "max_bytes_billed": "10GiB"}],
            description="Where reports read their data (the command line's --engine, --events, --dataset... win).",
        ),
        "environment": _obj(
            {
                "property": _ref("property"),
                "tier": _ref("tier"),
                "stream": _ref("stream"),
                "source": _ref("source"),
                "overrides": _ref("overrides"),
            },
            required=("property",),
            title="Environment",
            examples=[{"property": "123456789", "overrides": {"reports": None}}],
            description="A property this plan also applies to, with changes merged over the base plan.",
        ),
        "overrides": {
            "type": "object",
            "examples": [{"reports": None, "safety": {"max_destroy": 0}}],
            "title": "Overrides",
            "description": "A partial plan deep-merged over the base plan; null removes a key; lists replace.",
            "properties": {
                key: {**_override_type(key), "description": f"Merged over the base plan's `{key}`."}
                for key in OVERRIDABLE
            },
            "additionalProperties": False,
        },
    }


#: Top-level keys an environment's ``overrides`` may change.
OVERRIDABLE = (
    "currency",
    "stream",
    "tier",
    "stages",
    "parameter_sets",
    "conversions",
    "events",
    "custom_dimensions",
    "custom_metrics",
    "segments",
    "funnels",
    "reports",
    "safety",
    "source",
)


def _override_type(key: str) -> dict[str, Any]:
    if key in ("currency",):
        return {"type": ["string", "null"]}
    if key == "stream":
        return {"type": ["string", "integer", "null"]}
    if key == "tier":
        return {"enum": ["standard", "360", 360]}
    if key == "stages":
        return {"type": ["array", "null"]}
    return {"type": ["object", "null"]}


def _top_level() -> dict[str, Any]:
    return {
        "version": {"const": 1, "default": 1, "description": "The plan format version; only 1 exists."},
        "property": _ref("property"),
        "tier": _ref("tier"),
        "currency": _ref("currency", description="Default currency of conversion values (ISO 4217)."),
        "stream": _ref("stream"),
        "source": _ref("source"),
        "stages": {
            "type": "array",
            "title": "Journey stages",
            "description": "The stages of the user journey, in order: a name, or {name, reached_by} where "
            "`reached_by` is a funnel step saying how a user reaches the stage (default: any event of the stage).",
            "minItems": 1,
            "uniqueItems": True,
            "items": {
                "anyOf": [
                    {"type": "string"},
                    _obj(
                        {
                            "name": {"type": "string", "title": "Stage name"},
                            "reached_by": _ref("funnelStep", description="How a user reaches the stage (a funnel step)."),
                        },
                        required=("name",),
                        examples=[{"name": "home", "reached_by": {"event": "page_view", "when": [
                            {"dimension": "pageLocation", "matches": "https://[^/]+/"}]}}],
                    ),
                ]
            },
            "default": DEFAULT_STAGES,
        },
        "environments": _map_of(
            _ref("environment"),
            names="name",
            title="Environments",
            examples=[{"staging": {"property": "123456789"}}],
            description="Other properties this plan applies to (staging, production...).",
        ),
        "parameter_sets": _map_of(
            _ref("parameterSet"),
            names="name",
            title="Parameter sets",
            examples=[{"ecommerce": {"parameters": {"currency": {"type": "string", "required": True}}}}],
            description="Parameters several events share, by set name; an event lists the sets it uses in "
            "`parameter_sets`.",
        ),
        "conversions": _obj(
            {
                "macro": _map_of(
                    _ref("conversion"),
                    names="eventName",
                    title="Macro conversions",
                    examples=[{"purchase": {"stage": "checkout"}}],
                    description="What the business counts as success (a purchase, a lead).",
                ),
                "micro": _map_of(
                    _ref("conversion"),
                    names="eventName",
                    title="Micro conversions",
                    examples=[{"add_to_cart": {"stage": "cart"}}],
                    description="The smaller steps that lead to a macro conversion.",
                ),
            },
            title="Conversions",
            examples=[{"macro": {"purchase": {}}, "micro": {"add_to_cart": {}}}],
        ),
        "events": _map_of(
            _ref("event"),
            names="eventName",
            title="Other events",
            examples=[{"view_item": {"stage": "product"}}],
            description="Events the site sends that are not conversions (known to funnels and docs).",
        ),
        "custom_dimensions": _map_of(
            _ref("customDimension"),
            title="Custom dimensions",
            examples=[{"form_id": {"scope": "event", "display_name": "Form ID"}}],
            description="Keyed by parameter (or user property) name.",
        ),
        "custom_metrics": _map_of(
            _ref("customMetric"),
            names="parameterName",
            title="Custom metrics",
            examples=[{"cart_value": {"display_name": "Cart value"}}],
            description="Keyed by event parameter name.",
        ),
        "segments": _map_of(
            _ref("segment"),
            names="name",
            title="Segments",
            examples=[{"mobile_sessions": {"scope": "session", "when": [{"dimension": "deviceCategory", "equals": "mobile"}]}}],
            description="Parts of the traffic a funnel or a report may be restricted to (`segment:` on either).",
        ),
        "funnels": _map_of(
            _ref("funnel"),
            names="name",
            title="Funnels",
            examples=[{"checkout": {"steps": ["add_to_cart", "purchase"]}}],
        ),
        "reports": _map_of(
            _ref("report"), names="name", title="Reports", examples=[{"weekly": {"period": "last_7_days"}}]
        ),
        "safety": _obj(
            {
                "protect": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string", "examples": ["purchase", "custom_dimension:form_id"]},
                    "description": "Names sync never updates, archives or deletes: a name, or kind:name with kind "
                    "key_event, custom_dimension, custom_metric or event_create_rule.",
                },
                "max_destroy": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 5,
                    "description": "The most archives + deletes + replaces one sync may apply.",
                },
                "unmanaged": {
                    "enum": ["ignore", "remove"],
                    "default": "ignore",
                    "description": "What to do with what the property has and this file does not declare.",
                },
            },
            title="Safety",
            examples=[{"protect": ["purchase"], "max_destroy": 5}],
        ),
    }


#: A string holding a ``${VAR}`` or ``${VAR:-default}`` reference (``variables.py`` replaces it).
VARIABLE_PATTERN = r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}"

_VARIABLE = {
    "type": "string",
    "title": "Variable reference",
    "description": "${VAR} or ${VAR:-default}: replaced from the environment when the plan is loaded.",
    "pattern": VARIABLE_PATTERN,
    "examples": ["${GA4_PROPERTY}", "${TIER:-standard}"],
}

#: Keywords that constrain a scalar beyond "any string".
_SCALAR_CONSTRAINTS = ("enum", "const", "pattern", "format", "minLength", "maxLength", "minimum", "maximum")
_ANNOTATIONS = ("title", "description", "default", "examples", "$comment")


def _target(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in schema:
        return schema
    target = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return _target({**target, **{k: v for k, v in schema.items() if k != "$ref"}}, defs)


def _branches(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """``schema`` itself, or each branch of its ``anyOf``/``oneOf``, references followed."""
    schema = _target(schema, defs)
    alternatives = schema.get("anyOf", []) + schema.get("oneOf", [])
    if not alternatives:
        return [schema]
    return [b for branch in alternatives for b in _branches(branch, defs)]


def _accepts_any_string(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and not any(k in schema for k in _SCALAR_CONSTRAINTS)


def _is_scalar(schema: dict[str, Any]) -> bool:
    if "enum" in schema or "const" in schema:
        return True
    types = schema.get("type")
    types = types if isinstance(types, list) else [types] if types else []
    return bool(types) and not {"object", "array"} & set(types)


def _with_variables(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` where every value that is a scalar may also be a ``${VAR}`` reference.

    Variables are replaced in values (never in keys) before the loader checks a plan, so the
    loader uses the schema without them; editors see the file as written, with the references.
    """
    if isinstance(schema, list):
        return [_with_variables(s, defs) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {k: _value_with_variables(v, defs) if key == "properties" else _with_variables(v, defs)
                        for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _value_with_variables(value, defs)
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_with_variables(v, defs) for v in value]
        else:
            out[key] = value
    return out


def _value_with_variables(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A value's schema, also accepting a reference when the value may be a scalar."""
    schema = _with_variables(schema, defs)
    branches = _branches(schema, defs)
    if not any(_is_scalar(b) for b in branches) or any(_accepts_any_string(b) for b in branches):
        return schema
    annotations = {k: v for k, v in _target(schema, defs).items() if k in ("title", "description")}
    annotations.update({k: v for k, v in schema.items() if k in _ANNOTATIONS})
    rule = {k: v for k, v in schema.items() if k not in _ANNOTATIONS or k == "$comment"}
    return {**annotations, "anyOf": [rule, {"$ref": "#/$defs/variable"}]}


_CACHE: dict[bool, dict[str, Any]] = {}


def plan_schema(*, variables: bool = True) -> dict[str, Any]:
    """The JSON Schema of a tracking plan file (a fresh copy each call).

    ``variables=True`` (what ``ga-goals schema`` prints, for editors): a plan as written, where any
    scalar value may be a ``${VAR}`` reference. ``variables=False``: a plan after its references
    are replaced (what the loader checks).
    """
    if variables not in _CACHE:
        defs = _defs()
        schema = {
            "$schema": SCHEMA_URI,
            "title": "ga-goals tracking plan",
            "description": "A GA4 tracking plan: conversions, custom definitions, funnels and reports. "
            "See docs/plan-file.md in the ga-goals repository.",
            "type": "object",
            "properties": _top_level(),
            "required": ["property"],
            "additionalProperties": False,
            "$defs": defs,
        }
        if variables:
            schema = _with_variables(schema, defs)
            schema["$defs"]["variable"] = _VARIABLE
        _CACHE[variables] = schema
    return copy.deepcopy(_CACHE[variables])


def schema_json() -> str:
    """The schema as the JSON text of ``ga_goals/schema/plan.schema.json``."""
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(schema_json(), end="")
