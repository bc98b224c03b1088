"""The contract suite's own machinery, without Google: every request runs against two sandboxes
(different traffic, same shapes), and the comparison finds what it must find."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ga_goals.ga4.target import Target
from ga_goals.sandbox.server import SandboxServer
from tests.live import contract
from tests.live.conftest import CREDENTIALS_ENV, PROPERTY_ENV, live_settings

REQUESTS = contract.requests()


def _sandbox(folder: Path, users: int) -> SandboxServer:
    server = SandboxServer(folder)
    server.store.ensure_property("424242")
    assert server.data is not None
    server.data.events.default_users = users
    server.start()
    return server


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Target, Target]]:
    a = _sandbox(tmp_path_factory.mktemp("a"), 60)
    b = _sandbox(tmp_path_factory.mktemp("b"), 90)
    try:
        yield Target("424242", sandbox_address=a.address), Target("424242", sandbox_address=b.address)
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize("request_", REQUESTS, ids=[r.name for r in REQUESTS])
def test_every_request_runs_and_two_sandboxes_agree_in_shape(request_: contract.Request, two: tuple[Target, Target]):
    first, second = (request_.call(target) for target in two)
    assert list(contract.differences(contract.shape(first), contract.shape(second))) == []
    assert contract.headers(first) == contract.headers(second)


def test_the_reports_have_rows_so_the_shapes_say_something(two: tuple[Target, Target]):
    by_name = {r.name: r for r in REQUESTS}
    report = by_name["RunReport event totals"].call(two[0])
    funnel = by_name["RunFunnelReport"].call(two[0])
    assert report.rows and funnel.funnel_table.rows
    assert contract.headers(funnel)["funnel_table.dimensions"] == ["funnelStepName", "deviceCategory", "dateRange"]


def test_differences_finds_missing_fields_types_and_lists():
    google = {"rows": [{"value": "str", "extra": "number"}], "kind": "str", "quota": {"a": "number"}}
    sandbox = {"rows": [{"value": "number"}], "kind": "str", "quota": "[]"}
    assert list(contract.differences(google, sandbox)) == [
        "quota: a list on one side, a message on the other",
        "rows[].extra: in GA4's answer, not in the sandbox's",
        "rows[].value: str in GA4's answer, number in the sandbox's",
    ]
    assert list(contract.differences({"rows": "[]"}, {"rows": [{"x": "str"}]})) == []  # no rows is data


def test_shape_keeps_structure_and_drops_values():
    from google.analytics import data_v1beta as beta

    one = beta.RunReportResponse(rows=[beta.Row(metric_values=[beta.MetricValue(value="1")])], row_count=1)
    two = beta.RunReportResponse(rows=[beta.Row(metric_values=[beta.MetricValue(value="250")])] * 3, row_count=3)
    assert contract.shape(one) == contract.shape(two)
    assert contract.shape(one)["rows"] == [{"dimension_values": "[]", "metric_values": [{"value": "str"}]}]


def test_without_the_environment_the_live_suite_says_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv(PROPERTY_ENV, raising=False)
    monkeypatch.delenv(CREDENTIALS_ENV, raising=False)
    reason = live_settings()
    assert isinstance(reason, str)
    assert PROPERTY_ENV in reason and CREDENTIALS_ENV in reason and "docs/live-tests.md" in reason
    monkeypatch.setenv(PROPERTY_ENV, "properties/123")
    monkeypatch.setenv(CREDENTIALS_ENV, str(tmp_path / "missing.json"))
    assert "no such file" in str(live_settings())
    key = tmp_path / "key.json"
    key.write_text("{}")
    monkeypatch.setenv(CREDENTIALS_ENV, str(key))
    assert live_settings() == ("123", str(key))
