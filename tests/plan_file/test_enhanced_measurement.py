"""The plan's enhanced_measurement block: what it builds, its limits, and the cross-check's silences."""

from __future__ import annotations

from pathlib import Path

import pytest

from ga_goals.errors import PlanFileError
from ga_goals.model import EnhancedMeasurement
from ga_goals.model.enhanced_measurement import EVENT_SETTINGS, QUERY_PARAMETER_MAX, SETTINGS
from ga_goals.plan_file import load_plan, validate_file
from ga_goals.plan_file.enhanced_measurement import schema
from tests.conftest import CONFIGS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text("property: sandbox\n" + text)
    return path


def test_the_block_builds_the_managed_settings_only(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, "stream: Web\nenhanced_measurement:\n  scrolls: false\n  search_query_parameter: [q, s]\n"))
    assert plan.enhanced_measurement == EnhancedMeasurement(stream="Web", scrolls=False, search_query_parameter="q,s")
    assert plan.enhanced_measurement.fields() == {"scrolls": False, "search_query_parameter": "q,s"}
    state = plan.desired_state("properties/1")
    assert list(state.enhanced_measurement) == ["Web"]


def test_no_block_manages_nothing(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, "conversions: {micro: {scroll: {}}}\n"))
    assert plan.enhanced_measurement is None and not plan.desired_state("properties/1").enhanced_measurement


def test_the_comma_form_and_the_list_form_are_the_same(tmp_path: Path) -> None:
    a = load_plan(write(tmp_path, 'enhanced_measurement: {search_query_parameter: " q, s "}\n')).enhanced_measurement
    b = load_plan(write(tmp_path, "enhanced_measurement: {search_query_parameter: [q, s]}\n")).enhanced_measurement
    assert a == b and a is not None and a.search_query_parameter == "q,s"


def test_the_schema_lists_every_setting() -> None:
    assert tuple(schema()["properties"]) == SETTINGS


@pytest.mark.parametrize(("length", "ok"), [(QUERY_PARAMETER_MAX, True), (QUERY_PARAMETER_MAX + 1, False)])
def test_the_joined_length_limit_is_inclusive(tmp_path: Path, length: int, ok: bool) -> None:
    names = [f"p{i:08d}" for i in range((length + 1) // 10)]  # 9 characters and a comma each
    text = ",".join(names)
    text += "x" * (length - len(text))
    problems = validate_file(write(tmp_path, f"enhanced_measurement: {{uri_query_parameter: \"{text}\"}}\n"))
    assert len(text) == length
    assert [p.message for p in problems if "at most 1024" in p.message] == ([] if ok else [
        f"uri_query_parameter is {length} characters long once joined with commas; GA4 allows at most 1024; "
        "list fewer parameters"
    ])


@pytest.mark.parametrize(
    "block",
    [
        "",  # not managed: validate cannot know
        "enhanced_measurement: {site_search: false}\n",  # scrolls not managed
        "enhanced_measurement: {scrolls: true, stream_enabled: true}\n",
    ],
)
def test_the_cross_check_is_silent_unless_the_plan_turns_the_setting_off(tmp_path: Path, block: str) -> None:
    plan = write(tmp_path, block + "conversions: {micro: {scroll: {}}}\nfunnels: {f: {steps: [scroll, {any: [file_download, scroll]}]}}\n")
    assert [p for p in validate_file(plan) if "never" in p.message] == []


def test_one_measured_alternative_is_enough(tmp_path: Path) -> None:
    plan = write(tmp_path, "enhanced_measurement: {scrolls: false}\nfunnels: {f: {steps: [{any: [scroll, file_download]}, purchase]}}\n")
    assert [p for p in validate_file(plan) if "never" in p.message] == []


@pytest.mark.parametrize(("event", "setting"), sorted(EVENT_SETTINGS.items()))
def test_every_event_of_the_table_is_cross_checked(tmp_path: Path, event: str, setting: str) -> None:
    plan = write(tmp_path, f"enhanced_measurement: {{{setting}: false}}\nconversions: {{micro: {{{event}: {{}}}}}}\n")
    warnings = [p for p in validate_file(plan) if p.severity == "warning"]
    assert [(p.location.line, p.message.split(":")[0]) for p in warnings] == [
        (3, f"micro conversion '{event}' will never be measured")
    ]
    assert f"enhanced_measurement.{setting}: false" in warnings[0].message
    assert load_plan(plan).warnings  # a warning: the plan still loads


def test_the_example_plans_need_no_warning() -> None:
    for name in ("shop.yaml", "leadgen.yaml"):
        assert [p for p in validate_file(CONFIGS / name) if "enhanced" in p.message] == []


def test_an_empty_block_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="enhanced_measurement"):
        load_plan(write(tmp_path, "enhanced_measurement: {}\n"))


def test_an_environment_may_override_the_block(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "enhanced_measurement: {scrolls: true, site_search: true}\n"
        "environments:\n  staging:\n    property: '123'\n    overrides:\n      enhanced_measurement: {scrolls: false}\n",
    )
    assert load_plan(path).enhanced_measurement == EnhancedMeasurement(scrolls=True, site_search=True)
    assert load_plan(path, "staging").enhanced_measurement == EnhancedMeasurement(scrolls=False, site_search=True)
