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
