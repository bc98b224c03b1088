"""Plan documentation: what it shows, in both formats, and that plan text is always escaped."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from ga_goals.plan_docs import plan_doc, render_docs
from ga_goals.plan_file import load_plan
from tests.conftest import CONFIGS

EXAMPLES = sorted(CONFIGS.glob("*.yaml"))


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.stem for p in EXAMPLES])
def example(request: pytest.FixtureRequest):
    return load_plan(request.param, env={})


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_examples_render_with_their_content(example, fmt: str):
    text = render_docs(example, fmt)
    plain = html.unescape(text) if fmt == "html" else text.replace("\\_", "_")
    for name in example.conversions:
        assert name in plain, name
    for name in example.events:
        assert name in plain, name
    for funnel in example.funnels.values():
        assert funnel.title in plain
        for step in funnel.steps:
            assert step.event in plain
            assert step.name in plain
    for dimension in example.custom_dimensions.values():
        assert dimension.parameter_name in plain and dimension.display_name in plain
    for key, metric in example.custom_metrics.items():
        assert key in plain and metric.display_name in plain
    for report in example.reports.values():
        assert report.title in plain
    for environment in example.environments:
        assert environment in plain
    # the stages, in the plan's order
    positions = [plain.index(f"{n}. {stage}") for n, stage in enumerate(example.stages, 1)]
    assert positions == sorted(positions)


def test_html_is_one_self_contained_page(example):
    page = render_docs(example, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page and "@media print" in page
    assert not re.search(r"<script|<link|<img|@import|src=|url\(", page, re.IGNORECASE)
    assert page.count("<table") >= len(example.funnels) + 2


def test_markdown_tables_are_well_formed(example):
    text = render_docs(example, "markdown")
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("| ---"):  # the separator under a header row
            header = lines[index - 1]
            columns = _cells(header)
            row = index + 1
            while row < len(lines) and lines[row].startswith("|"):
                assert len(_cells(lines[row])) == len(columns), lines[row]
                row += 1


def _cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_shop_wording():
    plan = load_plan(CONFIGS / "shop.yaml", env={})
    doc = plan_doc(plan)
    assert [s.name for s in doc.journey] == list(plan.stages)
    home = doc.journey[0]
    signup = home.micro[0]
    assert signup.name == "newsletter_signup" and signup.counting == "once per session" and signup.key_event
    rule = signup.rules[0]
    assert rule.source_events == ("form_submit",)
    assert [(c.subject, c.verb, c.value) for c in rule.conditions] == [("form_id", "is", "newsletter")]
    assert rule.copy_parameters
    assert [(m.parameter, m.value, m.copy_from) for m in rule.mutations] == [
        ("method", "footer_form", None),
        ("origin_form", None, "form_id"),
    ]
    purchase = next(e for e in doc.journey[-1].macro if e.name == "purchase")
    assert purchase.value == "0 USD" and purchase.funnels == ("Checkout funnel", "Browse to buy", "Search visitors to the cart", "Checkout by segment")
    search = next(e for e in doc.journey[1].micro if e.name == "view_search_results")
    assert not search.key_event
    checkout = doc.funnels[0]
    assert not checkout.open and checkout.breakdown == "deviceCategory"
    assert checkout.segments == ()
    assert doc.funnels[-1].segments == (
        "Newsletter readers (users with an event where firstUserSource = newsletter and firstUserMedium = email)",
        "Mobile sessions (sessions with an event where deviceCategory = mobile)",
    )
    assert [s.within for s in checkout.steps] == [None, None, "1h", None, None, "30m"]
    assert checkout.steps[1].named and checkout.steps[1].name == "Added to cart"
    last = checkout.steps[-1].filters[0]
    assert (last.parameter, last.verb, last.values, last.quoted) == ("value", "is greater than", ("0",), False)
    weekly = doc.reports[0]
    assert weekly.period == "the last 7 days" and weekly.compare == "the previous period"
    assert [(a.metric, a.threshold) for a in weekly.alerts] == [
        ("conversion rate", "below 2%, if at least 100 users entered"),
        ("change in count", "below -20%, if not noise (95% confidence) and at least 30 events in either period"),
    ]
    assert doc.safety.protect == ("custom_dimension:customer_tier",) and doc.safety.max_destroy == 3
    assert doc.counts["macro"] == 2 and doc.counts["created_events"] == 3


def test_leadgen_wording_for_an_environment():
    plan = load_plan(CONFIGS / "leadgen.yaml", "production", env={})
    doc = plan_doc(plan)
    assert doc.title == "leadgen (production)" and doc.tier == "360" and doc.stream == "1234567"
    assert [e.name for e in doc.environments if e.current] == ["production"]
    lead = doc.journey[-1].macro[0]
    assert lead.value == "150 EUR" and len(lead.rules) == 2
    assert lead.rules[0].stream is None  # the plan's own stream is not repeated per rule
    whitepaper = next(e for e in doc.journey[1].micro if e.name == "download_whitepaper")
    conditions = [(c.subject, c.verb, c.value, c.any_case) for c in whitepaper.rules[0].conditions]
    assert conditions == [("file_extension", "is", "pdf", False), ("link_url", "contains", "/whitepapers/", True)]
    pricing = next(e for e in doc.journey[2].micro if e.name == "view_pricing")
    assert pricing.rules[0].conditions[-1].verb == "does not contain"
    case_study = next(e for e in doc.journey[1].micro if e.name == "read_case_study")
    assert case_study.rules[0].conditions[0].verb == "matches the regular expression"
    steps = {f.name: f for f in doc.funnels}
    assert steps["whitepaper"].steps[1].filters[0].verb == "is one of"
    assert steps["whitepaper"].steps[1].within == "1w"
    assert steps["lead"].breakdown_limit == 8 and steps["lead"].open
    monthly = next(r for r in doc.reports if r.name == "monthly")
    assert monthly.compare == "the same period a year earlier" and monthly.funnels == () and not monthly.to
    assert "leadgen (production)" in render_docs(plan, "html")


def test_staging_leaves_out_what_its_overrides_remove():
    doc = plan_doc(load_plan(CONFIGS / "shop.yaml", "staging", env={}))
    assert doc.reports == ()
    text = render_docs(load_plan(CONFIGS / "leadgen.yaml", "staging", env={}), "markdown")
    assert "start\\_trial" not in text and "`start_trial`" not in text
    assert "Pricing to trial" not in text


HOSTILE = """\
property: sandbox
currency: USD
stages: [home, "<b>pay</b> | now"]
conversions:
  macro:
    purchase:
      stage: "<b>pay</b> | now"
      value: 5
      description: '<script>alert("x")</script> & "quotes" | pipe `tick` *star* [link](http://x)'
  micro:
    signup:
      stage: home
      created_from:
        when:
          - {event_name: form_submit}
          - {parameter: form_id, equals: '<img src=x onerror=alert(1)> | & "'}
        set:
          - {parameter: note, value: '</code><script>bad()</script>|'}
events:
  view_item:
    stage: home
    description: "# not a heading | <i>x</i>"
    parameters:
      coupon: {description: '<script>param()</script> | & "p"', values: ['<script>v()</script>|', "a&b"]}
      code: {pattern: '<script>|x', description: "`tick` | *star*"}
    parameter_sets: [promo]
parameter_sets:
  promo:
    description: '<script>set()</script> | &'
    parameters: {note: string}
custom_dimensions:
  form_id: {scope: event, display_name: Form ID, description: '<script>dim()</script> | & "'}
custom_metrics:
  cart_value: {display_name: Cart value, description: '<script>metric()</script> | &'}
funnels:
  checkout:
    title: '<script>funnel()</script> | & "F"'
    description: '<b>bold</b> | &amp;'
    steps:
      - {event: view_item, name: '<script>step()</script> | "x" &'}
      - event: purchase
        where:
          - {parameter: coupon, equals: '<script>f()</script>|a&b"'}
reports:
  weekly:
    title: '<script>report()</script> | & "R"'
    email:
      to: [growth@example.com]
      subject: '<script>subj()</script> | & {{ x }}'
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.yaml"
    path.write_text(HOSTILE)
    return load_plan(path, env={})


def test_hostile_strings_are_escaped_in_html(hostile):
    page = render_docs(hostile, "html")
    assert "<script" not in page.lower()
    assert "<img" not in page and "<b>pay" not in page and "<i>x" not in page and "</code><script" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in page
    assert "&lt;img src=x onerror=alert(1)&gt; | &amp; &#34;" in page
    assert "&amp;amp;" in page  # a literal "&amp;" in the plan stays literal
    assert "{{ x }}" in page  # plan strings are shown, never rendered as templates
    for text in ("dim()", "metric()", "funnel()", "step()", "f()", "report()", "subj()", "bad()"):
        assert f"&lt;script&gt;{text}&lt;/script&gt;" in page, text


def test_hostile_strings_are_escaped_in_markdown(hostile):
    text = render_docs(hostile, "markdown")
    outside_code = re.sub(r"(`+).*?\1", "", text.replace("\\`", ""))
    assert "<" not in outside_code
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; \"quotes\" \\| pipe \\`tick\\` \\*star\\* \\[link\\](http://x)" in text
    assert "### 2. &lt;b&gt;pay&lt;/b&gt; \\| now" in text
    assert "`<img src=x onerror=alert(1)> | & \"`" in text  # a literal, in a code span outside tables
    assert "`<script>f()</script>\\|a&b\"`" in text  # a literal in a table cell: the pipe escaped
    assert "\\# not a heading \\| &lt;i&gt;x&lt;/i&gt;" in text
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            assert line.endswith(" |"), line


def test_hostile_markdown_tables_keep_their_columns(hostile):
    test_markdown_tables_are_well_formed(hostile)


def test_an_empty_stage_and_events_without_a_stage(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_text("property: sandbox\nstages: [a, b]\nconversions:\n  macro:\n    purchase: {}\n")
    plan = load_plan(path, env={})
    doc = plan_doc(plan)
    assert [(s.number, s.name) for s in doc.journey] == [(1, "a"), (2, "b"), (0, "Not tied to a stage")]
    assert doc.journey[2].macro[0].name == "purchase"
    text = render_docs(plan, "markdown")
    assert "### 1. a\n\nNothing is tracked at this stage." in text
    assert "### Not tied to a stage" in text
    assert "## Funnels" not in text and "## Environments" not in text
    assert "Nothing is tracked at this stage." in render_docs(plan, "html")
