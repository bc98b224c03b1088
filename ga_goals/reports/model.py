"""The data of one report, as typed values: what templates, JSON and CSV are made from.

A :class:`ReportData` holds, for one report of a plan and one period (and its comparison):

* ``site``: users and sessions of the whole property;
* ``funnels``: per funnel its steps (users, completion and abandonment as GA4 computes them,
  the change of users against the previous period), overall conversion, completions, their
  change, and the breakdown rows;
* ``key_events``: count, users and value of each key event, with their change;
* ``micro_macro``: for each micro conversion, the users who did it, the share of them who
  converted (the report's macro conversion), the same share over all users, and the lift (the
  ratio of the two), sorted by lift;
* ``alerts``: every alert of the report, evaluated (``fired`` says whether it crossed its
  threshold);
* ``quota`` and ``calls``: Data API tokens and calls the report cost.

Rates are fractions (0.25 = 25 %). A change is ``Change(absolute, relative)``; ``relative`` is
None when the previous value is 0, and the whole change is None without a comparison period.
``to_json()`` gives plain JSON values with stable keys (every key always present).
"""

from __future__ import annotations

import builtins
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ga_goals.sources.base import SourceUsage
from ga_goals.reports.periods import ReportPeriod


@dataclass(frozen=True)
class Change:
    """A value's change against the comparison period."""

    absolute: float
    relative: float | None

    @property
    def direction(self) -> str:
        """``up``, ``down`` or ``flat`` (for colours and arrows)."""
        return "up" if self.absolute > 0 else "down" if self.absolute < 0 else "flat"


@dataclass(frozen=True)
class StepData:
    """One funnel step in the current period."""

    number: int
    name: str
    #: What reaches the step, in one line: the event name, or the step's condition
    #: (``view_item or page_view``, ``add_to_cart and deviceCategory = mobile``).
    event: str
    users: int
    #: Share of this step's users who went on to the next step (GA4's funnelStepCompletionRate).
    completion_rate: float
    abandonments: int
    abandonment_rate: float
    #: users / users of step 1 (the bar length of a funnel chart).
    share_of_first: float
    previous_users: int | None = None
    users_change: Change | None = None
    #: The event names the step's condition mentions (one for the common step).
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class BreakdownRow:
    """A breakdown value (``mobile``): its users per step and overall conversion, current period."""

    value: str
    users: tuple[int, ...]
    conversion_rate: float


@dataclass(frozen=True)
class FunnelData:
    name: str
    title: str
    description: str
    open: bool
    steps: tuple[StepData, ...]
    #: Users at the first step; users at the last step; last / first.
    users: int
    completions: int
    conversion_rate: float
    previous_users: int | None = None
    previous_completions: int | None = None
    previous_conversion_rate: float | None = None
    users_change: Change | None = None
    completions_change: Change | None = None
    conversion_rate_change: Change | None = None
    breakdown: str | None = None
    breakdown_rows: tuple[BreakdownRow, ...] = ()

    @property
    def biggest_drop(self) -> StepData | None:
        """The step (not the last) that loses the most users, if any loses any."""
        candidates = [s for s in self.steps[:-1] if s.abandonments > 0]
        return max(candidates, key=lambda s: s.abandonments, default=None)


@dataclass(frozen=True)
class EventTotal:
    """A key event's totals in the current period and their change."""

    event: str
    kind: str  # macro | micro | event
    count: float
    users: float
    value: float
    previous_count: float | None = None
    previous_users: float | None = None
    previous_value: float | None = None
    count_change: Change | None = None
    users_change: Change | None = None
    value_change: Change | None = None


@dataclass(frozen=True)
class SiteTotals:
    users: float
    sessions: float
    previous_users: float | None = None
    previous_sessions: float | None = None
    users_change: Change | None = None
    sessions_change: Change | None = None


@dataclass(frozen=True)
class MicroLift:
    """One micro conversion against the macro conversion, current period.

    ``users``: users who did the micro conversion (and started a session); ``converted``: those
    of them who also converted; ``conversion_rate`` = converted / users; ``lift`` =
    conversion_rate / the conversion rate of all users (None when either is unknown).
    """

    event: str
    stage: str | None
    users: int
    converted: int
    conversion_rate: float | None
    lift: float | None
    previous_conversion_rate: float | None = None
    previous_lift: float | None = None


@dataclass(frozen=True)
class MicroMacroTable:
    """Micro conversions against ``macro``. Its baseline ("all users") are the users who
    started a session (``entry_event``, the first step of the lift funnel), not literally every
    user: ``all_users`` of them, ``all_converted`` converted."""

    macro: str
    all_users: int
    all_converted: int
    all_conversion_rate: float | None
    rows: tuple[MicroLift, ...]
    previous_all_conversion_rate: float | None = None
    #: The event every user of the table entered at (``ga_goals.sources.base.LIFT_ENTRY_EVENT``).
    entry_event: str = "session_start"

    @property
    def all_lift(self) -> float | None:
        """The baseline's own lift: 1 when its conversion rate is known and not 0, else None
        (0/0 is no rate, and nothing is "1x" of nothing); :func:`ga_goals.reports.derive.lift`."""
        from ga_goals.reports.derive import lift  # derive imports this module

        return lift(self.all_conversion_rate, self.all_conversion_rate)


@dataclass(frozen=True)
class AlertResult:
    """An alert of the plan, evaluated on the report's data."""

    kind: str  # funnel | event
    subject: str  # the funnel or event name
    subject_title: str
    metric: str
    direction: str  # below | above
    threshold: float
    value: float | None  # None: the metric has no value (a change against 0, no comparison)
    fired: bool
    message: str


@dataclass(frozen=True)
class QuotaUsed:
    """Data API tokens the report consumed (GA4's property_quota, summed)."""

    tokens: int
    core_tokens: int
    funnel_tokens: int
    core_remaining_per_day: int | None = None
    core_remaining_per_hour: int | None = None
    funnel_remaining_per_day: int | None = None
    funnel_remaining_per_hour: int | None = None
    responses_without_quota: int = 0


@dataclass(frozen=True)
class CallsMade:
    """API calls the report sent (every attempt), by method."""

    data_api: dict[str, int]
    admin_api: dict[str, int]

    @property
    def total(self) -> int:
        """Data API calls."""
        return sum(self.data_api.values())


@dataclass(frozen=True)
class StageMicro:
    """A micro conversion declared for a journey stage, current period."""

    event: str
    count: float
    users: float
    #: users / the users who reached the stage (None when nobody reached it).
    rate: float | None


@dataclass(frozen=True)
class StageData:
    """One journey stage: who reached it, its micro conversions, who moved on."""

    name: str
    #: How the stage is reached, in one line (its `reached_by` step, or its events).
    reached_by: str
    users: int
    #: Users who went on to the next stage (the macro conversion after the last stage); None for
    #: the last stage when there is no macro conversion to move on to.
    moved_on: int | None
    moved_on_rate: float | None
    drop_off: int | None
    drop_off_rate: float | None
    micros: tuple[StageMicro, ...] = ()
    #: The stage that loses the most users (only one, when any stage loses users).
    biggest_drop: bool = False
    previous_users: int | None = None
    users_change: Change | None = None


@dataclass(frozen=True)
class JourneyMap:
    """The journey-stage map: the plan's ``stages`` left to right, then the macro conversion.

    Computed as an open funnel whose step k is "an event of stage k" (``ga_goals.reports.journey``),
    so every engine computes it. ``message`` says why there is no map (``stages`` empty).
    """

    stages: tuple[StageData, ...] = ()
    macro: str | None = None
    #: Users with the macro conversion (the funnel's last step).
    macro_users: int | None = None
    #: macro_users / users of the first stage.
    conversion_rate: float | None = None
    #: Stages nothing in the plan says how to reach (no event, no `reached_by`): not in the map.
    unmeasured: tuple[str, ...] = ()
    message: str | None = None

    @builtins.property
    def biggest_drop(self) -> StageData | None:
        return next((s for s in self.stages if s.biggest_drop), None)


@dataclass(frozen=True)
class ReportData:
    name: str
    title: str
    property: str
    plan_source: str
    environment: str | None
    currency: str
    generated_at: datetime
    period: ReportPeriod
    site: SiteTotals
    funnels: tuple[FunnelData, ...]
    key_events: tuple[EventTotal, ...]
    micro_macro: MicroMacroTable | None
    alerts: tuple[AlertResult, ...]
    quota: QuotaUsed
    calls: CallsMade
    #: Where the data came from and what it cost (engine, Data API calls or SQL queries, bytes).
    source: SourceUsage | None = None
    seconds: float = field(default=0.0, compare=False)
    #: The journey-stage map (None when the report was built without it).
    journey: JourneyMap | None = None

    @builtins.property  # the field `property` hides the builtin in this class
    def fired_alerts(self) -> tuple[AlertResult, ...]:
        return tuple(a for a in self.alerts if a.fired)

    @builtins.property
    def previous_empty(self) -> bool:
        """A comparison period was asked for, but the property has no data in it at all (no
        users, no sessions: it was not collecting yet): there is nothing to compare with."""
        return self.period.previous is not None and not self.site.previous_users and not self.site.previous_sessions

    @builtins.property
    def has_comparison(self) -> bool:
        """Whether the report compares with a previous period that has data (changes shown)."""
        return self.period.previous is not None and not self.previous_empty

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values; keys in declaration order and always present."""
        data = _plain(self)
        data["period"] = self.period.to_json()
        data["fired_alerts"] = len(self.fired_alerts)
        data["previous_empty"] = self.previous_empty
        data["calls"]["total"] = self.calls.total
        if self.source is not None:
            data["source"]["summary"] = self.source.summary()
        return {"format": "ga-goals-report/1", **data}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 10)
    return value
