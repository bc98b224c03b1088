"""The one interface reports get their data through: a :class:`ReportSource` answers a :class:`ReportQuery`.

A report asks once for everything it needs (key-event and site totals per date range, each
funnel per date range and breakdown, the micro vs macro segments) and gets a
:class:`ReportAnswer` in the project's own types (:mod:`ga_goals.sources.results`), with what the
answer cost (:class:`SourceUsage`: Data API calls and quota tokens, or queries and bytes). The
source decides how to batch and parallelise; report building never sees a Google object.
``ga-goals check`` asks the same sources two more things (``ReportQuery.event_names``,
``ReportQuery.parameters``): every event name the property receives, and how many events carry
each custom dimension's parameter (:class:`~ga_goals.sources.results.ParameterTable`).

Three sources implement it: :class:`ga_goals.sources.data_api.DataApiSource` (the GA4 Data API),
:class:`ga_goals.sources.export.ExportSource` with DuckDB (export files read in place, or the
sandbox's events) or with BigQuery (the export dataset).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ga_goals.errors import GaGoalsError
from ga_goals.funnels.result import NextActions
from ga_goals.model import DataSource, Funnel, FunnelStep
from ga_goals.model.event_schemas import EventSchema
from ga_goals.sources.results import (
    DateSpanLike,
    FunnelTable,
    LiftTables,
    ParameterRef,
    ParameterTable,
    PropertySettings,
    ReportTable,
    SchemaFaults,
)

#: Engines a report can run on (``--engine``).
ENGINES = ("data-api", "duckdb", "bigquery")


#: The first step of the micro vs macro baseline funnel.
LIFT_ENTRY_EVENT = "session_start"


def lift_funnel(macro: str) -> Funnel:
    """The baseline of the micro vs macro table: the closed funnel ``session_start -> macro``
    (users who started a session in the range, and those of them who converted after it)."""
    return Funnel(
        name=f"lift_{macro}",
        title=f"Users who converted ({macro})",
        steps=(FunnelStep(name=LIFT_ENTRY_EVENT, event=LIFT_ENTRY_EVENT), FunnelStep(name=macro, event=macro)),
        open=False,
    )


def micro_funnel(micro: str, macro: str) -> Funnel:
    """A micro conversion's row of the micro vs macro table: the closed funnel ``micro -> macro``.

    Step 1 counts the users who did the micro conversion in the range, step 2 those of them
    whose macro conversion came **after** it (a micro -> macro sequence, by the funnel rules of
    :mod:`ga_goals.funnels.semantics`: rule 2's order, so an event at the same moment does not
    follow, and rule 4). A ``write_review`` or ``sign_up`` logged only after the purchase does
    not count as converting, so it cannot inflate the micro conversion's lift. Every engine
    computes exactly this funnel: the Data API as one ``RunFunnelReport`` per micro conversion,
    the SQL engines in :func:`ga_goals.sources.export_sql.lift_query`.
    """
    return Funnel(
        name=f"lift_{micro}_{macro}",
        title=f"Users who did {micro}, then {macro}",
        steps=(FunnelStep(name=micro, event=micro), FunnelStep(name=macro, event=macro)),
        open=False,
    )


class SourceError(GaGoalsError):
    """A report source cannot answer: missing or unreadable export files, no data for the period,
    a BigQuery refusal (permission, quota, bytes cap). The message says what to do."""


@dataclass(frozen=True)
class EngineOptions(DataSource):
    """Where a report's data comes from: the plan's ``source:`` block (:class:`DataSource`, whose
    fields this has) with the command line's ``--engine``, ``--events``... over it, plus what only
    the command line and the environment give."""

    credentials_file: str | None = None
    #: bigquery: a local endpoint (http://127.0.0.1:PORT) instead of Google's.
    endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SourceError(f"unknown engine {self.engine!r}: use one of {', '.join(ENGINES)}")


@dataclass(frozen=True)
class ReportQuery:
    """Everything one report needs from a source."""

    #: The date ranges (current, and previous when comparing); their names key every answer.
    spans: tuple[DateSpanLike, ...]
    #: Events whose totals (count, users, value) are needed.
    events: tuple[str, ...] = ()
    #: Funnels, each over every span, broken down by its own ``breakdown`` when set.
    funnels: tuple[Funnel, ...] = ()
    #: The macro conversion and the micro conversions compared with it (no lift table without a
    #: macro): per micro conversion, its users and those who did the macro conversion after it
    #: (:func:`micro_funnel`), against the baseline :func:`lift_funnel`.
    macro: str | None = None
    micros: tuple[str, ...] = ()
    #: Every event name with its count and users per span (``ReportAnswer.event_names``): what
    #: the property receives, declared or not (``ga-goals check``).
    event_names: bool = False
    #: Parameters whose arrival is counted: events carrying each with a value, per span
    #: (``ReportAnswer.parameters``; a source says which it cannot see, and why).
    parameters: tuple[ParameterRef, ...] = ()
    #: Funnels (by name) whose request the Data API may refuse without failing the report (a
    #: split test's breakdown by a dimension the property has not registered): the refusal is in
    #: :attr:`ReportAnswer.refused` instead. Quota, access and transport errors still fail it.
    optional_funnels: frozenset[str] = frozenset()
    #: Funnels (by name) read over the first span only (split tests and trends show no change
    #: against the previous period, so querying it would be waste).
    current_only_funnels: frozenset[str] = frozenset()
    #: Next actions (rule 10 of :mod:`ga_goals.funnels.semantics`): per funnel, the dimension read
    #: on the next event of the users who left after each step, and how many values a source
    #: must return at least (the most frequent; SQL sources return all); over the first span only.
    next_actions: tuple[tuple[Funnel, str, int], ...] = ()
    #: Event schemas to check the events against (``ga-goals check``), over the first span only:
    #: per event, parameters missing, of the wrong type, outside their allowed values or pattern,
    #: or undeclared (``ReportAnswer.schema_faults``; a source says what it cannot see).
    schemas: tuple[EventSchema, ...] = ()

    @property
    def span_names(self) -> list[str]:
        return [s.name for s in self.spans]

    def funnel_spans(self, funnel: Funnel) -> tuple[DateSpanLike, ...]:
        """The spans ``funnel`` is read over: the first only for :attr:`current_only_funnels`."""
        return self.spans[:1] if funnel.name in self.current_only_funnels else self.spans


@dataclass
class SourceUsage:
    """What answering cost, and where the data came from."""

    engine: str
    #: Where the data came from: ``properties/123``, ``31 export files``, ``project.analytics_123``.
    description: str
    #: Requests sent, by kind (Data API method names; ``query`` for SQL engines).
    calls: dict[str, int] = field(default_factory=dict)
    #: Admin API requests (the Data API source reads the property's time zone).
    admin_calls: dict[str, int] = field(default_factory=dict)
    #: Data API quota tokens (``ga_goals.ga4.data.QuotaUsage.to_json`` keys), empty for SQL engines.
    quota: dict[str, int | None] = field(default_factory=dict)
    #: BigQuery: bytes the queries processed and billed (DuckDB: None).
    bytes_processed: int | None = None
    bytes_billed: int | None = None
    seconds: float = 0.0

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())

    def summary(self) -> str:
        """One sentence for a report's footer."""
        from ga_goals.templating import number

        n = self.call_count
        if self.engine == "data-api":
            tokens = self.quota.get("tokens") or 0
            return f"{n} Data API call{'s' if n != 1 else ''}, {number(tokens)} quota tokens ({self.description})"
        text = f"{n} {'BigQuery' if self.engine == 'bigquery' else 'DuckDB'} quer{'ies' if n != 1 else 'y'} over {self.description}"
        if self.bytes_processed is not None:
            from ga_goals.bigquery.cost import TIB, USD_PER_TIB, format_usd, human_size

            text += f", {human_size(self.bytes_processed)} processed"
            if self.bytes_billed is not None:
                usd = self.bytes_billed / TIB * USD_PER_TIB
                text += f" ({human_size(self.bytes_billed)} billed, about {format_usd(usd)} on demand)"
        return text


@dataclass
class ReportAnswer:
    """A source's answer to a :class:`ReportQuery` (every table keyed by the spans' names)."""

    #: Key-event totals: rows ``{eventName, dateRange}`` -> ``{eventCount, totalUsers, eventValue}``
    #: (None when no event was asked for).
    events: ReportTable | None
    #: Site totals: rows ``{dateRange}`` -> ``{totalUsers, sessions}``.
    site: ReportTable
    #: Funnel name -> its table (every span; breakdown values when the funnel has a breakdown).
    funnels: Mapping[str, FunnelTable]
    #: The micro vs macro funnels (None without a macro or micro conversions).
    lift: LiftTables | None
    usage: SourceUsage
    #: Rows ``{eventName, dateRange}`` -> ``{eventCount, totalUsers}`` for every event name
    #: (None unless ``ReportQuery.event_names``).
    event_names: ReportTable | None = None
    #: Events carrying each asked parameter (None unless ``ReportQuery.parameters``).
    parameters: ParameterTable | None = None
    #: Optional funnels (:attr:`ReportQuery.optional_funnels`) the server refused: name -> why.
    refused: Mapping[str, str] = field(default_factory=dict)
    #: Funnel name -> its next actions over the first span (:attr:`ReportQuery.next_actions`).
    next_actions: Mapping[str, NextActions] = field(default_factory=dict)
    #: The events checked against ``ReportQuery.schemas`` (None unless asked).
    schema_faults: SchemaFaults | None = None


class ReportSource(Protocol):
    """Answers reports; one per property (or export) and run. Use it as a context manager."""

    @property
    def engine(self) -> str:
        """The engine (one of :data:`ENGINES`)."""
        ...

    @property
    def property(self) -> str:
        """The property the data belongs to (``properties/123``), as reports show it."""
        ...

    def settings(self) -> PropertySettings:
        """The property's time zone and currency (reports compute "last 7 days" in that zone)."""
        ...

    def fetch(self, query: ReportQuery) -> ReportAnswer:
        """Everything ``query`` asks for; raises a :class:`~ga_goals.errors.GaGoalsError` (nothing partial)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...


__all__ = [
    "ENGINES",
    "LIFT_ENTRY_EVENT",
    "EngineOptions",
    "ParameterRef",
    "ParameterTable",
    "ReportAnswer",
    "ReportQuery",
    "ReportSource",
    "SourceError",
    "SourceUsage",
    "lift_funnel",
    "micro_funnel",
]
