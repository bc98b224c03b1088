"""Builders shared by the unit tests of ga_goals.changes."""

from __future__ import annotations

from ga_goals.changes import Change, FieldChange, Note, Plan
from ga_goals.model import CustomDimension, CustomMetric, KeyEvent

PROPERTY = "properties/1000"


def make_plan(**overrides: object) -> Plan:
    """A plan with one change of each action, in plan order."""
    old_dim = CustomDimension("old_dim", "event", "Old dim", resource_name=f"{PROPERTY}/customDimensions/24")
    form_event = CustomDimension("form_id", "event", "Form ID", resource_name=f"{PROPERTY}/customDimensions/21")
    form_user = CustomDimension("form_id", "user", "Form ID")
    goal = KeyEvent("old_goal", resource_name=f"{PROPERTY}/keyEvents/15")
    purchase_old = KeyEvent("purchase", resource_name=f"{PROPERTY}/keyEvents/11")
    purchase_new = KeyEvent("purchase", counting_method="once_per_session")
    metric = CustomMetric("cart_value", "Cart value", measurement_unit="currency", restricted_metric_type=("revenue_data",))
    changes = [
        Change("archive", "custom_dimension", "event:old_dim", existing=old_dim,
               fields=tuple(FieldChange(k, v, None) for k, v in old_dim.fields().items()),
               reason="not in the plan (safety.unmanaged: remove)"),
        Change("delete", "key_event", "old_goal", existing=goal,
               fields=tuple(FieldChange(k, v, None) for k, v in goal.fields().items()),
               reason="not in the plan (safety.unmanaged: remove)"),
        Change("replace", "custom_dimension", "user:form_id", existing=form_event, desired=form_user,
               fields=(FieldChange("scope", "event", "user"),), reason="scope is immutable in GA4"),
        Change("update", "key_event", "purchase", existing=purchase_old, desired=purchase_new,
               fields=(FieldChange("counting_method", "once_per_event", "once_per_session"),)),
        Change("create", "custom_metric", "cart_value", desired=metric,
               fields=tuple(FieldChange(k, None, v) for k, v in metric.fields().items())),
    ]
    data: dict[str, object] = dict(
        property=PROPERTY,
        changes=changes,
        notes=[Note("info", "1 key event in the property is not in the plan and is left alone: x"),
               Note("warning", "key event first_open is not deletable; left alone")],
        environment="production",
        source="configs/shop.yaml",
        max_destroy=5,
    )
    data.update(overrides)
    return Plan(**data)  # type: ignore[arg-type]

