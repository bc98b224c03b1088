"""The sandbox's Data API says when its data is thresholded, sampled or has an "(other)" row, when
its ``data_caveats`` setting asks it to, on the responses where GA4 would; read back through
the real clients and the gateway (ga_goals.sandbox.data_caveats)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from ga_goals.errors import GaGoalsError
from ga_goals.ga4 import Target
from ga_goals.ga4.data import DataGateway
from ga_goals.model.tracking_plan import Funnel, FunnelStep
from ga_goals.sandbox.data_caveats import CAVEATS_ENV, ResponseCaveats, parse_caveats
from ga_goals.sandbox.server import SandboxServer
from ga_goals.sources.results import NO_CAVEATS, Caveats, Sampling
from tests.sandbox.data_api_helpers import PROP, cursor, start_shop_server


@dataclass(frozen=True)
class Span:
    name: str
    start: date
    end: date


CURRENT = Span("current", date(2026, 10, 22), date(2026, 10, 28))
PREVIOUS = Span("previous", date(2026, 10, 15), date(2026, 10, 21))
FUNNEL = Funnel("f", "F", (FunnelStep("view_item", "view_item"), FunnelStep("purchase", "purchase")))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = start_shop_server(tmp_path_factory.mktemp("caveats"))
    yield server
    server.stop()


@pytest.fixture
def gateway(server: SandboxServer) -> Iterator[DataGateway]:
    with DataGateway(Target(PROP, sandbox_address=server.address, timeout=30)) as gw:
        yield gw


@pytest.fixture
def caveats(server: SandboxServer) -> Iterator[object]:
    """Set the server's caveats for one test (the default says nothing)."""
    assert server.data is not None

    def set_to(text: str) -> None:
        server.data.caveats = parse_caveats(text)  # type: ignore[union-attr]

    yield set_to
    server.data.caveats = ResponseCaveats()


def events_in(server: SandboxServer, span: Span) -> int:
    with cursor(server) as con:
        (n,) = con.execute(
            f"SELECT COUNT(*) FROM events WHERE event_date BETWEEN '{span.start:%Y%m%d}' AND '{span.end:%Y%m%d}'"
        ).fetchone()
    return int(n)


def test_by_default_nothing_is_said(gateway: DataGateway):
    events, site = gateway.event_totals(["purchase"], [CURRENT, PREVIOUS])
    funnel = gateway.run_funnel(FUNNEL, [CURRENT, PREVIOUS])
    assert events.caveats == site.caveats == funnel.caveats == NO_CAVEATS


def test_thresholds_and_the_other_row_where_ga4_has_them(gateway: DataGateway, caveats):
    caveats("thresholded,other_row")
    events, site = gateway.event_totals(["purchase"], [CURRENT, PREVIOUS])
    funnel = gateway.run_funnel(FUNNEL, [CURRENT, PREVIOUS])
    assert events.caveats == Caveats(thresholded=True, other_row=True)  # user counts, by event name
    assert site.caveats == Caveats(thresholded=True)  # no dimension: one row, no "(other)"
    assert funnel.caveats == NO_CAVEATS  # a funnel response has no such fields


def test_ranges_with_more_events_than_the_limit_are_sampled(server: SandboxServer, gateway: DataGateway, caveats):
    current, previous = events_in(server, CURRENT), events_in(server, PREVIOUS)
    assert current > 1000 and previous > 1000
    limit = min(current, previous) - 1
    caveats(f"sample_above={limit}")
    expected = Caveats(sampling=(Sampling("current", limit, current), Sampling("previous", limit, previous)))
    events, site = gateway.event_totals(["purchase"], [CURRENT, PREVIOUS])
    funnel = gateway.run_funnel(FUNNEL, [CURRENT, PREVIOUS])
    assert events.caveats == site.caveats == funnel.caveats == expected
    # Only when a range holds more events than the limit; then every range has its entry.
    caveats(f"sample_above={max(current, previous)}")
    assert gateway.run_funnel(FUNNEL, [CURRENT, PREVIOUS]).caveats == NO_CAVEATS
    caveats(f"sample_above={current}")
    sampled = gateway.run_funnel(FUNNEL, [CURRENT, PREVIOUS]).caveats.sampling
    if previous > current:
        assert sampled == (Sampling("current", current, current), Sampling("previous", current, previous))
    else:
        assert sampled == ()


def test_the_figures_stay_exact(gateway: DataGateway, caveats):
    plain = gateway.run_funnel(FUNNEL, [CURRENT])
    caveats("thresholded,other_row,sample_above=0")
    marked = gateway.run_funnel(FUNNEL, [CURRENT])
    assert marked.cells == plain.cells and marked.caveats.sampled


@pytest.mark.parametrize(
    "text, said",
    [
        ("thresholded,sampled", "unknown setting 'sampled'"),
        ("sample_above=many", "sample_above needs a number"),
        ("sample_above=-1", "sample_above needs a number"),
        ("other_row=1", "unknown setting 'other_row=1'"),
    ],
)
def test_a_bad_setting_says_what_is_accepted(text: str, said: str):
    with pytest.raises(GaGoalsError, match=said) as caught:
        parse_caveats(text)
    assert str(caught.value).startswith(f"{CAVEATS_ENV}: ")


def test_the_environment_sets_the_in_process_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(CAVEATS_ENV, "thresholded, sample_above=5")
    server = SandboxServer(tmp_path / "sandbox")
    assert server.data is not None and server.data.caveats == ResponseCaveats(thresholded=True, sample_above=5)
    monkeypatch.setenv(CAVEATS_ENV, "nonsense")
    with pytest.raises(GaGoalsError, match="unknown setting 'nonsense'"):
        SandboxServer(tmp_path / "sandbox2")
    assert SandboxServer(tmp_path / "sandbox3", data_caveats="").data.caveats == ResponseCaveats()  # type: ignore[union-attr]
