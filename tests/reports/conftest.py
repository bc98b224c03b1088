"""Fixtures: the shop plan, a fake Data API server reached through the real clients, built reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from typing import Any

import pytest

from ga_goals.ga4 import Target
from ga_goals.ga4.data import DataGateway
from ga_goals.model import TrackingPlan
from ga_goals.plan_file import load_plan
from ga_goals.reports.build import build_report
from ga_goals.sources.data_api import DataApiSource
from ga_goals.reports.model import ReportData
from tests.conftest import CONFIGS
from tests.ga4.fake_data_api import FakeDataApi

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def shop_plan() -> TrackingPlan:
    return load_plan(CONFIGS / "shop.yaml", env={})


@pytest.fixture
def fake() -> Iterator[FakeDataApi]:
    with FakeDataApi(breakdown_values=("desktop", HOSTILE, "tablet")) as server:
        yield server


@pytest.fixture
def gateway(fake: FakeDataApi) -> Iterator[DataGateway]:
    target = Target("properties/100000001", sandbox_address=fake.address, timeout=5, retry_initial=0.01, retry_deadline=2)
    with DataGateway(target) as gw:
        yield gw


@pytest.fixture
def build(shop_plan: TrackingPlan, gateway: DataGateway) -> Callable[..., ReportData]:
    def make(name: str = "weekly", plan: TrackingPlan | None = None, **kw: Any) -> ReportData:
        kw.setdefault("now", NOW)
        return build_report(plan or shop_plan, name, DataApiSource(gateway), kw.pop("today", TODAY), **kw)

    return make


@pytest.fixture
def weekly(build: Callable[..., ReportData]) -> ReportData:
    return build()
