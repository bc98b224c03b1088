"""The public API: errors, warnings, ordering, options."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ga_goals.errors import Location, PlanFileError
from ga_goals.model import TrackingPlan
from ga_goals.plan_file import load_plan, load_plans, validate_file


def _write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_load_plan_raises_every_problem_sorted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        property: sandbox
        currency: usd
        conversions:
          macro:
            purchase: {countng: once_per_event, key_event: false}
        funnels:
          f: {steps: [purchse, purchase]}
        """,
    )
    with pytest.raises(PlanFileError) as raised:
        load_plan(path, env={})
    problems = raised.value.problems
    assert [(p.location.line, p.severity) for p in problems] == [
        (2, "error"), (5, "error"), (5, "warning"), (7, "error")
    ]
    assert len(raised.value.errors) == 3
    text = str(raised.value)
    assert text.splitlines()[0].startswith(f"{path}:2:11: currency codes are upper-case")
    assert f"{path}:5:52: warning: macro conversion 'purchase' has key_event: false" in text


def test_warnings_do_not_stop_loading(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        property: sandbox
        conversions:
          macro:
            purchase: {key_event: false}
        """,
    )
    plan = load_plan(path, env={})
    assert isinstance(plan, TrackingPlan)
    [warning] = plan.warnings
    assert warning.severity == "warning"
    assert warning.location == Location(str(path), 4, 27)
    assert plan.desired_state("properties/1").key_events == {}
    assert validate_file(path, env={}) == plan.warnings


def test_broken_yaml_raises_plan_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "property: [sandbox\n")
    with pytest.raises(PlanFileError) as raised:
        load_plan(path)
    [problem] = raised.value.problems
    assert problem.location.line == 2
    with pytest.raises(PlanFileError, match="file not found"):
        load_plans(tmp_path / "missing.yaml", all_environments=True)
    assert validate_file(path) == raised.value.problems


def test_accepts_path_objects_and_strings(tmp_path: Path) -> None:
    path = _write(tmp_path, "property: '42'\n")
    assert load_plan(path).property == load_plan(str(path)).property == "42"


def test_default_env_is_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "property: ${GA_GOALS_TEST_PROPERTY}\n")
    monkeypatch.setenv("GA_GOALS_TEST_PROPERTY", "777")
    assert load_plan(path).property == "777"
    monkeypatch.delenv("GA_GOALS_TEST_PROPERTY")
    with pytest.raises(PlanFileError, match="GA_GOALS_TEST_PROPERTY is not set"):
        load_plan(path)


def test_problems_at_unresolved_values_are_not_repeated(tmp_path: Path) -> None:
    path = _write(tmp_path, "property: ${MISSING}\ncurrency: ${ALSO_MISSING}\n")
    problems = validate_file(path, env={})
    assert [p.message.split()[2] for p in problems] == ["MISSING", "ALSO_MISSING"]


def test_duplicated_environment_request_loads_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "property: sandbox\nenvironments:\n  a: {property: '1'}\n")
    assert [p.environment for p in load_plans(path, ["a", "a"], env={})] == ["a"]


def test_structure_problems_of_any_environment_fail_every_load(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        property: sandbox
        environments:
          a: {property: '1', overrides: {events: {x: {stge: home}}}}
          b: {property: '2'}
        """,
    )
    with pytest.raises(PlanFileError, match="unknown key 'stge' in event 'x'; did you mean 'stage'"):
        load_plan(path, "b", env={})


def test_rule_problems_only_of_the_loaded_environment(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        property: sandbox
        environments:
          a: {property: '1', overrides: {events: {bad-name: {}}}}
          b: {property: '2'}
        """,
    )
    assert load_plan(path, "b", env={}).property == "2"
    with pytest.raises(PlanFileError, match="event name 'bad-name' contains '-'"):
        load_plan(path, "a", env={})
