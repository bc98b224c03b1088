"""Shared fixtures: every test gets its own sandbox state folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
#: Real GA4 data (export rows, API responses), copied from the team's shared data: see its README.
GA4_DATA = ROOT / "tests" / "data" / "ga4"


@pytest.fixture
def sandbox_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh sandbox state folder, used by every in-process sandbox the test starts."""
    directory = tmp_path / "sandbox"
    monkeypatch.setenv("GA_GOALS_SANDBOX_DIR", str(directory))
    for name in ("GA_GOALS_SANDBOX_ADDRESS", "GA_GOALS_SANDBOX_FAULTS", "GA_GOALS_SANDBOX_LATENCY", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return directory
