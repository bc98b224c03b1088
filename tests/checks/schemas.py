"""Event schemas of what the sandbox's shop traffic sends (ga_goals/events/generator.py), written by
hand: checked against the generated traffic, the only findings are the generator's four known
violations. (configs/shop.yaml declares the same events in the plan format.)"""

from __future__ import annotations

from ga_goals.model.event_schemas import EventSchema
from ga_goals.model.event_schemas import ParameterSpec as P

ITEMS = P(
    "items",
    "items",
    required=True,
    items=(
        P("item_id", required=True),
        P("item_name", required=True),
        P("item_brand"),
        P("item_variant"),
        P("item_category"),
        P("price", "number", required=True),
        P("quantity", "integer", required=True),
        P("affiliation"),
        P("item_list_id"),
        P("item_list_name"),
        P("index", "integer"),
        P("item_color", values=("black", "white", "navy", "green", "red", "grey")),
    ),
)
ECOMMERCE = (P("currency", required=True, pattern="[A-Z]{3}"), P("value", "number", required=True), ITEMS)


def shop_schemas() -> dict[str, EventSchema]:
    schemas = [
        EventSchema("view_item_list", (P("item_list_name", required=True), ITEMS)),
        EventSchema("view_item", ECOMMERCE),
        EventSchema("add_to_wishlist", ECOMMERCE),
        EventSchema("add_to_cart", ECOMMERCE),
        EventSchema("view_cart", ECOMMERCE),
        EventSchema("begin_checkout", (*ECOMMERCE, P("cart_value", "number"))),
        EventSchema("add_shipping_info", (*ECOMMERCE, P("shipping_tier", required=True, values=("Standard", "Express")))),
        EventSchema(
            "add_payment_info", (*ECOMMERCE, P("payment_type", required=True, values=("Credit Card", "PayPal", "Gift Card")))
        ),
        EventSchema(
            "purchase",
            (
                *ECOMMERCE,
                P("transaction_id", required=True, pattern="T[0-9]+"),
                P("coupon"),
                P("shipping", "number"),
                P("discount_amount", "number"),
            ),
        ),
        EventSchema("sign_up", (P("method", required=True, values=("email", "google")),)),
        EventSchema("write_review", (P("rating", "integer", required=True, values=(1, 2, 3, 4, 5)), P("reviews_written", "integer"))),
        EventSchema("view_search_results", (P("search_term", required=True),)),
        EventSchema(
            "select_content",
            (P("content_type", required=True, values=("filter", "compare", "banner")), P("filter_name"), P("item_id"), P("promotion_name")),
        ),
        EventSchema("form_submit", (P("form_id", values=("newsletter", "contact")), P("form_destination")), automatic=True),
    ]
    return {s.event_name: s for s in schemas}
