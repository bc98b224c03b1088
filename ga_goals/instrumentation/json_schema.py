"""The JSON Schema (draft 2020-12) of one event's parameters, from its resolved :class:`EventSchema`.

The schema describes the parameters object the site sends: the third argument of
``gtag('event', name, params)``, the ``params`` of a Measurement Protocol event, a dataLayer
push without its ``event`` key. Types map as GA4 carries them (``integer`` and ``number`` are
JSON numbers, ``items`` an array of item objects); ``values`` becomes ``enum``; ``pattern``
(which the whole value must match) is anchored, since JSON Schema's ``pattern`` searches; string
values are capped at the length GA4 keeps for the plan's tier (``ga4_facts.PARAMETER_VALUE_MAX``, and
its exceptions such as ``page_location``). A closed event
(``EventSchema.closed``, the default) sets ``additionalProperties: false``, on the event and on
its items; the event level still accepts GA4's automatically collected parameters
(``ga4_facts.AUTOMATIC_PARAMETERS``: ``debug_mode``, ``engagement_time_msec``, ``page_location``...),
which a site may set itself and ``check`` never reports as undeclared.
"""

from __future__ import annotations

from typing import Any

from ga_goals.model import ga4_facts as facts
from ga_goals.model.event_schemas import EventSchema, ParameterSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def value_max(name: str, tier: str) -> int:
    """The longest value GA4 keeps for parameter ``name`` on a ``tier`` property (ga4_facts)."""
    return facts.PARAMETER_VALUE_MAX_EXCEPTIONS.get(name, facts.PARAMETER_VALUE_MAX.get(tier, facts.PARAMETER_VALUE_MAX["standard"]))


_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean", "items": "array"}


def parameter_schema(spec: ParameterSpec, *, closed: bool, tier: str = "standard") -> dict[str, Any]:
    """The schema of one parameter (or item parameter)."""
    out: dict[str, Any] = {"type": _JSON_TYPES[spec.type]}
    if spec.description:
        out["description"] = spec.description
    if spec.values:
        out["enum"] = list(spec.values)
    if spec.type == "string":
        out["maxLength"] = value_max(spec.name, tier)
        if spec.pattern is not None:
            out["pattern"] = f"^(?:{spec.pattern})$"
    if spec.type == "items":
        out["items"] = object_schema(spec.items, closed=closed, tier=tier)
    return out


def object_schema(parameters: tuple[ParameterSpec, ...], *, closed: bool, tier: str = "standard") -> dict[str, Any]:
    """``{type: object, properties, required, additionalProperties}`` of a list of parameters."""
    out: dict[str, Any] = {
        "type": "object",
        "properties": {p.name: parameter_schema(p, closed=closed, tier=tier) for p in parameters},
        "required": sorted(p.name for p in parameters if p.required),
    }
    if closed:
        out["additionalProperties"] = False
    return out


def event_json_schema(schema: EventSchema, *, tier: str = "standard", comment: str = "") -> dict[str, Any]:
    """The complete JSON Schema document of ``schema``'s parameters object."""
    out: dict[str, Any] = {"$schema": DRAFT, "title": schema.event_name}
    if comment:
        out["$comment"] = comment
    if schema.description:
        out["description"] = schema.description
    out.update(object_schema(schema.parameters, closed=schema.closed, tier=tier))
    if schema.closed:
        # GA4's automatic parameters (a site may set them itself: debug_mode for DebugView;
        # check ignores them) stay allowed, as one anchored pattern: patternProperties are not
        # "additional". Declared ones keep their own, stricter, schema.
        declared = {p.name for p in schema.parameters}
        automatic = sorted(facts.AUTOMATIC_PARAMETERS - declared)
        if automatic:
            out["patternProperties"] = {"^(?:" + "|".join(automatic) + ")$": {}}
    return out
