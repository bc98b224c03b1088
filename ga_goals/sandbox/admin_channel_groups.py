"""The sandbox's rules for channel groups (Admin API v1alpha ``ChannelGroup``).

What GA4 documents (docs/ga4-api-facts.md, "Channel groups"), on the plain dicts of
:class:`~ga_goals.sandbox.admin.AdminBackend`:

* every property has GA4's system-defined "Default Channel Group" (``system_defined``, primary
  until another group is made primary): its display name and rules cannot be updated and it
  cannot be deleted;
* ``display_name`` required, at most 80 characters (the sandbox also keeps names unique, so a
  retried create is recognised); ``description`` at most 256; ``grouping_rule`` required, at
  most 50 rules, each with a display name and an expression of GA4's one shape: an
  ``and_group`` of ``or_group`` lists of filters or of ``not_expression`` entries wrapping one filter;
* a filter names a field GA4 supports and either a string filter (match type and value
  required; regular expressions must be RE2) or a non-empty in-list filter;
* ``primary``: setting it on a group unsets it on the previous primary group;
* at most 2 custom groups on a standard property, 5 on 360 (the default group not counted).
"""

from __future__ import annotations

from typing import Any

from ga_goals.model.channel_groups import (
    CHANNEL_FIELDS,
    CHANNEL_GROUP_DESCRIPTION_MAX,
    CHANNEL_GROUP_DISPLAY_NAME_MAX,
    CHANNELS_MAX,
)
from ga_goals.regex import re2_problem

MATCH_TYPES = ("EXACT", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "FULL_REGEXP", "PARTIAL_REGEXP")
FIELD_NAMES = tuple(CHANNEL_FIELDS.values())
#: The id of the system-defined group in every sandbox property (GA4's is a large number too).
DEFAULT_GROUP_ID = "4000000001"
DEFAULT_GROUP_NAME = "Default Channel Group"


def _filter(field: str, match: str, value: str) -> dict[str, Any]:
    return {"filter": {"field_name": field, "string_filter": {"match_type": match, "value": value}}}


def _rule(name: str, *conditions: dict[str, Any]) -> dict[str, Any]:
    return {
        "display_name": name,
        "expression": {"and_group": {"filter_expressions": [{"or_group": {"filter_expressions": [c]}} for c in conditions]}},
    }


def default_group(pid: str) -> dict[str, Any]:
    """GA4's system-defined group (a few of its channels, in its order)."""
    source, medium = "eachScopeSource", "eachScopeMedium"
    return {
        "name": f"properties/{pid}/channelGroups/{DEFAULT_GROUP_ID}",
        "display_name": DEFAULT_GROUP_NAME,
        "description": "Default channel group predefined by Google Analytics",
        "grouping_rule": [
            _rule("Direct", _filter(source, "EXACT", "(direct)"), _filter(medium, "FULL_REGEXP", r"\(not set\)|\(none\)")),
            _rule("Paid Search", _filter(medium, "FULL_REGEXP", "^(.*cp.*|ppc|retargeting|paid.*)$")),
            _rule("Organic Search", _filter(medium, "EXACT", "organic")),
            _rule("Email", _filter(medium, "FULL_REGEXP", "email|e-mail|e_mail|e mail")),
            _rule("Referral", _filter(medium, "FULL_REGEXP", "referral|app|link")),
        ],
        "system_defined": True,
        "primary": True,
    }


def ensure_default(state: dict[str, Any], pid: str) -> None:
    """Give a property saved before channel groups existed its system-defined group."""
    if "channel_groups" not in state:
        state["channel_groups"] = [default_group(pid)]


def _expression_problem(e: dict[str, Any], where: str, level: str) -> str | None:
    """Why expression ``e`` at nesting ``level`` (top, and, or, not) is not GA4's shape, or None."""
    kinds = [k for k in ("and_group", "or_group", "not_expression", "filter") if e.get(k) is not None]
    if len(kinds) != 1:
        return f"{where} must set exactly one of and_group, or_group, not_expression, filter"
    kind = kinds[0]
    allowed = {"top": ("and_group",), "and": ("or_group",), "or": ("filter", "not_expression"), "not": ("filter",)}[level]
    if kind not in allowed:
        what = {
            "top": "the top-level expression must be an and_group",
            "and": "an and_group may only contain or_group expressions",
            "or": "an or_group may only contain filter or not_expression expressions",
            "not": "a not_expression may only contain a filter",
        }[level]
        return f"{where}: {what} (got {kind})"
    if kind in ("and_group", "or_group"):
        items = (e[kind] or {}).get("filter_expressions") or []
        if not items:
            return f"{where}.{kind}.filter_expressions must not be empty"
        for i, item in enumerate(items):
            if problem := _expression_problem(item, f"{where}.{kind}.filter_expressions[{i}]", level="and" if kind == "and_group" else "or"):
                return problem
        return None
    if kind == "not_expression":
        return _expression_problem(e[kind], f"{where}.not_expression", "not")
    return _filter_problem(e["filter"], f"{where}.filter")


def _filter_problem(f: dict[str, Any], where: str) -> str | None:
    field = f.get("field_name") or ""
    if not field:
        return f"{where}.field_name is required"
    if field not in FIELD_NAMES:
        return f"{where}.field_name {field!r} is not a channel group field; use one of: {', '.join(FIELD_NAMES)}"
    string: dict[str, Any] | None = f.get("string_filter")
    in_list: dict[str, Any] | None = f.get("in_list_filter")
    if in_list is not None and string is None:
        values = in_list.get("values") or []
        if not values or any(not v for v in values):
            return f"{where}.in_list_filter.values must be non-empty (and hold no empty value)"
        return None
    if string is None or in_list is not None:
        return f"{where} must set exactly one of string_filter, in_list_filter"
    match = string.get("match_type")
    if match not in MATCH_TYPES:
        return f"{where}.string_filter.match_type is required; use one of: {', '.join(MATCH_TYPES)}"
    value = string.get("value") or ""
    if not value:
        return f"{where}.string_filter.value is required"
    if match in ("FULL_REGEXP", "PARTIAL_REGEXP") and (problem := re2_problem(value)):
        return f"{where}.string_filter.value {value!r} is not a valid regular expression: {problem}"
    return None


def validate(r: dict[str, Any], p: str) -> str | None:
    """The first problem of channel group ``r`` (fields prefixed with ``p``), or None."""
    name = r["display_name"]
    if not name:
        return f"{p}.display_name is required"
    if len(name) > CHANNEL_GROUP_DISPLAY_NAME_MAX:
        return f"{p}.display_name is {len(name)} characters long; the maximum is {CHANNEL_GROUP_DISPLAY_NAME_MAX}"
    if len(r["description"]) > CHANNEL_GROUP_DESCRIPTION_MAX:
        return f"{p}.description is {len(r['description'])} characters long; the maximum is {CHANNEL_GROUP_DESCRIPTION_MAX}"
    rules = r["grouping_rule"]
    if not rules:
        return f"{p}.grouping_rule is required: between 1 and {CHANNELS_MAX} channels"
    if len(rules) > CHANNELS_MAX:
        return f"{p}.grouping_rule has {len(rules)} rules; the maximum is {CHANNELS_MAX}"
    for i, rule in enumerate(rules):
        where = f"{p}.grouping_rule[{i}]"
        if not rule.get("display_name"):
            return f"{where}.display_name is required (the channel's name)"
        expression = rule.get("expression")
        if not expression:
            return f"{where}.expression is required"
        if problem := _expression_problem(expression, f"{where}.expression", "top"):
            return problem
    return None


def conflict(r: dict[str, Any], state: dict[str, Any], name: str = "") -> str | None:
    """An ALREADY_EXISTS message when another group (not ``name``) has the display name."""
    for other in state["channel_groups"]:
        if other["display_name"] == r["display_name"] and other["name"] != name:
            return f"A channel group named {r['display_name']!r} already exists: {other['name']}"
    return None


def system_change(existing: dict[str, Any], updated: dict[str, Any]) -> str | None:
    """Why an update of the system-defined group is refused, or None."""
    if not existing.get("system_defined"):
        return None
    for f in ("display_name", "grouping_rule"):
        if updated[f] != existing[f]:
            return f"{existing['name']} is the system-defined Default Channel Group: its {f} cannot be updated"
    return None


def settle_primary(state: dict[str, Any], changed: dict[str, Any]) -> None:
    """GA4's rule: a group made primary unsets the previous one; with none left, the default is."""
    groups = state["channel_groups"]
    if changed.get("primary"):
        for other in groups:
            if other is not changed:
                other["primary"] = False
    if not any(g.get("primary") for g in groups):
        for g in groups:
            if g.get("system_defined"):
                g["primary"] = True


__all__ = [
    "DEFAULT_GROUP_ID",
    "DEFAULT_GROUP_NAME",
    "FIELD_NAMES",
    "MATCH_TYPES",
    "conflict",
    "default_group",
    "ensure_default",
    "settle_primary",
    "system_change",
    "validate",
]
