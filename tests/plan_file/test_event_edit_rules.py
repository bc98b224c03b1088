"""``event_edit_rules:``: GA4's limits and rules, located, and the cross-checks with conversions
and create rules; the model the loader builds (order kept, stream selector, renames)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ga_goals.model import Condition, EventEditRule, Mutation
from ga_goals.model import ga4_facts as facts
from ga_goals.plan_file import load_plan, validate_file


def rule(name: str = "Legacy add to cart", source: str = "addToCart", target: str = "add_to_cart", **extra: Any) -> dict[str, Any]:
    return {
        "display_name": name,
        "when": [{"event_name": source}],
        "set": [{"parameter": "event_name", "value": target}],
        **extra,
    }


def write(tmp_path: Path, rules: list[Any], **sections: Any) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"property": "sandbox", **sections, "event_edit_rules": rules}, sort_keys=False))
    return path


def problems(path: Path) -> list[tuple[int, str, str]]:
    """(line, level, message) of every problem."""
    return [(p.location.line, p.severity, p.message) for p in validate_file(path, env={})]


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def test_a_valid_list_loads_in_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [rule("B rule", "begin_chekout", "begin_checkout"), rule(stream="Web 2"), rule("Params", set=[{"parameter": "source", "copy_from": "utm_source"}])],
        conversions={"micro": {"add_to_cart": {}}},
        stream="Web",
    )
    assert problems(path) == []
    plan = load_plan(path)
    assert [(r.display_name, r.stream, r.processing_order) for r in plan.event_edit_rules] == [
        ("B rule", "Web", 1), ("Legacy add to cart", "Web 2", 2), ("Params", "Web", 3)
    ]
    assert plan.event_edit_rules[0] == EventEditRule(
        "B rule",
        (Condition("event_name", "equals", "begin_chekout"),),
        (Mutation("event_name", "begin_checkout"),),
        stream="Web",
    )
    assert plan.event_edit_rules[2].mutations == (Mutation("source", "[[utm_source]]"),)
    desired = plan.desired_state("properties/1")
    assert [r.display_name for r in sorted(desired.event_edit_rules.values(), key=lambda r: r.processing_order)] == [
        "B rule", "Legacy add to cart", "Params"
    ]


LIMIT_CASES = [
    ("display-name-length", lambda: [rule("x" * (facts.EDIT_RULE_DISPLAY_NAME_MAX + 1))], "at most 255"),
    ("conditions", lambda: [rule(when=[{"parameter": f"p{i}", "equals": "1"} for i in range(facts.CONDITIONS_MAX + 1)])], "at most 10"),
    ("mutations", lambda: [rule(set=[{"parameter": f"p{i}", "value": "v"} for i in range(facts.MUTATIONS_MAX + 1)])], "at most 20"),
    ("no-mutation", lambda: [rule(set=[])], "changes nothing"),
    ("no-condition", lambda: [rule(when=[])], "has no conditions"),
    ("parameter-length", lambda: [rule(set=[{"parameter": "p" * (facts.MUTATION_PARAMETER_MAX + 1), "value": "v"}])], "shorter than 40"),
    ("value-length", lambda: [rule(set=[{"parameter": "p", "value": "v" * (facts.MUTATION_VALUE_MAX + 1)}])], "fewer than 100"),
    ("new-name-length", lambda: [rule(target="e" * (facts.EVENT_NAME_MAX + 1))], "40"),
    ("new-name-spaces", lambda: [rule(target="add to cart")], "contains spaces"),
    ("renamed-twice", lambda: [rule(set=[{"parameter": "event_name", "value": "a"}, {"parameter": "event_name", "value": "b"}])], "a second time"),
    ("parameter-twice", lambda: [rule(set=[{"parameter": "p", "value": "a"}, {"parameter": "p", "value": "b"}])], "set twice"),
    ("regex", lambda: [rule(when=[{"parameter": "event_name", "matches": "(?=x)"}])], "RE2"),
    ("display-name-twice", lambda: [rule(), rule(source="AddToCart")], "already used by event edit rule 1"),
]


@pytest.mark.parametrize(("build", "message"), [c[1:] for c in LIMIT_CASES], ids=[c[0] for c in LIMIT_CASES])
def test_every_limit_is_an_error_located_in_the_file(tmp_path: Path, build: Any, message: str) -> None:
    path = write(tmp_path, build())
    found = [p for p in validate_file(path, env={}) if p.severity == "error"]
    assert found, "expected an error"
    assert any(message in p.message for p in found), [p.message for p in found]
    assert all(p.location.line > line_of(path, "event_edit_rules:") for p in found)


def test_the_same_display_name_on_two_streams_is_fine(tmp_path: Path) -> None:
    assert problems(write(tmp_path, [rule(stream="Web"), rule(stream="Blog")])) == []


def test_rule_count_limit(tmp_path: Path) -> None:
    limit = facts.LIMITS["modified_events"]["standard"]
    many = [rule(f"Rule {i}", f"event_{i}", f"renamed_{i}") for i in range(limit)]
    assert problems(write(tmp_path, many)) == []
    path = write(tmp_path, many + [rule("One too many", "x", "y")])
    [(line, level, message)] = problems(path)
    assert level == "error" and f"too many event edit rules: {limit + 1}; a standard property allows {limit}" in message
    assert line == line_of(path, "One too many")


def test_unknown_key_has_a_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, [{**rule(), "sett": []}])
    assert any("did you mean 'set'" in m for _, _, m in problems(path))
    top = tmp_path / "top.yaml"
    top.write_text("property: sandbox\nevent_edit_rule: []\n")
    assert any("did you mean 'event_edit_rules'" in p.message for p in validate_file(top, env={}))


# Cross-checks -------------------------------------------------------------------------------------


def test_renaming_a_conversion_away_is_an_error_at_the_mutation(tmp_path: Path) -> None:
    path = write(tmp_path, [rule("Away", "add_to_cart", "cart_add")], conversions={"micro": {"add_to_cart": {}}})
    [(line, level, message)] = problems(path)
    assert level == "error" and line == line_of(path, "value: cart_add")
    assert "renames every 'add_to_cart' event to 'cart_add'" in message
    assert f"conversion 'add_to_cart' (line {line_of(path, 'add_to_cart: {}')}) would never arrive" in message


def test_renaming_away_by_pattern_is_caught_too(tmp_path: Path) -> None:
    rules = [rule(when=[{"parameter": "event_name", "matches": "add_to_.*"}], target="cart")]
    [(_, level, _)] = problems(write(tmp_path, rules, conversions={"micro": {"add_to_cart": {}}}))
    assert level == "error"
    rules = [rule(when=[{"parameter": "event_name", "equals": "ADD_TO_CART", "case_sensitive": False}], target="cart")]
    [(_, level, _)] = problems(write(tmp_path, rules, conversions={"micro": {"add_to_cart": {}}}))
    assert level == "error"


def test_renaming_some_of_a_conversions_events_away_is_a_warning(tmp_path: Path) -> None:
    rules = [rule("Legacy split", when=[{"event_name": "purchase"}, {"parameter": "source", "equals": "legacy"}], target="legacy_purchase")]
    [(_, level, message)] = problems(write(tmp_path, rules, conversions={"macro": {"purchase": {}}}))
    assert level == "warning" and "counts only the others" in message


def test_renaming_to_a_declared_conversion_is_fine(tmp_path: Path) -> None:
    """The sibling: the rule's purpose is to make the plan's name arrive."""
    rules = [rule(), rule("Other spelling", "AddToCart")]
    assert problems(write(tmp_path, rules, conversions={"micro": {"add_to_cart": {}}})) == []


def test_a_rule_that_keeps_the_name_or_renames_other_events_is_fine(tmp_path: Path) -> None:
    rules = [rule("Noop", "add_to_cart", "add_to_cart"), rule("Other", "view_cart", "cart_view"),
             rule("Params only", when=[{"parameter": "source", "equals": "x"}], target="y")]
    assert problems(write(tmp_path, rules, conversions={"micro": {"add_to_cart": {}}})) == []


def test_a_created_conversion_is_not_renamed_by_edit_rules(tmp_path: Path) -> None:
    """GA4: edit rules cannot modify an event created by a create rule."""
    conversions = {"micro": {"newsletter_signup": {"created_from": {"when": [{"event_name": "form_submit"}]}}}}
    assert problems(write(tmp_path, [rule("X", "newsletter_signup", "signup")], conversions=conversions)) == []


def test_renaming_a_create_rules_source_is_a_warning(tmp_path: Path) -> None:
    conversions = {"micro": {"newsletter_signup": {"created_from": {"when": [{"event_name": "form_submit"}]}}}}
    path = write(tmp_path, [rule("Forms", "form_submit", "form_sent")], conversions=conversions)
    [(line, level, message)] = problems(path)
    assert level == "warning" and line == line_of(path, "value: form_sent")
    assert "which the create rule of micro conversion 'newsletter_signup' creates an event from" in message
