"""pull's writer: a property's state -> plan file -> the same state, for every state the planner
cases describe (the property side of tests/changes/cases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.changes import compute_plan
from ga_goals.changes.serialize import state_from_json
from ga_goals.model import Condition, EventCreateRule, Mutation, PropertyState
from ga_goals.plan_file import load_plan, validate_file
from ga_goals.plan_file.writer import render_plan_file

CASES = sorted((Path(__file__).parent.parent / "changes" / "cases").glob("*/actual.json"))
#: A property with a web stream (event create rules need one).
WITH_STREAM = next(c for c in CASES if json.loads(c.read_text()).get("data_streams"))


def _round_trip(state: PropertyState, tmp_path: Path) -> None:
    path = tmp_path / "pulled.yaml"
    path.write_text(render_plan_file(state, property_ref=state.property_id))
    assert [str(p) for p in validate_file(path) if p.severity == "error"] == []
    desired = load_plan(path).desired_state(state.property)
    plan = compute_plan(desired, state)
    assert plan.changes == [], [c.describe() for c in plan.changes]


@pytest.mark.parametrize("case", CASES, ids=[c.parent.name for c in CASES])
def test_pulled_file_plans_no_changes(case: Path, tmp_path: Path) -> None:
    state = state_from_json(json.loads(case.read_text()))
    _round_trip(state, tmp_path)


def test_rules_keep_their_exact_values(tmp_path: Path) -> None:
    state = state_from_json(json.loads(WITH_STREAM.read_text()))
    web = next(s for s in state.data_streams if s.type == "web")
    rule = EventCreateRule(
        destination_event="big_order",
        conditions=(
            Condition("event_name", "equals", "purchase"),
            Condition("value", "greater_than", "100"),
            Condition("value", "less_than_or_equal", "2.5"),
            Condition("coupon", "starts_with_case_insensitive", "VIP", negated=True),
            Condition("page_location", "regular_expression", r"/checkout/(step|done)"),
            Condition("note", "equals", "10.50"),  # a string that looks like a number stays one
        ),
        copy_parameters=True,
        mutations=(Mutation("tier", "gold"), Mutation("origin", "[[coupon]]")),
        stream=web.resource_name,
    )
    state.add(rule)
    _round_trip(state, tmp_path)
    text = render_plan_file(state, property_ref=state.property_id)
    spec = yaml.safe_load(text)["conversions"]["micro"]["big_order"]["created_from"]
    assert spec["when"][1] == {"parameter": "value", "greater_than": 100}
    assert spec["when"][3] == {"parameter": "coupon", "starts_with": "VIP", "case_sensitive": False, "negate": True}
    assert spec["set"][1] == {"parameter": "origin", "copy_from": "coupon"}
    assert text.startswith("# Pulled from ")


@pytest.mark.parametrize("value", ["09", "0o17", "0x1F", "1e3", ".inf", "null", "true", "~", "", "007"])
def test_strings_the_loader_would_read_as_numbers_are_quoted(value: str, tmp_path: Path) -> None:
    """PyYAML writes YAML 1.1; the loader reads YAML 1.2: a value must not change type on the way."""
    state = state_from_json(json.loads(WITH_STREAM.read_text()))
    web = next(s for s in state.data_streams if s.type == "web")
    state.add(
        EventCreateRule(
            destination_event="coded_form",
            conditions=(Condition("event_name", "equals", "form_submit"), Condition("form_code", "equals", value or "x")),
            mutations=(Mutation("origin", value or "y"),),
            stream=web.resource_name,
        )
    )
    _round_trip(state, tmp_path)



def test_enhanced_measurement_is_pulled_for_the_plans_stream(tmp_path: Path) -> None:
    """Every setting of the (first) web stream, query parameters as lists; with several web
    streams the pulled plan names its stream, so the block applies to the same one."""
    state = state_from_json(json.loads((CASES[0].parent.parent / "em_stream_by_name" / "actual.json").read_text()))
    state.enhanced_measurement[next(iter(state.enhanced_measurement))] = __import__("dataclasses").replace(
        next(iter(state.enhanced_measurement.values())), search_query_parameter="q,keyword", scrolls=False
    )
    _round_trip(state, tmp_path)
    data = yaml.safe_load(render_plan_file(state, property_ref=state.property_id))
    assert data["stream"] == "2001"
    assert data["enhanced_measurement"]["search_query_parameter"] == ["q", "keyword"]
    assert data["enhanced_measurement"]["scrolls"] is False and len(data["enhanced_measurement"]) == 10



@pytest.mark.parametrize("text", ["0E0", "1e3", ".5", "0x1F", "0o17", "true", "null", "~", "-7", ".inf"])
def test_strings_the_reader_would_take_for_other_values_are_quoted(tmp_path: Path, text: str) -> None:
    """PyYAML writes ``0E0`` bare (a string under YAML 1.1); the plan reader (YAML 1.2 core
    schema) would load a number: pull quotes every such string (found by the audience round trip)."""
    state = state_from_json(json.loads((CASES[0]).read_text()))
    web = next(s for s in state.data_streams if s.type == "web")
    state.add(EventCreateRule("odd_value", (Condition("event_name", "equals", "x"), Condition("note", "equals", text)),
                              stream=web.resource_name))
    _round_trip(state, tmp_path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="${}:-$aZ_", min_size=1, max_size=12))
def test_text_with_dollar_braces_is_written_literally(tmp_path: Path, text: str) -> None:
    """The loader reads ``${...}`` in a value as a variable: pull writes the property's text
    (a rule's value, a mutation) with ``$${`` so it loads back as it was (found by the audience
    round trip: a description ``${``)."""
    state = state_from_json(json.loads((CASES[0]).read_text()))
    web = next(s for s in state.data_streams if s.type == "web")
    state.add(
        EventCreateRule(
            "dollar_value",
            (Condition("event_name", "equals", "x"), Condition("note", "equals", text)),
            mutations=(Mutation("origin", text),),
            stream=web.resource_name,
        )
    )
    _round_trip(state, tmp_path)


def test_a_second_edit_rule_with_the_same_name_is_drift_not_an_invalid_file(tmp_path: Path) -> None:
    """GA4's screens allow two edit rules with one name on a stream; a plan does not. pull writes
    the first (the file validates); the copy is unmanaged: `plan` leaves it alone (and deletes it
    with ``safety.unmanaged: remove``)."""
    from ga_goals.model import EventEditRule

    state = state_from_json(json.loads(WITH_STREAM.read_text()))
    web = next(s for s in state.data_streams if s.type == "web")
    for index, (old, new) in enumerate([("addToCart", "add_to_cart"), ("AddToCart", "add_to_cart")]):
        state.add(
            EventEditRule(
                "Fix cart events",
                (Condition("event_name", "equals", old),),
                (Mutation("event_name", new),),
                stream=web.resource_name,
                index=index,
                processing_order=index + 1,
                resource_name=f"{web.resource_name}/eventEditRules/{index + 1}",
            )
        )
    path = tmp_path / "pulled.yaml"
    path.write_text(render_plan_file(state, property_ref=state.property_id))
    assert [str(p) for p in validate_file(path) if p.severity == "error"] == []
    rules = yaml.safe_load(path.read_text())["event_edit_rules"]
    assert [r["name"] if "name" in r else r.get("display_name") for r in rules].count("Fix cart events") == 1
    plan = compute_plan(load_plan(path).desired_state(state.property), state)
    assert plan.changes == [], [c.describe() for c in plan.changes]
