"""Every refusal the sandbox makes, as a table: setup calls, then a call → expected status + message.

Placeholders in requests: {P}/{P360} property ids, {web}/{app}/{web2} data streams of {P}; "$1"
inside a later request is the ``name`` returned by the first setup call ("$2" the second...).
"""

from __future__ import annotations

import pytest
from google.api_core import exceptions as ex

from .conftest import P, P360

KE = "create_key_event"
CD = "create_custom_dimension"
CM = "create_custom_metric"
CR = "create_event_create_rule"


def ke(event_name="sign_up", counting_method="ONCE_PER_EVENT", **extra):
    return {"parent": "properties/{P}", "key_event": {"event_name": event_name, "counting_method": counting_method, **extra}}


def cd(parameter_name="form_id", scope="EVENT", display_name="Form ID", **extra):
    body = {"parameter_name": parameter_name, "scope": scope, "display_name": display_name, **extra}
    return {"parent": "properties/{P}", "custom_dimension": body}


def cm(parameter_name="cart_value", measurement_unit="STANDARD", display_name="Cart value", scope="EVENT", **extra):
    body = {
        "parameter_name": parameter_name,
        "measurement_unit": measurement_unit,
        "display_name": display_name,
        "scope": scope,
        **extra,
    }
    return {"parent": "properties/{P}", "custom_metric": body}


def cond(field="event_name", comparison_type="EQUALS", value="form_submit", **extra):
    return {"field": field, "comparison_type": comparison_type, "value": value, **extra}


def cr(destination_event="newsletter_signup", conditions=None, parent="{web}", **extra):
    body = {"destination_event": destination_event, "event_conditions": [cond()] if conditions is None else conditions}
    return {"parent": parent, "event_create_rule": {**body, **extra}}


def drop(request, field):
    """A copy of a create request without one field of its resource."""
    request = {k: (dict(v) if isinstance(v, dict) else v) for k, v in request.items()}
    resource = next(v for v in request.values() if isinstance(v, dict))
    del resource[field]
    return request


def mutations(n, same=False):
    return [{"parameter": "p" if same else f"p{i}", "parameter_value": "v"} for i in range(n)]


def update_ke(mask, **fields):
    return {"key_event": {"name": "$1", **fields}, "update_mask": {"paths": mask}}


def update_cd(mask, **fields):
    return {"custom_dimension": {"name": "$1", **fields}, "update_mask": {"paths": mask}}


# (id, setup calls, (method, request), exception, message substring)
CASES = [
    # -- INVALID_ARGUMENT: key events
    ("ke-no-counting-method", [], (KE, drop(ke(), "counting_method")), ex.InvalidArgument, "key_event.counting_method is required"),
    ("ke-no-event-name", [], (KE, drop(ke(), "event_name")), ex.InvalidArgument, "key_event.event_name is required"),
    ("ke-no-resource", [], (KE, {"parent": "properties/{P}"}), ex.InvalidArgument, "key_event is required"),
    ("ke-space", [], (KE, ke("sign up")), ex.InvalidArgument, "must start with a letter and contain only letters"),
    ("ke-digit-first", [], (KE, ke("1st_visit")), ex.InvalidArgument, "must start with a letter"),
    ("ke-41-chars", [], (KE, ke("e" * 41)), ex.InvalidArgument, "is 41 characters long; the maximum is 40"),
    ("ke-reserved-prefix", [], (KE, ke("google_signup")), ex.InvalidArgument, "reserved prefix 'google_'"),
    ("ke-currency-lower", [], (KE, ke(default_value={"numeric_value": 1, "currency_code": "usd"})), ex.InvalidArgument, "3 upper-case letters"),
    ("ke-currency-missing", [], (KE, ke(default_value={"numeric_value": 1})), ex.InvalidArgument, "currency_code is required"),
    ("ke-bad-parent", [], (KE, {**ke(), "parent": "property/1"}), ex.InvalidArgument, "parent 'property/1' is malformed"),
    ("ke-bad-counting-number", [], (KE, ke(counting_method=7)), ex.InvalidArgument, "counting_method has an invalid value 7"),
    # -- INVALID_ARGUMENT: custom dimensions
    ("cd-no-parameter", [], (CD, drop(cd(), "parameter_name")), ex.InvalidArgument, "custom_dimension.parameter_name is required"),
    ("cd-no-display-name", [], (CD, drop(cd(), "display_name")), ex.InvalidArgument, "custom_dimension.display_name is required"),
    ("cd-no-scope", [], (CD, drop(cd(), "scope")), ex.InvalidArgument, "custom_dimension.scope is required"),
    ("cd-user-25", [], (CD, cd("u" * 25, "USER")), ex.InvalidArgument, "is 25 characters long; the maximum is 24"),
    ("cd-event-41", [], (CD, cd("e" * 41)), ex.InvalidArgument, "is 41 characters long; the maximum is 40"),
    ("cd-dash", [], (CD, cd("form-id")), ex.InvalidArgument, "letters (A-Z, a-z), digits and underscores"),
    ("cd-reserved", [], (CD, cd("user_id")), ex.InvalidArgument, "is a reserved name"),
    ("cd-reserved-user", [], (CD, cd("first_open_time", "USER")), ex.InvalidArgument, "is a reserved name"),
    ("cd-reserved-item", [], (CD, cd("item_brand", "ITEM")), ex.InvalidArgument, "is a reserved name"),
    ("cd-prefix-firebase", [], (CD, cd("firebase_screen")), ex.InvalidArgument, "reserved prefix 'firebase_'"),
    ("cd-prefix-underscore", [], (CD, cd("_private")), ex.InvalidArgument, "reserved prefix '_'"),
    ("cd-display-digit", [], (CD, cd(display_name="1 form")), ex.InvalidArgument, "display_name '1 form' must start with a letter"),
    ("cd-display-bracket", [], (CD, cd(display_name="Form [id]")), ex.InvalidArgument, "display_name"),
    ("cd-display-83", [], (CD, cd(display_name="D" * 83)), ex.InvalidArgument, "maximum is 82"),
    ("cd-description-151", [], (CD, cd(description="d" * 151)), ex.InvalidArgument, "maximum is 150"),
    ("cd-ads-event", [], (CD, cd(disallow_ads_personalization=True)), ex.InvalidArgument, "only supported for USER-scoped"),
    # -- INVALID_ARGUMENT: custom metrics
    ("cm-no-unit", [], (CM, drop(cm(), "measurement_unit")), ex.InvalidArgument, "custom_metric.measurement_unit is required"),
    ("cm-no-scope", [], (CM, drop(cm(), "scope")), ex.InvalidArgument, "custom_metric.scope is required"),
    ("cm-no-display", [], (CM, drop(cm(), "display_name")), ex.InvalidArgument, "custom_metric.display_name is required"),
    ("cm-currency-no-type", [], (CM, cm(measurement_unit="CURRENCY")), ex.InvalidArgument, "restricted_metric_type is required for CURRENCY"),
    ("cm-standard-with-type", [], (CM, cm(restricted_metric_type=["COST_DATA"])), ex.InvalidArgument, "must be empty unless measurement_unit is CURRENCY"),
    ("cm-reserved", [], (CM, cm("currency")), ex.InvalidArgument, "is a reserved name"),
    ("cm-41", [], (CM, cm("m" * 41)), ex.InvalidArgument, "maximum is 40"),
    # -- INVALID_ARGUMENT: event create rules
    ("cr-no-destination", [], (CR, cr("")), ex.InvalidArgument, "event_create_rule.destination_event is required"),
    ("cr-destination-40", [], (CR, cr("d" * 40)), ex.InvalidArgument, "is 40 characters long; the maximum is 39"),
    ("cr-destination-space", [], (CR, cr("news letter")), ex.InvalidArgument, "must start with a letter"),
    ("cr-no-conditions", [], (CR, cr(conditions=[])), ex.InvalidArgument, "event_conditions is required: between 1 and 10"),
    ("cr-11-conditions", [], (CR, cr(conditions=[cond()] * 11)), ex.InvalidArgument, "has 11 conditions; the maximum is 10"),
    ("cr-condition-no-type", [], (CR, cr(conditions=[drop({"c": cond()}, "comparison_type")["c"]])), ex.InvalidArgument, "event_conditions[0].comparison_type is required"),
    ("cr-condition-space", [], (CR, cr(conditions=[cond(field="form id")])), ex.InvalidArgument, "must not contain spaces"),
    ("cr-condition-no-value", [], (CR, cr(conditions=[cond(value="")])), ex.InvalidArgument, "event_conditions[0].value is required"),
    ("cr-numeric-not-number", [], (CR, cr(conditions=[cond(field="value", comparison_type="GREATER_THAN", value="ten")])), ex.InvalidArgument, "must be a number for GREATER_THAN"),
    ("cr-regex-app", [], (CR, cr(parent="{app}", conditions=[cond(comparison_type="REGULAR_EXPRESSION", value="^form")])), ex.InvalidArgument, "only supported on web data streams"),
    ("cr-regex-ci-app", [], (CR, cr(parent="{app}", conditions=[cond(comparison_type="REGULAR_EXPRESSION_CASE_INSENSITIVE", value="x")])), ex.InvalidArgument, "only supported on web data streams"),
    ("cr-regex-invalid", [], (CR, cr(conditions=[cond(comparison_type="REGULAR_EXPRESSION", value="(")])), ex.InvalidArgument, "not a valid regular expression"),
    ("cr-21-mutations", [], (CR, cr(parameter_mutations=mutations(21))), ex.InvalidArgument, "has 21 mutations; the maximum is 20"),
    ("cr-duplicate-mutation", [], (CR, cr(parameter_mutations=mutations(2, same=True))), ex.InvalidArgument, "parameters must be unique"),
    ("cr-mutation-value-100", [], (CR, cr(parameter_mutations=[{"parameter": "a", "parameter_value": "v" * 100}])), ex.InvalidArgument, "maximum is 99"),
    ("cr-mutation-no-value", [], (CR, cr(parameter_mutations=[{"parameter": "a"}])), ex.InvalidArgument, "parameter_value is required"),
    ("cr-parent-property", [], (CR, cr(parent="properties/{P}")), ex.InvalidArgument, "expected properties/{property_id}/dataStreams/{stream_id}"),
    # -- INVALID_ARGUMENT: names, update masks, pagination
    ("get-wrong-collection", [], ("get_key_event", {"name": "properties/{P}/customDimensions/1"}), ex.InvalidArgument, "is malformed: expected properties/{property_id}/keyEvents/{id}"),
    ("get-non-numeric-id", [], ("get_custom_metric", {"name": "properties/{P}/customMetrics/abc"}), ex.InvalidArgument, "is malformed"),
    ("get-property-malformed", [], ("get_property", {"name": "properties/12x"}), ex.InvalidArgument, "is malformed"),
    ("update-no-mask", [(KE, ke())], ("update_key_event", update_ke([], counting_method="ONCE_PER_SESSION")), ex.InvalidArgument, "update_mask is required"),
    ("update-no-name", [], ("update_key_event", {"key_event": {"counting_method": 2}, "update_mask": {"paths": ["counting_method"]}}), ex.InvalidArgument, "key_event.name is required"),
    ("update-event-name", [(KE, ke())], ("update_key_event", update_ke(["event_name"], event_name="signup")), ex.InvalidArgument, "field is immutable"),
    ("update-star-event-name", [(KE, ke())], ("update_key_event", update_ke(["*"], event_name="signup", counting_method=1)), ex.InvalidArgument, "field is immutable"),
    ("update-parameter-name", [(CD, cd())], ("update_custom_dimension", update_cd(["parameter_name"], parameter_name="x")), ex.InvalidArgument, "field is immutable"),
    ("update-scope", [(CD, cd())], ("update_custom_dimension", update_cd(["scope"], scope="USER")), ex.InvalidArgument, "field is immutable"),
    ("update-star-scope", [(CD, cd())], ("update_custom_dimension", update_cd(["*"], scope="USER", parameter_name="form_id", display_name="X")), ex.InvalidArgument, "field is immutable"),
    ("update-metric-scope", [(CM, cm())], ("update_custom_metric", {"custom_metric": {"name": "$1"}, "update_mask": {"paths": ["scope"]}}), ex.InvalidArgument, "field is immutable"),
    ("update-output-only", [(KE, ke())], ("update_key_event", update_ke(["create_time"])), ex.InvalidArgument, "field is output only"),
    ("update-output-only-name", [(CD, cd())], ("update_custom_dimension", update_cd(["name"])), ex.InvalidArgument, "field is output only"),
    ("update-unknown", [(KE, ke())], ("update_key_event", update_ke(["colour"])), ex.InvalidArgument, "unknown field of key event"),
    ("update-camel-case", [(KE, ke())], ("update_key_event", update_ke(["countingMethod"])), ex.InvalidArgument, "snake_case: 'counting_method'"),
    ("update-star-and-more", [(KE, ke())], ("update_key_event", update_ke(["*", "counting_method"])), ex.InvalidArgument, "'*' must be the only path"),
    ("update-makes-invalid", [(CD, cd())], ("update_custom_dimension", update_cd(["display_name"], display_name="")), ex.InvalidArgument, "display_name is required"),
    ("update-currency-unit", [(CM, cm())], ("update_custom_metric", {"custom_metric": {"name": "$1", "measurement_unit": "CURRENCY"}, "update_mask": {"paths": ["measurement_unit"]}}), ex.InvalidArgument, "restricted_metric_type is required"),
    ("list-negative-page-size", [], ("list_key_events", {"parent": "properties/{P}", "page_size": -1}), ex.InvalidArgument, "page_size must not be negative"),
    ("list-garbage-token", [], ("list_key_events", {"parent": "properties/{P}", "page_token": "garbage"}), ex.InvalidArgument, "page_token 'garbage' is invalid"),
    ("list-properties-no-filter", [], ("list_properties", {}), ex.InvalidArgument, "filter is required"),
    # -- ALREADY_EXISTS
    ("ke-exists", [(KE, ke())], (KE, ke(counting_method="ONCE_PER_SESSION")), ex.AlreadyExists, "A key event for event 'sign_up' already exists: properties/{P}/keyEvents/"),
    ("ke-exists-seeded", [], (KE, ke("purchase")), ex.AlreadyExists, "already exists"),
    ("cd-exists", [(CD, cd())], (CD, cd(display_name="Other")), ex.AlreadyExists, "custom dimension with parameter name 'form_id' (EVENT scope) already exists"),
    ("cm-exists", [(CM, cm())], (CM, cm(display_name="Other")), ex.AlreadyExists, "custom metric with parameter name 'cart_value' already exists"),
    # -- FAILED_PRECONDITION
    ("cd-burned", [(CD, cd()), ("archive_custom_dimension", {"name": "$1"})], (CD, cd()), ex.FailedPrecondition, "belongs to an archived custom dimension"),
    ("cm-burned", [(CM, cm()), ("archive_custom_metric", {"name": "$1"})], (CM, cm()), ex.FailedPrecondition, "GA4 burns the parameter name of an archived custom metric"),
    ("ke-delete-purchase", [], ("delete_key_event", {"name": "properties/{P}/keyEvents/2"}), ex.FailedPrecondition, "cannot be deleted"),
    # -- NOT_FOUND
    ("property-unknown", [], ("get_property", {"name": "properties/404"}), ex.NotFound, "properties/404"),
    ("ke-list-unknown-property", [], ("list_key_events", {"parent": "properties/404"}), ex.NotFound, "not found: properties/404"),
    ("ke-create-unknown-property", [], (KE, {**ke(), "parent": "properties/404"}), ex.NotFound, "properties/404"),
    ("ke-get-unknown", [], ("get_key_event", {"name": "properties/{P}/keyEvents/999"}), ex.NotFound, "properties/{P}/keyEvents/999"),
    ("ke-delete-unknown", [], ("delete_key_event", {"name": "properties/{P}/keyEvents/999"}), ex.NotFound, "keyEvents/999"),
    ("ke-update-unknown", [], ("update_key_event", {"key_event": {"name": "properties/{P}/keyEvents/999"}, "update_mask": {"paths": ["counting_method"]}}), ex.NotFound, "keyEvents/999"),
    ("cd-get-archived", [(CD, cd()), ("archive_custom_dimension", {"name": "$1"})], ("get_custom_dimension", {"name": "$1"}), ex.NotFound, "is archived"),
    ("cd-update-archived", [(CD, cd()), ("archive_custom_dimension", {"name": "$1"})], ("update_custom_dimension", update_cd(["display_name"], display_name="X")), ex.NotFound, "is archived"),
    ("cd-archive-archived", [(CD, cd()), ("archive_custom_dimension", {"name": "$1"})], ("archive_custom_dimension", {"name": "$1"}), ex.NotFound, "is archived"),
    ("cm-get-archived", [(CM, cm()), ("archive_custom_metric", {"name": "$1"})], ("get_custom_metric", {"name": "$1"}), ex.NotFound, "is archived"),
    ("cd-get-active", [(CD, cd())], ("get_custom_dimension", {"name": "$1"}), None, None),  # sanity: found
    ("cr-unknown-stream", [], (CR, cr(parent="properties/{P}/dataStreams/999")), ex.NotFound, "dataStreams/999"),
    ("cr-list-unknown-stream", [], ("list_event_create_rules", {"parent": "properties/{P}/dataStreams/999"}), ex.NotFound, "dataStreams/999"),
    ("stream-get-unknown", [], ("get_data_stream", {"name": "properties/{P}/dataStreams/999"}), ex.NotFound, "dataStreams/999"),
]


def _fill(value, names, streams):
    if isinstance(value, dict):
        return {k: _fill(v, names, streams) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names, streams) for v in value]
    if isinstance(value, str):
        for i, name in enumerate(names, 1):
            value = value.replace(f"${i}", name)
        return (
            value.replace("{P}", P)
            .replace("{P360}", P360)
            .replace("{web}", streams.web)
            .replace("{app}", streams.app)
            .replace("{web2}", streams.web2)
        )
    return value


@pytest.mark.parametrize(("setup", "call", "error", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refusals(alpha, streams, setup, call, error, message):
    names: list[str] = []
    for method, request in setup:
        result = getattr(alpha, method)(request=_fill(request, names, streams))
        names.append(getattr(result, "name", ""))
    method, request = call
    request = _fill(request, names, streams)
    if error is None:
        getattr(alpha, method)(request=request)
        return
    with pytest.raises(error) as caught:
        getattr(alpha, method)(request=request)
    assert _fill(message, names, streams) in caught.value.message


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "method,request_",
    [
        (KE, ke("e" * 40)),
        (CD, cd("u" * 24, "USER")),
        (CD, cd("e" * 40)),
        (CD, cd("e" * 40, "ITEM")),
        (CD, cd(display_name="D" * 82, description="d" * 150)),
        (CD, cd("tier", "USER", disallow_ads_personalization=True)),
        (CM, cm("m" * 40)),
        (CM, cm(measurement_unit="CURRENCY", restricted_metric_type=["COST_DATA", "REVENUE_DATA"])),
        (CR, cr("d" * 39, conditions=[cond()] * 10, parameter_mutations=mutations(20))),
        (CR, cr(parent="{app}", conditions=[cond(comparison_type="CONTAINS_CASE_INSENSITIVE")])),
        (CR, cr(parameter_mutations=[{"parameter": "a", "parameter_value": "v" * 99}])),
        (KE, ke("page_view")),  # automatically collected events may be marked as key events
        (KE, ke("Kauf_abgeschlossen_ä")),  # non-English letters are allowed in event names
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_limits_of_names_are_inclusive(alpha, streams, method, request_):
    getattr(alpha, method)(request=_fill(request_, [], streams))
