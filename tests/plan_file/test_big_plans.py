"""A 5 MB plan (142,858 entries): read whole, checked once per section, at most 100 problems shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ga_goals.errors import PlanFileError, count_errors
from ga_goals.plan_file import api, load_plan, structure, validate_file

ROOT = Path(__file__).resolve().parents[2]


def _shop_with(tmp_path: Path, entries: int, entry: str) -> Path:
    """configs/shop.yaml (two environments) with ``entries`` more micro conversions."""
    lines = (ROOT / "configs" / "shop.yaml").read_text().split("\n")
    at = lines.index("  micro:") + 1
    extra = [f"    event{i}: {entry}" for i in range(entries)]
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines[:at] + extra + lines[at:]))
    return path


class _Counting:
    """A schema validator that counts the documents it checks."""

    def __init__(self, validator: Any) -> None:
        self.validator = validator
        self.calls = 0

    def iter_errors(self, instance: Any) -> Any:
        self.calls += 1
        return self.validator.iter_errors(instance)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, _Counting]:
    _, sections = structure._validators()
    counters = {key: _Counting(validator) for key, validator in sections.items()}
    for key, counter in counters.items():
        monkeypatch.setitem(sections, key, counter)
    return counters


def test_a_5_mb_plan_is_read_whole_and_checked_once(tmp_path: Path, counting: dict[str, _Counting]) -> None:
    path = _shop_with(tmp_path, 142_858, "{stage: home}")
    assert path.stat().st_size > 4_000_000
    problems = validate_file(path, env={})
    # the one real problem; no alias guard on a file without aliases, no follow-on noise
    assert [p.message.split(";")[0] for p in problems] == ["too many key events: 142869"]
    # base, staging and production share the big section: it is checked against the schema once
    assert counting["conversions"].calls == 1
    assert all(counter.calls <= 3 for counter in counting.values())


def test_problems_are_capped_with_a_closing_line(tmp_path: Path) -> None:
    path = _shop_with(tmp_path, 1_000, "{stage: nowhere, key_event: false}")
    problems = validate_file(path, env={})
    assert len(problems) == api.MAX_PROBLEMS + 1
    shown, closing = problems[:-1], problems[-1]
    assert all("stage 'nowhere' is not one of the plan's stages" in p.message for p in shown)
    assert closing.message == (
        "900 more errors from here on are not shown (1,000 problems in all); fix the ones above and "
        "check the file again"
    )
    assert closing.severity == "error"
    # it stands after the ones shown, where the first one not shown is
    assert closing.location.line == shown[-1].location.line + 1

    with pytest.raises(PlanFileError) as raised:
        load_plan(path, env={})
    assert raised.value.problems == problems
    text = str(raised.value)
    assert text.count("\n") == api.MAX_PROBLEMS and text.endswith("check the file again")
    # the count said at the end is the real one, not the length of the list shown
    assert count_errors(problems) == 1_000
    from click.testing import CliRunner

    from ga_goals.cli import cli

    result = CliRunner().invoke(cli, ["validate", str(path)], env={"GA_GOALS_SANDBOX_DIR": str(tmp_path / "sandbox")})
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].endswith(": 1,000 errors")


def test_warnings_past_the_cap_are_counted_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "MAX_PROBLEMS", 3)
    entries = "{key_event: false, counting: once_per_session}"  # a warning each
    problems = validate_file(_shop_with(tmp_path, 5, entries), env={})
    assert len(problems) == 4
    assert problems[-1].severity == "warning"
    assert problems[-1].message.startswith("2 more warnings from here on are not shown (5 problems in all)")


def test_no_closing_line_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _shop_with(tmp_path, 5, "{stage: nowhere}")
    monkeypatch.setattr(api, "MAX_PROBLEMS", 4)
    problems = validate_file(path, env={})
    assert len(problems) == 5 and problems[-1].message.startswith("1 more error from here on is not shown")
    monkeypatch.setattr(api, "MAX_PROBLEMS", 5)
    problems = validate_file(path, env={})
    assert len(problems) == 5 and not any("not shown" in p.message for p in problems)
