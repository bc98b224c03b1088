"""Model :class:`~ga_goals.model.audiences.Audience` <-> Admin API v1alpha ``Audience`` messages.

The one place that knows the proto spellings of audiences: ``AUDIENCE_FILTER_SCOPE_ACROSS_ALL_SESSIONS``,
``string_filter.match_type = BEGINS_WITH``, ``not_expression``, ``int64_value``... Audiences exist
in v1alpha only. :func:`audience_from_proto` accepts only the filter shapes GA4 documents (AND of
ORs of leaves, NOT only around a dimension or metric filter); anything else raises
:class:`AudienceShapeError`, which the gateway reports instead of guessing.
"""

from __future__ import annotations

from typing import Any

from google.analytics import admin_v1alpha as alpha
from google.protobuf import duration_pb2

from ga_goals.model.audiences import (
    Audience,
    AudienceClause,
    AudienceCondition,
    AudienceTrigger,
    EventFilter,
    FieldFilter,
    Leaf,
    SequenceStep,
)

_SCOPES = {
    "event": alpha.AudienceFilterScope.AUDIENCE_FILTER_SCOPE_WITHIN_SAME_EVENT,
    "session": alpha.AudienceFilterScope.AUDIENCE_FILTER_SCOPE_WITHIN_SAME_SESSION,
    "user": alpha.AudienceFilterScope.AUDIENCE_FILTER_SCOPE_ACROSS_ALL_SESSIONS,
}
_SCOPE_NAMES = {int(v): k for k, v in _SCOPES.items()}
_Filter = alpha.AudienceDimensionOrMetricFilter
_MATCH = {
    "equals": _Filter.StringFilter.MatchType.EXACT,
    "starts_with": _Filter.StringFilter.MatchType.BEGINS_WITH,
    "ends_with": _Filter.StringFilter.MatchType.ENDS_WITH,
    "contains": _Filter.StringFilter.MatchType.CONTAINS,
    "matches": _Filter.StringFilter.MatchType.FULL_REGEXP,
}
_MATCH_NAMES = {int(v): k for k, v in _MATCH.items()}
_OPERATION = {
    "equals": _Filter.NumericFilter.Operation.EQUAL,
    "less_than": _Filter.NumericFilter.Operation.LESS_THAN,
    "greater_than": _Filter.NumericFilter.Operation.GREATER_THAN,
}
_OPERATION_NAMES = {int(v): k for k, v in _OPERATION.items()}
_LOG = {
    "joined": alpha.AudienceEventTrigger.LogCondition.AUDIENCE_JOINED,
    "renewed": alpha.AudienceEventTrigger.LogCondition.AUDIENCE_MEMBERSHIP_RENEWED,
}
_LOG_NAMES = {int(v): k for k, v in _LOG.items()}
_MODE = {
    "temporary": alpha.Audience.AudienceExclusionDurationMode.EXCLUDE_TEMPORARILY,
    "permanent": alpha.Audience.AudienceExclusionDurationMode.EXCLUDE_PERMANENTLY,
}
_MODE_NAMES = {int(v): k for k, v in _MODE.items()}

#: Model field -> update mask path (the only fields GA4 lets change).
UPDATE_PATHS: dict[str, str] = {"display_name": "display_name", "description": "description", "trigger": "event_trigger"}


class AudienceShapeError(ValueError):
    """An audience message in a shape GA4 does not document (so the model cannot hold it)."""


# To proto ---------------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return _Filter.NumericValue(int64_value=value)
    return _Filter.NumericValue(double_value=float(value))


def field_filter_to_proto(f: FieldFilter) -> Any:
    kwargs: dict[str, Any] = {"field_name": f.field, "at_any_point_in_time": f.at_any_point}
    if f.in_last_days is not None:
        kwargs["in_any_n_day_period"] = f.in_last_days
    if f.op == "in":
        assert isinstance(f.value, tuple)
        kwargs["in_list_filter"] = _Filter.InListFilter(values=list(f.value), case_sensitive=f.case_sensitive)
    elif f.op == "between":
        assert isinstance(f.value, tuple)
        kwargs["between_filter"] = _Filter.BetweenFilter(from_value=_number(f.value[0]), to_value=_number(f.value[1]))
    elif f.numeric:
        kwargs["numeric_filter"] = _Filter.NumericFilter(operation=_OPERATION[f.op], value=_number(f.value))
    else:
        kwargs["string_filter"] = _Filter.StringFilter(
            match_type=_MATCH[f.op], value=str(f.value), case_sensitive=f.case_sensitive
        )
    expression = alpha.AudienceFilterExpression(dimension_or_metric_filter=_Filter(**kwargs))
    return alpha.AudienceFilterExpression(not_expression=expression) if f.negated else expression


def _leaf_to_proto(leaf: Leaf) -> Any:
    if isinstance(leaf, FieldFilter):
        return field_filter_to_proto(leaf)
    event = alpha.AudienceEventFilter(event_name=leaf.event)
    if leaf.filters:
        event.event_parameter_filter_expression = alpha.AudienceFilterExpression(
            and_group=alpha.AudienceFilterExpressionList(filter_expressions=[field_filter_to_proto(f) for f in leaf.filters])
        )
    return alpha.AudienceFilterExpression(event_filter=event)


def condition_to_proto(condition: AudienceCondition) -> Any:
    groups = [
        alpha.AudienceFilterExpression(
            or_group=alpha.AudienceFilterExpressionList(filter_expressions=[_leaf_to_proto(x) for x in group])
        )
        for group in condition.groups
    ]
    return alpha.AudienceFilterExpression(and_group=alpha.AudienceFilterExpressionList(filter_expressions=groups))


def _duration(seconds: int | None) -> Any:
    return None if seconds is None else duration_pb2.Duration(seconds=seconds)


def clause_to_proto(clause: AudienceClause) -> Any:
    kind = alpha.AudienceFilterClause.AudienceClauseType.EXCLUDE if clause.exclude else (
        alpha.AudienceFilterClause.AudienceClauseType.INCLUDE
    )
    if clause.condition is not None:
        simple = alpha.AudienceSimpleFilter(scope=_SCOPES[clause.scope], filter_expression=condition_to_proto(clause.condition))
        return alpha.AudienceFilterClause(clause_type=kind, simple_filter=simple)
    steps = []
    for step in clause.steps:
        msg = alpha.AudienceSequenceFilter.AudienceSequenceStep(
            scope=_SCOPES[step.scope],
            immediately_follows=step.directly,
            filter_expression=condition_to_proto(step.condition),
        )
        if step.within_seconds is not None:
            msg.constraint_duration = _duration(step.within_seconds)
        steps.append(msg)
    sequence = alpha.AudienceSequenceFilter(scope=_SCOPES[clause.scope], sequence_steps=steps)
    if clause.within_seconds is not None:
        sequence.sequence_maximum_duration = _duration(clause.within_seconds)
    return alpha.AudienceFilterClause(clause_type=kind, sequence_filter=sequence)


def audience_to_proto(audience: Audience, module: Any = alpha, *, name: str | None = None) -> Any:
    msg = alpha.Audience(
        name=name or audience.resource_name or "",
        display_name=audience.display_name,
        description=audience.description,
        membership_duration_days=audience.membership_days,
        filter_clauses=[clause_to_proto(c) for c in audience.clauses],
    )
    if audience.has_exclusions:
        msg.exclusion_duration_mode = _MODE[audience.exclusion]  # type: ignore[assignment]
    if audience.trigger is not None:
        msg.event_trigger = alpha.AudienceEventTrigger(event_name=audience.trigger.event, log_condition=_LOG[audience.trigger.log])
    return msg


# From proto -------------------------------------------------------------------------------------


def _has(msg: Any, field: str) -> bool:
    return field in msg


def _value(value: Any) -> int | float:
    return float(value.double_value) if _has(value, "double_value") else int(value.int64_value)


def _seconds(value: Any, present: bool) -> int | None:
    """A Duration field (proto-plus gives a ``timedelta``) in whole seconds; None when unset."""
    if not present:
        return None
    if hasattr(value, "total_seconds"):
        return int(value.total_seconds())
    return int(value.seconds)


def _scope(value: Any, where: str) -> Any:
    try:
        return _SCOPE_NAMES[int(value)]
    except KeyError:
        raise AudienceShapeError(f"{where}: unknown or unset scope {value!r}") from None


def field_filter_from_proto(expression: Any, where: str) -> FieldFilter:
    negated = False
    if _has(expression, "not_expression"):
        negated, expression = True, expression.not_expression
    if not _has(expression, "dimension_or_metric_filter"):
        raise AudienceShapeError(f"{where}: expected a dimension or metric filter (NOT may only hold one)")
    f = expression.dimension_or_metric_filter
    common: dict[str, Any] = {
        "field": f.field_name,
        "negated": negated,
        "in_last_days": int(f.in_any_n_day_period) or None,
        "at_any_point": bool(f.at_any_point_in_time),
    }
    if _has(f, "string_filter"):
        op = _MATCH_NAMES.get(int(f.string_filter.match_type))
        if op is None:
            raise AudienceShapeError(f"{where}: string filter without a match type")
        return FieldFilter(op=op, value=f.string_filter.value, case_sensitive=bool(f.string_filter.case_sensitive), **common)
    if _has(f, "in_list_filter"):
        return FieldFilter(op="in", value=tuple(f.in_list_filter.values),
                           case_sensitive=bool(f.in_list_filter.case_sensitive), **common)
    if _has(f, "numeric_filter"):
        op = _OPERATION_NAMES.get(int(f.numeric_filter.operation))
        if op is None:
            raise AudienceShapeError(f"{where}: numeric filter without an operation")
        return FieldFilter(op=op, value=_value(f.numeric_filter.value), **common)
    if _has(f, "between_filter"):
        return FieldFilter(op="between", value=(_value(f.between_filter.from_value), _value(f.between_filter.to_value)),
                           **common)
    raise AudienceShapeError(f"{where}: filter on {f.field_name!r} has no string, in-list, numeric or between filter")


def _leaf_from_proto(expression: Any, where: str) -> Leaf:
    if _has(expression, "event_filter"):
        event = expression.event_filter
        filters: tuple[FieldFilter, ...] = ()
        if _has(event, "event_parameter_filter_expression"):
            inner = event.event_parameter_filter_expression
            if not _has(inner, "and_group"):
                raise AudienceShapeError(f"{where}: an event's parameter filter must be one and_group")
            filters = tuple(
                field_filter_from_proto(x, f"{where} parameter filter {i + 1}")
                for i, x in enumerate(inner.and_group.filter_expressions)
            )
        return EventFilter(event.event_name, filters)
    return field_filter_from_proto(expression, where)


def condition_from_proto(expression: Any, where: str) -> AudienceCondition:
    if not _has(expression, "and_group"):
        raise AudienceShapeError(f"{where}: the top-level filter expression must be an and_group")
    groups = []
    for i, group in enumerate(expression.and_group.filter_expressions):
        if not _has(group, "or_group"):
            raise AudienceShapeError(f"{where}: and_group may only hold or_group expressions")
        groups.append(
            tuple(_leaf_from_proto(x, f"{where} group {i + 1}") for x in group.or_group.filter_expressions)
        )
    return AudienceCondition(tuple(groups))


def audience_from_proto(msg: Any) -> Audience:
    """A v1alpha ``Audience`` message -> model (raises :class:`AudienceShapeError`)."""
    where = msg.name or msg.display_name
    clauses = []
    for i, clause in enumerate(msg.filter_clauses):
        at = f"audience {where} clause {i + 1}"
        kind = int(clause.clause_type)
        if kind not in (1, 2):
            raise AudienceShapeError(f"{at}: clause_type is unset")
        exclude = kind == 2
        if _has(clause, "simple_filter"):
            simple = clause.simple_filter
            clauses.append(AudienceClause(exclude=exclude, scope=_scope(simple.scope, at),
                                          condition=condition_from_proto(simple.filter_expression, at)))
        elif _has(clause, "sequence_filter"):
            seq = clause.sequence_filter
            steps = tuple(
                SequenceStep(
                    condition=condition_from_proto(step.filter_expression, f"{at} step {j + 1}"),
                    scope=_scope(step.scope, f"{at} step {j + 1}"),
                    within_seconds=_seconds(step.constraint_duration, _has(step, "constraint_duration")),
                    directly=bool(step.immediately_follows),
                )
                for j, step in enumerate(seq.sequence_steps)
            )
            clauses.append(AudienceClause(
                exclude=exclude, scope=_scope(seq.scope, at), steps=steps,
                within_seconds=_seconds(seq.sequence_maximum_duration, _has(seq, "sequence_maximum_duration")),
            ))
        else:
            raise AudienceShapeError(f"{at}: neither a simple nor a sequence filter")
    trigger = None
    if _has(msg, "event_trigger"):
        trigger = AudienceTrigger(msg.event_trigger.event_name, _LOG_NAMES.get(int(msg.event_trigger.log_condition), "joined"))  # type: ignore[arg-type]
    return Audience(
        display_name=msg.display_name,
        description=msg.description,
        membership_days=int(msg.membership_duration_days),
        clauses=tuple(clauses),
        trigger=trigger,
        exclusion=_MODE_NAMES.get(int(msg.exclusion_duration_mode), "temporary"),  # type: ignore[arg-type]
        resource_name=msg.name or None,
        ads_personalization_enabled=bool(msg.ads_personalization_enabled),
    )
