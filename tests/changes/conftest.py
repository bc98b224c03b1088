"""Fixtures for the unit tests of ga_goals.changes."""

from __future__ import annotations

import pytest

from ga_goals.changes import Plan

from .builders import make_plan


@pytest.fixture
def plan() -> Plan:
    return make_plan()
