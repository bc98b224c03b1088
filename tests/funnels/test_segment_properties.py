"""Property tests of segments (rule 11): user, session and event segments with conditions of every
kind (events, parameter filters, dimensions of every scope, groups) and an optional exclusion,
drawn at random over small random event sets; the DuckDB SQL engine (both of its plans) agrees
with the Python reference, with and without a breakdown, and the BigQuery SQL agrees with both
through the local BigQuery endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.bigquery.query import Query
from ga_goals.bigquery.runner import BigQueryRunner
from ga_goals.funnels.sql import compile_funnel, result_from_rows
from ga_goals.model.tracking_plan import DimensionFilter, EventMatch, Segment
from ga_goals.sandbox.bigquery import serve_bigquery

from .engines import DAY, ev, funnel, reference_breakdown, run_both
from .test_condition_properties import conditions, events, funnels, store


@st.composite
def segments(draw):
    return Segment(
        name="s",
        scope=draw(st.sampled_from(("user", "session", "event"))),
        condition=draw(conditions()),
        exclusion=draw(st.one_of(st.none(), conditions())),
    )


COMMON = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@COMMON
@given(rows=st.lists(events(), max_size=12), f=funnels(), segment=segments(), breakdown=st.sampled_from((None, "deviceCategory")))
def test_segmented_funnels_agree_with_the_reference(rows, f, segment, breakdown):
    both = run_both(rows, f, store=store(), segment=segment, breakdown=breakdown)
    users = both.users  # DuckDB (both plans) and the reference agree
    unsegmented = run_both(rows, f, store=store()).users
    if segment.scope == "user" and not f.open:
        # a user segment keeps whole users: never more users at a step than without it
        assert all(a <= b for a, b in zip(users, unsegmented))
    if breakdown is not None:
        expected = reference_breakdown(both.stored, f, segment)
        assert {r.breakdown: r.users for r in both.sql.rows} == expected


DATASET = "ga-goals-test.analytics_100000001"


@pytest.fixture(scope="module")
def bigquery() -> Iterator[BigQueryRunner]:
    """The local BigQuery endpoint over the property tests' store (its rows change per example)."""
    with serve_bigquery(store().connection, DATASET) as bq:
        yield BigQueryRunner(DATASET, endpoint=bq.endpoint)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(events(), min_size=1, max_size=12), f=funnels(), segment=segments(), breakdown=st.sampled_from((None, "sessionSource")))
def test_bigquery_sql_of_segments_agrees(bigquery: BigQueryRunner, rows, f, segment, breakdown):
    both = run_both(rows, f, store=store(), breakdown=breakdown, segment=segment)
    assert both.users == both.reference_users
    compiled = compile_funnel(f, DAY, DAY, breakdown=breakdown, dialect="bigquery", table=DATASET, segment=segment)
    got = result_from_rows(f, DAY, DAY, breakdown, bigquery.run(Query.of(compiled.query)).rows)
    assert (got.total, got.rows) == (both.sql.total, both.sql.rows)


def _session(name: str, t: float, user: str, sid: int | None, device: str) -> dict:
    return ev(name, t, user, params={} if sid is None else {"ga_session_id": sid}, device=device)


ROWS = [
    # u1: a desktop session (view, cart) then a mobile session (view, cart, purchase)
    _session("view", 1, "u1", 1, "desktop"),
    _session("cart", 2, "u1", 1, "desktop"),
    _session("view", 10, "u1", 2, "mobile"),
    _session("cart", 11, "u1", 2, "mobile"),
    _session("purchase", 12, "u1", 2, "mobile"),
    # u2: mobile view, then desktop cart and purchase in one session
    _session("view", 1, "u2", 5, "mobile"),
    _session("cart", 2, "u2", 5, "desktop"),
    _session("purchase", 3, "u2", 5, "desktop"),
    # u3: desktop only, and a mobile event outside any session
    _session("view", 1, "u3", 7, "desktop"),
    _session("cart", 2, "u3", 7, "desktop"),
    _session("view", 3, "u3", None, "mobile"),
]
MOBILE = DimensionFilter("deviceCategory", "equals", "mobile")


@pytest.mark.parametrize(
    ("scope", "exclusion", "expected"),
    [
        # users with a mobile event: u1, u2, u3 (its session-less mobile view counts for the user)
        ("user", None, [3, 3, 2]),
        # sessions with a mobile event: u1's second, u2's (u3's mobile view is in no session)
        ("session", None, [2, 2, 2]),
        # mobile events only: u1 view, cart, purchase; u2 view; u3 view
        ("event", None, [3, 1, 1]),
        # users with a mobile event and no purchase: u3
        ("user", EventMatch("purchase"), [1, 1, 0]),
        ("session", EventMatch("purchase"), [0, 0, 0]),
        # mobile events that are not a cart: nobody reaches the cart
        ("event", EventMatch("cart"), [3, 0, 0]),
    ],
)
def test_each_scope_keeps_what_rule_9_says(scope, exclusion, expected):
    f = funnel("view", "cart", "purchase")
    segment = Segment("mobile", scope, MOBILE, exclusion=exclusion)
    assert run_both(ROWS, f, store=store(), segment=segment).users == expected
