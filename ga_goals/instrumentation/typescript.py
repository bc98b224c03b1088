"""The TypeScript module of a plan's events: one typed function per event, for the web.

For each event ``add_to_cart`` the module exports ``AddToCartParams`` (its parameters: required
ones without ``?``, allowed values as literal unions, ``items`` as a read-only array of
``AddToCartItem``) and ``trackAddToCart(params)``, which sends the event:

- ``gtag`` (default): ``gtag('event', 'add_to_cart', params)``; when ``gtag`` is not defined
  yet, the function defines it the way Google's snippet does (queueing on ``window.dataLayer``);
- ``datalayer``: ``window.dataLayer.push({event: 'add_to_cart', ...params})``, flat, for Google
  Tag Manager triggers on the event name and Data Layer Variables per parameter;
- ``ecommerce``: GA4's e-commerce shape for Tag Manager, for events carrying ``items``
  (``dataLayer.push({ecommerce: null})`` to clear the previous object, then
  ``dataLayer.push({event, ecommerce: params})``); other events flat as with ``datalayer``.

It also types the Measurement Protocol body for server-side code (``MeasurementProtocolBody``,
one ``...MpEvent`` per event) with ``measurementProtocolBodies``, which splits events into
bodies of at most 25. No runtime dependency; nothing runs at import; on a server (no
``window``) the ``track`` functions do nothing. Every plan string reaches the source through
:mod:`ga_goals.instrumentation.source_text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ga_goals.instrumentation.measurement_protocol import MAX_EVENTS
from ga_goals.instrumentation.source_text import (
    doc_comment,
    pascal_identifier,
    ts_key,
    ts_literal,
    ts_string,
    unique_identifiers,
)
from ga_goals.model.event_schemas import EventSchema, ParameterSpec

Send = Literal["gtag", "datalayer", "ecommerce"]
#: The ways the generated functions send an event, the default first.
SENDS: tuple[Send, ...] = ("gtag", "datalayer", "ecommerce")

_SCALARS = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}
INDENT = "  "


class Names:
    """The TypeScript names derived from one event name (all from one unique base)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.params = f"{base}Params"
        self.function = f"track{base}"
        self.mp_event = f"{base}MpEvent"

    def item(self, parameter: str) -> str:
        return f"{self.base}Item" if parameter == "items" else f"{self.base}_{pascal_identifier(parameter)}Item"


def scalar_type(spec: ParameterSpec) -> str:
    """A non-``items`` parameter's type: its allowed values as a union of literals, else its type."""
    if spec.values:
        return " | ".join(ts_literal(v) for v in spec.values)
    if spec.type == "items":  # items inside items: GA4 has none; typed loosely rather than refused
        return "ReadonlyArray<Record<string, unknown>>"
    return _SCALARS[spec.type]


def _spec_doc(spec: ParameterSpec) -> tuple[str, ...]:
    notes = []
    if spec.pattern is not None:
        notes.append(f"Matches the pattern {spec.pattern} (whole value).")
    return (spec.description, *notes)


def _members(parameters: tuple[ParameterSpec, ...], type_of: dict[str, str], *, closed: bool) -> str:
    lines = []
    for spec in sorted(parameters, key=lambda p: p.name):
        lines.append(doc_comment(*_spec_doc(spec), indent=INDENT))
        lines.append(f"{INDENT}{ts_key(spec.name)}{'' if spec.required else '?'}: {type_of[spec.name]};\n")
    if not closed:
        lines.append(f"{INDENT}/** Parameters the plan does not declare (the event is open). */\n")
        lines.append(f"{INDENT}[parameter: string]: unknown;\n")
    return "".join(lines)


def _object_type(name: str, doc: tuple[str, ...], parameters: tuple[ParameterSpec, ...], type_of: dict[str, str], *, closed: bool) -> str:
    head = doc_comment(*doc)
    if not parameters:
        shape = "Record<string, never>" if closed else "Record<string, unknown>"
        return f"{head}export type {name} = {shape};\n"
    return f"{head}export interface {name} {{\n{_members(parameters, type_of, closed=closed)}}}\n"


def _event_block(schema: EventSchema, names: Names, send: Send, item_types_seen: dict[str, str]) -> str:
    """One event's types and function. ``item_types_seen`` maps the members of every item type
    written so far to its name: an event whose items have the same members gets an alias of
    that type (the e-commerce events share Google's item parameters) instead of a copy."""
    out: list[str] = []
    type_of: dict[str, str] = {}
    for spec in schema.parameters:
        if spec.type == "items":
            item = names.item(spec.name)
            item_types = {p.name: scalar_type(p) for p in spec.items}
            members = _members(spec.items, item_types, closed=schema.closed)
            item_doc = f"One entry of {schema.event_name}'s {spec.name}."
            if members in item_types_seen:
                out.append(f"{doc_comment(item_doc)}export type {item} = {item_types_seen[members]};\n\n")
            else:
                item_types_seen[members] = item
                out.append(_object_type(item, (item_doc,), spec.items, item_types, closed=schema.closed))
                out.append("\n")
            type_of[spec.name] = f"ReadonlyArray<{item}>"
        else:
            type_of[spec.name] = scalar_type(spec)
    doc = (f"The parameters of {schema.event_name}.", schema.description)
    out.append(_object_type(names.params, doc, schema.parameters, type_of, closed=schema.closed))
    out.append("\n")
    # Without a required parameter the argument is optional. Not `= {}`: `{}` is no valid
    # default when a parameter is named like a member of every object (`constructor`).
    optional = "" if schema.required else "?"
    argument = "params" if schema.required else "params ?? {}"
    how = _how(schema, send)
    out.append(doc_comment(f"Sends {schema.event_name}: {how}.", schema.description))
    out.append(f"export function {names.function}(params{optional}: {names.params}): void {{\n")
    call = "sendEcommerce" if send == "ecommerce" and _has_items(schema) else "send"
    out.append(f"{INDENT}{call}({ts_string(schema.event_name)}, {argument});\n}}\n")
    return "".join(out)


def _has_items(schema: EventSchema) -> bool:
    return any(p.type == "items" for p in schema.parameters)


def _how(schema: EventSchema, send: Send) -> str:
    if send == "gtag":
        return "gtag('event', name, params)"
    if send == "ecommerce" and _has_items(schema):
        return "dataLayer.push({ecommerce: null}), then dataLayer.push({event: name, ecommerce: params})"
    return "dataLayer.push({event: name, ...params})"


#: The module's opening comment says how it sends events.
SEND_DOC: dict[str, str] = {
    "gtag": "Each function sends its event with gtag('event', name, params).",
    "datalayer": "Each function pushes {event: name, ...params} to window.dataLayer.",
    "ecommerce": "Events with items are pushed to window.dataLayer in GA4's e-commerce shape "
    "({event: name, ecommerce: params}, after {ecommerce: null}); the others as {event: name, ...params}.",
}

SINK = """\
/** What the functions use of the page: gtag.js's queue and function (no global type declared). */
interface Sink {
  dataLayer?: unknown[];
  gtag?: (...args: unknown[]) => void;
}

function sink(): Sink | undefined {
  return typeof window === "undefined" ? undefined : (window as unknown as Sink);
}

function layer(page: Sink): unknown[] {
  return (page.dataLayer = page.dataLayer ?? []);
}
"""

SEND_GTAG = """\
function send(name: string, params: object): void {
  const page = sink();
  if (!page) return;
  if (typeof page.gtag !== "function") {
    // gtag.js not loaded yet: define gtag as Google's snippet does; gtag.js reads the queue.
    const queue = layer(page);
    page.gtag = function () {
      // eslint-disable-next-line prefer-rest-params -- gtag.js reads Arguments objects only
      queue.push(arguments);
    };
  }
  page.gtag("event", name, params);
}
"""

SEND_FLAT = """\
function send(name: string, params: object): void {
  const page = sink();
  if (page) layer(page).push({ event: name, ...params });
}
"""

SEND_ECOMMERCE = """\
function sendEcommerce(name: string, params: object): void {
  const page = sink();
  if (!page) return;
  const queue = layer(page);
  queue.push({ ecommerce: null }); // clears the previous event's ecommerce object in Tag Manager
  queue.push({ event: name, ecommerce: params });
}
"""


def _transport(schemas: list[EventSchema], send: Send) -> str:
    if not schemas:
        return ""  # nothing sends: no unused function in the module
    parts = [SINK]
    if send == "gtag":
        parts.append(SEND_GTAG)
    else:
        if send == "datalayer" or not all(_has_items(s) for s in schemas):
            parts.append(SEND_FLAT)
        if send == "ecommerce" and any(_has_items(s) for s in schemas):
            parts.append(SEND_ECOMMERCE)
    return "\n".join(parts)


MEASUREMENT_PROTOCOL = f"""\
/** Parameters every Measurement Protocol event may carry besides its own. */
export interface MeasurementProtocolCommon {{
  /** The session (gtag('get', ..., 'session_id', ...)); with engagement_time_msec, shows the event in Realtime. */
  session_id?: string | number;
  /** Engagement time since the preceding event, in milliseconds. */
  engagement_time_msec?: number;
  /** The event's time, Unix epoch in microseconds (at most 72 hours ago). */
  timestamp_micros?: number;
}}

type Consent = "GRANTED" | "DENIED";

/** The JSON body of POST /mp/collect?measurement_id=G-...&api_secret=... (a web stream). */
export interface MeasurementProtocolBody {{
  /** The web client's id (gtag('get', ..., 'client_id', ...)). */
  client_id: string;
  user_id?: string;
  timestamp_micros?: number;
  /** At most 25; names of at most 24 characters, values of at most 36. */
  user_properties?: Record<string, {{ value: string | number | boolean; timestamp_micros?: number }}>;
  consent?: {{ ad_user_data?: Consent; ad_personalization?: Consent }};
  validation_behavior?: "RELAXED" | "ENFORCE_RECOMMENDATIONS";
  /** 1 to {MAX_EVENTS} events. */
  events: MeasurementProtocolEvent[];
}}

/** A Measurement Protocol request carries at most this many events. */
export const MEASUREMENT_PROTOCOL_MAX_EVENTS = {MAX_EVENTS};

/**
 * The bodies that send ``events`` for one client: as many as needed, each with at most
 * MEASUREMENT_PROTOCOL_MAX_EVENTS events and the other fields of ``fields``.
 */
export function measurementProtocolBodies(
  clientId: string,
  events: readonly MeasurementProtocolEvent[],
  fields: Omit<MeasurementProtocolBody, "client_id" | "events"> = {{}},
): MeasurementProtocolBody[] {{
  const bodies: MeasurementProtocolBody[] = [];
  for (let start = 0; start < events.length; start += MEASUREMENT_PROTOCOL_MAX_EVENTS) {{
    bodies.push({{ ...fields, client_id: clientId, events: events.slice(start, start + MEASUREMENT_PROTOCOL_MAX_EVENTS) }});
  }}
  return bodies;
}}
""".replace("``", "")


def render_module(schemas: Iterable[EventSchema], *, send: Send = "gtag", header: str = "") -> str:
    """The module's text: deterministic (events sorted by name, parameters by name)."""
    by_name = {s.event_name: s for s in schemas}
    bases = unique_identifiers(by_name)
    ordered = [by_name[name] for name in sorted(by_name)]
    names = {s.event_name: Names(bases[s.event_name]) for s in ordered}
    out = [doc_comment(header, SEND_DOC[send])]
    item_types_seen: dict[str, str] = {}
    for schema in ordered:
        out.append("\n")
        out.append(_event_block(schema, names[schema.event_name], send, item_types_seen))
    out.append("\n/** Every event of the plan, with the type of its parameters. */\n")
    if ordered:
        rows = "".join(f"{INDENT}{ts_key(s.event_name)}: {names[s.event_name].params};\n" for s in ordered)
        out.append(f"export interface ParamsByEvent {{\n{rows}}}\n")
    else:
        out.append("export type ParamsByEvent = Record<string, never>;\n")
    out.append("\nexport type EventName = keyof ParamsByEvent;\n\n")
    out.append(MEASUREMENT_PROTOCOL)
    for schema in ordered:
        n = names[schema.event_name]
        optional = "" if schema.required else "?"
        # A closed event without parameters is Record<string, never>: the common ones alone.
        params = f"{n.params} & MeasurementProtocolCommon" if schema.parameters or not schema.closed else "MeasurementProtocolCommon"
        out.append(
            f"\nexport interface {n.mp_event} {{\n{INDENT}name: {ts_string(schema.event_name)};\n"
            f"{INDENT}params{optional}: {params};\n{INDENT}timestamp_micros?: number;\n}}\n"
        )
    union = " | ".join(names[s.event_name].mp_event for s in ordered) or "never"
    out.append(f"\n/** One event of a Measurement Protocol body: any of the plan's. */\nexport type MeasurementProtocolEvent = {union};\n\n")
    out.append(_transport(ordered, send))
    return "".join(out)
