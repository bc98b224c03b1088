"""v1alpha audiences in the sandbox, through the real client: the methods, output-only and
immutable fields, update masks, archive hiding, INVALID_ARGUMENT for each malformed filter
shape GA4 documents, and the per-tier limits (audiences, triggers)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from google.analytics import admin_v1alpha as a
from google.api_core import exceptions as ex
from google.protobuf.field_mask_pb2 import FieldMask
from hypothesis import HealthCheck, given, settings

from ga_goals.ga4.audiences import audience_to_proto
from ga_goals.model.audiences import Audience
from ga_goals.sandbox.admin_audiences import AudienceInvalid, validate_audience
from tests.audience_strategies import audiences

from .conftest import P, P360, PARENT, PARENT360

ALL = "AUDIENCE_FILTER_SCOPE_ACROSS_ALL_SESSIONS"


def event(name: str, **extra: Any) -> dict[str, Any]:
    return {"event_filter": {"event_name": name, **extra}}


def dim(field: str = "deviceCategory", **extra: Any) -> dict[str, Any]:
    return {"dimension_or_metric_filter": {"field_name": field, "string_filter": {"match_type": "EXACT", "value": "mobile"},
                                           **extra}}


def cnf(*groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {"and_group": {"filter_expressions": [{"or_group": {"filter_expressions": g}} for g in groups]}}


def body(**changes: Any) -> dict[str, Any]:
    audience: dict[str, Any] = {
        "display_name": "Cart abandoners",
        "description": "Added to cart, no purchase",
        "membership_duration_days": 7,
        "filter_clauses": [
            {"clause_type": "INCLUDE", "simple_filter": {"scope": ALL, "filter_expression": cnf([event("add_to_cart")])}},
            {"clause_type": "EXCLUDE", "simple_filter": {"scope": ALL, "filter_expression": cnf([event("purchase")])}},
        ],
        "event_trigger": {"event_name": "cart_abandoner", "log_condition": "AUDIENCE_JOINED"},
        "exclusion_duration_mode": "EXCLUDE_TEMPORARILY",
    }
    audience.update(changes)
    return audience


def create(alpha: Any, parent: str = PARENT, **changes: Any) -> Any:
    return alpha.create_audience(parent=parent, audience=a.Audience(body(**changes)))


def test_create_get_list_with_output_only_fields(alpha):
    created = create(alpha, name="properties/1/audiences/999", ads_personalization_enabled=False)
    assert created.name.startswith(f"{PARENT}/audiences/") and created.name != "properties/1/audiences/999"
    assert created.ads_personalization_enabled is True  # output only: set by GA4, not by the request
    assert created.create_time is not None
    got = alpha.get_audience(name=created.name)
    assert got == created
    assert [x.name for x in alpha.list_audiences(parent=PARENT)] == [created.name]
    assert list(alpha.list_audiences(parent=PARENT360)) == []
    assert got.filter_clauses[1].clause_type == a.AudienceFilterClause.AudienceClauseType.EXCLUDE
    assert got.event_trigger.log_condition == a.AudienceEventTrigger.LogCondition.AUDIENCE_JOINED


def test_v1beta_has_no_audiences(sandbox):
    from .conftest import beta_client

    assert not hasattr(beta_client(sandbox.address), "create_audience")


def test_update_with_a_mask_of_mutable_fields(alpha):
    created = create(alpha)
    change = a.Audience(name=created.name, display_name="Cart leavers", description="New",
                        event_trigger=a.AudienceEventTrigger(event_name="cart_left", log_condition="AUDIENCE_MEMBERSHIP_RENEWED"))
    updated = alpha.update_audience(audience=change, update_mask=FieldMask(paths=["display_name", "event_trigger"]))
    assert updated.display_name == "Cart leavers" and updated.description == created.description  # not in the mask
    assert updated.event_trigger.event_name == "cart_left"
    assert updated.filter_clauses == created.filter_clauses and updated.membership_duration_days == 7
    cleared = alpha.update_audience(audience=a.Audience(name=created.name), update_mask=FieldMask(paths=["event_trigger"]))
    assert "event_trigger" not in cleared


@pytest.mark.parametrize("path", ["membership_duration_days", "filter_clauses", "exclusion_duration_mode"])
def test_immutable_fields_refuse_an_update(alpha, path):
    created = create(alpha)
    with pytest.raises(ex.InvalidArgument, match=f"update_mask path '{path}': field is immutable; archive the audience"):
        alpha.update_audience(audience=a.Audience(name=created.name, membership_duration_days=30),
                              update_mask=FieldMask(paths=[path]))


@pytest.mark.parametrize("path", ["name", "create_time", "ads_personalization_enabled"])
def test_output_only_fields_refuse_an_update(alpha, path):
    created = create(alpha)
    with pytest.raises(ex.InvalidArgument, match="output only"):
        alpha.update_audience(audience=a.Audience(name=created.name), update_mask=FieldMask(paths=[path]))


def test_star_mask_refuses_a_changed_immutable_field(alpha):
    created = create(alpha)
    changed = a.Audience(body(membership_duration_days=30))
    changed.name = created.name
    with pytest.raises(ex.InvalidArgument, match="membership_duration_days: field is immutable"):
        alpha.update_audience(audience=changed, update_mask=FieldMask(paths=["*"]))


def test_archive_hides_the_audience(alpha):
    kept, gone = create(alpha), create(alpha, display_name="Old")
    alpha.archive_audience(request={"name": gone.name})
    assert [x.name for x in alpha.list_audiences(parent=PARENT)] == [kept.name]
    with pytest.raises(ex.NotFound, match="archived"):
        alpha.get_audience(name=gone.name)
    with pytest.raises(ex.NotFound):
        alpha.archive_audience(request={"name": gone.name})
    assert not hasattr(alpha, "delete_audience")  # GA4 archives audiences, it never deletes them


def _expression(**kinds: Any) -> dict[str, Any]:
    return {"clause_type": "INCLUDE", "simple_filter": {"scope": ALL, "filter_expression": kinds}}


MALFORMED = [
    ("display name", {"display_name": ""}, "audience.display_name is required"),
    ("description", {"description": ""}, "audience.description is required"),
    ("membership 0", {"membership_duration_days": 0}, "membership_duration_days must be between 1 and 540"),
    ("membership 541", {"membership_duration_days": 541}, "cannot be set to more than 540 days"),
    ("no clauses", {"filter_clauses": []}, "filter_clauses is required"),
    ("clause type", {"filter_clauses": [{"simple_filter": {"scope": ALL, "filter_expression": cnf([event("x")])}}]},
     r"filter_clauses\[0\].clause_type is required"),
    ("no filter", {"filter_clauses": [{"clause_type": "INCLUDE"}]}, "must set exactly one of simple_filter, sequence_filter"),
    ("scope", {"filter_clauses": [{"clause_type": "INCLUDE", "simple_filter": {"filter_expression": cnf([event("x")])}}]},
     "simple_filter.scope is required"),
    ("top level or", {"filter_clauses": [_expression(or_group={"filter_expressions": [event("x")]})]},
     "the top-level expression must be an and_group"),
    ("top level leaf", {"filter_clauses": [_expression(**event("x"))]}, "the top-level expression must be an and_group"),
    ("and in and", {"filter_clauses": [_expression(and_group={"filter_expressions": [cnf([event("x")])]})]},
     "an and_group can only contain or_group expressions"),
    ("group in or", {"filter_clauses": [_expression(**cnf([cnf([event("x")])]))]},
     "an or_group cannot contain and_group or or_group"),
    ("not event", {"filter_clauses": [_expression(**cnf([{"not_expression": event("x")}]))]},
     "a not_expression can only include a dimension_or_metric_filter"),
    ("nested event", {"filter_clauses": [_expression(**cnf([event("x", event_parameter_filter_expression={
        "and_group": {"filter_expressions": [event("y")]}})]))]}, "nested event filters are not supported"),
    ("or in event", {"filter_clauses": [_expression(**cnf([event("x", event_parameter_filter_expression={
        "or_group": {"filter_expressions": [dim("value")]}})]))]}, "must be a single and_group"),
    ("no field", {"filter_clauses": [_expression(**cnf([dim("")]))]}, "field_name is required"),
    # (oneof members: the wire carries one at most, so "none" is the malformed case)
    ("no filter kind", {"filter_clauses": [_expression(**cnf([{"dimension_or_metric_filter": {"field_name": "country"}}]))]},
     "must set exactly one of string_filter, in_list_filter, numeric_filter, between_filter"),
    ("empty in list", {"filter_clauses": [_expression(**cnf([{"dimension_or_metric_filter": {
        "field_name": "country", "in_list_filter": {"values": []}}}]))]}, "in_list_filter.values must be non-empty"),
    ("bad regex", {"filter_clauses": [_expression(**cnf([{"dimension_or_metric_filter": {
        "field_name": "pageLocation", "string_filter": {"match_type": "FULL_REGEXP", "value": "(?=x)"}}}]))]},
     "is not a valid regular expression"),
    ("numeric without operation", {"filter_clauses": [_expression(**cnf([{"dimension_or_metric_filter": {
        "field_name": "eventCount", "numeric_filter": {"value": {"int64_value": 1}}}}]))]}, "numeric_filter.operation is required"),
    ("61 days", {"filter_clauses": [_expression(**cnf([dim(in_any_n_day_period=61)]))]}, "cannot be greater than 60 days"),
    ("days in a session", {"filter_clauses": [{"clause_type": "INCLUDE", "simple_filter": {
        "scope": "AUDIENCE_FILTER_SCOPE_WITHIN_SAME_SESSION", "filter_expression": cnf([dim(in_any_n_day_period=7)])}}]},
     "in_any_n_day_period can only be set when the scope is AUDIENCE_FILTER_SCOPE_ACROSS_ALL_SESSIONS"),
    ("static in an event", {"filter_clauses": [{"clause_type": "INCLUDE", "simple_filter": {
        "scope": "AUDIENCE_FILTER_SCOPE_WITHIN_SAME_EVENT", "filter_expression": cnf([dim(at_any_point_in_time=True)])}}]},
     "at_any_point_in_time can only be set when"),
    ("no steps", {"filter_clauses": [{"clause_type": "INCLUDE", "sequence_filter": {"scope": ALL}}]},
     "sequence_steps is required"),
    ("step scope", {"filter_clauses": [{"clause_type": "INCLUDE", "sequence_filter": {"scope": ALL, "sequence_steps": [
        {"filter_expression": cnf([event("x")])}]}}]}, r"sequence_steps\[0\].scope is required"),
    ("trigger name", {"event_trigger": {"event_name": "ga_x", "log_condition": "AUDIENCE_JOINED"}},
     "event_trigger.event_name 'ga_x'"),
    ("trigger log", {"event_trigger": {"event_name": "joined"}}, "event_trigger.log_condition is required"),
    ("event name", {"filter_clauses": [_expression(**cnf([event("")]))]}, "event_name is required"),
]


@pytest.mark.parametrize(("changes", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_audiences_are_invalid_argument(alpha, changes, message):
    with pytest.raises(ex.InvalidArgument, match=message):
        alpha.create_audience(parent=PARENT, audience=a.Audience(body(**changes)))
    assert list(alpha.list_audiences(parent=PARENT)) == []


def test_the_101st_audience_fails_on_standard_not_on_360(sandbox, alpha):
    def fill(pid: str, n: int) -> None:
        with sandbox.store.transaction(pid) as state:
            state.setdefault("audiences", [])
            for i in range(n):
                state["audiences"].append({**body(event_trigger=None), "name": f"properties/{pid}/audiences/{9000 + i}"})

    fill(P, 100)
    with pytest.raises(ex.FailedPrecondition, match=r"already has 100 audiences, the maximum for its tier \(the other tier allows 400\)"):
        create(alpha, event_trigger=None)
    fill(P360, 100)
    create(alpha, PARENT360, event_trigger=None)  # 360: 400
    # Archiving frees a slot.
    alpha.archive_audience(request={"name": f"{PARENT}/audiences/9000"})
    create(alpha, event_trigger=None)


def test_the_21st_trigger_fails_on_create_and_on_update(sandbox, alpha):
    with sandbox.store.transaction(P) as state:
        state.setdefault("audiences", [])
        for i in range(20):
            state["audiences"].append({**body(), "name": f"properties/{P}/audiences/{9000 + i}"})
    with pytest.raises(ex.FailedPrecondition, match="20 audience triggers per property"):
        create(alpha)
    plain = create(alpha, event_trigger=None)
    trigger = a.AudienceEventTrigger(event_name="x_joined", log_condition="AUDIENCE_JOINED")
    with pytest.raises(ex.FailedPrecondition, match="20 audience triggers per property"):
        alpha.update_audience(audience=a.Audience(name=plain.name, event_trigger=trigger),
                              update_mask=FieldMask(paths=["event_trigger"]))
    alpha.archive_audience(request={"name": f"properties/{P}/audiences/9000"})
    alpha.update_audience(audience=a.Audience(name=plain.name, event_trigger=trigger), update_mask=FieldMask(paths=["event_trigger"]))


def test_a_state_stored_before_audiences_existed_still_serves(sandbox, alpha):
    with sandbox.store.transaction(P) as state:
        state.pop("audiences", None)
    assert list(alpha.list_audiences(parent=PARENT)) == []
    create(alpha)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audiences())
def test_the_sandbox_accepts_every_audience_validate_accepts(audience: Audience) -> None:
    """What the plan's rules let through, the sandbox (GA4's documented rules) accepts: no
    failure is first discovered mid-sync."""
    message = audience_to_proto(audience)
    data = copy.deepcopy(type(message).to_dict(message, use_integers_for_enums=False))
    try:
        validate_audience(data, "audience")
    except AudienceInvalid as exc:  # pragma: no cover - the assertion message
        raise AssertionError(f"the sandbox refused {audience}: {exc}") from None
