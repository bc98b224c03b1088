"""Model <-> Admin API messages (proto-plus), for both API versions.

``ga_goals.model`` holds client-independent value objects with lower-case enum names; this
module is the one place that knows the proto field names (``type_``, ``source_copy_parameters``,
``restricted_metric_type``...) and enum spellings (``ONCE_PER_EVENT``, ``WEB_DATA_STREAM``...).

The KeyEvent, CustomDimension, CustomMetric and DataStream messages are textually identical in
v1beta and v1alpha (docs/ga4-api-facts.md §1.1) but are distinct Python classes, so every ``*_to_proto``
takes the version's module (``google.analytics.admin_v1beta`` by default). EventCreateRule only
CalculatedMetric, ChannelGroup and Audience only exist in v1alpha (Audience's conversion is
``ga_goals.ga4.audiences``). ``*_from_proto`` accepts a message of either version.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from types import ModuleType
from typing import Any

from google.analytics import admin_v1alpha, admin_v1beta

from ga_goals.ga4 import audiences as _audiences
from ga_goals.ga4 import enhanced_measurement as _em
from ga_goals.model import (
    Audience,
    CalculatedMetric,
    Channel,
    ChannelCondition,
    ChannelGroup,
    Condition,
    CustomDimension,
    CustomMetric,
    DataStream,
    EnhancedMeasurement,
    EventCreateRule,
    EventEditRule,
    KeyEvent,
    Mutation,
    Resource,
)
from ga_goals.model.resources import StreamType

V1BETA: ModuleType = admin_v1beta
V1ALPHA: ModuleType = admin_v1alpha

#: DataStream.DataStreamType <-> model name.
STREAM_TYPES: dict[str, StreamType] = {
    "WEB_DATA_STREAM": "web",
    "ANDROID_APP_DATA_STREAM": "android",
    "IOS_APP_DATA_STREAM": "ios",
}
_STREAM_DATA_FIELD = {"web": "web_stream_data", "android": "android_app_stream_data", "ios": "ios_app_stream_data"}

#: ServiceLevel <-> PropertyState.service_level.
SERVICE_LEVELS: dict[str, str] = {
    "GOOGLE_ANALYTICS_STANDARD": "standard",
    "GOOGLE_ANALYTICS_360": "360",
}

#: Model field name -> proto field path, per resource kind, for update masks.
UPDATE_PATHS: dict[str, dict[str, str]] = {
    KeyEvent.KIND: {
        "counting_method": "counting_method",
        "default_value": "default_value",
        "currency": "default_value",
    },
    CustomDimension.KIND: {
        "display_name": "display_name",
        "description": "description",
        "disallow_ads_personalization": "disallow_ads_personalization",
    },
    CustomMetric.KIND: {
        "display_name": "display_name",
        "description": "description",
        "measurement_unit": "measurement_unit",
        "restricted_metric_type": "restricted_metric_type",
    },
    CalculatedMetric.KIND: {
        "display_name": "display_name",
        "description": "description",
        "metric_unit": "metric_unit",
        "formula": "formula",
    },
    ChannelGroup.KIND: {
        "display_name": "display_name",
        "description": "description",
        "primary": "primary",
        "channels": "grouping_rule",
    },
    EventCreateRule.KIND: {
        "destination_event": "destination_event",
        "conditions": "event_conditions",
        "copy_parameters": "source_copy_parameters",
        "mutations": "parameter_mutations",
    },
    EventEditRule.KIND: {
        "display_name": "display_name",
        "conditions": "event_conditions",
        "mutations": "parameter_mutations",
    },
    EnhancedMeasurement.KIND: _em.UPDATE_PATHS,
    Audience.KIND: _audiences.UPDATE_PATHS,
}


class ConversionError(ValueError):
    """A model value has no proto equivalent (an unknown enum name), or a field cannot be updated."""


# --------------------------------------------------------------------------- enums


def enum_name(value: Any, enum_cls: type[enum.IntEnum] | None = None) -> str:
    """``CountingMethod.ONCE_PER_EVENT`` (or its int) -> ``"once_per_event"``.

    Every ``*_UNSPECIFIED`` value becomes ``"unspecified"``; an int the installed client does not
    know (a value added to the API later) becomes ``"unknown_<n>"``.
    """
    if not isinstance(value, enum.Enum):
        if enum_cls is None:
            return f"unknown_{int(value)}"
        try:
            value = enum_cls(int(value))
        except ValueError:
            return f"unknown_{int(value)}"
    name = value.name
    if name.endswith("_UNSPECIFIED"):
        return "unspecified"
    return name.lower()


def enum_value(enum_cls: type[enum.IntEnum], name: str, what: str) -> enum.IntEnum:
    """``"once_per_event"`` -> ``CountingMethod.ONCE_PER_EVENT``; ConversionError if unknown."""
    try:
        member = enum_cls[str(name).upper()]
    except KeyError:
        known = ", ".join(m.name.lower() for m in enum_cls if not m.name.endswith("_UNSPECIFIED"))
        raise ConversionError(f"unknown {what} {name!r} (known: {known})") from None
    if member.name.endswith("_UNSPECIFIED"):
        raise ConversionError(f"{what} must be set")
    return member


def _has(msg: Any, field: str) -> bool:
    """Presence of a message field (proto-plus ``in``)."""
    return field in msg


def _message(msg_cls: Any, kwargs: dict[str, Any], resource_name: str | None) -> Any:
    """``msg_cls(**kwargs)``, with its ``name`` set when the resource name is known."""
    if resource_name:
        kwargs["name"] = resource_name
    return msg_cls(**kwargs)


# --------------------------------------------------------------------------- key events


def key_event_to_proto(ke: KeyEvent, module: ModuleType = V1BETA, *, name: str | None = None) -> Any:
    msg_cls = module.KeyEvent
    kwargs: dict[str, Any] = {
        "event_name": ke.event_name,
        "counting_method": enum_value(msg_cls.CountingMethod, ke.counting_method, "counting method"),
    }
    if ke.default_value is not None or ke.currency:
        kwargs["default_value"] = msg_cls.DefaultValue(
            numeric_value=float(ke.default_value or 0.0), currency_code=ke.currency or ""
        )
    return _message(msg_cls, kwargs, name or ke.resource_name)


def key_event_from_proto(msg: Any) -> KeyEvent:
    value: float | None = None
    currency: str | None = None
    if _has(msg, "default_value"):
        value = float(msg.default_value.numeric_value)
        currency = msg.default_value.currency_code or None
    return KeyEvent(
        event_name=msg.event_name,
        counting_method=enum_name(msg.counting_method, type(msg).CountingMethod),  # type: ignore[arg-type]
        default_value=value,
        currency=currency,
        resource_name=msg.name or None,
        custom=bool(msg.custom),
        deletable=bool(msg.deletable),
    )


# --------------------------------------------------------------------------- custom dimensions


def custom_dimension_to_proto(cd: CustomDimension, module: ModuleType = V1BETA, *, name: str | None = None) -> Any:
    msg_cls = module.CustomDimension
    kwargs: dict[str, Any] = {
        "parameter_name": cd.parameter_name,
        "display_name": cd.display_name,
        "description": cd.description,
        "scope": enum_value(msg_cls.DimensionScope, cd.scope, "dimension scope"),
        "disallow_ads_personalization": cd.disallow_ads_personalization,
    }
    return _message(msg_cls, kwargs, name or cd.resource_name)


def custom_dimension_from_proto(msg: Any) -> CustomDimension:
    return CustomDimension(
        parameter_name=msg.parameter_name,
        scope=enum_name(msg.scope, type(msg).DimensionScope),  # type: ignore[arg-type]
        display_name=msg.display_name,
        description=msg.description,
        disallow_ads_personalization=bool(msg.disallow_ads_personalization),
        resource_name=msg.name or None,
    )


# --------------------------------------------------------------------------- custom metrics


def custom_metric_to_proto(cm: CustomMetric, module: ModuleType = V1BETA, *, name: str | None = None) -> Any:
    msg_cls = module.CustomMetric
    kwargs: dict[str, Any] = {
        "parameter_name": cm.parameter_name,
        "display_name": cm.display_name,
        "description": cm.description,
        "measurement_unit": enum_value(msg_cls.MeasurementUnit, cm.measurement_unit, "measurement unit"),
        "scope": enum_value(msg_cls.MetricScope, cm.scope, "metric scope"),
        "restricted_metric_type": [
            enum_value(msg_cls.RestrictedMetricType, t, "restricted metric type") for t in sorted(cm.restricted_metric_type)
        ],
    }
    return _message(msg_cls, kwargs, name or cm.resource_name)


def custom_metric_from_proto(msg: Any) -> CustomMetric:
    msg_cls = type(msg)
    return CustomMetric(
        parameter_name=msg.parameter_name,
        display_name=msg.display_name,
        description=msg.description,
        measurement_unit=enum_name(msg.measurement_unit, msg_cls.MeasurementUnit),
        restricted_metric_type=tuple(
            sorted(enum_name(t, msg_cls.RestrictedMetricType) for t in msg.restricted_metric_type)
        ),
        scope=enum_name(msg.scope, msg_cls.MetricScope),  # type: ignore[arg-type]
        resource_name=msg.name or None,
    )


# --------------------------------------------------------------------------- event create rules


def _conditions_to_proto(conditions: tuple[Condition, ...], module: ModuleType) -> list[Any]:
    comparison = module.MatchingCondition.ComparisonType
    return [
        module.MatchingCondition(
            field=c.field,
            comparison_type=enum_value(comparison, c.comparison, "comparison"),
            value=c.value,
            negated=c.negated,
        )
        for c in conditions
    ]


def _mutations_to_proto(mutations: tuple[Mutation, ...], module: ModuleType) -> list[Any]:
    return [module.ParameterMutation(parameter=m.parameter, parameter_value=m.value) for m in mutations]


def _conditions_from_proto(msgs: Any) -> tuple[Condition, ...]:
    comparison = type(msgs[0]).ComparisonType if msgs else None
    return tuple(
        Condition(field=c.field, comparison=enum_name(c.comparison_type, comparison), value=c.value, negated=bool(c.negated))
        for c in msgs
    )


def _mutations_from_proto(msgs: Any) -> tuple[Mutation, ...]:
    return tuple(Mutation(parameter=m.parameter, value=m.parameter_value) for m in msgs)


def event_create_rule_to_proto(rule: EventCreateRule, module: ModuleType = V1ALPHA, *, name: str | None = None) -> Any:
    kwargs: dict[str, Any] = {
        "destination_event": rule.destination_event,
        "event_conditions": _conditions_to_proto(rule.conditions, module),
        "source_copy_parameters": rule.copy_parameters,
        "parameter_mutations": _mutations_to_proto(rule.mutations, module),
    }
    return _message(module.EventCreateRule, kwargs, name or rule.resource_name)


def stream_of(resource_name: str) -> str:
    """``properties/1/dataStreams/2/eventCreateRules/3`` -> ``properties/1/dataStreams/2``."""
    parts = resource_name.split("/")
    return "/".join(parts[:4])


def event_create_rule_from_proto(msg: Any, *, index: int = 0, stream: str | None = None) -> EventCreateRule:
    """``stream`` defaults to the data stream in the rule's name; ``index`` numbers rules that
    create the same event in the same stream (the reader assigns it)."""
    return EventCreateRule(
        destination_event=msg.destination_event,
        conditions=_conditions_from_proto(msg.event_conditions),
        copy_parameters=bool(msg.source_copy_parameters),
        mutations=_mutations_from_proto(msg.parameter_mutations),
        stream=stream if stream is not None else (stream_of(msg.name) if msg.name else None),
        index=index,
        resource_name=msg.name or None,
    )


# --------------------------------------------------------------------------- event edit rules


def event_edit_rule_to_proto(rule: EventEditRule, module: ModuleType = V1ALPHA, *, name: str | None = None) -> Any:
    """``processing_order`` is output only: never sent (ReorderEventEditRules sets it)."""
    kwargs: dict[str, Any] = {
        "display_name": rule.display_name,
        "event_conditions": _conditions_to_proto(rule.conditions, module),
        "parameter_mutations": _mutations_to_proto(rule.mutations, module),
    }
    return _message(module.EventEditRule, kwargs, name or rule.resource_name)


def event_edit_rule_from_proto(msg: Any, *, index: int = 0, stream: str | None = None) -> EventEditRule:
    """``stream`` defaults to the data stream in the rule's name; ``index`` numbers rules with the
    same display name on a stream, in processing order (the reader assigns it)."""
    return EventEditRule(
        display_name=msg.display_name,
        conditions=_conditions_from_proto(msg.event_conditions),
        mutations=_mutations_from_proto(msg.parameter_mutations),
        stream=stream if stream is not None else (stream_of(msg.name) if msg.name else None),
        index=index,
        processing_order=int(msg.processing_order),
        resource_name=msg.name or None,
    )


# --------------------------------------------------------------------------- calculated metrics (v1alpha)


def calculated_metric_to_proto(cm: CalculatedMetric, module: ModuleType = V1ALPHA, *, name: str | None = None) -> Any:
    """The message to create or update ``cm``. ``calculated_metric_id`` is output only in the
    message: a create sends it as the request's ``calculated_metric_id``."""
    msg_cls = module.CalculatedMetric
    kwargs: dict[str, Any] = {
        "display_name": cm.display_name,
        "description": cm.description,
        "metric_unit": enum_value(msg_cls.MetricUnit, cm.metric_unit, "metric unit"),
        "formula": cm.formula,
    }
    return _message(msg_cls, kwargs, name or cm.resource_name)


def calculated_metric_from_proto(msg: Any) -> CalculatedMetric:
    msg_cls = type(msg)
    return CalculatedMetric(
        calculated_metric_id=msg.calculated_metric_id or msg.name.rsplit("/", 1)[-1],
        display_name=msg.display_name,
        formula=msg.formula,
        metric_unit=enum_name(msg.metric_unit, msg_cls.MetricUnit),
        description=msg.description,
        restricted_metric_type=tuple(
            sorted(enum_name(t, msg_cls.RestrictedMetricType) for t in msg.restricted_metric_type)
        ),
        invalid_metric_reference=bool(msg.invalid_metric_reference),
        resource_name=msg.name or None,
    )


# --------------------------------------------------------------------------- channel groups (v1alpha)


def _channel_filter(c: ChannelCondition, module: ModuleType) -> Any:
    filter_cls = module.ChannelGroupFilter
    if c.match == "in_list":
        inner = filter_cls(field_name=c.field, in_list_filter=filter_cls.InListFilter(values=list(c.values)))
    else:
        match_type = enum_value(filter_cls.StringFilter.MatchType, c.match, "channel condition match")
        inner = filter_cls(field_name=c.field, string_filter=filter_cls.StringFilter(match_type=match_type, value=c.value))
    expression = module.ChannelGroupFilterExpression(filter=inner)
    if c.negated:
        expression = module.ChannelGroupFilterExpression(not_expression=expression)
    return expression


def channel_group_to_proto(group: ChannelGroup, module: ModuleType = V1ALPHA, *, name: str | None = None) -> Any:
    """A channel group's message: each channel's conditions become the one expression shape
    GA4 accepts, an ``and_group`` of ``or_group`` lists of (possibly negated) filters."""
    expression_cls = module.ChannelGroupFilterExpression
    list_cls = module.ChannelGroupFilterExpressionList
    rules = [
        module.GroupingRule(
            display_name=channel.name,
            expression=expression_cls(
                and_group=list_cls(
                    filter_expressions=[
                        expression_cls(or_group=list_cls(filter_expressions=[_channel_filter(c, module) for c in group]))
                        for group in channel.conditions
                    ]
                )
            ),
        )
        for channel in group.channels
    ]
    kwargs: dict[str, Any] = {
        "display_name": group.display_name,
        "description": group.description,
        "grouping_rule": rules,
        "primary": group.primary,
    }
    return _message(module.ChannelGroup, kwargs, name or group.resource_name)


def _condition_from_proto(expression: Any, negated: bool = False) -> ChannelCondition:
    if _has(expression, "not_expression"):
        return _condition_from_proto(expression.not_expression, not negated)
    f = expression.filter
    if _has(f, "in_list_filter"):
        values = tuple(dict.fromkeys(f.in_list_filter.values))  # a value listed twice matches once
        return ChannelCondition(field=f.field_name, match="in_list", values=values, negated=negated)
    match = enum_name(f.string_filter.match_type, type(f.string_filter).MatchType)
    return ChannelCondition(field=f.field_name, match=match, value=f.string_filter.value, negated=negated)


def _or_group(expression: Any) -> tuple[ChannelCondition, ...]:
    if _has(expression, "or_group"):
        return tuple(dict.fromkeys(_condition_from_proto(e) for e in expression.or_group.filter_expressions))
    return (_condition_from_proto(expression),)


def channel_group_from_proto(msg: Any) -> ChannelGroup:
    """Any expression GA4 returns, normalised to an AND of OR groups, without repeats (a
    condition, OR group or list value given twice means what it means once; a plan lists it once)."""
    channels = []
    for rule in msg.grouping_rule:
        expression = rule.expression
        if _has(expression, "and_group"):
            groups = tuple(dict.fromkeys(_or_group(e) for e in expression.and_group.filter_expressions))
        elif _has(expression, "or_group") or _has(expression, "filter") or _has(expression, "not_expression"):
            groups = (_or_group(expression),)
        else:
            groups = ()
        channels.append(Channel(name=rule.display_name, conditions=groups))
    return ChannelGroup(
        display_name=msg.display_name,
        # A channel repeated whole never gets a session (its first copy takes them all).
        channels=tuple(dict.fromkeys(channels)),
        description=msg.description,
        primary=bool(msg.primary),
        system_defined=bool(msg.system_defined),
        resource_name=msg.name or None,
    )


def create_request_fields(resource: Resource) -> dict[str, Any]:
    """Fields a Create request needs besides ``parent`` and the resource: the id GA4 lets the
    caller choose (``calculated_metric_id``)."""
    if isinstance(resource, CalculatedMetric):
        return {"calculated_metric_id": resource.calculated_metric_id}
    return {}


# --------------------------------------------------------------------------- data streams, property


def data_stream_from_proto(msg: Any) -> DataStream:
    try:
        type_name = type(msg).DataStreamType(int(msg.type_)).name
    except ValueError:  # a stream type this client does not know
        type_name = ""
    kind = STREAM_TYPES.get(type_name, "unspecified")
    measurement_id = default_uri = ""
    if _has(msg, "web_stream_data"):
        measurement_id = msg.web_stream_data.measurement_id
        default_uri = msg.web_stream_data.default_uri
    return DataStream(
        resource_name=msg.name,
        type=kind,
        display_name=msg.display_name,
        measurement_id=measurement_id,
        default_uri=default_uri,
    )


def data_stream_to_proto(ds: DataStream, module: ModuleType = V1BETA) -> Any:
    msg_cls = module.DataStream
    by_model = {v: k for k, v in STREAM_TYPES.items()}
    if ds.type not in by_model:
        raise ConversionError(f"unknown data stream type {ds.type!r} (known: web, android, ios)")
    kwargs: dict[str, Any] = {
        "name": ds.resource_name,
        "type_": msg_cls.DataStreamType[by_model[ds.type]],
        "display_name": ds.display_name,
    }
    if ds.type == "web":
        kwargs["web_stream_data"] = msg_cls.WebStreamData(measurement_id=ds.measurement_id, default_uri=ds.default_uri)
    elif ds.type == "android":
        kwargs["android_app_stream_data"] = msg_cls.AndroidAppStreamData()
    else:
        kwargs["ios_app_stream_data"] = msg_cls.IosAppStreamData()
    return msg_cls(**kwargs)


def service_level_from_proto(value: Any) -> str:
    """``GOOGLE_ANALYTICS_360`` -> ``"360"``; anything else (unspecified) -> ``"standard"``."""
    name = value.name if isinstance(value, enum.Enum) else ""
    if not name:
        try:
            name = admin_v1beta.ServiceLevel(int(value)).name
        except ValueError:
            name = ""
    return SERVICE_LEVELS.get(name, "standard")


def service_level_to_proto(level: str, module: ModuleType = V1BETA) -> Any:
    by_model = {v: k for k, v in SERVICE_LEVELS.items()}
    if level not in by_model:
        raise ConversionError(f"unknown service level {level!r} (known: standard, 360)")
    return module.ServiceLevel[by_model[level]]


# --------------------------------------------------------------------------- dispatch

_TO_PROTO: dict[type, Callable[..., Any]] = {
    KeyEvent: key_event_to_proto,
    CustomDimension: custom_dimension_to_proto,
    CustomMetric: custom_metric_to_proto,
    EventCreateRule: event_create_rule_to_proto,
    EventEditRule: event_edit_rule_to_proto,
    CalculatedMetric: calculated_metric_to_proto,
    ChannelGroup: channel_group_to_proto,
    EnhancedMeasurement: _em.to_proto,
    Audience: _audiences.audience_to_proto,
}

#: Resources only the v1alpha Admin API has.
ALPHA_ONLY: tuple[type, ...] = (
    EventCreateRule,
    EventEditRule,
    CalculatedMetric,
    ChannelGroup,
    EnhancedMeasurement,
    Audience,
)
_FROM_PROTO = {
    "KeyEvent": key_event_from_proto,
    "CustomDimension": custom_dimension_from_proto,
    "CustomMetric": custom_metric_from_proto,
    "EventCreateRule": event_create_rule_from_proto,
    "EventEditRule": event_edit_rule_from_proto,
    "CalculatedMetric": calculated_metric_from_proto,
    "ChannelGroup": channel_group_from_proto,
    "DataStream": data_stream_from_proto,
    "EnhancedMeasurementSettings": _em.from_proto,
    "Audience": _audiences.audience_from_proto,
}


def to_proto(resource: Resource, module: ModuleType | None = None, *, name: str | None = None) -> Any:
    """Any managed resource -> its message (v1beta, or v1alpha for event create rules and
    enhanced measurement settings)."""
    fn = _TO_PROTO[type(resource)]
    if module is None:
        module = V1ALPHA if isinstance(resource, ALPHA_ONLY) else V1BETA
    return fn(resource, module, name=name)


def from_proto(msg: Any) -> Any:
    """A KeyEvent / CustomDimension / CustomMetric / EventCreateRule / DataStream message -> model."""
    try:
        fn = _FROM_PROTO[type(msg).__name__]
    except KeyError:
        raise ConversionError(f"no model for {type(msg).__name__}") from None
    try:
        return fn(msg)
    except _audiences.AudienceShapeError as exc:
        raise ConversionError(str(exc)) from None


def update_mask_paths(kind: str, fields: list[str] | tuple[str, ...]) -> list[str]:
    """Model field names that changed -> the update mask's proto paths (deduplicated, in order).

    Raises :class:`ConversionError` for an immutable or unknown field (the plan should have
    made that change a ``replace``).
    """
    table = UPDATE_PATHS[kind]
    paths: list[str] = []
    for f in fields:
        if f not in table:
            raise ConversionError(f"{kind} field {f!r} cannot be updated in place (it needs a replace)")
        if table[f] not in paths:
            paths.append(table[f])
    return paths
