"""The published JSON Schema, and the example plans in configs/."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ga_goals.plan_file import load_plans, plan_schema, validate_file
from ga_goals.plan_file.document import read_document

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "ga_goals" / "schema" / "plan.schema.json"
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


def test_schema_file_is_plan_schema() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == plan_schema(), (
        "regenerate it: ga-goals schema -o ga_goals/schema/plan.schema.json"
    )


def test_schema_is_a_valid_2020_12_schema() -> None:
    schema = plan_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_plan_schema_returns_a_copy() -> None:
    plan_schema()["properties"].clear()
    assert "conversions" in plan_schema()["properties"]


def test_every_definition_is_documented_for_editors() -> None:
    schema = plan_schema()
    for name, definition in schema["$defs"].items():
        assert "title" in definition or "description" in definition, name
    for name, prop in schema["properties"].items():
        target = schema["$defs"][prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else prop
        assert {"title", "description"} & (set(prop) | set(target)), name


def test_examples_in_the_schema_are_valid() -> None:
    from jsonschema import Draft202012Validator

    schema = plan_schema()
    for name, definition in schema["$defs"].items():
        for example in definition.get("examples", []):
            validator = Draft202012Validator({**definition, "$defs": schema["$defs"]})
            assert not list(validator.iter_errors(example)), (name, example)


def test_there_are_two_example_plans() -> None:
    assert {p.name for p in CONFIGS} >= {"shop.yaml", "leadgen.yaml"}


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_example_plan_is_clean(path: Path) -> None:
    assert validate_file(path, env={}) == []


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_example_plan_loads_in_every_environment(path: Path) -> None:
    plans = load_plans(path, all_environments=True, env={})
    assert len(plans) >= 2
    for plan in plans + load_plans(path, env={}):
        assert plan.warnings == []
        assert plan.macro and plan.micro and plan.funnels
        assert plan.reports or plan.environment  # an environment may drop reports
        assert plan.custom_dimensions and plan.custom_metrics
        state = plan.desired_state("properties/1")
        assert 0 < len(state.key_events) <= 30
        assert len(state.event_create_rules) <= 50


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_example_plan_validates_against_the_schema_with_jsonschema(path: Path) -> None:
    doc, problems = read_document(str(path))
    assert problems == []
    # after ${VAR:-default} substitution, with the defaults
    from ga_goals.plan_file.variables import substitute

    assert substitute(doc, {}).problems == []
    jsonschema.validate(doc.data, plan_schema(), cls=jsonschema.Draft202012Validator)


def test_the_leadgen_plan_has_two_rules_for_one_event() -> None:
    [plan] = load_plans(ROOT / "configs" / "leadgen.yaml", env={})
    rules = plan.conversions["generate_lead"].created_from
    assert [r.index for r in rules] == [0, 1]
    assert plan.stages == ("landing", "content", "pricing", "form")


def test_environment_variables_reach_the_example_plans() -> None:
    [staging] = load_plans(ROOT / "configs" / "shop.yaml", ["staging"], env={"GA4_STAGING_PROPERTY": "555"})
    assert staging.property == "555"
    assert "weekly" not in staging.reports


def test_the_example_in_the_plan_file_reference_is_valid(tmp_path: Path) -> None:
    import re

    text = (ROOT / "docs" / "plan-file.md").read_text()
    reference = text[text.index("## Plan file reference"):]
    example = re.search(r"```yaml\n(.*?)```", reference, re.S)
    assert example
    path = tmp_path / "example.yaml"
    path.write_text(example.group(1))
    assert validate_file(path, env={"GA4_STAGING_PROPERTY": "42"}) == []
    assert [p.message.split()[2] for p in validate_file(path, env={})] == ["GA4_STAGING_PROPERTY"]


# --------------------------------------------------------------------------- the file as written


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_the_example_plan_as_written_is_valid_against_the_published_schema(path: Path) -> None:
    """What an editor pointed at the schema sees: the raw file, ${VAR} references and all."""
    doc, _ = read_document(str(path))
    assert "${" in path.read_text()
    errors = list(jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).iter_errors(doc.data))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def _scalar_paths(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _scalar_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _scalar_paths(v, path + (i,))
    else:
        yield path


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

#: Reference templates; each use gets its own variable (the same one twice in a list is a repetition).
_REFERENCES = st.sampled_from(["${X{n}}", "${GA4_PROPERTY{n}:-sandbox}", "${TIER{n}:-360}", "prefix-${X{n}}",
                               "${A{n}}${B:-1}"])


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_value_may_be_a_variable_for_editors(data) -> None:
    """A ${VAR} in place of any scalar value of an example plan keeps it valid for editors."""
    path = data.draw(st.sampled_from(CONFIGS))
    doc, _ = read_document(str(path))
    paths = list(_scalar_paths(doc.data))
    for n in range(data.draw(st.integers(1, 5))):
        target = data.draw(st.sampled_from(paths))
        parent = doc.data
        for part in target[:-1]:
            parent = parent[part]
        parent[target[-1]] = data.draw(_REFERENCES).replace("{n}", str(n))
    errors = list(jsonschema.Draft202012Validator(plan_schema()).iter_errors(doc.data))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_a_variable_is_not_a_key_and_the_loader_checks_values_after_substitution(tmp_path: Path) -> None:
    schema = plan_schema()
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors({"property": "sandbox", "events": {"${X}": {}}}))  # keys are not substituted
    assert list(validator.iter_errors({"property": "not a property"}))
    path = tmp_path / "plan.yaml"
    path.write_text("property: ${P}\ntier: ${T:-premium}\n")
    [problem] = validate_file(path, env={"P": "sandbox"})
    assert problem.message.startswith("'tier' must be standard or 360, got 'premium'")
