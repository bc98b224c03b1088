"""How messages describe what a value must be, and which names they suggest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ga_goals.plan_file import plan_schema, validate_file
from ga_goals.suggestions import did_you_mean


def _objects(schema: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every mapping the schema describes, with where it is."""
    out = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            out.append((where, schema))
        for key, value in schema.items():
            if key not in ("examples", "default", "enum", "const"):
                out.extend(_objects(value, f"{where}/{key}"))
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            out.extend(_objects(value, f"{where}/{i}"))
    return out


def test_every_mapping_in_the_schema_shows_an_example() -> None:
    """Messages say what a mapping looks like from its example (never "an other events")."""
    from jsonschema import Draft202012Validator

    schema = plan_schema(variables=False)
    objects = [(w, s) for w, s in _objects(schema) if w]  # not the top level
    assert len(objects) > 25
    for where, definition in objects:
        assert definition.get("examples"), where
        validator = Draft202012Validator({**definition, "$defs": schema["$defs"]})
        for example in definition["examples"]:
            assert not list(validator.iter_errors(example)), (where, example)


#: Paths of mappings, and a plan that puts a string there.
MAPPINGS = [
    ("events", {"events": "x"}),
    ("safety", {"safety": "x"}),
    ("conversions", {"conversions": "x"}),
    ("macro", {"conversions": {"macro": "x"}}),
    ("custom_dimensions", {"custom_dimensions": "x"}),
    ("funnels", {"funnels": "x"}),
    ("reports", {"reports": "x"}),
    ("environments", {"environments": "x"}),
    ("email", {"reports": {"weekly": {"email": "growth@example.com"}}}),
    ("period", {"reports": {"weekly": {"period": ["x"]}}}),
    ("created_from", {"conversions": {"micro": {"lead": {"created_from": "x"}}}}),
    ("value", {"conversions": {"micro": {"lead": {"value": "x"}}}}),
    ("breakdown", {"funnels": {"f": {"steps": ["a_b", "c_d"], "breakdown": ["x"]}}}),
    ("overrides", {"environments": {"staging": {"property": "1", "overrides": "x"}}}),
]


@pytest.mark.parametrize(("key", "plan"), MAPPINGS, ids=[m[0] for m in MAPPINGS])
def test_a_wrong_value_for_a_mapping_says_what_the_mapping_looks_like(tmp_path: Path, key: str, plan: dict) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"property": "sandbox", **plan}))
    messages = [p.message for p in validate_file(path, env={}) if p.message.startswith(f"'{key}' must be")]
    assert messages, validate_file(path, env={})
    for message in messages:
        assert re.search(r"a mapping like \{\w+: .+\}", message), message
        assert not re.search(r"\ban? (other|safety|e-mail|conversions|funnels|reports)\b", message), message


def test_the_e_mail_message_shows_an_e_mail_block(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("property: sandbox\nreports:\n  weekly:\n    email: growth@example.com\n")
    [problem] = validate_file(path, env={})
    assert problem.message == (
        "'email' must be a mapping like {to: [growth@example.com]}, got 'growth@example.com'"
    )


#: (a plan with a misspelled name declared validly nowhere, the misspelling's invalid twin)
SUGGESTIONS = [
    ("events:\n  add to cart: {}\nfunnels:\n  f:\n    steps: [view_item, add_to_cart]\n", "add to cart"),
    ("conversions:\n  micro:\n    add to cart: {}\nreports:\n  r:\n    key_events: [add_to_cart]\n", "add to cart"),
    ("funnels:\n  check out:\n    steps: [view_item, purchase]\nreports:\n  r:\n    funnels: [check_out]\n",
     "check out"),
    ("events:\n  add to cart: {}\nreports:\n  r:\n    alerts: [{event: add_to_cart, metric: count, below: 1}]\n",
     "add to cart"),
]


@pytest.mark.parametrize(("plan", "invalid"), SUGGESTIONS)
def test_an_invalid_name_is_never_suggested(tmp_path: Path, plan: str, invalid: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("property: sandbox\n" + plan)
    problems = validate_file(path, env={})
    assert any(f"'{invalid}'" in p.message for p in problems)  # its own problem says it is invalid
    assert not any(f"did you mean '{invalid}'" in p.message for p in problems), problems


def test_did_you_mean_only_offers_what_is_valid() -> None:
    assert did_you_mean("add_to_cart", ["add to cart", "purchase"]) == "add to cart"
    assert did_you_mean("add_to_cart", ["add to cart", "purchase"], valid=lambda n: " " not in n) is None
    assert did_you_mean("add_to_crt", ["add to cart", "add_to_cart"], valid=lambda n: " " not in n) == "add_to_cart"
