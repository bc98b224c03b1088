"""The sandbox's EventEditRule methods (v1alpha), through the real client: CRUD, processing order,
ReorderEventEditRules and its INVALID_ARGUMENT cases, update masks, validation and the limit."""

from __future__ import annotations

import pytest
from google.analytics import admin_v1alpha as AA
from google.api_core import exceptions as ex
from google.protobuf.field_mask_pb2 import FieldMask

from ga_goals.model import ga4_facts as facts

from .conftest import P

Comparison = AA.MatchingCondition.ComparisonType


def _rule(display: str, source: str = "addToCart", target: str = "add_to_cart", **extra) -> AA.EventEditRule:
    return AA.EventEditRule(
        display_name=display,
        event_conditions=[AA.MatchingCondition(field="event_name", comparison_type=Comparison.EQUALS, value=source)],
        parameter_mutations=[AA.ParameterMutation(parameter="event_name", parameter_value=target)],
        **extra,
    )


def _ordered(alpha, stream: str) -> list[str]:
    rules = sorted(alpha.list_event_edit_rules(parent=stream), key=lambda r: r.processing_order)
    return [r.display_name for r in rules]


def test_crud_and_processing_order(alpha, streams):
    first = alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule("Legacy add to cart"))
    second = alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule("Typo", "begin_chekout", "begin_checkout"))
    other = alpha.create_event_edit_rule(parent=streams.web2, event_edit_rule=_rule("Blog rename"))
    assert first.name.startswith(f"{streams.web}/eventEditRules/")
    # New rules go to the end of their own stream's order.
    assert (first.processing_order, second.processing_order, other.processing_order) == (1, 2, 1)
    assert alpha.get_event_edit_rule(name=first.name) == first
    assert [r.name for r in alpha.list_event_edit_rules(parent=streams.web)] == [first.name, second.name]
    updated = alpha.update_event_edit_rule(
        event_edit_rule=AA.EventEditRule(name=first.name, display_name="Legacy add-to-cart names"),
        update_mask=FieldMask(paths=["display_name"]),
    )
    assert updated.display_name == "Legacy add-to-cart names"
    assert list(updated.event_conditions) == list(first.event_conditions)
    assert updated.processing_order == 1  # an update keeps the rule's place
    assert alpha.delete_event_edit_rule(name=first.name) is None
    assert [r.name for r in alpha.list_event_edit_rules(parent=streams.web)] == [second.name]
    with pytest.raises(ex.NotFound):
        alpha.get_event_edit_rule(name=first.name)
    third = alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule("Third"))
    assert third.processing_order > second.processing_order


def test_reorder_sets_the_processing_order(alpha, streams):
    names = [
        alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule(n)).name for n in ("A", "B", "C")
    ]
    alpha.reorder_event_edit_rules(request={"parent": streams.web, "event_edit_rules": [names[2], names[0], names[1]]})
    assert _ordered(alpha, streams.web) == ["C", "A", "B"]
    # The list itself stays in a stable (id) order: clients sort by processing_order.
    assert [r.name for r in alpha.list_event_edit_rules(parent=streams.web)] == names


@pytest.mark.parametrize(
    "pick, message",
    [
        (lambda n, other: [n[0], n[1]], "must list every event edit rule"),
        (lambda n, other: [n[0], n[1], n[2], n[0]], "more than once"),
        (lambda n, other: [n[0], n[1], n[2], other], "not an event edit rule of"),
        (lambda n, other: [], "event_edit_rules is required"),
    ],
    ids=["missing", "repeated", "another-stream", "empty"],
)
def test_reorder_must_name_every_rule_once(alpha, streams, pick, message):
    names = [
        alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule(n)).name for n in ("A", "B", "C")
    ]
    other = alpha.create_event_edit_rule(parent=streams.web2, event_edit_rule=_rule("D")).name
    with pytest.raises(ex.InvalidArgument, match=message):
        alpha.reorder_event_edit_rules(request={"parent": streams.web, "event_edit_rules": pick(names, other)})
    assert _ordered(alpha, streams.web) == ["A", "B", "C"]  # nothing changed


def test_reorder_of_an_unknown_stream_is_not_found(alpha, streams):
    with pytest.raises(ex.NotFound):
        alpha.reorder_event_edit_rules(
            request={"parent": f"properties/{P}/dataStreams/999999", "event_edit_rules": ["x"]}
        )


def test_update_mask_rules(alpha, streams):
    rule = alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule("A"))
    with pytest.raises(ex.InvalidArgument, match="output only"):
        alpha.update_event_edit_rule(
            event_edit_rule=AA.EventEditRule(name=rule.name, processing_order=5),
            update_mask=FieldMask(paths=["processing_order"]),
        )
    with pytest.raises(ex.InvalidArgument, match="update_mask is required"):
        alpha.update_event_edit_rule(event_edit_rule=AA.EventEditRule(name=rule.name, display_name="B"))
    replaced = alpha.update_event_edit_rule(
        event_edit_rule=_rule("B", "AddToCart", "add_to_cart", name=rule.name), update_mask=FieldMask(paths=["*"])
    )
    assert (replaced.display_name, replaced.event_conditions[0].value, replaced.processing_order) == ("B", "AddToCart", 1)
    with pytest.raises(ex.InvalidArgument, match="parameter_mutations is required"):
        alpha.update_event_edit_rule(
            event_edit_rule=AA.EventEditRule(name=rule.name), update_mask=FieldMask(paths=["parameter_mutations"])
        )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"display_name": ""}, "display_name is required"),
        ({"display_name": "x" * (facts.EDIT_RULE_DISPLAY_NAME_MAX + 1)}, "the maximum is 255"),
        ({"event_conditions": []}, "event_conditions is required"),
        ({"event_conditions": [{"field": "event_name", "comparison_type": "EQUALS", "value": "a"}] * 11}, "maximum is 10"),
        ({"parameter_mutations": []}, "parameter_mutations is required"),
        (
            {"parameter_mutations": [{"parameter": f"p{i}", "parameter_value": "v"} for i in range(21)]},
            "maximum is 20",
        ),
        ({"parameter_mutations": [{"parameter": "event_name", "parameter_value": "add to cart"}]}, "must start with a letter"),
        ({"parameter_mutations": [{"parameter": "event_name", "parameter_value": "x" * 41}]}, "maximum is 40"),
        ({"parameter_mutations": [{"parameter": "p" * 40, "parameter_value": "v"}]}, "maximum is 39"),
        ({"parameter_mutations": [{"parameter": "p", "parameter_value": "v" * 100}]}, "maximum is 99"),
        (
            {"parameter_mutations": [{"parameter": "p", "parameter_value": "a"}, {"parameter": "p", "parameter_value": "b"}]},
            "more than once",
        ),
    ],
    ids=[
        "no-display-name", "long-display-name", "no-conditions", "11-conditions", "no-mutations", "21-mutations",
        "bad-new-name", "long-new-name", "long-parameter", "long-value", "repeated-parameter",
    ],
)
def test_validation(alpha, streams, change, message):
    body = {
        "display_name": "A",
        "event_conditions": [{"field": "event_name", "comparison_type": "EQUALS", "value": "addToCart"}],
        "parameter_mutations": [{"parameter": "event_name", "parameter_value": "add_to_cart"}],
        **change,
    }
    with pytest.raises(ex.InvalidArgument, match=message):
        alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=body)


def test_rename_may_copy_a_parameter(alpha, streams):
    rule = alpha.create_event_edit_rule(
        parent=streams.web,
        event_edit_rule=_rule("From parameter", target="[[real_name]]"),
    )
    assert rule.parameter_mutations[0].parameter_value == "[[real_name]]"


def test_limit_per_property(alpha, streams, sandbox):
    limit = facts.LIMITS["modified_events"]["standard"]
    with sandbox.store.transaction(P) as state:  # fill up to the limit without 50 RPCs
        for n in range(limit):
            state["event_edit_rules"].append(
                {"name": f"{streams.web2}/eventEditRules/{9000 + n}", "display_name": f"R{n}",
                 "event_conditions": [], "parameter_mutations": [], "processing_order": n + 1}
            )
    with pytest.raises(ex.FailedPrecondition, match=f"already has {limit} event edit rules"):
        alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule("One too many"))


def test_sandbox_status_counts_them(alpha, streams, sandbox):
    alpha.create_event_edit_rule(parent=streams.web, event_edit_rule=_rule("A"))
    assert sandbox.store.summary(P)["event_edit_rules"] == 1
