"""One hand-written case (or a few) per rule of ga_goals.funnels.semantics, each run in both engines."""

from __future__ import annotations

from datetime import date

import pytest

from ga_goals.funnels import FunnelDefinitionError, compile_funnel, reference_funnel
from ga_goals.funnels.semantics import moment, moment_timestamp, validate
from ga_goals.model.tracking_plan import Funnel, FunnelStep, StepFilter

from .engines import DAY, ev, funnel, run_both, step


@pytest.fixture(scope="module")
def store():
    from ga_goals.events import EventStore

    with EventStore() as s:
        yield s


# -- rule 1: users, dates --------------------------------------------------------------------


def test_users_are_counted_once_and_other_dates_do_not_exist(store):
    events = [
        ev("a", 1),
        ev("a", 2),
        ev("b", 3),  # u1 twice at a
        ev("a", 1, "u2"),
        ev("b", 2, "u2", day=1),  # u2 did b the next day: outside the range
        ev("a", 1, user=None),  # no user_pseudo_id: ignored
    ]
    assert run_both(events, funnel("a", "b"), store=store).users == [2, 1]
    assert run_both(events, funnel("a", "b"), DAY, date(2024, 3, 5), store=store).users == [2, 2]


# -- rule 2: order and ties ------------------------------------------------------------------


def test_a_later_step_may_share_the_prior_steps_timestamp_when_the_export_orders_them(store):
    # same timestamp, ordered by the batch index or by rank: a later moment
    assert run_both([ev("a", 5, index=0), ev("b", 5, index=1)], funnel("a", "b"), store=store).users == [1, 1]
    assert run_both([ev("session_start", 5), ev("b", 5)], funnel("session_start", "b"), store=store).users == [1, 1]


def test_events_of_one_unordered_instant_never_follow_each_other(store):
    # same timestamp, no batch index, both rank 2: simultaneous, in either direction
    assert run_both([ev("b", 5), ev("a", 5)], funnel("a", "b"), store=store).users == [1, 0]
    assert run_both([ev("b", 5), ev("a", 5)], funnel("b", "a"), store=store).users == [1, 0]
    events = [ev("a", 5, params={"x": "1"}), ev("a", 5, params={"x": "2"})]
    one = step("a", StepFilter("x", "equals", "1"))
    two = step("a", StepFilter("x", "equals", "2"))
    assert run_both(events, funnel(one, two), store=store).users == [1, 0]
    assert run_both(events, funnel(two, one), store=store).users == [1, 0]
    # one microsecond later is a later moment
    assert run_both([ev("a", 5), ev("b", 5.000001)], funnel("a", "b"), store=store).users == [1, 1]


def test_one_event_never_satisfies_two_steps(store):
    # a -> a needs two events at two moments
    assert run_both([ev("a", 5)], funnel("a", "a"), store=store).users == [1, 0]
    assert run_both([ev("a", 5), ev("a", 5, page=1, request=1, index=1)], funnel("a", "a"), store=store).users == [1, 1]
    assert run_both([ev("a", 5), ev("a", 6)], funnel("a", "a", "a"), store=store).users == [1, 1, 0]


def test_the_batch_index_orders_events_with_one_timestamp(store):
    # b was sent before a in the same request: a -> b is not completed, b -> a is.
    events = [ev("a", 5, page=1, request=1, index=2), ev("b", 5, page=1, request=1, index=1)]
    assert run_both(events, funnel("a", "b"), store=store).users == [1, 0]
    assert run_both(events, funnel("b", "a"), store=store).users == [1, 1]
    # page and request numbers are not read: one timestamp, one index is one moment
    events = [ev("a", 5, page=2, request=1, index=0), ev("b", 5, page=1, request=9, index=0)]
    assert run_both(events, funnel("b", "a"), store=store).users == [1, 0]
    assert run_both(events, funnel("a", "b"), store=store).users == [1, 0]
    # a missing index comes before every index
    events = [ev("a", 5, index=0), ev("b", 5)]
    assert run_both(events, funnel("b", "a"), store=store).users == [1, 1]


def test_first_visit_and_session_start_come_before_their_page_view(store):
    hit = [ev("page_view", 5), ev("session_start", 5), ev("first_visit", 5)]
    assert run_both(hit, funnel("first_visit", "session_start", "page_view"), store=store).users == [1, 1, 1]
    assert run_both(hit, funnel("page_view", "session_start"), store=store).users == [1, 0]


def test_moment_of_the_rule():
    a = {"event_name": "page_view", "event_timestamp": 5}
    b = {"event_name": "session_start", "event_timestamp": 5}
    c = {"event_name": "x", "event_timestamp": 5, "batch_event_index": 0}
    d = {"event_name": "x", "event_timestamp": 5, "batch_event_index": 9999}
    e = {"event_name": "y", "event_timestamp": 5, "batch_event_index": 510, "batch_page_id": 3}
    assert sorted([a, b, c], key=moment) == [b, a, c]  # missing index first, then rank
    assert moment(d) == moment(e)  # the index is capped at 510
    assert moment_timestamp(moment(d)) == 5


# -- rule 3: step matching and filters -------------------------------------------------------


@pytest.mark.parametrize(
    ("flt", "value", "holds"),
    [
        (StepFilter("p", "equals", "newsletter"), "newsletter", True),
        (StepFilter("p", "equals", "newsletter"), "Newsletter", False),
        (StepFilter("p", "equals", "newsletter", case_sensitive=False), "NewsLetter", True),
        (StepFilter("p", "equals", 5.0), 5, True),  # a number compares numbers
        (StepFilter("p", "equals", 5.0), "5.00", True),
        (StepFilter("p", "equals", "5"), 5, True),  # text compares text
        (StepFilter("p", "equals", "5"), 5.0, False),  # a double prints as 5.0
        (StepFilter("p", "contains", "art"), "cart", True),
        (StepFilter("p", "contains", "ART", case_sensitive=False), "cart", True),
        (StepFilter("p", "starts_with", "/check"), "/checkout", True),
        (StepFilter("p", "starts_with", "check"), "/checkout", False),
        (StepFilter("p", "ends_with", "out"), "/checkout", True),
        (StepFilter("p", "matches", "/check.*"), "/checkout", True),
        (StepFilter("p", "matches", "check"), "/checkout", False),  # a full match
        (StepFilter("p", "matches", "/CHECK.*", case_sensitive=False), "/checkout", True),
        (StepFilter("p", "in", ("a", "b")), "b", True),
        (StepFilter("p", "in", ("a", "b")), "B", False),
        (StepFilter("p", "in", ("a", "b"), case_sensitive=False), "B", True),
        (StepFilter("p", "greater_than", 0.0), 0.01, True),
        (StepFilter("p", "greater_than", 0.0), 0.0, False),
        (StepFilter("p", "greater_than_or_equal", 0.0), 0, True),
        (StepFilter("p", "less_than", 10.0), "9.5", True),  # a numeric string is a number
        (StepFilter("p", "less_than", 10.0), "cheap", False),  # other text is not
        (StepFilter("p", "less_than_or_equal", 10.0), 10, True),
        (StepFilter("p", "equals", "x", negated=True), "y", True),
        (StepFilter("p", "equals", "x", negated=True), "x", False),
    ],
)
def test_filters(store, flt, value, holds):
    f = funnel(step("e", flt))
    assert run_both([ev("e", 1, params={"p": value})], f, store=store).users == [1 if holds else 0]


def test_missing_parameters_fail_filters_and_pass_negated_ones(store):
    events = [ev("e", 1, params={"other": "x"})]
    assert run_both(events, funnel(step("e", StepFilter("p", "equals", "x"))), store=store).users == [0]
    assert run_both(events, funnel(step("e", StepFilter("p", "equals", "x", negated=True))), store=store).users == [1]
    assert run_both(events, funnel(step("e", StepFilter("p", "less_than", 1.0, negated=True))), store=store).users == [
        1
    ]


def test_filters_are_anded_and_a_repeated_key_reads_its_first_value(store):
    both = step("e", StepFilter("p", "equals", "a"), StepFilter("q", "greater_than", 1.0))
    assert run_both([ev("e", 1, params={"p": "a", "q": 2})], funnel(both), store=store).users == [1]
    assert run_both([ev("e", 1, params={"p": "a", "q": 1})], funnel(both), store=store).users == [0]
    repeated = ev("e", 1)
    repeated["event_params"] = [
        {"key": "p", "value": {"string_value": "a"}},
        {"key": "p", "value": {"string_value": "b"}},
    ]
    assert run_both([repeated], funnel(step("e", StepFilter("p", "equals", "b"))), store=store).users == [0]


# -- rule 4: closed funnels ------------------------------------------------------------------


def test_closed_funnels_need_the_first_step_and_cannot_skip(store):
    events = [
        ev("a", 1, "u1"),
        ev("c", 2, "u1"),  # 1 -> 3 without 2
        ev("b", 1, "u2"),
        ev("c", 2, "u2"),  # never did a
        ev("a", 1, "u3"),
        ev("b", 2, "u3"),
        ev("c", 3, "u3"),
        ev("b", 1, "u4"),
        ev("a", 2, "u4"),
        ev("c", 3, "u4"),  # b before a does not count
    ]
    assert run_both(events, funnel("a", "b", "c"), store=store).users == [3, 1, 1]


# -- rule 5: directly followed and time windows ----------------------------------------------


def test_directly_followed_means_the_very_next_event(store):
    f = funnel("a", step("b", direct=True))
    assert run_both([ev("a", 1), ev("b", 2)], f, store=store).users == [1, 1]
    assert run_both([ev("a", 1), ev("scroll", 2), ev("b", 3)], f, store=store).users == [1, 0]
    # any later a that is directly followed counts
    assert run_both([ev("a", 1), ev("x", 2), ev("a", 3), ev("b", 4)], f, store=store).users == [1, 1]
    # ties: the next moment is next; an event of the same instant is neither before nor after
    assert run_both([ev("a", 5, index=0), ev("b", 5, index=1)], f, store=store).users == [1, 1]
    assert run_both([ev("a", 5, index=0), ev("x", 5, index=1), ev("b", 5, index=2)], f, store=store).users == [1, 0]
    assert run_both([ev("a", 5), ev("x", 6), ev("b", 6)], f, store=store).users == [1, 1]
    assert run_both([ev("a", 5), ev("x", 5), ev("b", 6)], f, store=store).users == [1, 1]
    # an event outside the date range is not "the next event" (x is dated the next day)
    between = ev("x", 86399.6, event_date="20240305")
    assert run_both([ev("a", 86399.5), between, ev("b", 86399.7)], f, store=store).users == [1, 1]
    assert run_both([ev("a", 86399.5), between, ev("b", 86399.7)], f, DAY, date(2024, 3, 5), store=store).users == [
        1,
        0,
    ]


def test_within_is_inclusive_at_the_microsecond(store):
    f = funnel("a", step("b", within=5))
    assert run_both([ev("a", 10), ev("b", 15)], f, store=store).users == [1, 1]
    assert run_both([ev("a", 10), ev("b", 14.9)], f, store=store).users == [1, 1]
    assert run_both([ev("a", 10), ev("b", 15.000001)], f, store=store).users == [1, 0]
    assert run_both([ev("a", 10), ev("b", 10)], f, store=store).users == [1, 0]  # simultaneous (rule 2)
    assert run_both([ev("a", 10, index=0), ev("b", 10, index=1)], f, store=store).users == [1, 1]
    fractional = funnel("a", step("b", within=0.0000015))  # rounds to 2 µs
    assert run_both([ev("a", 10), ev("b", 10.000002)], fractional, store=store).users == [1, 1]


def test_the_window_is_met_by_some_earlier_step_not_only_the_first(store):
    f = funnel("a", step("b", within=60))
    events = [ev("a", 0), ev("a", 3600), ev("b", 3630)]
    assert run_both(events, f, store=store).users == [1, 1]
    # ... and the chain goes on from the event that made the window
    f3 = funnel("a", step("b", within=60), step("c", within=60))
    events = [ev("a", 0), ev("b", 30), ev("a", 1000), ev("b", 1010), ev("c", 1050)]
    assert run_both(events, f3, store=store).users == [1, 1, 1]


def test_directly_followed_with_a_window(store):
    f = funnel("a", step("b", direct=True, within=1))
    assert run_both([ev("a", 1), ev("b", 2)], f, store=store).users == [1, 1]
    assert run_both([ev("a", 1), ev("b", 2.5)], f, store=store).users == [1, 0]


def test_constraints_on_the_first_step_are_ignored(store):
    f = funnel(step("a", direct=True, within=1), "b")
    assert run_both([ev("x", 0), ev("a", 100), ev("b", 200)], f, store=store).users == [1, 1]


# -- rule 6: open funnels --------------------------------------------------------------------


def test_open_funnels_count_entries_at_any_step(store):
    events = [
        ev("a", 1, "u1"),
        ev("b", 2, "u1"),
        ev("c", 3, "u1"),
        ev("b", 1, "u2"),
        ev("c", 2, "u2"),  # enters at b
        ev("c", 1, "u3"),  # enters at c
        ev("c", 1, "u4"),
        ev("b", 2, "u4"),  # c then b: at b and at c, continued from neither
    ]
    both = run_both(events, funnel("a", "b", "c", open=True), store=store)
    assert both.users == [1, 3, 4]
    assert both.reference_continued == [1, 2, 0]
    metrics = both.sql.metrics()
    assert [m.completion_rate for m in metrics] == [1.0, 2 / 3, 1.0]
    assert [m.abandonments for m in metrics] == [0, 1, 0]


def test_open_funnels_apply_constraints_to_continuing(store):
    f = funnel("a", step("b", within=10), open=True)
    both = run_both([ev("a", 0), ev("b", 30)], f, store=store)
    assert both.users == [1, 1]
    assert both.reference_continued == [0, 0]


# -- rule 8: breakdowns ----------------------------------------------------------------------


def test_breakdown_by_the_entry_events_value(store):
    events = [
        ev("a", 1, "u1", device="mobile"),
        ev("b", 2, "u1", device="desktop"),  # entered on mobile
        ev("a", 1, "u2", device="desktop"),
        ev("b", 1, "u3", device="tablet"),  # never entered (closed)
        ev("a", 1, "u4"),  # no device: (not set)
    ]
    both = run_both(events, funnel("a", "b"), store=store, breakdown="deviceCategory")
    rows = {r.breakdown: r.users for r in both.sql.rows}
    assert rows == {"mobile": (1, 1), "desktop": (1, 0), "(not set)": (1, 0)}
    assert both.users == [3, 1]


# -- definitions no engine can compute ---------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Funnel("f", "F", ()), "no steps"),
        (funnel(step("a", StepFilter("p", "like", "x"))), "unknown filter operator 'like'"),
        (funnel(step("a", StepFilter("p", "greater_than", "x"))), "needs a number"),
        (funnel(step("a", StepFilter("p", "in", "x"))), "needs a list"),
        (funnel(step("a", StepFilter("p", "matches", "("))), "bad regular expression"),
        (funnel(step("a", within=-1)), "must not be negative"),
    ],
)
def test_invalid_funnels(bad, message):
    with pytest.raises(FunnelDefinitionError, match=message):
        validate(bad)
    with pytest.raises(FunnelDefinitionError):
        compile_funnel(bad, DAY, DAY)
    with pytest.raises(FunnelDefinitionError):
        reference_funnel({}, bad)


def test_unknown_breakdown_and_reversed_dates():
    with pytest.raises(FunnelDefinitionError, match="unknown breakdown dimension 'deviceColour'"):
        compile_funnel(funnel("a"), DAY, DAY, breakdown="deviceColour")
    with pytest.raises(FunnelDefinitionError, match="before the start"):
        compile_funnel(funnel("a"), DAY, date(2024, 3, 1))


def test_funnel_step_names_only_matter_for_labels(store):
    f = Funnel("f", "F", (FunnelStep("Viewed", "a"), FunnelStep("Bought", "b")))
    both = run_both([ev("a", 1), ev("b", 2)], f, store=store)
    assert both.users == [1, 1]
    assert [m.label for m in both.sql.metrics()] == ["1. Viewed", "2. Bought"]
