"""Report periods: a plan's ``period`` and ``compare`` turned into dates, in the property's time zone.

``resolve_period(Period("last_7_days"), "previous_period", today=date(2026, 11, 25))`` gives
the current range 18-24 Nov 2026 and the previous range 11-17 Nov 2026. Named periods:

* ``last_7_days`` / ``last_28_days``: the 7 (28) complete days ending yesterday, as GA4's
  date picker has them;
* ``last_week``: the last complete week, Monday to Sunday;
* ``last_month``: the last complete calendar month;
* ``month_to_date``: the first of this month to today (today's data is still coming in);
* ``custom``: the plan's (or the command line's) ``start`` and ``end``, inclusive.

Comparisons (``compare``):

* ``previous_period``: the same number of days right before the period; for ``last_month``
  the calendar month before it, for ``month_to_date`` the same days of the previous month
  (1-24 Oct for 1-24 Nov; clipped to the end of a shorter month);
* ``previous_year``: the same dates one year earlier (29 February becomes the 28th);
* ``none``: no comparison.

``today`` is the date in the property's time zone: :func:`today_in` computes it from a time zone
name (GA4's ``Property.time_zone``, e.g. ``America/Los_Angeles``); tests pass it in.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ga_goals.errors import GaGoalsError
from ga_goals.model import Period

PERIODS = ("last_7_days", "last_28_days", "last_week", "last_month", "month_to_date", "custom")
COMPARES = ("previous_period", "previous_year", "none")

#: Names of the two date ranges in Data API requests (``DateRange.name``).
CURRENT = "current"
PREVIOUS = "previous"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DASH = "\u2013"  # en dash


class PeriodError(GaGoalsError):
    """A period that cannot be reported on (end before start, in the future, unknown name)."""


@dataclass(frozen=True)
class DateSpan:
    """An inclusive date range with a name (``current`` or ``previous``)."""

    name: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """``18–24 Nov 2026``, ``28 Nov – 4 Dec 2026``, ``28 Dec 2026 – 3 Jan 2027``, ``5 Nov 2026``."""
        return date_label(self.start, self.end)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days, "label": self.label}


@dataclass(frozen=True)
class ReportPeriod:
    """The period a report covers and the one it is compared with (None: ``compare: none``)."""

    kind: str
    compare: str
    current: DateSpan
    previous: DateSpan | None = None
    time_zone: str = "UTC"

    @property
    def label(self) -> str:
        return self.current.label

    @property
    def start(self) -> date:
        return self.current.start

    @property
    def end(self) -> date:
        return self.current.end

    @property
    def previous_label(self) -> str:
        return self.previous.label if self.previous else ""

    @property
    def spans(self) -> list[DateSpan]:
        """The date ranges to request, current first."""
        return [self.current] + ([self.previous] if self.previous else [])

    @property
    def key(self) -> str:
        """``2026-11-18..2026-11-24``: identifies the period (for the sent log and file names)."""
        return f"{self.current.start.isoformat()}..{self.current.end.isoformat()}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "compare": self.compare,
            "label": self.label,
            "time_zone": self.time_zone,
            "current": self.current.to_json(),
            "previous": self.previous.to_json() if self.previous else None,
        }


def date_label(start: date, end: date) -> str:
    """A compact human label of an inclusive date range (en dash, day month year)."""

    def full(d: date) -> str:
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"

    if start == end:
        return full(start)
    if start.year != end.year:
        return f"{full(start)} {_DASH} {full(end)}"
    if start.month != end.month:
        return f"{start.day} {_MONTHS[start.month - 1]} {_DASH} {full(end)}"
    return f"{start.day}{_DASH}{full(end)}"


def today_in(time_zone: str, now: datetime | None = None) -> date:
    """Today's date in ``time_zone`` (an IANA name); an unknown zone is an error.

    The one "today" of ga-goals: reports, the sandbox's Data API and its default traffic, and
    its quota day all use it. The time-zone database ships as the ``tzdata`` dependency, so a
    system without one (Windows, slim containers) knows the same zones.
    """
    from ga_goals.plan_file.wording import quote
    from ga_goals.timezones import find_zone

    zone = find_zone(time_zone)
    if zone is None:
        raise PeriodError(f"unknown time zone {quote(time_zone)} (expected an IANA name such as Europe/Paris)")
    moment = now if now is not None else datetime.now(zone)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(zone).date()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _previous_month(d: date) -> tuple[int, int]:
    return (d.year - 1, 12) if d.month == 1 else (d.year, d.month - 1)


def _year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def current_span(period: Period, today: date) -> DateSpan:
    """The dates of ``period`` as seen on ``today`` (in the property's time zone)."""
    yesterday = today - timedelta(days=1)
    kind = period.kind
    if kind == "last_7_days":
        return DateSpan(CURRENT, yesterday - timedelta(days=6), yesterday)
    if kind == "last_28_days":
        return DateSpan(CURRENT, yesterday - timedelta(days=27), yesterday)
    if kind == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return DateSpan(CURRENT, monday, monday + timedelta(days=6))
    if kind == "last_month":
        year, month = _previous_month(today)
        return DateSpan(CURRENT, date(year, month, 1), _month_end(year, month))
    if kind == "month_to_date":
        return DateSpan(CURRENT, today.replace(day=1), today)
    if kind == "custom":
        if period.start is None or period.end is None:
            raise PeriodError("a custom period needs both a start and an end date")
        if period.end < period.start:
            raise PeriodError(
                f"the period ends ({period.end.isoformat()}) before it starts ({period.start.isoformat()}); swap start and end"
            )
        if period.start > today:
            raise PeriodError(f"the period starts on {period.start.isoformat()}, after today ({today.isoformat()}): GA4 has no data for it yet")
        return DateSpan(CURRENT, period.start, period.end)
    raise PeriodError(f"unknown period {kind!r}; use one of {', '.join(PERIODS)}")


def previous_span(kind: str, current: DateSpan, compare: str) -> DateSpan | None:
    """The comparison range of ``current`` (None for ``compare: none``)."""
    if compare == "none":
        return None
    if compare == "previous_year":
        return DateSpan(PREVIOUS, _year_before(current.start), _year_before(current.end))
    if compare != "previous_period":
        raise PeriodError(f"unknown comparison {compare!r}; use one of {', '.join(COMPARES)}")
    if kind == "last_month":
        year, month = _previous_month(current.start)
        return DateSpan(PREVIOUS, date(year, month, 1), _month_end(year, month))
    if kind == "month_to_date":
        year, month = _previous_month(current.start)
        last = _month_end(year, month)
        return DateSpan(PREVIOUS, date(year, month, 1), min(last, date(year, month, min(current.end.day, last.day))))
    end = current.start - timedelta(days=1)
    return DateSpan(PREVIOUS, end - timedelta(days=current.days - 1), end)


def resolve_period(period: Period, compare: str, today: date, *, time_zone: str = "UTC") -> ReportPeriod:
    """The report's current and comparison date ranges as seen on ``today``."""
    current = current_span(period, today)
    return ReportPeriod(
        kind=period.kind, compare=compare, current=current, previous=previous_span(period.kind, current, compare), time_zone=time_zone
    )


def parse_period_option(name: str | None, start: date | None, end: date | None) -> Period | None:
    """A command line's ``--period NAME`` or ``--start D --end D`` as a :class:`Period` (None: the plan's)."""
    if start is not None or end is not None:
        if name not in (None, "custom"):
            raise PeriodError("give either --period or --start/--end, not both")
        if start is None or end is None:
            raise PeriodError("--start and --end go together")
        return Period("custom", start, end)
    if name is None:
        return None
    if name == "custom":
        raise PeriodError("--period custom needs --start and --end")
    if name not in PERIODS:
        raise PeriodError(f"unknown period {name!r}; use one of {', '.join(PERIODS[:-1])}, or --start/--end")
    return Period(name)  # type: ignore[arg-type]
