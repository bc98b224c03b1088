"""compute_plan behaviour the JSON cases do not show: resolved desired rules, wiring, inputs untouched."""

from __future__ import annotations

import copy

import pytest

from ga_goals.changes import compute_plan
from ga_goals.errors import GaGoalsError, PlanningError
from ga_goals.model import (
    Condition,
    Conversion,
    CustomDimension,
    DataStream,
    EventCreateRule,
    KeyEvent,
    PropertyState,
    Safety,
    TrackingPlan,
)

P = "properties/1000"
WEB = DataStream(f"{P}/dataStreams/2001", "web", "Shop web")


def _actual(*resources: object, streams: tuple[DataStream, ...] = (WEB,)) -> PropertyState:
    state = PropertyState(P, data_streams=list(streams))
    for r in resources:
        state.add(r)  # type: ignore[arg-type]
    return state


def test_from_a_tracking_plan() -> None:
    rule = EventCreateRule("newsletter_signup", (Condition("event_name", "equals", "form_submit"),), stream="Shop web")
    plan = TrackingPlan(
        source="configs/shop.yaml",
        property="1000",
        conversions={
            "purchase": Conversion("purchase", "macro", default_value=0, currency="USD"),
            "newsletter_signup": Conversion("newsletter_signup", "micro", created_from=(rule,)),
        },
        custom_dimensions={"form_id": CustomDimension("form_id", "event", "Form ID")},
        safety=Safety(max_destroy=2),
    )
    result = compute_plan(plan.desired_state(P), _actual(KeyEvent("purchase", default_value=0.0, currency="USD")),
                          safety=plan.safety, environment="production", source=plan.source)
    assert [c.describe() for c in result.changes] == [
        "create custom_dimension event:form_id",
        "create key_event newsletter_signup",
        "create event_create_rule newsletter_signup",
    ]
    assert (result.property, result.environment, result.source, result.max_destroy) == (
        P, "production", "configs/shop.yaml", 2)


def test_desired_rules_carry_the_resolved_stream() -> None:
    """The GA4 layer creates rules under change.desired.stream: it must be a resource name."""
    desired = PropertyState(P)
    desired.add(EventCreateRule("lead", (Condition("form_id", "equals", "q"),), stream="2001"))
    desired.add(EventCreateRule("lead", (Condition("form_id", "equals", "c"),), stream="Shop web", index=1))
    result = compute_plan(desired, _actual())
    assert [c.desired.stream for c in result.changes] == [WEB.resource_name] * 2  # type: ignore[union-attr]
    assert [c.desired.index for c in result.changes] == [0, 1]  # type: ignore[union-attr]
    assert [c.label for c in result.changes] == ["lead", "lead#2"]


def test_inputs_are_not_modified() -> None:
    desired = PropertyState(P)
    desired.add(EventCreateRule("lead", (Condition("form_id", "equals", "q"),)))
    desired.add(KeyEvent("purchase"))
    actual = _actual(KeyEvent("old", resource_name=f"{P}/keyEvents/1"))
    before = (copy.deepcopy(desired), copy.deepcopy(actual))
    compute_plan(desired, actual, safety=Safety(unmanaged="remove"))
    assert (desired, actual) == before
    assert desired.event_create_rules[(None, "lead", 0)].stream is None


def test_changes_point_at_the_resources() -> None:
    old = CustomDimension("form_id", "event", "Form ID", resource_name=f"{P}/customDimensions/5")
    desired = PropertyState(P)
    desired.add(CustomDimension("form_id", "user", "Form ID"))
    (change,) = compute_plan(desired, _actual(old)).changes
    assert change.action == "replace"
    assert change.existing is old
    assert change.desired == desired.custom_dimensions[("user", "form_id")]
    assert change.destructive


def test_protect_matches_the_label_too() -> None:
    desired = PropertyState(P)
    desired.add(CustomDimension("form_id", "event", "Renamed"))
    actual = _actual(CustomDimension("form_id", "event", "Form ID"))
    result = compute_plan(desired, actual, safety=Safety(protect=("custom_dimension:event:form_id",)))
    assert result.changes == []
    assert result.notes[0].level == "warning"
    assert "protected by safety.protect (custom_dimension:event:form_id)" in result.notes[0].message


@pytest.mark.parametrize("entry", ["keyevent:purchase", "key_event:", ":purchase"])
def test_protect_rejects_unknown_kinds(entry: str) -> None:
    with pytest.raises(PlanningError, match="kinds are custom_dimension, custom_metric, key_event, event_create_rule"):
        compute_plan(PropertyState(P), _actual(), safety=Safety(protect=(entry,)))


def test_planning_errors_are_user_errors() -> None:
    desired = PropertyState(P)
    desired.add(EventCreateRule("lead", (Condition("form_id", "equals", "q"),), stream="Nope"))
    with pytest.raises(GaGoalsError, match='stream "Nope" is not a web data stream'):
        compute_plan(desired, _actual())
