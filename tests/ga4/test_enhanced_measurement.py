"""Enhanced measurement through the real v1alpha client against the sandbox: read per web stream,
updated with a mask of exactly the changed settings."""

from __future__ import annotations

import dataclasses

import pytest

from ga_goals.changes import Change, FieldChange, Plan, compute_plan
from ga_goals.errors import ApiError
from ga_goals.ga4 import convert
from ga_goals.ga4.admin import AdminGateway
from ga_goals.model import EnhancedMeasurement, PropertyState
from ga_goals.model.enhanced_measurement import GA4_DEFAULTS

from .conftest import PROPERTY


def _settings(gateway: AdminGateway) -> EnhancedMeasurement:
    [settings] = gateway.read_state().enhanced_measurement.values()
    return settings


def test_read_state_has_every_setting_of_the_web_stream(gateway: AdminGateway) -> None:
    state = gateway.read_state()
    [web] = state.data_streams
    settings = state.enhanced_measurement[web.resource_name]
    assert settings.fields() == GA4_DEFAULTS.fields()
    assert settings.resource_name == f"{web.resource_name}/enhancedMeasurementSettings"
    assert (settings.stream, settings.label) == (web.resource_name, "Web")


def test_the_update_mask_names_only_the_changed_settings(gateway: AdminGateway) -> None:
    """The change names scrolls only; the desired object also carries other values, which GA4
    must not receive: the mask keeps them out."""
    old = _settings(gateway)
    desired = dataclasses.replace(old, scrolls=False, video_engagement=False, search_query_parameter="zzz")
    change = Change("update", old.KIND, old.label, existing=old, desired=desired, fields=(FieldChange("scrolls", True, False),))
    report = gateway.apply(Plan(property=PROPERTY, changes=[change]))
    assert report.complete, report.summary()
    after = _settings(gateway)
    assert (after.scrolls, after.video_engagement, after.search_query_parameter) == (False, True, "q,s,search,query,keyword")
    assert gateway.calls["UpdateEnhancedMeasurementSettings"] == 1


def test_a_planned_update_applies_and_then_plans_nothing(gateway: AdminGateway) -> None:
    actual = gateway.read_state()
    desired = PropertyState(property=PROPERTY)
    desired.add(EnhancedMeasurement(site_search=False, uri_query_parameter="category,sort", form_interactions=True))
    plan = compute_plan(desired, actual)
    assert [f.field for f in plan.changes[0].fields] == ["site_search", "uri_query_parameter"]
    assert gateway.apply(plan).complete
    assert compute_plan(desired, gateway.read_state()).changes == []


def test_mask_paths_are_the_proto_fields() -> None:
    assert convert.update_mask_paths("enhanced_measurement", ["scrolls", "search_query_parameter", "stream_enabled"]) == [
        "scrolls_enabled",
        "search_query_parameter",
        "stream_enabled",
    ]
    with pytest.raises(convert.ConversionError):
        convert.update_mask_paths("enhanced_measurement", ["stream"])


def test_an_invalid_value_fails_with_the_sandboxs_message(gateway: AdminGateway) -> None:
    old = _settings(gateway)
    desired = dataclasses.replace(old, search_query_parameter="")
    change = Change(
        "update", old.KIND, old.label, existing=old, desired=desired,
        fields=(FieldChange("search_query_parameter", old.search_query_parameter, ""),),
    )
    report = gateway.apply(Plan(property=PROPERTY, changes=[change]))
    assert not report.complete and isinstance(report.error, ApiError)
    assert "search_query_parameter is required" in str(report.error)
