"""The sandbox's rules for calculated metrics (Admin API v1alpha ``CalculatedMetric``).

What GA4 checks and derives (docs/ga4-api-facts.md, "Calculated metrics"), on the plain dicts of
:class:`~ga_goals.sandbox.admin.AdminBackend`:

* the id (``CreateCalculatedMetricRequest.calculated_metric_id``, 1-80 of [A-Za-z0-9_]) names the
  resource and is unique in the property; it is output only in the message;
* ``display_name`` (required, at most 82 characters) is unique across calculated and custom
  metrics; ``description`` at most 4096; ``metric_unit`` required;
* ``formula`` (required) parses (+ - * / parentheses, numbers), names only GA4 metrics and the
  property's custom metrics (``customEvent:<parameter>``, at most 5), never a calculated metric;
* output only: ``restricted_metric_type`` (cost / revenue data the formula's metrics carry) and
  ``invalid_metric_reference`` (a custom metric it names was archived since).

The formula rules are the model's (:mod:`ga_goals.model.calculated_metric_formula`): the plan's
offline check and the sandbox cannot disagree.
"""

from __future__ import annotations

import re
from typing import Any

from ga_goals.model.calculated_metric_formula import (
    CUSTOM_METRIC_PREFIX,
    FormulaError,
    custom_metric_references,
    formula_problems,
    parse_formula,
)
from ga_goals.model.calculated_metrics import (
    CALCULATED_METRIC_DESCRIPTION_MAX,
    CALCULATED_METRIC_DISPLAY_NAME_MAX,
    CALCULATED_METRIC_ID_PATTERN,
)

METRIC_UNITS = (
    "STANDARD",
    "CURRENCY",
    "FEET",
    "MILES",
    "METERS",
    "KILOMETERS",
    "MILLISECONDS",
    "SECONDS",
    "MINUTES",
    "HOURS",
)
_ID = re.compile(CALCULATED_METRIC_ID_PATTERN)


def _custom_metrics(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The property's active custom metrics by parameter name."""
    return {m["parameter_name"]: m for m in state.get("custom_metrics", []) if not m.get("_archived")}


def id_problem(metric_id: str) -> str | None:
    """Why ``metric_id`` cannot be a calculated metric id, or None."""
    if not metric_id:
        return "calculated_metric_id is required: 1-80 letters, digits and underscores"
    if not _ID.match(metric_id):
        return (
            f"calculated_metric_id {metric_id!r} is invalid: use 1-80 characters of [a-zA-Z0-9_], no spaces "
            "(it becomes calcMetric:<id> in reports)"
        )
    return None


def validate(r: dict[str, Any], p: str, state: dict[str, Any]) -> str | None:
    """The first problem of calculated metric ``r`` (fields prefixed with ``p``), or None."""
    if not r["display_name"]:
        return f"{p}.display_name is required"
    if len(r["display_name"]) > CALCULATED_METRIC_DISPLAY_NAME_MAX:
        return (
            f"{p}.display_name is {len(r['display_name'])} characters long; the maximum is "
            f"{CALCULATED_METRIC_DISPLAY_NAME_MAX}"
        )
    if len(r["description"]) > CALCULATED_METRIC_DESCRIPTION_MAX:
        return f"{p}.description is {len(r['description'])} characters long; the maximum is {CALCULATED_METRIC_DESCRIPTION_MAX}"
    unit = r["metric_unit"]
    if unit not in METRIC_UNITS:
        if unit in (None, "", 0, "METRIC_UNIT_UNSPECIFIED"):
            return f"{p}.metric_unit is required; use one of: {', '.join(METRIC_UNITS)}"
        return f"{p}.metric_unit has an invalid value {unit!r}; use one of: {', '.join(METRIC_UNITS)}"
    if not r["formula"]:
        return f"{p}.formula is required, e.g. addToCarts / sessions"
    problems = formula_problems(r["formula"], _custom_metrics(state))
    if problems:
        message, offset = problems[0]
        return f"{p}.formula {r['formula']!r} is invalid at column {offset + 1}: {message}"
    return None


def conflict(r: dict[str, Any], metric_id: str, state: dict[str, Any]) -> str | None:
    """An ALREADY_EXISTS message when the id, or the display name, is taken; else None.

    ``metric_id`` is the new metric's id ("" for an update, which keeps its own)."""
    for other in state.get("calculated_metrics", []):
        if metric_id and other["calculated_metric_id"] == metric_id:
            return f"A calculated metric with id {metric_id!r} already exists: {other['name']}"
        if other["display_name"] == r["display_name"] and other["calculated_metric_id"] != (
            metric_id or r.get("calculated_metric_id")
        ):
            return (
                f"A calculated metric named {r['display_name']!r} already exists ({other['name']}); display names "
                "are unique across calculated and custom metrics"
            )
    for metric in _custom_metrics(state).values():
        if metric["display_name"] == r["display_name"]:
            return (
                f"The custom metric {metric['name']} is named {r['display_name']!r}; display names are unique "
                "across calculated and custom metrics"
            )
    return None


def derive(r: dict[str, Any], state: dict[str, Any]) -> None:
    """Set the output-only fields GA4 derives from the formula (in place)."""
    try:
        references = parse_formula(r.get("formula", ""))
    except FormulaError:
        references = []
    customs = _custom_metrics(state)
    restricted: set[str] = set()
    invalid = False
    for parameter in custom_metric_references(references):
        metric = customs.get(parameter)
        if metric is None:
            invalid = True
        else:
            restricted.update(metric.get("restricted_metric_type") or ())
    for reference in references:
        if reference.startswith(CUSTOM_METRIC_PREFIX):
            continue
        lowered = reference.lower()
        # GA4's revenue and cost metrics (purchaseRevenue, itemRevenue, advertiserAdCost...).
        if "revenue" in lowered or "ltv" in lowered:
            restricted.add("REVENUE_DATA")
        if "cost" in lowered or "roas" in lowered or "returnonadspend" in lowered:
            restricted.add("COST_DATA")
    r["restricted_metric_type"] = sorted(restricted)
    r["invalid_metric_reference"] = invalid


__all__ = ["METRIC_UNITS", "conflict", "derive", "id_problem", "validate"]
