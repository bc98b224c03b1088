"""The plan file's ``audiences:``: reading entries into the model and writing them back.

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
``scope`` (user, session, event), or a ``sequence`` of steps (``within``, ``directly``). The
schema of the entries is in ``audience_schema``, GA4's rules for them in ``audience_rules``.
"""

from __future__ import annotations

from typing import Any

from ga_goals.model.audiences import (
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

#: Comparisons of an audience filter, in the plan's words (see ``FieldFilter.op``).
COMPARISONS = ("equals", "contains", "starts_with", "ends_with", "matches", "in", "less_than", "greater_than",
               "between")
#: Comparisons that take text only.
TEXT_ONLY = ("contains", "starts_with", "ends_with", "matches")
FIELD_KEYS = ("dimension", "metric", "parameter")
#: Keys of a leaf condition (an event, or a dimension/metric filter).
LEAF_KEYS = ("event", "where", "in_last_days", "at_any_point", "case_sensitive", "negate") + FIELD_KEYS + COMPARISONS
GROUP_KEYS = ("any", "all")
SEQUENCE_KEYS = ("sequence", "within")
STEP_KEYS = ("within", "directly")


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
                        condition=_condition({k: v for k, v in step_spec.items() if k not in ("scope",) + STEP_KEYS}),
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
    field = next(spec[k] for k in FIELD_KEYS if k in spec)
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
