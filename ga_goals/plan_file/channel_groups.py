"""``channel_groups:`` in a plan file: its JSON Schema, its GA4 rules, its model objects.

::

    channel_groups:
      Shop channels:                    # the display name (at most 80 characters): the identity
        description: ...                # at most 256 characters
        primary: false                  # true: reports use this group by default
        channels:                       # in order: a session gets the first channel it matches
          - name: Newsletter
            when:                       # every item holds (AND); `any:` holds if one of its own does
              - {field: medium, equals: newsletter}
              - any:
                  - {field: source, contains: mailchimp}
                  - {field: campaign_name, starts_with: nl_, negate: true}

A condition tests one ``field`` (:data:`~ga_goals.model.channel_groups.CHANNEL_FIELDS`: the
plan's short names, or the Admin API's ``eachScope...`` names) with one comparison: ``equals``,
``starts_with``, ``ends_with``, ``contains``, ``matches`` (a full RE2 match),
``partially_matches`` (RE2 anywhere) or ``in`` (a list). GA4 compares case-insensitively.
``negate: true`` inverts one condition. That is GA4's whole expression language for channels:
an AND of OR groups of (possibly negated) conditions, so ``any`` groups do not nest and cannot
be negated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ga_goals.model import Channel, ChannelCondition, ChannelGroup
from ga_goals.model.channel_groups import (
    CHANNEL_FIELDS,
    CHANNEL_GROUP_DESCRIPTION_MAX,
    CHANNEL_GROUP_DISPLAY_NAME_MAX,
    CHANNEL_MATCHES,
    CHANNELS_MAX,
    REGEX_MATCHES,
)
from ga_goals.plan_file.document import Path
from ga_goals.plan_file.wording import one_of, quote
from ga_goals.regex import re2_problem
from ga_goals.suggestions import did_you_mean

if TYPE_CHECKING:
    from ga_goals.plan_file.rules import _Checker

KEY = "channel_groups"
#: Field names a condition may use: the short ones, and GA4's own.
_API_FIELDS = {api: api for api in CHANNEL_FIELDS.values()}
FIELDS: dict[str, str] = {**CHANNEL_FIELDS, **_API_FIELDS}
_SHORT = {api: short for short, api in CHANNEL_FIELDS.items()}
_COMPARISONS = tuple(CHANNEL_MATCHES)
_BY_MATCH = {match: op for op, match in CHANNEL_MATCHES.items()}


def schema_defs(rules_comment: str) -> dict[str, Any]:
    """The ``$defs`` entries of the plan schema for channel groups."""
    text = {"type": ["string", "number"]}
    condition_properties: dict[str, Any] = {
        "field": {
            "type": "string",
            "title": "Field",
            "description": "What the condition tests: " + ", ".join(CHANNEL_FIELDS) + " (or GA4's eachScope... name).",
            "examples": ["medium", "source", "campaign_name"],
        },
        "equals": {**text, "description": "The field equals this (any case)."},
        "starts_with": {**text, "description": "The field starts with this."},
        "ends_with": {**text, "description": "The field ends with this."},
        "contains": {**text, "description": "The field contains this."},
        "matches": {"type": "string", "description": "An RE2 regular expression the whole field matches."},
        "partially_matches": {"type": "string", "description": "An RE2 regular expression found anywhere in the field."},
        "in": {"type": "array", "minItems": 1, "uniqueItems": True, "items": text, "description": "One of these values."},
        "negate": {"type": "boolean", "default": False, "description": "The condition does not hold."},
    }
    condition = {
        "type": "object",
        "title": "Channel condition",
        "description": "{field: NAME, <comparison>: VALUE}; which keys go together is checked by "
        "ga_goals.plan_file.rules.",
        "properties": condition_properties,
        "additionalProperties": False,
        "examples": [{"field": "medium", "equals": "newsletter"}],
    }
    return {
        "channelCondition": condition,
        "channelConditionItem": {
            **condition,
            "description": "A condition, or {any: [conditions]}: at least one of them holds.",
            "properties": {
                **condition_properties,
                "any": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/$defs/channelCondition"},
                    "description": "At least one of these conditions holds (they cannot nest).",
                },
            },
        },
        "channel": {
            "type": "object",
            "title": "Channel",
            "properties": {
                "name": {"type": "string", "title": "Channel name", "examples": ["Newsletter"]},
                "when": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/$defs/channelConditionItem"},
                    "description": "Every condition holds (AND).",
                },
            },
            "required": ["name", "when"],
            "additionalProperties": False,
            "examples": [{"name": "Newsletter", "when": [{"field": "medium", "equals": "newsletter"}]}],
        },
        "channelGroup": {
            "type": "object",
            "title": "Channel group",
            "description": "A custom channel group; its key is its display name.",
            "properties": {
                "description": {
                    "type": "string",
                    "maxLength": CHANNEL_GROUP_DESCRIPTION_MAX,
                    "$comment": rules_comment,
                    "description": f"At most {CHANNEL_GROUP_DESCRIPTION_MAX} characters.",
                },
                "primary": {
                    "type": "boolean",
                    "default": False,
                    "description": "Reports use this group by default (GA4 unsets it on the previous primary group).",
                },
                "channels": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "maxItems": CHANNELS_MAX,
                    "$comment": rules_comment,
                    "items": {"$ref": "#/$defs/channel"},
                    "description": f"In order, at most {CHANNELS_MAX}: a session gets the first channel it matches.",
                },
            },
            "required": ["channels"],
            "additionalProperties": False,
            "examples": [
                {
                    "description": "E-mail and newsletter traffic",
                    "channels": [{"name": "Newsletter", "when": [{"field": "source", "equals": "newsletter"}]}],
                }
            ],
        },
    }


def schema_property(ref: Callable[..., Any], rules_comment: str) -> dict[str, Any]:
    """The top-level ``channel_groups`` entry of the plan schema."""
    return {
        "type": "object",
        "title": "Channel groups",
        "description": "Custom channel groups keyed by display name. GA4 allows 2 on a standard property, 5 on 360.",
        "examples": [{"Shop channels": {"channels": [{"name": "Newsletter", "when": [{"field": "medium", "equals": "newsletter"}]}]}}],
        "propertyNames": {"maxLength": CHANNEL_GROUP_DISPLAY_NAME_MAX, "$comment": rules_comment},
        "additionalProperties": ref("channelGroup"),
    }


# Rules ----------------------------------------------------------------------------------------


def check(checker: _Checker) -> None:
    """Every GA4 rule on the plan's channel groups (errors located at the plan's lines)."""
    groups = checker.data.get(KEY)
    if not isinstance(groups, dict):
        return
    paths: list[Path] = []
    primary: list[str] = []
    for name, spec in groups.items():
        path: Path = (KEY, name)
        paths.append(path)
        if not name.strip():
            checker.error(checker.key(path), "a channel group needs a display name (its key)")
        elif len(name) > CHANNEL_GROUP_DISPLAY_NAME_MAX:
            checker.error(
                checker.key(path),
                f"a channel group's name (its key) may have {CHANNEL_GROUP_DISPLAY_NAME_MAX} characters; this one has "
                f"{len(name)}: shorten it",
            )
        if not isinstance(spec, dict):
            continue
        text = spec.get("description")
        if isinstance(text, str) and len(text) > CHANNEL_GROUP_DESCRIPTION_MAX:
            checker.error(
                checker.at(path + ("description",)),
                f"the description is {len(text)} characters long; GA4 allows {CHANNEL_GROUP_DESCRIPTION_MAX}",
            )
        if spec.get("primary") is True:
            primary.append(name)
            if len(primary) == 2:
                line = checker.key((KEY, primary[0])).line
                checker.error(
                    checker.at(path + ("primary",)),
                    f"channel groups {quote(primary[0])} (line {line}) and {quote(name)} are both primary; GA4 has one "
                    "primary group (setting it unsets the other): keep primary: true on one",
                )
        channels = spec.get("channels")
        if isinstance(channels, list):
            _check_channels(checker, path + ("channels",), name, channels)
    checker.limit("custom channel groups", "channel_groups", paths, "merge groups or remove the ones you use least")


def _check_channels(checker: _Checker, path: Path, group: str, channels: list[Any]) -> None:
    checker.too_many(
        path, channels, CHANNELS_MAX, f"channel group {quote(group)} has {len(channels)} channels", "merge some channels"
    )
    seen: dict[str, int] = {}
    for i, channel in enumerate(channels):
        if not isinstance(channel, dict):
            continue
        name = channel.get("name")
        if isinstance(name, str):
            if not name.strip():
                checker.error(checker.at(path + (i, "name")), "a channel needs a name (reports show it)")
            elif name in seen:
                checker.warning(
                    checker.at(path + (i, "name")),
                    f"channel {quote(name)} appears twice in channel group {quote(group)} (also item {seen[name] + 1}); "
                    "reports cannot tell the two apart, and the second only gets what the first does not match",
                )
            else:
                seen[name] = i
        when = channel.get("when")
        if isinstance(when, list):
            for j, item in enumerate(when):
                if isinstance(item, dict):
                    _check_item(checker, path + (i, "when", j), item)


def _check_item(checker: _Checker, path: Path, item: dict[str, Any]) -> None:
    if "any" not in item:
        _check_condition(checker, path, item)
        return
    others = [k for k in item if k != "any"]
    if others:
        fix = (
            "GA4 cannot negate a group of alternatives: negate each condition instead (not any = all not)"
            if "negate" in others
            else "a condition goes inside the any list, or next to it as its own item"
        )
        checker.error(checker.key(path + (others[0],)), f"{quote(others[0])} cannot stand beside 'any': {fix}")
    alternatives = item.get("any")
    if isinstance(alternatives, list):
        for k, condition in enumerate(alternatives):
            if isinstance(condition, dict):
                _check_condition(checker, path + ("any", k), condition)


def _check_condition(checker: _Checker, path: Path, condition: dict[str, Any]) -> None:
    field = condition.get("field")
    if "field" not in condition:
        checker.error(checker.at(path), "a channel condition needs `field:` (" + ", ".join(CHANNEL_FIELDS) + ")")
    elif isinstance(field, str) and field not in FIELDS:
        close = did_you_mean(field, list(FIELDS), cutoff=0.6)
        hint = f"did you mean {quote(close)}? " if close else ""
        checker.error(
            checker.at(path + ("field",)),
            f"{quote(field)} is not a field channel groups can test; {hint}use one of {one_of(tuple(CHANNEL_FIELDS))}",
        )
    comparisons = [k for k in _COMPARISONS if k in condition]
    if len(comparisons) != 1:
        what = "no comparison" if not comparisons else "comparisons " + " and ".join(comparisons)
        checker.error(
            checker.at(path),
            f"a channel condition needs exactly one comparison ({one_of(_COMPARISONS)}); this one has {what}",
        )
        return
    op = comparisons[0]
    value = condition[op]
    where = checker.at(path + (op,))
    if op == "in":
        if isinstance(value, list) and any(str(v) == "" for v in value):
            checker.error(where, "an `in` list cannot hold an empty value")
        return
    if value == "" or value is None:
        checker.error(where, f"`{op}` needs a value: GA4 refuses an empty one")
    elif CHANNEL_MATCHES[op] in REGEX_MATCHES and isinstance(value, str) and (problem := re2_problem(value)):
        checker.error(where, f"{quote(value)} is not a regular expression GA4 accepts (RE2): {problem}")


# Model ----------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A YAML scalar as GA4 stores it (numbers as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _condition(spec: dict[str, Any]) -> ChannelCondition:
    op = next(k for k in _COMPARISONS if k in spec)
    field = FIELDS[spec["field"]]
    negated = bool(spec.get("negate", False))
    if op == "in":
        return ChannelCondition(field, "in_list", values=tuple(_text(v) for v in spec["in"]), negated=negated)
    return ChannelCondition(field, CHANNEL_MATCHES[op], value=_text(spec[op]), negated=negated)


def build(data: dict[str, Any]) -> dict[str, ChannelGroup]:
    """The plan's channel groups (``data`` has passed every check)."""
    out: dict[str, ChannelGroup] = {}
    for name, spec in (data.get(KEY) or {}).items():
        channels = tuple(
            Channel(
                name=channel["name"],
                conditions=tuple(
                    tuple(_condition(c) for c in item["any"]) if "any" in item else (_condition(item),)
                    for item in channel["when"]
                ),
            )
            for channel in spec["channels"]
        )
        out[name] = ChannelGroup(
            display_name=name,
            channels=channels,
            description=spec.get("description", ""),
            primary=bool(spec.get("primary", False)),
        )
    return out


def _condition_to_plan(c: ChannelCondition, flow: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    entry = flow(field=_SHORT.get(c.field, c.field))
    if c.match == "in_list":
        entry["in"] = list(c.values)
    else:
        entry[_BY_MATCH.get(c.match, c.match)] = c.value
    if c.negated:
        entry["negate"] = True
    return entry


def to_plan(group: ChannelGroup, flow: Callable[..., dict[str, Any]] = dict) -> dict[str, Any]:
    """One channel group as ``pull`` writes it; ``flow`` makes the one-line mappings."""
    entry: dict[str, Any] = {}
    if group.description:
        entry["description"] = group.description
    if group.primary:
        entry["primary"] = True
    entry["channels"] = [
        {
            "name": channel.name,
            "when": [
                _condition_to_plan(g[0], flow) if len(g) == 1 else {"any": [_condition_to_plan(c, flow) for c in g]}
                for g in channel.conditions
            ],
        }
        for channel in group.channels
    ]
    return entry


__all__ = ["FIELDS", "KEY", "build", "check", "schema_defs", "schema_property", "to_plan"]
