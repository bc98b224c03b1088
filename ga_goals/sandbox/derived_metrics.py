"""Derived metrics on the sandbox's Data API: ``Metric.expression`` and ``calcMetric:<id>``.

GA4 (docs/ga4-api-facts.md, "Derived metrics, calculated metrics and comparisons in reports"):

* a request metric with an ``expression`` (``eventCount/totalUsers``) is a derived metric; its
  ``name`` is the caller's choice (``[A-Za-z0-9_]``), used in the response header and by
  ``metricFilter`` and ``orderBys``; an ``invisible`` metric gives no column but can be used there
  and in expressions;
* ``calcMetric:<calculated_metric_id>`` is one of the property's calculated metrics (Admin API
  v1alpha, :mod:`ga_goals.sandbox.admin_calculated_metrics`): its formula over GA4 and custom
  metrics, its type from its ``metric_unit``; GetMetadata lists it with its formula as
  ``expression``.

Both are computed the same way: the metrics the formula names are queried like any other (the
SQL of :mod:`ga_goals.sandbox.reporting`), and the formula is applied to each row's (and each
total's) values, so a ratio is the ratio of the row's aggregates, as GA4 computes them. The
formula language is the calculated metrics' one (:mod:`ga_goals.model.calculated_metric_formula`:
``+ - * /``, unary minus, parentheses, numbers); a division by zero gives 0.

A formula that does not parse, or names a field GA4 does not have, is INVALID_ARGUMENT; a metric
GA4 has that the sandbox does not compute is UNIMPLEMENTED naming it (and the calculated metric).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.analytics import data_v1beta as beta

from ga_goals.model.calculated_metric_formula import (
    CALCULATED_METRIC_PREFIX,
    FormulaError,
    Node,
    evaluate_formula,
    formula_tree,
    parse_formula,
)
from ga_goals.sandbox.admin import SandboxError, invalid
from ga_goals.sandbox.reporting import UNIT_TYPES, Catalogue, Metric

#: A name the caller gives an expression metric (GA4: "must match ^[a-zA-Z0-9_]$", i.e. letters,
#: digits and underscores).
_METRIC_NAME = re.compile(r"[A-Za-z0-9_]+")



@dataclass(frozen=True)
class DerivedMetric(Metric):
    """A metric computed from other metrics by a formula (``sql`` is unused)."""

    formula: str = ""
    tree: Node = ("number", 0.0)
    #: The queried metrics the formula reads (by api name).
    bases: tuple[Metric, ...] = ()
    #: Calculated metrics the formula names (an expression may use ``calcMetric:<id>``).
    nested: tuple[DerivedMetric, ...] = ()

    def value(self, values: Mapping[str, float]) -> float:
        """The formula over ``values`` (the base metrics' values by api name)."""
        inner = {m.api_name: m for m in self.nested}

        def lookup(name: str) -> float:
            found = inner.get(name)
            return found.value(values) if found is not None else values[name]

        return evaluate_formula(self.tree, lookup)


def _state_calculated(state: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {str(c.get("calculated_metric_id")): c for c in (state or {}).get("calculated_metrics", [])}


def calculated_metric(
    name: str, catalogue: Catalogue, state: dict[str, Any] | None, where: str = ""
) -> DerivedMetric:
    """``calcMetric:<id>`` of the property: INVALID_ARGUMENT when it has no such calculated metric,
    UNIMPLEMENTED (naming both) when its formula names a metric the sandbox does not compute."""
    metric_id = name[len(CALCULATED_METRIC_PREFIX):]
    found = _state_calculated(state).get(metric_id)
    if found is None:
        known = ", ".join(f"{CALCULATED_METRIC_PREFIX}{k}" for k in sorted(_state_calculated(state))) or "none"
        raise invalid(
            f"Field {name} is not a valid metric{where}: the property has no calculated metric {metric_id!r} "
            f"(its calculated metrics: {known}; create one with the Admin API or the plan's calculated_metrics)."
        )
    formula = str(found.get("formula") or "")
    try:
        tree = formula_tree(formula)
        references = parse_formula(formula)
    except FormulaError as exc:  # the Admin API refuses these; a hand-edited state may hold one
        raise invalid(f"{name}{where}: its formula {formula!r} is invalid: {exc.message}") from None
    bases: list[Metric] = []
    for reference in dict.fromkeys(references):
        if reference.startswith(CALCULATED_METRIC_PREFIX):
            raise invalid(f"{name}{where}: its formula names {reference}; a calculated metric cannot use another one")
        try:
            bases.append(catalogue.metric(reference))
        except SandboxError as exc:
            raise SandboxError(exc.code, f"{name} ({formula}){where}: {exc.message}") from None
    unit = str(found.get("metric_unit") or "STANDARD")
    return DerivedMetric(
        name,
        str(found.get("display_name") or metric_id),
        "Custom",
        str(found.get("description") or ""),
        UNIT_TYPES.get(unit, "TYPE_STANDARD"),
        "",
        integer=False,
        custom=True,
        item=bool(bases) and all(b.item for b in bases),
        formula=formula,
        tree=tree,
        bases=tuple(bases),
    )


def calculated_metrics(catalogue: Catalogue, state: dict[str, Any] | None) -> list[DerivedMetric]:
    """The property's calculated metrics the sandbox computes (GetMetadata lists these)."""
    out = []
    for metric_id in _state_calculated(state):
        try:
            out.append(calculated_metric(f"{CALCULATED_METRIC_PREFIX}{metric_id}", catalogue, state))
        except SandboxError:
            continue  # names a metric the sandbox does not compute: not listed, UNIMPLEMENTED if asked
    return out


def calculated_metrics_metadata(catalogue: Catalogue, state: dict[str, Any] | None) -> list[beta.MetricMetadata]:
    """GetMetadata's entries for the property's calculated metrics: ``calcMetric:<id>``, the display
    name, the type of its unit, its formula as ``expression`` ("can be used in Metric's expression
    field for equivalent reports"), a custom definition."""
    return [
        beta.MetricMetadata(
            api_name=m.api_name,
            ui_name=m.ui_name,
            description=m.description,
            type_=getattr(beta.MetricType, m.type_),
            expression=m.formula,
            category=m.category,
            custom_definition=True,
        )
        for m in calculated_metrics(catalogue, state)
    ]


def expression_metric(
    name: str, expression: str, catalogue: Catalogue, state: dict[str, Any] | None, where: str
) -> DerivedMetric:
    """The request metric ``name`` = ``expression`` (``where``: ``metrics[2]``)."""
    if not _METRIC_NAME.fullmatch(name or ""):
        raise invalid(
            f"{where}.name {name!r} is invalid: a metric with an expression needs a name of letters, digits "
            "and underscores (e.g. eventsPerUser)"
        )
    try:
        tree = formula_tree(expression)
        references = parse_formula(expression)
    except FormulaError as exc:
        raise invalid(
            f"{where}.expression {expression!r} is invalid at column {exc.offset + 1}: {exc.message}"
        ) from None
    bases: list[Metric] = []
    nested: list[DerivedMetric] = []
    for reference in dict.fromkeys(references):
        if reference == name:
            raise invalid(f"{where}.expression {expression!r} names the metric itself ({name})")
        if reference.startswith(CALCULATED_METRIC_PREFIX):
            calc = calculated_metric(reference, catalogue, state, f" ({where}.expression)")
            nested.append(calc)
            bases.extend(calc.bases)
            continue
        try:
            bases.append(catalogue.metric(reference, where=f" ({where}.expression)"))
        except SandboxError as exc:
            raise SandboxError(exc.code, f"{where} ({name} = {expression}): {exc.message}") from None
    return DerivedMetric(
        name,
        name,
        "Expression",
        expression,
        "TYPE_FLOAT",
        "",
        integer=False,
        item=bool(bases) and all(b.item for b in bases),
        formula=expression,
        tree=tree,
        bases=tuple(dict.fromkeys(bases)),
        nested=tuple(nested),
    )


def request_metric(
    metric: Any, catalogue: Catalogue, state: dict[str, Any] | None, where: str, named: Sequence[Metric] = ()
) -> Metric:
    """A request's ``Metric`` message as the metric to compute: an expression, a calculated metric or
    a catalogue metric (``named``: the request's metrics before it, which an expression may not
    name when they are expressions themselves)."""
    if metric.expression:
        try:
            references = parse_formula(metric.expression)
        except FormulaError:
            references = []  # expression_metric says what is wrong
        for reference in references:
            for other in named:
                if isinstance(other, DerivedMetric) and other.api_name == reference and other.category == "Expression":
                    raise invalid(
                        f"{where}.expression names {reference}, another expression metric of the request; write "
                        "its expression in place"
                    )
        return expression_metric(metric.name, metric.expression, catalogue, state, where)
    return lookup_metric(metric.name, catalogue, state)


def lookup_metric(name: str, catalogue: Catalogue, state: dict[str, Any] | None, *, where: str = "") -> Metric:
    """The metric ``name`` (``calcMetric:<id>`` or a catalogue metric)."""
    if name.startswith(CALCULATED_METRIC_PREFIX):
        return calculated_metric(name, catalogue, state, where)
    return catalogue.metric(name, where=where)


def metric_columns(metrics: Sequence[Metric]) -> list[Metric]:
    """The metrics to query for ``metrics``: each plain one, and the bases of derived ones, once."""
    out: dict[str, Metric] = {}
    for m in metrics:
        for base in m.bases if isinstance(m, DerivedMetric) else (m,):
            out.setdefault(base.api_name, base)
    return list(out.values())


def metric_values(metrics: Sequence[Metric], columns: Sequence[Metric], numbers: Sequence[float]) -> tuple[float, ...]:
    """The values of ``metrics`` from one row of ``columns`` (:func:`metric_columns`)."""
    by_name = {c.api_name: x for c, x in zip(columns, numbers)}
    return tuple(m.value(by_name) if isinstance(m, DerivedMetric) else by_name[m.api_name] for m in metrics)


__all__ = [
    "DerivedMetric",
    "calculated_metric",
    "calculated_metrics",
    "calculated_metrics_metadata",
    "expression_metric",
    "lookup_metric",
    "metric_columns",
    "metric_values",
    "request_metric",
]
