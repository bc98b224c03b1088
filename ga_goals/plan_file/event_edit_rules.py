"""``event_edit_rules:`` in the plan file: its schema, its GA4 checks and cross-checks, its model.

An ordered list; the order is the processing order GA4 applies the rules in, on the plan's web
data stream (``stream:`` at the top level, or per rule)::

    event_edit_rules:
      - display_name: Legacy add to cart
        when: [{parameter: event_name, matches: "(?i)add_?to_?cart", case_sensitive: true}]
        set: [{parameter: event_name, value: add_to_cart}]

``when`` takes the conditions of event create rules (``created_from``) and ``set`` their
mutations, plus ``{parameter: event_name, ...}``, which renames the event. Conditions and
mutations are checked by the same code as create rules' (``rules._Checker.check_condition``
and ``check_mutation``); this module adds what is particular to edit rules (a display name
unique per stream, at least one mutation, the per-property limit) and the cross-checks with
the plan: a rule that renames a declared conversion's event away (error, or a warning when its
other conditions leave some events alone), and one that renames the source event of a plan's
event create rule (warning). GA4 counts key events on the event name it receives, after
edits (docs/ga4-api-facts.md §8).

This module imports neither ``rules``, ``build`` nor ``schema`` at import time (each imports it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ga_goals.model import Condition, EventEditRule, Mutation
from ga_goals.model import ga4_facts as facts
from ga_goals.model.matching import EVENT_NAME
from ga_goals.plan_file.wording import describe, quote

if TYPE_CHECKING:
    from ga_goals.plan_file.document import Path
    from ga_goals.plan_file.rules import _Checker

KEY = "event_edit_rules"

# Schema ------------------------------------------------------------------------------------------


def schema_defs() -> dict[str, Any]:
    """``$defs`` entries: ``editRule``."""
    return {
        "editRule": {
            "type": "object",
            "title": "Event edit rule",
            "description": "A GA4 event edit rule (Admin > Data streams > Modify events) on a web data stream: "
            "events that meet every condition of `when` get the mutations of `set`, in order; setting "
            "`event_name` renames the event.",
            "examples": [
                {
                    "display_name": "Legacy add to cart",
                    "when": [{"parameter": "event_name", "equals": "addToCart"}],
                    "set": [{"parameter": "event_name", "value": "add_to_cart"}],
                }
            ],
            "properties": {
                "display_name": {
                    "type": "string",
                    "title": "Display name",
                    "description": "The rule's name in GA4 and its identity in the plan (unique per stream), "
                    f"at most {facts.EDIT_RULE_DISPLAY_NAME_MAX} characters.",
                    "minLength": 1,
                    "maxLength": facts.EDIT_RULE_DISPLAY_NAME_MAX,
                    "examples": ["Legacy add to cart"],
                },
                "when": {
                    "type": "array",
                    "uniqueItems": True,
                    "title": "Conditions",
                    "description": f"{facts.CONDITIONS_MIN} to {facts.CONDITIONS_MAX} conditions, ANDed.",
                    "minItems": facts.CONDITIONS_MIN,
                    "maxItems": facts.CONDITIONS_MAX,
                    "$comment": "Also checked by ga_goals.plan_file.rules, which reports it with a friendlier message.",
                    "items": {"$ref": "#/$defs/condition"},
                },
                "set": {
                    "type": "array",
                    "title": "Parameter mutations",
                    "description": f"{facts.EDIT_RULE_MUTATIONS_MIN} to {facts.MUTATIONS_MAX} mutations, applied in "
                    "order; {parameter: event_name, value: NEW_NAME} renames the event.",
                    "minItems": facts.EDIT_RULE_MUTATIONS_MIN,
                    "maxItems": facts.MUTATIONS_MAX,
                    "$comment": "Also checked by ga_goals.plan_file.rules, which reports it with a friendlier message.",
                    "items": {"$ref": "#/$defs/mutation"},
                },
                "stream": {"$ref": "#/$defs/stream"},
            },
            "required": ["display_name", "when", "set"],
            "additionalProperties": False,
        }
    }


def schema_top_level() -> dict[str, Any]:
    """The top-level ``event_edit_rules`` key."""
    return {
        "type": "array",
        "uniqueItems": True,
        "title": "Event edit rules",
        "description": "GA4 event edit rules, in the order GA4 applies them (the list's order is kept in the "
        "property). They rename or correct events as they arrive, before key events count them.",
        "items": {"$ref": "#/$defs/editRule"},
        "examples": schema_defs()["editRule"]["examples"],
    }


# Checks ------------------------------------------------------------------------------------------


def check_event_edit_rules(checker: _Checker) -> None:
    """Every GA4 rule and cross-check of ``event_edit_rules`` (problems go to ``checker``)."""
    rules = checker.data.get(KEY)
    if not isinstance(rules, list):
        return
    paths: list[Path] = []
    seen: dict[tuple[str, str], int] = {}
    default_stream = str(checker.data.get("stream", ""))
    for i, rule in enumerate(rules):
        path: Path = (KEY, i)
        if not isinstance(rule, dict):
            continue
        paths.append(path)
        name = rule.get("display_name")
        if isinstance(name, str):
            stream = str(rule.get("stream", default_stream))
            if not name.strip():
                checker.error(checker.at(path + ("display_name",)), f"{describe(path)} has an empty display name; give it a short readable one")
            elif (stream, name) in seen:
                line = checker.at((KEY, seen[(stream, name)], "display_name")).line
                checker.error(
                    checker.at(path + ("display_name",)),
                    f"display name {quote(name)} is already used by event edit rule {seen[(stream, name)] + 1} "
                    f"(line {line}) on the same stream; the display name is a rule's identity: give each its own",
                )
            else:
                seen[(stream, name)] = i
        _check_rule(checker, path, rule)
    checker.limit("event edit rules", "modified_events", paths, "merge rules or remove some")
    _cross_check(checker, rules)


def _check_rule(checker: _Checker, path: Path, rule: dict[str, Any]) -> None:
    where = describe(path)
    when = rule.get("when")
    if isinstance(when, list):
        if not when:
            checker.error(checker.at(path + ("when",)), f"{where} has no conditions; add at least one, e.g. {{event_name: addToCart}}")
        checker.too_many(path + ("when",), when, facts.CONDITIONS_MAX, f"{where} has {len(when)} conditions", "remove some, or split the rule")
        for j, condition in enumerate(when):
            if isinstance(condition, dict):
                checker.check_condition(path + ("when", j), condition)
    mutations = rule.get("set")
    if isinstance(mutations, list):
        if not mutations:
            checker.error(
                checker.at(path + ("set",)),
                f"{where} changes nothing; add a mutation, e.g. {{parameter: event_name, value: add_to_cart}}",
            )
        checker.too_many(path + ("set",), mutations, facts.MUTATIONS_MAX, f"{where} has {len(mutations)} parameter mutations", "remove some")
        seen: dict[str, int] = {}
        for j, mutation in enumerate(mutations):
            if isinstance(mutation, dict):
                checker.check_mutation(path + ("set", j), mutation, seen, renames=True)


def _cross_check(checker: _Checker, rules: list[Any]) -> None:
    """Renames against what the plan expects to arrive: its conversions and its create rules' sources."""
    conversions = {**checker.macro, **checker.micro}
    sent = {name: spec for name, spec in conversions.items() if not (isinstance(spec, dict) and spec.get("created_from"))}
    sources = _create_rule_sources(checker)
    for i, spec in enumerate(rules):
        rule = _parse(spec)
        if rule is None:
            continue
        target = rule.renames_to()
        if target is None:
            continue
        j = next(j for j, m in enumerate(rule.mutations) if m.parameter == EVENT_NAME)
        mutation = spec["set"][j]
        at = checker.at((KEY, i, "set", j) + (("value",) if "value" in mutation else ("copy_from",) if "copy_from" in mutation else ()))
        name_tests = [c for c in rule.conditions if c.field == EVENT_NAME]
        if not name_tests:
            continue  # renames whatever events meet its parameter conditions: nothing to tell by name
        partial = len(name_tests) < len(rule.conditions)
        new = f"the value of parameter {quote(target[2:-2])}" if target.startswith("[[") else quote(target)
        for event, conversion in sent.items():
            if event == target or not all(c.matches_name(event) for c in name_tests):
                continue
            line = checker.key(("conversions", "macro" if event in checker.macro else "micro", event)).line
            if partial or target.startswith("[["):
                checker.warning(
                    at,
                    f"event edit rule {quote(rule.display_name)} renames {quote(event)} events that meet its other "
                    f"conditions to {new}, so conversion {quote(event)} (line {line}) counts only the others; "
                    "GA4 counts key events under the name an event has after the edit rules",
                )
            else:
                checker.error(
                    at,
                    f"event edit rule {quote(rule.display_name)} renames every {quote(event)} event to {new}, so "
                    f"conversion {quote(event)} (line {line}) would never arrive under its name (GA4 applies edit "
                    f"rules before it counts key events); remove the rule, narrow its conditions, or declare the "
                    f"conversion as {new}",
                )
        for event, where in sources.items():
            if event == target or not all(c.matches_name(event) for c in name_tests):
                continue
            checker.warning(
                at,
                f"event edit rule {quote(rule.display_name)} renames {quote(event)}, which {where} creates an event "
                f"from; GA4 does not document whether create rules see an event before or after the edit rules, so "
                f"the created event may never fire: match the new name in the create rule too, or rename after creating",
            )


def _create_rule_sources(checker: _Checker) -> dict[str, str]:
    """Event names the plan's create rules select (``{event_name: X}``), with who uses them."""
    out: dict[str, str] = {}
    for kind, table in (("macro", checker.macro), ("micro", checker.micro)):
        for name, spec in table.items():
            rules = spec.get("created_from") if isinstance(spec, dict) else None
            for rule in rules if isinstance(rules, list) else [rules] if isinstance(rules, dict) else []:
                for condition in rule.get("when") or [] if isinstance(rule, dict) else []:
                    if isinstance(condition, dict) and isinstance(condition.get("event_name"), str):
                        out.setdefault(condition["event_name"], f"the create rule of {kind} conversion {quote(name)}")
    return out


def _parse(spec: Any) -> EventEditRule | None:
    """A rule of the document as the model has it, or None when its shape is wrong (reported elsewhere)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("display_name"), str):
        return None
    when, mutations = spec.get("when"), spec.get("set")
    if not isinstance(when, list) or not isinstance(mutations, list):
        return None
    try:
        return build_rule(spec, condition=_condition, mutation=_mutation, stream=None, order=0)
    except (KeyError, StopIteration, TypeError, ValueError):
        return None


# Model -------------------------------------------------------------------------------------------


def build_rule(
    spec: dict[str, Any],
    *,
    condition: Callable[[dict[str, Any]], Condition],
    mutation: Callable[[dict[str, Any]], Mutation],
    stream: str | None,
    order: int,
) -> EventEditRule:
    """One ``event_edit_rules`` item as an :class:`EventEditRule` (``processing_order``: ``order``)."""
    own = spec.get("stream")
    return EventEditRule(
        display_name=spec["display_name"],
        conditions=tuple(condition(c) for c in spec["when"]),
        mutations=tuple(mutation(m) for m in spec["set"]),
        stream=stream if own is None else str(own),
        processing_order=order,
    )


def build_event_edit_rules(
    data: dict[str, Any],
    *,
    condition: Callable[[dict[str, Any]], Condition],
    mutation: Callable[[dict[str, Any]], Mutation],
    stream: str | None,
) -> list[EventEditRule]:
    """The document's edit rules in plan order (``processing_order`` 1, 2, ...)."""
    return [
        build_rule(spec, condition=condition, mutation=mutation, stream=stream, order=n)
        for n, spec in enumerate(data.get(KEY) or [], start=1)
    ]


def _condition(spec: dict[str, Any]) -> Condition:
    from ga_goals.plan_file.build import _Builder

    return _Builder.condition(spec)


def _mutation(spec: dict[str, Any]) -> Mutation:
    from ga_goals.plan_file.build import _Builder

    return _Builder.mutation(spec)


__all__ = ["KEY", "build_event_edit_rules", "build_rule", "check_event_edit_rules", "schema_defs", "schema_top_level"]
