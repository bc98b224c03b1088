"""The data of one report, as typed values: what templates, JSON and CSV are made from.

A :class:`ReportData` holds, for one report of a plan and one period (and its comparison):

* ``site``: users and sessions of the whole property;
* ``funnels``: per funnel its steps (users, completion and abandonment as GA4 computes them,
  the change of users against the previous period), overall conversion, completions, their
  change, and the breakdown rows;
* ``key_events``: count, users and value of each key event, with their change;
* ``micro_macro``: for each micro conversion, the users who did it, the share of them who
  converted after it (the report's macro conversion), the same share over all users, and the
  lift (the ratio of the two), sorted by lift;
* ``split_tests``: each split test of the report (:mod:`ga_goals.reports.split_tests`): a
  funnel per value of a dimension, each value tested against a control value;
* ``alerts``: every alert of the report, evaluated (``fired`` says whether it crossed its
  threshold and passed its ``significant`` and ``min_count`` conditions; ``held_back`` why not);
* ``quota`` and ``calls``: Data API tokens and calls the report cost;
* ``caveats`` of the site totals, each funnel, the micro vs macro table and
  (``key_events_caveats``) the key events: what GA4 said of the data behind them (thresholded,
  sampled, rows grouped into "(other)") and the notes shown beside them.

Rates are fractions (0.25 = 25 %). A change is ``Change(absolute, relative, test, p_value,
significant)``; ``relative`` is None when the previous value is 0 (``new``), ``significant``
says whether the change is distinguishable from noise (None: untested or too little data), and
the whole change is None without a comparison period.
``to_json()`` gives plain JSON values with stable keys (every key always present).
"""

from __future__ import annotations

import builtins
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from ga_goals.sources.base import SourceUsage
from ga_goals.reports.split_tests import SplitTestResult
from ga_goals.reports.trends import NextActionResult, TrendResult
from ga_goals.reports.periods import ReportPeriod


@dataclass(frozen=True)
class Change:
    """A value's change against the comparison period, and whether it is distinguishable from
    noise (``docs/statistics.md``).

    ``test`` names the test behind ``p_value``: ``poisson`` (a count: events, users, sessions,
    completions; :func:`ga_goals.stats.compare_counts`), ``z`` (a rate: a funnel's conversion;
    :func:`ga_goals.stats.compare_proportions`), or None (not tested: an event's value).
    ``significant`` is whether the change is distinguishable from noise at
    :data:`ga_goals.reports.derive.CONFIDENCE`; None when untested or when there is too little
    data for the test (then ``p_value`` is None too, and ``testable`` is False).
    """

    #: Properties ``to_json`` adds to the fields.
    JSON_PROPERTIES: ClassVar[tuple[str, ...]] = ("new",)

    absolute: float
    relative: float | None
    test: str | None = None
    p_value: float | None = None
    significant: bool | None = None

    @property
    def direction(self) -> str:
        """``up``, ``down`` or ``flat`` (for colours and arrows)."""
        return "up" if self.absolute > 0 else "down" if self.absolute < 0 else "flat"

    @property
    def new(self) -> bool:
        """The previous value was 0 and this one is not: there is no relative change to show."""
        return self.relative is None and self.absolute != 0

    @property
    def testable(self) -> bool:
        """A test applies to this value and had enough data for a p-value."""
        return self.test is not None and self.p_value is not None


@dataclass(frozen=True)
class SampledRange:
    """A date range GA4 answered from a sample: ``samples_read`` of ``sampling_space`` events."""

    date_range: str
    samples_read: int
    sampling_space: int
    share: float | None


@dataclass(frozen=True)
class DataCaveats:
    """What GA4 said about the data behind a table (``ga_goals.reports.notes.data_caveats``):
    thresholded, sampled (per date range), rows grouped into "(other)", and ``notes``, the
    sentences shown beside the table's figures. All false and empty on the export engines."""

    thresholded: bool = False
    sampled: bool = False
    sampling: tuple[SampledRange, ...] = ()
    other_row: bool = False
    notes: tuple[str, ...] = ()


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


#: What a segment of each scope keeps (rule 11 of ga_goals.funnels.semantics), for the reports.
_SEGMENT_NOTES = {
    "user": "users with an event in the segment: all their events count",
    "session": "sessions with an event in the segment: only the events of those sessions count",
    "event": "only the events in the segment count",
}


@dataclass(frozen=True)
class FunnelData:
    #: Properties ``to_json`` adds to the fields (a segmented funnel's sections share ``name``).
    JSON_PROPERTIES: ClassVar[tuple[str, ...]] = ("key", "heading")

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
    caveats: DataCaveats = DataCaveats()
    #: The segment this funnel is restricted to (a segmented funnel is one section per segment):
    #: its plan name, title and scope (user, session, event); None for the whole traffic.
    segment: str | None = None
    segment_title: str | None = None
    segment_scope: str | None = None

    @property
    def heading(self) -> str:
        """The funnel's title, with the segment's after a ``·`` when segmented."""
        return self.title if self.segment is None else f"{self.title} · {self.segment_title}"

    @property
    def segment_note(self) -> str:
        """What the segment keeps, in words (empty without a segment)."""
        return _SEGMENT_NOTES.get(self.segment_scope or "", "")

    @property
    def key(self) -> str:
        """Unique among a report's funnels: the funnel's name, ``name/segment`` when segmented."""
        return self.name if self.segment is None else f"{self.name}/{self.segment}"

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
    caveats: DataCaveats = DataCaveats()


@dataclass(frozen=True)
class MicroLift:
    """One micro conversion against the macro conversion, current period.

    ``users``: users who did the micro conversion; ``converted``: those of them who did the
    macro conversion after it (a micro -> macro sequence; a macro conversion only before the
    micro one, or at the same moment, does not count); ``conversion_rate`` = converted / users;
    ``lift`` = conversion_rate / the conversion rate of all users (None when either is unknown).
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
    #: Which micro conversions count, in one line (``ga_goals.reports.notes.MICRO_BEFORE_MACRO``).
    rule: str = ""
    caveats: DataCaveats = DataCaveats()

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
    #: The p-value of the watched change (``*_change`` metrics; None for other metrics, an
    #: untested value, or too little data for the test).
    p_value: float | None = None
    #: The count ``min_count`` was checked against (None without ``min_count``).
    count: float | None = None
    #: Why an alert whose metric crossed its threshold did not fire: ``noise`` (not
    #: significant), ``too_few_to_test`` (no p-value), ``min_count`` (the count is below it).
    held_back: str | None = None


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
    #: The report's split tests (a funnel compared across a dimension's values), current period.
    split_tests: tuple[SplitTestResult, ...] = ()
    seconds: float = field(default=0.0, compare=False)
    #: What GA4 said about the data of the key-event table (the other tables carry their own).
    key_events_caveats: DataCaveats = DataCaveats()
    #: The journey-stage map (None when the report was built without it).
    journey: JourneyMap | None = None
    #: Funnels' completion rate per day or week (current period).
    trends: tuple[TrendResult, ...] = ()
    #: What users did after each listed funnel's biggest drop (current period).
    next_actions: tuple[NextActionResult, ...] = ()

    @builtins.property  # the field `property` hides the builtin in this class
    def fired_alerts(self) -> tuple[AlertResult, ...]:
        return tuple(a for a in self.alerts if a.fired)

    @builtins.property
    def previous_empty(self) -> bool:
        """A comparison period was asked for, but the property has no data in it at all (no
        users, no sessions: it was not collecting yet): there is nothing to compare with."""
        return self.period.previous is not None and not self.site.previous_users and not self.site.previous_sessions

    @builtins.property
    def changes(self) -> tuple[Change, ...]:
        """Every change the report shows (site, funnels and their steps, key events): what the
        legend of change marks is made from."""
        found: list[Change | None] = [self.site.users_change, self.site.sessions_change]
        for f in self.funnels:
            found += [f.users_change, f.completions_change, f.conversion_rate_change]
            found += [s.users_change for s in f.steps]
        for e in self.key_events:
            found += [e.count_change, e.users_change, e.value_change]
        return tuple(c for c in found if c is not None)

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


def _p_value(value: float | None) -> float | None:
    """A p-value to ten significant digits (ten decimals, as other numbers, would make 1e-12 0)."""
    return None if value is None else float(f"{value:.10g}")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value)] + list(getattr(value, "JSON_PROPERTIES", ()))
        return {name: _p_value(getattr(value, name)) if name == "p_value" else _plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 10)
    return value
