"""``${VAR}`` and ``${VAR:-default}`` substitution."""

from __future__ import annotations

import pytest

from ga_goals.errors import Location
from ga_goals.plan_file.document import parse_document
from ga_goals.plan_file.variables import substitute


def _sub(text: str, env: dict[str, str]):
    doc, _ = parse_document(text, "f.yaml")
    result = substitute(doc, env)
    return doc, result


@pytest.mark.parametrize(
    ("text", "env", "value"),
    [
        ("x: ${A}", {"A": "hello"}, "hello"),
        ("x: pre-${A}-post", {"A": "mid"}, "pre-mid-post"),
        ("x: ${A}${B}", {"A": "1", "B": "2"}, "12"),
        ("x: ${A:-fallback}", {}, "fallback"),
        ("x: ${A:-fallback}", {"A": ""}, "fallback"),
        ("x: ${A:-fallback}", {"A": "set"}, "set"),
        ("x: ${A:-}", {}, None),
        ("x: '${A:-}'", {}, ""),
        ("x: a $${A} b", {"A": "no"}, "a ${A} b"),
        ("x: $HOME and $", {"HOME": "/root"}, "$HOME and $"),
        ("x: costs $5", {}, "costs $5"),
        # an unquoted value that is one reference takes the substituted text's YAML type
        ("x: ${ID}", {"ID": "123456789"}, 123456789),
        ("x: ${FLAG:-true}", {}, True),
        ("x: ${RATE:-0.5}", {}, 0.5),
        # quoted, or not the whole value: always a string
        ('x: "${ID}"', {"ID": "123"}, "123"),
        ("x: id-${ID}", {"ID": "123"}, "id-123"),
        ("x: ${A:-a:-b}", {}, "a:-b"),
    ],
)
def test_substitution(text: str, env: dict[str, str], value: object) -> None:
    doc, result = _sub(text, env)
    assert result.problems == []
    assert doc.data["x"] == value
    assert type(doc.data["x"]) is type(value)


def test_values_in_nested_lists_and_mappings_and_never_keys() -> None:
    doc, _ = _sub("${K}: {a: [x, '${V}'], b: {c: '${V}'}}", {"K": "key", "V": "v"})
    assert doc.data == {"${K}": {"a": ["x", "v"], "b": {"c": "v"}}}


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("x: ${MISSING}", 4, "environment variable MISSING is not set; set it (export MISSING=...) or give a "
         "default: ${MISSING:-value}"),
        ("x: abc ${MISSING}", 8, "MISSING is not set"),
        ("x: 'abc ${MISSING}'", 9, "MISSING is not set"),
        ('x: "abc ${MISSING}"', 9, "MISSING is not set"),
        ("x: ${EMPTY}", 4, "environment variable EMPTY is empty"),
        ("x: ${1A}", 4, "'${1A}' is not a valid variable reference"),
        ("x: ${}", 4, "'${}' is not a valid variable reference"),
        ("x: ${A B}", 4, "'${A B}' is not a valid variable reference"),
        ("x: ab ${OPEN", 7, "'${' is never closed"),
    ],
)
def test_problems_point_at_the_reference(text: str, column: int, message: str) -> None:
    doc, result = _sub(text, {"EMPTY": ""})
    [(path, problem)] = result.problems
    assert path == ("x",)
    assert problem.location == Location("f.yaml", 1, column)
    assert message in problem.message
    # the value is left as written, and remembered as unresolved
    assert doc.data["x"] == text.split(": ", 1)[1].strip("'\"")
    assert result.unresolved == {Location("f.yaml", 1, 4)}


def test_multi_line_values_point_at_their_start() -> None:
    doc, result = _sub("x: |\n  line one\n  ${MISSING}\n", {})
    [(_, problem)] = result.problems
    assert problem.location == Location("f.yaml", 1, 4)


def test_every_missing_variable_is_reported() -> None:
    _, result = _sub("a: ${A}\nb: ['${B}', '${C:-ok}', '${D}']\n", {})
    assert [p.message.split()[2] for _, p in result.problems] == ["A", "B", "D"]


def test_unquoted_reference_in_a_flow_collection_gets_a_hint() -> None:
    from ga_goals.plan_file.document import YamlProblems

    with pytest.raises(YamlProblems) as raised:
        parse_document("environments: {staging: {property: ${ID}}}\n", "f.yaml")
    assert "put a value that uses ${VAR} in quotes" in raised.value.problems[0].message
