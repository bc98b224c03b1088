"""GA4 audiences (Admin API v1alpha ``Audience``) in the model's client-independent form.

An audience is the people a micro conversion is for: "added to cart, no purchase within 7
days". GA4 keeps it as ``properties/{p}/audiences/{id}`` with a display name, a description,
a membership duration, optional event trigger, an exclusion mode and filter clauses. This module
mirrors that message field for field, in the model's lower-case vocabulary, and never imports
the Google clients (``ga_goals.ga4.convert`` maps it) nor ``ga_goals.model.resources`` (which
imports this module).

The filter tree has GA4's fixed shape (``AudienceFilterExpression`` docstrings of the v1alpha
proto; docs/ga4-api-facts.md, "Audiences"):

* a clause's expression is an ``and_group`` of ``or_group`` s of leaves
  (:class:`AudienceCondition.groups`: a tuple of OR-ed tuples, AND-ed);
* a leaf is a dimension or metric filter (:class:`FieldFilter`, maybe NOT-ed: a
  ``not_expression`` may only hold one) or an event filter (:class:`EventFilter`), whose own
  parameter expression is one ``and_group`` of field filters (no event filter inside);
* a clause is a simple filter (one expression) or a sequence of steps, either included or
  excluded; the clauses are AND-ed and unordered.

Identity: the display name (GA4 stores no other user-chosen name; see docs/plan-file.md,
"Audiences"); a second audience of the property with the same name is read as a numbered copy. GA4 lets only the display name, the description and the event trigger change
after creation: the rest is ``IMMUTABLE`` and a change is an archive plus a create.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

#: AudienceFilterScope, model names: within one event, one session, or across all sessions.
AUDIENCE_SCOPES: tuple[str, ...] = ("event", "session", "user")
#: AudienceEventTrigger.LogCondition: AUDIENCE_JOINED, AUDIENCE_MEMBERSHIP_RENEWED.
LOG_CONDITIONS: tuple[str, ...] = ("joined", "renewed")
#: Audience.AudienceExclusionDurationMode: EXCLUDE_TEMPORARILY, EXCLUDE_PERMANENTLY.
EXCLUSION_MODES: tuple[str, ...] = ("temporary", "permanent")
#: FieldFilter operators: text (StringFilter match types), ``in`` (InListFilter), numbers
#: (NumericFilter operations: GA4 has EQUAL, LESS_THAN and GREATER_THAN only), ``between``.
TEXT_OPS: tuple[str, ...] = ("equals", "contains", "starts_with", "ends_with", "matches")
NUMERIC_OPS: tuple[str, ...] = ("equals", "less_than", "greater_than")
FIELD_OPS: tuple[str, ...] = ("equals", "contains", "starts_with", "ends_with", "matches", "in",
                              "less_than", "greater_than", "between")

#: Audience.membership_duration_days: "cannot be set to more than 540 days" (proto), at least 1.
MEMBERSHIP_DAYS_MIN = 1
MEMBERSHIP_DAYS_MAX = 540
#: AudienceDimensionOrMetricFilter.in_any_n_day_period "cannot be greater than 60 days".
N_DAY_PERIOD_MAX = 60
#: Audience triggers per property: "up to 20 audience triggers per property" (answer/10447093).
TRIGGERS_MAX = 20
#: The metric GA4 reads alone in an event filter's parameter expression ("if it includes a filter
#: for eventCount, only that one will be considered").
EVENT_COUNT = "eventCount"

Scope = Literal["event", "session", "user"]
Number = Union[int, float]


@dataclass(frozen=True)
class FieldFilter:
    """``AudienceDimensionOrMetricFilter`` (inside a ``not_expression`` when ``negated``).

    ``field`` is a dimension or metric (``deviceCategory``, ``eventCount``, ``customUser:tier``)
    or, inside an event filter, an event parameter. ``op`` is one of :data:`FIELD_OPS`;
    ``equals`` with a number is GA4's numeric EQUAL, with text its EXACT match. ``value``: text,
    a number (int or float: GA4's int64 or double value), a tuple of texts (``in``) or
    ``(low, high)`` (``between``, inclusive). ``case_sensitive`` applies to text and ``in`` only
    (True for numbers). ``in_last_days`` is ``in_any_n_day_period`` (None: lifetime);
    ``at_any_point`` is ``at_any_point_in_time`` (static evaluation).
    """

    field: str
    op: str
    value: str | Number | tuple[str, ...] | tuple[Number, Number]
    case_sensitive: bool = True
    negated: bool = False
    in_last_days: int | None = None
    at_any_point: bool = False

    @property
    def numeric(self) -> bool:
        return self.op in ("less_than", "greater_than", "between") or (
            self.op == "equals" and isinstance(self.value, (int, float)) and not isinstance(self.value, bool)
        )

    def to_json(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        out: dict[str, Any] = {"field": self.field, "op": self.op, "value": value}
        if not self.numeric:
            out["case_sensitive"] = self.case_sensitive
        if self.negated:
            out["negated"] = True
        if self.in_last_days is not None:
            out["in_last_days"] = self.in_last_days
        if self.at_any_point:
            out["at_any_point"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldFilter:
        value = data["value"]
        return cls(
            field=data["field"],
            op=data["op"],
            value=tuple(value) if isinstance(value, list) else value,
            case_sensitive=data.get("case_sensitive", True),
            negated=data.get("negated", False),
            in_last_days=data.get("in_last_days"),
            at_any_point=data.get("at_any_point", False),
        )


@dataclass(frozen=True)
class EventFilter:
    """``AudienceEventFilter``: events of one name whose parameters pass every filter."""

    event: str
    filters: tuple[FieldFilter, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.event}
        if self.filters:
            out["filters"] = [f.to_json() for f in self.filters]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventFilter:
        return cls(data["event"], tuple(FieldFilter.from_json(f) for f in data.get("filters", ())))


Leaf = Union[FieldFilter, EventFilter]


def leaf_from_json(data: dict[str, Any]) -> Leaf:
    return EventFilter.from_json(data) if "event" in data else FieldFilter.from_json(data)


@dataclass(frozen=True)
class AudienceCondition:
    """An ``AudienceFilterExpression`` in GA4's only accepted shape: AND of ORs of leaves."""

    groups: tuple[tuple[Leaf, ...], ...]

    def to_json(self) -> list[list[dict[str, Any]]]:
        return [[leaf.to_json() for leaf in group] for group in self.groups]

    @classmethod
    def from_json(cls, data: list[list[dict[str, Any]]]) -> AudienceCondition:
        return cls(tuple(tuple(leaf_from_json(leaf) for leaf in group) for group in data))

    def events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(leaf.event for group in self.groups for leaf in group if isinstance(leaf, EventFilter)))


@dataclass(frozen=True)
class SequenceStep:
    """``AudienceSequenceStep``: ``within_seconds`` is ``constraint_duration`` (after the prior
    step), ``directly`` is ``immediately_follows``."""

    condition: AudienceCondition
    scope: Scope = "user"
    within_seconds: int | None = None
    directly: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scope": self.scope, "condition": self.condition.to_json()}
        if self.within_seconds is not None:
            out["within_seconds"] = self.within_seconds
        if self.directly:
            out["directly"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SequenceStep:
        return cls(
            condition=AudienceCondition.from_json(data["condition"]),
            scope=data.get("scope", "user"),
            within_seconds=data.get("within_seconds"),
            directly=data.get("directly", False),
        )


@dataclass(frozen=True)
class AudienceClause:
    """``AudienceFilterClause``: a simple filter (``condition``) or a sequence (``steps``, with
    ``within_seconds`` the ``sequence_maximum_duration``), included or excluded."""

    exclude: bool = False
    scope: Scope = "user"
    condition: AudienceCondition | None = None
    steps: tuple[SequenceStep, ...] = ()
    within_seconds: int | None = None

    @property
    def is_sequence(self) -> bool:
        return self.condition is None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "exclude" if self.exclude else "include", "scope": self.scope}
        if self.condition is not None:
            out["condition"] = self.condition.to_json()
        else:
            out["sequence"] = [s.to_json() for s in self.steps]
            if self.within_seconds is not None:
                out["within_seconds"] = self.within_seconds
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AudienceClause:
        condition = data.get("condition")
        return cls(
            exclude=data.get("type") == "exclude",
            scope=data.get("scope", "user"),
            condition=None if condition is None else AudienceCondition.from_json(condition),
            steps=tuple(SequenceStep.from_json(s) for s in data.get("sequence", ())),
            within_seconds=data.get("within_seconds"),
        )

    def events(self) -> tuple[str, ...]:
        conditions = [self.condition] if self.condition is not None else [s.condition for s in self.steps]
        return tuple(dict.fromkeys(e for c in conditions for e in c.events()))


@dataclass(frozen=True)
class AudienceTrigger:
    """``AudienceEventTrigger``: the event GA4 logs when a user joins (or renews) the audience."""

    event: str
    log: Literal["joined", "renewed"] = "joined"

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "log": self.log}


@dataclass(frozen=True)
class Audience:
    """``properties/{p}/audiences/{id}`` (Admin API v1alpha). Identity: ``display_name``."""

    KIND: ClassVar[str] = "audience"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ("membership_days", "exclusion", "clauses")

    display_name: str
    description: str
    membership_days: int
    clauses: tuple[AudienceClause, ...]
    trigger: AudienceTrigger | None = None
    #: Applies to the EXCLUDE clauses; compared only when there is one (GA4 ignores it otherwise).
    exclusion: Literal["temporary", "permanent"] = "temporary"
    # Output only (actual state):
    resource_name: str | None = field(default=None, compare=False)
    ads_personalization_enabled: bool = field(default=True, compare=False)
    #: Actual state: 1, 2... for the second, third... audience of the property with this display
    #: name (GA4 does not make names unique); the plan matches the first, the copies are drift.
    copy: int = field(default=0, compare=False)

    @property
    def key(self) -> str:
        return self.display_name if not self.copy else f"{self.display_name} #{self.copy + 1}"

    @property
    def label(self) -> str:
        return self.key

    @property
    def has_exclusions(self) -> bool:
        return any(c.exclude for c in self.clauses)

    def fields(self) -> dict[str, Any]:
        # Clauses are an unordered list in GA4: compared in a canonical order.
        clauses = sorted(
            (c.to_json() for c in self.clauses), key=lambda c: (c["type"] != "include", json.dumps(c, sort_keys=True))
        )
        return {
            "display_name": self.display_name,
            "description": self.description,
            "membership_days": self.membership_days,
            "trigger": None if self.trigger is None else self.trigger.to_json(),
            "exclusion": self.exclusion if self.has_exclusions else None,
            "clauses": clauses,
        }

    def events(self) -> tuple[str, ...]:
        """Every event name the clauses mention, in order of appearance."""
        return tuple(dict.fromkeys(e for c in self.clauses for e in c.events()))


def audience_from_json(data: dict[str, Any]) -> Audience:
    """The audience :func:`audience_to_json` wrote (fixtures, snapshots)."""
    known = {"display_name", "description", "membership_days", "clauses", "trigger", "exclusion",
             "resource_name", "ads_personalization_enabled", "copy"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"Audience: unknown keys {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    trigger = data.get("trigger")
    return Audience(
        display_name=data["display_name"],
        description=data.get("description", ""),
        membership_days=data["membership_days"],
        clauses=tuple(AudienceClause.from_json(c) for c in data.get("clauses", ())),
        trigger=None if trigger is None else AudienceTrigger(trigger["event"], trigger.get("log", "joined")),
        exclusion=data.get("exclusion", "temporary"),
        resource_name=data.get("resource_name"),
        ads_personalization_enabled=data.get("ads_personalization_enabled", True),
        copy=data.get("copy", 0),
    )


def audience_to_json(audience: Audience, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "display_name": audience.display_name,
        "description": audience.description,
        "membership_days": audience.membership_days,
        "clauses": [c.to_json() for c in audience.clauses],
    }
    if audience.trigger is not None or full:
        out["trigger"] = None if audience.trigger is None else audience.trigger.to_json()
    if audience.exclusion != "temporary" or full:
        out["exclusion"] = audience.exclusion
    if audience.resource_name is not None or full:
        out["resource_name"] = audience.resource_name
    if not audience.ads_personalization_enabled or full:
        out["ads_personalization_enabled"] = audience.ads_personalization_enabled
    if audience.copy or full:
        out["copy"] = audience.copy
    return out


# Text -------------------------------------------------------------------------------------------

_OP_WORDS = {"equals": "=", "contains": "contains", "starts_with": "starts with", "ends_with": "ends with",
             "matches": "matches", "in": "in", "less_than": "<", "greater_than": ">", "between": "between"}


def _number(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def field_text(f: FieldFilter) -> str:
    if f.op == "in" and isinstance(f.value, tuple):
        shown = "(" + ", ".join(str(v) for v in f.value) + ")"
    elif f.op == "between" and isinstance(f.value, tuple):
        shown = f"{_number(f.value[0])} and {_number(f.value[1])}"
    else:
        shown = _number(f.value)
    text = f"{f.field} {_OP_WORDS.get(f.op, f.op)} {shown}"
    if f.in_last_days is not None:
        text += f" in the last {f.in_last_days} days"
    if f.at_any_point:
        text += " at any point"
    return f"not {text}" if f.negated else text


def leaf_text(leaf: Leaf) -> str:
    if isinstance(leaf, FieldFilter):
        return field_text(leaf)
    sugar = event_window(leaf)
    if sugar is not None:
        return f"{leaf.event} in the last {sugar} days"
    if not leaf.filters:
        return leaf.event
    return f"{leaf.event} with " + " and ".join(field_text(f) for f in leaf.filters)


def condition_text(condition: AudienceCondition) -> str:
    parts = []
    for group in condition.groups:
        text = " or ".join(leaf_text(leaf) for leaf in group)
        parts.append(f"({text})" if len(group) > 1 and len(condition.groups) > 1 else text)
    return " and ".join(parts)


def clause_text(clause: AudienceClause) -> str:
    """One readable line: ``add_to_cart`` or ``view_item, then add_to_cart within 1h``."""
    if clause.condition is not None:
        text = condition_text(clause.condition)
    else:
        steps = []
        for step in clause.steps:
            part = condition_text(step.condition)
            if step.directly:
                part = "directly " + part
            if step.within_seconds is not None:
                part += f" within {seconds_text(step.within_seconds)}"
            steps.append(part)
        text = ", then ".join(steps)
        if clause.within_seconds is not None:
            text += f" (all within {seconds_text(clause.within_seconds)})"
    scope = {"event": " (in one event)", "session": " (in one session)", "user": ""}[clause.scope]
    return text + scope


def seconds_text(seconds: int) -> str:
    """``90061`` -> ``1d1h1m1s``: the plan's duration syntax (largest units first)."""
    out = ""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"


def event_window(leaf: EventFilter) -> int | None:
    """N when the event filter is the plan's ``{event: X, in_last_days: N}``: one filter
    ``eventCount > 0`` over the last N days; None otherwise."""
    if len(leaf.filters) != 1:
        return None
    f = leaf.filters[0]
    if (f.field, f.op, f.negated, f.at_any_point) == (EVENT_COUNT, "greater_than", False, False) and (
        f.value == 0 and isinstance(f.value, int) and not isinstance(f.value, bool) and f.in_last_days is not None
    ):
        return f.in_last_days
    return None


def window_filter(days: int) -> FieldFilter:
    """The event filter's parameter condition for ``in_last_days: N``."""
    return FieldFilter(EVENT_COUNT, "greater_than", 0, in_last_days=days)
