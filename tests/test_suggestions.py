"""ga_goals/suggestions.py: the one "did you mean" (the same slip gets the same suggestion everywhere)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ga_goals.suggestions import GA4_FIELD_CUTOFF, did_you_mean

PACKAGE = Path(__file__).resolve().parents[1] / "ga_goals"


def test_no_other_module_matches_names_itself():
    """get_close_matches anywhere else would be a second "did you mean" with its own rules."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "suggestions.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if name == "get_close_matches" or isinstance(node, ast.ImportFrom) and node.module == "difflib" and any(
                a.name == "get_close_matches" for a in node.names
            ):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize(
    "word, choices, cutoff, expected",
    [
        ("Sessions", ["sessions", "newUsers"], GA4_FIELD_CUTOFF, "sessions"),  # case slip
        ("sesisons", ["sessions", "newUsers"], GA4_FIELD_CUTOFF, "sessions"),  # swapped letters
        ("eventCont", ["eventCount", "eventCountPerUser"], GA4_FIELD_CUTOFF, "eventCount"),
        ("purchas", ["purchase", "purchaseRevenue"], 0.6, "purchase"),
        ("zzz", ["sessions"], 0.6, None),
        ("add_to_cart", ["add to cart"], 0.6, None),
    ],
)
def test_did_you_mean(word, choices, cutoff, expected):
    valid = (lambda c: " " not in c) if word == "add_to_cart" else None
    assert did_you_mean(word, choices, cutoff=cutoff, valid=valid) == expected


def test_every_caller_gives_the_same_suggestion_for_a_case_slip():
    """The sandbox's field check, the calculated-metric formula check and the plan's report
    names once had three rules; the same slip now gets the same fix from each."""
    from ga_goals.model.calculated_metric_formula import reference_problem
    from ga_goals.sandbox.ga4_schema import suggestion

    assert suggestion("AddToCarts", "metric") == "addToCarts"
    assert "did you mean addToCarts?" in (reference_problem("AddToCarts", set()) or "")
