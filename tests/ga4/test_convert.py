"""Model <-> proto-plus messages: round trips through the wire format for every resource and enum."""

from __future__ import annotations

from typing import Any

import pytest
from google.analytics import admin_v1alpha as AA
from google.analytics import admin_v1beta as A

from ga_goals.ga4 import convert
from ga_goals.model import (
    COMPARISONS,
    MEASUREMENT_UNITS,
    Condition,
    CustomDimension,
    CustomMetric,
    DataStream,
    EventCreateRule,
    KeyEvent,
    Mutation,
)

VERSIONS = pytest.mark.parametrize("module", [A, AA], ids=["v1beta", "v1alpha"])


def wire(msg: Any) -> Any:
    """Serialize and parse again: what the other side of the channel sees."""
    return type(msg).deserialize(type(msg).serialize(msg))


# --------------------------------------------------------------------------- key events

KEY_EVENTS = [
    KeyEvent("purchase"),
    KeyEvent("purchase", "once_per_session"),
    KeyEvent("sign_up", "once_per_event", 0.0, "USD"),
    KeyEvent("generate_lead", "once_per_session", 12.5, "EUR"),
]


@VERSIONS
@pytest.mark.parametrize("ke", KEY_EVENTS, ids=lambda k: f"{k.counting_method}-{k.default_value}")
def test_key_event_round_trip(module: Any, ke: KeyEvent) -> None:
    msg = convert.key_event_to_proto(ke, module)
    assert isinstance(msg, module.KeyEvent)
    back = convert.key_event_from_proto(wire(msg))
    assert back == ke
    assert back.fields() == ke.fields()


@pytest.mark.parametrize(
    "method, proto",
    [("once_per_event", "ONCE_PER_EVENT"), ("once_per_session", "ONCE_PER_SESSION")],
)
def test_key_event_counting_method_names(method: str, proto: str) -> None:
    msg = convert.key_event_to_proto(KeyEvent("x", method))  # type: ignore[arg-type]
    assert msg.counting_method == A.KeyEvent.CountingMethod[proto]


def test_key_event_default_value_presence() -> None:
    assert "default_value" not in convert.key_event_to_proto(KeyEvent("x"))
    msg = convert.key_event_to_proto(KeyEvent("x", default_value=0.0, currency="USD"))
    assert "default_value" in wire(msg)  # a zero value is still a value
    assert msg.default_value.currency_code == "USD"


def test_key_event_output_only_fields() -> None:
    msg = A.KeyEvent(
        name="properties/1/keyEvents/7",
        event_name="purchase",
        counting_method="ONCE_PER_EVENT",
        custom=False,
        deletable=False,
    )
    ke = convert.key_event_from_proto(wire(msg))
    assert (ke.resource_name, ke.custom, ke.deletable) == ("properties/1/keyEvents/7", False, False)
    assert convert.key_event_to_proto(ke).name == "properties/1/keyEvents/7"
    assert convert.key_event_to_proto(ke, name="properties/1/keyEvents/9").name == "properties/1/keyEvents/9"


def test_unspecified_counting_method_reads_as_unspecified() -> None:
    assert convert.key_event_from_proto(A.KeyEvent(event_name="x")).counting_method == "unspecified"


# --------------------------------------------------------------------------- custom dimensions

DIMENSIONS = [
    CustomDimension("form_id", "event", "Form ID"),
    CustomDimension("customer_tier", "user", "Customer tier", "Tier of the customer", True),
    CustomDimension("item_color", "item", "Item color", "Colour"),
]


@VERSIONS
@pytest.mark.parametrize("cd", DIMENSIONS, ids=lambda d: d.scope)
def test_custom_dimension_round_trip(module: Any, cd: CustomDimension) -> None:
    msg = convert.custom_dimension_to_proto(cd, module)
    assert msg.scope == module.CustomDimension.DimensionScope[cd.scope.upper()]
    assert convert.custom_dimension_from_proto(wire(msg)) == cd


# --------------------------------------------------------------------------- custom metrics

METRICS = [CustomMetric(f"m_{unit}", f"Metric {unit}", measurement_unit=unit) for unit in MEASUREMENT_UNITS if unit != "currency"]
METRICS += [
    CustomMetric("cost", "Cost", measurement_unit="currency", restricted_metric_type=("cost_data",)),
    CustomMetric("revenue", "Revenue", "Cart value", "currency", ("revenue_data",)),
    CustomMetric("both", "Both", measurement_unit="currency", restricted_metric_type=("cost_data", "revenue_data")),
]


@VERSIONS
@pytest.mark.parametrize("cm", METRICS, ids=lambda m: f"{m.measurement_unit}-{'+'.join(m.restricted_metric_type)}")
def test_custom_metric_round_trip(module: Any, cm: CustomMetric) -> None:
    msg = convert.custom_metric_to_proto(cm, module)
    assert msg.measurement_unit == module.CustomMetric.MeasurementUnit[cm.measurement_unit.upper()]
    assert msg.scope == module.CustomMetric.MetricScope.EVENT
    assert convert.custom_metric_from_proto(wire(msg)) == cm


def test_restricted_types_come_back_sorted() -> None:
    msg = A.CustomMetric(
        parameter_name="x", display_name="X", measurement_unit="CURRENCY", scope="EVENT",
        restricted_metric_type=["REVENUE_DATA", "COST_DATA"],
    )
    assert convert.custom_metric_from_proto(wire(msg)).restricted_metric_type == ("cost_data", "revenue_data")


def test_every_measurement_unit_is_known_to_the_client() -> None:
    names = {m.name.lower() for m in A.CustomMetric.MeasurementUnit if not m.name.endswith("UNSPECIFIED")}
    assert names == set(MEASUREMENT_UNITS)


# --------------------------------------------------------------------------- event create rules

STREAM = "properties/1/dataStreams/2"


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("negated", [False, True])
def test_event_create_rule_comparisons_round_trip(comparison: str, negated: bool) -> None:
    rule = EventCreateRule(
        "newsletter_signup",
        (Condition("event_name", "equals", "form_submit"), Condition("form_id", comparison, "10", negated)),
        copy_parameters=True,
        mutations=(Mutation("method", "newsletter_form"), Mutation("origin", "[[form_id]]")),
        stream=STREAM,
        resource_name=f"{STREAM}/eventCreateRules/5",
    )
    msg = convert.event_create_rule_to_proto(rule)
    assert isinstance(msg, AA.EventCreateRule)
    assert msg.event_conditions[1].comparison_type == AA.MatchingCondition.ComparisonType[comparison.upper()]
    back = convert.event_create_rule_from_proto(wire(msg))
    assert back == rule
    assert back.stream == STREAM  # taken from the rule's name


def test_event_create_rule_field_names() -> None:
    rule = EventCreateRule("x_done", (Condition("event_name", "contains", "x"),), True, (Mutation("a", "b"),))
    msg = convert.to_proto(rule)
    assert msg.source_copy_parameters is True
    assert msg.parameter_mutations[0].parameter_value == "b"
    assert not msg.name
    assert convert.event_create_rule_from_proto(msg, index=2, stream=STREAM).key == (STREAM, "x_done", 2)


def test_every_comparison_is_known_to_the_client() -> None:
    names = {m.name.lower() for m in AA.MatchingCondition.ComparisonType if not m.name.endswith("UNSPECIFIED")}
    assert names == set(COMPARISONS)


# --------------------------------------------------------------------------- data streams, property

STREAMS = [
    DataStream("properties/1/dataStreams/2", "web", "Web", "G-ABC123", "https://shop.example.com"),
    DataStream("properties/1/dataStreams/3", "android", "Android app"),
    DataStream("properties/1/dataStreams/4", "ios", "iOS app"),
]


@VERSIONS
@pytest.mark.parametrize("ds", STREAMS, ids=lambda d: d.type)
def test_data_stream_round_trip(module: Any, ds: DataStream) -> None:
    msg = convert.data_stream_to_proto(ds, module)
    assert convert.data_stream_from_proto(wire(msg)) == ds


@pytest.mark.parametrize(
    "proto, level",
    [
        ("GOOGLE_ANALYTICS_STANDARD", "standard"),
        ("GOOGLE_ANALYTICS_360", "360"),
        ("SERVICE_LEVEL_UNSPECIFIED", "standard"),
    ],
)
@VERSIONS
def test_service_level(module: Any, proto: str, level: str) -> None:
    prop = wire(module.Property(name="properties/1", service_level=module.ServiceLevel[proto]))
    assert convert.service_level_from_proto(prop.service_level) == level
    if proto != "SERVICE_LEVEL_UNSPECIFIED":
        assert convert.service_level_to_proto(level, module) == module.ServiceLevel[proto]


# --------------------------------------------------------------------------- enums, dispatch, masks


def test_unknown_enum_values() -> None:
    assert convert.enum_name(99, A.KeyEvent.CountingMethod) == "unknown_99"
    with pytest.raises(convert.ConversionError, match="once_per_event, once_per_session"):
        convert.key_event_to_proto(KeyEvent("x", "twice"))  # type: ignore[arg-type]
    with pytest.raises(convert.ConversionError, match="unknown dimension scope .unspecified. .known: event, user, item"):
        convert.custom_dimension_to_proto(CustomDimension("x", "unspecified", "X"))  # type: ignore[arg-type]


@pytest.mark.parametrize("resource", [KEY_EVENTS[3], DIMENSIONS[1], METRICS[-1]])
def test_generic_dispatch(resource: Any) -> None:
    msg = convert.to_proto(resource)
    assert type(msg).__module__.startswith("google.analytics.admin_v1beta")
    assert convert.from_proto(wire(msg)) == resource


@pytest.mark.parametrize(
    "kind, fields, paths",
    [
        ("key_event", ["counting_method"], ["counting_method"]),
        ("key_event", ["default_value", "currency"], ["default_value"]),
        ("key_event", ["currency"], ["default_value"]),
        ("custom_dimension", ["display_name", "description", "disallow_ads_personalization"],
         ["display_name", "description", "disallow_ads_personalization"]),
        ("custom_metric", ["measurement_unit", "restricted_metric_type"], ["measurement_unit", "restricted_metric_type"]),
        ("event_create_rule", ["conditions", "copy_parameters", "mutations", "destination_event"],
         ["event_conditions", "source_copy_parameters", "parameter_mutations", "destination_event"]),
    ],
)
def test_update_mask_paths(kind: str, fields: list[str], paths: list[str]) -> None:
    assert convert.update_mask_paths(kind, fields) == paths


@pytest.mark.parametrize(
    "kind, field", [("key_event", "event_name"), ("custom_dimension", "scope"), ("custom_metric", "parameter_name")]
)
def test_immutable_fields_have_no_update_path(kind: str, field: str) -> None:
    with pytest.raises(convert.ConversionError, match="replace"):
        convert.update_mask_paths(kind, [field])
