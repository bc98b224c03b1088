"""Event edit rules through the real v1alpha client against the sandbox: read in processing order,
creates in the plan's order, one ReorderEventEditRules last, a stop part-way, lost responses."""

from __future__ import annotations

import dataclasses

from ga_goals.changes import compute_plan
from ga_goals.model import Condition, EventEditRule, Mutation, PropertyState, Safety
from ga_goals.sandbox.faults import Fault
from ga_goals.sandbox.server import SandboxServer
from ga_goals.ga4.admin import AdminGateway

from .conftest import PROPERTY, server_calls

REMOVE = Safety(unmanaged="remove", max_destroy=100)


def rule(name: str, source: str, target: str, order: int) -> EventEditRule:
    return EventEditRule(
        name,
        (Condition("event_name", "equals", source),),
        (Mutation("event_name", target),),
        processing_order=order,
    )


A = rule("Legacy add to cart", "addToCart", "add_to_cart", 1)
B = rule("Fix checkout typo", "begin_chekout", "begin_checkout", 2)
C = rule("Rename signup", "sign_up_newsletter", "newsletter_signup", 3)


def want(*rules: EventEditRule) -> PropertyState:
    state = PropertyState(property=PROPERTY)
    for n, r in enumerate(rules, start=1):
        state.add(dataclasses.replace(r, processing_order=n))
    return state


def order(gateway: AdminGateway) -> list[str]:
    state = gateway.read_state()
    return [r.label for stream in {r.stream for r in state.event_edit_rules.values()} for r in state.edit_rule_order(stream)]


def sync(gateway: AdminGateway, desired: PropertyState, safety: Safety = Safety()):
    plan = compute_plan(desired, gateway.read_state(), safety=safety)
    return plan, gateway.apply(plan)


def test_create_then_reorder_then_delete(server: SandboxServer, gateway: AdminGateway) -> None:
    plan, report = sync(gateway, want(B, A))
    assert [(c.action, c.label) for c in plan.changes] == [("create", "Fix checkout typo"), ("create", "Legacy add to cart")]
    assert report.complete and order(gateway) == ["Fix checkout typo", "Legacy add to cart"]

    plan, report = sync(gateway, want(C, A, B))
    assert [(c.action, c.label) for c in plan.changes] == [("create", "Rename signup"), ("reorder", "processing order")]
    assert plan.changes[1].fields[0].old == ["Fix checkout typo", "Legacy add to cart", "Rename signup"]
    assert report.complete, report.summary()
    assert order(gateway) == ["Rename signup", "Legacy add to cart", "Fix checkout typo"]
    assert server_calls(server)["ReorderEventEditRules"] == 1

    plan, report = sync(gateway, want(B, C), REMOVE)
    assert [(c.action, c.label) for c in plan.changes] == [("delete", "Legacy add to cart"), ("reorder", "processing order")]
    assert report.complete and order(gateway) == ["Fix checkout typo", "Rename signup"]
    assert not compute_plan(want(B, C), gateway.read_state(), safety=REMOVE).changes


def test_update_keeps_the_place(server: SandboxServer, gateway: AdminGateway) -> None:
    sync(gateway, want(A, B))
    changed = dataclasses.replace(A, mutations=(Mutation("event_name", "add_to_cart"), Mutation("source", "legacy")))
    plan, report = sync(gateway, want(changed, B))
    assert [(c.action, [f.field for f in c.fields]) for c in plan.changes] == [("update", ["mutations"])]
    assert report.complete and order(gateway) == ["Legacy add to cart", "Fix checkout typo"]


def test_a_failed_create_leaves_the_reorder_not_attempted(server: SandboxServer, gateway: AdminGateway) -> None:
    sync(gateway, want(A, B))
    server.inject(Fault("CreateEventEditRule", code="PERMISSION_DENIED"))
    plan, report = sync(gateway, want(C, B, A))
    assert [(r.change.action, r.status) for r in report.results] == [("create", "failed"), ("reorder", "not_attempted")]
    assert order(gateway) == ["Legacy add to cart", "Fix checkout typo"]  # untouched: still a valid order
    plan, report = sync(gateway, want(C, B, A))  # re-run finishes the job
    assert report.complete and order(gateway) == ["Rename signup", "Fix checkout typo", "Legacy add to cart"]


def test_a_lost_create_response_is_not_duplicated(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("CreateEventEditRule", code="UNAVAILABLE", apply_first=True))
    plan, report = sync(gateway, want(A))
    assert report.complete and report.results[0].status == "already_applied"
    assert order(gateway) == ["Legacy add to cart"]


def test_a_reorder_whose_stream_changed_meanwhile_sends_nothing(server: SandboxServer, gateway: AdminGateway) -> None:
    sync(gateway, want(A, B))
    plan = compute_plan(want(B, A), gateway.read_state())
    sync(gateway, want(A, B, C))  # someone added a rule since the plan was made
    report = gateway.apply(plan)
    assert report.results[0].status == "failed"
    assert "changed since the plan was made" in report.results[0].message
    assert server_calls(server).get("ReorderEventEditRules", 0) == 0
