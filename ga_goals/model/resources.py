"""GA4 configuration resources in a normalised, client-independent form.

These classes never import the Google clients: ``ga_goals.ga4.convert`` maps them to and from
the Admin API's proto-plus messages. Enum values are lower-case names of the proto enums
(``CountingMethod.ONCE_PER_SESSION`` -> ``"once_per_session"``), so that plan files, plans and
JSON output read the same.

Every resource has

* ``key``: its identity inside a property (what GA4 treats as "the same thing"); two resources
  with the same key are compared field by field;
* ``fields()``: the comparable, user-settable fields, as plain JSON-able values;
* ``IMMUTABLE``: field names GA4 will not update (a change needs archive/delete + create);
* output-only attributes (``resource_name`` and friends) that are excluded from comparison.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

from ga_goals.model.event_edit_rules import EventEditRule, EventEditRuleOrder
from ga_goals.model.matching import Condition as Condition  # re-exported: defined with the rules
from ga_goals.model.matching import Mutation as Mutation
from ga_goals.model.calculated_metrics import CalculatedMetric
from ga_goals.model.channel_groups import ChannelGroup
from ga_goals.model.enhanced_measurement import EnhancedMeasurement
from ga_goals.model.audiences import Audience

CountingMethod = Literal["once_per_event", "once_per_session"]
DimensionScope = Literal["event", "user", "item"]
#: DataStream types; "unspecified" for a type this client does not know.
StreamType = Literal["web", "android", "ios", "unspecified"]

#: CustomMetric.MeasurementUnit values, lower-cased, without MEASUREMENT_UNIT_UNSPECIFIED.
MEASUREMENT_UNITS: tuple[str, ...] = (
    "standard",
    "currency",
    "feet",
    "meters",
    "kilometers",
    "miles",
    "milliseconds",
    "seconds",
    "minutes",
    "hours",
)

#: CustomMetric.RestrictedMetricType values, lower-cased, without the UNSPECIFIED value.
RESTRICTED_TYPES: tuple[str, ...] = ("cost_data", "revenue_data")

#: MatchingCondition.ComparisonType values, lower-cased, without the UNSPECIFIED value.
COMPARISONS: tuple[str, ...] = (
    "equals",
    "equals_case_insensitive",
    "contains",
    "contains_case_insensitive",
    "starts_with",
    "starts_with_case_insensitive",
    "ends_with",
    "ends_with_case_insensitive",
    "greater_than",
    "greater_than_or_equal",
    "less_than",
    "less_than_or_equal",
    "regular_expression",
    "regular_expression_case_insensitive",
)


@dataclass(frozen=True)
class KeyEvent:
    """``properties/{p}/keyEvents/{id}``. Identity: ``event_name`` (immutable)."""

    KIND: ClassVar[str] = "key_event"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ("event_name",)

    event_name: str
    counting_method: CountingMethod = "once_per_event"
    #: KeyEvent.default_value: both set or both None.
    default_value: float | None = None
    currency: str | None = None
    # Output only (actual state):
    resource_name: str | None = field(default=None, compare=False)
    custom: bool = field(default=True, compare=False)
    deletable: bool = field(default=True, compare=False)

    @property
    def key(self) -> str:
        return self.event_name

    @property
    def label(self) -> str:
        return self.event_name

    def fields(self) -> dict[str, Any]:
        return {
            "event_name": self.event_name,
            "counting_method": self.counting_method,
            "default_value": self.default_value,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class CustomDimension:
    """``properties/{p}/customDimensions/{id}``. Identity: ``(scope, parameter_name)``, both immutable."""

    KIND: ClassVar[str] = "custom_dimension"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ("parameter_name", "scope")

    parameter_name: str
    scope: DimensionScope
    display_name: str
    description: str = ""
    disallow_ads_personalization: bool = False
    resource_name: str | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.scope, self.parameter_name)

    @property
    def label(self) -> str:
        return f"{self.scope}:{self.parameter_name}"

    def fields(self) -> dict[str, Any]:
        return {
            "parameter_name": self.parameter_name,
            "scope": self.scope,
            "display_name": self.display_name,
            "description": self.description,
            "disallow_ads_personalization": self.disallow_ads_personalization,
        }


@dataclass(frozen=True)
class CustomMetric:
    """``properties/{p}/customMetrics/{id}``. Identity: ``parameter_name`` (scope is always event)."""

    KIND: ClassVar[str] = "custom_metric"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ("parameter_name", "scope")

    parameter_name: str
    display_name: str
    description: str = ""
    measurement_unit: str = "standard"
    #: Sorted tuple of RESTRICTED_TYPES; required (non-empty) for currency, empty otherwise.
    restricted_metric_type: tuple[str, ...] = ()
    scope: Literal["event"] = "event"
    resource_name: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.parameter_name

    @property
    def label(self) -> str:
        return self.parameter_name

    def fields(self) -> dict[str, Any]:
        return {
            "parameter_name": self.parameter_name,
            "scope": self.scope,
            "display_name": self.display_name,
            "description": self.description,
            "measurement_unit": self.measurement_unit,
            "restricted_metric_type": list(self.restricted_metric_type),
        }


@dataclass(frozen=True)
class EventCreateRule:
    """``properties/{p}/dataStreams/{s}/eventCreateRules/{id}`` (Admin API v1alpha).

    Identity: ``(stream, destination_event, index)``: several rules may create the same event
    (conditions are ANDed, so "contact form OR quote form" needs two rules); ``index`` numbers
    them in plan-file order. In the desired state ``stream`` is the plan's stream selector
    (``None`` = the property's only web stream, else a stream id or display name) until the
    planner resolves it to a ``properties/{p}/dataStreams/{s}`` name.
    """

    KIND: ClassVar[str] = "event_create_rule"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ()

    destination_event: str
    conditions: tuple[Condition, ...]
    copy_parameters: bool = False
    mutations: tuple[Mutation, ...] = ()
    stream: str | None = None
    index: int = 0
    resource_name: str | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str | None, str, int]:
        return (self.stream, self.destination_event, self.index)

    @property
    def label(self) -> str:
        return self.destination_event if not self.index else f"{self.destination_event}#{self.index + 1}"

    def fields(self) -> dict[str, Any]:
        return {
            "destination_event": self.destination_event,
            "conditions": [c.to_json() for c in self.conditions],
            "copy_parameters": self.copy_parameters,
            "mutations": [m.to_json() for m in self.mutations],
        }


@dataclass(frozen=True)
class DataStream:
    """``properties/{p}/dataStreams/{s}``: read only; event create rules hang under a web stream."""

    resource_name: str
    type: StreamType
    display_name: str
    measurement_id: str = ""
    default_uri: str = ""

    @property
    def stream_id(self) -> str:
        return self.resource_name.rsplit("/", 1)[-1]


Resource = Union[
    KeyEvent,
    CustomDimension,
    CustomMetric,
    EventCreateRule,
    EventEditRule,
    EventEditRuleOrder,
    CalculatedMetric,
    ChannelGroup,
    EnhancedMeasurement,
    Audience,
]


@dataclass
class PropertyState:
    """Everything ga-goals manages in one GA4 property: desired (from a plan) or actual (read).

    ``property`` is the resource name ``properties/{id}``. ``service_level`` is ``"standard"``
    or ``"360"``. ``data_streams`` is only filled for actual state.
    """

    property: str
    key_events: dict[str, KeyEvent] = field(default_factory=dict)
    custom_dimensions: dict[tuple[str, str], CustomDimension] = field(default_factory=dict)
    custom_metrics: dict[str, CustomMetric] = field(default_factory=dict)
    event_create_rules: dict[tuple[str | None, str, int], EventCreateRule] = field(default_factory=dict)
    #: Event edit rules; actual ones in processing order per stream (see ``edit_rule_order``).
    event_edit_rules: dict[tuple[str | None, str, int], EventEditRule] = field(default_factory=dict)
    calculated_metrics: dict[str, CalculatedMetric] = field(default_factory=dict)
    #: Custom channel groups by display name (GA4's system-defined group is not managed).
    channel_groups: dict[str, ChannelGroup] = field(default_factory=dict)
    #: Per web stream (its selector in a desired state, its resource name once read).
    enhanced_measurement: dict[str | None, EnhancedMeasurement] = field(default_factory=dict)
    audiences: dict[str, Audience] = field(default_factory=dict)
    data_streams: list[DataStream] = field(default_factory=list)
    service_level: str = "standard"
    display_name: str = ""

    KINDS: ClassVar[tuple[str, ...]] = (
        "custom_dimensions",
        "custom_metrics",
        "key_events",
        "event_create_rules",
        "event_edit_rules",
        "calculated_metrics",
        "channel_groups",
        "enhanced_measurement",
        "audiences",
    )

    def add(self, resource: Resource) -> None:
        """Index ``resource`` under its key in the matching collection."""
        getattr(self, _COLLECTION[type(resource)])[resource.key] = resource

    def resources(self) -> list[Resource]:
        """All managed resources, in apply order (definitions before the events that use them)."""
        out: list[Resource] = []
        for kind in self.KINDS:
            out.extend(getattr(self, kind).values())
        return out

    def edit_rule_order(self, stream: str | None) -> list[EventEditRule]:
        """The event edit rules of one stream, in processing order."""
        rules = [r for r in self.event_edit_rules.values() if r.stream == stream]
        return sorted(rules, key=lambda r: r.processing_order)

    @builtins.property  # the field `property` hides the builtin in this class
    def property_id(self) -> str:
        return self.property.split("/", 1)[-1]


_COLLECTION: dict[type, str] = {
    KeyEvent: "key_events",
    CustomDimension: "custom_dimensions",
    CustomMetric: "custom_metrics",
    EventCreateRule: "event_create_rules",
    EventEditRule: "event_edit_rules",
    CalculatedMetric: "calculated_metrics",
    ChannelGroup: "channel_groups",
    EnhancedMeasurement: "enhanced_measurement",
    Audience: "audiences",
}
