"""The Measurement Protocol request body for a plan's events, as one JSON Schema (draft 2020-12).

Server-side events reach GA4 through the Measurement Protocol: ``POST /mp/collect`` with the
web stream's ``measurement_id`` and an API secret in the URL and a JSON body holding the
``client_id`` and up to 25 ``events``, each ``{name, params}``. The schema here accepts a body
only when each event is one of the plan's, with its parameters as
:func:`~ga_goals.instrumentation.json_schema.event_json_schema` declares them plus the
Measurement Protocol's common event parameters (``session_id``, ``engagement_time_msec``,
``timestamp_micros``). The facts and their sources: docs/ga4-api-facts.md, "Measurement
Protocol" (web streams: ``client_id``; app streams' ``app_instance_id`` is not generated).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ga_goals.instrumentation.json_schema import DRAFT, event_json_schema
from ga_goals.model import ga4_facts as facts
from ga_goals.model.event_schemas import EventSchema

#: A request carries at most this many events.
MAX_EVENTS = 25
#: An event carries at most this many parameters; a request at most this many user properties.
MAX_PARAMETERS = 25
MAX_USER_PROPERTIES = 25
#: User property names and values, in characters.
USER_PROPERTY_NAME_MAX = facts.USER_PROPERTY_MAX  # 24, as for user-scoped custom dimensions
USER_PROPERTY_VALUE_MAX = 36
#: The POST body must be smaller than this many bytes (130 kB).
MAX_BODY_BYTES = 130_000
#: Parameters every Measurement Protocol event may carry besides its own.
COMMON_PARAMETERS: dict[str, dict[str, Any]] = {
    "session_id": {
        "type": ["string", "integer"],
        "description": "The session the event belongs to (gtag('get', ..., 'session_id', ...)); with "
        "engagement_time_msec, needed for the event to show in Realtime.",
    },
    "engagement_time_msec": {"type": "integer", "minimum": 0, "description": "Engagement time since the preceding event, in ms."},
    "timestamp_micros": {"type": "integer", "description": "The event's time, Unix epoch in microseconds (at most 72 hours ago)."},
}
CONSENT = {"type": "string", "enum": ["GRANTED", "DENIED"]}


def event_definition(schema: EventSchema, *, tier: str = "standard") -> dict[str, Any]:
    """One entry of ``events[]`` for ``schema``'s event: ``{name: const, params, timestamp_micros}``."""
    params = event_json_schema(schema, tier=tier)
    for key in ("$schema", "title", "description"):
        params.pop(key, None)
    for name, spec in COMMON_PARAMETERS.items():
        params["properties"].setdefault(name, spec)
    params["maxProperties"] = MAX_PARAMETERS + len(COMMON_PARAMETERS)
    out: dict[str, Any] = {
        "type": "object",
        "properties": {
            "name": {"const": schema.event_name},
            "params": params,
            "timestamp_micros": COMMON_PARAMETERS["timestamp_micros"],
        },
        "required": ["name", "params"] if params["required"] else ["name"],
        "additionalProperties": False,
    }
    if schema.description:
        out["description"] = schema.description
    return out


def request_json_schema(schemas: Iterable[EventSchema], *, tier: str = "standard", comment: str = "") -> dict[str, Any]:
    """The JSON Schema of a Measurement Protocol request body carrying any of ``schemas``' events."""
    by_name = {s.event_name: s for s in schemas}
    defs = {name: event_definition(by_name[name], tier=tier) for name in sorted(by_name)}
    out: dict[str, Any] = {
        "$schema": DRAFT,
        "title": "Measurement Protocol request body (web stream)",
        "description": "POST /mp/collect?measurement_id=G-...&api_secret=...: at most "
        f"{MAX_EVENTS} events per request, a body smaller than 130 kB.",
        "type": "object",
        "properties": {
            "client_id": {"type": "string", "description": "The web client's id (gtag('get', ..., 'client_id', ...))."},
            "user_id": {"type": "string"},
            "timestamp_micros": COMMON_PARAMETERS["timestamp_micros"],
            "user_properties": {
                "type": "object",
                "maxProperties": MAX_USER_PROPERTIES,
                "propertyNames": {"maxLength": USER_PROPERTY_NAME_MAX},
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "value": {"type": ["string", "number", "boolean"], "maxLength": USER_PROPERTY_VALUE_MAX},
                        "timestamp_micros": COMMON_PARAMETERS["timestamp_micros"],
                    },
                    "required": ["value"],
                },
            },
            "user_data": {"type": "object"},
            "consent": {
                "type": "object",
                "properties": {"ad_user_data": CONSENT, "ad_personalization": CONSENT},
                "additionalProperties": False,
            },
            "non_personalized_ads": {"type": "boolean"},
            "user_location": {"type": "object"},
            "ip_override": {"type": "string"},
            "device": {"type": "object"},
            "user_agent": {"type": "string"},
            "validation_behavior": {"type": "string", "enum": ["RELAXED", "ENFORCE_RECOMMENDATIONS"]},
            "events": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_EVENTS,
                # No event at all: no body is valid (oneOf may not be empty).
                "items": {"oneOf": [{"$ref": f"#/$defs/{_pointer(name)}"} for name in defs]} if defs else False,
            },
        },
        "required": ["client_id", "events"],
        "additionalProperties": False,
        "$defs": defs,
    }
    if comment:
        out["$comment"] = comment
    return out


def _pointer(name: str) -> str:
    """``name`` as a JSON Pointer token inside a URI fragment (``~`` and ``/`` escaped, then
    percent-encoded where a URI needs it)."""
    from urllib.parse import quote

    return quote(name.replace("~", "~0").replace("/", "~1"), safe="")
