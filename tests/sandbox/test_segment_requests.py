"""Plan segments through the real Data API client: ``segment_proto`` (what the gateway sends) read
back by the sandbox (``segment_from_request``) computes what the SQL engine computes with the plan
segment, for random segments of every scope and condition kind, on the real export rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from google.analytics import data_v1alpha as alpha
from google.api_core import exceptions as gexc
from hypothesis import HealthCheck, given, settings

from ga_goals.events import EventStore
from ga_goals.funnels import run_funnel
from ga_goals.ga4 import Target
from ga_goals.ga4.data import DataGateway, segment_proto
from ga_goals.model.tracking_plan import DimensionFilter, EventMatch, Funnel, FunnelStep, Segment
from ga_goals.sandbox.server import SandboxServer
from tests.conftest import GA4_DATA
from tests.funnels.test_segment_properties import segments

START, END = date(2020, 11, 1), date(2021, 1, 31)
FUNNEL = Funnel(
    "f", "", (FunnelStep("session_start", "session_start"), FunnelStep("page_view", "page_view"), FunnelStep("scroll", "scroll"))
)


@dataclass(frozen=True)
class Span:
    name: str
    start: date
    end: date


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DataGateway, EventStore]]:
    tmp = tmp_path_factory.mktemp("segments")
    rows = tmp / "rows.jsonl"
    rows.write_text((GA4_DATA / "export-sample-events.jsonl").read_text())
    store = EventStore()
    store.load_jsonl(rows)
    server = SandboxServer(Path(tmp) / "sandbox")
    server.start()
    try:
        server.store.ensure_property("100000008")
        server.data.events.load("100000008", [rows], replace=True)
        with DataGateway(Target("properties/100000008", sandbox_address=server.address, timeout=30)) as gateway:
            yield gateway, store
    finally:
        server.stop()
        store.close()


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(segment=segments())
def test_a_segment_sent_by_the_gateway_is_computed_as_the_engine_computes_it(served, segment: Segment):
    gateway, store = served
    table = gateway.run_funnel(FUNNEL, [Span("all", START, END)], segments=[segment_proto(segment)])
    expected = run_funnel(store, FUNNEL, START, END, segment=segment)
    assert table.users("all", segment.label) == list(expected.users)


def test_the_request_has_the_scope_scoping_and_exclusion_ga4_documents():
    user = segment_proto(Segment("u", "user", DimensionFilter("deviceCategory", "equals", "mobile"), title="Mobile users", exclusion=EventMatch("purchase")))
    assert user.name == "Mobile users"
    group = user.user_segment.user_inclusion_criteria.and_condition_groups[0]
    assert group.condition_scoping == alpha.UserCriteriaScoping.USER_CRITERIA_WITHIN_SAME_EVENT
    assert group.segment_filter_expression.segment_filter.field_name == "deviceCategory"
    assert user.user_segment.exclusion.user_exclusion_duration == alpha.UserExclusionDuration.USER_EXCLUSION_PERMANENT
    excluded = user.user_segment.exclusion.user_exclusion_criteria.and_condition_groups[0]
    assert excluded.segment_filter_expression.segment_event_filter.event_name == "purchase"
    session = segment_proto(Segment("s", "session", EventMatch("page_view")))
    assert session.session_segment.session_inclusion_criteria.and_condition_groups[0].condition_scoping == (
        alpha.SessionCriteriaScoping.SESSION_CRITERIA_WITHIN_SAME_EVENT
    )
    event = segment_proto(Segment("e", "event", EventMatch("page_view")))
    assert event.event_segment.event_inclusion_criteria.and_condition_groups[0].condition_scoping == (
        alpha.EventCriteriaScoping.EVENT_CRITERIA_WITHIN_SAME_EVENT
    )


def test_session_segments_of_another_form_are_unimplemented(served):
    gateway, _store = served
    other = alpha.Segment(
        name="s",
        session_segment=alpha.SessionSegment(
            session_inclusion_criteria=alpha.SessionSegmentCriteria(
                and_condition_groups=[
                    alpha.SessionSegmentConditionGroup(
                        condition_scoping=alpha.SessionCriteriaScoping.SESSION_CRITERIA_WITHIN_SAME_SESSION,
                        segment_filter_expression=alpha.SegmentFilterExpression(
                            segment_event_filter=alpha.SegmentEventFilter(event_name="page_view")
                        ),
                    )
                ]
            )
        ),
    )
    from ga_goals.errors import GaGoalsError

    with pytest.raises((GaGoalsError, gexc.MethodNotImplemented), match="SESSION_CRITERIA_WITHIN_SAME_EVENT"):
        gateway.run_funnel(FUNNEL, [Span("all", START, END)], segments=[other])
