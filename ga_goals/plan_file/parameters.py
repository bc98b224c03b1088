"""Event parameters in a plan file: read the specs and resolve each event's schema.

A plan declares parameters on its events (``conversions.*.<event>.parameters``,
``events.<event>.parameters``) and in shared sets (``parameter_sets.<set>.parameters``) that
events list in ``parameter_sets``. A spec is a type name (``coupon: string``) or a mapping with
``type`` (default string), ``required`` (default false), ``values``, ``pattern``,
``description``, and for ``items`` only ``item_parameters`` (the same specs, one level).

Resolution (:class:`Resolver`), later wins field by field: Google's documented parameters of a
recommended event (``ga_goals.model.recommended_events``), then each set the event lists, in
order, then the event's own parameters. A field a layer does not write keeps the earlier layer's
value; an ``items`` parameter starts from Google's item parameters. ``origin``/``origin_name``
and ``where`` of a resolved parameter are those of the last layer that declares it (Google's
untouched ones stand where the event is declared; untouched item parameters where their
``items`` parameter is).

Reading tolerates a malformed document (a malformed field is left out): the checks of GA4's
rules are in ``ga_goals.plan_file.parameter_rules``. Custom dimensions and metrics may name a
declared parameter (``parameter: add_payment_info.payment_type``, a set's
``ecommerce.currency``, an item parameter's ``ecommerce.items.item_color``): GA4 registers one
``parameter_name`` across all events, so the reference only says where the parameter is
declared (:func:`parse_reference`, :func:`parameter_name`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from ga_goals.errors import Location
from ga_goals.model import ga4_facts as facts
from ga_goals.model.event_schemas import PARAMETER_TYPES, EventSchema, Origin, ParameterSet, ParameterSpec
from ga_goals.model.recommended_events import ITEM_PARAMETERS, recommended_parameters
from ga_goals.plan_file.document import Document, Path

#: Where events are declared, in the order a name counts (a name declared twice keeps the first).
EVENT_SECTIONS: tuple[Path, ...] = (("conversions", "macro"), ("conversions", "micro"), ("events",))


# ------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Declared:
    """One parameter as one place of the plan writes it: only the fields it gives.

    ``fields`` holds the well-formed ones among type, required, values, pattern and
    description (a malformed field is left to the checks); ``items`` the item parameters given
    (None when ``item_parameters`` is absent).
    """

    name: str
    path: Path
    fields: dict[str, Any]
    items: dict[str, Declared] | None = None


def read_spec(doc: Document, path: Path, name: str, spec: Any, *, items_allowed: bool = True) -> Declared:
    """The parameter ``name`` declared at ``path`` as ``spec`` (a type name or a mapping)."""
    fields: dict[str, Any] = {}
    items: dict[str, Declared] | None = None
    if isinstance(spec, str):
        if spec in PARAMETER_TYPES:
            fields["type"] = spec
    elif isinstance(spec, dict):
        type_ = spec.get("type")
        if isinstance(type_, str) and type_ in PARAMETER_TYPES:
            fields["type"] = type_
        if isinstance(spec.get("required"), bool):
            fields["required"] = spec["required"]
        values = spec.get("values")
        if isinstance(values, list):
            fields["values"] = tuple(v for v in values if isinstance(v, (str, int)) and not isinstance(v, bool))
        if isinstance(spec.get("pattern"), str):
            fields["pattern"] = spec["pattern"]
        if isinstance(spec.get("description"), str):
            fields["description"] = spec["description"]
        if items_allowed and isinstance(spec.get("item_parameters"), dict):
            items = read_parameters(doc, path + ("item_parameters",), items_allowed=False)
    return Declared(name, path, fields, items)


def read_parameters(doc: Document, path: Path, *, items_allowed: bool = True) -> dict[str, Declared]:
    """The parameters of the ``parameters:`` (or ``item_parameters:``) mapping at ``path``."""
    raw = doc.get(path)
    if not isinstance(raw, dict):
        return {}
    return {
        name: read_spec(doc, path + (name,), name, spec, items_allowed=items_allowed)
        for name, spec in raw.items()
        if isinstance(name, str)
    }


def declared_events(doc: Document) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """Each declared event once (the first declaration of a name), with its path and mapping."""
    seen: set[str] = set()
    for section in EVENT_SECTIONS:
        table = doc.get(section)
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            if isinstance(name, str) and name not in seen:
                seen.add(name)
                yield name, section + (name,), spec if isinstance(spec, dict) else {}


def _has_schema(name: str, spec: dict[str, Any]) -> bool:
    keys = ("parameters", "parameter_sets", "undeclared_parameters")
    return name in facts.RECOMMENDED_EVENTS or any(k in spec for k in keys)


def listed_sets(spec: dict[str, Any]) -> list[tuple[int, str]]:
    """The sets an event lists in ``parameter_sets``, with their index."""
    names = spec.get("parameter_sets")
    return [(i, n) for i, n in enumerate(names) if isinstance(n, str)] if isinstance(names, list) else []


# --------------------------------------------------------------------------------------- resolving


@dataclass(frozen=True)
class Layer:
    """One place that declares parameters for an event: a set, or the event itself."""

    origin: Origin
    origin_name: str
    parameters: dict[str, Declared]


class Resolver:
    """The parameter sets and event schemas of one plan document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        raw_sets = doc.get(("parameter_sets",))
        self.set_specs: dict[str, dict[str, Any]] = {
            n: s for n, s in (raw_sets.items() if isinstance(raw_sets, dict) else ()) if isinstance(s, dict)
        }
        self.set_parameters: dict[str, dict[str, Declared]] = {
            name: read_parameters(doc, ("parameter_sets", name, "parameters")) for name in self.set_specs
        }
        self.events = {name: (path, spec) for name, path, spec in declared_events(doc)}
        self._sets: dict[str, ParameterSet] | None = None

    def layers(self, name: str) -> list[Layer]:
        """The plan's layers of event ``name``: its sets in order, then its own parameters."""
        path, spec = self.events[name]
        out = [
            Layer("set", set_name, self.set_parameters[set_name])
            for _, set_name in listed_sets(spec)
            if set_name in self.set_parameters
        ]
        out.append(Layer("plan", name, read_parameters(self.doc, path + ("parameters",))))
        return out

    def merge(
        self, base: ParameterSpec | None, declared: Declared, origin: Origin, origin_name: str, event: str
    ) -> ParameterSpec:
        """``base`` (None: a new parameter) with the fields ``declared`` gives."""
        given = declared.fields
        at = self.doc.key_at(declared.path)
        spec = replace(base if base is not None else ParameterSpec(name=declared.name), **given)
        if spec.type == "items":
            items = spec.items or tuple(replace(p, origin_name=event, where=at) for p in ITEM_PARAMETERS)
            if declared.items is not None:
                by_name = {p.name: p for p in items}
                for item in declared.items.values():
                    by_name[item.name] = self.merge(by_name.get(item.name), item, origin, origin_name, event)
                items = tuple(by_name.values())
            spec = replace(spec, items=items)
        else:
            spec = replace(spec, items=())
        return replace(spec, origin=origin, origin_name=origin_name, where=at)

    def resolve(self, layers: list[Layer], start: tuple[ParameterSpec, ...], event: str,
                where: Location | None) -> tuple[ParameterSpec, ...]:
        """``start`` (Google's) with each layer merged in; a spec no layer writes stands ``where``
        (the event that brings it), an item parameter no layer writes where its items parameter does
        (``where=None``: leave them without a location, for checks that only need the types)."""
        by_name = {p.name: p for p in start}
        for layer in layers:
            for declared in layer.parameters.values():
                by_name[declared.name] = self.merge(
                    by_name.get(declared.name), declared, layer.origin, layer.origin_name, event
                )
        if where is None:
            return tuple(by_name.values())
        out = []
        for spec in by_name.values():
            spec = spec if spec.where is not None else replace(spec, where=where)
            if any(i.where is None for i in spec.items):
                at = spec.where
                spec = replace(spec, items=tuple(i if i.where is not None else replace(i, where=at) for i in spec.items))
            out.append(spec)
        return tuple(out)

    def schema(self, name: str) -> EventSchema:
        path, spec = self.events[name]
        undeclared = spec.get("undeclared_parameters", "report")
        description = spec.get("description")
        return EventSchema(
            event_name=name,
            parameters=self.resolve(self.layers(name), recommended_parameters(name), name, self.doc.key_at(path)),
            description=description if isinstance(description, str) else "",
            recommended=name in facts.RECOMMENDED_EVENTS,
            automatic=name in facts.AUTOMATIC_EVENTS,
            sets=tuple(n for _, n in listed_sets(spec)),
            closed=undeclared != "allowed",
            where=self.doc.key_at(path),
        )

    def schemas(self) -> dict[str, EventSchema]:
        """The resolved schema of every declared event that has parameters (its own, a set's or Google's)."""
        return {name: self.schema(name) for name, (_, spec) in self.events.items() if _has_schema(name, spec)}

    def parameter_sets(self) -> dict[str, ParameterSet]:
        if self._sets is not None:
            return self._sets
        out = {}
        for name, spec in self.set_specs.items():
            description = spec.get("description")
            where = self.doc.key_at(("parameter_sets", name))
            out[name] = ParameterSet(
                name=name,
                parameters=self.resolve([Layer("set", name, self.set_parameters[name])], (), "", where),
                description=description if isinstance(description, str) else "",
                where=where,
            )
        self._sets = out
        return out


# ------------------------------------------------------------------------------ definition targets


@dataclass(frozen=True)
class Reference:
    """``parameter:`` of a custom definition that names a declared parameter: ``OWNER.NAME`` or
    ``OWNER.items.NAME`` (an item parameter); OWNER is an event, else a parameter set."""

    owner: str
    name: str
    in_items: bool = False


_REFERENCE = re.compile(r"^([^.]+)\.(?:(items)\.)?([^.]+)$")


def parse_reference(text: str) -> Reference | None:
    """The reference ``text`` makes, or None when it is a plain parameter name."""
    match = _REFERENCE.match(text)
    if not match:
        return None
    return Reference(match[1], match[3], bool(match[2]))


def parameter_name(text: str) -> str:
    """The GA4 parameter name a definition's ``parameter:`` registers (a reference's last part)."""
    reference = parse_reference(text)
    return reference.name if reference else text


__all__ = [
    "EVENT_SECTIONS",
    "Declared",
    "Layer",
    "Reference",
    "Resolver",
    "declared_events",
    "listed_sets",
    "parameter_name",
    "parse_reference",
    "read_parameters",
    "read_spec",
]
