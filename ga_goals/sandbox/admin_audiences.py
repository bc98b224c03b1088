"""The sandbox's rules for v1alpha ``Audience`` bodies (dicts shaped like proto-plus ``to_dict``).

What GA4 documents in the proto (``admin_v1alpha/types/audience.py``; docs/ga4-api-facts.md,
"Audiences") and the help center: display name, description, membership duration (1 to 540
days) and filter clauses are required; a filter expression is an ``and_group`` of ``or_group`` s
of leaves, ``not_expression`` holds only a dimension or metric filter, an event's parameter
expression is one ``and_group`` without event filters; ``in_any_n_day_period`` (at most 60) and
``at_any_point_in_time`` need the ACROSS_ALL_SESSIONS scope; an event trigger needs a valid event
name and a log condition; 100 audiences (400 on 360) and 20 audience triggers per property.
Every violation is INVALID_ARGUMENT naming the field path, like GA4's answers.
"""

from __future__ import annotations

from typing import Any

from ga_goals.model.audiences import MEMBERSHIP_DAYS_MAX, MEMBERSHIP_DAYS_MIN, N_DAY_PERIOD_MAX, TRIGGERS_MAX
from ga_goals.regex import re2_problem
from ga_goals.sandbox import rules

SCOPES = (
    "AUDIENCE_FILTER_SCOPE_WITHIN_SAME_EVENT",
    "AUDIENCE_FILTER_SCOPE_WITHIN_SAME_SESSION",
    "AUDIENCE_FILTER_SCOPE_ACROSS_ALL_SESSIONS",
)
ACROSS_ALL_SESSIONS = SCOPES[2]
CLAUSE_TYPES = ("INCLUDE", "EXCLUDE")
LOG_CONDITIONS = ("AUDIENCE_JOINED", "AUDIENCE_MEMBERSHIP_RENEWED")
EXCLUSION_MODES = ("EXCLUDE_TEMPORARILY", "EXCLUDE_PERMANENTLY")
MATCH_TYPES = ("EXACT", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "FULL_REGEXP")
OPERATIONS = ("EQUAL", "LESS_THAN", "GREATER_THAN")
_LEAVES = ("dimension_or_metric_filter", "event_filter", "not_expression")
_EXPRESSIONS = ("and_group", "or_group") + _LEAVES
_FILTERS = ("string_filter", "in_list_filter", "numeric_filter", "between_filter")


class AudienceInvalid(ValueError):
    """A malformed audience; the message names the field path (the backend answers INVALID_ARGUMENT)."""


def _enum(value: Any, allowed: tuple[str, ...], where: str, *, required: bool = True) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    if value in (None, "", 0) or (isinstance(value, str) and value.endswith("_UNSPECIFIED")):
        if not required:
            return ""
        raise AudienceInvalid(f"{where} is required; use one of: {', '.join(allowed)}")
    raise AudienceInvalid(f"{where} has an invalid value {value!r}; use one of: {', '.join(allowed)}")


def _one(message: dict[str, Any], fields: tuple[str, ...], where: str) -> str:
    present = [f for f in fields if message.get(f) is not None]
    if len(present) != 1:
        raise AudienceInvalid(f"{where} must set exactly one of {', '.join(fields)}" + (
            f" (it sets {', '.join(present)})" if present else ""))
    return present[0]


def validate_audience(r: dict[str, Any], p: str) -> None:
    """Raise :class:`AudienceInvalid` for the first rule ``r`` breaks (``p``: the field prefix)."""
    if not r.get("display_name"):
        raise AudienceInvalid(f"{p}.display_name is required")
    if not r.get("description"):
        raise AudienceInvalid(f"{p}.description is required")
    days = int(r.get("membership_duration_days") or 0)
    if not MEMBERSHIP_DAYS_MIN <= days <= MEMBERSHIP_DAYS_MAX:
        raise AudienceInvalid(
            f"{p}.membership_duration_days must be between {MEMBERSHIP_DAYS_MIN} and {MEMBERSHIP_DAYS_MAX} "
            f"(got {days}); it is required and cannot be set to more than {MEMBERSHIP_DAYS_MAX} days"
        )
    _enum(r.get("exclusion_duration_mode"), EXCLUSION_MODES, f"{p}.exclusion_duration_mode", required=False)
    trigger = r.get("event_trigger")
    if trigger is not None:
        name = trigger.get("event_name", "")
        if not name:
            raise AudienceInvalid(f"{p}.event_trigger.event_name is required")
        if problem := rules.event_name_problem(name):
            raise AudienceInvalid(f"{p}.event_trigger.event_name {name!r} {problem}")
        _enum(trigger.get("log_condition"), LOG_CONDITIONS, f"{p}.event_trigger.log_condition")
    clauses = r.get("filter_clauses") or []
    if not clauses:
        raise AudienceInvalid(f"{p}.filter_clauses is required: at least one filter clause")
    for i, clause in enumerate(clauses):
        w = f"{p}.filter_clauses[{i}]"
        _enum(clause.get("clause_type"), CLAUSE_TYPES, f"{w}.clause_type")
        kind = _one(clause, ("simple_filter", "sequence_filter"), w)
        body = clause[kind]
        scope = _enum(body.get("scope"), SCOPES, f"{w}.{kind}.scope")
        if kind == "simple_filter":
            _top_expression(body.get("filter_expression"), f"{w}.simple_filter.filter_expression", scope)
            continue
        _duration(body.get("sequence_maximum_duration"), f"{w}.sequence_filter.sequence_maximum_duration")
        steps = body.get("sequence_steps") or []
        if not steps:
            raise AudienceInvalid(f"{w}.sequence_filter.sequence_steps is required: at least one step")
        for j, step in enumerate(steps):
            s = f"{w}.sequence_filter.sequence_steps[{j}]"
            step_scope = _enum(step.get("scope"), SCOPES, f"{s}.scope")
            _duration(step.get("constraint_duration"), f"{s}.constraint_duration")
            _top_expression(step.get("filter_expression"), f"{s}.filter_expression", step_scope)


def _duration(value: Any, where: str) -> None:
    if value is None:
        return
    text = str(value)
    try:
        seconds = float(text[:-1]) if text.endswith("s") else float(text)
    except ValueError:
        raise AudienceInvalid(f"{where} {value!r} is not a duration") from None
    if seconds <= 0:
        raise AudienceInvalid(f"{where} must be positive (got {value!r})")


def _top_expression(expression: Any, where: str, scope: str) -> None:
    if not expression:
        raise AudienceInvalid(f"{where} is required")
    kind = _one(expression, _EXPRESSIONS, where)
    if kind != "and_group":
        raise AudienceInvalid(f"{where}: the top-level expression must be an and_group (it is a {kind})")
    groups = expression["and_group"].get("filter_expressions") or []
    if not groups:
        raise AudienceInvalid(f"{where}.and_group.filter_expressions is empty")
    for i, group in enumerate(groups):
        g = f"{where}.and_group.filter_expressions[{i}]"
        kind = _one(group, _EXPRESSIONS, g)
        if kind != "or_group":
            raise AudienceInvalid(f"{g}: an and_group can only contain or_group expressions (it has a {kind})")
        leaves = group["or_group"].get("filter_expressions") or []
        if not leaves:
            raise AudienceInvalid(f"{g}.or_group.filter_expressions is empty")
        for j, leaf in enumerate(leaves):
            _leaf(leaf, f"{g}.or_group.filter_expressions[{j}]", scope)


def _leaf(expression: dict[str, Any], where: str, scope: str) -> None:
    kind = _one(expression, _EXPRESSIONS, where)
    if kind in ("and_group", "or_group"):
        raise AudienceInvalid(f"{where}: an or_group cannot contain and_group or or_group expressions")
    if kind == "not_expression":
        _not(expression["not_expression"], f"{where}.not_expression", scope)
    elif kind == "dimension_or_metric_filter":
        _field_filter(expression[kind], f"{where}.dimension_or_metric_filter", scope)
    else:
        _event_filter(expression[kind], f"{where}.event_filter", scope)


def _not(inner: dict[str, Any], where: str, scope: str) -> None:
    kind = _one(inner, _EXPRESSIONS, where)
    if kind != "dimension_or_metric_filter":
        raise AudienceInvalid(f"{where}: a not_expression can only include a dimension_or_metric_filter (it has a {kind})")
    _field_filter(inner[kind], f"{where}.dimension_or_metric_filter", scope)


def _event_filter(event: dict[str, Any], where: str, scope: str) -> None:
    name = event.get("event_name", "")
    if not name:
        raise AudienceInvalid(f"{where}.event_name is required")
    if problem := rules.event_name_problem(name):
        raise AudienceInvalid(f"{where}.event_name {name!r} {problem}")
    parameters = event.get("event_parameter_filter_expression")
    if not parameters:
        return
    w = f"{where}.event_parameter_filter_expression"
    kind = _one(parameters, _EXPRESSIONS, w)
    if kind != "and_group":
        raise AudienceInvalid(f"{w} must be a single and_group of dimension_or_metric_filter or not_expression")
    for i, item in enumerate(parameters["and_group"].get("filter_expressions") or []):
        iw = f"{w}.and_group.filter_expressions[{i}]"
        kind = _one(item, _EXPRESSIONS, iw)
        if kind == "event_filter":
            raise AudienceInvalid(f"{iw}: nested event filters are not supported")
        if kind == "not_expression":
            _not(item[kind], f"{iw}.not_expression", scope)
        elif kind == "dimension_or_metric_filter":
            _field_filter(item[kind], f"{iw}.dimension_or_metric_filter", scope)
        else:
            raise AudienceInvalid(f"{iw}: ANDs of ORs are not supported in an event's parameter filter")


def _number(value: Any, where: str) -> None:
    if not value or not any(k in value for k in ("int64_value", "double_value")):
        raise AudienceInvalid(f"{where} is required: int64_value or double_value")


def _field_filter(f: dict[str, Any], where: str, scope: str) -> None:
    if not f.get("field_name"):
        raise AudienceInvalid(f"{where}.field_name is required")
    kind = _one(f, _FILTERS, where)
    body = f[kind]
    if kind == "string_filter":
        match = _enum(body.get("match_type"), MATCH_TYPES, f"{where}.string_filter.match_type")
        if not body.get("value"):
            raise AudienceInvalid(f"{where}.string_filter.value is required")
        if match == "FULL_REGEXP" and (problem := re2_problem(body["value"])):
            raise AudienceInvalid(f"{where}.string_filter.value {body['value']!r} is not a valid regular expression: "
                                  f"{problem}")
    elif kind == "in_list_filter":
        if not body.get("values"):
            raise AudienceInvalid(f"{where}.in_list_filter.values must be non-empty")
    elif kind == "numeric_filter":
        _enum(body.get("operation"), OPERATIONS, f"{where}.numeric_filter.operation")
        _number(body.get("value"), f"{where}.numeric_filter.value")
    else:
        _number(body.get("from_value"), f"{where}.between_filter.from_value")
        _number(body.get("to_value"), f"{where}.between_filter.to_value")
    days = int(f.get("in_any_n_day_period") or 0)
    if days:
        if days < 0 or days > N_DAY_PERIOD_MAX:
            raise AudienceInvalid(f"{where}.in_any_n_day_period cannot be greater than {N_DAY_PERIOD_MAX} days "
                                  f"(got {days})")
        if scope != ACROSS_ALL_SESSIONS:
            raise AudienceInvalid(f"{where}.in_any_n_day_period can only be set when the scope is {ACROSS_ALL_SESSIONS}")
    if f.get("at_any_point_in_time") and scope != ACROSS_ALL_SESSIONS:
        raise AudienceInvalid(f"{where}.at_any_point_in_time can only be set when the scope is {ACROSS_ALL_SESSIONS}")


def trigger_count(audiences: list[dict[str, Any]], *, besides: str = "") -> int:
    """Active audiences with an event trigger (``besides``: a resource name left out)."""
    return sum(1 for a in audiences if a.get("event_trigger") and a.get("name") != besides)


#: The audience trigger limit is the same on both tiers (answer/10447093 gives one number).
TRIGGER_LIMIT = TRIGGERS_MAX
#: The key of the per-tier audience limits in ``ga4_facts.LIMITS``.
LIMIT_KEY = "audiences"
