"""Report periods: named periods, comparisons, labels, time zones."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import time_machine

from ga_goals.model import Period
from ga_goals.reports.periods import DateSpan, PeriodError, date_label, parse_period_option, resolve_period, today_in

D = date

CASES = [
    # period, compare, today, current, previous
    ("last_7_days", "previous_period", D(2026, 11, 25), (D(2026, 11, 18), D(2026, 11, 24)), (D(2026, 11, 11), D(2026, 11, 17))),
    ("last_7_days", "previous_year", D(2026, 11, 25), (D(2026, 11, 18), D(2026, 11, 24)), (D(2025, 11, 18), D(2025, 11, 24))),
    ("last_7_days", "none", D(2026, 1, 3), (D(2025, 12, 27), D(2026, 1, 2)), None),
    ("last_28_days", "previous_period", D(2026, 3, 1), (D(2026, 2, 1), D(2026, 2, 28)), (D(2026, 1, 4), D(2026, 1, 31))),
    # last_week: Monday to Sunday before the current week, whatever day today is
    ("last_week", "previous_period", D(2026, 11, 25), (D(2026, 11, 16), D(2026, 11, 22)), (D(2026, 11, 9), D(2026, 11, 15))),
    ("last_week", "previous_period", D(2026, 11, 23), (D(2026, 11, 16), D(2026, 11, 22)), (D(2026, 11, 9), D(2026, 11, 15))),
    ("last_week", "previous_period", D(2026, 11, 29), (D(2026, 11, 16), D(2026, 11, 22)), (D(2026, 11, 9), D(2026, 11, 15))),
    ("last_month", "previous_period", D(2026, 3, 15), (D(2026, 2, 1), D(2026, 2, 28)), (D(2026, 1, 1), D(2026, 1, 31))),
    ("last_month", "previous_period", D(2026, 1, 1), (D(2025, 12, 1), D(2025, 12, 31)), (D(2025, 11, 1), D(2025, 11, 30))),
    ("last_month", "previous_year", D(2024, 3, 2), (D(2024, 2, 1), D(2024, 2, 29)), (D(2023, 2, 1), D(2023, 2, 28))),
    ("month_to_date", "previous_period", D(2026, 3, 31), (D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 2, 1), D(2026, 2, 28))),
    ("month_to_date", "previous_period", D(2026, 11, 24), (D(2026, 11, 1), D(2026, 11, 24)), (D(2026, 10, 1), D(2026, 10, 24))),
    ("month_to_date", "previous_year", D(2026, 11, 1), (D(2026, 11, 1), D(2026, 11, 1)), (D(2025, 11, 1), D(2025, 11, 1))),
]


@pytest.mark.parametrize("kind, compare, today, current, previous", CASES)
def test_named_periods(kind, compare, today, current, previous):
    period = resolve_period(Period(kind), compare, today)
    assert (period.current.start, period.current.end) == current
    assert period.current.name == "current"
    if previous is None:
        assert period.previous is None and [s.name for s in period.spans] == ["current"]
    else:
        assert (period.previous.start, period.previous.end) == previous
        assert [s.name for s in period.spans] == ["current", "previous"]


def test_custom_period():
    period = resolve_period(Period("custom", D(2026, 1, 1), D(2026, 1, 31)), "previous_period", D(2026, 11, 25))
    assert (period.previous.start, period.previous.end) == (D(2025, 12, 1), D(2025, 12, 31))
    assert period.key == "2026-01-01..2026-01-31"


@pytest.mark.parametrize(
    "period, message",
    [
        (Period("custom", D(2026, 2, 1), D(2026, 1, 1)), "ends .* before it starts"),
        (Period("custom", D(2027, 1, 1), D(2027, 1, 2)), "after today"),
        (Period("custom", None, D(2027, 1, 2)), "needs both"),
        (Period("yesterday"), "unknown period"),  # type: ignore[arg-type]
    ],
)
def test_invalid_periods(period, message):
    with pytest.raises(PeriodError, match=message):
        resolve_period(period, "previous_period", D(2026, 11, 25))


def test_unknown_compare():
    with pytest.raises(PeriodError, match="unknown comparison"):
        resolve_period(Period("last_7_days"), "last_decade", D(2026, 11, 25))


@pytest.mark.parametrize(
    "start, end, label",
    [
        (D(2026, 11, 18), D(2026, 11, 24), "18–24 Nov 2026"),
        (D(2026, 11, 28), D(2026, 12, 4), "28 Nov – 4 Dec 2026"),
        (D(2026, 12, 28), D(2027, 1, 3), "28 Dec 2026 – 3 Jan 2027"),
        (D(2026, 11, 5), D(2026, 11, 5), "5 Nov 2026"),
    ],
)
def test_labels(start, end, label):
    assert date_label(start, end) == label
    assert DateSpan("current", start, end).label == label


def test_today_in_the_property_time_zone():
    # 02:30 UTC on 25 Nov is still 24 Nov in Los Angeles and already 25 Nov in Tokyo.
    with time_machine.travel(datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc), tick=False):
        assert today_in("America/Los_Angeles") == D(2026, 11, 24)
        assert today_in("Asia/Tokyo") == D(2026, 11, 25)
        assert today_in("UTC") == D(2026, 11, 25)
        period = resolve_period(Period("last_7_days"), "previous_period", today_in("America/Los_Angeles"), time_zone="America/Los_Angeles")
        assert period.label == "17–23 Nov 2026" and period.time_zone == "America/Los_Angeles"
    with pytest.raises(PeriodError, match="unknown time zone"):
        today_in("Mars/Olympus_Mons")


def test_period_options():
    assert parse_period_option(None, None, None) is None
    assert parse_period_option("last_week", None, None) == Period("last_week")
    assert parse_period_option(None, D(2026, 1, 1), D(2026, 1, 2)) == Period("custom", D(2026, 1, 1), D(2026, 1, 2))
    for args, message in [
        (("last_week", D(2026, 1, 1), D(2026, 1, 2)), "not both"),
        ((None, D(2026, 1, 1), None), "go together"),
        (("custom", None, None), "needs --start"),
        (("fortnight", None, None), "unknown period"),
    ]:
        with pytest.raises(PeriodError, match=message):
            parse_period_option(*args)


def test_one_today_for_reports_and_the_sandbox():
    """The sandbox's Data API, its default traffic and its quota day use the reports' today_in:
    one rule (an unknown zone is an error), not a silent UTC in one place only."""
    from ga_goals.sandbox import data_requests, events

    assert events.today_in is today_in and data_requests.today_in is today_in
    with pytest.raises(PeriodError, match="unknown time zone 'Mars/Olympus_Mons'"):
        events.default_range("Mars/Olympus_Mons")


def test_time_zones_without_a_system_database():
    """With no system tz database (Windows, slim containers), the tzdata dependency answers."""
    import zoneinfo
    from datetime import datetime, timezone

    from ga_goals.sandbox.data_quota import _pacific_day

    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache()
    try:
        now = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
        assert today_in("America/Los_Angeles", now) == D(2026, 11, 24)
        assert today_in("Asia/Tokyo", now) == D(2026, 11, 25)
        assert _pacific_day(now.timestamp()) == "2026-11-24"
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache()


def test_tzdata_is_a_dependency():
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    assert any(d.split(">")[0].split("=")[0].strip() == "tzdata" for d in project["dependencies"])


@pytest.mark.parametrize("name", ["Mars/Base", "x" * 300, "../../etc/passwd", "Europe/", "", "\x1b[2J"])
def test_an_impossible_time_zone_is_a_clear_error_whatever_its_text(name):
    """One lookup (ga_goals.timezones) for every time zone a user can give: plans, --time-zone,
    the property's; a name no file can have (too long, a path) is an unknown zone, not an OSError."""
    from ga_goals.reports.periods import PeriodError, today_in

    with pytest.raises(PeriodError, match="unknown time zone") as raised:
        today_in(name)
    assert len(str(raised.value)) < 200 and "\x1b" not in str(raised.value)
