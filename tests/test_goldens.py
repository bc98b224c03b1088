"""UPDATE_CASES has one meaning in every data-driven suite (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import updating_goldens, write_golden


@pytest.mark.parametrize(("value", "updates"), [("", False), ("0", False), ("1", True)])
def test_only_1_rewrites(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, updates: bool) -> None:
    monkeypatch.setenv("UPDATE_CASES", value)
    golden = tmp_path / "expected.txt"
    golden.write_text("reviewed\n")
    write_golden(golden, "current\n")
    assert golden.read_text() == ("current\n" if updates else "reviewed\n")


def test_anything_else_is_a_mistake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_CASES", "yes")
    with pytest.raises(pytest.UsageError, match="UPDATE_CASES='yes'"):
        updating_goldens()


def test_every_suite_reads_it_through_the_helper() -> None:
    tests = Path(__file__).parent
    readers = [
        p for p in tests.rglob("*.py")
        if p != Path(__file__) and "UPDATE_CASES" in p.read_text() and "os.environ" in p.read_text()
    ]
    assert readers == [tests / "conftest.py"]
