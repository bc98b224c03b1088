"""Environments: overrides deep-merged over the base, with locations into the overrides block."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ga_goals.errors import Location, PlanFileError
from ga_goals.plan_file import load_plan, load_plans, validate_file
from ga_goals.plan_file.document import parse_document
from ga_goals.plan_file.environments import environment_names, merge_environment

BASE = """\
property: sandbox
currency: USD
stages: [home, product, checkout]
conversions:
  macro:
    purchase:
      value: {default: 0, currency: USD}
      description: Order
  micro:
    add_to_cart: {stage: product}
    compare_products: {stage: product}
custom_dimensions:
  form_id: {scope: event, display_name: Form ID, description: Which form}
environments:
  staging:
    property: "111"
    tier: "360"
    stream: Staging web
    overrides:
      currency: EUR
      stages: [home, checkout]
      conversions:
        macro:
          purchase:
            value: {currency: EUR}
        micro:
          compare_products: null
          add_to_cart: {stage: checkout}
          sign_up: {stage: home}
      custom_dimensions:
        form_id:
          description: null
  production:
    property: properties/222
"""


def _doc():
    doc, problems = parse_document(BASE, "plan.yaml")
    assert problems == []
    return doc


def test_merge_data() -> None:
    merged = merge_environment(_doc(), "staging")
    assert merged.data == {
        "property": "111",
        "tier": "360",
        "stream": "Staging web",
        "currency": "EUR",
        "stages": ["home", "checkout"],
        "conversions": {
            "macro": {"purchase": {"value": {"default": 0, "currency": "EUR"}, "description": "Order"}},
            "micro": {"add_to_cart": {"stage": "checkout"}, "sign_up": {"stage": "home"}},
        },
        "custom_dimensions": {"form_id": {"scope": "event", "display_name": "Form ID"}},
    }


def test_merge_locations_point_into_the_overrides_block() -> None:
    doc = _doc()
    merged = merge_environment(doc, "staging")
    # overridden values: in the overrides block
    assert merged.values[("currency",)] == Location("plan.yaml", 20, 17)
    assert merged.values[("conversions", "macro", "purchase", "value", "currency")] == Location("plan.yaml", 25, 31)
    assert merged.keys[("conversions", "micro", "sign_up")] == Location("plan.yaml", 29, 11)
    assert merged.values[("property",)] == Location("plan.yaml", 16, 15)
    # untouched values: in the base
    assert merged.values[("conversions", "macro", "purchase", "value", "default")] == Location("plan.yaml", 7, 24)
    assert merged.keys[("conversions", "macro", "purchase")] == Location("plan.yaml", 6, 5)
    # removed keys leave no location behind; environments are not part of a merged document
    assert not any(p[:3] == ("conversions", "micro", "compare_products") for p in merged.values)
    assert ("custom_dimensions", "form_id", "description") not in merged.values
    assert not any(p and p[0] == "environments" for p in merged.values)


def test_the_base_is_not_modified_and_other_environments_are_independent() -> None:
    doc = _doc()
    before = repr(doc.data)
    production = merge_environment(doc, "production")
    merge_environment(doc, "staging")
    assert repr(doc.data) == before
    assert production.data["property"] == "properties/222"
    assert production.data["currency"] == "USD"
    assert "compare_products" in production.data["conversions"]["micro"]
    assert environment_names(doc) == ["staging", "production"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_load_plans_builds_each_environment(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE)
    base, staging, production = load_plans(path, [None, "staging", "production"], env={})  # type: ignore[list-item]
    assert (base.environment, base.property, base.tier, base.currency) == (None, "sandbox", "standard", "USD")
    assert (staging.environment, staging.property, staging.tier, staging.currency) == ("staging", "111", "360", "EUR")
    assert staging.stream == "Staging web"
    assert sorted(staging.conversions) == ["add_to_cart", "purchase", "sign_up"]
    assert staging.conversions["purchase"].currency == "EUR"
    assert staging.custom_dimensions["form_id"].description == ""
    assert production.property == "222"
    assert sorted(production.conversions) == ["add_to_cart", "compare_products", "purchase"]
    for plan in (base, staging, production):
        assert set(plan.environments) == {"staging", "production"}
        assert plan.environments["production"].property == "222"
        assert plan.environments["staging"].tier == "360"


def test_all_environments(tmp_path: Path) -> None:
    plans = load_plans(_write(tmp_path, BASE), all_environments=True, env={})
    assert [p.environment for p in plans] == ["staging", "production"]
    plans = load_plans(_write(tmp_path, "property: sandbox\n"), all_environments=True, env={})
    assert [p.environment for p in plans] == [None]


def test_unknown_environment_lists_the_defined_ones(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE)
    with pytest.raises(PlanFileError) as raised:
        load_plans(path, ["staging", "prod", "stagng"], env={})
    messages = [p.message for p in raised.value.problems]
    assert messages == [
        "unknown environment 'prod'; did you mean 'production'? this file defines: staging, production",
        "unknown environment 'stagng'; did you mean 'staging'? this file defines: staging, production",
    ]
    assert {p.location for p in raised.value.problems} == {Location(str(path), 14, 1)}


def test_an_environment_only_needs_its_own_variables(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        property: sandbox
        environments:
          staging: {property: "${STAGING_ID}"}
          production: {property: "${PRODUCTION_ID}"}
        """,
    )
    plan = load_plan(path, "production", env={"PRODUCTION_ID": "999"})
    assert plan.property == "999"
    # the other environment's unresolved property stays as written
    assert plan.environments["staging"].property == "${STAGING_ID}"
    assert load_plan(path, env={}).property == "sandbox"
    with pytest.raises(PlanFileError, match="STAGING_ID is not set"):
        load_plan(path, "staging", env={"PRODUCTION_ID": "999"})
    problems = validate_file(path, env={})
    assert [p.message.split()[2] for p in problems] == ["STAGING_ID", "PRODUCTION_ID"]


def test_environment_only_problems_are_labelled_and_shared_ones_listed_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        property: sandbox
        events:
          bad-name: {}
        environments:
          staging:
            property: "1"
            overrides:
              events: {also bad: {}}
          production:
            property: "2"
            overrides:
              events: {also bad: {}}
        """,
    )
    problems = validate_file(path, env={})
    assert [(p.location.line, p.message) for p in problems] == [
        (3, "event name 'bad-name' contains '-'; use only letters, digits and _ (e.g. 'bad_name')"),
        (8, "event name 'also bad' contains spaces; use only letters, digits and _ (e.g. 'also_bad') "
            "(environment 'staging')"),
        (12, "event name 'also bad' contains spaces; use only letters, digits and _ (e.g. 'also_bad') "
             "(environment 'production')"),
    ]


def test_tier_per_environment_changes_the_limits(tmp_path: Path) -> None:
    events = "".join(f"    e{i}: {{}}\n" for i in range(35))
    path = _write(
        tmp_path,
        "property: sandbox\ntier: standard\nconversions:\n  micro:\n" + events
        + "environments:\n  big: {property: '1', tier: '360'}\n",
    )
    problems = validate_file(path, env={})
    assert len(problems) == 1 and "too many key events: 35; a standard property allows 30" in problems[0].message
    assert load_plan(path, "big", env={}).tier == "360"
    with pytest.raises(PlanFileError, match="too many key events"):
        load_plan(path, env={})
    assert load_plan(path, env={}, tier="360").tier == "360"
