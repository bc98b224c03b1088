"""Audiences through the real v1alpha Admin client against the sandbox: create, read back equal,
update with a mask of the changed mutable fields, replace (archive + create), archive, a lost
create response that must not duplicate, and the proto round trip of every filter shape."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings

from ga_goals.changes import compute_plan
from ga_goals.changes.plan import Change, Plan
from ga_goals.ga4 import convert
from ga_goals.ga4.admin import AdminGateway
from ga_goals.ga4.audiences import audience_from_proto, audience_to_proto
from ga_goals.model import PropertyState, Safety
from ga_goals.model.audiences import (
    Audience,
    AudienceClause,
    AudienceCondition,
    AudienceTrigger,
    EventFilter,
    FieldFilter,
    SequenceStep,
    window_filter,
)
from ga_goals.sandbox.faults import Fault
from ga_goals.sandbox.server import SandboxServer
from tests.audience_strategies import audiences

from .conftest import PROPERTY, server_calls


def cart(**changes: object) -> Audience:
    audience = Audience(
        display_name="Cart abandoners",
        description="Added to cart, no purchase within 7 days",
        membership_days=7,
        clauses=(
            AudienceClause(condition=AudienceCondition(((EventFilter("add_to_cart", (window_filter(7),)),),))),
            AudienceClause(exclude=True, condition=AudienceCondition(((EventFilter("purchase", (window_filter(7),)),),))),
        ),
        trigger=AudienceTrigger("cart_abandoner"),
    )
    return dataclasses.replace(audience, **changes)  # type: ignore[arg-type]


def every_shape() -> Audience:
    """One audience using every filter kind, scope, sequence option and value type."""
    fields = (
        FieldFilter("deviceCategory", "equals", "mobile"),
        FieldFilter("firstUserMedium", "contains", "CPC", case_sensitive=False),
        FieldFilter("pageLocation", "matches", "https://[^/]+/sale/.*"),
        FieldFilter("country", "in", ("DE", "AT"), negated=True),
        FieldFilter("eventCount", "greater_than", 2, in_last_days=30),
        FieldFilter("purchaseRevenue", "between", (10, 99.5)),
        FieldFilter("sessions", "equals", 3, at_any_point=True),
        FieldFilter("customUser:tier", "starts_with", "vip"),
    )
    sequence = AudienceClause(
        scope="session",
        steps=(
            SequenceStep(AudienceCondition(((EventFilter("view_item"),),)), scope="session"),
            SequenceStep(
                AudienceCondition(((EventFilter("add_to_cart", (FieldFilter("value", "less_than", 0.5, negated=True),)),),)),
                scope="event",
                within_seconds=5400,
                directly=True,
            ),
        ),
        within_seconds=86400 * 2,
    )
    return Audience(
        display_name="Every shape",
        description="Each kind of condition",
        membership_days=540,
        clauses=(
            AudienceClause(condition=AudienceCondition((fields[:2], fields[2:5], fields[5:]))),
            sequence,
            AudienceClause(exclude=True, scope="event", condition=AudienceCondition(((EventFilter("refund"),),))),
        ),
        trigger=AudienceTrigger("every_shape", "renewed"),
        exclusion="permanent",
    )


def plan_of(*changes: Change) -> Plan:
    return Plan(PROPERTY, list(changes))


def desired(*audiences_: Audience) -> PropertyState:
    state = PropertyState(PROPERTY)
    for audience in audiences_:
        state.add(audience)
    return state


def sync(gateway: AdminGateway, want: PropertyState, **safety: object) -> Plan:
    plan = compute_plan(want, gateway.read_state(), safety=Safety(**safety))  # type: ignore[arg-type]
    report = gateway.apply(plan)
    report.raise_for_error()
    return plan


def test_create_then_read_back_equal(server: SandboxServer, gateway: AdminGateway) -> None:
    sync(gateway, desired(cart(), every_shape()))
    state = gateway.read_state()
    assert set(state.audiences) == {"Cart abandoners", "Every shape"}
    for audience in (cart(), every_shape()):
        read = state.audiences[audience.display_name]
        assert read == audience and read.fields() == audience.fields()
        assert read.resource_name and read.resource_name.startswith(f"{PROPERTY}/audiences/")
        assert read.ads_personalization_enabled is True  # output only, set by GA4
    again = compute_plan(desired(cart(), every_shape()), state)
    assert again.changes == []


def test_update_sends_a_mask_of_the_changed_mutable_fields(server: SandboxServer, gateway: AdminGateway) -> None:
    sync(gateway, desired(cart()))
    name = gateway.read_state().audiences["Cart abandoners"].resource_name
    server.reset_calls()
    plan = sync(gateway, desired(cart(description="Carts left", trigger=AudienceTrigger("cart_left", "renewed"))))
    assert [(c.action, [f.field for f in c.fields]) for c in plan.changes] == [("update", ["description", "trigger"])]
    assert convert.update_mask_paths("audience", ["description", "trigger"]) == ["description", "event_trigger"]
    calls = server_calls(server)
    assert calls["UpdateAudience"] == 1 and "CreateAudience" not in calls and "ArchiveAudience" not in calls
    read = gateway.read_state().audiences["Cart abandoners"]
    assert read.resource_name == name  # updated in place
    assert read.description == "Carts left" and read.trigger == AudienceTrigger("cart_left", "renewed")
    # Clearing the trigger is an update of event_trigger too.
    sync(gateway, desired(cart(description="Carts left", trigger=None)))
    assert gateway.read_state().audiences["Cart abandoners"].trigger is None


def test_immutable_change_archives_and_creates(server: SandboxServer, gateway: AdminGateway) -> None:
    sync(gateway, desired(cart()))
    old = gateway.read_state().audiences["Cart abandoners"].resource_name
    server.reset_calls()
    plan = sync(gateway, desired(cart(membership_days=30)))
    assert [c.action for c in plan.changes] == ["replace"]
    assert plan.changes[0].destructive
    assert server_calls(server)["ArchiveAudience"] == 1 and server_calls(server)["CreateAudience"] == 1
    state = gateway.read_state()
    assert state.audiences["Cart abandoners"].membership_days == 30
    assert state.audiences["Cart abandoners"].resource_name != old
    stored = server.store.load("123")["audiences"]
    assert [a.get("_archived", False) for a in stored] == [True, False]


def test_unmanaged_remove_archives_and_list_hides_it(server: SandboxServer, gateway: AdminGateway) -> None:
    sync(gateway, desired(cart(), every_shape()))
    plan = sync(gateway, desired(cart()), unmanaged="remove")
    assert [(c.action, c.label) for c in plan.changes] == [("archive", "Every shape")]
    assert list(gateway.read_state().audiences) == ["Cart abandoners"]


def test_lost_create_response_makes_no_duplicate(server: SandboxServer, gateway: AdminGateway) -> None:
    # GA4 has no unique key for audiences: a blind retry would create a second one.
    gateway.read_state()
    server.reset_calls()
    server.inject(Fault("CreateAudience", code="UNAVAILABLE", apply_first=True))
    report = gateway.apply(plan_of(Change("create", "audience", "Cart abandoners", desired=cart())))
    assert [r.status for r in report.results] == ["already_applied"]
    assert len(server.store.load("123")["audiences"]) == 1
    assert server_calls(server) == {"CreateAudience": 1, "ListAudiences": 1}


def test_create_retried_when_the_lost_attempt_did_not_land(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("CreateAudience", code="UNAVAILABLE"))  # fails before the work
    report = gateway.apply(plan_of(Change("create", "audience", "Cart abandoners", desired=cart())))
    assert [r.status for r in report.results] == ["applied"]
    assert len(server.store.load("123")["audiences"]) == 1


def test_sandbox_refusal_is_a_failed_change_naming_the_field(server: SandboxServer, gateway: AdminGateway) -> None:
    # validate stops this offline; the gateway must still report GA4's answer clearly.
    bad = cart(membership_days=541)
    report = gateway.apply(plan_of(Change("create", "audience", "Cart abandoners", desired=bad)))
    assert report.error is not None
    assert "membership_duration_days" in str(report.error)


def test_every_shape_survives_the_proto_and_the_wire() -> None:
    audience = every_shape()
    message = audience_to_proto(audience)
    assert audience_from_proto(type(message).deserialize(type(message).serialize(message))) == audience


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audiences())
def test_proto_round_trip(audience: Audience) -> None:
    """Any audience the model can hold goes to a v1alpha message and back unchanged."""
    message = audience_to_proto(audience)
    assert audience_from_proto(type(message).deserialize(type(message).serialize(message))) == audience


@pytest.mark.parametrize("field", ["membership_duration_days", "filter_clauses", "exclusion_duration_mode"])
def test_update_mask_refuses_immutable_fields(field: str) -> None:
    with pytest.raises(convert.ConversionError):
        convert.update_mask_paths("audience", [{"membership_duration_days": "membership_days",
                                                "filter_clauses": "clauses",
                                                "exclusion_duration_mode": "exclusion"}[field]])


def test_two_audiences_with_one_name_are_both_seen(server: SandboxServer, gateway: AdminGateway) -> None:
    """GA4 does not make display names unique: the second is read as a numbered copy, which the
    plan shows as drift (and archives with unmanaged: remove), never silently hides."""
    create = Change("create", "audience", "Cart abandoners", desired=cart())
    assert gateway.apply(plan_of(create, create)).complete
    state = gateway.read_state()
    assert list(state.audiences) == ["Cart abandoners", "Cart abandoners #2"]
    first, second = state.audiences.values()
    assert first.resource_name != second.resource_name and first == second
    plan = compute_plan(desired(cart()), state)
    assert plan.changes == []
    assert any("left alone: Cart abandoners #2" in n.message for n in plan.notes)
    plan = compute_plan(desired(cart()), state, safety=Safety(unmanaged="remove"))
    assert [(c.action, c.label, c.existing.resource_name) for c in plan.changes] == [  # type: ignore[union-attr]
        ("archive", "Cart abandoners #2", second.resource_name)
    ]
    assert gateway.apply(plan).complete
    assert list(gateway.read_state().audiences) == ["Cart abandoners"]
