"""Data-driven planner cases: ``cases/<case>/{desired,actual,safety?,expected}.json``.

``desired.json`` and ``actual.json`` are ``PropertyState`` data (``ga_goals.changes.serialize``);
``safety.json`` is the plan file's ``safety:`` block; ``expected.json`` holds the changes (as
``Change.to_json()`` gives them, in plan order) and notes, or ``error``: a substring of the
expected error message plus its class name. ``UPDATE_CASES=1 pytest tests/changes`` rewrites
the expected files from the current output (keeping their ``description``): review the diff.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from ga_goals.changes import Plan, compute_plan, state_from_json
from ga_goals.changes.diff import COLLECTIONS
from ga_goals.errors import GaGoalsError
from ga_goals.model import EventCreateRule, EventEditRule, EventEditRuleOrder, PropertyState, Safety
from tests.conftest import updating_goldens, write_golden

CASES = Path(__file__).parent / "cases"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _safety(case: Path) -> Safety:
    path = case / "safety.json"
    if not path.exists():
        return Safety()
    data = _load(path)
    return Safety(
        protect=tuple(data.get("protect", ())),
        max_destroy=data.get("max_destroy", Safety().max_destroy),
        unmanaged=data.get("unmanaged", "ignore"),
    )


def _run(case: Path) -> dict[str, Any]:
    desired = state_from_json(_load(case / "desired.json"))
    actual = state_from_json(_load(case / "actual.json"))
    try:
        plan = compute_plan(desired, actual, safety=_safety(case), source=f"{case.name}.yaml")
    except GaGoalsError as exc:
        return {"error": {"type": type(exc).__name__, "message": str(exc)}}
    return {"changes": [c.to_json() for c in plan.changes], "notes": [n.to_json() for n in plan.notes]}


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_case(case: Path) -> None:
    got = _run(case)
    expected_path = case / "expected.json"
    expected = _load(expected_path) if expected_path.exists() else {}
    if updating_goldens():  # rewrite, then assert like any run (update mode is no free pass)
        data = {"description": expected.get("description", "")} | got
        write_golden(expected_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        expected = _load(expected_path)
    assert expected, f"{expected_path} is missing: run with UPDATE_CASES=1 and review it"
    if "error" in expected:
        assert "error" in got, f"expected {expected['error']['type']}, got a plan: {got}"
        assert got["error"]["type"] == expected["error"]["type"]
        assert expected["error"]["message"] in got["error"]["message"]
        return
    assert got.get("error") is None, got["error"]
    assert got["changes"] == expected["changes"]
    assert got["notes"] == expected["notes"]


def _cases_with_plans() -> list[tuple[Path, Any, Any, Any]]:
    out = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        desired = state_from_json(_load(case / "desired.json"))
        actual = state_from_json(_load(case / "actual.json"))
        try:
            plan = compute_plan(desired, actual, safety=_safety(case))
        except GaGoalsError:
            continue
        out.append((case, desired, actual, plan))
    return out


def test_planning_is_deterministic() -> None:
    """Planning the same states again gives the same plan, checksum included."""
    for case, _, _, first in _cases_with_plans():
        second = compute_plan(
            state_from_json(_load(case / "desired.json")),
            state_from_json(_load(case / "actual.json")),
            safety=_safety(case),
        )
        assert first.to_json() == second.to_json(), case.name


def _apply(actual: PropertyState, plan: Plan) -> PropertyState:
    """What GA4 would hold after the plan: a stand-in for ga_goals.ga4, for idempotence."""
    state = copy.deepcopy(actual)
    for n, change in enumerate(plan.changes):
        collection = getattr(state, COLLECTIONS[change.kind])
        if isinstance(change.desired, EventEditRuleOrder):  # ReorderEventEditRules
            rules = {r.label: r for r in state.edit_rule_order(change.desired.stream)}
            for place, label in enumerate(change.desired.order, start=1):
                collection[rules[label].key] = dataclasses.replace(rules[label], processing_order=place)
            continue
        if change.existing is not None:
            del collection[change.existing.key]
        if change.desired is not None:
            new = dataclasses.replace(change.desired, resource_name=f"new/{n}")
            if isinstance(new, EventCreateRule):  # GA4 numbers rules in list order
                taken = [k[2] for k in collection if k[:2] == new.key[:2]]
                new = dataclasses.replace(new, index=max(taken, default=-1) + 1)
            if isinstance(new, EventEditRule):  # an update keeps its place; GA4 appends a new rule
                last = max((r.processing_order for r in state.event_edit_rules.values()), default=0)
                place = change.existing.processing_order if isinstance(change.existing, EventEditRule) else last + 1
                new = dataclasses.replace(new, processing_order=place)
            state.add(new)
    return state


def test_applying_a_plan_then_planning_again_changes_nothing() -> None:
    """Idempotence: after the plan is applied the same desired state plans no changes."""
    for case, desired, actual, plan in _cases_with_plans():
        if _safety(case).protect:
            continue  # protected changes are dropped on purpose
        again = compute_plan(desired, _apply(actual, plan), safety=_safety(case))
        assert again.changes == [], f"{case.name}: {[c.describe() for c in again.changes]}"
