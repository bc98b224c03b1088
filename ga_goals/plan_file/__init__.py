"""Tracking plan files: load, check and build them.

A plan file is YAML (format: docs/plan-file.md). Loading keeps the line and column of every
key and value, replaces ``${VAR}`` / ``${VAR:-default}``, merges an environment's overrides,
checks the structure against the JSON Schema (``plan_schema()``) and GA4's rules (names,
reserved names, lengths, limits per tier, references between sections), and builds the
``ga_goals.model`` objects. Every problem is found at once, each with its location (at most
``api.MAX_PROBLEMS`` are reported, then one that counts the rest; docs/plan-rules.md).

Public API::

    load_plan(path, environment=None, *, env=None, tier=None) -> TrackingPlan
    load_plans(path, environments=None, *, all_environments=False, env=None, tier=None) -> list[TrackingPlan]
    validate_file(path, *, env=None, tier=None) -> list[Problem]
    plan_schema() -> dict

``TrackingPlan.warnings`` lists the warnings. Loading raises
``ga_goals.errors.PlanFileError`` (with every error and warning) when there is any error.

Importing this package is cheap: ``jsonschema`` is imported only when a file is checked, and
nothing here imports the Google clients.
"""

from ga_goals.plan_file.api import load_plan, load_plans, validate_file
from ga_goals.plan_file.schema import plan_schema

__all__ = ["load_plan", "load_plans", "plan_schema", "validate_file"]
