"""Event schemas: the parameters each tracked event carries, resolved from a plan.

A plan declares parameters on its events (``conversions.*.<event>.parameters``,
``events.<event>.parameters``), in shared sets (``parameter_sets``) that events reuse, and gets
GA4's recommended events (``purchase``, ``add_to_cart``...) with Google's documented parameters
without writing them: the plan states only what differs. The loader
(``ga_goals.plan_file``) resolves all of that into one :class:`EventSchema` per event; everything
downstream (``generate``, ``check``, ``docs``) reads only these resolved schemas.

Resolution order, later wins field by field: Google's recommended parameters, then each shared
set in the order the event lists them, then the event's own ``parameters``.

Types are what GA4 can carry in an event parameter: ``string``, ``integer``, ``number``
(a float), ``boolean`` (sent by gtag as a string or number; the export keeps it in
``string_value`` or ``int_value``), and ``items``, GA4's array of item objects whose own
parameters are in :attr:`ParameterSpec.items`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ga_goals.errors import Location

ParameterType = Literal["string", "integer", "number", "boolean", "items"]
#: Every parameter type a plan may declare, in the order docs list them.
PARAMETER_TYPES: tuple[ParameterType, ...] = ("string", "integer", "number", "boolean", "items")

#: Where a resolved parameter's declaration came from (docs show it; errors name it).
Origin = Literal["plan", "set", "recommended"]


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of an event (or, inside ``items``, of an item).

    ``values`` is the list of allowed values (strings or integers; never on ``number``,
    ``boolean`` or ``items``); ``pattern`` a regular expression the whole string value must
    match. ``items`` holds the item parameters when ``type == "items"`` and is empty otherwise.
    ``origin``/``origin_name`` say where the declaration came from: the event itself, a shared
    set (its name), or Google's recommended event (its name).
    """

    name: str
    type: ParameterType = "string"
    required: bool = False
    values: tuple[str | int, ...] = ()
    pattern: str | None = None
    description: str = ""
    items: tuple[ParameterSpec, ...] = ()
    origin: Origin = "plan"
    origin_name: str = ""
    where: Location | None = field(default=None, compare=False)

    def item(self, name: str) -> ParameterSpec | None:
        """The item parameter called ``name``, if declared."""
        return next((p for p in self.items if p.name == name), None)


@dataclass(frozen=True)
class ParameterSet:
    """``parameter_sets.<name>``: parameters several events share (the ecommerce ones, a form's)."""

    name: str
    parameters: tuple[ParameterSpec, ...]
    description: str = ""
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class EventSchema:
    """The resolved shape of one event: every parameter it carries, from every source.

    ``recommended`` is True for GA4's recommended events (Google's parameters included);
    ``automatic`` for events GA4 collects by itself (no parameter of those can be required:
    the site does not send them). ``sets`` are the shared sets the event uses, in order.
    ``closed`` True (the default) means a parameter the schema does not declare is a finding
    for ``check`` (GA4's own automatically collected parameters never are).
    """

    event_name: str
    parameters: tuple[ParameterSpec, ...] = ()
    description: str = ""
    recommended: bool = False
    automatic: bool = False
    sets: tuple[str, ...] = ()
    closed: bool = True
    where: Location | None = field(default=None, compare=False)

    def parameter(self, name: str) -> ParameterSpec | None:
        """The parameter called ``name``, if declared."""
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def required(self) -> tuple[ParameterSpec, ...]:
        return tuple(p for p in self.parameters if p.required)
