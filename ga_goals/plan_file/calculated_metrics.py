"""``calculated_metrics:`` in a plan file: its JSON Schema, its GA4 rules, its model objects.

::

    calculated_metrics:
      add_to_cart_rate:                 # the id ("API name"): 1-80 of [A-Za-z0-9_], never changes
        display_name: Add to cart rate  # at most 82 characters
        formula: addToCarts / sessions  # GA4 metrics, customEvent:<parameter>, numbers, + - * / ( )
        unit: standard                  # the custom metrics' units
        description: ...                # at most 4096 characters

The rules (:func:`check`) are GA4's, checked offline with the plan file's line: the id's shape,
the lengths, the formula's syntax, that every metric it names exists (a GA4 metric, or a custom
metric the plan declares, with a did-you-mean), at most 5 custom metrics, no calculated metric
inside another, names unique across calculated and custom metrics, and the count per tier.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ga_goals.model import MEASUREMENT_UNITS, CalculatedMetric
from ga_goals.model.calculated_metric_formula import formula_problems
from ga_goals.model.calculated_metrics import (
    CALCULATED_METRIC_DESCRIPTION_MAX,
    CALCULATED_METRIC_DISPLAY_NAME_MAX,
    CALCULATED_METRIC_ID_MAX,
    CALCULATED_METRIC_ID_PATTERN,
)
from ga_goals.plan_file.document import Path
from ga_goals.plan_file.wording import printable, quote

if TYPE_CHECKING:
    from ga_goals.plan_file.rules import _Checker

KEY = "calculated_metrics"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def schema_defs(rules_comment: str) -> dict[str, Any]:
    """The ``$defs`` entries of the plan schema for calculated metrics."""
    return {
        "calculatedMetricId": {
            "type": "string",
            "title": "Calculated metric id",
            "description": "GA4's API name of the metric (calcMetric:<id> in reports): 1 to "
            f"{CALCULATED_METRIC_ID_MAX} letters, digits and _. It cannot be changed later.",
            "pattern": CALCULATED_METRIC_ID_PATTERN,
            "$comment": rules_comment,
            "examples": ["add_to_cart_rate"],
        },
        "calculatedMetric": {
            "type": "object",
            "title": "Calculated metric",
            "description": "A metric GA4 computes from others with a formula; its key is its id.",
            "properties": {
                "display_name": {
                    "type": "string",
                    "title": "Display name",
                    "description": f"Shown in GA4: at most {CALCULATED_METRIC_DISPLAY_NAME_MAX} characters, unique "
                    "across calculated and custom metrics.",
                    "maxLength": CALCULATED_METRIC_DISPLAY_NAME_MAX,
                    "$comment": rules_comment,
                    "examples": ["Add to cart rate"],
                },
                "formula": {
                    "type": "string",
                    "title": "Formula",
                    "description": "GA4 metrics by their Data API name (sessions, addToCarts), custom metrics as "
                    "customEvent:<parameter> (at most 5), numbers, + - * / and parentheses.",
                    "examples": ["addToCarts / sessions", "customEvent:cart_value / keyEvents"],
                },
                "unit": {
                    "enum": list(MEASUREMENT_UNITS),
                    "default": "standard",
                    "title": "Unit",
                    "description": "How GA4 shows the value.",
                },
                "description": {
                    "type": "string",
                    "title": "Description",
                    "description": f"At most {CALCULATED_METRIC_DESCRIPTION_MAX} characters.",
                    "maxLength": CALCULATED_METRIC_DESCRIPTION_MAX,
                    "$comment": rules_comment,
                },
            },
            "required": ["display_name", "formula"],
            "additionalProperties": False,
            "examples": [{"display_name": "Add to cart rate", "formula": "addToCarts / sessions"}],
        },
    }


def schema_property(ref: Any) -> dict[str, Any]:
    """The top-level ``calculated_metrics`` entry of the plan schema (``ref`` builds a $ref)."""
    return {
        "type": "object",
        "title": "Calculated metrics",
        "description": "Keyed by id (GA4's API name). GA4 allows 5 on a standard property, 50 on 360.",
        "examples": [{"add_to_cart_rate": {"display_name": "Add to cart rate", "formula": "addToCarts / sessions"}}],
        "propertyNames": ref("calculatedMetricId"),
        "additionalProperties": ref("calculatedMetric"),
    }


def check(checker: _Checker) -> None:
    """Every GA4 rule on the plan's calculated metrics (errors located at the plan's lines)."""
    metrics = checker.data.get(KEY)
    if not isinstance(metrics, dict):
        return
    custom = checker.data.get("custom_metrics")
    custom = custom if isinstance(custom, dict) else {}
    custom_names = {
        spec["display_name"]: key
        for key, spec in custom.items()
        if isinstance(spec, dict) and isinstance(spec.get("display_name"), str)
    }
    seen_names: dict[str, str] = {}
    paths: list[Path] = []
    for metric_id, spec in metrics.items():
        path: Path = (KEY, metric_id)
        paths.append(path)
        if not isinstance(spec, dict):
            continue
        _check_id(checker, path, metric_id, custom)
        name = spec.get("display_name")
        if isinstance(name, str):
            _check_name(checker, path, metric_id, name, custom_names, seen_names)
        text = spec.get("description")
        if isinstance(text, str) and len(text) > CALCULATED_METRIC_DESCRIPTION_MAX:
            checker.error(
                checker.at(path + ("description",)),
                f"the description is {len(text):,} characters long; GA4 allows {CALCULATED_METRIC_DESCRIPTION_MAX:,}",
            )
        formula = spec.get("formula")
        if isinstance(formula, str):
            # Only names a formula could spell (others are reported as custom metric keys): messages
            # list them, and a key may hold anything.
            for message, offset in formula_problems(formula, {k for k in custom if _NAME.match(k)}):
                column = "" if "column" in message else f" (column {offset + 1})"
                checker.error(
                    checker.at(path + ("formula",)),
                    f"calculated metric {quote(metric_id)}, formula {quote(formula)}{column}: {message}",
                )
    checker.limit("calculated metrics", "calculated_metrics", paths, "remove the ones you report on least")


def _check_id(checker: _Checker, path: Path, metric_id: str, custom: dict[str, Any]) -> None:
    if not re.match(CALCULATED_METRIC_ID_PATTERN, metric_id):
        bad = next((c for c in metric_id if not (c.isascii() and (c.isalnum() or c == "_"))), None)
        why = (
            f"is {len(metric_id)} characters long; GA4 allows {CALCULATED_METRIC_ID_MAX}"
            if bad is None and metric_id
            else f"contains {printable(repr(bad))}; use letters, digits and _ only"
            if bad is not None
            else "is empty"
        )
        checker.error(checker.key(path), f"calculated metric id {quote(metric_id)} {why} (it becomes calcMetric:<id>)")
    elif metric_id in custom:
        checker.error(
            checker.key(path),
            f"calculated metric id {quote(metric_id)} is also a custom metric of this plan; GA4 wants API names "
            "unique across calculated and custom metrics: rename the calculated metric",
        )


def _check_name(
    checker: _Checker,
    path: Path,
    metric_id: str,
    name: str,
    custom_names: dict[str, str],
    seen: dict[str, str],
) -> None:
    where = checker.at(path + ("display_name",))
    if not name.strip():
        checker.error(where, f"calculated metric {quote(metric_id)} needs a display name")
    elif len(name) > CALCULATED_METRIC_DISPLAY_NAME_MAX:
        checker.error(
            where, f"the display name is {len(name)} characters long; GA4 allows {CALCULATED_METRIC_DISPLAY_NAME_MAX}"
        )
    if name in custom_names:
        checker.error(
            where,
            f"display name {quote(name)} is used by custom metric {quote(custom_names[name])} too; GA4 wants names "
            "unique across calculated and custom metrics",
        )
    elif name in seen:
        line = checker.key((KEY, seen[name])).line
        checker.error(
            where, f"display name {quote(name)} is used by calculated metric {quote(seen[name])} too (line {line}); "
            "GA4 wants names unique across calculated and custom metrics",
        )
    else:
        seen[name] = metric_id


def build(data: dict[str, Any]) -> dict[str, CalculatedMetric]:
    """The plan's calculated metrics (``data`` has passed every check)."""
    return {
        metric_id: CalculatedMetric(
            calculated_metric_id=metric_id,
            display_name=spec["display_name"],
            formula=spec["formula"],
            metric_unit=spec.get("unit", "standard"),
            description=spec.get("description", ""),
        )
        for metric_id, spec in (data.get(KEY) or {}).items()
    }


def to_plan(metric: CalculatedMetric) -> dict[str, Any]:
    """One calculated metric as ``pull`` writes it (every managed field spelled out)."""
    entry: dict[str, Any] = {"display_name": metric.display_name, "formula": metric.formula, "unit": metric.metric_unit}
    if metric.description:
        entry["description"] = metric.description
    return entry


__all__ = ["KEY", "build", "check", "schema_defs", "schema_property", "to_plan"]
