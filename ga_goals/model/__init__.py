"""The tracking plan's value objects and the GA4 resources they become.

``resources`` holds what GA4 stores (key events, custom dimensions and metrics, event create
rules, data streams) in a normalised, client-independent form, and ``PropertyState``, the set of
them for one property: the same class describes the desired state (from a plan file) and the
actual state (read from GA4), so that ``ga_goals.changes`` can compare the two.

``tracking_plan`` holds the plan file's own concepts (macro and micro conversions by journey
stage, funnels, reports, environments).
"""

from ga_goals.model.event_edit_rules import EventEditRule, EventEditRuleOrder
from ga_goals.model.calculated_metrics import CalculatedMetric
from ga_goals.model.channel_groups import Channel, ChannelCondition, ChannelGroup
from ga_goals.model.enhanced_measurement import EnhancedMeasurement
from ga_goals.model.audiences import Audience
from ga_goals.model.resources import (
    COMPARISONS,
    MEASUREMENT_UNITS,
    RESTRICTED_TYPES,
    Condition,
    CustomDimension,
    CustomMetric,
    DataStream,
    EventCreateRule,
    KeyEvent,
    Mutation,
    PropertyState,
    Resource,
)
from ga_goals.model.tracking_plan import (
    DEFAULT_STAGES,
    SANDBOX,
    DataSource,
    Alert,
    Conversion,
    Email,
    Environment,
    Funnel,
    FunnelStep,
    Period,
    Report,
    Safety,
    Segment,
    SplitTest,
    Trend,
    NextAction,
    StepFilter,
    TrackedEvent,
    TrackingPlan,
    AllOf,
    AnyOf,
    DimensionFilter,
    EventMatch,
    Not,
    StepCondition,
)

__all__ = [
    "COMPARISONS",
    "DEFAULT_STAGES",
    "SANDBOX",
    "MEASUREMENT_UNITS",
    "RESTRICTED_TYPES",
    "Alert",
    "Audience",
    "CalculatedMetric",
    "Channel",
    "ChannelCondition",
    "ChannelGroup",
    "Condition",
    "Conversion",
    "Email",
    "CustomDimension",
    "CustomMetric",
    "DataStream",
    "EnhancedMeasurement",
    "Environment",
    "EventCreateRule",
    "EventEditRule",
    "EventEditRuleOrder",
    "Funnel",
    "FunnelStep",
    "KeyEvent",
    "Mutation",
    "Period",
    "PropertyState",
    "Report",
    "Resource",
    "Safety",
    "Segment",
    "SplitTest",
    "Trend",
    "NextAction",
    "StepFilter",
    "AllOf",
    "AnyOf",
    "DimensionFilter",
    "EventMatch",
    "Not",
    "StepCondition",
    "TrackedEvent",
    "DataSource",
    "TrackingPlan",
]
