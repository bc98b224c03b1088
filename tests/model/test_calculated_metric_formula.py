"""The calculated metric formula parser: GA4's syntax, references, and properties over generated formulas."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ga_goals.model.calculated_metric_formula import (
    FormulaError,
    custom_metric_references,
    evaluate_formula,
    formula_problems,
    formula_tree,
    parse_formula,
    reference_problem,
)

CUSTOM = {"cart_value", "discount_amount"}


@pytest.mark.parametrize(
    ("formula", "references"),
    [
        ("addToCarts / sessions", ["addToCarts", "sessions"]),
        ("( customEvent:parameter_name + cartPurchaseQuantity ) / 2.0", ["customEvent:parameter_name", "cartPurchaseQuantity"]),
        ("-sessions", ["sessions"]),
        ("--1", []),
        ("2 * -(sessions - 1.5e3)", ["sessions"]),
        (".5*sessions", ["sessions"]),
        ("keyEvents:purchase / sessions", ["keyEvents:purchase", "sessions"]),
        ("sessions/sessions", ["sessions", "sessions"]),
        ("9223372036854775807", []),
    ],
)
def test_valid_formulas(formula, references):
    assert parse_formula(formula) == references


@pytest.mark.parametrize(
    ("formula", "message", "offset"),
    [
        ("", "the formula is empty", 0),
        ("   ", "the formula is empty", 0),
        ("sessions +", "ends where a metric", 10),
        ("(sessions", "opened at column 1 is not closed", 9),
        ("sessions)", "closing parenthesis with no opening one", 8),
        ("sessions users", "an operator (+ - * /) is missing", 9),
        ("+sessions", "'+' at column 1 where a metric", 0),
        ("sessions ** 2", "'*' at column 11", 10),
        ("{{sessions}}", "unexpected character '{'", 0),
        ("sessions % 2", "unexpected character '%'", 9),
        ("9223372036854775808", "does not fit a 64-bit integer", 0),
        ("1e400", "does not fit a double", 0),
        ("()", "')' at column 2", 1),
    ],
)
def test_syntax_errors_say_what_and_where(formula, message, offset):
    with pytest.raises(FormulaError) as info:
        parse_formula(formula)
    assert message in info.value.message
    assert info.value.offset == offset


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("sessions", None),
        ("keyEvents:add_to_cart", None),
        ("customEvent:cart_value", None),
        ("customEvent:cart_valu", "did you mean customEvent:cart_value?"),
        ("customEvent:nothing_like_it", "custom metrics: cart_value, discount_amount"),
        ("calcMetric:rate", "does not let a calculated metric use another one"),
        ("customUser:tier", "is not a metric"),
        ("addToCart", "did you mean addToCarts?"),
        ("Sessions", "did you mean sessions?"),
        ("conversions", "GA4 renamed the metric conversions to keyEvents"),
        ("cart_value", "is a custom metric: write customEvent:cart_value"),
        ("zzzz", "Data API name"),
    ],
)
def test_references(reference, problem):
    found = reference_problem(reference, CUSTOM)
    assert found is None if problem is None else problem in (found or "")


def test_problems_point_at_each_reference_once():
    problems = formula_problems("sesions + sesions / customEvent:x", CUSTOM)
    assert [(m.split(" ")[0], offset) for m, offset in problems] == [("sesions", 0), ("customEvent:x", 20)]


def test_custom_metric_references_are_distinct_in_order():
    refs = parse_formula("customEvent:b + customEvent:a + customEvent:b + sessions")
    assert custom_metric_references(refs) == ["b", "a"]


# Properties ------------------------------------------------------------------------------------

METRICS = st.sampled_from(["sessions", "addToCarts", "totalUsers", "customEvent:cart_value", "keyEvents:purchase"])
NUMBERS = st.one_of(st.integers(0, 10**12).map(str), st.floats(0, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}"))


@st.composite
def formulas(draw, depth=3):
    """A valid formula and the references it names, in order."""
    if depth == 0 or draw(st.booleans()):
        if draw(st.booleans()):
            metric = draw(METRICS)
            return metric, [metric]
        return draw(NUMBERS), []
    kind = draw(st.sampled_from(["binary", "neg", "paren"]))
    left, refs = draw(formulas(depth=depth - 1))
    if kind == "neg":
        return f"-{left}", refs
    if kind == "paren":
        space = draw(st.sampled_from(["", " "]))
        return f"({space}{left}{space})", refs
    right, more = draw(formulas(depth=depth - 1))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    space = draw(st.sampled_from(["", " ", "  "]))
    return f"{left}{space}{op}{space}{right}", refs + more


@given(formulas())
def test_generated_formulas_parse_with_their_references(case):
    formula, references = case
    assert parse_formula(formula) == references
    assert formula_problems(formula, CUSTOM) == []


@given(formulas(), st.integers(0, 200))
def test_an_unbalanced_parenthesis_is_always_an_error(case, position):
    formula, _ = case
    cut = min(position, len(formula))
    broken = formula[:cut] + "(" + formula[cut:]
    with pytest.raises(FormulaError):
        parse_formula(broken)


@given(st.text(max_size=40))
def test_any_text_gives_references_or_a_located_error(text):
    """Never an exception other than FormulaError; an error's offset is inside the text."""
    try:
        parse_formula(text)
    except FormulaError as exc:
        assert 0 <= exc.offset <= len(text)
        assert exc.message
    # formula_problems never raises either (validate and the sandbox call it on anything)
    for message, offset in formula_problems(text, CUSTOM):
        assert message and 0 <= offset <= len(text)


def test_a_missing_custom_metric_message_stays_one_short_line_whatever_the_names() -> None:
    """The fuzz test found it: a custom metric named with 100,000 characters was listed whole in
    the message. Names from a plan or a property are cut, in every branch of the message."""
    long = "x" * 100_000
    for custom_metrics in ({long, "b", "c"}, {long[:-1] + "y"}, set()):
        for reference in ("customEvent:a", "customEvent:" + long):
            message = reference_problem(reference, custom_metrics)
            if reference[len("customEvent:"):] in custom_metrics:
                assert message is None
                continue
            assert message is not None and len(message) < 1_000 and "\n" not in message, message[:200]


# -- the tree and its evaluation (what the sandbox computes for expressions and calcMetric:) ------

_VALUES = {"sessions": 7.0, "addToCarts": 3.0, "totalUsers": 0.0}
_atoms = st.one_of(st.sampled_from(sorted(_VALUES)), st.integers(0, 50).map(str))


def _formulas(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from("+-*/"), children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
    )


def _python(formula: str) -> float:
    """The reference: Python's own arithmetic, a division by zero giving 0."""
    import ast

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return _VALUES[node.id]
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand)
        assert isinstance(node, ast.BinOp)
        left, right = walk(node.left), walk(node.right)
        if isinstance(node.op, ast.Div):
            return left / right if right else 0.0
        return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}[type(node.op)]

    return walk(ast.parse(formula, mode="eval"))


@settings(max_examples=300, deadline=None)
@given(st.recursive(_atoms, _formulas, max_leaves=8))
def test_evaluation_follows_precedence_and_associativity(formula: str):
    assert evaluate_formula(formula_tree(formula), _VALUES.__getitem__) == pytest.approx(_python(formula), nan_ok=True)


def test_a_division_by_zero_is_zero():
    assert evaluate_formula(formula_tree("addToCarts / totalUsers + 1"), _VALUES.__getitem__) == 1.0
