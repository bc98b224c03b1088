"""``PropertyState`` to and from plain JSON data, for fixtures, snapshots and debugging.

The format is one object per state, with a list per collection (keys are tuples, so lists
rather than objects)::

    {
      "property": "properties/1000",
      "service_level": "standard",
      "data_streams": [{"resource_name": "properties/1000/dataStreams/2001", "type": "web",
                        "display_name": "Shop web"}],
      "key_events": [{"event_name": "purchase", "counting_method": "once_per_event"}],
      "custom_dimensions": [{"parameter_name": "form_id", "scope": "event", "display_name": "Form ID"}],
      "custom_metrics": [],
      "event_create_rules": [{"destination_event": "newsletter_signup",
                              "conditions": [{"field": "event_name", "comparison": "equals",
                                              "value": "form_submit"}]}]
    }

Every attribute of the model classes may appear (output-only ones such as ``resource_name``,
``deletable`` and ``custom`` included); missing ones take the model default, unknown ones are
an error, so a typo in a fixture fails loudly. An event create rule without ``index`` gets the
next free index among the rules with its stream and destination event, in list order; an event
edit rule without ``processing_order`` gets its place in the list.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ga_goals.model.audiences import audience_from_json, audience_to_json
from ga_goals.model import (
    Audience,
    CalculatedMetric,
    ChannelGroup,
    Condition,
    CustomDimension,
    CustomMetric,
    DataStream,
    EnhancedMeasurement,
    EventCreateRule,
    EventEditRule,
    KeyEvent,
    Mutation,
    PropertyState,
    Resource,
)

#: Collection name -> resource class, in PropertyState.KINDS order.
RESOURCE_CLASSES: dict[str, type] = {
    "custom_dimensions": CustomDimension,
    "custom_metrics": CustomMetric,
    "key_events": KeyEvent,
    "event_create_rules": EventCreateRule,
    "event_edit_rules": EventEditRule,
    "calculated_metrics": CalculatedMetric,
    "channel_groups": ChannelGroup,
    "enhanced_measurement": EnhancedMeasurement,
    "audiences": Audience,
}

_STATE_SCALARS = ("property", "service_level", "display_name")


def state_to_json(state: PropertyState, *, full: bool = False) -> dict[str, Any]:
    """Plain JSON data for ``state``; attributes at their default are left out unless ``full``."""
    data: dict[str, Any] = {"property": state.property, "service_level": state.service_level}
    if state.display_name or full:
        data["display_name"] = state.display_name
    data["data_streams"] = [to_json(s, full=full) for s in state.data_streams]
    for collection in PropertyState.KINDS:
        resources = getattr(state, collection).values()
        data[collection] = [to_json(r, full=full) for r in resources]
    return data


def state_from_json(data: Mapping[str, Any]) -> PropertyState:
    """The ``PropertyState`` that :func:`state_to_json` wrote (or a hand-written fixture)."""
    _check_keys("property state", data, set(_STATE_SCALARS) | {"data_streams"} | set(RESOURCE_CLASSES))
    if "property" not in data:
        raise ValueError("property state: 'property' is required (properties/{id})")
    state = PropertyState(
        property=data["property"],
        service_level=data.get("service_level", "standard"),
        display_name=data.get("display_name", ""),
    )
    state.data_streams = [_build(DataStream, item) for item in data.get("data_streams", [])]
    for collection, cls in RESOURCE_CLASSES.items():
        items = data.get(collection, [])
        resources: list[Resource]
        if cls is EventCreateRule:
            resources = list(_number_rules(items))
        elif cls is EventEditRule:
            resources = list(_order_edit_rules(items))
        else:
            resources = [resource_from_json(cls, i) for i in items]
        for resource in resources:
            if resource.key in getattr(state, collection):
                raise ValueError(f"{collection}: {resource.label!r} appears twice")
            state.add(resource)
    return state


def to_json(obj: Any, *, full: bool = False) -> dict[str, Any]:
    """A model dataclass (resource, condition, stream...) as plain JSON data."""
    if isinstance(obj, Audience):
        return audience_to_json(obj, full=full)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not full and _is_default(f, value):
            continue
        out[f.name] = _plain(value, full)
    return out


def resource_from_json(cls: type, data: Mapping[str, Any]) -> Resource:
    """One resource of class ``cls`` from the data :func:`to_json` wrote."""
    if cls is Audience:
        try:
            return audience_from_json(dict(data))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"Audience: {exc}") from None
    return _build(cls, data)


def _plain(value: Any, full: bool) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value, full=full)
    if isinstance(value, (list, tuple)):
        return [_plain(v, full) for v in value]
    return value


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    _check_keys(cls.__name__, data, names)
    if cls is ChannelGroup:  # nested channels and conditions
        return ChannelGroup.from_json(dict(data))
    kwargs = dict(data)
    if cls in (EventCreateRule, EventEditRule):
        kwargs["conditions"] = tuple(_build(Condition, c) for c in kwargs.get("conditions", ()))
        kwargs["mutations"] = tuple(_build(Mutation, m) for m in kwargs.get("mutations", ()))
    if cls in (CustomMetric, CalculatedMetric) and "restricted_metric_type" in kwargs:
        kwargs["restricted_metric_type"] = tuple(kwargs["restricted_metric_type"])
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{cls.__name__}: {exc}") from None


def _number_rules(items: list[Mapping[str, Any]]) -> list[EventCreateRule]:
    rules = [_build(EventCreateRule, {k: v for k, v in item.items() if k != "index"}) for item in items]
    taken: dict[tuple[str | None, str], set[int]] = defaultdict(set)
    for item, rule in zip(items, rules):
        if "index" in item:
            taken[(rule.stream, rule.destination_event)].add(item["index"])
    out = []
    for item, rule in zip(items, rules):
        group = taken[(rule.stream, rule.destination_event)]
        if "index" in item:
            index = item["index"]
        else:
            index = next(i for i in range(len(items) + len(group) + 1) if i not in group)
            group.add(index)
        out.append(dataclasses.replace(rule, index=index))
    return out


def _order_edit_rules(items: list[Mapping[str, Any]]) -> list[EventEditRule]:
    """Event edit rules; one without ``processing_order`` takes its place in the list (1, 2, ...)."""
    rules = [_build(EventEditRule, item) for item in items]
    return [
        r if "processing_order" in item else dataclasses.replace(r, processing_order=n)
        for n, (item, r) in enumerate(zip(items, rules), start=1)
    ]


def _check_keys(what: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what}: expected an object, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"{what}: unknown keys {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
