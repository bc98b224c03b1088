"""Shared fixtures: every test gets its own sandbox state folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
#: Real GA4 data (export rows, API responses), copied from the team's shared data: see its README.
GA4_DATA = ROOT / "tests" / "data" / "ga4"


def updating_goldens() -> bool:
    """``UPDATE_CASES=1``: rewrite the expected files of data-driven suites from the current output
    (review the diff). The one reading of the variable for every suite: ``0`` or unset compares,
    anything else is a mistake and says so."""
    value = os.environ.get("UPDATE_CASES", "").strip()
    if value not in ("", "0", "1"):
        raise pytest.UsageError(f"UPDATE_CASES={value!r}: use 1 to rewrite the expected files, 0 or unset to compare")
    return value == "1"


def write_golden(path: Path, text: str) -> None:
    """Rewrite ``path`` when :func:`updating_goldens`; the test then asserts as always."""
    if updating_goldens():
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def sandbox_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh sandbox state folder, used by every in-process sandbox the test starts."""
    directory = tmp_path / "sandbox"
    monkeypatch.setenv("GA_GOALS_SANDBOX_DIR", str(directory))
    for name in ("GA_GOALS_SANDBOX_ADDRESS", "GA_GOALS_SANDBOX_FAULTS", "GA_GOALS_SANDBOX_LATENCY", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return directory
