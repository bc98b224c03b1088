"""The MatchingCondition and ParameterMutation of GA4's event rules, shared by both kinds.

Event create rules (``resources.EventCreateRule``) and event edit rules
(``event_edit_rules.EventEditRule``) test events with the same ``MatchingCondition`` and change
them with the same ``ParameterMutation`` (Admin API v1alpha, ``event_create_and_edit.proto``).
This module imports nothing else of the model, so both resource modules can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: The ``parameter`` of a mutation that renames the event (event edit rules only).
EVENT_NAME = "event_name"

_COPY = re.compile(r"^\[\[([A-Za-z][A-Za-z0-9_]*)\]\]$")


@dataclass(frozen=True)
class Condition:
    """A rule's MatchingCondition. ``field`` is ``event_name`` or a parameter name."""

    field: str
    comparison: str  # one of resources.COMPARISONS
    value: str
    negated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "comparison": self.comparison, "value": self.value, "negated": self.negated}

    def matches_name(self, name: str) -> bool | None:
        """Whether this condition, on ``event_name``, holds for an event called ``name``.

        None when it does not test the event name, or cannot be decided from the name alone
        (a numeric comparison, a regular expression Python cannot read).
        """
        if self.field != EVENT_NAME:
            return None
        insensitive = self.comparison.endswith("_case_insensitive")
        base = self.comparison.removesuffix("_case_insensitive")
        text, value = (name.lower(), self.value.lower()) if insensitive else (name, self.value)
        result: bool
        if base == "equals":
            result = text == value
        elif base == "contains":
            result = value in text
        elif base == "starts_with":
            result = text.startswith(value)
        elif base == "ends_with":
            result = text.endswith(value)
        elif base == "regular_expression":
            try:
                result = re.fullmatch(self.value, name, re.IGNORECASE if insensitive else 0) is not None
            except re.error:
                return None
        else:
            return None
        return result != self.negated


@dataclass(frozen=True)
class Mutation:
    """A rule's ParameterMutation. ``value`` is a constant or ``[[other_parameter]]``."""

    parameter: str
    value: str

    def to_json(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "value": self.value}

    @property
    def copied_from(self) -> str | None:
        """The parameter whose value this mutation copies (``[[name]]``), or None for a constant."""
        match = _COPY.match(self.value)
        return match.group(1) if match else None
