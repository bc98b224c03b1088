"""PropertyState <-> JSON data."""

from __future__ import annotations

import json

import pytest

from ga_goals.changes import state_from_json, state_to_json
from ga_goals.model import (
    Condition,
    CustomDimension,
    CustomMetric,
    DataStream,
    EventCreateRule,
    KeyEvent,
    Mutation,
    PropertyState,
)

P = "properties/1000"


def _full_state() -> PropertyState:
    state = PropertyState(
        property=P,
        service_level="360",
        display_name="Shop",
        data_streams=[DataStream(f"{P}/dataStreams/2001", "web", "Shop web", "G-1", "https://shop.example")],
    )
    state.add(KeyEvent("purchase", "once_per_session", 9.5, "EUR", resource_name=f"{P}/keyEvents/1", custom=False, deletable=False))
    state.add(CustomDimension("tier", "user", "Tier", "Customer tier", True, resource_name=f"{P}/customDimensions/2"))
    state.add(CustomMetric("cart_value", "Cart value", "", "currency", ("revenue_data",), resource_name=f"{P}/customMetrics/3"))
    for index in range(2):
        state.add(
            EventCreateRule(
                "lead",
                (Condition("event_name", "equals", "form_submit"), Condition("form_id", "contains", "q", negated=True)),
                copy_parameters=True,
                mutations=(Mutation("method", "[[form_id]]"),),
                stream=f"{P}/dataStreams/2001",
                index=index,
                resource_name=f"{P}/dataStreams/2001/eventCreateRules/{index}",
            )
        )
    return state


@pytest.mark.parametrize("full", [False, True])
def test_round_trip(full: bool) -> None:
    state = _full_state()
    data = state_to_json(state, full=full)
    again = state_from_json(json.loads(json.dumps(data)))
    assert again == state
    # Output-only attributes are not part of equality: compare them explicitly.
    assert [r.resource_name for r in again.resources()] == [r.resource_name for r in state.resources()]
    assert again.key_events["purchase"].deletable is False and again.key_events["purchase"].custom is False
    assert state_to_json(again, full=full) == data


def test_defaults_are_left_out_unless_full() -> None:
    state = PropertyState(P)
    state.add(KeyEvent("sign_up"))
    assert state_to_json(state)["key_events"] == [{"event_name": "sign_up"}]
    assert state_to_json(state, full=True)["key_events"] == [
        {"event_name": "sign_up", "counting_method": "once_per_event", "default_value": None, "currency": None,
         "resource_name": None, "custom": True, "deletable": True}
    ]


def test_rule_indexes_are_numbered_per_stream_and_destination() -> None:
    cond = [{"field": "event_name", "comparison": "equals", "value": "x"}]
    state = state_from_json({
        "property": P,
        "event_create_rules": [
            {"destination_event": "a", "conditions": cond},
            {"destination_event": "b", "conditions": cond},
            {"destination_event": "a", "conditions": cond, "index": 0, "stream": "s2"},
            {"destination_event": "a", "conditions": cond},
        ],
    })
    assert set(state.event_create_rules) == {(None, "a", 0), (None, "a", 1), (None, "b", 0), ("s2", "a", 0)}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"property": P, "key_event": []}, "unknown keys key_event"),
        ({"key_events": []}, "'property' is required"),
        ({"property": P, "key_events": [{"event_name": "x", "counting": "once_per_event"}]}, "KeyEvent: unknown keys counting"),
        ({"property": P, "custom_dimensions": [{"parameter_name": "x", "scope": "event"}]}, "CustomDimension: "),
        ({"property": P, "key_events": [{"event_name": "x"}, {"event_name": "x"}]}, "'x' appears twice"),
        ({"property": P, "key_events": ["x"]}, "KeyEvent: expected an object"),
    ],
)
def test_bad_data_fails_loudly(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        state_from_json(data)
