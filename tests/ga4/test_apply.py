"""apply(): every action for every kind through the real clients, then read back."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from ga_goals.changes import compute_plan
from ga_goals.changes.plan import Change, FieldChange, Plan
from ga_goals.errors import ApiError, PropertyMismatch
from ga_goals.ga4.admin import AdminGateway, ApplyReport, ChangeResult
from ga_goals.model import (
    Condition,
    CustomDimension,
    CustomMetric,
    EventCreateRule,
    KeyEvent,
    Mutation,
    PropertyState,
    Safety,
)
from ga_goals.sandbox.server import SandboxServer

from .conftest import PROPERTY, make_target, server_calls

STREAM = "properties/123/dataStreams/1"
REMOVE = Safety(unmanaged="remove", max_destroy=100)


def desired(*resources: Any) -> PropertyState:
    state = PropertyState(property=PROPERTY)
    state.add(KeyEvent("purchase"))  # the GA default key event, not deletable
    for r in resources:
        state.add(r)
    return state


def shop(**overrides: Any) -> list[Any]:
    """A plan's resources: one of each kind (rules: two creating the same event)."""
    newsletter = EventCreateRule(
        "newsletter_signup",
        (Condition("event_name", "equals", "form_submit"), Condition("form_id", "equals", "newsletter")),
        copy_parameters=True,
        mutations=(Mutation("method", "newsletter_form"),),
    )
    items = {
        "sign_up": KeyEvent("sign_up", "once_per_session"),
        "lead": KeyEvent("generate_lead", "once_per_event", 10.0, "USD"),
        "form_id": CustomDimension("form_id", "event", "Form ID", "Which form was sent"),
        "tier": CustomDimension("customer_tier", "user", "Customer tier", disallow_ads_personalization=True),
        "cart_value": CustomMetric("cart_value", "Cart value", measurement_unit="currency", restricted_metric_type=("revenue_data",)),
        "duration": CustomMetric("video_seconds", "Video seconds", measurement_unit="seconds"),
        "rule0": newsletter,
        "rule1": EventCreateRule(
            "newsletter_signup", (Condition("event_name", "equals", "newsletter_popup_submit"),), index=1
        ),
    }
    items.update(overrides)
    return [v for v in items.values() if v is not None]


def comparable(state: PropertyState) -> dict[str, Any]:
    """The managed content of a state, keyed like the planner matches it (rule streams resolved)."""
    rules: dict[str, list[Any]] = {}
    for rule in state.event_create_rules.values():
        rules.setdefault(rule.destination_event, []).append(rule.fields())
    return {
        "key_events": {k: v.fields() for k, v in state.key_events.items()},
        "custom_dimensions": {k: v.fields() for k, v in state.custom_dimensions.items()},
        "custom_metrics": {k: v.fields() for k, v in state.custom_metrics.items()},
        "event_create_rules": {k: sorted(v, key=json.dumps) for k, v in rules.items()},
    }


def sync(ga: AdminGateway, want: PropertyState, safety: Safety = REMOVE) -> tuple[Plan, ApplyReport]:
    plan = compute_plan(want, ga.read_state(), safety=safety)
    report = ga.apply(plan)
    return plan, report


def assert_converged(ga: AdminGateway, want: PropertyState) -> None:
    actual = ga.read_state()
    assert comparable(actual) == comparable(want)
    assert not compute_plan(want, actual, safety=REMOVE).changes  # a second sync changes nothing


def statuses(report: ApplyReport) -> list[str]:
    return [r.status for r in report.results]


def test_full_lifecycle(server: SandboxServer, gateway: AdminGateway) -> None:
    # 1. create everything
    want = desired(*shop())
    plan, report = sync(gateway, want)
    assert sorted({c.action for c in plan.changes}) == ["create"] and len(plan.changes) == 8
    assert report.complete and report.error is None
    assert statuses(report) == ["applied"] * 8
    assert all(r.resource_name and r.resource_name.startswith(PROPERTY) for r in report.results)
    assert_converged(gateway, want)

    # 2. update a field of every kind
    server.reset_calls()
    updated = dict(
        sign_up=KeyEvent("sign_up", "once_per_event", 1.5, "EUR"),
        lead=KeyEvent("generate_lead", "once_per_event"),  # default value removed
        form_id=CustomDimension("form_id", "event", "Form name", ""),
        tier=CustomDimension("customer_tier", "user", "Customer tier", "Tier", False),
        duration=CustomMetric("video_seconds", "Video cost", measurement_unit="currency", restricted_metric_type=("cost_data", "revenue_data")),
        rule1=EventCreateRule(
            "newsletter_signup",
            (Condition("event_name", "equals", "newsletter_popup_submit"), Condition("value", "greater_than", "5")),
            copy_parameters=True, mutations=(Mutation("origin", "[[form_id]]"),), index=1,
        ),
    )
    want = desired(*shop(**updated))
    plan, report = sync(gateway, want)
    assert [c.action for c in plan.changes] == ["update"] * 6
    assert report.complete
    assert_converged(gateway, want)
    calls = server_calls(server)
    assert sum(n for m, n in calls.items() if m.startswith("Update")) == 6
    assert not any(m.startswith(("Create", "Delete", "Archive")) for m in calls)

    # 3. replace (a dimension's scope is immutable) and remove what left the plan
    server.reset_calls()
    want = desired(*shop(**{
        **updated,
        "form_id": CustomDimension("form_id", "user", "Form name"),  # event -> user scope: replace
        "lead": None, "cart_value": None, "rule1": None,
    }))
    plan, report = sync(gateway, want)
    assert sorted(c.action for c in plan.changes) == ["archive", "delete", "delete", "replace"]
    assert report.complete, report.to_json()
    assert_converged(gateway, want)
    calls = server_calls(server)
    assert calls["ArchiveCustomDimension"] == 1 and calls["CreateCustomDimension"] == 1
    assert calls["ArchiveCustomMetric"] == 1 and calls["DeleteKeyEvent"] == 1 and calls["DeleteEventCreateRule"] == 1


def test_a_no_op_sync_is_a_read_and_nothing_else(server: SandboxServer, gateway: AdminGateway) -> None:
    want = desired(*shop())
    sync(gateway, want)
    server.reset_calls()
    plan, report = sync(gateway, want)
    assert plan.changes == [] and report.results == [] and report.complete
    assert report.summary() == "no changes"
    assert sum(server_calls(server).values()) == 11  # the reads of read_state: nothing written


def test_hand_made_replace_and_delete_of_key_events_and_rules(server: SandboxServer, gateway: AdminGateway) -> None:
    rule = EventCreateRule("quote_sent", (Condition("event_name", "equals", "form_submit"),))
    ke = KeyEvent("quote_sent", "once_per_event")
    # A rule whose stream is None: the gateway resolves the property's only web stream itself.
    report = gateway.apply(Plan(PROPERTY, [
        Change("create", "key_event", "quote_sent", desired=ke),
        Change("create", "event_create_rule", "quote_sent", desired=rule),
    ]))
    assert report.complete
    actual = gateway.read_state()
    old_ke = actual.key_events["quote_sent"]
    old_rule = actual.event_create_rules[(STREAM, "quote_sent", 0)]
    new_ke = dataclasses.replace(ke, counting_method="once_per_session")
    new_rule = dataclasses.replace(old_rule, destination_event="quote_done", resource_name=None)
    report = gateway.apply(Plan(PROPERTY, [
        Change("replace", "key_event", "quote_sent", existing=old_ke, desired=new_ke,
               fields=(FieldChange("counting_method", "once_per_event", "once_per_session"),)),
        Change("replace", "event_create_rule", "quote_sent", existing=old_rule, desired=new_rule),
    ]))
    assert statuses(report) == ["applied", "applied"]
    assert report.results[0].resource_name != old_ke.resource_name
    actual = gateway.read_state()
    assert actual.key_events["quote_sent"].counting_method == "once_per_session"
    assert list(actual.event_create_rules) == [(STREAM, "quote_done", 0)]
    report = gateway.apply(Plan(PROPERTY, [
        Change("delete", "key_event", "quote_sent", existing=actual.key_events["quote_sent"]),
        Change("delete", "event_create_rule", "quote_done", existing=actual.event_create_rules[(STREAM, "quote_done", 0)]),
    ]))
    assert report.complete
    actual = gateway.read_state()
    assert "quote_sent" not in actual.key_events and not actual.event_create_rules


def test_update_without_field_list_computes_the_mask(server: SandboxServer, gateway: AdminGateway) -> None:
    gateway.apply(Plan(PROPERTY, [Change("create", "custom_metric", "m", desired=CustomMetric("m", "M"))]))
    old = gateway.read_state().custom_metrics["m"]
    new = CustomMetric("m", "Meters", "How far", measurement_unit="meters")
    report = gateway.apply(Plan(PROPERTY, [Change("update", "custom_metric", "m", existing=old, desired=new)]))
    assert report.complete
    assert gateway.read_state().custom_metrics["m"] == new


def test_a_plan_for_another_property_is_refused(server: SandboxServer, gateway: AdminGateway) -> None:
    plan = Plan("properties/456", [Change("create", "key_event", "x", desired=KeyEvent("x"))])
    with pytest.raises(PropertyMismatch, match="properties/456, not properties/123"):
        gateway.apply(plan)
    assert not server_calls(server)


def test_failure_in_the_middle_then_rerun(server: SandboxServer, gateway: AdminGateway) -> None:
    bad = CustomDimension("form_id", "event", "Form [id]")  # brackets: GA4 rejects the display name
    want = desired(
        CustomDimension("a_dim", "event", "A dim"), bad, CustomMetric("b_metric", "B metric"),
        KeyEvent("sign_up"), KeyEvent("login"),
    )
    seen: list[ChangeResult] = []
    started: list[int] = []
    plan = compute_plan(want, gateway.read_state(), safety=REMOVE)
    report = gateway.apply(plan, on_result=seen.append, on_start=lambda i, c: started.append(i))
    labels = [(r.change.label, r.status) for r in report.results]
    assert labels == [
        ("event:a_dim", "applied"),
        ("event:form_id", "failed"),
        ("b_metric", "not_attempted"),
        ("login", "not_attempted"),
        ("sign_up", "not_attempted"),
    ]
    assert seen == report.results and started == [0, 1]
    assert not report.complete
    assert report.counts() == {"applied": 1, "already_applied": 0, "failed": 1, "not_attempted": 3}
    assert report.summary() == "1 applied, 1 failed, 3 not attempted"
    failed = report.failed
    assert failed is not None and failed.index == 1 and failed.error == failed.message
    assert report.results[0].error is None
    assert failed.message.startswith("create custom dimension event:form_id: the sandbox refused it: ")
    assert "display_name" in failed.message
    assert isinstance(report.error, ApiError) and report.error.report is report  # type: ignore[attr-defined]
    with pytest.raises(ApiError):
        report.raise_for_error()
    data = report.to_json()
    json.dumps(data)
    assert data["complete"] is False and data["results"][1]["status"] == "failed"
    assert data["results"][0]["resource_name"].startswith("properties/123/customDimensions/")

    # Fix the plan and sync again: only what is missing is applied.
    want.add(CustomDimension("form_id", "event", "Form id"))
    plan, report = sync(gateway, want)
    assert [(c.action, c.label) for c in plan.changes] == [
        ("create", "event:form_id"), ("create", "b_metric"), ("create", "login"), ("create", "sign_up"),
    ]
    assert report.complete
    assert_converged(gateway, want)


def test_already_exists_with_other_values_fails_clearly(server: SandboxServer, gateway: AdminGateway) -> None:
    # Someone created the key event between plan and apply, with another counting method.
    plan = compute_plan(desired(KeyEvent("sign_up", "once_per_event")), gateway.read_state(), safety=REMOVE)
    server.backend.create("key_events", PROPERTY, {"event_name": "sign_up", "counting_method": "ONCE_PER_SESSION"})
    report = gateway.apply(plan)
    assert statuses(report) == ["failed"]
    message = report.results[0].message
    assert "GA4 already has it with different values" in message
    assert "counting_method: GA4 has 'once_per_session', the plan wants 'once_per_event'" in message


def test_already_exists_with_the_same_values_counts_as_applied(server: SandboxServer, gateway: AdminGateway) -> None:
    plan = compute_plan(desired(CustomDimension("form_id", "event", "Form ID")), gateway.read_state(), safety=REMOVE)
    created = server.backend.create(
        "custom_dimensions", PROPERTY, {"parameter_name": "form_id", "display_name": "Form ID", "scope": "EVENT"}
    )
    report = gateway.apply(plan)
    assert statuses(report) == ["already_applied"] and report.complete
    assert report.results[0].resource_name == created["name"]
    assert "created outside this run" in report.results[0].message


def test_removing_what_is_already_gone(server: SandboxServer, gateway: AdminGateway) -> None:
    gateway.apply(Plan(PROPERTY, [Change("create", "key_event", "x", desired=KeyEvent("x"))]))
    plan = compute_plan(desired(), gateway.read_state(), safety=REMOVE)
    assert [c.action for c in plan.changes] == ["delete"]
    server.backend.delete("key_events", plan.changes[0].existing.resource_name)  # type: ignore[union-attr]
    report = gateway.apply(plan)
    assert statuses(report) == ["already_applied"]
    assert "already gone" in report.results[0].message


def test_update_of_a_vanished_resource_fails(server: SandboxServer, gateway: AdminGateway) -> None:
    gateway.apply(Plan(PROPERTY, [Change("create", "key_event", "x", desired=KeyEvent("x"))]))
    plan = compute_plan(desired(KeyEvent("x", "once_per_session")), gateway.read_state(), safety=REMOVE)
    server.backend.delete("key_events", plan.changes[0].existing.resource_name)  # type: ignore[union-attr]
    report = gateway.apply(plan)
    assert statuses(report) == ["failed"]
    assert "not found in GA4" in report.results[0].message and "ga-goals plan" in report.results[0].message


def test_immutable_field_in_an_update_is_refused_before_sending(server: SandboxServer, gateway: AdminGateway) -> None:
    gateway.apply(Plan(PROPERTY, [Change("create", "custom_dimension", "d", desired=CustomDimension("d", "event", "D"))]))
    old = gateway.read_state().custom_dimensions[("event", "d")]
    server.reset_calls()
    change = Change("update", "custom_dimension", "d", existing=old, desired=dataclasses.replace(old, scope="user"),
                    fields=(FieldChange("scope", "event", "user"),))
    report = gateway.apply(Plan(PROPERTY, [change]))
    assert statuses(report) == ["failed"]
    assert "cannot be updated in place" in report.results[0].message
    assert not server_calls(server)


def test_report_json_round_trip(server: SandboxServer, gateway: AdminGateway) -> None:
    report = gateway.apply(Plan(PROPERTY, [Change("create", "key_event", "x", desired=KeyEvent("x"))]))
    data = json.loads(report.to_json_str())
    assert data["complete"] is True and data["counts"]["applied"] == 1
    assert data["results"][0] | {"seconds": 0} == {
        "index": 0, "status": "applied", "action": "create", "kind": "key_event", "label": "x",
        "fields": [], "resource_name": data["results"][0]["resource_name"], "seconds": 0,
    }


def test_writes_use_fresh_reads_when_the_gateway_did_not_read(server: SandboxServer) -> None:
    # A gateway that never read the property (a saved plan) still resolves the rule's stream.
    rule = EventCreateRule("x_done", (Condition("event_name", "equals", "x"),), stream="Web")
    with AdminGateway(make_target(server)) as ga:
        report = ga.apply(Plan(PROPERTY, [Change("create", "event_create_rule", "x_done", desired=rule)]))
    assert report.complete
    assert report.results[0].resource_name.startswith(STREAM + "/eventCreateRules/")  # type: ignore[union-attr]


def test_create_in_a_missing_property(server: SandboxServer) -> None:
    with AdminGateway(make_target(server, property="properties/999")) as ga:
        report = ga.apply(Plan("properties/999", [Change("create", "key_event", "x", desired=KeyEvent("x"))]))
    assert statuses(report) == ["failed"]
    assert report.results[0].message.startswith("create key event x: properties/999 not found in GA4")
