"""The tracking plan: what a business counts as success, and how to watch it.

A ``TrackingPlan`` is what a plan file says once loaded, validated and resolved for one
environment (``ga_goals.plan_file.load_plan`` builds it). ``desired_state()`` turns it into the
GA4 resources the property must hold.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Union

from ga_goals.errors import Location, Problem
from ga_goals.model.calculated_metrics import CalculatedMetric
from ga_goals.model.channel_groups import ChannelGroup
from ga_goals.model.enhanced_measurement import EnhancedMeasurement
from ga_goals.model.audiences import Audience
from ga_goals.model.event_schemas import EventSchema, ParameterSet
from ga_goals.model.resources import (
    CountingMethod,
    CustomDimension,
    CustomMetric,
    EventCreateRule,
    KeyEvent,
    PropertyState,
)
from ga_goals.model.event_edit_rules import EventEditRule

#: Journey stages of an online shop, used when a plan does not declare its own ``stages``.
DEFAULT_STAGES: tuple[str, ...] = ("home", "category", "product", "cart", "checkout")

#: The property value that means "the embedded local sandbox".
SANDBOX = "sandbox"


@dataclass(frozen=True)
class Conversion:
    """A macro conversion (the purchase, the lead) or a micro conversion that leads to one.

    ``created_from`` holds the event create rules that derive this event from others (empty
    when the site sends the event itself). ``key_event`` False means "tracked and reported,
    not marked as a key event".
    """

    event_name: str
    kind: Literal["macro", "micro"]
    stage: str | None = None
    counting: CountingMethod = "once_per_event"
    default_value: float | None = None
    currency: str | None = None
    description: str = ""
    key_event: bool = True
    created_from: tuple[EventCreateRule, ...] = ()
    where: Location | None = field(default=None, compare=False)

    def key_event_resource(self) -> KeyEvent:
        return KeyEvent(
            event_name=self.event_name,
            counting_method=self.counting,
            default_value=self.default_value,
            currency=self.currency,
        )


@dataclass(frozen=True)
class TrackedEvent:
    """An event the site sends that is neither a conversion nor created by a rule (for funnels, docs)."""

    event_name: str
    stage: str | None = None
    description: str = ""
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StepFilter:
    """A condition on an event parameter in a funnel step.

    ``op`` is one of: equals, contains, starts_with, ends_with, matches (full regular
    expression), greater_than, greater_than_or_equal, less_than, less_than_or_equal, in.
    ``value`` is a string, a number, or (for ``in``) a tuple of strings.
    """

    parameter: str
    op: str
    value: str | float | tuple[str, ...]
    case_sensitive: bool = True
    negated: bool = False


@dataclass(frozen=True)
class EventMatch:
    """An event of one name whose parameters pass every filter (GA4's ``funnelEventFilter``)."""

    event: str
    filters: tuple[StepFilter, ...] = ()


@dataclass(frozen=True)
class DimensionFilter:
    """A condition on a dimension of the event that satisfies a step (GA4's ``funnelFieldFilter``).

    ``op`` is a :class:`StepFilter` comparison or ``between`` (``value`` is then ``(low, high)``,
    inclusive). How a dimension's value is read from an event: rule 3b of
    :mod:`ga_goals.funnels.semantics`.
    """

    dimension: str
    op: str
    value: str | float | tuple[str, ...] | tuple[float, float]
    case_sensitive: bool = True
    negated: bool = False


@dataclass(frozen=True)
class AllOf:
    """Every part holds (GA4's ``andGroup``)."""

    parts: tuple[StepCondition, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds (GA4's ``orGroup``): the alternatives of a step."""

    parts: tuple[StepCondition, ...]


@dataclass(frozen=True)
class Not:
    """The part does not hold (GA4's ``notExpression``)."""

    part: StepCondition


#: What an event must satisfy to satisfy a funnel step: GA4's ``FunnelFilterExpression``.
StepCondition = Union[EventMatch, DimensionFilter, AllOf, AnyOf, Not]


def condition_events(condition: StepCondition) -> tuple[str, ...]:
    """Every event name the condition mentions, in order of appearance (for labels and plan checks)."""
    if isinstance(condition, EventMatch):
        return (condition.event,)
    if isinstance(condition, (AllOf, AnyOf)):
        return tuple(dict.fromkeys(e for part in condition.parts for e in condition_events(part)))
    if isinstance(condition, Not):
        return condition_events(condition.part)
    return ()


_OP_WORDS = {
    "equals": "=",
    "contains": "contains",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "matches": "matches",
    "in": "in",
    "greater_than": ">",
    "greater_than_or_equal": ">=",
    "less_than": "<",
    "less_than_or_equal": "<=",
    "between": "between",
}


def _comparison_text(subject: str, op: str, value: object, negated: bool) -> str:
    def one(v: object) -> str:
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    if op == "in" and isinstance(value, (tuple, list)):
        shown = "(" + ", ".join(one(v) for v in value) + ")"
    elif op == "between" and isinstance(value, (tuple, list)):
        shown = f"{one(value[0])} and {one(value[1])}"
    else:
        shown = one(value)
    text = f"{subject} {_OP_WORDS.get(op, op)} {shown}"
    return f"not {text}" if negated else text


def condition_text(condition: StepCondition, *, nested: bool = False) -> str:
    """A step condition as one readable line (reports, docs):
    ``add_to_cart and (sessionSource = google or firstUserMedium contains organic)``."""
    if isinstance(condition, EventMatch):
        if not condition.filters:
            return condition.event
        filters = " and ".join(_comparison_text(f.parameter, f.op, f.value, f.negated) for f in condition.filters)
        text = f"{condition.event} with {filters}"
    elif isinstance(condition, DimensionFilter):
        return _comparison_text(condition.dimension, condition.op, condition.value, condition.negated)
    elif isinstance(condition, Not):
        return f"not ({condition_text(condition.part)})"
    else:
        glue = " and " if isinstance(condition, AllOf) else " or "
        text = glue.join(condition_text(p, nested=True) for p in condition.parts)
    return f"({text})" if nested else text


@dataclass(frozen=True)
class FunnelStep:
    """One step, reached after the prior step.

    The common step is one event with optional parameter filters (``event`` and ``filters``);
    any other step has a ``condition`` (alternatives, dimension conditions, groups). After
    construction ``condition`` is always set (``EventMatch(event, filters)`` for the common
    step), and ``event``/``filters`` are set only when the condition is one :class:`EventMatch`.
    """

    name: str
    event: str = ""
    filters: tuple[StepFilter, ...] = ()
    directly_followed: bool = False
    #: Upper bound (inclusive) on the time since the prior step, in seconds; None = any.
    within_seconds: float | None = None
    where: Location | None = field(default=None, compare=False)
    #: None (the constructor's default) becomes ``EventMatch(event, filters)``.
    condition: StepCondition = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.condition is None:
            object.__setattr__(self, "condition", EventMatch(self.event, self.filters))  # type: ignore[unreachable]
        elif isinstance(self.condition, EventMatch):
            object.__setattr__(self, "event", self.condition.event)
            object.__setattr__(self, "filters", self.condition.filters)
        else:
            object.__setattr__(self, "event", "")
            object.__setattr__(self, "filters", ())

    @builtins.property
    def events(self) -> tuple[str, ...]:
        """The event names the step's condition mentions."""
        return condition_events(self.condition)

    @builtins.property
    def label(self) -> str:
        """What reaches the step, in one line: the event name for the common step, else
        :func:`condition_text` of the condition."""
        return self.event if self.simple else condition_text(self.condition)

    @builtins.property
    def simple(self) -> bool:
        """True for the common step: one event, optional parameter filters."""
        return isinstance(self.condition, EventMatch)


#: What a segment keeps (rule 11 of :mod:`ga_goals.funnels.semantics`).
SegmentScope = Literal["user", "session", "event"]


@dataclass(frozen=True)
class Segment:
    """A part of the traffic a funnel is restricted to (GA4's funnel ``Segment``).

    ``condition`` is a step condition (rule 3c), tested on single events: a ``user`` segment
    keeps the users with such an event in the date range (all their events), a ``session``
    segment the sessions with one (only their events), an ``event`` segment the events that
    satisfy it. ``exclusion`` (optional, same language) leaves out the users / sessions /
    events that have an event satisfying it. Rule 11 of :mod:`ga_goals.funnels.semantics`.
    """

    name: str
    scope: SegmentScope
    condition: StepCondition
    title: str = ""
    exclusion: StepCondition | None = None
    where: Location | None = field(default=None, compare=False)

    @builtins.property
    def label(self) -> str:
        """The segment's title, else its name (report rows, the Data API's ``segment`` column)."""
        return self.title or self.name


@dataclass(frozen=True)
class Funnel:
    name: str
    title: str
    steps: tuple[FunnelStep, ...]
    open: bool = False
    breakdown: str | None = None
    breakdown_limit: int = 5
    description: str = ""
    where: Location | None = field(default=None, compare=False)
    #: Segments the funnel is shown for, one funnel per segment (at most 4: one Data API request).
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class Period:
    """A reporting period: a named relative period, or explicit dates."""

    kind: Literal["last_7_days", "last_28_days", "last_week", "last_month", "month_to_date", "custom"]
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Alert:
    """Raise an alert when a metric of a funnel or a key event crosses a threshold.

    ``significant``: a ``*_change`` alert fires only when the change is distinguishable from
    noise at ``confidence`` (p < 1 - confidence; ``docs/statistics.md``). ``min_count``: it
    fires only when the count the metric rests on is at least this (events for count and value,
    users, completions, users entered for a conversion rate; for a change, the larger of the
    two periods').
    """

    metric: str
    funnel: str | None = None
    event: str | None = None
    below: float | None = None
    above: float | None = None
    significant: bool = False
    confidence: float = 0.95
    min_count: int | None = None
    where: Location | None = field(default=None, compare=False)

    @property
    def counted(self) -> str:
        """What ``min_count`` counts, in words: ``events``, ``users``, ``completions`` or
        ``users entered`` (the funnel, for a conversion rate)."""
        base = self.metric.removesuffix("_change")
        words = _FUNNEL_COUNTED if self.funnel is not None else _EVENT_COUNTED
        return words.get(base, base.replace("_", " "))


_FUNNEL_COUNTED = {"conversion_rate": "users entered", "users": "users", "completions": "completions"}
_EVENT_COUNTED = {"count": "events", "users": "users", "value": "events"}


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = "{{ report.title }}: {{ period.label }}"


#: A split test without ``values`` tests this many values (those with the most users) against its control.
SPLIT_TEST_DEFAULT_VALUES = 4


@dataclass(frozen=True)
class SplitTest:
    """Compare a funnel's completion across the values of a dimension, against a control value.

    ``by`` is a Data API dimension a funnel can be broken down by (``deviceCategory``,
    ``sessionCampaignName``, ``customEvent:<parameter>``, ``customUser:<property>``...);
    ``control`` is the value the others are tested against; ``values`` the ones tested (empty:
    the values with the most users). ``confidence`` sets the intervals and the significance level
    (0.95: intervals of 95 %, a difference is reported when its adjusted p-value is below 0.05).
    """

    funnel: str
    by: str
    control: str
    values: tuple[str, ...] = ()
    title: str = ""
    confidence: float = 0.95
    where: Location | None = field(default=None, compare=False)


#: How a trend groups the days of the period (``Trend.by``).
TREND_PERIODS = ("day", "week")
#: Dimensions a next action can read (GA4's ``funnelNextAction`` takes ``eventName`` and page
#: dimensions; docs/ga4-api-facts.md, "Trended funnels and next actions").
NEXT_ACTION_DIMENSIONS = ("eventName", "pageLocation", "pageTitle")
#: GA4's largest (and default) next-action limit.
NEXT_ACTION_LIMIT_MAX = 5


@dataclass(frozen=True)
class Trend:
    """A funnel's completion rate per day or week of the report's period (GA4's trended funnel)."""

    funnel: str
    by: Literal["day", "week"] = "day"
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class NextAction:
    """What users did next after the step of a funnel with the most abandonments (GA4's
    ``funnelNextAction``): the ``limit`` most frequent values of ``dimension``."""

    funnel: str
    dimension: str = "eventName"
    limit: int = NEXT_ACTION_LIMIT_MAX
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    period: Period
    compare: Literal["previous_period", "previous_year", "none"] = "previous_period"
    funnels: tuple[str, ...] = ()
    key_events: tuple[str, ...] = ()
    macro: str | None = None
    alerts: tuple[Alert, ...] = ()
    email: Email | None = None
    formats: tuple[str, ...] = ("html", "text", "json")
    #: Funnels compared across a dimension's values with a significance test.
    split_tests: tuple[SplitTest, ...] = ()
    #: Funnels shown as their completion rate per day or week.
    trends: tuple[Trend, ...] = ()
    #: Funnels whose biggest drop is followed by what users did next.
    next_actions: tuple[NextAction, ...] = ()
    where: Location | None = field(default=None, compare=False)
    #: Segments the report's funnels are shown for (a funnel's own ``segments`` win).
    segments: tuple[Segment, ...] = ()

    def funnel_segments(self, funnel: Funnel) -> tuple[Segment, ...]:
        """The segments ``funnel`` is shown for in this report: its own, else the report's."""
        return funnel.segments or self.segments


@dataclass(frozen=True)
class Environment:
    """A property the plan applies to, with the overrides already merged by the loader."""

    name: str
    property: str
    tier: Literal["standard", "360"] | None = None


@dataclass(frozen=True)
class Safety:
    """Guard rails for sync (CLI flags can only tighten or explicitly lift them).

    ``protect`` lists names never touched: an event name, a parameter name, or
    ``kind:name`` (``custom_dimension:form_id``). ``max_destroy`` caps how many archives,
    deletes and replaces one sync may apply. ``unmanaged`` says what to do with resources the
    property has and the plan does not declare: ``ignore`` them (default) or ``remove``
    them (archive or delete, which still needs ``--allow-destroy``).
    """

    protect: tuple[str, ...] = ()
    max_destroy: int = 5
    unmanaged: Literal["ignore", "remove"] = "ignore"


@dataclass(frozen=True)
class DataSource:
    """Where the plan's reports read their data (the plan's ``source:`` block)."""

    engine: str = "data-api"
    #: duckdb: export files, folders or globs (absolute, or relative to the plan file's folder).
    events: tuple[str, ...] = ()
    dataset: str | None = None
    billing_project: str | None = None
    location: str | None = None
    max_bytes_billed: int | None = None
    time_zone: str | None = None


@dataclass
class TrackingPlan:
    """A plan file resolved for one environment (or for its base property)."""

    source: str
    property: str  # "sandbox", or a numeric id as a string
    environment: str | None = None
    tier: Literal["standard", "360"] = "standard"
    currency: str | None = None
    stream: str | None = None
    stages: tuple[str, ...] = DEFAULT_STAGES
    #: How a user reaches a stage, for the stages that say it (``{name, reached_by}``); the
    #: others are reached by any event of the stage (the journey map of reports).
    stage_reached_by: dict[str, FunnelStep] = field(default_factory=dict)
    conversions: dict[str, Conversion] = field(default_factory=dict)
    events: dict[str, TrackedEvent] = field(default_factory=dict)
    custom_dimensions: dict[str, CustomDimension] = field(default_factory=dict)
    custom_metrics: dict[str, CustomMetric] = field(default_factory=dict)
    #: Event edit rules in the plan's order (their ``processing_order``: 1, 2, ...).
    event_edit_rules: list[EventEditRule] = field(default_factory=list)
    calculated_metrics: dict[str, CalculatedMetric] = field(default_factory=dict)
    #: Custom channel groups by display name.
    channel_groups: dict[str, ChannelGroup] = field(default_factory=dict)
    #: Audiences (``audiences:``), by display name.
    audiences: dict[str, Audience] = field(default_factory=dict)
    #: Shared parameter sets (``parameter_sets:``), by name.
    parameter_sets: dict[str, ParameterSet] = field(default_factory=dict)
    #: The resolved parameters of each event that has any (declared, from a set, or GA4's
    #: recommended ones), by event name: see ``ga_goals.model.event_schemas``.
    event_schemas: dict[str, EventSchema] = field(default_factory=dict)
    funnels: dict[str, Funnel] = field(default_factory=dict)
    #: Segments declared at the top level (``segments:``), by name.
    segments: dict[str, Segment] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    safety: Safety = field(default_factory=Safety)
    #: The web stream's enhanced measurement settings the plan manages (None: not managed).
    enhanced_measurement: EnhancedMeasurement | None = None
    data_source: DataSource = field(default_factory=DataSource)
    #: Legal but probably unintended things the loader noticed (sorted by location).
    warnings: list[Problem] = field(default_factory=list)

    @builtins.property  # the field `property` hides the builtin in this class
    def is_sandbox(self) -> bool:
        return self.property == SANDBOX

    @builtins.property
    def macro(self) -> list[Conversion]:
        return [c for c in self.conversions.values() if c.kind == "macro"]

    @builtins.property
    def micro(self) -> list[Conversion]:
        return [c for c in self.conversions.values() if c.kind == "micro"]

    def known_events(self) -> set[str]:
        """Event names this plan declares (conversions, created events, tracked events)."""
        return set(self.conversions) | set(self.events)

    def desired_state(self, property_name: str) -> PropertyState:
        """The GA4 resources this plan needs in ``property_name`` (``properties/{id}``)."""
        state = PropertyState(property=property_name, service_level=self.tier)
        for dimension in self.custom_dimensions.values():
            state.add(dimension)
        for metric in self.custom_metrics.values():
            state.add(metric)
        for conversion in self.conversions.values():
            if conversion.key_event:
                state.add(conversion.key_event_resource())
            for rule in conversion.created_from:
                state.add(rule)
        for edit in self.event_edit_rules:
            state.add(edit)
        for calculated in self.calculated_metrics.values():
            state.add(calculated)
        for group in self.channel_groups.values():
            state.add(group)
        if self.enhanced_measurement is not None:
            state.add(self.enhanced_measurement)
        for audience in self.audiences.values():
            state.add(audience)
        return state
