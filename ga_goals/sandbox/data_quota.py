"""Data API token quotas of the sandbox: GA4's per-property buckets, counted down in memory.

GA4 charges every Data API request tokens in one category (``core``: RunReport,
BatchRunReports (per report), GetMetadata; ``funnel``: RunFunnelReport) and keeps, per property
and category, a daily bucket (refilled at midnight Pacific time), an hourly bucket and a
per-project hourly bucket (35 % of the hourly one), plus a limit of concurrent requests
(docs/ga4-api-facts.md §3.3). When any bucket is empty every request of that category fails with
RESOURCE_EXHAUSTED ("Exhausted property tokens ...").

**The sandbox's cost model** (GA4 does not publish its formula; "most requests cost fewer than
10 tokens; cost grows with rows, columns, filter complexity and date range"):

* RunReport (each report of a batch too): ``1 + rows // 100 + (date ranges - 1)
  + (longest range in days - 1) // 90 + (1 if the filters have more than 5 conditions)``, where
  ``rows`` is the number of rows returned;
* RunFunnelReport: ``2 + (steps - 1) // 3 + (date ranges - 1) + segments
  + (1 with a breakdown) + funnel_table rows // 100 + (longest range in days - 1) // 90``;
* GetMetadata: 1 core token (its response has no ``property_quota`` to show it).

Requests GA4 refuses (INVALID_ARGUMENT...) cost nothing. A request is refused when a bucket is
already empty; one that empties it still succeeds (``remaining`` shows 0).

**Concurrent requests** are charged atomically: admitting a request reserves its category's
least cost (:data:`MIN_COST`) in the same step as the check, and the reservation counts as
spent for the requests admitted after it, until the request is charged its real cost (or
fails, and costs nothing). So ten requests sent at once into a bucket with three tokens left
get three answers and seven RESOURCE_EXHAUSTED, as they would one after another.

Limits: a standard property has 200,000 tokens a day, 40,000 an hour, 14,000 per project an hour
and 10 concurrent requests; a 360 property ten times the tokens and 50 concurrent requests. Tests
and demos set small limits with ``SandboxServer(data_quota={"tokens_per_hour": 20})`` or
``GA_GOALS_SANDBOX_DATA_QUOTA="tokens_per_hour=20,tokens_per_day=100"`` (then the per-project
bucket equals the hourly one unless set too).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from ga_goals.errors import GaGoalsError
from ga_goals.reports.periods import today_in
from ga_goals.sandbox.admin import SandboxError

#: Environment variable with quota overrides: ``tokens_per_hour=20,tokens_per_day=100``.
QUOTA_ENV = "GA_GOALS_SANDBOX_DATA_QUOTA"
CATEGORIES = ("core", "funnel")
#: The least a request of each category costs (see the cost model): what admitting one reserves.
MIN_COST = {"core": 1, "funnel": 2}
QUOTAS_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/quotas"


@dataclass(frozen=True)
class QuotaLimits:
    """Per property and category (the names are PropertyQuota's fields)."""

    tokens_per_day: int = 200_000
    tokens_per_hour: int = 40_000
    tokens_per_project_per_hour: int = 14_000
    concurrent_requests: int = 10
    server_errors_per_project_per_hour: int = 10
    potentially_thresholded_requests_per_hour: int = 120


STANDARD = QuotaLimits()
GA360 = QuotaLimits(2_000_000, 400_000, 140_000, 50, 50, 120)
_FIELDS = tuple(QuotaLimits.__dataclass_fields__)


class QuotaConfigError(GaGoalsError, ValueError):
    """Bad quota overrides (``$GA_GOALS_SANDBOX_DATA_QUOTA`` or ``data_quota=``)."""


def parse_overrides(text: str) -> dict[str, int]:
    """``"tokens_per_hour=20, tokens_per_day=100"`` -> a dict (ValueError for anything else)."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in _FIELDS:
            raise QuotaConfigError(f"{QUOTA_ENV}: {part!r} is not NAME=NUMBER with NAME one of {', '.join(_FIELDS)}")
        try:
            number = int(value)
        except ValueError:
            raise QuotaConfigError(f"{QUOTA_ENV}: {part!r}: {value.strip()!r} is not a whole number") from None
        if number < 0:
            raise QuotaConfigError(f"{QUOTA_ENV}: {part!r} must not be negative")
        out[name] = number
    return out


def _pacific_day(now: float) -> str:
    """The day of the daily bucket: GA4 refills it at midnight Pacific time."""
    return today_in("America/Los_Angeles", datetime.fromtimestamp(now, timezone.utc)).isoformat()


def _exhausted(message: str) -> SandboxError:
    return SandboxError("RESOURCE_EXHAUSTED", message, domain="analyticsdata.googleapis.com")


@dataclass(frozen=True)
class QuotaStatus:
    consumed: int
    remaining: int


@dataclass(frozen=True)
class PropertyQuotaState:
    """What a response's ``property_quota`` shows (every field of PropertyQuota)."""

    tokens_per_day: QuotaStatus
    tokens_per_hour: QuotaStatus
    tokens_per_project_per_hour: QuotaStatus
    concurrent_requests: QuotaStatus
    server_errors_per_project_per_hour: QuotaStatus
    potentially_thresholded_requests_per_hour: QuotaStatus

    def to_message(self, module: Any) -> Any:
        """A ``PropertyQuota`` of ``module`` (``data_v1beta`` or ``data_v1alpha``)."""
        return module.PropertyQuota(
            **{
                name: module.QuotaStatus(consumed=status.consumed, remaining=status.remaining)
                for name, status in self.__dict__.items()
            }
        )


class _Buckets:
    def __init__(self) -> None:
        self.day = ""
        self.hour = -1
        self.used_day = 0
        self.used_hour = 0
        self.in_flight = 0
        #: Tokens reserved by admitted requests not charged yet (their least cost).
        self.reserved = 0


class DataQuota:
    """Token buckets per (property, category), in memory (a restarted server starts full).

    :param overrides: limits replacing GA4's (for every property and tier), e.g.
        ``{"tokens_per_hour": 20}``; None reads :data:`QUOTA_ENV`.
    :param clock: seconds since the epoch (tests move it).
    """

    def __init__(self, overrides: Mapping[str, int] | None = None, *, clock: Callable[[], float] = time.time) -> None:
        if overrides is None:
            overrides = parse_overrides(os.environ.get(QUOTA_ENV, ""))
        unknown = set(overrides) - set(_FIELDS)
        if unknown:
            raise QuotaConfigError(f"unknown data quota field(s): {', '.join(sorted(unknown))} (known: {', '.join(_FIELDS)})")
        self.overrides = dict(overrides)
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Buckets] = {}

    def limits(self, tier: str) -> QuotaLimits:
        base = GA360 if "360" in (tier or "") else STANDARD
        if not self.overrides:
            return base
        values = dict(self.overrides)
        if "tokens_per_hour" in values and "tokens_per_project_per_hour" not in values:
            values["tokens_per_project_per_hour"] = values["tokens_per_hour"]
        return replace(base, **values)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _bucket(self, property_id: str, category: str) -> _Buckets:
        if category not in CATEGORIES:
            raise ValueError(f"unknown quota category {category!r}")
        bucket = self._buckets.setdefault((property_id, category), _Buckets())
        now = self.clock()
        day, hour = _pacific_day(now), int(now // 3600)
        if bucket.day != day:
            bucket.day, bucket.used_day = day, 0
        if bucket.hour != hour:
            bucket.hour, bucket.used_hour = hour, 0
        return bucket

    def _check(self, property_id: str, category: str, limits: QuotaLimits, bucket: _Buckets) -> None:
        name = f"properties/{property_id}"
        what = "" if category == "core" else f" ({category} requests)"
        # Tokens reserved by requests in flight are as good as spent: they will be charged.
        day, hour = bucket.used_day + bucket.reserved, bucket.used_hour + bucket.reserved
        if day >= limits.tokens_per_day:
            raise _exhausted(
                f"Exhausted property tokens per day quota for {name}{what}: {day} of "
                f"{limits.tokens_per_day} used. They return at midnight Pacific time. To learn more, see {QUOTAS_URL}",
            )
        if hour >= limits.tokens_per_hour:
            raise _exhausted(
                f"Exhausted property tokens per hour quota for {name}{what}: {hour} of "
                f"{limits.tokens_per_hour} used. They return within the hour. To learn more, see {QUOTAS_URL}",
            )
        if hour >= limits.tokens_per_project_per_hour:
            raise _exhausted(
                f"Exhausted property tokens for a project per hour for {name}{what}: {hour} of "
                f"{limits.tokens_per_project_per_hour} used. They return within the hour. To learn more, see {QUOTAS_URL}",
            )

    @contextlib.contextmanager
    def request(self, property_id: str, category: str, tier: str) -> Iterator[Callable[[int], PropertyQuotaState]]:
        """Admit one request (RESOURCE_EXHAUSTED when a bucket is empty or too many run at once);
        yields ``charge(tokens) -> PropertyQuotaState`` to call once the work is done."""
        limits = self.limits(tier)
        with self._lock:
            bucket = self._bucket(property_id, category)
            self._check(property_id, category, limits, bucket)
            if bucket.in_flight >= limits.concurrent_requests:
                raise _exhausted(
                    f"Exhausted concurrent requests quota for properties/{property_id}: at most "
                    f"{limits.concurrent_requests} requests at a time. To learn more, see {QUOTAS_URL}",
                )
            bucket.in_flight += 1
            reserved = MIN_COST[category]
            bucket.reserved += reserved
        held = [reserved]  # the reservation, until charged or released

        def release(b: _Buckets) -> None:
            b.reserved -= held[0]
            held[0] = 0

        def charge(tokens: int) -> PropertyQuotaState:
            with self._lock:
                b = self._bucket(property_id, category)
                release(b)
                b.used_day += tokens
                b.used_hour += tokens
                return self._state(limits, b, tokens)

        try:
            yield charge
        finally:
            with self._lock:
                b = self._bucket(property_id, category)
                release(b)  # a refused request costs nothing
                b.in_flight -= 1

    def charge(self, property_id: str, category: str, tier: str, tokens: int) -> None:
        """Charge tokens outside :meth:`request` (GetMetadata), refusing when a bucket is empty."""
        with self.request(property_id, category, tier) as charge:
            charge(tokens)

    def snapshot(self, property_id: str, category: str, tier: str) -> PropertyQuotaState:
        """The buckets now (consumed 0), e.g. for GetPropertyQuotasSnapshot."""
        limits = self.limits(tier)
        with self._lock:
            return self._state(limits, self._bucket(property_id, category), 0)

    @staticmethod
    def _state(limits: QuotaLimits, b: _Buckets, tokens: int) -> PropertyQuotaState:
        def status(consumed: int, limit: int, used: int) -> QuotaStatus:
            return QuotaStatus(consumed, max(0, limit - used))

        return PropertyQuotaState(
            tokens_per_day=status(tokens, limits.tokens_per_day, b.used_day),
            tokens_per_hour=status(tokens, limits.tokens_per_hour, b.used_hour),
            tokens_per_project_per_hour=status(tokens, limits.tokens_per_project_per_hour, b.used_hour),
            concurrent_requests=QuotaStatus(0, max(0, limits.concurrent_requests - max(0, b.in_flight - 1))),
            server_errors_per_project_per_hour=QuotaStatus(0, limits.server_errors_per_project_per_hour),
            potentially_thresholded_requests_per_hour=QuotaStatus(0, limits.potentially_thresholded_requests_per_hour),
        )


def report_cost(rows: int, date_ranges: int, longest_days: int, filter_conditions: int) -> int:
    """Tokens of one RunReport (see the module docstring)."""
    return 1 + rows // 100 + max(0, date_ranges - 1) + max(0, longest_days - 1) // 90 + (1 if filter_conditions > 5 else 0)


def funnel_cost(steps: int, date_ranges: int, segments: int, breakdown: bool, rows: int, longest_days: int) -> int:
    """Tokens of one RunFunnelReport (see the module docstring)."""
    return (
        2
        + max(0, steps - 1) // 3
        + max(0, date_ranges - 1)
        + segments
        + (1 if breakdown else 0)
        + rows // 100
        + max(0, longest_days - 1) // 90
    )


__all__ = ["DataQuota", "PropertyQuotaState", "QuotaConfigError", "QuotaLimits", "funnel_cost", "parse_overrides", "report_cost"]
