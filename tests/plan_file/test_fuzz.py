"""Mangled plans never crash the loader: every outcome is a list of problems or a plan."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ga_goals.errors import PlanFileError, Problem
from ga_goals.plan_file import load_plan, validate_file

ROOT = Path(__file__).resolve().parents[2]
REPLACEMENTS = ["", "~", "[]", "{}", "- x", "0", "-1", "1e9", "true", "'x'", "${X}", "a: b", "[1, {a: 2}]",
                "\t", "&a x", "*a", "!!binary eA==", "2026-02-30", "\"", "{", ":"]


def _mutations(text: str, count: int, seed: int):
    rng = random.Random(seed)
    lines = text.splitlines()
    for _ in range(count):
        mangled = list(lines)
        i = rng.randrange(len(mangled))
        action = rng.choice(["value", "delete", "duplicate", "indent"])
        if action == "value" and ":" in mangled[i]:
            key = mangled[i].split(":", 1)[0]
            mangled[i] = f"{key}: {rng.choice(REPLACEMENTS)}"
        elif action == "delete":
            del mangled[i]
        elif action == "duplicate":
            mangled.insert(i, mangled[i])
        else:
            mangled[i] = " " + mangled[i]
        yield "\n".join(mangled) + "\n"


@pytest.mark.parametrize("name", ["shop.yaml", "leadgen.yaml"])
def test_mangled_plans_give_problems_not_tracebacks(tmp_path: Path, name: str) -> None:
    text = (ROOT / "configs" / name).read_text()
    path = tmp_path / name
    for i, mangled in enumerate(_mutations(text, 40, seed=len(name))):
        path.write_text(mangled)
        problems = validate_file(path, env={})
        assert all(isinstance(p, Problem) and p.location.line >= 1 for p in problems), i
        try:
            load_plan(path, env={})
        except PlanFileError as exc:
            assert exc.problems


# --------------------------------------------------------------------------- hostile values

import unicodedata  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ga_goals.plan_file.document import YamlProblems, parse_document  # noqa: E402
from tests.plan_file.test_broken_plans import FILES as BROKEN, _header  # noqa: E402

#: Characters no message may contain: what a terminal acts on or reorders.
_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
HOSTILE = st.one_of(
    st.sampled_from([
        "\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "\u202egnp.exe", "a\u2066b\u2069", "a\x00b", "line\nbreak",
        "cr\rreturn", "\x9b31m", "a\u2028b", "\ufeffbom", "zero\u200bwidth", "x" * 100_000, "é" * 5000,
        "tab\there", "back\\slash",
    ]),
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co", "Lu", "Ll", "Nd", "Pd"]), min_size=1,
            max_size=80),
)


def _data(path: Path) -> Any:
    """The plan's data as the loader reads it (YAML 1.2: dates stay text), or None."""
    try:
        return parse_document(path.read_text(), str(path))[0].data
    except YamlProblems:
        return None


def _loadable(path: Path) -> bool:
    return isinstance(_data(path), dict)


SMALL = [p for p in BROKEN if _loadable(p)]
CORPUS = SMALL + sorted((ROOT / "configs").glob("*.yaml"))


def _slots(value: Any, path: tuple = ()) -> list[tuple[tuple, bool]]:
    """Every place a string can go: (path, is_key) for every key and every scalar value."""
    out: list[tuple[tuple, bool]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((path + (k,), True))
            out.extend(_slots(v, path + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_slots(v, path + (i,)))
    else:
        out.append((path, False))
    return out


def _put(data: Any, path: tuple, is_key: bool, text: str) -> None:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if is_key:
        if text not in parent:
            parent[text] = parent.pop(last)
    else:
        parent[last] = text


def assert_safe(problems: list[Problem]) -> None:
    for p in problems:
        bad = {c for c in p.message if c != " " and unicodedata.category(c) in _UNSAFE}
        assert not bad, (bad, p.message[:300])
        assert len(p.message) <= 1500, p.message[:300]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_text_anywhere_in_a_plan_gives_safe_one_line_messages(tmp_path_factory, data) -> None:
    source = data.draw(st.sampled_from(CORPUS), label="plan")
    _, environment, env = _header(source)
    plan = _data(source)
    slots = _slots(plan)
    for _ in range(data.draw(st.integers(1, 3), label="replacements")):
        path, is_key = data.draw(st.sampled_from(slots), label="where")
        _put(plan, path, is_key, data.draw(HOSTILE, label="text"))
        slots = _slots(plan)
    path = tmp_path_factory.mktemp("hostile") / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False, width=1_000_000))
    assert_safe(validate_file(path, env=env))
    for name in [environment, None]:
        try:
            load_plan(path, name, env=env)
        except PlanFileError as exc:
            assert_safe(exc.problems)


@pytest.mark.parametrize("source", SMALL, ids=[p.stem for p in SMALL])
def test_long_text_is_cut_in_every_message(tmp_path: Path, source: Path) -> None:
    """Keys and scalar values of the plan in turn (12 spread over the file) become a long text with an ESC."""
    _, _, env = _header(source)
    long = "\x1b[2J" + "v" * 20_000
    slots = _slots(_data(source))
    for slot_path, is_key in slots[:: max(1, len(slots) // 12)]:
        mutated = _data(source)
        _put(mutated, slot_path, is_key, long)
        path = tmp_path / "plan.yaml"
        path.write_text(yaml.safe_dump(mutated, sort_keys=False, width=1_000_000))
        assert_safe(validate_file(path, env=env))


def test_a_5_mb_value_is_one_short_line(tmp_path: Path) -> None:
    huge = "\x1b[2J\u202e" + "v" * 5_000_000
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"property": huge, "events": {huge: {}}}, width=10_000_000))
    problems = validate_file(path, env={})
    assert problems
    assert_safe(problems)
    assert all(len(str(p)) < 500 for p in problems)
    assert any("'\\x1b[2J\\u202evvvv" in p.message and "...' (5,000,005 characters)" in p.message for p in problems)
