"""GA4's recommended events with the parameters Google documents for them, as data.

A plan that declares a recommended event (``purchase``, ``add_to_cart``, ``sign_up``...) gets these
parameters without writing them (``ga_goals.plan_file`` resolves them first, then the plan's
shared sets and the event's own declarations override them field by field).

Source: Google's "Recommended events" reference for gtag.js and Tag Manager
(developers.google.com/analytics/devguides/collection/ga4/reference/events) and the GA4 help
articles on recommended events per business type; the facts, with their sources and what was
read when, are in docs/ga4-api-facts.md §2.5. What Google marks:

* **Yes**: ``required=True`` here (``transaction_id`` of ``purchase`` and ``refund``, ``items``
  of the ecommerce events, ``search_term`` of ``search``, ``score`` of ``post_score``...).
* **Yes\\***: required only in some case ("``currency`` is required if you set ``value``",
  "``value`` is typically required for meaningful reporting", "one of ``item_id`` or
  ``item_name`` is required"). A bool cannot say that, so these are ``required=False`` and the
  condition is in :data:`CONDITIONS` and in the parameter's description; a plan that wants them
  checked as required says so (``currency: {required: true}``).

Types are Google's: its ``number`` is ``number`` here, but ``quantity`` and ``index`` of an item
are ``integer`` (Google writes "number"; they are counts and positions, and the BigQuery export
keeps ``items.quantity`` as an INT64); ``success`` and ``fatal`` are ``boolean``.

Pure data on the model's types: standard library and ``ga_goals.model.event_schemas`` only.
"""

from __future__ import annotations

from dataclasses import replace

from ga_goals.model.event_schemas import ParameterSpec, ParameterType

#: Google's conditions on its "Yes*" parameters, by parameter name.
CONDITIONS: dict[str, str] = {
    "currency": "required when value is set, for revenue metrics to be computed accurately",
    "value": "typically required for meaningful reporting, and recommended on key events",
    "item_id": "one of item_id or item_name is required",
    "item_name": "one of item_id or item_name is required",
}


def _p(name: str, type: ParameterType = "string", description: str = "", *, required: bool = False) -> ParameterSpec:
    condition = CONDITIONS.get(name)
    text = f"{description} (Google: {condition})" if condition else description
    return ParameterSpec(name=name, type=type, required=required, description=text, origin="recommended")


#: The parameters of each item of an ``items`` array, as Google documents them for every
#: ecommerce event (the promotion ones are those of ``select_promotion`` / ``view_promotion``
#: items, which GA4 accepts on any item).
ITEM_PARAMETERS: tuple[ParameterSpec, ...] = (
    _p("item_id", description="The ID of the item"),
    _p("item_name", description="The name of the item"),
    _p("affiliation", description="A supplying company or brick-and-mortar store"),
    _p("coupon", description="The coupon name or code of the item"),
    _p("currency", description="The currency of the item's price, 3-letter ISO 4217 (then the event's is ignored)"),
    _p("discount", "number", "The unit monetary discount of the item"),
    _p("index", "integer", "The position of the item in a list"),
    _p("item_brand", description="The brand of the item"),
    _p("item_category", description="The category of the item"),
    _p("item_category2", description="The second category (hierarchy or taxonomy) of the item"),
    _p("item_category3", description="The third category of the item"),
    _p("item_category4", description="The fourth category of the item"),
    _p("item_category5", description="The fifth category of the item"),
    _p("item_list_id", description="The ID of the list the item was shown in"),
    _p("item_list_name", description="The name of the list the item was shown in"),
    _p("item_variant", description="The variant of the item (a colour, a size)"),
    _p("location_id", description="The physical location of the item (a Google Place ID)"),
    _p("price", "number", "The unit price of the item"),
    _p("quantity", "integer", "The number of units"),
    _p("promotion_id", description="The ID of the promotion the item is part of"),
    _p("promotion_name", description="The name of the promotion"),
    _p("creative_name", description="The name of the promotional creative"),
    _p("creative_slot", description="The name of the promotional creative slot"),
)

#: Names of Google's documented item parameters (the 27 custom ones GA4 allows come on top).
ITEM_PARAMETER_NAMES = frozenset(p.name for p in ITEM_PARAMETERS)


def _items(description: str = "The items of the event", *, required: bool = True) -> ParameterSpec:
    return replace(_p("items", "items", description, required=required), items=ITEM_PARAMETERS)


_CURRENCY = _p("currency", description="Currency of the value, 3-letter ISO 4217")
_VALUE = _p("value", "number", "The monetary value of the event")
_COUPON = _p("coupon", description="The coupon name or code of the event")
_MONEY = (_CURRENCY, _VALUE)
_PROMOTION = (
    _p("creative_name", description="The name of the promotional creative"),
    _p("creative_slot", description="The name of the promotional creative slot"),
    _p("promotion_id", description="The ID of the promotion"),
    _p("promotion_name", description="The name of the promotion"),
)

_TABLE: dict[str, tuple[ParameterSpec, ...]] = {
    # all properties
    "ad_impression": (
        _p("ad_platform", description="The ad platform"),
        _p("ad_source", description="The ad source"),
        _p("ad_format", description="The ad format"),
        _p("ad_unit_name", description="The ad unit name"),
        *_MONEY,
    ),
    "earn_virtual_currency": (
        _p("virtual_currency_name", description="The name of the virtual currency"),
        _p("value", "number", "The amount of virtual currency"),
    ),
    "exception": (
        _p("description", description="The description of the error"),
        _p("fatal", "boolean", "true if the error was fatal"),
    ),
    "generate_lead": (*_MONEY, _p("lead_source", description="The source of the lead")),
    "join_group": (_p("group_id", description="The ID of the group"),),
    "login": (_p("method", description="The method used to log in"),),
    "purchase": (
        *_MONEY,
        _p("transaction_id", description="The unique identifier of the transaction", required=True),
        _COUPON,
        _p("shipping", "number", "Shipping cost of the transaction"),
        _p("tax", "number", "Tax cost of the transaction"),
        _items(),
    ),
    "refund": (
        *_MONEY,
        _p("transaction_id", description="The unique identifier of the refunded transaction", required=True),
        _COUPON,
        _p("shipping", "number", "Shipping cost of the transaction"),
        _p("tax", "number", "Tax cost of the transaction"),
        _items("The refunded items (a partial refund); none for a full refund", required=False),
    ),
    "search": (_p("search_term", description="The term searched for", required=True),),
    "select_content": (
        _p("content_type", description="The type of the selected content"),
        _p("content_id", description="An identifier of the selected content"),
    ),
    "share": (
        _p("method", description="The method used to share the content"),
        _p("content_type", description="The type of the shared content"),
        _p("item_id", description="The ID of the shared content"),
    ),
    "sign_up": (_p("method", description="The method used to sign up"),),
    "spend_virtual_currency": (
        _p("value", "number", "The amount of virtual currency", required=True),
        _p("virtual_currency_name", description="The name of the virtual currency", required=True),
        _p("item_name", description="The name of the item the currency is spent on"),
    ),
    "tutorial_begin": (),
    "tutorial_complete": (),
    # online sales
    "add_payment_info": (*_MONEY, _COUPON, _p("payment_type", description="The chosen method of payment"), _items()),
    "add_shipping_info": (
        *_MONEY,
        _COUPON,
        _p("shipping_tier", description="The shipping tier chosen (Ground, Air, Next-day...)"),
        _items(),
    ),
    "add_to_cart": (*_MONEY, _items()),
    "add_to_wishlist": (*_MONEY, _items()),
    "begin_checkout": (*_MONEY, _COUPON, _items()),
    "remove_from_cart": (*_MONEY, _items()),
    "select_item": (
        _p("item_list_id", description="The ID of the list the item was selected from"),
        _p("item_list_name", description="The name of the list the item was selected from"),
        _items("The selected item (a single element)"),
    ),
    "select_promotion": (*_PROMOTION, _items("The items of the promotion", required=False)),
    "view_cart": (*_MONEY, _items()),
    "view_item": (*_MONEY, _items()),
    "view_item_list": (
        _p("item_list_id", description="The ID of the list shown"),
        _p("item_list_name", description="The name of the list shown"),
        _items(),
    ),
    "view_promotion": (*_PROMOTION, _items("The items of the promotion", required=False)),
    "view_search_results": (_p("search_term", description="The term searched for"),),
    # lead generation
    "close_convert_lead": _MONEY,
    "close_unconvert_lead": (*_MONEY, _p("unconvert_lead_reason", description="Why the lead did not convert")),
    "disqualify_lead": (*_MONEY, _p("disqualified_lead_reason", description="Why the lead was disqualified")),
    "qualify_lead": _MONEY,
    "working_lead": (*_MONEY, _p("lead_status", description="The status of the lead")),
    # games
    "level_end": (
        _p("level_name", description="The name of the level"),
        _p("success", "boolean", "true if the level was completed successfully"),
    ),
    "level_start": (_p("level_name", description="The name of the level"),),
    "level_up": (
        _p("level", "number", "The level of the character"),
        _p("character", description="The character that levelled up"),
    ),
    "post_score": (
        _p("score", "number", "The score to post", required=True),
        _p("level", "number", "The level the score was reached at"),
        _p("character", description="The character that reached the score"),
    ),
    "unlock_achievement": (_p("achievement_id", description="The ID of the achievement", required=True),),
}

#: Every recommended event, with Google's parameters for it (origin "recommended", origin_name the
#: event's name).
RECOMMENDED_PARAMETERS: dict[str, tuple[ParameterSpec, ...]] = {
    event: tuple(
        replace(p, origin_name=event, items=tuple(replace(i, origin_name=event) for i in p.items))
        for p in parameters
    )
    for event, parameters in _TABLE.items()
}


def recommended_parameters(event_name: str) -> tuple[ParameterSpec, ...]:
    """Google's documented parameters of ``event_name`` (empty when it is no recommended event)."""
    return RECOMMENDED_PARAMETERS.get(event_name, ())
