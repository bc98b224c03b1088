"""What the methods of the sandbox's Data API read and write the same way: limits, date ranges,
numbers, sampling.

:func:`date_spans` reads a request's ``date_ranges`` (``YYYY-MM-DD``, ``today``, ``yesterday``,
``NdaysAgo`` in the property's time zone) for RunReport, RunPivotReport and RunFunnelReport
alike; :func:`number_text` and :func:`report_number_text` write metric values as the Data API
writes them; :func:`sampling` is what a response says about sampling when the sandbox's
``data_caveats`` setting asks for it (:mod:`ga_goals.sandbox.data_caveats`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from google.analytics import data_v1alpha as alpha

from ga_goals.sandbox.admin import invalid
from ga_goals.sandbox.events import today_in
from ga_goals.sandbox.reporting import DateSpan, enum_name

if TYPE_CHECKING:
    from ga_goals.sandbox.data_caveats import ResponseCaveats

MAX_DATE_RANGES = 4
#: Requests in one BatchRunReports or BatchRunPivotReports.
MAX_BATCH = 5
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000
#: GA4 has no data before this day.
FIRST_DAY = date(2015, 8, 14)
RESERVED_TOTAL = "RESERVED_TOTAL"

_DAYS_AGO = re.compile(r"^([0-9]{1,5})daysAgo$")
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def number_text(value: float, integer: bool = False) -> str:
    """A metric value as the Data API writes it: ``"7"``, ``"0.2857142857142857"``, ``"1"``."""
    if integer:
        return str(round(value))
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def report_number_text(value: float, integer: bool) -> str:
    """A RunReport metric value: whole numbers without a decimal point, others to 12 significant
    digits (sums of doubles carry noise: 64620.899999999165 is written 64620.9)."""
    if integer or not math.isfinite(value):
        return number_text(value, integer)
    return number_text(float(f"{value:.12g}"))




def time_zone_of(state: dict[str, Any]) -> str:
    """The property's reporting time zone (UTC when it has none)."""
    return str(state["property"].get("time_zone") or "UTC")


def parse_day(text: str, today: date, where: str) -> date:
    """A request's day: ``YYYY-MM-DD``, ``today``, ``yesterday`` or ``NdaysAgo``; else INVALID_ARGUMENT."""
    value = (text or "").strip()
    if not value:
        raise invalid(f"{where} is required: YYYY-MM-DD, today, yesterday or NdaysAgo")
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    match = _DAYS_AGO.match(value)
    if match:
        return today - timedelta(days=int(match.group(1)))
    if _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise invalid(f"{where} {text!r} is invalid: use YYYY-MM-DD, today, yesterday or NdaysAgo")


def date_spans(ranges: Sequence[Any], time_zone: str, *, default: tuple[str, str] | None = None) -> list[DateSpan]:
    """A request's ``date_ranges`` as spans (named, or ``date_range_N``), checked as GA4 checks
    them; ``default`` is the range of a request without one (else INVALID_ARGUMENT)."""
    ranges = list(ranges)
    if not ranges:
        if default is None:
            raise invalid("dateRanges: at least one date range is required")
        ranges = [alpha.DateRange(start_date=default[0], end_date=default[1])]
    if len(ranges) > MAX_DATE_RANGES:
        raise invalid(f"dateRanges: at most {MAX_DATE_RANGES} date ranges are allowed, got {len(ranges)}")
    today = today_in(time_zone)
    spans = []
    for i, r in enumerate(ranges):
        where = f"dateRanges[{i}]"
        start = parse_day(r.start_date, today, f"{where}.startDate")
        end = parse_day(r.end_date, today, f"{where}.endDate")
        if start > end:
            raise invalid(f"{where}: the start date {start} is after the end date {end}")
        if start < FIRST_DAY:
            raise invalid(f"{where}: dates before {FIRST_DAY} are not supported (start date {start})")
        name = r.name or f"date_range_{i}"
        if r.name and r.name.startswith(("date_range_", "RESERVED_")):
            raise invalid(f"{where}.name {r.name!r} must not begin with date_range_ or RESERVED_")
        spans.append(DateSpan(name, start, end))
    return spans


def sampling(caveats: ResponseCaveats, con: Any, source: str, spans: Sequence[DateSpan]) -> list[tuple[int, int]]:
    """``(samples read, sampling space)`` per date range when the setting samples them, else ``[]``."""
    if caveats.sample_above is None:
        return []
    counts = ", ".join(f"COUNT(*) FILTER (WHERE {span.condition()})" for span in spans)
    row = con.execute(f"SELECT {counts} FROM {source} AS t").fetchone()
    return caveats.sampling([int(n or 0) for n in row])


def batch_requests(batch: Any, method: str) -> list[Any]:
    """The inner requests of a ``method`` batch (BatchRunReports, BatchRunPivotReports), checked as
    GA4 checks them: 1 to :data:`MAX_BATCH`, each naming no property or the batch's."""
    requests = list(batch.requests)
    if not requests:
        raise invalid("requests: a batch needs at least one request")
    if len(requests) > MAX_BATCH:
        raise invalid(f"requests: {method} takes at most {MAX_BATCH} requests, got {len(requests)}")
    for i, inner in enumerate(requests):
        if inner.property and inner.property != batch.property:
            raise invalid(
                f"requests[{i}].property {inner.property!r} must be empty or equal to the batch's property "
                f"{batch.property!r}"
            )
    return requests


__all__ = [
    "DEFAULT_LIMIT",
    "FIRST_DAY",
    "MAX_BATCH",
    "MAX_DATE_RANGES",
    "MAX_LIMIT",
    "RESERVED_TOTAL",
    "batch_requests",
    "date_spans",
    "enum_name",
    "number_text",
    "parse_day",
    "report_number_text",
    "sampling",
    "time_zone_of",
]
