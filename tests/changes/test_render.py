"""Text, JSON and Markdown rendering of plans."""

from __future__ import annotations

import re

from ga_goals.changes import Change, FieldChange, Plan, render_markdown, render_text
from ga_goals.model import Condition, EventCreateRule, Mutation

from .builders import PROPERTY

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_text_without_color_has_no_ansi_codes(plan: Plan) -> None:
    text = render_text(plan, color=False)
    assert "\x1b" not in text


def test_text_with_color_is_the_same_text_plus_ansi(plan: Plan) -> None:
    colored = render_text(plan, color=True)
    assert "\x1b[32m" in colored  # green create
    assert "\x1b[33m" in colored  # yellow update
    assert "\x1b[31m" in colored  # red destructive
    assert ANSI.sub("", colored) == render_text(plan, color=False)


def test_text_golden(plan: Plan) -> None:
    text = render_text(plan, color=False)
    assert text.startswith("Plan for properties/1000 (environment production) from configs/shop.yaml\n\n")
    assert (
        "  x archive custom_dimension event:old_dim  (properties/1000/customDimensions/24)\n"
        "      # not in the plan (safety.unmanaged: remove)\n"
        '      parameter_name: "old_dim"\n'
        '      scope: "event"\n'
        '      display_name: "Old dim"\n'
        "      disallow_ads_personalization: false\n"
    ) in text
    assert "  - delete key_event old_goal  (properties/1000/keyEvents/15)\n" in text
    assert (
        "-/+ replace custom_dimension user:form_id  (properties/1000/customDimensions/21)\n"
        "      # scope is immutable in GA4\n"
        '      scope: "event" → "user"\n'
    ) in text
    assert '  ~ update key_event purchase\n      counting_method: "once_per_event" → "once_per_session"\n' in text
    assert (
        "  + create custom_metric cart_value\n"
        '      parameter_name: "cart_value"\n'
        '      scope: "event"\n'
        '      display_name: "Cart value"\n'
        '      measurement_unit: "currency"\n'
        '      restricted_metric_type: ["revenue_data"]\n'
    ) in text
    assert "Note: 1 key event in the property is not in the plan" in text
    assert "Warning: key event first_open is not deletable; left alone" in text
    assert "\nPlan: 1 to create, 1 to update, 1 to replace, 1 to archive, 1 to delete.\n" in text
    assert "3 destructive changes (replace, archive, delete) need --allow-destroy; safety.max_destroy is 5." in text
    assert text.endswith(f"\nChecksum: {plan.checksum}")


def test_text_changes_in_plan_order(plan: Plan) -> None:
    text = render_text(plan, color=False)
    positions = [text.index(f" {action} ") for action in ("archive", "delete", "replace", "update", "create")]
    assert positions == sorted(positions)


def test_text_no_changes() -> None:
    text = render_text(Plan(PROPERTY, source="configs/shop.yaml"), color=False)
    assert text.splitlines() == [
        "Plan for properties/1000 from configs/shop.yaml",
        "",
        "No changes. properties/1000 matches configs/shop.yaml.",
        f"Checksum: {Plan(PROPERTY).checksum}",
    ]
    assert "No changes. properties/1000 matches the plan." in render_text(Plan(PROPERTY), color=False)


def test_text_strings_are_quoted_so_blanks_show() -> None:
    change = Change("update", "custom_dimension", "event:form_id",
                    fields=(FieldChange("display_name", "Form ID", "Form ID "), FieldChange("description", "", "x")))
    text = render_text(Plan(PROPERTY, changes=[change]), color=False)
    assert '      display_name: "Form ID" → "Form ID "\n' in text
    assert '      description: "" → "x"\n' in text


def _rule(*conditions: Condition, mutations: tuple[Mutation, ...] = (), copy: bool = False) -> EventCreateRule:
    return EventCreateRule("newsletter_signup", conditions, copy, mutations, stream=f"{PROPERTY}/dataStreams/2001")


def test_text_rule_update_shows_a_list_diff() -> None:
    old = _rule(Condition("event_name", "equals", "form_submit"), Condition("form_id", "equals", "newsletter"))
    new = _rule(Condition("event_name", "equals", "form_submit"), Condition("form_id", "contains", "news", negated=True),
                mutations=(Mutation("method", "[[form_id]]"),))
    fields = tuple(FieldChange(k, old.fields()[k], v) for k, v in new.fields().items() if old.fields()[k] != v)
    text = render_text(Plan(PROPERTY, changes=[Change("update", "event_create_rule", "newsletter_signup", old, new, fields)]),
                       color=False)
    assert (
        "  ~ update event_create_rule newsletter_signup\n"
        "      conditions:\n"
        '          event_name equals "form_submit"\n'
        '        - form_id equals "newsletter"\n'
        '        + not (form_id contains "news")\n'
        "      mutations:\n"
        '        + method = "[[form_id]]"\n'
    ) in text


def test_text_rule_create_names_its_stream() -> None:
    rule = _rule(Condition("event_name", "equals", "form_submit"))
    change = Change("create", "event_create_rule", "newsletter_signup", desired=rule,
                    fields=tuple(FieldChange(k, None, v) for k, v in rule.fields().items()))
    text = render_text(Plan(PROPERTY, changes=[change]), color=False)
    assert "  + create event_create_rule newsletter_signup  (on properties/1000/dataStreams/2001)\n" in text
    assert '      conditions:\n          event_name equals "form_submit"\n      copy_parameters: false\n' in text
    assert "mutations" not in text  # unset fields are not listed


def test_markdown(plan: Plan) -> None:
    md = render_markdown(plan)
    assert md.startswith("### ga-goals plan for properties/1000 (production)\nPlan file: configs/shop.yaml\n")
    assert "**Plan: 1 to create, 1 to update, 1 to replace, 1 to archive, 1 to delete.**" in md
    assert "> [!CAUTION]\n> 3 destructive changes" in md
    assert "| x | archive | custom\\_dimension | event:old\\_dim |  | not in the plan (safety.unmanaged: remove) |" in md
    assert "| \\~ | update | key\\_event | purchase | counting\\_method |  |" in md
    assert "```diff\n- archive custom_dimension event:old_dim\n  # not in the plan (safety.unmanaged: remove)\n" in md
    assert '-       counting_method: "once_per_event"\n+       counting_method: "once_per_session"\n' in md
    assert "- **Warning:** key event first\\_open is not deletable; left alone" in md
    assert md.endswith(f"Checksum: `{plan.checksum}`")


def test_markdown_no_changes() -> None:
    md = render_markdown(Plan(PROPERTY))
    assert "**No changes. properties/1000 matches the plan.**" in md
    assert "|" not in md and "```" not in md


def test_markdown_escapes_strings_from_the_property() -> None:
    """Display names come from GA4, where anyone with edit rights can write them."""
    from ga_goals.model import CustomDimension

    evil = CustomDimension("x", "event", "a|b <img src=x> [link](http://e) ```", resource_name=f"{PROPERTY}/customDimensions/1")
    change = Change("archive", "custom_dimension", "event:x <b>|", existing=evil,
                    fields=tuple(FieldChange(k, v, None) for k, v in evil.fields().items()), reason="r|<s>")
    md = render_markdown(Plan(PROPERTY, changes=[change]))
    table_row = next(line for line in md.splitlines() if line.startswith("| x |"))
    assert "<b>" not in table_row and "\\<b\\>" in table_row
    assert len(re.findall(r"(?<!\\)\|", table_row)) == 7  # 6 cells; the label's and reason's pipes are escaped
    fence = "````"  # longer than the ``` inside the value
    assert f"{fence}diff\n" in md and md.count(fence) == 2


def _reorder_plan() -> Plan:
    from ga_goals.model import EventEditRuleOrder

    stream = f"{PROPERTY}/dataStreams/1"
    old, new = ("A", "B", "C"), ("C", "A", "B")
    change = Change(
        "reorder",
        "event_edit_rule",
        "processing order",
        existing=EventEditRuleOrder(stream, old),
        desired=EventEditRuleOrder(stream, new),
        fields=(FieldChange("processing_order", list(old), list(new)),),
    )
    return Plan(property=PROPERTY, changes=[change])


def test_text_reorder_lists_the_new_order_with_the_old_places() -> None:
    text = render_text(_reorder_plan(), color=False)
    assert ' <> reorder event_edit_rule processing order  (on properties/' in text
    assert '1. "C"  (was 3)\n' in text and '2. "A"  (was 1)\n' in text and '3. "B"  (was 2)\n' in text
    assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to archive, 0 to delete, 1 to reorder." in text


def test_reorder_is_counted_only_when_present() -> None:
    assert _reorder_plan().summary()["reorder"] == 1
    assert "reorder" not in Plan(property=PROPERTY).summary()
    assert not _reorder_plan().destructive  # a reorder loses nothing: no --allow-destroy
    markdown = render_markdown(_reorder_plan())
    assert "| \\<\\> | reorder | event\\_edit\\_rule | processing order | processing\\_order |" in markdown



def test_an_enhanced_measurement_update_in_text_markdown_and_json() -> None:
    from ga_goals.changes import render_json
    from ga_goals.model import EnhancedMeasurement

    stream = f"{PROPERTY}/dataStreams/2001"
    old = EnhancedMeasurement(
        stream=stream, scrolls=True, search_query_parameter="q,s", resource_name=f"{stream}/enhancedMeasurementSettings",
        stream_name="Shop web",
    )
    new = EnhancedMeasurement(stream=stream, scrolls=False, search_query_parameter="q", stream_name="Shop web")
    change = Change(
        "update", new.KIND, new.label, existing=old, desired=new,
        fields=(FieldChange("scrolls", True, False), FieldChange("search_query_parameter", "q,s", "q")),
    )
    plan = Plan(property=PROPERTY, changes=[change])
    text = render_text(plan, color=False)
    assert (
        "  ~ update enhanced_measurement Shop web\n"
        "      scrolls: true → false\n"
        '      search_query_parameter: "q,s" → "q"\n'
    ) in text
    markdown = render_markdown(plan)
    assert "| \\~ | update | enhanced\\_measurement | Shop web | scrolls, search\\_query\\_parameter |  |" in markdown
    assert re.search(r"^- +scrolls: true\n\+ +scrolls: false$", markdown, re.M)
    data = __import__("json").loads(render_json([plan]))["plans"][0]["changes"][0]
    assert data["resource_name"] == f"{stream}/enhancedMeasurementSettings" and data["stream"] == stream
