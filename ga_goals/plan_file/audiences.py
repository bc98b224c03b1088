"""The plan file's ``audiences:``: schema, GA4's rules, building the model, writing it back.

One module owns the format both ways (``build_audience`` reads it, ``audience_entry`` writes it
for ``pull``), so what ``pull`` writes always loads to the same :class:`Audience`::

    audiences:
      Cart abandoners:                       # the key is the display name in GA4
        description: Added to cart, no purchase within 7 days
        membership_days: 7                   # 1 to 540
        include:                             # clauses, ANDed
          - add_to_cart                      # did the event (ever: the membership ends it)
        exclude:
          - {event: purchase, in_last_days: 7}
        trigger: {event: cart_abandoner, log: joined}

A clause is a condition (an event, ``{dimension: NAME, <comparison>: VALUE}``, ``{any: [...]}``
of those, ``{all: [...]}`` of those and ``any`` groups: GA4's AND of ORs) with an optional
``scope`` (user, session, event), or a ``sequence`` of steps (``within``, ``directly``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ga_goals.model import ga4_facts as facts
from ga_goals.model.audiences import (
    AUDIENCE_SCOPES,
    EXCLUSION_MODES,
    LOG_CONDITIONS,
    MEMBERSHIP_DAYS_MAX,
    MEMBERSHIP_DAYS_MIN,
    N_DAY_PERIOD_MAX,
    TRIGGERS_MAX,
    Audience,
    AudienceClause,
    AudienceCondition,
    AudienceTrigger,
    EventFilter,
    FieldFilter,
    Leaf,
    SequenceStep,
    event_window,
    seconds_text,
    window_filter,
)
from ga_goals.plan_file.wording import describe, one_of, quote

if TYPE_CHECKING:
    from ga_goals.plan_file.document import Path
    from ga_goals.plan_file.rules import _Checker

#: Comparisons of an audience filter, in the plan's words (see ``FieldFilter.op``).
COMPARISONS = ("equals", "contains", "starts_with", "ends_with", "matches", "in", "less_than", "greater_than",
               "between")
_TEXT_ONLY = ("contains", "starts_with", "ends_with", "matches")
_FIELD_KEYS = ("dimension", "metric", "parameter")
#: Keys of a leaf condition (an event, or a dimension/metric filter).
_LEAF_KEYS = ("event", "where", "in_last_days", "at_any_point", "case_sensitive", "negate") + _FIELD_KEYS + COMPARISONS
_GROUP_KEYS = ("any", "all")
_SEQUENCE_KEYS = ("sequence", "within")
_STEP_KEYS = ("within", "directly")


# Schema ----------------------------------------------------------------------------------------


def _filter_properties() -> dict[str, Any]:
    text = {"type": ["string", "number"]}
    return {
        "dimension": {"type": "string", "title": "Dimension", "examples": ["deviceCategory", "firstUserMedium"]},
        "metric": {"type": "string", "title": "Metric", "examples": ["eventCount", "purchaseRevenue"]},
        "parameter": {"type": "string", "title": "Event parameter", "examples": ["value", "content_type"]},
        "equals": {**text, "description": "The value equals this (a number compares as a number)."},
        "contains": {**text, "description": "The value contains this text."},
        "starts_with": {**text, "description": "The value starts with this text."},
        "ends_with": {**text, "description": "The value ends with this text."},
        "matches": {"type": "string", "description": "The whole value matches this regular expression (RE2)."},
        "in": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": ["string", "number"]},
               "description": "The value is one of these."},
        "less_than": {"type": "number", "description": "The value is a number less than this."},
        "greater_than": {"type": "number", "description": "The value is a number greater than this."},
        "between": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"},
                    "description": "[low, high]: a number from low to high (inclusive)."},
        "case_sensitive": {"type": "boolean", "default": True,
                           "description": "false: compare text ignoring case (text comparisons only)."},
        "negate": {"type": "boolean", "default": False,
                   "description": "true: the condition must NOT hold (dimension and metric conditions only)."},
        "in_last_days": {"type": "integer", "minimum": 1, "maximum": N_DAY_PERIOD_MAX,
                         "description": f"Only the last N days count (1 to {N_DAY_PERIOD_MAX}; user scope only). "
                         "On an event: the user did it in the last N days."},
        "at_any_point": {"type": "boolean", "default": False,
                         "description": "true: once true, always true (GA4's static 'in any time period'; "
                         "user scope only)."},
    }


def _nested_group() -> dict[str, Any]:
    """``any``/``all`` where GA4 takes no group: allowed by the schema so that ``rules`` says why."""
    from ga_goals.plan_file.schema import RULES_COMMENT

    return {"type": "array", "uniqueItems": True, "maxItems": 0, "$comment": RULES_COMMENT,
            "description": "Not here: GA4 takes an AND of ORs ('all' of 'any' groups of plain conditions)."}


def _leaf_properties() -> dict[str, Any]:
    return {
        "any": _nested_group(),
        "all": _nested_group(),
        "event": {"$ref": "#/$defs/eventName", "description": "The user logged this event."},
        "where": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"$ref": "#/$defs/audienceFilter"},
                  "description": "Conditions on the event's parameters (or eventCount), ANDed."},
        **_filter_properties(),
    }


def _leaf_schema() -> dict[str, Any]:
    return {"anyOf": [{"$ref": "#/$defs/eventName"}, {"$ref": "#/$defs/audienceLeaf"}]}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", **extra, "properties": properties, "additionalProperties": False}


def _scope() -> dict[str, Any]:
    return {"enum": list(AUDIENCE_SCOPES), "default": "user",
            "description": "user: across all sessions; session: within one session; event: within one event."}


def _condition_properties() -> dict[str, Any]:
    return {
        **_leaf_properties(),
        "any": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _leaf_schema(), "description": "At least one of these holds."},
        "all": {"type": "array", "minItems": 1, "uniqueItems": True,
                "items": {"anyOf": [{"$ref": "#/$defs/eventName"}, {"$ref": "#/$defs/audienceGroup"}]},
                "description": "Every one of these holds (each an event, a condition or an `any` group)."},
    }


def schema_defs() -> dict[str, Any]:
    """The ``$defs`` of the audience entries (added to the plan schema's)."""
    within = {"$ref": "#/$defs/duration"}
    return {
        "audienceFilter": _object(_filter_properties(), title="Audience filter",
                                  description="{dimension|metric|parameter: NAME, <comparison>: VALUE}",
                                  examples=[{"dimension": "deviceCategory", "equals": "mobile"}]),
        "audienceLeaf": _object(_leaf_properties(), title="Audience condition",
                                description="An event ({event, where, in_last_days}) or a dimension/metric condition.",
                                examples=[{"event": "purchase", "in_last_days": 7}]),
        "audienceGroup": _object(
            {**_leaf_properties(), "any": _condition_properties()["any"]},
            title="Audience condition or group",
            description="A condition, or {any: [...]} of conditions.",
            examples=[{"any": [{"dimension": "firstUserMedium", "equals": "email"}, "sign_up"]}],
        ),
        "audienceStep": _object(
            {**_condition_properties(), "scope": _scope(),
             "within": {**within, "description": "At most this long after the prior step."},
             "directly": {"type": "boolean", "default": False,
                          "description": "true: the very next event after the prior step's."}},
            title="Sequence step",
            description="A condition, with how it follows the prior step.",
            examples=[{"event": "add_to_cart", "within": "1h"}],
        ),
        "audienceClause": {
            "title": "Audience clause",
            "description": "An event name, a condition or group, or a sequence.",
            "anyOf": [
                {"$ref": "#/$defs/eventName"},
                _object(
                    {**_condition_properties(), "scope": _scope(),
                     "sequence": {"type": "array", "minItems": 1,
                                  "items": {"anyOf": [{"$ref": "#/$defs/eventName"}, {"$ref": "#/$defs/audienceStep"}]},
                                  "description": "Steps the user takes in this order."},
                     "within": {**within, "description": "A sequence: all its steps within this long."}},
                    title="Audience clause",
                    description="A condition (event, dimension or metric, any/all groups) or a sequence.",
                    examples=[{"event": "add_to_cart"}, {"sequence": ["view_item", {"event": "add_to_cart",
                                                                                    "within": "1h"}]}],
                ),
            ]
        },
        "audience": _object(
            {
                "description": {"type": "string", "minLength": 1, "title": "Description",
                                "description": "Required by GA4: what the audience is for."},
                "membership_days": {"type": "integer", "minimum": MEMBERSHIP_DAYS_MIN,
                                    "maximum": MEMBERSHIP_DAYS_MAX, "title": "Membership duration",
                                    "description": f"Days a user stays in the audience ({MEMBERSHIP_DAYS_MIN} to "
                                    f"{MEMBERSHIP_DAYS_MAX}). Immutable in GA4."},
                "include": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"$ref": "#/$defs/audienceClause"},
                            "description": "Users who meet every one of these clauses join."},
                "exclude": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"$ref": "#/$defs/audienceClause"},
                            "description": "Users who meet any of these clauses are left out."},
                "exclusion": {"enum": list(EXCLUSION_MODES), "default": "temporary",
                              "description": "temporary: left out while they meet an exclude clause; permanent: "
                              "left out for good once they did. Immutable in GA4."},
                "trigger": _object(
                    {"event": {"$ref": "#/$defs/eventName"},
                     "log": {"enum": list(LOG_CONDITIONS), "default": "joined",
                             "description": "joined: when a user joins; renewed: also each time a member meets "
                             "the conditions again."}},
                    required=["event"],
                    examples=[{"event": "cart_abandoner", "log": "joined"}],
                    title="Audience trigger",
                    description="An event GA4 logs for the user when they join the audience.",
                ),
            },
            required=["description", "membership_days", "include"],
            title="Audience",
            description="A GA4 audience; its key is its display name. Only the description and the trigger "
            "(and the name) can change once GA4 has it: other changes archive it and create it again.",
            examples=[{"description": "Added to cart, no purchase within 7 days", "membership_days": 7,
                       "include": ["add_to_cart"], "exclude": [{"event": "purchase", "in_last_days": 7}]}],
        ),
    }


def top_level_schema() -> dict[str, Any]:
    """The schema of the top-level ``audiences:`` mapping."""
    return {
        "type": "object",
        "title": "Audiences",
        "description": "GA4 audiences, keyed by display name (what GA4 shows; its only user-chosen name).",
        "additionalProperties": {"$ref": "#/$defs/audience"},
        "propertyNames": {"minLength": 1},
        "examples": [{"Cart abandoners": {"description": "Added to cart, no purchase", "membership_days": 7,
                                          "include": ["add_to_cart"], "exclude": ["purchase"]}}],
    }


# Rules -----------------------------------------------------------------------------------------


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
    from ga_goals.plan_file.names import event_name_problem

    return event_name_problem(event)


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
        others = [k for k in clause if k not in _SEQUENCE_KEYS + ("scope",) and k in _KNOWN_KEYS]
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
                                                          _STEP_KEYS}, step.get("scope", scope))
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
    groups = [k for k in _GROUP_KEYS if k in condition]
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
_KNOWN_KEYS = frozenset(_LEAF_KEYS + _GROUP_KEYS + _SEQUENCE_KEYS + _STEP_KEYS + ("scope",))


def _check_leaf(checker: _Checker, path: Path, leaf: Any, scope: Any) -> None:
    if isinstance(leaf, str):
        checker.check_step_event(path, leaf, path)
        return
    if not isinstance(leaf, dict) or any(k not in _KNOWN_KEYS for k in leaf):
        return  # an unknown key: the structural check names it (with a did-you-mean)
    nested = [k for k in _GROUP_KEYS if k in leaf]
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
    fields = [k for k in _FIELD_KEYS if k in spec]
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
    if op in _TEXT_ONLY and not isinstance(value, str):
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


# Building --------------------------------------------------------------------------------------


def build_audiences(data: Any) -> dict[str, Audience]:
    """The plan's audiences (after the checks passed), by display name."""
    if not isinstance(data, dict):
        return {}
    return {name: build_audience(name, spec) for name, spec in data.items()}


def build_audience(name: str, spec: dict[str, Any]) -> Audience:
    from ga_goals.plan_file.rules import parse_duration

    def duration(text: Any) -> int | None:
        return None if text is None else parse_duration(text)

    def clause(item: Any, exclude: bool) -> AudienceClause:
        if isinstance(item, dict) and "sequence" in item:
            scope: Any = item.get("scope", "user")
            steps = []
            for step in item["sequence"]:
                step_spec: dict[str, Any] = {"event": step} if isinstance(step, str) else step
                steps.append(
                    SequenceStep(
                        condition=_condition({k: v for k, v in step_spec.items() if k not in ("scope",) + _STEP_KEYS}),
                        scope=step_spec.get("scope", scope),
                        within_seconds=duration(step_spec.get("within")),
                        directly=step_spec.get("directly", False),
                    )
                )
            return AudienceClause(exclude=exclude, scope=scope, steps=tuple(steps),
                                  within_seconds=duration(item.get("within")))
        spec_: dict[str, Any] = {"event": item} if isinstance(item, str) else item
        return AudienceClause(
            exclude=exclude,
            scope=spec_.get("scope", "user"),
            condition=_condition({k: v for k, v in spec_.items() if k != "scope"}),
        )

    clauses = tuple(clause(c, False) for c in spec.get("include", ())) + tuple(
        clause(c, True) for c in spec.get("exclude", ())
    )
    trigger = spec.get("trigger")
    return Audience(
        display_name=name,
        description=spec.get("description", ""),
        membership_days=spec["membership_days"],
        clauses=clauses,
        trigger=None if trigger is None else AudienceTrigger(trigger["event"], trigger.get("log", "joined")),
        exclusion=spec.get("exclusion", "temporary"),
    )


def _condition(spec: dict[str, Any]) -> AudienceCondition:
    if "all" in spec:
        groups = []
        for item in spec["all"]:
            if isinstance(item, dict) and "any" in item:
                groups.append(tuple(_leaf(x) for x in item["any"]))
            else:
                groups.append((_leaf(item),))
        return AudienceCondition(tuple(groups))
    if "any" in spec:
        return AudienceCondition((tuple(_leaf(x) for x in spec["any"]),))
    return AudienceCondition(((_leaf(spec),),))


def _leaf(spec: Any) -> Leaf:
    if isinstance(spec, str):
        return EventFilter(spec)
    if "event" in spec:
        filters = tuple(_filter(f) for f in spec.get("where", ()))
        if "in_last_days" in spec:
            filters = (window_filter(spec["in_last_days"]),)
        return EventFilter(spec["event"], filters)
    return _filter(spec)


def _filter(spec: dict[str, Any]) -> FieldFilter:
    field = next(spec[k] for k in _FIELD_KEYS if k in spec)
    op = next(o for o in COMPARISONS if o in spec)
    value = spec[op]
    numeric = op in ("less_than", "greater_than", "between") or (
        op == "equals" and isinstance(value, (int, float)) and not isinstance(value, bool)
    )
    if op == "in":
        value = tuple(str(v) for v in value)
    elif op == "between":
        value = (value[0], value[1])
    elif not numeric:
        value = str(value)
    return FieldFilter(
        field=field,
        op=op,
        value=value,
        case_sensitive=True if numeric else spec.get("case_sensitive", True),
        negated=spec.get("negate", False),
        in_last_days=spec.get("in_last_days"),
        at_any_point=spec.get("at_any_point", False),
    )


# Writing (pull) --------------------------------------------------------------------------------


class Flow(dict[str, Any]):
    """A mapping the writer puts on one line (``writer._Dumper`` represents it in flow style)."""


def audience_entry(audience: Audience, *, metrics: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The plan-file entry that :func:`build_audience` turns back into ``audience``.

    ``metrics``: names written as ``metric:`` rather than ``dimension:`` (both load the same).
    """
    entry: dict[str, Any] = {"description": audience.description, "membership_days": audience.membership_days}
    include = [_clause_entry(c, metrics) for c in audience.clauses if not c.exclude]
    exclude = [_clause_entry(c, metrics) for c in audience.clauses if c.exclude]
    entry["include"] = include
    if exclude:
        entry["exclude"] = exclude
        if audience.exclusion != "temporary":
            entry["exclusion"] = audience.exclusion
    if audience.trigger is not None:
        entry["trigger"] = Flow(event=audience.trigger.event, log=audience.trigger.log)
    return entry


def _clause_entry(clause: AudienceClause, metrics: frozenset[str]) -> Any:
    if clause.condition is not None:
        out = _condition_entry(clause.condition, metrics)
        if clause.scope != "user":
            out = {**({"event": out} if isinstance(out, str) else out), "scope": clause.scope}
            out = Flow(out) if all(not isinstance(v, list) for v in out.values()) else out
        return out
    steps: list[Any] = []
    for step in clause.steps:
        item = _condition_entry(step.condition, metrics)
        extra: dict[str, Any] = {}
        if step.scope != clause.scope:
            extra["scope"] = step.scope
        if step.within_seconds is not None:
            extra["within"] = seconds_text(step.within_seconds)
        if step.directly:
            extra["directly"] = True
        if extra:
            base = {"event": item} if isinstance(item, str) else dict(item)
            item = {**base, **extra}
            item = Flow(item) if all(not isinstance(v, list) for v in item.values()) else item
        steps.append(item)
    out2: dict[str, Any] = {"sequence": steps}
    if clause.scope != "user":
        out2["scope"] = clause.scope
    if clause.within_seconds is not None:
        out2["within"] = seconds_text(clause.within_seconds)
    return out2


def _condition_entry(condition: AudienceCondition, metrics: frozenset[str]) -> Any:
    groups = condition.groups
    if len(groups) == 1 and len(groups[0]) == 1:
        return _leaf_entry(groups[0][0], metrics)
    if len(groups) == 1:
        return {"any": [_leaf_entry(x, metrics) for x in groups[0]]}
    return {"all": [_leaf_entry(g[0], metrics) if len(g) == 1 else {"any": [_leaf_entry(x, metrics) for x in g]}
                    for g in groups]}


def _leaf_entry(leaf: Leaf, metrics: frozenset[str]) -> Any:
    if isinstance(leaf, FieldFilter):
        return _filter_entry(leaf, "metric" if leaf.field in metrics else "dimension")
    days = event_window(leaf)
    if days is not None:
        return Flow(event=leaf.event, in_last_days=days)
    if not leaf.filters:
        return leaf.event
    return {"event": leaf.event,
            "where": [_filter_entry(f, "metric" if f.field in metrics or f.field == "eventCount" else "parameter")
                      for f in leaf.filters]}


def _filter_entry(f: FieldFilter, key: str) -> Flow:
    out = Flow({key: f.field})
    value: Any = f.value
    if isinstance(value, tuple):
        value = list(value)
    out[f.op] = value
    if not f.numeric and not f.case_sensitive:
        out["case_sensitive"] = False
    if f.negated:
        out["negate"] = True
    if f.in_last_days is not None:
        out["in_last_days"] = f.in_last_days
    if f.at_any_point:
        out["at_any_point"] = True
    return out
