"""Trends (rule 9) and next actions (rule 10): the DuckDB engine, both plans, against the reference,
on hand-made cases, on generated events and on the real export rows (tests/data/ga4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.events import EventStore
from ga_goals.funnels.semantics import FunnelDefinitionError, reference_next_actions, reference_trend
from ga_goals.funnels.sql import compile_funnel, compile_next_actions, run_funnel, run_next_actions
from ga_goals.funnels.result import NextActions
from tests.conftest import GA4_DATA
from tests.funnels.engines import DAY, ev, funnel, step, stored_events
from tests.funnels.test_properties import events, funnels

REAL_START, REAL_END = date(2020, 11, 1), date(2021, 1, 31)


def _store(rows) -> EventStore:
    store = EventStore()
    store.insert(rows)
    return store


def expected_next(stored, f, dimension: str) -> NextActions:
    found = reference_next_actions(stored, f, dimension)
    return NextActions.of(f, dimension, {k: v[0] for k, v in found.items()}, {k: v[1] for k, v in found.items()})


def check_trend(store: EventStore, f, start: date, end: date) -> None:
    stored = stored_events(store, start, end)
    expected = reference_trend(stored, f)
    for guarded in (False, True):
        got = run_funnel(store, f, start, end, "date", guarded=guarded)
        assert {r.breakdown: (list(r.users), list(r.continued)) for r in got.rows} == expected
        # each user counts on one day: the days add up to the plain funnel
        plain = run_funnel(store, f, start, end)
        assert got.total == plain.total


def check_next(store: EventStore, f, start: date, end: date, dimension: str = "eventName") -> NextActions:
    stored = stored_events(store, start, end)
    expected = expected_next(stored, f, dimension)
    for guarded in (False, True):
        assert run_next_actions(store, f, start, end, dimension, guarded=guarded) == expected
    # those who left after step k are the funnel's abandonments there (rule 7)
    plain = run_funnel(store, f, start, end)
    assert list(expected.left) == [m.abandonments for m in plain.metrics()][: len(f.steps) - 1]
    return expected


def test_next_action_is_the_first_later_event_of_those_who_left():
    rows = [
        ev("view_item", 1, "a"), ev("add_to_cart", 2, "a"), ev("scroll", 3, "a"),
        ev("view_item", 1, "b"), ev("page_view", 5, "b"), ev("scroll", 6, "b"),
        ev("view_item", 1, "c"),  # left, and nothing after
        ev("view_item", 1, "d"), ev("add_to_cart", 2, "d"), ev("purchase", 3, "d"),
        # two events at one moment: the smaller value counts
        ev("view_item", 1, "e"), ev("zzz", 4, "e"), ev("page_view", 4, "e"),
    ]
    f = funnel("view_item", "add_to_cart", "purchase")
    with _store(rows) as store:
        got = check_next(store, f, DAY, DAY)
    assert got.left == (3, 1)
    assert got.after(1) == [("page_view", 2)]
    assert got.without_next(1) == 1
    assert got.after(2) == [("scroll", 1)]


def test_next_action_of_an_open_funnel_and_by_page():
    page = {"page_location": "https://shop.example/cart"}
    rows = [
        ev("add_to_cart", 1, "a"), ev("page_view", 2, "a", params=page),
        ev("view_item", 1, "b"), ev("add_to_cart", 2, "b"), ev("page_view", 3, "b"),
    ]
    f = funnel("view_item", "add_to_cart", "purchase", open=True)
    with _store(rows) as store:
        got = check_next(store, f, DAY, DAY, "pageLocation")
    assert got.left == (0, 2)
    assert got.after(2) == [("(not set)", 1), ("https://shop.example/cart", 1)]


def test_trend_counts_users_on_the_day_they_entered():
    rows = [
        ev("view_item", 1, "a"), ev("add_to_cart", 2, "a", day=1),
        ev("view_item", 1, "b", day=1), ev("view_item", 1, "c", day=1), ev("add_to_cart", 5, "c", day=1),
    ]
    f = funnel("view_item", "add_to_cart")
    with _store(rows) as store:
        check_trend(store, f, DAY, DAY + timedelta(days=1))
        got = run_funnel(store, f, DAY, DAY + timedelta(days=1), "date")
    assert {r.breakdown: r.users for r in got.rows} == {"20240304": (1, 1), "20240305": (2, 1)}


def test_next_action_refuses_other_dimensions():
    with pytest.raises(FunnelDefinitionError, match="cannot read 'deviceCategory'"):
        compile_next_actions(funnel("a", "b"), DAY, DAY, "deviceCategory")


def test_plain_funnel_sql_does_not_change():
    """A trend is a breakdown and next actions a query of their own: the funnel SQL is the same."""
    f = funnel("view_item", step("add_to_cart", within=60), "purchase")
    assert compile_funnel(f, DAY, DAY).sql == compile_funnel(f, DAY, DAY, breakdown=None).sql
    assert "later" not in compile_funnel(f, DAY, DAY).sql


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(events(), max_size=14), funnels(), st.sampled_from(("eventName", "pageTitle")))
def test_generated_events_agree_with_the_reference(rows, f, dimension):
    if len(f.steps) < 2:
        return
    with _store(rows) as store:
        check_trend(store, f, DAY, DAY + timedelta(days=1))
        check_next(store, f, DAY, DAY + timedelta(days=1), dimension)


@pytest.fixture(scope="module")
def real():
    store = EventStore()
    store.load_jsonl(GA4_DATA / "export-sample-events.jsonl")
    yield store
    store.close()


REAL_FUNNELS = [
    funnel("session_start", "page_view", "scroll"),
    funnel("page_view", step("view_item", within=600), "add_to_cart"),
    funnel("session_start", step("page_view", direct=True), "user_engagement"),
    funnel("page_view", "view_item", "add_to_cart", open=True),
]


@pytest.mark.parametrize("f", REAL_FUNNELS, ids=range(len(REAL_FUNNELS)))
def test_real_rows_agree_with_the_reference(real, f):
    check_trend(real, f, REAL_START, REAL_END)
    for dimension in ("eventName", "pageLocation", "pageTitle"):
        got = check_next(real, f, REAL_START, REAL_END, dimension)
        assert sum(got.left) > 0
