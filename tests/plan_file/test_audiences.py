"""The plan file's audiences: what the shop's load to, pull's YAML loading back to the same model
(for any audience validate accepts), and the cross-check of trigger events and conversions."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings

from ga_goals.model import PropertyState
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
from ga_goals.plan_file import load_plan, validate_file
from ga_goals.plan_file.writer import render_plan_file
from tests.audience_strategies import audiences
from tests.conftest import CONFIGS


def test_the_shop_audiences_load_to_ga4s_shape() -> None:
    plan = load_plan(CONFIGS / "shop.yaml")
    cart = plan.audiences["Cart abandoners"]
    assert cart == Audience(
        display_name="Cart abandoners",
        description="Added to cart, no purchase within 7 days",
        membership_days=7,
        clauses=(
            AudienceClause(condition=AudienceCondition(((EventFilter("add_to_cart", (window_filter(7),)),),))),
            AudienceClause(exclude=True, condition=AudienceCondition(((EventFilter("purchase", (window_filter(7),)),),))),
        ),
        trigger=AudienceTrigger("cart_abandoner", "joined"),
    )
    mobile = plan.audiences["Mobile checkout droppers"]
    assert mobile.clauses[0].condition == AudienceCondition(((FieldFilter("deviceCategory", "equals", "mobile"),),))
    assert mobile.clauses[1] == AudienceClause(
        scope="session",
        steps=(
            SequenceStep(AudienceCondition(((EventFilter("view_item"),),)), scope="session"),
            SequenceStep(AudienceCondition(((EventFilter("begin_checkout"),),)), scope="session", within_seconds=3600),
        ),
    )
    assert mobile.exclusion == "permanent"
    state = plan.desired_state("properties/1")
    assert set(state.audiences) == {"Cart abandoners", "Mobile checkout droppers"}
    assert state.resources()[-1].KIND == "audience"  # applied last: after the events they use


def _round_trip(audience: Audience, tmp_path: Path) -> Audience:
    state = PropertyState("properties/1")
    state.add(audience)
    path = tmp_path / "pulled.yaml"
    path.write_text(render_plan_file(state, property_ref="sandbox"))
    return load_plan(path).audiences[audience.display_name]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(audiences())
def test_pull_writes_what_loads_back_the_same(tmp_path: Path, audience: Audience) -> None:
    """Every audience validate accepts survives pull's YAML: the file validates (clean) and loads
    to an equal model, so `plan` after `pull` shows no changes."""
    assert _round_trip(audience, tmp_path) == audience


def test_pull_declares_the_custom_events_audiences_use(tmp_path: Path) -> None:
    audience = Audience("Quizzers", "Took the quiz", 30, (AudienceClause(condition=AudienceCondition(((EventFilter("quiz_done"),),))),))
    assert _round_trip(audience, tmp_path) == audience
    data = yaml.safe_load((tmp_path / "pulled.yaml").read_text())
    assert data["events"] == {"quiz_done": {"description": "Used by audience Quizzers"}}


def _plan(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text("property: sandbox\n" + text)
    return path


def test_a_trigger_declared_only_as_a_micro_conversion_is_fine(tmp_path: Path) -> None:
    """How an audience becomes a micro conversion: GA4 logs the event, the key event counts it."""
    path = _plan(tmp_path, """
conversions:
  micro:
    cart_abandoner: {description: Joined the cart abandoners}
audiences:
  Cart abandoners:
    description: x
    membership_days: 7
    include: [add_to_cart]
    trigger: {event: cart_abandoner}
""")
    assert validate_file(path, env={}) == []
    plan = load_plan(path)
    state = plan.desired_state("properties/1")
    assert "cart_abandoner" in state.key_events and state.audiences["Cart abandoners"].trigger.event == "cart_abandoner"  # type: ignore[union-attr]


def test_a_trigger_that_is_also_a_created_event_is_located(tmp_path: Path) -> None:
    path = _plan(tmp_path, """
conversions:
  micro:
    joined:
      created_from: {when: [{event_name: form_submit}]}
audiences:
  Joiners:
    description: x
    membership_days: 7
    include: [form_submit]
    trigger: {event: joined}
""")
    [problem] = validate_file(path, env={})
    assert (problem.location.line, problem.location.column) == (12, 22)
    assert "counts the same people twice" in problem.message and "'joiners'" in problem.message


def test_an_audience_is_protected_by_its_display_name(tmp_path: Path) -> None:
    path = _plan(tmp_path, """
audiences:
  Cart abandoners: {description: x, membership_days: 7, include: [add_to_cart]}
safety:
  protect: ["audience:Cart abandoners"]
""")
    assert validate_file(path, env={}) == []
    assert load_plan(path).safety.protect == ("audience:Cart abandoners",)


def test_environments_may_override_audiences(tmp_path: Path) -> None:
    path = _plan(tmp_path, """
audiences:
  Cart abandoners: {description: x, membership_days: 7, include: [add_to_cart]}
environments:
  staging:
    property: "123"
    overrides:
      audiences:
        Cart abandoners: {membership_days: 3}
""")
    assert load_plan(path, environment="staging").audiences["Cart abandoners"].membership_days == 3
    assert load_plan(path).audiences["Cart abandoners"].membership_days == 7
