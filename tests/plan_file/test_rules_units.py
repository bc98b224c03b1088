"""Small pieces of the rule checks: names, durations, wording."""

from __future__ import annotations

import pytest

from ga_goals.plan_file.names import display_name_problem, event_name_problem, parameter_problem
from ga_goals.plan_file.rules import parse_duration
from ga_goals.plan_file.wording import describe, subject
from ga_goals.suggestions import did_you_mean


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), ("1w2d3h4m5s", 788645),
     ("90m", 5400), ("0h1s", 1)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("0s", "positive"), ("0h0m", "positive"), ("1m1h", "largest to smallest"), ("1h1h", "largest to smallest"),
    ("", "largest to smallest"), ("5", "largest to smallest"),
])
def test_bad_durations(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("name", "created", "message"),
    [
        ("add_to_cart", False, None),
        ("Kauf_abgeschloßen", False, None),  # GA4 allows non-English letters
        ("a" * 40, False, None),
        ("a" * 41, False, "has 41 characters; GA4 allows at most 40"),
        ("a" * 39, True, None),
        ("a" * 40, True, "at most 39"),
        ("page_view", False, None),  # an automatically collected event may be a key event
        ("page_view", True, "reserves"),
        ("", False, "is empty"),
        ("ga_x", False, "reserves"),
        ("Ga_x", False, None),  # reserved prefixes are case-sensitive
        ("add.cart", False, "contains '.'"),
    ],
)
def test_event_names(name: str, created: bool, message: str | None) -> None:
    problem = event_name_problem(name, created=created)
    if message is None:
        assert problem is None
    else:
        assert problem and message in problem


@pytest.mark.parametrize(
    ("name", "scope", "message"),
    [
        ("form_id", "event", None),
        ("currency", "event", "reserves"),
        ("currency", "user", None),
        ("session_number", "user", "reserves"),
        ("item_brand", "item", "built-in"),
        ("gtag.x", "event", "contains '.'"),
        ("x" * 24, "user", None),
        ("x" * 25, "user", "at most 24"),
        ("x" * 40, "event", None),
        ("x" * 41, "item", "at most 40"),
    ],
)
def test_parameter_names(name: str, scope: str, message: str | None) -> None:
    problem = parameter_problem(name, scope=scope)
    assert (problem is None) if message is None else (problem is not None and message in problem)


@pytest.mark.parametrize(
    ("name", "ok"),
    [("Form ID", True), ("Form_ID 2", True), ("a" * 82, True), ("a" * 83, False), ("Form-ID", False),
     ("[Form]", False), (" Form", False), ("", False), ("2 forms", False)],
)
def test_display_names(name: str, ok: bool) -> None:
    assert (display_name_problem(name) is None) is ok


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), "the top level"),
        (("conversions", "macro", "purchase"), "conversion 'purchase'"),
        (
            ("conversions", "micro", "x", "created_from", 1, "when", 0),
            "condition 1 of event create rule 2 of conversion 'x'",
        ),
        (
            ("conversions", "micro", "x", "created_from", "set", 2),
            "mutation 3 of the event create rule of conversion 'x'",
        ),
        (("funnels", "checkout", "steps", 2), "step 3 of funnel 'checkout'"),
        (("funnels", "checkout", "steps", 2, "where", 0), "filter 1 of step 3 of funnel 'checkout'"),
        (("reports", "weekly", "alerts", 0), "alert 1 of report 'weekly'"),
        (("reports", "weekly", "email"), "the e-mail settings of report 'weekly'"),
        (("environments", "staging", "overrides", "funnels", "f"), "funnel 'f'"),
        (("environments", "staging"), "environment 'staging'"),
        (("safety",), "'safety'"),
        (("stages", 1), "stage 2"),
    ],
)
def test_describe(path: tuple, text: str) -> None:
    assert describe(path) == text


def test_subject() -> None:
    assert subject(("funnels", "f", "steps", 1, "within")) == "'within'"
    assert subject(("custom_dimensions", "form_id")) == "custom dimension 'form_id'"
    assert subject(("custom_metrics", "m", "restricted", 0)) == "item 1 of 'restricted'"
    assert subject(()) == "the plan"


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("countng", ["counting", "stage"], "counting"),
        ("GPB", ["GBP", "PAB"], "GBP"),  # swapped letters win
        ("Content", ["content"], "content"),  # case
        ("prod", ["staging", "production"], "production"),  # a unique prefix
        ("xyz", ["counting"], None),
    ],
)
def test_did_you_mean(word: str, choices: list[str], expected: str | None) -> None:
    assert did_you_mean(word, choices) == expected
