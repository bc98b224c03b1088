"""The answers a report source gives, in the project's own types (no Google object reaches a report).

Every source (the Data API in :mod:`ga_goals.ga4`, DuckDB over export files, BigQuery) answers
with these: funnel tables per date range, segment and breakdown value (:class:`FunnelTable`),
metric tables keyed by dimension values (:class:`ReportTable`, the metric and dimension names are
GA4's API names: ``eventCount``, ``totalUsers``, ``eventValue``, ``sessions``; ``eventName``,
``dateRange``), the micro vs macro funnels (:class:`LiftTables`), what the property says of
itself (:class:`PropertySettings`) and what GA4 said about the data behind a table
(:class:`Caveats`: thresholded, sampled, rows grouped into "(other)"; SQL engines have none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol


class DateSpanLike(Protocol):
    """A named date range (``ga_goals.reports.periods.DateSpan`` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...


@dataclass(frozen=True)
class Sampling:
    """GA4 answered one date range from a sample: ``samples_read`` of ``sampling_space`` events."""

    date_range: str
    samples_read: int
    sampling_space: int

    @property
    def share(self) -> float | None:
        """The fraction of the range's events the answer is based on (None when GA4 gave no size)."""
        return self.samples_read / self.sampling_space if self.sampling_space > 0 else None


@dataclass(frozen=True)
class Caveats:
    """What GA4 said about the data behind one table (``ResponseMetaData`` of a report,
    ``FunnelResponseMetadata`` of a funnel), in the project's own terms.

    ``thresholded``: GA4 applied its data thresholds (rows with few users may be withheld);
    ``sampling``: the date ranges answered from a sample of the events (empty: not sampled);
    ``other_row``: some dimension values were rolled into an "(other)" row. The export engines
    read every event, so their tables have no caveat (all false, empty).
    """

    thresholded: bool = False
    sampling: tuple[Sampling, ...] = ()
    other_row: bool = False

    @property
    def sampled(self) -> bool:
        return bool(self.sampling)

    def __bool__(self) -> bool:
        return self.thresholded or self.sampled or self.other_row

    def __or__(self, other: Caveats) -> Caveats:
        """Both tables' caveats (a figure made from both has each); a range sampled twice keeps
        the smaller share (the weaker sample)."""
        sampling: dict[str, Sampling] = {}
        for s in (*self.sampling, *other.sampling):
            kept = sampling.get(s.date_range)
            if kept is None or (s.share or 0.0) < (kept.share or 0.0):
                sampling[s.date_range] = s
        return Caveats(
            thresholded=self.thresholded or other.thresholded,
            sampling=tuple(sampling.values()),
            other_row=self.other_row or other.other_row,
        )


#: No caveat (every SQL engine's tables; a Data API response without any).
NO_CAVEATS = Caveats()


@dataclass(frozen=True)
class StepValues:
    """One row of a funnel table: a step's users and GA4's rates (fractions, 0..1)."""

    users: int
    completion_rate: float
    abandonments: int
    abandonment_rate: float

    @classmethod
    def zero(cls) -> StepValues:
        return cls(0, 0.0, 0, 0.0)


#: (date range name, segment name, breakdown value) -> one value per step. None = not in the
#: request (no comparison, no segments) or, for the breakdown, the totals row.
CellKey = tuple[str | None, str | None, str | None]


@dataclass
class FunnelTable:
    """A parsed ``funnel_table``: per date range, segment and breakdown value, every step.

    ``steps(...)`` always has one entry per requested step; a step absent from the response
    (no user reached it) reads as zeros.
    """

    step_names: tuple[str, ...]
    breakdown: str | None = None
    date_ranges: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    #: Breakdown values in response order (without the totals row).
    breakdown_values: tuple[str, ...] = ()
    cells: dict[CellKey, list[StepValues]] = field(default_factory=dict)
    caveats: Caveats = NO_CAVEATS

    def steps(self, date_range: str | None = None, segment: str | None = None, breakdown: str | None = None) -> list[StepValues]:
        """The steps of one cell (``date_range`` None: the only or the first range)."""
        if date_range is None and self.date_ranges:
            date_range = self.date_ranges[0]
        found = self.cells.get((date_range, segment, breakdown))
        if found is None:
            return [StepValues.zero() for _ in self.step_names]
        return list(found)

    def users(self, date_range: str | None = None, segment: str | None = None, breakdown: str | None = None) -> list[int]:
        return [s.users for s in self.steps(date_range, segment, breakdown)]


@dataclass
class ReportTable:
    """A parsed ``RunReportResponse``: rows as ``{dimension: value}`` and ``{metric: float}``."""

    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    rows: list[tuple[dict[str, str], dict[str, float]]] = field(default_factory=list)
    caveats: Caveats = NO_CAVEATS

    def lookup(self, **dimensions: str) -> dict[str, float]:
        """The metrics of the row whose dimensions have these values; zeros when absent."""
        for dims, values in self.rows:
            if all(dims.get(k) == v for k, v in dimensions.items()):
                return dict(values)
        return {m: 0.0 for m in self.metrics}


@dataclass(frozen=True)
class PropertySettings:
    """What a report needs to know about the property (Admin GetProperty)."""

    property: str
    display_name: str
    time_zone: str
    currency: str


@dataclass
class LiftTables:
    """The micro vs macro funnels (``ga_goals.sources.base``: :func:`lift_funnel`,
    :func:`micro_funnel`): the baseline ``session_start -> macro`` of all users, and per micro
    conversion the closed funnel ``micro -> macro`` (a micro conversion counts only when the
    macro conversion came after it)."""

    baseline: FunnelTable
    #: Micro conversion -> its two-step funnel table (steps: the micro, the macro).
    micros: dict[str, FunnelTable] = field(default_factory=dict)

    def micro(self, name: str) -> FunnelTable | None:
        return self.micros.get(name)

    @property
    def caveats(self) -> Caveats:
        """Every table's caveats together (the lift compares each row with the baseline)."""
        out = self.baseline.caveats
        for table in self.micros.values():
            out = out | table.caveats
        return out


#: Where a custom dimension's value comes from: an event parameter, a user property, an item parameter.
ParameterScope = Literal["event", "user", "item"]


@dataclass(frozen=True, order=True)
class ParameterRef:
    """A parameter a custom dimension reads: ``scope`` (``event``, ``user``, ``item``) and its name."""

    scope: ParameterScope
    name: str

    @property
    def label(self) -> str:
        """How GA4's Data API names the dimension: ``customEvent:form_id``, ``customUser:tier``, ``customItem:color``."""
        prefix = {"event": "customEvent", "user": "customUser", "item": "customItem"}[self.scope]
        return f"{prefix}:{self.name}"


@dataclass
class ParameterTable:
    """How many events carried each parameter with a value, per date range.

    An event carries an event parameter or a user property when it has the key with a non-empty
    value (what the Data API reports as anything but ``(not set)``); it carries an item
    parameter when one of its items has it. ``unseen`` holds the parameters the source cannot
    count, with the reason (the Data API sees only registered custom dimensions).
    """

    counts: dict[tuple[str, ParameterRef], int] = field(default_factory=dict)
    unseen: dict[ParameterRef, str] = field(default_factory=dict)
    #: What GA4 said about the data behind the counts (the Data API; none from the export).
    caveats: Caveats = NO_CAVEATS

    def events(self, parameter: ParameterRef, date_range: str) -> int | None:
        """Events that carried ``parameter`` in ``date_range``; None when the source cannot see it."""
        if parameter in self.unseen:
            return None
        return self.counts.get((date_range, parameter), 0)


#: What ``ga-goals check`` finds wrong with a parameter: ``missing`` (required, not sent),
#: ``wrong_type``, ``not_allowed`` (outside the allowed values), ``pattern`` (not matching the
#: pattern), ``undeclared`` (an event of a closed schema carried it, the schema does not declare it).
FAULTS = ("missing", "wrong_type", "not_allowed", "pattern", "undeclared")


@dataclass(frozen=True)
class ParameterFault:
    """Events of one name with one fault in one parameter (or item parameter), over a date range.

    ``events`` counts events (an event whose items share a fault counts once); ``first_day`` and
    ``last_day`` are the first and last ``event_date`` seen with it; ``example`` one offending
    value as text (the smallest; None for ``missing``): text from the property's data, untrusted.
    """

    event: str
    parameter: str
    #: An item parameter (``items[].<parameter>``) rather than an event parameter.
    item: bool
    kind: str
    events: int
    first_day: date
    last_day: date
    example: str | None = None

    @property
    def label(self) -> str:
        """``purchase.value``, ``purchase.items[].item_id``."""
        return f"{self.event}.items[].{self.parameter}" if self.item else f"{self.event}.{self.parameter}"


@dataclass(frozen=True)
class UnseenParameter:
    """A declared parameter (or one the source cannot look for) whose faults of ``kinds`` a source
    cannot see, and why (the Data API sees only registered custom dimensions, as text)."""

    parameter: str
    item: bool
    #: The events whose schema declares it (empty: every event, such as undeclared parameters).
    events: tuple[str, ...]
    kinds: tuple[str, ...]
    why: str


@dataclass
class SchemaFaults:
    """What a source found checking events against their schemas (``ReportQuery.schemas``), over
    the query's first date range: each event's total, every fault, and what it could not see."""

    #: Event name -> its events in the range.
    totals: dict[str, int] = field(default_factory=dict)
    faults: list[ParameterFault] = field(default_factory=list)
    unseen: list[UnseenParameter] = field(default_factory=list)
    #: What GA4 said about the data behind the counts (the Data API; none from the export).
    caveats: Caveats = NO_CAVEATS
