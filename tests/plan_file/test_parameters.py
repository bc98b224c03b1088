"""Event parameters: resolution into EventSchema (Google's, then sets in order, then the event's own),
locations, references from custom definitions, and GA4's recommended events as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ga_goals.errors import Location
from ga_goals.model import ga4_facts as facts
from ga_goals.model.event_schemas import PARAMETER_TYPES, EventSchema, ParameterSpec
from ga_goals.model.recommended_events import (
    ITEM_PARAMETER_NAMES,
    RECOMMENDED_PARAMETERS,
    recommended_parameters,
)
from ga_goals.plan_file import load_plan, validate_file
from ga_goals.plan_file.parameters import parameter_name, parse_reference

ROOT = Path(__file__).resolve().parents[2]

ECOMMERCE = """\
property: sandbox
parameter_sets:
  ecommerce:
    description: Value and items of an e-commerce event
    parameters:
      currency: {type: string, required: true, pattern: "[A-Z]{3}", description: ISO 4217 code}
      value: {type: number, required: true}
      items:
        type: items
        required: true
        item_parameters:
          item_id: {type: string, required: true}
          item_name: string
          price: number
          quantity: integer
          item_color: string
  checkout:
    parameters:
      coupon: {required: true}
      value: {description: Order total}
conversions:
  micro:
    add_payment_info:
      stage: checkout
      parameter_sets: [ecommerce, checkout]
      parameters:
        payment_type: {type: string, required: true, values: [credit_card, paypal, gift_card]}
        value: {description: What the cart is worth}
      undeclared_parameters: allowed
events:
  view_item: {stage: product, parameter_sets: [ecommerce]}
  my_event: {parameters: {a: integer}}
  untouched: {stage: product}
  view_cart: {}
custom_dimensions:
  payment_type: {scope: event, display_name: Payment type, parameter: add_payment_info.payment_type}
  item_color: {scope: item, display_name: Item color, parameter: ecommerce.items.item_color}
custom_metrics:
  order_value: {display_name: Order value, parameter: ecommerce.value}
"""


def _plan(tmp_path: Path, text: str = ECOMMERCE, name: str = "plan.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return load_plan(path, env={})


def test_the_format_of_the_issue_loads_and_resolves_in_order(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    schema = plan.event_schemas["add_payment_info"]
    assert schema.recommended and not schema.automatic and not schema.closed
    assert schema.sets == ("ecommerce", "checkout")
    names = [p.name for p in schema.parameters]
    # Google's order first, then what the sets and the event add
    assert names == ["currency", "value", "coupon", "payment_type", "items"]
    currency = schema.parameter("currency")
    assert currency == ParameterSpec(
        "currency", "string", True, (), "[A-Z]{3}", "ISO 4217 code", (), "set", "ecommerce"
    )
    value = schema.parameter("value")
    # type and required from the first set, the description from the event (the last layer)
    assert (value.type, value.required, value.description, value.origin) == (
        "number", True, "What the cart is worth", "plan"
    )
    coupon = schema.parameter("coupon")  # Google's, made required by the second set
    assert (coupon.required, coupon.origin, coupon.origin_name) == (True, "set", "checkout")
    assert coupon.description.startswith("The coupon name or code")
    payment = schema.parameter("payment_type")
    assert payment.values == ("credit_card", "paypal", "gift_card") and payment.origin == "plan"


def test_items_start_from_googles_item_parameters(tmp_path: Path) -> None:
    items = _plan(tmp_path).event_schemas["add_payment_info"].parameter("items")
    assert items is not None and items.type == "items" and items.required
    names = [i.name for i in items.items]
    assert set(names) == ITEM_PARAMETER_NAMES | {"item_color"}
    item_id = items.item("item_id")
    assert item_id is not None and item_id.required and item_id.origin == "set"
    brand = items.item("item_brand")
    assert brand is not None and (brand.origin, brand.origin_name) == ("recommended", "add_payment_info")
    color = items.item("item_color")
    assert color is not None and color.where == Location(str(tmp_path / "plan.yaml"), 16, 11)


def test_every_spec_has_a_location(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    file = str(tmp_path / "plan.yaml")
    schema = plan.event_schemas["add_payment_info"]
    assert schema.where == Location(file, 23, 5)
    assert schema.parameter("currency").where == Location(file, 6, 7)
    assert schema.parameter("value").where == Location(file, 28, 9)  # the last layer's
    assert schema.parameter("payment_type").where == Location(file, 27, 9)
    assert plan.parameter_sets["ecommerce"].where == Location(file, 3, 3)
    assert plan.event_schemas["view_item"].parameter("currency").where == Location(file, 6, 7)
    view_cart = plan.event_schemas["view_cart"]  # recommended, nothing declared: where the event is
    assert view_cart.where == Location(file, 34, 3)
    assert all(p.where == view_cart.where and p.origin == "recommended" for p in view_cart.parameters)
    items = view_cart.parameter("items")
    assert all(i.where == view_cart.where for i in items.items)
    # Google's item parameters a set leaves alone stand where the set's items parameter is
    brand = schema.parameter("items").item("item_brand")
    assert brand.where == Location(file, 8, 7) == schema.parameter("items").where
    coupon_google = plan.event_schemas["view_item"].parameter("items").item("affiliation")
    assert coupon_google.where == Location(file, 8, 7)


def test_which_events_have_a_schema(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    # declared with parameters or sets, or recommended by Google; `untouched` is none of them
    assert set(plan.event_schemas) == {"add_payment_info", "view_item", "my_event", "view_cart"}
    assert plan.event_schemas["my_event"] == EventSchema(
        "my_event", (ParameterSpec("a", "integer", origin="plan", origin_name="my_event"),)
    )
    assert plan.event_schemas["view_cart"].recommended and plan.event_schemas["view_cart"].closed


def test_parameter_sets_are_resolved_on_their_own(tmp_path: Path) -> None:
    sets = _plan(tmp_path).parameter_sets
    assert list(sets) == ["ecommerce", "checkout"]
    assert sets["ecommerce"].description == "Value and items of an e-commerce event"
    assert [p.name for p in sets["ecommerce"].parameters] == ["currency", "value", "items"]
    assert all(p.origin == "set" and p.origin_name == "ecommerce" for p in sets["ecommerce"].parameters)
    coupon = sets["checkout"].parameters[0]
    assert (coupon.type, coupon.required) == ("string", True)


def test_custom_definitions_pointing_at_declared_parameters_register_the_name(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert plan.custom_dimensions["payment_type"].parameter_name == "payment_type"
    assert plan.custom_dimensions["item_color"].parameter_name == "item_color"
    assert plan.custom_dimensions["item_color"].scope == "item"
    assert plan.custom_metrics["order_value"].parameter_name == "value"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("form_id", "form_id"),
        ("add_payment_info.payment_type", "payment_type"),
        ("ecommerce.items.item_color", "item_color"),
    ],
)
def test_parameter_name_of_a_reference(text: str, expected: str) -> None:
    assert parameter_name(text) == expected
    assert (parse_reference(text) is None) == ("." not in text)


def test_an_automatic_event_may_list_parameters_but_not_require_them(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "property: sandbox\nevents:\n  page_view:\n    parameters:\n      section: string\n")
    schema = plan.event_schemas["page_view"]
    assert schema.automatic and not schema.recommended
    assert schema.parameter("section") is not None


def test_environments_may_override_the_sets(tmp_path: Path) -> None:
    text = ECOMMERCE + (
        "environments:\n  staging:\n    property: '123'\n    overrides:\n      parameter_sets:\n"
        "        checkout:\n          parameters:\n            coupon: {required: false}\n"
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    assert validate_file(path, env={}) == []
    [staging] = [p for p in [load_plan(path, "staging", env={})]]
    assert not staging.event_schemas["add_payment_info"].parameter("coupon").required
    assert load_plan(path, env={}).event_schemas["add_payment_info"].parameter("coupon").required


# ------------------------------------------------------------------------ resolution, as a property

_FIELDS = {
    "type": st.sampled_from(["string", "integer"]),
    "required": st.booleans(),
    "values": st.lists(st.integers(0, 9), min_size=1, max_size=3, unique=True),
    "description": st.text("abc ", min_size=1, max_size=8),
}
_SPEC = st.fixed_dictionaries({}, optional=_FIELDS)


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(st.dictionaries(st.sampled_from(["a", "b", "coupon"]), _SPEC, max_size=3), min_size=1, max_size=4))
def test_later_layers_win_field_by_field(tmp_path_factory, layers: list[dict[str, dict[str, Any]]]) -> None:
    """Sets in order, then the event's own: each field is the last layer's that writes it (else Google's,
    else the default)."""
    *sets, own = layers
    plan_data: dict[str, Any] = {
        "property": "sandbox",
        "parameter_sets": {f"s{i}": {"parameters": p} for i, p in enumerate(sets)},
        "events": {"begin_checkout": {"parameter_sets": [f"s{i}" for i in range(len(sets))], "parameters": own}},
    }
    path = tmp_path_factory.mktemp("resolve") / "plan.yaml"
    path.write_text(yaml.safe_dump(plan_data))
    problems = [p for p in validate_file(path, env={}) if p.severity == "error"]
    if problems:  # values on a string given as integers are fine; an integer spec with... nothing else fails
        pytest.fail(str(problems))
    schema = load_plan(path, env={}).event_schemas["begin_checkout"]
    google = {p.name: p for p in recommended_parameters("begin_checkout")}
    for name in ("a", "b", "coupon"):
        written = [(i, layer[name]) for i, layer in enumerate(layers) if name in layer]
        spec = schema.parameter(name)
        if not written and name not in google:
            assert spec is None
            continue
        assert spec is not None
        defaults = {"type": "string", "required": False, "values": [], "description": ""}
        base = google.get(name)
        for field in ("type", "required", "values", "description"):
            given_ = [layer[field] for _, layer in written if field in layer]
            if given_:
                expected = given_[-1]
            elif base is not None:
                expected = getattr(base, field)
            else:
                expected = defaults[field]
            actual = getattr(spec, field)
            assert (list(actual) if field == "values" else actual) == (
                list(expected) if field == "values" else expected
            ), (name, field)
        if written:
            last = written[-1][0]
            assert (spec.origin, spec.origin_name) == (
                ("plan", "begin_checkout") if last == len(layers) - 1 else ("set", f"s{last}")
            )


# --------------------------------------------------------------------------- Google's data


def test_every_recommended_event_has_googles_parameters() -> None:
    assert set(RECOMMENDED_PARAMETERS) == set(facts.RECOMMENDED_EVENTS)
    for event, parameters in RECOMMENDED_PARAMETERS.items():
        names = [p.name for p in parameters]
        assert len(names) == len(set(names)), event
        for p in parameters:
            assert p.type in PARAMETER_TYPES and p.origin == "recommended" and p.origin_name == event
            assert p.description, (event, p.name)
            assert facts.PARAMETER_NAME_PATTERN and len(p.name) <= facts.PARAMETER_MAX
            assert bool(p.items) == (p.type == "items")


@pytest.mark.parametrize(
    ("event", "required"),
    [
        ("purchase", {"transaction_id", "items"}),
        ("refund", {"transaction_id"}),
        ("add_to_cart", {"items"}),
        ("view_item_list", {"items"}),
        ("search", {"search_term"}),
        ("post_score", {"score"}),
        ("spend_virtual_currency", {"value", "virtual_currency_name"}),
        ("unlock_achievement", {"achievement_id"}),
        ("sign_up", set()),
        ("generate_lead", set()),
        ("tutorial_begin", set()),
    ],
)
def test_what_google_marks_required(event: str, required: set[str]) -> None:
    assert {p.name for p in recommended_parameters(event) if p.required} == required


def test_googles_conditional_requirements_are_in_the_descriptions() -> None:
    purchase = {p.name: p for p in recommended_parameters("purchase")}
    assert "required when value is set" in purchase["currency"].description
    assert not purchase["currency"].required
    item_id = purchase["items"].item("item_id")
    assert item_id is not None and "one of item_id or item_name" in item_id.description


def test_no_recommended_event_of_an_automatic_one_requires_a_parameter() -> None:
    """GA4 sends those itself: a required parameter there would be the plan error it is."""
    for event in facts.RECOMMENDED_EVENTS & facts.AUTOMATIC_EVENTS:
        assert not any(p.required for p in recommended_parameters(event)), event


def test_automatic_parameters_live_in_one_place() -> None:
    for name in ("page_location", "page_title", "page_referrer", "ga_session_id", "ga_session_number",
                 "engagement_time_msec", "session_engaged", "engaged_session_event", "entrances", "debug_mode"):
        assert name in facts.AUTOMATIC_PARAMETERS
    assert "percent_scrolled" in facts.automatic_parameters("scroll")
    assert "percent_scrolled" not in facts.automatic_parameters("purchase")
    assert facts.automatic_parameters("form_submit") >= {"form_id", "form_destination"}


# --------------------------------------------------------------------------- the shop


def test_the_shop_declares_every_event_the_sandbox_sends_with_its_parameters() -> None:
    plan = load_plan(ROOT / "configs" / "shop.yaml", env={})
    schemas = plan.event_schemas
    declared = set(plan.conversions) | set(plan.events)
    assert set(schemas) == declared
    assert schemas["purchase"].parameter("transaction_id").required  # Google's
    assert schemas["purchase"].parameter("currency").required  # the ecommerce set's
    assert schemas["add_to_cart"].parameter("currency").required
    assert schemas["add_payment_info"].parameter("payment_type").values == ("Credit Card", "PayPal", "Gift Card")
    assert schemas["view_item"].closed
    assert schemas["write_review"].parameter("rating").values == (1, 2, 3, 4, 5)
    items = schemas["view_item"].parameter("items")
    assert items is not None and items.item("item_color") is not None
    assert plan.custom_dimensions["item_color"].parameter_name == "item_color"
    assert plan.custom_metrics["cart_value"].parameter_name == "cart_value"
