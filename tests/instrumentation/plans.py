"""Tracking plans with event schemas built by hand, for the generator's tests.

``shop_plan`` mirrors the kinds of events configs/shop.yaml declares (a recommended e-commerce
event with items, allowed values as strings and as integers, a pattern, an open event, events
without parameters or without a required one), plus hostile text in names and descriptions.
"""

from __future__ import annotations

from ga_goals.model.event_schemas import EventSchema, ParameterSpec
from ga_goals.model.tracking_plan import TrackingPlan

#: Text that must stay text in every generated file (comments, strings, JSON).
HOSTILE = "Ends a comment */ here; `backticks` ${template} \"quotes\" 'single' \\ back\u2028slash\u2029\nnext line </script>"

ITEMS = ParameterSpec(
    name="items",
    type="items",
    required=True,
    items=(
        ParameterSpec("item_id", required=True, description="SKU"),
        ParameterSpec("item_name"),
        ParameterSpec("price", "number"),
        ParameterSpec("quantity", "integer"),
        ParameterSpec("item_color"),
    ),
)
ECOMMERCE = (
    ParameterSpec("currency", required=True, pattern="[A-Z]{3}", description="ISO 4217 code"),
    ParameterSpec("value", "number", required=True),
    ITEMS,
)


def shop_schemas() -> dict[str, EventSchema]:
    schemas = [
        EventSchema(
            "purchase",
            (*ECOMMERCE, ParameterSpec("transaction_id", required=True), ParameterSpec("coupon"),
             ParameterSpec("shipping", "number"), ParameterSpec("tax", "number")),
            description="Completed order",
            recommended=True,
            sets=("ecommerce",),
        ),
        EventSchema(
            "add_payment_info",
            (*ECOMMERCE, ParameterSpec("payment_type", required=True, values=("credit_card", "paypal", "gift_card"))),
            sets=("ecommerce",),
        ),
        EventSchema(
            "write_review",
            (ParameterSpec("rating", "integer", required=True, values=(1, 2, 3, 4, 5)),
             ParameterSpec("reviews_written", "integer"), ParameterSpec("verified", "boolean")),
            description=HOSTILE,
        ),
        EventSchema("search", (ParameterSpec("search_term", required=True, description=HOSTILE),), closed=False),
        EventSchema("view_cart", ()),
        EventSchema("newsletter_signup", (ParameterSpec("form_id"), ParameterSpec("method", values=("footer", "popup")))),
    ]
    return {s.event_name: s for s in schemas}


def shop_plan(source: str = "configs/shop.yaml") -> TrackingPlan:
    return TrackingPlan(source=source, property="sandbox", event_schemas=shop_schemas())
