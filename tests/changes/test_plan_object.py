"""Plan: summary, JSON, checksum and safety checks."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ga_goals.changes import Change, FieldChange, Note, Plan, render_json
from ga_goals.errors import GaGoalsError, UnsafePlan

from .builders import PROPERTY, make_plan


def test_summary_counts_every_action_in_order(plan: Plan) -> None:
    assert plan.summary() == {"create": 1, "update": 1, "replace": 1, "archive": 1, "delete": 1}
    assert list(Plan(PROPERTY).summary().items()) == [
        ("create", 0), ("update", 0), ("replace", 0), ("archive", 0), ("delete", 0)
    ]


def test_destructive_and_has_changes(plan: Plan) -> None:
    assert [c.action for c in plan.destructive] == ["archive", "delete", "replace"]
    assert plan.has_changes
    assert not Plan(PROPERTY).has_changes


def test_to_json_shape(plan: Plan) -> None:
    data = plan.to_json()
    assert list(data) == ["property", "environment", "source", "changes", "notes", "summary", "max_destroy", "checksum"]
    assert data["property"] == PROPERTY
    assert data["environment"] == "production"
    assert data["changes"][0] == {
        "action": "archive",
        "kind": "custom_dimension",
        "label": "event:old_dim",
        "fields": [
            {"field": "parameter_name", "old": "old_dim", "new": None},
            {"field": "scope", "old": "event", "new": None},
            {"field": "display_name", "old": "Old dim", "new": None},
            {"field": "description", "old": "", "new": None},
            {"field": "disallow_ads_personalization", "old": False, "new": None},
        ],
        "resource_name": f"{PROPERTY}/customDimensions/24",
        "reason": "not in the plan (safety.unmanaged: remove)",
    }
    assert data["notes"][1] == {"level": "warning", "message": "key event first_open is not deletable; left alone"}
    assert data["checksum"] == plan.checksum


def test_render_json_round_trips_through_json(plan: Plan) -> None:
    text = render_json([plan, Plan("properties/2000", source="b.yaml")])
    assert text == render_json([plan, Plan("properties/2000", source="b.yaml")])  # stable
    assert text.startswith('{\n  "plans": [\n    {\n      "property": "properties/1000"')
    assert json.loads(text) == {"plans": [plan.to_json(), Plan("properties/2000", source="b.yaml").to_json()]}


def test_checksum_is_stable(plan: Plan) -> None:
    assert plan.checksum == make_plan().checksum
    assert len(plan.checksum) == 64 and int(plan.checksum, 16) >= 0


def test_checksum_ignores_notes_environment_and_source(plan: Plan) -> None:
    other = make_plan(notes=[Note("info", "something else")], environment="staging", source="other.yaml")
    assert other.checksum == plan.checksum


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda c: dataclasses.replace(c, label="other"), id="label"),
        pytest.param(lambda c: dataclasses.replace(c, reason="why not"), id="reason"),
        pytest.param(lambda c: dataclasses.replace(c, fields=c.fields[:-1]), id="fewer-fields"),
        pytest.param(
            lambda c: dataclasses.replace(c, fields=c.fields[:-1] + (FieldChange(c.fields[-1].field, c.fields[-1].old, "x"),)),
            id="field-value",
        ),
        pytest.param(lambda c: dataclasses.replace(c, action="archive" if c.action == "delete" else "delete"), id="action"),
        pytest.param(
            lambda c: dataclasses.replace(c, existing=dataclasses.replace(c.existing, resource_name="properties/1000/x/9"))
            if c.existing else dataclasses.replace(c, label=c.label + "!"),
            id="resource-name",
        ),
    ],
)
@pytest.mark.parametrize("index", range(5))
def test_checksum_changes_with_any_change(plan: Plan, mutate, index: int) -> None:  # type: ignore[no-untyped-def]
    changed = make_plan()
    changed.changes[index] = mutate(changed.changes[index])
    assert changed.checksum != plan.checksum


def test_checksum_depends_on_property_and_order(plan: Plan) -> None:
    assert make_plan(property="properties/2000").checksum != plan.checksum
    assert make_plan(changes=list(reversed(plan.changes))).checksum != plan.checksum
    assert make_plan(changes=plan.changes[:-1]).checksum != plan.checksum


def test_check_safety_without_destructive_changes_passes() -> None:
    plan = make_plan()
    plan.changes = [c for c in plan.changes if not c.destructive]
    plan.check_safety(allow_destroy=False)
    plan.check_safety(allow_destroy=False, max_destroy=0)


def test_check_safety_refuses_destruction_without_the_flag(plan: Plan) -> None:
    with pytest.raises(UnsafePlan) as err:
        plan.check_safety(allow_destroy=False)
    message = str(err.value)
    assert "3 destructive changes" in message
    assert "--allow-destroy" in message
    for line in ("  x archive custom_dimension event:old_dim", "  - delete key_event old_goal",
                 "-/+ replace custom_dimension user:form_id"):
        assert line in message
    assert "update key_event purchase" not in message
    assert isinstance(err.value, GaGoalsError)


def test_check_safety_allows_up_to_max_destroy(plan: Plan) -> None:
    plan.check_safety(allow_destroy=True)  # 3 <= 5
    plan.check_safety(allow_destroy=True, max_destroy=3)


def test_check_safety_caps_at_the_plans_max_destroy() -> None:
    plan = make_plan(max_destroy=2)
    with pytest.raises(UnsafePlan) as err:
        plan.check_safety(allow_destroy=True)
    message = str(err.value)
    assert "3 destructive changes, more than safety.max_destroy 2:" in message
    assert "raise it in the plan (safety.max_destroy: 3) or pass --max-destroy 3" in message


def test_check_safety_caps_at_the_flag(plan: Plan) -> None:
    with pytest.raises(UnsafePlan, match=r"3 destructive changes, more than --max-destroy 1:(.|\n)*pass --max-destroy 3"):
        plan.check_safety(allow_destroy=True, max_destroy=1)
    with pytest.raises(UnsafePlan, match="more than --max-destroy 0"):
        plan.check_safety(allow_destroy=True, max_destroy=0)


def test_check_safety_singular_wording() -> None:
    plan = make_plan()
    plan.changes = plan.changes[:1]
    with pytest.raises(UnsafePlan, match=r"the plan has 1 destructive change, which"):
        plan.check_safety(allow_destroy=False)


def test_change_resource_and_stream_in_json() -> None:
    from ga_goals.model import Condition, EventCreateRule

    rule = EventCreateRule("lead", (Condition("event_name", "equals", "form_submit"),),
                           stream="properties/1000/dataStreams/2001")
    change = Change("create", "event_create_rule", "lead", desired=rule)
    assert change.resource is rule
    assert change.to_json()["stream"] == "properties/1000/dataStreams/2001"
    assert "resource_name" not in change.to_json()
