"""The corpus of broken plan files: each states every problem it must produce.

Each ``broken/NAME.yaml`` starts with comment lines:

* ``# expect: LINE:COL: text`` -- one per expected problem: its line, column, and a substring of
  its message (warnings start with ``warning: ``);
* ``# environment: NAME`` -- load that environment with ``load_plan`` instead of running
  ``validate_file``;
* ``# env: NAME=value`` -- a variable for ``${NAME}`` (no other variables are set).

The test asserts exactly the expected problems: none missing, none extra.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ga_goals.errors import PlanFileError, Problem
from ga_goals.plan_file import load_plan, validate_file

BROKEN = Path(__file__).parent / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def _header(path: Path) -> tuple[list[tuple[int, int, str]], str | None, dict[str, str]]:
    expected, environment, env = [], None, {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        if match := _EXPECT.match(line):
            expected.append((int(match[1]), int(match[2]), match[3]))
        elif line.startswith("# environment: "):
            environment = line.split(": ", 1)[1].strip()
        elif line.startswith("# env: "):
            name, _, value = line.split(": ", 1)[1].partition("=")
            env[name] = value
    return expected, environment, env


def _problems(path: Path, environment: str | None, env: dict[str, str]) -> list[Problem]:
    if environment is None:
        return validate_file(path, env=env)
    with pytest.raises(PlanFileError) as raised:
        load_plan(path, environment, env=env)
    return raised.value.problems


def _text(problem: Problem) -> str:
    return ("warning: " if problem.severity == "warning" else "") + problem.message


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 35


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_broken_plan(path: Path) -> None:
    expected, environment, env = _header(path)
    assert expected, f"{path.name} has no '# expect:' line"
    problems = _problems(path, environment, env)
    unmatched = list(problems)
    missing = []
    for line, column, text in expected:
        found = next(
            (p for p in unmatched if (p.location.line, p.location.column) == (line, column) and text in _text(p)),
            None,
        )
        if found is None:
            missing.append(f"{line}:{column}: {text}")
        else:
            unmatched.remove(found)
    assert not missing and not unmatched, (
        "missing:\n  " + "\n  ".join(missing) + "\nunexpected:\n  " + "\n  ".join(str(p) for p in unmatched)
    )
    assert all(p.location.file == str(path) for p in problems)
    assert problems == sorted(problems, key=lambda p: (p.location, p.message))
