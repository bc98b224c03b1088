"""GA4's published Data API schema (``ga4_schema.json``): every dimension and metric by API name.

The list is transcribed from the API schema page (its source and the day it was read are in
the file). It lives in the model layer because the plan's own rules need it (a calculated
metric's formula may only name metrics GA4 has); the sandbox reads the same list
(:mod:`ga_goals.sandbox.ga4_schema`) to tell a field it does not compute from one GA4 lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Field:
    """One GA4 dimension or metric: API name, UI name, category (and metric type)."""

    api_name: str
    ui_name: str
    category: str
    type_: str = ""  # metrics: a MetricType name


@dataclass(frozen=True)
class Schema:
    """GA4's published schema: dimensions and metrics by API name, former names, source and date."""

    dimensions: dict[str, Field]
    metrics: dict[str, Field]
    renamed: dict[str, str]
    source: str
    retrieved: str


@cache
def ga4_schema() -> Schema:
    """The schema in ``ga4_schema.json`` (read once)."""
    data: dict[str, Any] = json.loads(resources.files("ga_goals.model").joinpath("ga4_schema.json").read_text("utf-8"))
    return Schema(
        dimensions={api: Field(api, ui, category) for api, ui, category in data["dimensions"]},
        metrics={api: Field(api, ui, category, type_) for api, ui, category, type_ in data["metrics"]},
        renamed=dict(data["renamed"]),
        source=str(data["source"]),
        retrieved=str(data["retrieved"]),
    )


__all__ = ["Field", "Schema", "ga4_schema"]
