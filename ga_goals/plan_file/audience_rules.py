"""GA4's rules for the plan file's ``audiences:``, checked offline with located problems.

Called by ``rules._Checker.run`` (``check_audiences(checker)``): the limits per tier (audiences,
audience triggers), the filter tree's shape as the v1alpha proto documents it (an AND of ORs;
NOT only around a dimension or metric condition; an event's parameter conditions ANDed; day
windows and static evaluation only across all sessions), the events conditions name (as a
funnel step's: declared, or known to GA4, with a did-you-mean), and the cross-check of trigger
events against the plan's conversions. Facts and sources: docs/ga4-api-facts.md, "Audiences".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ga_goals.model import ga4_facts as facts
from ga_goals.model.audiences import TRIGGERS_MAX
from ga_goals.plan_file.audiences import (
    COMPARISONS,
    FIELD_KEYS,
    GROUP_KEYS,
    LEAF_KEYS,
    SEQUENCE_KEYS,
    STEP_KEYS,
    TEXT_ONLY,
)
from ga_goals.plan_file.wording import describe, one_of, quote

if TYPE_CHECKING:
    from ga_goals.plan_file.document import Path
    from ga_goals.plan_file.rules import _Checker


def check_audiences(checker: _Checker) -> None:
    """GA4's rules for ``audiences:`` (located problems on ``checker``)."""
    audiences = checker.data.get("audiences")
    if not isinstance(audiences, dict):
        return
    paths: list[Path] = [("audiences", name) for name in audiences]
    checker.limit("audiences", "audiences", paths, "archive unused audiences in GA4 and remove them from the plan")
    triggers: list[tuple[Path, str]] = []
    for name, spec in audiences.items():
        if not isinstance(spec, dict):
            continue
        path: Path = ("audiences", name)
        has_exclude = False
        for kind in ("include", "exclude"):
            clauses = spec.get(kind)
            if isinstance(clauses, list):
                has_exclude = has_exclude or (kind == "exclude" and bool(clauses))
                for i, clause in enumerate(clauses):
                    _check_clause(checker, path + (kind, i), clause)
        if "exclusion" in spec and not has_exclude:
            checker.warning(
                checker.key(path + ("exclusion",)),
                f"{describe(path)} sets 'exclusion' but has no 'exclude' clauses; GA4 ignores it: remove it",
            )
        trigger = spec.get("trigger")
        if isinstance(trigger, dict) and isinstance(trigger.get("event"), str):
            event = trigger["event"]
            if checker.check_name(path + ("trigger", "event"), _event_name_problem(event)):
                triggers.append((path + ("trigger", "event"), event))
    if len(triggers) > TRIGGERS_MAX:
        checker.error(
            checker.at(triggers[TRIGGERS_MAX][0]),
            f"too many audience triggers: {len(triggers)}; GA4 allows {TRIGGERS_MAX} per property; remove the "
            "trigger of audiences that do not need an event",
        )
    _check_triggers(checker, triggers)


def _event_name_problem(event: str) -> str | None:
    """GA4's event naming rules, and no name GA4 reserves for its own events (``page_view``,
    ``session_start``...): GA4 logs the trigger event itself, so it would mix with GA4's own."""
    from ga_goals.plan_file.names import name_problem

    return name_problem(
        event,
        what="event name",
        max_length=facts.EVENT_NAME_MAX,
        prefixes=facts.RESERVED_EVENT_PREFIXES,
        reserved=facts.RESERVED_EVENT_NAMES,
        reserved_why="an event name GA4 reserves for its own events, so an audience trigger cannot log it",
    )


def _check_triggers(checker: _Checker, triggers: list[tuple[Path, str]]) -> None:
    """Cross-check: a trigger event that is also declared as a conversion (docs/plan-rules.md).

    GA4 logs the trigger event itself, once per user who joins (``log: renewed``: also each time
    a member meets the conditions again). Declared as a conversion and made by nothing else,
    that is how an audience becomes a micro conversion. But when an event create rule also
    makes it (its ``created_from``), or the site sends it (an event GA4 collects or recommends,
    or one listed under ``events``), or another audience triggers it too, the event is counted
    from two sources: a key event on it counts the same people twice. That is an error.
    """
    seen: dict[str, Path] = {}
    conversions = {**checker.micro, **checker.macro}
    for path, event in triggers:
        audience = describe(path[:2])
        first = seen.setdefault(event, path)
        if first is not path:
            checker.error(
                checker.at(path),
                f"{audience} triggers {quote(event)}, which {describe(first[:2])} triggers too; GA4 logs it for "
                "both audiences, so its counts mix the two: give each audience its own trigger event",
            )
            continue
        conversion = conversions.get(event)
        if isinstance(conversion, dict) and conversion.get("created_from") is not None:
            source = "is declared as a conversion that an event create rule also creates (its created_from)"
        elif event in checker.events:
            source = "the site sends (it is listed under 'events')"
        elif event in conversions and event in facts.KNOWN_EVENTS:
            source = "is declared as a conversion and is an event GA4 collects or recommends, which the site sends"
        else:
            continue
        checker.error(
            checker.at(path),
            f"{audience} triggers {quote(event)}, which {source}: GA4 logs the trigger event too, so it counts the "
            f"same people twice; name the trigger event after the audience (e.g. {quote(_suggest_trigger(path[1]))})",
        )


def _suggest_trigger(display_name: Any) -> str:
    text = "".join(c if c.isalnum() else "_" for c in str(display_name).lower()).strip("_")
    while "__" in text:
        text = text.replace("__", "_")
    return (text or "audience")[: facts.EVENT_NAME_MAX]


def _check_clause(checker: _Checker, path: Path, clause: Any) -> None:
    if isinstance(clause, str):
        checker.check_step_event(path, clause, path)
        return
    if not isinstance(clause, dict):
        return
    scope = clause.get("scope", "user")
    if "sequence" in clause:
        others = [k for k in clause if k not in SEQUENCE_KEYS + ("scope",) and k in _KNOWN_KEYS]
        if others:
            checker.error(
                checker.key(path + (others[0],)),
                f"{describe(path)} is a sequence, which takes no {quote(others[0])}; put conditions on its steps",
            )
        steps = clause["sequence"]
        if isinstance(steps, list):
            for i, step in enumerate(steps):
                step_path = path + ("sequence", i)
                if isinstance(step, str):
                    checker.check_step_event(step_path, step, step_path)
                elif isinstance(step, dict):
                    _check_condition(checker, step_path, {k: v for k, v in step.items() if k not in ("scope",) +
                                                          STEP_KEYS}, step.get("scope", scope))
        _check_duration(checker, path, clause.get("within"))
        if isinstance(steps, list):
            for i, step in enumerate(steps):
                if isinstance(step, dict):
                    _check_duration(checker, path + ("sequence", i), step.get("within"))
        return
    if "within" in clause:
        checker.error(
            checker.key(path + ("within",)),
            f"{describe(path)}: 'within' applies to a sequence (and its steps); remove it, or make the clause a "
            "sequence",
        )
    _check_condition(checker, path, {k: v for k, v in clause.items() if k not in ("scope", "within")}, scope)


def _check_duration(checker: _Checker, path: Path, within: Any) -> None:
    from ga_goals.plan_file.rules import parse_duration

    if isinstance(within, str):
        try:
            parse_duration(within)
        except ValueError as exc:
            checker.error(checker.at(path + ("within",)), f"{describe(path)}: 'within' {exc}")


def _check_condition(checker: _Checker, path: Path, condition: dict[str, Any], scope: Any) -> None:
    """A clause's or step's condition: a leaf, ``any`` of leaves, or ``all`` of leaves and ``any``."""
    groups = [k for k in GROUP_KEYS if k in condition]
    if groups:
        extra = [k for k in condition if k != groups[0]]
        if extra:
            checker.error(
                checker.key(path + (extra[0],)),
                f"{describe(path)} is an {quote(groups[0])} group, which takes no {quote(extra[0])}; put it on a "
                "condition inside",
            )
            return
        items = condition[groups[0]]
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            item_path = path + (groups[0], i)
            if isinstance(item, dict) and groups[0] == "all" and "any" in item:
                extra = [k for k in item if k != "any"]
                if extra:
                    checker.error(
                        checker.key(item_path + (extra[0],)),
                        f"{describe(item_path)} is an 'any' group, which takes no {quote(extra[0])}",
                    )
                elif isinstance(item["any"], list):
                    for j, leaf in enumerate(item["any"]):
                        _check_leaf(checker, item_path + ("any", j), leaf, scope)
            else:
                _check_leaf(checker, item_path, item, scope)
        return
    _check_leaf(checker, path, condition, scope)


#: Every key a condition may have somewhere; others are the schema's to report (did-you-mean).
_KNOWN_KEYS = frozenset(LEAF_KEYS + GROUP_KEYS + SEQUENCE_KEYS + STEP_KEYS + ("scope",))


def _check_leaf(checker: _Checker, path: Path, leaf: Any, scope: Any) -> None:
    if isinstance(leaf, str):
        checker.check_step_event(path, leaf, path)
        return
    if not isinstance(leaf, dict) or any(k not in _KNOWN_KEYS for k in leaf):
        return  # an unknown key: the structural check names it (with a did-you-mean)
    nested = [k for k in GROUP_KEYS if k in leaf]
    if nested:
        checker.error(
            checker.key(path + (nested[0],)),
            f"{describe(path)} nests an {quote(nested[0])} group; GA4 takes an AND of ORs: 'all' may hold 'any' "
            "groups, 'any' holds plain conditions only",
        )
        return
    if "event" in leaf:
        wrong = [k for k in leaf if k not in ("event", "where", "in_last_days")]
        if wrong:
            hint = " (GA4 cannot negate an event condition: use an exclude clause)" if wrong[0] == "negate" else ""
            checker.error(
                checker.key(path + (wrong[0],)),
                f"{describe(path)} is an event condition, which takes no {quote(wrong[0])}{hint}; put conditions on "
                "the event's parameters under 'where'",
            )
        if isinstance(leaf["event"], str):
            checker.check_step_event(path + ("event",), leaf["event"], path)
        if "in_last_days" in leaf and "where" in leaf:
            checker.error(
                checker.key(path + ("in_last_days",)),
                f"{describe(path)} has both 'in_last_days' and 'where'; GA4 reads only the event count filter "
                "when there is one: put {metric: eventCount, greater_than: 0, in_last_days: N} in 'where' instead",
            )
        if "in_last_days" in leaf:
            _check_scope_only_user(checker, path, "in_last_days", scope)
        where = leaf.get("where")
        if isinstance(where, list):
            for i, item in enumerate(where):
                if isinstance(item, dict):
                    _check_filter(checker, path + ("where", i), item, scope, in_event=True)
        return
    _check_filter(checker, path, leaf, scope, in_event=False)


def _check_scope_only_user(checker: _Checker, path: Path, key: str, scope: Any) -> None:
    if scope != "user" and isinstance(scope, str):
        checker.error(
            checker.key(path + (key,)),
            f"{describe(path)}: {quote(key)} needs the clause's scope to be user (across all sessions), not "
            f"{quote(scope)}; GA4 refuses it otherwise",
        )


def _check_filter(checker: _Checker, path: Path, spec: dict[str, Any], scope: Any, *, in_event: bool) -> None:
    allowed = ("parameter", "metric") if in_event else ("dimension", "metric")
    fields = [k for k in FIELD_KEYS if k in spec]
    where = describe(path)
    if not fields:
        checker.error(
            checker.at(path),
            f"{where} needs what it tests: {one_of(allowed)}" + ("" if in_event else ", or an event"),
        )
        return
    if len(fields) > 1 or fields[0] not in allowed:
        wrong = fields[1] if len(fields) > 1 else fields[0]
        context = "an event's 'where'" if in_event else "a condition outside an event"
        checker.error(checker.key(path + (wrong,)), f"{where}: {quote(wrong)} cannot be used in {context}; use "
                      f"{one_of(allowed)}")
        return
    name = spec[fields[0]]
    if isinstance(name, str) and not name.strip():
        checker.error(checker.at(path + (fields[0],)), f"{where}: {quote(fields[0])} is empty")
    ops = [op for op in COMPARISONS if op in spec]
    if not ops:
        checker.error(checker.at(path), f"{where} needs a comparison: one of {one_of(COMPARISONS)}")
        return
    if len(ops) > 1:
        checker.error(
            checker.key(path + (ops[1],)),
            f"{where} has both {quote(ops[0])} and {quote(ops[1])}; a condition takes one comparison (add another "
            "condition to require both)",
        )
        return
    op = ops[0]
    value = spec[op]
    if op in TEXT_ONLY and not isinstance(value, str):
        checker.error(checker.at(path + (op,)), f"{where}: {quote(op)} compares text; write the value in quotes")
    if op == "matches" and isinstance(value, str):
        checker.check_regex(path + (op,), value)
    if op == "between" and isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, (int, float)) for v in value
    ) and value[0] > value[1]:
        checker.error(checker.at(path + (op,)), f"{where}: 'between' needs [low, high] with low <= high")
    if "case_sensitive" in spec and (op in ("less_than", "greater_than", "between") or (
            op == "equals" and isinstance(value, (int, float)))):
        checker.error(
            checker.key(path + ("case_sensitive",)),
            f"{where}: 'case_sensitive' applies to text comparisons only; remove it",
        )
    for key in ("in_last_days", "at_any_point"):
        if key in spec and spec[key] is not False:
            _check_scope_only_user(checker, path, key, scope)
