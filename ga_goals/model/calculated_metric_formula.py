"""The formula of a GA4 calculated metric: its syntax and the metrics it names.

GA4's ``CalculatedMetric.formula`` (Admin API v1alpha) combines metrics with ``+``, ``-``
(subtraction, and negation), ``*``, ``/`` and parentheses, and real numbers that fit a 64-bit
integer or double, e.g. ``( customEvent:parameter_name + cartPurchaseQuantity ) / 2.0``. A
metric is named by its Data API name (``sessions``, ``addToCarts``), a custom metric by
``customEvent:<parameter>``; at most 5 distinct custom metrics, and never another calculated
metric (``calcMetric:<id>``): docs/ga4-api-facts.md, "Calculated metrics".

:func:`parse_formula` checks the syntax and returns the references in order of appearance;
:func:`reference_problem` says what is wrong with one reference. Both are pure: the plan's
rules (offline, with the plan's custom metrics) and the sandbox (with the property's) share them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from ga_goals.model.ga4_schema import ga4_schema
from ga_goals.suggestions import GA4_FIELD_CUTOFF, did_you_mean
from ga_goals.untrusted_text import cut

#: At most this many distinct custom metrics in one formula (``CalculatedMetric.formula``).
CUSTOM_METRIC_REFERENCES_MAX = 5
#: How a formula names a custom metric, and how a calculated metric is named elsewhere.
CUSTOM_METRIC_PREFIX = "customEvent:"
CALCULATED_METRIC_PREFIX = "calcMetric:"
#: Per-event variants of GA4 metrics (``keyEvents:purchase``): a metric GA4 has for any event.
PER_EVENT_PREFIXES = ("keyEvents:", "sessionKeyEventRate:", "userKeyEventRate:")

_INT64_MAX = 2**63 - 1
#: At most this many names listed in a message.
#: How much of one name a message shows.
_SHOWN = 60
_LISTED = 8
_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z0-9_]+)?)"
    r"|(?P<op>[-+*/()])"
)


#: A formula's syntax tree (:func:`formula_tree`).
Node = tuple[Any, ...]


class FormulaError(ValueError):
    """A formula that is not valid: ``message`` says why, ``offset`` where (0-based character)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class _Token:
    kind: str  # number, name, op, end
    text: str
    offset: int


def _tokens(formula: str) -> list[_Token]:
    out: list[_Token] = []
    position = 0
    while position < len(formula):
        match = _TOKEN.match(formula, position)
        if match is None:
            char = formula[position]
            hint = " (a custom metric is customEvent:<parameter>)" if char in "{}[]" else ""
            raise FormulaError(f"unexpected character {char!r} at column {position + 1}{hint}", position)
        kind = match.lastgroup or ""
        if kind != "space":
            out.append(_Token(kind, match.group(), position))
        position = match.end()
    out.append(_Token("end", "", len(formula)))
    return out


class _Parser:
    """expression := term (('+' | '-') term)*; term := factor (('*' | '/') factor)*;
    factor := '-' factor | NUMBER | METRIC | '(' expression ')'."""

    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.tokens: list[_Token] = []
        self.index = 0
        self.references: list[str] = []
        self.offsets: list[int] = []
        self.tree: Node = ("number", 0.0)

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def parse(self) -> list[str]:
        self.tree = self._parse_tree()
        return self.references

    def _parse_tree(self) -> Node:
        self.tokens = _tokens(self.formula)
        if self.current.kind == "end":
            raise FormulaError("the formula is empty: write metrics, numbers and + - * / ( ), e.g. addToCarts / sessions", 0)
        tree = self.expression()
        if self.current.kind != "end":
            token = self.current
            what = "a closing parenthesis with no opening one" if token.text == ")" else f"{token.text!r}"
            raise FormulaError(
                f"{what} at column {token.offset + 1} does not continue the formula: an operator (+ - * /) is missing "
                "between two terms" if token.text != ")" else f"{what} at column {token.offset + 1}",
                token.offset,
            )
        return tree

    def expression(self) -> Node:
        node = self.term()
        while self.current.text in ("+", "-") and self.current.kind == "op":
            op = self.current.text
            self.index += 1
            node = (op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.current.text in ("*", "/") and self.current.kind == "op":
            op = self.current.text
            self.index += 1
            node = (op, node, self.factor())
        return node

    def factor(self) -> Node:
        token = self.current
        if token.kind == "op" and token.text == "-":
            self.index += 1
            return ("neg", self.factor())
        if token.kind == "number":
            _check_number(token)
            self.index += 1
            return ("number", float(token.text))
        if token.kind == "name":
            self.references.append(token.text)
            self.offsets.append(token.offset)
            self.index += 1
            return ("metric", token.text)
        if token.kind == "op" and token.text == "(":
            self.index += 1
            node = self.expression()
            if not (self.current.kind == "op" and self.current.text == ")"):
                raise FormulaError(
                    f"the parenthesis opened at column {token.offset + 1} is not closed", self.current.offset
                )
            self.index += 1
            return node
        if token.kind == "end":
            raise FormulaError("the formula ends where a metric, a number or ( was expected", token.offset)
        raise FormulaError(
            f"{token.text!r} at column {token.offset + 1} where a metric, a number or ( was expected", token.offset
        )


def _check_number(token: _Token) -> None:
    text = token.text
    if re.fullmatch(r"[0-9]+", text):
        if int(text) > _INT64_MAX:
            raise FormulaError(f"the number {text} at column {token.offset + 1} does not fit a 64-bit integer", token.offset)
        return
    if not math.isfinite(float(text)):
        raise FormulaError(f"the number {text} at column {token.offset + 1} does not fit a double", token.offset)


def parse_formula(formula: str) -> list[str]:
    """The metric references of ``formula`` in order of appearance (repeats kept).

    :raises FormulaError: the formula is not valid (message and 0-based offset).
    """
    return _Parser(formula).parse()


def formula_tree(formula: str) -> Node:
    """The syntax tree of ``formula``: ``("number", x)``, ``("metric", name)``, ``("neg", node)`` or
    ``(op, left, right)`` with ``op`` one of ``+ - * /`` (left-associative, ``* /`` before ``+ -``).

    :raises FormulaError: the formula is not valid (as :func:`parse_formula`).
    """
    parser = _Parser(formula)
    parser.parse()
    return parser.tree


def evaluate_formula(tree: Node, value: Callable[[str], float]) -> float:
    """``tree`` computed with ``value(metric name)`` for its metrics. A division by zero gives 0,
    as GA4's own ratio metrics show an empty ratio (docs/ga4-api-facts.md, "Derived metrics")."""
    kind = tree[0]
    if kind == "number":
        return float(tree[1])
    if kind == "metric":
        return float(value(str(tree[1])))
    if kind == "neg":
        return -evaluate_formula(tree[1], value)
    left, right = evaluate_formula(tree[1], value), evaluate_formula(tree[2], value)
    if kind == "+":
        return left + right
    if kind == "-":
        return left - right
    if kind == "*":
        return left * right
    return left / right if right else 0.0


def custom_metric_references(references: list[str]) -> list[str]:
    """The distinct custom metric parameters a formula's references name, in order."""
    return list(dict.fromkeys(r[len(CUSTOM_METRIC_PREFIX):] for r in references if r.startswith(CUSTOM_METRIC_PREFIX)))


def reference_problem(reference: str, custom_metrics: Collection[str]) -> str | None:
    """Why ``reference`` cannot be used in a calculated metric's formula, or None.

    ``custom_metrics``: the parameter names of the custom metrics that exist (or are declared).
    """
    if reference.startswith(CALCULATED_METRIC_PREFIX):
        return (
            f"{reference} is a calculated metric: GA4 does not let a calculated metric use another one; "
            "write its formula in place"
        )
    if reference.startswith(CUSTOM_METRIC_PREFIX):
        parameter = reference[len(CUSTOM_METRIC_PREFIX):]
        if parameter in custom_metrics:
            return None
        close = did_you_mean(parameter, sorted(custom_metrics))
        # Names come from a plan or a property: cut, so a message stays one readable line.
        if close:
            return f"{cut(reference, _SHOWN)} names no custom metric: did you mean {CUSTOM_METRIC_PREFIX}{cut(close, _SHOWN)}?"
        names = sorted(custom_metrics)
        known = ", ".join(cut(n, _SHOWN) for n in names[:_LISTED]) + (
            f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
        )
        return f"{cut(reference, _SHOWN)} names no custom metric; custom metrics: {known or 'none'}"
    schema = ga4_schema()
    if reference in schema.metrics:
        return None
    prefix, sep, event = reference.partition(":")
    if sep:
        if f"{prefix}:" in PER_EVENT_PREFIXES:
            return None
        return (
            f"{reference} is not a metric: a custom metric is {CUSTOM_METRIC_PREFIX}<parameter>, a GA4 metric its "
            f"Data API name (sessions, addToCarts...)"
        )
    if reference in schema.renamed and schema.renamed[reference] in schema.metrics:
        return f"GA4 renamed the metric {reference} to {schema.renamed[reference]}"
    if reference in custom_metrics:
        return f"{reference} is a custom metric: write {CUSTOM_METRIC_PREFIX}{reference}"
    close = did_you_mean(reference, schema.metrics, cutoff=GA4_FIELD_CUTOFF)
    hint = f"; did you mean {close}?" if close else "; metrics are named by their Data API name (sessions, addToCarts...)"
    return f"{reference} is not a GA4 metric{hint}"


def formula_problems(formula: str, custom_metrics: Collection[str]) -> list[tuple[str, int]]:
    """Every problem of ``formula`` as (message, 0-based offset): syntax first, else references."""
    parser = _Parser(formula)
    try:
        references = parser.parse()
    except FormulaError as exc:
        return [(exc.message, exc.offset)]
    problems: list[tuple[str, int]] = []
    seen: set[str] = set()
    for reference, offset in zip(references, parser.offsets):
        if reference in seen:
            continue
        seen.add(reference)
        problem = reference_problem(reference, custom_metrics)
        if problem:
            problems.append((problem, offset))
    custom = custom_metric_references(references)
    if len(custom) > CUSTOM_METRIC_REFERENCES_MAX:
        problems.append(
            (
                f"the formula uses {len(custom)} custom metrics ({', '.join(custom)}); GA4 allows at most "
                f"{CUSTOM_METRIC_REFERENCES_MAX} distinct ones in a calculated metric",
                0,
            )
        )
    return problems


__all__ = [
    "CALCULATED_METRIC_PREFIX",
    "CUSTOM_METRIC_PREFIX",
    "CUSTOM_METRIC_REFERENCES_MAX",
    "FormulaError",
    "Node",
    "custom_metric_references",
    "evaluate_formula",
    "formula_tree",
    "formula_problems",
    "parse_formula",
    "reference_problem",
]
