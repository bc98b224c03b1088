"""What a report says where the figures are odd: nothing to compare with, an open funnel whose
users enter mid-way, a lift table without conversions."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ga_goals.sources.data_api import DataApiSource
from ga_goals.ga4 import Target
from ga_goals.ga4.data import DataGateway
from ga_goals.sources.base import LIFT_ENTRY_EVENT
from ga_goals.reports.build import build_report
from ga_goals.reports.model import Change, ReportData
from ga_goals.reports.render import funnel_chart, render_report
from ga_goals.reports import derive
from ga_goals.templating import CHANGE_MARKS, change_mark, change_text, p_value_text
from tests.ga4.fake_data_api import FakeDataApi
from tests.reports.conftest import NOW, TODAY

TEMPLATED = ("text", "html", "email")


def words(html: str) -> str:
    """The text of an HTML page, tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.replace("<wbr>", "")).split())


@pytest.fixture
def first_week(shop_plan) -> Iterator[ReportData]:
    """The property's first week: the previous week has no data at all."""
    with FakeDataApi(previous_factor=0) as fake:
        target = Target("properties/100000001", sandbox_address=fake.address, timeout=5, retry_initial=0.01, retry_deadline=2)
        with DataGateway(target) as gateway:
            yield build_report(shop_plan, "weekly", DataApiSource(gateway), TODAY, now=NOW)


def test_an_empty_previous_period_is_said_to_be_empty_not_compared_with(first_week):
    assert first_week.previous_empty and not first_week.has_comparison
    assert first_week.site.users_change is None  # build knows there is nothing to compare with
    for fmt in TEMPLATED:
        out = render_report(first_week, fmt)
        shown = out if fmt == "text" else words(out)
        assert "No data in 11–17 Nov 2026 to compare with." in shown, fmt
        assert "compared with" not in shown, fmt
        assert "+1,200" not in shown and "+0.05" not in shown and "new" not in shown.split(), fmt  # no change at all
        assert "Change" not in shown and "Previous" not in shown, fmt
    text = render_report(first_week, "text")
    assert re.search(r"^Users +1,200$", text, re.M)
    assert "5% overall conversion. Closed funnel." in text
    assert json.loads(render_report(first_week, "json"))["previous_empty"] is True


def test_a_period_with_data_is_compared(weekly):
    assert weekly.has_comparison and not weekly.previous_empty
    assert "compared with 11–17 Nov 2026" in render_report(weekly, "text")
    assert json.loads(render_report(weekly, "json"))["previous_empty"] is False


@pytest.mark.parametrize(
    "change, shown",
    [(None, "–"), (Change(0.25, 0.25), "+25%"), (Change(-3, -0.5), "-50%"), (Change(2436, None), "new"), (Change(0, None), "0%")],
)
def test_a_change_is_never_an_absolute_number_beside_percentages(change, shown):
    assert change_text(change) == shown


def test_a_value_new_in_this_period_says_new(weekly):
    event = dataclasses.replace(weekly.key_events[0], count_change=Change(absolute=100, relative=None), previous_count=0)
    data = dataclasses.replace(weekly, key_events=(event, *weekly.key_events[1:]))
    for fmt in TEMPLATED:
        out = render_report(data, fmt)
        shown = out if fmt == "text" else words(out)
        assert "new" in shown.split() and "+100" not in shown, fmt


def open_funnel(weekly: ReportData) -> ReportData:
    """An open funnel where users enter at step 2 too: 1,000 at step 1, of whom 624 (62.4%) do
    not go on, and 444 at step 2 (so users alone would say 55.6% were lost)."""
    funnel = weekly.funnels[1]
    assert funnel.open
    first = dataclasses.replace(funnel.steps[0], users=1000, abandonments=624, abandonment_rate=0.624, completion_rate=0.376)
    second = dataclasses.replace(funnel.steps[1], users=444, share_of_first=0.444)
    funnel = dataclasses.replace(funnel, steps=(first, second, *funnel.steps[2:]))
    return dataclasses.replace(weekly, funnels=(weekly.funnels[0], funnel))


def test_an_abandonment_label_never_covers_the_users_figure(weekly):
    # An open funnel whose step 2 has more users than step 1: its bar fills the track, so the
    # label of step 1's abandonment has no room after it (the step table still shows the rate).
    data = open_funnel(weekly)
    funnel = data.funnels[1]
    second = dataclasses.replace(funnel.steps[1], users=1200, share_of_first=1.2)
    data = dataclasses.replace(data, funnels=(data.funnels[0], dataclasses.replace(funnel, steps=(funnel.steps[0], second, *funnel.steps[2:]))))
    chart = funnel_chart(data.funnels[1])
    assert chart.bars[1].width == chart.bar_max
    page = render_report(data, "html")
    section = page[page.index('id="funnel-browse') :]
    assert "62.4% abandoned</text>" not in section
    assert '<td class="n">62.4%</td>' in section


def test_an_open_funnel_shows_one_abandonment_in_chart_and_tables(weekly):
    data = open_funnel(weekly)
    chart = funnel_chart(data.funnels[1])
    assert chart.bars[1].lost_share == data.funnels[1].steps[0].abandonment_rate == 0.624
    assert chart.bars[1].width + chart.bars[1].lost_width <= chart.bar_max
    page = render_report(data, "html")
    section = page[page.index('id="funnel-browse') :]
    assert "62.4% abandoned</text>" in section  # the chart
    assert '<td class="n">62.4%</td>' in section  # the step table, step 1
    assert "55.6%" not in section and "55.60%" not in section
    email = words(render_report(data, "email"))
    assert "Abandonment" in email and "62.4%" in email and "55.6%" not in email
    text = render_report(data, "text")
    assert "624 (62.4%)" in text and "55.6%" not in text


def test_every_chart_label_is_the_abandonment_rate_of_the_step_before(weekly):
    for funnel in weekly.funnels:
        bars = funnel_chart(funnel).bars
        assert bars[0].lost_share is None
        assert [b.lost_share for b in bars[1:]] == [s.abandonment_rate for s in funnel.steps[:-1]]


def test_the_lift_baseline_has_no_lift_without_conversions(weekly):
    """0 converted of 0 users is no rate, and 0 of 1,000 is no basis: no "1.00x" then."""
    mm = weekly.micro_macro
    for users, converted, rate in ((0, 0, None), (1000, 0, 0.0)):
        rows = tuple(dataclasses.replace(r, lift=None) for r in mm.rows)
        data = dataclasses.replace(
            weekly, micro_macro=dataclasses.replace(mm, all_users=users, all_converted=converted, all_conversion_rate=rate, rows=rows)
        )
        assert data.micro_macro.all_lift is None
        text = render_report(data, "text")
        assert re.search(rf"^All users with a session +{users:,} +0 +(–|0%) +–$", text, re.M), text
        for fmt in ("html", "email"):
            assert "1.00×" not in render_report(data, fmt), fmt
    assert mm.all_lift == 1.0 and "1.00x" in render_report(weekly, "text")


def test_the_lift_baseline_says_who_it_is(weekly):
    """The baseline is the users who started a session (the lift funnel's first step)."""
    assert weekly.micro_macro.entry_event == LIFT_ENTRY_EVENT
    for fmt in TEMPLATED:
        out = render_report(weekly, fmt)
        shown = out if fmt == "text" else words(out)
        assert "All users with a session" in shown, fmt
        assert re.search(r"^All users\b(?! with a session)", shown, re.M) is None, fmt
    assert "session_start" in render_report(weekly, "text") and "session_start" in render_report(weekly, "html")


@pytest.mark.parametrize(
    "change, mark",
    [
        (None, ""),
        (Change(-8, -0.1778, "poisson", 0.44, False), "≈"),
        (Change(-80, -0.1778, "poisson", 0.006, True), ""),
        (Change(-0.02, -0.5, "z", None, None), "?"),  # too few users for the test
        (Change(12.5, 0.1), ""),  # an event's value: not tested, no claim either way
        # No change is within noise like any other: no mark would claim "distinguishable".
        (Change(0, 0.0, "poisson", 1.0, False), "≈"),
        (Change(0, None, "poisson", None, None), "?"),  # 0 -> 0: nothing to test
        (Change(3, None, "poisson", 0.25, False), "≈"),  # new, and could be chance
    ],
)
def test_change_marks(change, mark):
    assert change_mark(change) == mark


@given(
    absolute=st.floats(-1e6, 1e6) | st.just(0.0),
    test=st.sampled_from([None, "poisson", "z"]),
    p_value=st.none() | st.floats(0, 1),
)
def test_no_mark_always_means_distinguishable_from_noise_or_untested(absolute, test, p_value):
    """The legend says "no mark: distinguishable from noise" (value changes untested): hold every
    change to it, whatever its size, sign or test."""
    significant = None if p_value is None or test is None else p_value < 1 - derive.CONFIDENCE
    change = Change(absolute, None, test, p_value if test else None, significant)
    if change_mark(change) == "":
        assert change.test is None or change.significant is True


def test_p_values_read_as_people_read_them():
    assert [p_value_text(p) for p in (None, 0.4397, 0.05, 0.0061, 0.001, 0.000999, 1e-300)] == [
        "", "p = 0.44", "p = 0.05", "p = 0.006", "p = 0.001", "p < 0.001", "p < 0.001"
    ]


def test_the_legend_names_the_report_confidence():
    assert f"p ≥ {1 - derive.CONFIDENCE:.2f}" in CHANGE_MARKS["≈"]


def _with_changes(weekly: ReportData, **changes: Change) -> ReportData:
    event = dataclasses.replace(weekly.key_events[0], **changes)
    return dataclasses.replace(weekly, key_events=(event, *weekly.key_events[1:]))


def test_a_change_within_noise_is_marked_and_explained_in_every_format(weekly):
    noisy = Change(-8, -0.1778, "poisson", 0.44, False)
    data = _with_changes(weekly, count_change=noisy, previous_count=45)
    for fmt in TEMPLATED:
        out = render_report(data, fmt)
        shown = out if fmt == "text" else words(out)
        assert "-17.78% ≈" in shown, fmt
        assert "≈ within noise: a change this size is likely chance (p ≥ 0.05)" in shown, fmt
    html = render_report(data, "html")
    assert '<span class="down noise" title="within noise (p = 0.44)">-17.78% ≈</span>' in html
    # A report whose changes are all significant has no legend.
    clear = dataclasses.replace(
        weekly,
        site=dataclasses.replace(weekly.site, users_change=None, sessions_change=None),
        funnels=(),
        key_events=(),
    )
    assert "within noise" not in render_report(clear, "text")


def test_too_few_to_test_is_said_and_no_p_value_is_shown(weekly):
    thin = Change(-0.02, -0.5, "z", None, None)
    funnel = dataclasses.replace(weekly.funnels[0], conversion_rate_change=thin)
    data = dataclasses.replace(weekly, funnels=(funnel, *weekly.funnels[1:]))
    for fmt in TEMPLATED:
        out = render_report(data, fmt)
        shown = out if fmt == "text" else words(out)
        assert "-50% ?" in shown and "? too few users to tell a change from noise" in shown, fmt
    assert json.loads(render_report(data, "json"))["funnels"][0]["conversion_rate_change"]["p_value"] is None


def test_a_value_new_in_this_period_is_explained_in_every_format(weekly):
    data = _with_changes(weekly, count_change=Change(2436, None, "poisson", 0.0, True), previous_count=0)
    for fmt in TEMPLATED:
        out = render_report(data, fmt)
        shown = out if fmt == "text" else words(out)
        assert "new: none in the previous period" in shown and "+2,436" not in shown, fmt
    change = json.loads(render_report(data, "json"))["key_events"][0]["count_change"]
    assert change == {"absolute": 2436, "relative": None, "test": "poisson", "p_value": 0.0, "significant": True, "new": True}
    row = next(r for r in render_report(data, "csv").splitlines() if r.startswith("key_event,purchase,macro,count,"))
    assert row.endswith(",new: none in the previous period; significant (p < 0.001)")


def test_json_carries_every_changes_test_and_every_alerts_reason(weekly):
    data = json.loads(render_report(weekly, "json"))
    for change in (data["site"]["users_change"], data["funnels"][0]["users_change"], data["key_events"][0]["count_change"]):
        assert set(change) == {"absolute", "relative", "test", "p_value", "significant", "new"}
        assert change["test"] == "poisson" and 0 <= change["p_value"] <= 1
    assert data["funnels"][0]["conversion_rate_change"]["test"] == "z"
    assert data["key_events"][0]["value_change"]["test"] is None
    assert {"p_value", "count", "held_back"} <= set(data["alerts"][0])
