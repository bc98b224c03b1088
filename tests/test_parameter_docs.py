"""`ga-goals docs`: each event's parameters, where each comes from and where the plan uses it."""

from __future__ import annotations

import html
from pathlib import Path

from ga_goals.parameter_docs import event_parameter_docs, parameter_set_docs
from ga_goals.plan_docs import plan_doc, render_docs
from ga_goals.plan_file import load_plan
from tests.conftest import CONFIGS

USES = """\
property: sandbox
stages:
  - name: home
    reached_by: {event: page_view, where: [{parameter: page_type, equals: home}]}
  - product
parameter_sets:
  ecommerce:
    parameters:
      currency: {required: true}
      items: {type: items, item_parameters: {item_color: string}}
conversions:
  macro:
    purchase: {stage: product, parameter_sets: [ecommerce]}
  micro:
    lead:
      stage: home
      created_from:
        when: [{event_name: form_submit}, {parameter: form_id, equals: contact}]
        set: [{parameter: origin, copy_from: form_id}]
      parameters: {origin: string}
events:
  page_view: {parameters: {page_type: {values: [home, product]}}}
  form_submit: {parameters: {form_id: string}}
custom_dimensions:
  item_color: {scope: item, display_name: Item color, parameter: ecommerce.items.item_color}
  form_id: {scope: event, display_name: Form ID}
custom_metrics:
  tax_paid: {display_name: Tax, parameter: purchase.tax}
segments:
  buyers:
    scope: user
    title: Big buyers
    event: purchase
    where: [{parameter: value, greater_than: 100}]
funnels:
  buy:
    title: Buying
    steps: [page_view, {event: purchase, where: [{parameter: currency, equals: EUR}]}]
"""


def _docs(tmp_path: Path):
    path = tmp_path / "plan.yaml"
    path.write_text(USES)
    return load_plan(path, env={})


def test_where_each_parameter_is_used(tmp_path: Path) -> None:
    plan = _docs(tmp_path)
    docs = {e.event: {p.name: p for p in e.parameters} for e in event_parameter_docs(plan)}
    purchase = docs["purchase"]
    assert purchase["currency"].uses == ("funnel Buying, step 2 (currency = EUR)",)
    assert purchase["value"].uses == ("segment Big buyers (value > 100)",)
    assert purchase["tax"].uses == ("custom metric Tax",)
    assert purchase["tax"].origin_label == "Google (recommended)"
    assert purchase["currency"].origin_label == "set ecommerce" and purchase["currency"].required
    [color] = purchase["items"].items  # only what the plan declares; Google's are counted
    assert color.name == "item_color" and color.uses == ("custom dimension Item color",)
    assert purchase["items"].google_items == 23
    assert docs["page_view"]["page_type"].uses == ("stage home (page_type = home)",)
    assert docs["page_view"]["page_type"].rule == "one of home, product"
    assert docs["form_submit"]["form_id"].uses == (
        "event create rule of lead (condition)",
        "event create rule of lead (copied to origin)",
        "custom dimension Form ID",
    )
    assert docs["lead"]["origin"].uses == ("set by the event create rule of lead",)
    assert docs["lead"]["origin"].origin_label == "this event"


def test_sets_list_the_events_that_use_them(tmp_path: Path) -> None:
    [ecommerce] = parameter_set_docs(_docs(tmp_path))
    assert (ecommerce.name, ecommerce.parameters, ecommerce.events) == ("ecommerce", ("currency", "items"), ("purchase",))


def test_both_formats_show_the_parameters(tmp_path: Path) -> None:
    plan = _docs(tmp_path)
    page = html.unescape(render_docs(plan, "html"))
    assert 'id="event-parameters"' in page and 'id="parameters-purchase"' in page and 'id="set-ecommerce"' in page
    assert "Used in: funnel Buying, step 2 (currency = EUR)" in page
    text = render_docs(plan, "markdown")
    assert "## Event parameters" in text and "### Parameter sets" in text
    row = next(line for line in text.splitlines() if line.startswith("| `page_type`"))
    assert "one of home, product" in row and "stage home (page\\_type = home)" in row
    assert "| ↳ `item_color` (item) | string | no |" in text


def test_the_shop_documents_every_event_it_declares_parameters_for() -> None:
    plan = load_plan(CONFIGS / "shop.yaml", env={})
    doc = plan_doc(plan)
    assert [e.event for e in doc.parameters] == list(plan.event_schemas)
    assert doc.counts["events_with_parameters"] == len(plan.event_schemas)
    payment = next(e for e in doc.parameters if e.event == "add_payment_info")
    assert [p.name for p in payment.required] == ["currency", "value", "payment_type", "items"]
    assert next(p for p in payment.parameters if p.name == "payment_type").values == (
        "Credit Card", "PayPal", "Gift Card"
    )
    metrics = {m.key: m for m in doc.metrics}
    assert metrics["cart_value"].parameter == "cart_value"
