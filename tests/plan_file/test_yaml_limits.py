"""What no YAML file can do to the reader: nest deeply, hold forbidden characters, expand aliases.

Each runs with libyaml (the C loader, used when PyYAML has it) and with PyYAML's pure-Python
loader (the fallback), since the two fail differently.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import ga_goals.plan_file.document as document
from ga_goals.plan_file import validate_file
from ga_goals.plan_file.document import MAX_DEPTH, YamlProblems, parse_document

ROOT = Path(__file__).resolve().parents[2]
SHOP = "# Plan für das Café: 10 € — ü\n" + (ROOT / "configs" / "shop.yaml").read_text()
LOADERS = [pytest.param(yaml.CSafeLoader, id="libyaml"), pytest.param(yaml.SafeLoader, id="pure-python")]


@pytest.fixture(params=LOADERS)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setattr(document, "_Loader", request.param)
    return request.param


def _nested(style: str, depth: int) -> tuple[str, int, int]:
    """A plan nesting ``depth`` levels under ``events``, and where level MAX_DEPTH + 1 starts."""
    if style == "flow list":
        text = "property: sandbox\nevents: " + "[" * depth + "]" * depth + "\n"
        return text, 2, 9 + MAX_DEPTH
    if style == "flow map":
        text = "property: sandbox\nevents: " + "{a: " * depth + "1" + "}" * depth + "\n"
        return text, 2, 9 + 4 * MAX_DEPTH
    if style == "block map":
        lines = ["property: sandbox", "events:"] + [" " * (i + 1) + "a:" for i in range(depth)]
        return "\n".join(lines) + " 1\n", 3 + MAX_DEPTH, MAX_DEPTH + 2
    lines = ["property: sandbox", "events:"] + [" " * i + "-" for i in range(depth)]  # block list
    return "\n".join(lines) + " 1\n", 3 + MAX_DEPTH, MAX_DEPTH + 1
STYLES = ["flow list", "flow map", "block map", "block list"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 490, 700, 999])
def test_deep_nesting_is_one_located_problem(loader: type, style: str, depth: int) -> None:
    text, line, column = _nested(style, depth)
    with pytest.raises(YamlProblems) as raised:
        parse_document(text, "f.yaml")
    [problem] = raised.value.problems
    assert problem.message.startswith("values are nested more than 64 levels deep here")
    if depth == 999 and style == "block map" and loader is yaml.CSafeLoader:
        assert problem.location.line == 1001  # libyaml's own limit (1,000 levels) comes first
    elif loader is yaml.CSafeLoader or depth <= 200:
        assert (problem.location.line, problem.location.column) == (line, column), problem
    else:  # the pure-Python composer hits Python's stack first: where it stood when it did
        assert problem.location.line >= 2


@settings(max_examples=30, deadline=None)
@given(style=st.sampled_from(STYLES), depth=st.integers(MAX_DEPTH + 1, 999))
def test_any_deep_nesting_gives_problems_not_a_traceback(style: str, depth: int) -> None:
    text, _, _ = _nested(style, depth)
    with pytest.raises(YamlProblems) as raised:
        parse_document(text, "f.yaml")
    [problem] = raised.value.problems
    assert problem.message.startswith("values are nested more than 64 levels deep here")


@pytest.mark.parametrize("style", STYLES)
def test_nesting_up_to_the_limit_is_read(loader: type, style: str) -> None:
    text, _, _ = _nested(style, MAX_DEPTH - 1)
    doc, problems = parse_document(text, "f.yaml")
    assert problems == []


#: Characters YAML does not allow in a file (outside escapes in double quotes).
FORBIDDEN = st.one_of(
    st.integers(0, 8), st.integers(11, 12), st.integers(14, 31), st.just(127),
    st.integers(0x80, 0x84), st.integers(0x86, 0x9F), st.sampled_from([0xFFFE, 0xFFFF]),
).map(chr)


@settings(max_examples=60, deadline=None)
@given(char=FORBIDDEN, where=st.integers(0, len(SHOP) - 1), pure=st.booleans())
def test_a_forbidden_character_is_reported_where_it_is(char: str, where: int, pure: bool) -> None:
    text = SHOP[:where] + char + SHOP[where:]
    line = text.count("\n", 0, where) + 1
    column = where - (text.rfind("\n", 0, where) + 1) + 1
    original = document._Loader
    document._Loader = yaml.SafeLoader if pure else yaml.CSafeLoader
    try:
        with pytest.raises(YamlProblems) as raised:
            parse_document(text, "f.yaml")
    finally:
        document._Loader = original
    [problem] = raised.value.problems
    assert (problem.location.line, problem.location.column) == (line, column)
    assert f"the character U+{ord(char):04X} (" in problem.message
    assert "\n" not in problem.message and "position" not in problem.message


def test_a_nul_byte_on_line_68_of_a_real_plan(tmp_path: Path, loader: type) -> None:
    lines = (ROOT / "configs" / "shop.yaml").read_text().split("\n")
    column = len(lines[67]) + 1
    lines[67] += "\0"
    path = tmp_path / "plan.yaml"
    path.write_text("\n".join(lines))
    [problem] = validate_file(path, env={})
    assert (problem.location.line, problem.location.column) == (68, column)
    assert problem.message == (
        "the character U+0000 (NUL) is not allowed in a YAML file; remove it "
        "(inside double quotes it can be written as \\u0000)"
    )


def test_non_ascii_text_before_the_character_does_not_shift_it(loader: type) -> None:
    with pytest.raises(YamlProblems) as raised:
        parse_document("property: sandbox\nevents: {a: {description: Café é ü}}\nx: a\x1bb\n", "f.yaml")
    [problem] = raised.value.problems
    assert (problem.location.line, problem.location.column) == (3, 5)
    assert "U+001B (ESC)" in problem.message


def test_a_big_file_without_aliases_is_read_whole(loader: type) -> None:
    n = 120_000  # 240,000 values: more than the aliases may add
    text = "property: sandbox\nevents:\n" + "".join(f"  e{i}: {{stage: home}}\n" for i in range(n))
    doc, problems = parse_document(text, "f.yaml")
    assert problems == []
    assert len(doc.data["events"]) == n and doc.data["events"][f"e{n - 1}"] == {"stage": "home"}


def test_aliases_used_once_each_are_not_an_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "MAX_ALIAS_VALUES", 5)
    text = "a: &a {x: 1, y: 2}\nb: *a\nc: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
    doc, problems = parse_document(text, "f.yaml")
    assert problems == [] and doc.data["b"] == {"x": 1, "y": 2}


@pytest.mark.parametrize("text", ["a: " + "9" * 5000 + "\n", "a: 0x" + "f" * 5000 + "\n"])
def test_huge_numbers_stay_text(text: str) -> None:
    doc, problems = parse_document(text, "f.yaml")
    assert problems == [] and isinstance(doc.data["a"], str)
