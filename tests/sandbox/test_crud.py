"""CRUD of every resource through the real clients, in both Admin API versions."""

from __future__ import annotations

import datetime

import pytest
from google.api_core import exceptions as ex
from google.protobuf.field_mask_pb2 import FieldMask

from .conftest import P360, PARENT, PARENT360


def test_get_property(api):
    types, client = api
    prop = client.get_property(name=PARENT)
    assert prop.name == PARENT
    assert prop.display_name == "Sandbox shop"
    assert prop.time_zone == "UTC"
    assert prop.currency_code == "USD"
    assert prop.service_level == types.ServiceLevel.GOOGLE_ANALYTICS_STANDARD
    assert prop.property_type == types.PropertyType.PROPERTY_TYPE_ORDINARY
    assert isinstance(prop.create_time, datetime.datetime)
    big = client.get_property(name=PARENT360)
    assert big.service_level == types.ServiceLevel.GOOGLE_ANALYTICS_360
    assert big.display_name == "Big shop"


def test_list_properties(api):
    types, client = api
    props = list(client.list_properties(request={"filter": "parent:accounts/100000"}))
    assert [p.name for p in props] == [PARENT, PARENT360]
    assert list(client.list_properties(request={"filter": "ancestor:accounts/999"})) == []


def test_seeded_state(api):
    types, client = api
    (purchase,) = client.list_key_events(parent=PARENT)
    assert purchase.event_name == "purchase"
    assert purchase.custom is False
    assert purchase.deletable is False
    assert purchase.counting_method == types.KeyEvent.CountingMethod.ONCE_PER_EVENT
    (stream,) = client.list_data_streams(parent=PARENT)
    assert stream.display_name == "Web"
    assert stream.type_ == types.DataStream.DataStreamType.WEB_DATA_STREAM
    assert stream.web_stream_data.default_uri == "https://shop.example.com"
    assert stream.web_stream_data.measurement_id.startswith("G-")
    assert len(stream.web_stream_data.measurement_id) == 12
    assert stream.create_time and stream.update_time
    assert client.get_data_stream(name=stream.name) == stream
    assert list(client.list_custom_dimensions(parent=PARENT)) == []
    assert list(client.list_custom_metrics(parent=PARENT)) == []


def test_data_streams_of_each_type(api, streams):
    types, client = api
    by_name = {s.name: s for s in client.list_data_streams(parent=PARENT)}
    assert list(by_name) == [streams.web, streams.app, streams.web2]
    app = by_name[streams.app]
    assert app.type_ == types.DataStream.DataStreamType.ANDROID_APP_DATA_STREAM
    assert app.android_app_stream_data.package_name == "com.example.shop"
    assert by_name[streams.web2].web_stream_data.default_uri == "https://blog.example.com"
    assert by_name[streams.web].web_stream_data.measurement_id != by_name[streams.web2].web_stream_data.measurement_id


def test_key_event_crud(api):
    types, client = api
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    created = client.create_key_event(
        parent=PARENT,
        key_event=types.KeyEvent(
            event_name="sign_up",
            counting_method=types.KeyEvent.CountingMethod.ONCE_PER_SESSION,
            default_value=types.KeyEvent.DefaultValue(numeric_value=2.5, currency_code="EUR"),
        ),
    )
    assert created.name.startswith(f"{PARENT}/keyEvents/")
    assert created.name.rsplit("/", 1)[1].isdigit()
    assert created.custom is True and created.deletable is True
    assert created.create_time >= before
    assert created.default_value.numeric_value == 2.5
    assert client.get_key_event(name=created.name) == created

    updated = client.update_key_event(
        key_event=types.KeyEvent(name=created.name, counting_method=types.KeyEvent.CountingMethod.ONCE_PER_EVENT),
        update_mask=FieldMask(paths=["counting_method"]),
    )
    assert updated.counting_method == types.KeyEvent.CountingMethod.ONCE_PER_EVENT
    assert updated.default_value.currency_code == "EUR"  # untouched
    assert updated.create_time == created.create_time

    cleared = client.update_key_event(
        key_event=types.KeyEvent(name=created.name), update_mask=FieldMask(paths=["default_value"])
    )
    assert "default_value" not in cleared
    nested = client.update_key_event(
        key_event=types.KeyEvent(name=created.name, default_value={"numeric_value": 7, "currency_code": "GBP"}),
        update_mask=FieldMask(paths=["default_value.currency_code"]),
    )
    assert nested.default_value.currency_code == "GBP" and nested.default_value.numeric_value == 0

    names = [k.event_name for k in client.list_key_events(parent=PARENT)]
    assert names == ["purchase", "sign_up"]
    assert client.delete_key_event(name=created.name) is None
    with pytest.raises(ex.NotFound):
        client.get_key_event(name=created.name)
    assert [k.event_name for k in client.list_key_events(parent=PARENT)] == ["purchase"]


def test_default_event_key_events_are_not_custom(beta):
    first_open = beta.create_key_event(parent=PARENT, key_event={"event_name": "first_open", "counting_method": 1})
    assert first_open.custom is False and first_open.deletable is True


def test_custom_dimension_crud(api):
    types, client = api
    Scope = types.CustomDimension.DimensionScope
    created = client.create_custom_dimension(
        parent=PARENT,
        custom_dimension=types.CustomDimension(
            parameter_name="customer_tier",
            display_name="Customer tier",
            description="Gold, silver or bronze",
            scope=Scope.USER,
            disallow_ads_personalization=True,
        ),
    )
    assert created.name.startswith(f"{PARENT}/customDimensions/")
    assert created.disallow_ads_personalization is True
    assert client.get_custom_dimension(name=created.name) == created
    # Same parameter name in another scope is another dimension.
    event_scoped = client.create_custom_dimension(
        parent=PARENT, custom_dimension={"parameter_name": "customer_tier", "display_name": "Tier", "scope": "EVENT"}
    )
    updated = client.update_custom_dimension(
        custom_dimension=types.CustomDimension(name=created.name, display_name="Tier of customer", description=""),
        update_mask=FieldMask(paths=["display_name", "description"]),
    )
    assert (updated.display_name, updated.description) == ("Tier of customer", "")
    assert updated.scope == Scope.USER and updated.parameter_name == "customer_tier"
    listed = list(client.list_custom_dimensions(parent=PARENT))
    assert [d.name for d in listed] == [created.name, event_scoped.name]
    assert client.archive_custom_dimension(name=created.name) is None
    assert [d.name for d in client.list_custom_dimensions(parent=PARENT)] == [event_scoped.name]


def test_custom_metric_crud(api):
    types, client = api
    Unit = types.CustomMetric.MeasurementUnit
    created = client.create_custom_metric(
        parent=PARENT,
        custom_metric=types.CustomMetric(
            parameter_name="cart_value",
            display_name="Cart value",
            measurement_unit=Unit.CURRENCY,
            scope=types.CustomMetric.MetricScope.EVENT,
            restricted_metric_type=[types.CustomMetric.RestrictedMetricType.REVENUE_DATA],
        ),
    )
    assert list(created.restricted_metric_type) == [types.CustomMetric.RestrictedMetricType.REVENUE_DATA]
    assert client.get_custom_metric(name=created.name) == created
    # measurement_unit is updatable; restricted_metric_type must follow it.
    updated = client.update_custom_metric(
        custom_metric=types.CustomMetric(name=created.name, measurement_unit=Unit.SECONDS),
        update_mask=FieldMask(paths=["measurement_unit", "restricted_metric_type"]),
    )
    assert updated.measurement_unit == Unit.SECONDS and list(updated.restricted_metric_type) == []
    replaced = client.update_custom_metric(
        custom_metric=types.CustomMetric(
            name=created.name,
            parameter_name="cart_value",
            display_name="Basket",
            measurement_unit=Unit.STANDARD,
            scope=types.CustomMetric.MetricScope.EVENT,
        ),
        update_mask=FieldMask(paths=["*"]),
    )
    assert (replaced.display_name, replaced.measurement_unit) == ("Basket", Unit.STANDARD)
    assert [m.name for m in client.list_custom_metrics(parent=PARENT)] == [created.name]
    client.archive_custom_metric(name=created.name)
    assert list(client.list_custom_metrics(parent=PARENT)) == []


def test_event_create_rule_crud(alpha, streams):
    from google.analytics import admin_v1alpha as AA

    Comparison = AA.MatchingCondition.ComparisonType
    rule = AA.EventCreateRule(
        destination_event="newsletter_signup",
        event_conditions=[
            AA.MatchingCondition(field="event_name", comparison_type=Comparison.EQUALS, value="form_submit"),
            AA.MatchingCondition(field="form_id", comparison_type=Comparison.REGULAR_EXPRESSION, value="^news"),
        ],
        source_copy_parameters=True,
        parameter_mutations=[AA.ParameterMutation(parameter="origin", parameter_value="[[form_id]]")],
    )
    created = alpha.create_event_create_rule(parent=streams.web, event_create_rule=rule)
    assert created.name.startswith(f"{streams.web}/eventCreateRules/")
    assert created.destination_event == "newsletter_signup"
    assert list(created.event_conditions) == list(rule.event_conditions)
    assert alpha.get_event_create_rule(name=created.name) == created
    other = alpha.create_event_create_rule(
        parent=streams.web2,
        event_create_rule={
            "destination_event": "newsletter_signup",
            "event_conditions": [{"field": "value", "comparison_type": "GREATER_THAN", "value": "10"}],
        },
    )
    updated = alpha.update_event_create_rule(
        event_create_rule=AA.EventCreateRule(name=created.name, source_copy_parameters=False),
        update_mask=FieldMask(paths=["source_copy_parameters"]),
    )
    assert updated.source_copy_parameters is False and updated.destination_event == "newsletter_signup"
    assert [r.name for r in alpha.list_event_create_rules(parent=streams.web)] == [created.name]
    assert [r.name for r in alpha.list_event_create_rules(parent=streams.web2)] == [other.name]
    assert alpha.delete_event_create_rule(name=created.name) is None
    assert list(alpha.list_event_create_rules(parent=streams.web)) == []
    with pytest.raises(ex.NotFound):
        alpha.get_event_create_rule(name=created.name)


def test_versions_share_state(beta, alpha):
    created = beta.create_key_event(parent=PARENT, key_event={"event_name": "lead", "counting_method": "ONCE_PER_EVENT"})
    assert alpha.get_key_event(name=created.name).event_name == "lead"
    alpha.delete_key_event(name=created.name)
    assert [k.event_name for k in beta.list_key_events(parent=PARENT)] == ["purchase"]


def test_ids_are_numeric_and_increase_per_property(beta):
    names = [
        beta.create_key_event(parent=PARENT, key_event={"event_name": f"e{i}", "counting_method": 1}).name
        for i in range(3)
    ]
    ids = [int(n.rsplit("/", 1)[1]) for n in names]
    assert ids == sorted(ids) and len(set(ids)) == 3
    other = beta.create_key_event(parent=PARENT360, key_event={"event_name": "e0", "counting_method": 1})
    assert other.name.startswith(f"properties/{P360}/keyEvents/")


def test_unregistered_method_is_unimplemented(beta):
    with pytest.raises(ex.MethodNotImplemented):
        beta.create_data_stream(parent=PARENT, data_stream={"type_": 1, "display_name": "x"})
    assert len(list(beta.list_data_streams(parent=PARENT))) == 1
