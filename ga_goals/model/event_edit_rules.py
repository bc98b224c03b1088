"""Event edit rules: GA4's ordered "modify event" rules on a web data stream.

``properties/{p}/dataStreams/{s}/eventEditRules/{r}`` (Admin API v1alpha ``EventEditRule``):
``display_name`` (required, at most 255 characters), ``event_conditions`` (1 to 10
``MatchingCondition``, ANDed), ``parameter_mutations`` (1 to 20 ``ParameterMutation``, applied
in order; the parameter ``event_name`` renames the event) and ``processing_order`` (output
only). Unlike event create rules they run in a defined order, one after another, so a plan lists
them as an ordered list and :class:`EventEditRuleOrder` is the order of one stream's rules.

This module must not import ``ga_goals.model.resources`` (which imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ga_goals.model.matching import EVENT_NAME, Condition, Mutation


@dataclass(frozen=True)
class EventEditRule:
    """``properties/{p}/dataStreams/{s}/eventEditRules/{id}`` (Admin API v1alpha).

    Identity: ``(stream, display_name, index)``. The plan refuses two rules with one display
    name on a stream; a property may still have them (made in the GA4 screens), and ``index``
    numbers them in processing order so each stays distinct. ``stream`` is the plan's stream
    selector in the desired state until the planner resolves it, as for event create rules.

    ``processing_order`` is output only in GA4 (the rule's place in its stream); in the desired
    state it is the rule's place in the plan's list. Neither is compared field by field: order
    is planned as a whole, per stream (:class:`EventEditRuleOrder`).
    """

    KIND: ClassVar[str] = "event_edit_rule"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ()

    display_name: str
    conditions: tuple[Condition, ...]
    mutations: tuple[Mutation, ...]
    stream: str | None = None
    index: int = 0
    processing_order: int = field(default=0, compare=False)
    resource_name: str | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str | None, str, int]:
        return (self.stream, self.display_name, self.index)

    @property
    def label(self) -> str:
        return self.display_name if not self.index else f"{self.display_name}#{self.index + 1}"

    def fields(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name,
            "conditions": [c.to_json() for c in self.conditions],
            "mutations": [m.to_json() for m in self.mutations],
        }

    def renames_to(self) -> str | None:
        """The event name this rule gives the events it matches (a constant or ``[[param]]``), or None."""
        for mutation in self.mutations:
            if mutation.parameter == EVENT_NAME:
                return mutation.value
        return None


@dataclass(frozen=True)
class EventEditRuleOrder:
    """The processing order of one stream's event edit rules: their labels, first to last.

    Not a GA4 resource: ``ReorderEventEditRules`` sets it. A ``reorder`` change carries the
    order as it will be after the plan's other changes (``existing``) and as the plan wants it
    (``desired``); the gateway maps the labels to resource names when it applies the change.
    """

    KIND: ClassVar[str] = "event_edit_rule"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ()

    stream: str
    order: tuple[str, ...]
    resource_name: str | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.stream, "processing order")

    @property
    def label(self) -> str:
        return "processing order"

    def fields(self) -> dict[str, Any]:
        return {"processing_order": list(self.order)}
