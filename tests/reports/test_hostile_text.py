"""Every string of a report made hostile at once, in every output format.

GA4 data (anyone can send events to a property) and plan strings reach the text report (also
the e-mail's text part), the e-mail, the page, JSON and CSV. Whatever a template shows, no
output may carry a raw control character (terminal escapes, NUL, BEL, BS), a raw bidi control
(a right-to-left override reversing the report's own text after it), or a line as long as a
1,000-character page_location. The replacement touches every string field of the data, so a
template that shows a new field without ``untrusted`` fails here.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.reports.model import ReportData
from ga_goals.reports.periods import ReportPeriod
from ga_goals.reports.render import CSV_HEADER, render_report, render_subject
from ga_goals.untrusted_text import BIDI_CONTROLS, FSI, LRI, PDI, width

#: A 1,000-character page_location (GA4 keeps that long), with a terminal escape, NUL, BEL, BS,
#: a right-to-left override and markup in it.
LONG_URL = "https://shop.example.com/products/" + "x" * 966
HOSTILE = f"\x1b[31mRED\x00\x07\x08 \u202e{LONG_URL}\u2069<script>alert(1)</script>"
#: Fields whose values the program chooses (enumerations, its own wording), not GA4 or the plan.
OWN_FIELDS = {"kind", "direction", "metric", "status", "correction"}
#: The longest line the text report may have.
TEXT_WIDTH = 120


def every_string(value: Any, text: str) -> Any:
    """``value`` with every string field (of any depth) replaced by ``text``."""
    if isinstance(value, ReportPeriod):
        return dataclasses.replace(value, time_zone=text)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.name in OWN_FIELDS:
                continue
            current = getattr(value, f.name)
            changes[f.name] = text if isinstance(current, str) else every_string(current, text)
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(every_string(v, text) for v in value)
    return value


def with_strings(data: ReportData, text: str) -> ReportData:
    """Every string hostile; funnel names (chart keys) stay unique."""
    data = every_string(data, text)
    funnels = tuple(dataclasses.replace(f, name=f"{text}{k}") for k, f in enumerate(data.funnels))
    return dataclasses.replace(data, funnels=funnels)


def raw_controls(text: str, allowed: str = "\n") -> set[str]:
    """Control, line-separator and bidi-control characters in ``text`` (but ``allowed``)."""
    return {c for c in text if (unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROLS) and c not in allowed}


#: The isolates the outputs may write (around untrusted text), and their end.
ISOLATES = f"{FSI}{LRI}{PDI}"


def isolates_are_balanced(line: str) -> bool:
    """Every FSI or LRI is closed by a PDI on the same line, with no bidi control between."""
    return re.fullmatch(rf"([^{ISOLATES}]*[{FSI}{LRI}][^{ISOLATES}]*{PDI})*[^{ISOLATES}]*", line) is not None


def outside_isolates(html: str) -> str:
    """The HTML without the places where untrusted text is allowed outside a <bdi>: the
    document title, attributes (aria-label, title) and SVG text (FSI...PDI there)."""
    html = re.sub(r"<title>.*?</title>", "", html, flags=re.S)
    html = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    html = re.sub(r"<bdi\b.*?</bdi>", "", html, flags=re.S)
    return re.sub(r"""\s[a-z-]+="[^"]*\"""", "", html)


def check_text(text: str) -> None:
    assert not raw_controls(text, allowed=f"\n{ISOLATES}"), raw_controls(text, f"\n{ISOLATES}")
    for line in text.splitlines():
        assert width(line) <= TEXT_WIDTH, line
        assert isolates_are_balanced(line), line


def check_html(html: str) -> None:
    """Values are <bdi> elements; in the title, attributes and SVG text they are FSI...PDI."""
    assert not raw_controls(html, allowed=f"\n{ISOLATES}"), raw_controls(html, f"\n{ISOLATES}")
    assert all(isolates_are_balanced(line) for line in html.splitlines())


@pytest.fixture
def hostile_weekly(weekly: ReportData) -> ReportData:
    return with_strings(weekly, HOSTILE)


def test_text_escapes_controls_isolates_and_cuts(hostile_weekly):
    text = render_report(fired(hostile_weekly), "text")
    check_text(text)
    assert "\\x1b[31mRED\\x00\\x07\\x08 \\u202ehttps://shop.example.co" in text  # visible, not acted on
    assert "…" in text and LONG_URL not in text
    assert max(width(line) for line in text.splitlines()) <= TEXT_WIDTH  # was 1,042


def test_html_and_email_put_every_untrusted_value_in_an_isolate(hostile_weekly):
    for fmt in ("html", "email"):
        html = render_report(hostile_weekly, fmt)
        check_html(html)
        assert "<script" not in html, fmt
        assert html.count("<bdi") >= 20, fmt
        rest = outside_isolates(html)
        assert "RED" not in rest and "shop.example.com" not in rest, fmt  # nothing outside <bdi>
        assert "\\u202e" in html, fmt  # the override is shown, not obeyed


def test_the_subject_has_no_raw_control(hostile_weekly):
    subject = render_subject(hostile_weekly, "{{ report.title }} {{ data.funnels[0].breakdown_rows[0].value }}")
    assert not raw_controls(subject) and "\\x1b[31mRED" in subject and "\\u202e" in subject


def test_json_keeps_the_data_but_writes_no_raw_control(hostile_weekly):
    text = render_report(hostile_weekly, "json")
    assert not raw_controls(text)
    data = json.loads(text)
    assert data["funnels"][0]["breakdown_rows"][0]["value"] == HOSTILE  # the data, unchanged
    assert data["period"]["time_zone"] == HOSTILE


def test_csv_writes_no_raw_control(hostile_weekly):
    text = render_report(hostile_weekly, "csv")
    assert not raw_controls(text, allowed="\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    assert any(r[2].startswith("\\x1b[31mRED") for r in rows)


@pytest.mark.parametrize("value", ["\u05e2\u05d2\u05dc\u05d4", "\u0633\u0644\u0629 \u0661\u0662", "\u202e%001"])
def test_a_right_to_left_value_cannot_reorder_the_text_after_it(weekly, value):
    """The RLO case of the issue ("100%" shown as "%001"), and legitimate Hebrew and Arabic."""
    data = with_strings(weekly, value)
    text = render_report(data, "text")
    check_text(text)
    if "\u202e" in value:
        assert "\\u202e%001" in text and "\u202e" not in text
    else:
        assert f"{FSI}{value}{PDI}" in text  # isolated: the figures after it keep their order
    for fmt in ("html", "email"):
        html = render_report(data, fmt)
        check_html(html)
        assert value.replace("\u202e", "\\u202e") not in outside_isolates(html), fmt


def fired(data: ReportData) -> ReportData:
    """Every alert of ``data`` fired (so that the text report shows their messages)."""
    return dataclasses.replace(data, alerts=tuple(dataclasses.replace(a, fired=True) for a in data.alerts))


def test_an_alert_message_keeps_the_report_direction_with_a_right_to_left_title(weekly):
    """"עגלה: conversion rate is 3% (alert when below 5%)" must not take the title's direction."""
    data = fired(with_strings(weekly, "\u05e2\u05d2\u05dc\u05d4"))
    text = render_report(data, "text")
    check_text(text)
    assert f"  ! {LRI}\u05e2\u05d2\u05dc\u05d4{PDI}" in text
    for fmt in ("html", "email"):
        assert '<bdi dir="ltr">\u05e2\u05d2\u05dc\u05d4</bdi>' in render_report(data, fmt), fmt
    chart = render_report(with_strings(weekly, "\u05e2\u05d2\u05dc\u05d4"), "html")
    assert f">2. {FSI}\u05e2\u05d2\u05dc\u05d4{PDI}</text>" in chart  # the name isolated, not "2. " with it


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=1200))
def test_any_value_in_every_string_keeps_every_format_safe(weekly, value):
    data = fired(with_strings(weekly, value))
    check_text(render_report(data, "text"))
    check_html(render_report(data, "email"))
    check_html(render_report(data, "html"))
    assert not raw_controls(render_report(data, "json"))
    assert not raw_controls(render_report(data, "csv"), allowed="\r\n")
