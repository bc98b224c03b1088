"""Calculated metrics in the sandbox (v1alpha), through the real client: GA4's rules and limits."""

from __future__ import annotations

import pytest
from google.analytics import admin_v1alpha as alpha_types
from google.api_core import exceptions as ex
from google.protobuf.field_mask_pb2 import FieldMask

from .conftest import PARENT, PARENT360

CM = alpha_types.CalculatedMetric


def _create(client, metric_id="add_to_cart_rate", parent=PARENT, **fields):
    body = {"display_name": "Add to cart rate", "metric_unit": CM.MetricUnit.STANDARD, "formula": "addToCarts / sessions"}
    body.update(fields)
    return client.create_calculated_metric(parent=parent, calculated_metric=CM(**body), calculated_metric_id=metric_id)


def _custom_metric(beta, parameter="cart_value", **fields):
    from google.analytics import admin_v1beta

    body = {
        "parameter_name": parameter,
        "display_name": parameter.replace("_", " ").capitalize(),
        "scope": admin_v1beta.CustomMetric.MetricScope.EVENT,
        "measurement_unit": admin_v1beta.CustomMetric.MeasurementUnit.CURRENCY,
        "restricted_metric_type": [admin_v1beta.CustomMetric.RestrictedMetricType.REVENUE_DATA],
    }
    body.update(fields)
    return beta.create_custom_metric(parent=PARENT, custom_metric=admin_v1beta.CustomMetric(**body))


def test_crud(alpha):
    created = _create(alpha, description="Add-to-carts per session")
    assert created.name == f"{PARENT}/calculatedMetrics/add_to_cart_rate"
    assert created.calculated_metric_id == "add_to_cart_rate"
    assert created.metric_unit == CM.MetricUnit.STANDARD
    assert list(created.restricted_metric_type) == [] and created.invalid_metric_reference is False
    assert alpha.get_calculated_metric(name=created.name) == created
    assert [m.name for m in alpha.list_calculated_metrics(parent=PARENT)] == [created.name]

    change = CM(name=created.name, formula="addToCarts / totalUsers", display_name="ignored")
    updated = alpha.update_calculated_metric(calculated_metric=change, update_mask=FieldMask(paths=["formula"]))
    assert updated.formula == "addToCarts / totalUsers"
    assert updated.display_name == "Add to cart rate"  # not in the mask: kept
    assert updated.description == "Add-to-carts per session"

    alpha.delete_calculated_metric(name=created.name)
    assert list(alpha.list_calculated_metrics(parent=PARENT)) == []
    with pytest.raises(ex.NotFound):
        alpha.get_calculated_metric(name=created.name)


def test_list_pages_in_creation_order(alpha):
    ids = ["zeta", "alpha", "mid"]
    for i, metric_id in enumerate(ids):
        _create(alpha, metric_id, parent=PARENT360, display_name=f"Metric {i}")
    first = alpha.list_calculated_metrics(request={"parent": PARENT360, "page_size": 2})
    assert [m.calculated_metric_id for m in first] == ids


@pytest.mark.parametrize(
    ("metric_id", "fields", "message"),
    [
        ("", {}, "calculated_metric_id is required"),
        ("has space", {}, "calculated_metric_id 'has space' is invalid"),
        ("x" * 81, {}, "is invalid"),
        ("ok", {"display_name": ""}, "calculated_metric.display_name is required"),
        ("ok", {"display_name": "x" * 83}, "the maximum is 82"),
        ("ok", {"description": "x" * 4097}, "the maximum is 4096"),
        ("ok", {"metric_unit": CM.MetricUnit.METRIC_UNIT_UNSPECIFIED}, "metric_unit is required"),
        ("ok", {"formula": ""}, "formula is required"),
        ("ok", {"formula": "addToCarts / (sessions"}, "is not closed"),
        ("ok", {"formula": "{{addToCarts}}"}, "unexpected character '{'"),
        ("ok", {"formula": "addToCart / sessions"}, "did you mean addToCarts?"),
        ("ok", {"formula": "customEvent:nope / sessions"}, "customEvent:nope names no custom metric"),
        ("ok", {"formula": "calcMetric:other + 1"}, "does not let a calculated metric use another one"),
        ("ok", {"formula": "99999999999999999999"}, "does not fit a 64-bit integer"),
    ],
)
def test_invalid_requests(alpha, metric_id, fields, message):
    with pytest.raises(ex.InvalidArgument) as info:
        _create(alpha, metric_id, **fields)
    assert message in info.value.message


def test_at_most_five_custom_metrics_in_a_formula(alpha, beta):
    for name in "abcdef":
        _custom_metric(beta, f"metric_{name}")
    five = " + ".join(f"customEvent:metric_{n}" for n in "abcde")
    assert _create(alpha, "five", formula=five).formula == five
    with pytest.raises(ex.InvalidArgument) as info:
        _create(alpha, "six", display_name="Six", formula=five + " + customEvent:metric_f")
    assert "at most 5" in info.value.message


def test_ids_and_display_names_are_unique(alpha, beta):
    _create(alpha)
    with pytest.raises(ex.AlreadyExists, match="id 'add_to_cart_rate' already exists"):
        _create(alpha, display_name="Another")
    with pytest.raises(ex.AlreadyExists, match="named 'Add to cart rate' already exists"):
        _create(alpha, "other")
    _custom_metric(beta, "cart_value")
    with pytest.raises(ex.AlreadyExists, match="unique across calculated and custom metrics"):
        _create(alpha, "other", display_name="Cart value")


def test_output_only_and_derived_fields(alpha, beta):
    _custom_metric(beta, "cart_value")
    metric = _create(alpha, "value_per_session", display_name="Value", formula="customEvent:cart_value / sessions")
    assert list(metric.restricted_metric_type) == [CM.RestrictedMetricType.REVENUE_DATA]
    for path in ("calculated_metric_id", "restricted_metric_type", "invalid_metric_reference", "name"):
        with pytest.raises(ex.InvalidArgument, match="output only"):
            alpha.update_calculated_metric(calculated_metric=metric, update_mask=FieldMask(paths=[path]))
    with pytest.raises(ex.InvalidArgument, match="unknown field"):
        alpha.update_calculated_metric(calculated_metric=metric, update_mask=FieldMask(paths=["formulas"]))
    with pytest.raises(ex.InvalidArgument, match="update_mask is required"):
        alpha.update_calculated_metric(calculated_metric=metric, update_mask=FieldMask(paths=[]))
    # Archiving the custom metric the formula names leaves an invalid reference behind.
    (custom,) = beta.list_custom_metrics(parent=PARENT)
    beta.archive_custom_metric(name=custom.name)
    assert alpha.get_calculated_metric(name=metric.name).invalid_metric_reference is True


def test_updates_are_validated_like_creates(alpha):
    metric = _create(alpha)
    with pytest.raises(ex.InvalidArgument, match="did you mean sessions"):
        alpha.update_calculated_metric(
            calculated_metric=CM(name=metric.name, formula="addToCarts / sesions"), update_mask=FieldMask(paths=["formula"])
        )
    assert alpha.get_calculated_metric(name=metric.name).formula == "addToCarts / sessions"


@pytest.mark.parametrize(("parent", "limit"), [(PARENT, 5), (PARENT360, 50)])
def test_limit_per_tier(alpha, parent, limit):
    for i in range(limit):
        _create(alpha, f"metric_{i}", parent=parent, display_name=f"Metric {i}")
    with pytest.raises(ex.FailedPrecondition) as info:
        _create(alpha, "one_more", parent=parent, display_name="One more")
    assert f"already has {limit} calculated metrics" in info.value.message
    alpha.delete_calculated_metric(name=f"{parent}/calculatedMetrics/metric_0")
    assert _create(alpha, "one_more", parent=parent, display_name="One more").calculated_metric_id == "one_more"


def test_malformed_names(alpha):
    with pytest.raises(ex.InvalidArgument, match="malformed"):
        alpha.get_calculated_metric(name=f"{PARENT}/calculatedMetrics/has-dash")
    with pytest.raises(ex.NotFound):
        alpha.get_calculated_metric(name=f"{PARENT}/calculatedMetrics/missing")
    with pytest.raises(ex.NotFound):
        _create(alpha, parent="properties/999")
