"""GA4 calculated metrics (Admin API v1alpha ``CalculatedMetric``) in the model's form.

``properties/{p}/calculatedMetrics/{calculated_metric_id}``: the id (GA4's "API name", used as
``calcMetric:{id}`` in reports) is chosen at creation and never changes, so it is the identity.
The formula's syntax and references are :mod:`ga_goals.model.calculated_metric_formula`'s.

This module must not import ``ga_goals.model.resources`` (which imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

#: ``CalculatedMetric.calculated_metric_id``: 1-80 characters of [a-zA-Z0-9_].
CALCULATED_METRIC_ID_PATTERN = r"^[A-Za-z0-9_]{1,80}$"
CALCULATED_METRIC_ID_MAX = 80
#: ``CalculatedMetric.display_name`` and ``description`` maximum lengths.
CALCULATED_METRIC_DISPLAY_NAME_MAX = 82
CALCULATED_METRIC_DESCRIPTION_MAX = 4096


@dataclass(frozen=True)
class CalculatedMetric:
    """``properties/{p}/calculatedMetrics/{id}``. Identity: ``calculated_metric_id`` (immutable).

    ``metric_unit`` is a lower-cased ``CalculatedMetric.MetricUnit`` (the custom metrics' units).
    ``restricted_metric_type`` and ``invalid_metric_reference`` are output only: GA4 derives them
    from the metrics the formula names.
    """

    KIND: ClassVar[str] = "calculated_metric"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ("calculated_metric_id",)

    calculated_metric_id: str
    display_name: str
    formula: str
    metric_unit: str = "standard"
    description: str = ""
    # Output only (actual state):
    restricted_metric_type: tuple[str, ...] = field(default=(), compare=False)
    invalid_metric_reference: bool = field(default=False, compare=False)
    resource_name: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.calculated_metric_id

    @property
    def label(self) -> str:
        return self.calculated_metric_id

    def fields(self) -> dict[str, Any]:
        return {
            "calculated_metric_id": self.calculated_metric_id,
            "display_name": self.display_name,
            "description": self.description,
            "metric_unit": self.metric_unit,
            "formula": self.formula,
        }


__all__ = [
    "CALCULATED_METRIC_DESCRIPTION_MAX",
    "CALCULATED_METRIC_DISPLAY_NAME_MAX",
    "CALCULATED_METRIC_ID_MAX",
    "CALCULATED_METRIC_ID_PATTERN",
    "CalculatedMetric",
]
