"""Reading YAML: locations of keys and values, YAML 1.2 scalars, anchors, errors."""

from __future__ import annotations

import math

import pytest

from ga_goals.errors import Location
from ga_goals.plan_file.document import YamlProblems, parse_document, read_document, resolve_plain

TEXT = """\
property: sandbox
conversions:
  macro:
    purchase:
      value: {default: 0, currency: USD}
  micro:
    add_to_cart: {stage: product}
funnels:
  checkout:
    steps:
      - view_item
      - event: purchase
        within: 1h
"""


def test_every_key_and_value_has_its_location() -> None:
    doc, problems = parse_document(TEXT, "plan.yaml")
    assert problems == []
    assert doc.values[("property",)] == Location("plan.yaml", 1, 11)
    assert doc.keys[("property",)] == Location("plan.yaml", 1, 1)
    assert doc.keys[("conversions", "macro", "purchase")] == Location("plan.yaml", 4, 5)
    assert doc.values[("conversions", "macro", "purchase", "value", "currency")] == Location("plan.yaml", 5, 37)
    assert doc.keys[("conversions", "macro", "purchase", "value", "currency")] == Location("plan.yaml", 5, 27)
    assert doc.values[("conversions", "micro", "add_to_cart", "stage")] == Location("plan.yaml", 7, 26)
    assert doc.values[("funnels", "checkout", "steps", 0)] == Location("plan.yaml", 11, 9)
    assert doc.values[("funnels", "checkout", "steps", 1)] == Location("plan.yaml", 12, 9)
    assert doc.values[("funnels", "checkout", "steps", 1, "within")] == Location("plan.yaml", 13, 17)
    assert doc.values[()] == Location("plan.yaml", 1, 1)


def test_every_path_of_the_data_has_a_location() -> None:
    doc, _ = parse_document(TEXT, "plan.yaml")

    def paths(value, path=()):
        yield path
        if isinstance(value, dict):
            for k, v in value.items():
                yield from paths(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from paths(v, path + (i,))

    for path in paths(doc.data):
        assert path in doc.values
        if path and isinstance(path[-1], str):
            assert path in doc.keys


def test_at_falls_back_to_the_closest_ancestor() -> None:
    doc, _ = parse_document(TEXT, "plan.yaml")
    assert doc.at(("funnels", "checkout", "steps", 1, "missing")) == doc.values[("funnels", "checkout", "steps", 1)]
    assert doc.key_at(("funnels", "checkout", "steps", 0)) == doc.values[("funnels", "checkout", "steps", 0)]
    assert doc.get(("funnels", "checkout", "steps", 1, "within")) == "1h"
    assert doc.get(("funnels", "nope"), "default") == "default"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x: yes", "yes"),
        ("x: no", "no"),
        ("x: on", "on"),
        ("x: off", "off"),
        ("x: NO", "NO"),
        ("x: true", True),
        ("x: False", False),
        ("x: ~", None),
        ("x:", None),
        ("x: null", None),
        ("x: 12", 12),
        ("x: -3", -3),
        ("x: 0x1F", 31),
        ("x: 0o17", 15),
        ("x: 1.5", 1.5),
        ("x: 1e3", 1000.0),
        ("x: .inf", math.inf),
        ("x: 2026-01-31", "2026-01-31"),
        ("x: 1:30", "1:30"),
        ("x: 1_000", "1_000"),
        ("x: '12'", "12"),
        ('x: "true"', "true"),
        ("x: !!str 12", "12"),
        ("x: !!int '12'", 12),
        ("x: !!float 3", 3.0),
        ("x: |\n  a\n  b\n", "a\nb\n"),
    ],
)
def test_scalars_follow_yaml_1_2_core(text: str, value: object) -> None:
    doc, problems = parse_document(text, "f.yaml")
    assert problems == []
    assert doc.data["x"] == value
    assert type(doc.data["x"]) is type(value)


def test_nan() -> None:
    doc, _ = parse_document("x: .nan", "f.yaml")
    assert math.isnan(doc.data["x"])


def test_resolve_plain_keeps_other_text() -> None:
    assert resolve_plain("123456789") == 123456789
    assert resolve_plain("sandbox") == "sandbox"


def test_keys_are_always_strings() -> None:
    doc, _ = parse_document("1: a\ntrue: b\nnull: c\n", "f.yaml")
    assert doc.data == {"1": "a", "true": "b", "null": "c"}


def test_duplicate_keys_are_reported_and_the_first_kept() -> None:
    doc, problems = parse_document("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert doc.data == {"a": 1, "b": 2}
    assert [(p.location.line, p.location.column) for p in problems] == [(3, 1)]
    assert "duplicate key 'a' (first defined at line 1)" in problems[0].message


def test_anchors_aliases_and_merge_keys() -> None:
    text = "base: &b {scope: event, display_name: X}\nd:\n  <<: *b\n  display_name: Y\ne: *b\n"
    doc, problems = parse_document(text, "f.yaml")
    assert problems == []
    assert doc.data["d"] == {"display_name": "Y", "scope": "event"}
    assert doc.data["e"] == {"scope": "event", "display_name": "X"}
    # merged values point at where they are written (the anchor)
    assert doc.values[("d", "scope")] == Location("f.yaml", 1, 18)
    assert doc.values[("d", "display_name")] == Location("f.yaml", 4, 17)


def test_merge_of_a_list_of_mappings() -> None:
    text = "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n"
    doc, _ = parse_document(text, "f.yaml")
    assert doc.data["c"] == {"x": 1, "y": 2}


def test_merge_of_a_scalar_is_a_problem() -> None:
    _, problems = parse_document("a: &a 1\nc:\n  <<: *a\n", "f.yaml")
    assert "'<<' must refer to a mapping" in problems[0].message


def test_recursive_alias_is_a_problem_not_a_hang() -> None:
    _, problems = parse_document("a: &a [1, *a]\n", "f.yaml")
    assert any("recursive alias" in p.message for p in problems)


def test_alias_bomb_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    import ga_goals.plan_file.document as document

    monkeypatch.setattr(document, "MAX_ALIAS_VALUES", 50)
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: &b [*a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b]\n"
    _, problems = parse_document(text, "f.yaml")
    assert [p.message for p in problems] == [
        "aliases expand the document by more than 50 values (an alias repeated too often); simplify it"
    ]


def test_complex_keys_and_bad_tags() -> None:
    _, problems = parse_document("? [a, b]\n: 1\nx: !!float abc\ny: !!binary aGk=\nz: !!set {a}\n", "f.yaml")
    messages = [p.message for p in problems]
    assert any("a key must be a plain name" in m for m in messages)
    assert any("'abc' is not a valid float" in m for m in messages)
    assert any("unsupported YAML tag 'tag:yaml.org,2002:binary'" in m for m in messages)
    assert any("unsupported YAML tag 'tag:yaml.org,2002:set'" in m for m in messages)


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("a: b: c\n", 1, 5, "unexpected ':' here"),
        ("a:\n\t- b\n", 2, 1, "tab character"),
        ("a: 1\n\tb: 2\n", 2, 1, "tab character"),
        ("a: @x\n", 1, 4, "a value cannot start with '@'; put the value in quotes"),
        ("a: [1, 2\n", 2, 1, "a flow collection is not closed: expected ',' or ']'"),
        ("a: {x: 1\n", 2, 1, "a flow collection is not closed: expected ',' or '}'"),
        ("a: *nope\n", 1, 4, "undefined alias"),
        ("- a\nb: 1\n", 2, 1, "bad indentation"),
        ("a: 'x\n", 2, 1, "a quoted value is never closed"),
        ("a: 1\n---\nb: 2\n", 2, 1, "a single YAML document"),
    ],
)
def test_syntax_errors_become_problems(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(YamlProblems) as raised:
        parse_document(text, "f.yaml")
    [problem] = raised.value.problems
    assert (problem.location.line, problem.location.column) == (line, column)
    assert message in problem.message


@pytest.mark.parametrize("text", ["", "# just a comment\n", "\n\n"])
def test_empty_document(text: str) -> None:
    with pytest.raises(YamlProblems) as raised:
        parse_document(text, "f.yaml")
    assert "the file is empty" in raised.value.problems[0].message


@pytest.mark.parametrize(("text", "got"), [("- a\n", "a list"), ("just text\n", "the single value 'just text'")])
def test_top_level_must_be_a_mapping(text: str, got: str) -> None:
    with pytest.raises(YamlProblems) as raised:
        parse_document(text, "f.yaml")
    assert raised.value.problems[0].message.endswith(got)


def test_read_errors(tmp_path) -> None:
    with pytest.raises(YamlProblems, match="file not found"):
        read_document(str(tmp_path / "missing.yaml"))
    with pytest.raises(YamlProblems, match="cannot read the file"):
        read_document(str(tmp_path))
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"property: sandbox\ndescription: caf\xe9\n")
    with pytest.raises(YamlProblems) as raised:
        read_document(str(bad))
    problem = raised.value.problems[0]
    assert (problem.location.line, problem.location.column) == (2, 17)
    assert "not UTF-8" in problem.message


def test_utf8_bom_and_non_ascii(tmp_path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes("\ufeffproperty: sandbox\nevents:\n  view_item: {description: Café}\n".encode())
    doc, problems = read_document(str(path))
    assert problems == []
    assert doc.data["events"]["view_item"]["description"] == "Café"
