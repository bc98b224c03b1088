"""Rendering: every format, escaping of GA4 strings, user templates, subjects, files."""

from __future__ import annotations

import csv
import dataclasses
import html as html_module
import io
import json
import re
from pathlib import Path

import pytest

from ga_goals.reports.model import ReportData
from ga_goals.reports.render import FORMATS, file_stem, funnel_chart, render_report, render_subject, write_report
from ga_goals.stats import compare_counts
from ga_goals.templating import TemplateError
from tests.reports.conftest import HOSTILE

FORMULA = "=HYPERLINK(\"http://evil.example\",\"x\")"


def hostile(data: ReportData) -> ReportData:
    """Every string a GA4 property can feed back, made hostile."""
    funnel = data.funnels[0]
    steps = tuple(dataclasses.replace(s, name=f"{s.name} {HOSTILE}") for s in funnel.steps)
    rows = tuple(dataclasses.replace(r, value=FORMULA if i == 2 else r.value) for i, r in enumerate(funnel.breakdown_rows))
    funnels = (dataclasses.replace(funnel, steps=steps, breakdown_rows=rows, title=f"Checkout & {HOSTILE}"),) + data.funnels[1:]
    events = (dataclasses.replace(data.key_events[0], event=f"e{HOSTILE}"),) + data.key_events[1:]
    mm = data.micro_macro
    micro = dataclasses.replace(mm, rows=(dataclasses.replace(mm.rows[0], event=f"m{HOSTILE}"),) + mm.rows[1:])
    return dataclasses.replace(data, funnels=funnels, key_events=events, micro_macro=micro)


def test_html_page(weekly):
    html = render_report(weekly, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", html)  # no external files
    assert "url(" not in html
    assert html.count("<svg") == 6  # one funnel chart per funnel (per segment for a segmented one), and the trend's line chart
    assert "18–24 Nov 2026" in html and "11–17 Nov 2026" in html
    assert "1,000" in html and "Added to cart" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the hostile breakdown value, escaped
    assert "No alert fired" in html
    assert "20 Data API calls" in html
    assert "<h2><bdi>Checkout by segment · Newsletter readers</bdi></h2>" in html
    assert "Segment <strong><bdi>Mobile sessions</bdi></strong>: sessions with" in html


def test_every_ga4_string_is_escaped_in_html_and_email(weekly):
    data = hostile(weekly)
    for fmt in ("html", "email"):
        out = render_report(data, fmt).replace("<wbr>", "")  # break opportunities in long values
        assert "<script>" not in out, fmt
        assert out.count("&lt;script&gt;") >= 4, fmt
        assert "Checkout &amp; &lt;script&gt;" in out, fmt


def test_email_html_has_inlined_styles_and_only_the_phone_rules_in_a_style_element(weekly):
    html = render_report(weekly, "email")
    # Every rule is inlined (clients drop <style>); only the phone rules stay in one, since a
    # media query cannot be inlined, and a client that drops it shows the 640 px layout.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    assert len(styles) == 1 and styles[0].strip().startswith("@media screen and (max-width: 480px)"), styles
    assert "<script" not in html
    assert 'style="' in html
    assert re.search(r'<td[^>]*class="bar"[^>]*style="[^"]*background: ?#1a5fb4', html)
    assert 'role="presentation"' in html and "<svg" not in html  # tables, no SVG in mail
    assert "Weekly shop funnels" in html and "1,000" in html


def test_text(weekly):
    text = render_report(weekly, "text")
    assert text.startswith("Weekly shop funnels\n===================\n")
    assert "18–24 Nov 2026 compared with 11–17 Nov 2026" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("#  Step"))
    users_col = header.index("Users") + len("Users")
    rows = lines[lines.index(header) + 1 : lines.index(header) + 7]
    assert [r[users_col - 5 : users_col].strip() for r in rows] == ["1,000", "550", "303", "166", "92", "50"]  # right-aligned
    assert all(line == line.rstrip() for line in lines)
    assert HOSTILE in text  # plain text: shown as is


def test_json(weekly):
    data = json.loads(render_report(weekly, "json"))
    assert data["format"] == "ga-goals-report/1"
    assert data["funnels"][0]["breakdown_rows"][1]["value"] == HOSTILE
    assert data["micro_macro"]["rows"][0]["lift"] > 1


def test_csv(weekly):
    text = render_report(hostile(weekly), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "section", "subject", "item", "metric", "current", "previous", "change", "relative_change", "p_value", "significant", "note"
    ]
    assert {len(r) for r in rows} == {11}
    sections = {r[0] for r in rows[1:]}
    assert sections == {"site", "funnel", "funnel_step", "funnel_breakdown", "key_event", "micro_vs_macro", "split_test", "alert"}
    # the fake server has no control value 'A': the split test's rows say so, with no p-value
    split = {(r[2], r[3]): r[4] for r in rows[1:] if r[0] == "split_test"}
    assert split[("A", "status")] == "missing" and split[("A", "p_value")] == ""
    step = next(r for r in rows if r[0] == "funnel_step" and r[3] == "users")
    assert step[4:8] == ["1000", "800", "200", "0.25"]
    # 1,000 users against 800 over a week each: a real change, and its exact Poisson p-value.
    assert float(step[8]) == pytest.approx(compare_counts(800, 1000, 7, 7).p_value, rel=1e-9)
    assert step[9:] == ["1", "significant (p < 0.001)"]
    value = next(r for r in rows if r[0] == "key_event" and r[3] == "value")
    assert value[8:] == ["", "", ""]  # an event's value is not tested
    assert any(r[2] == "'" + FORMULA for r in rows)  # a formula from GA4 data is made inert
    assert not any(cell.startswith("=") for r in rows for cell in r)


def test_chart_geometry(weekly):
    chart = funnel_chart(weekly.funnels[0])
    assert chart.bars[0].width == chart.bar_max and chart.bars[0].lost_share is None
    second = chart.bars[1]
    assert second.width + second.lost_width == pytest.approx(chart.bars[0].width)
    assert second.lost_share == pytest.approx(0.45)


def test_subject(weekly):
    assert render_subject(weekly, "Weekly shop funnels: {{ period.label }}") == "Weekly shop funnels: 18–24 Nov 2026"
    assert render_subject(weekly) == "Weekly shop funnels: 18–24 Nov 2026"  # the default
    assert render_subject(weekly, "A & B\n{{ report.name }}\r\nx") == "A & B weekly x"  # one line, not HTML-escaped
    with pytest.raises(TemplateError, match="undefined"):
        render_subject(weekly, "{{ nope }}")


def test_user_templates_override_and_extend(weekly, tmp_path: Path):
    folder = tmp_path / "mine" / "reports"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(
        '{% extends "default:reports/report.html" %}{% block footer %}<footer>Growth team: {{ data.funnels|length }} funnels {{ data.funnels[0].breakdown_rows[1].value }}</footer>{% endblock %}'
    )
    (folder / "report.txt").write_text("Only {{ data.title }}\n")
    html = render_report(weekly, "html", user_templates=tmp_path / "mine")
    assert "<footer>Growth team: 5 funnels &lt;script&gt;" in html
    assert "Checkout funnel" in html  # the rest of the built-in page
    assert render_report(weekly, "text", user_templates=tmp_path / "mine") == "Only Weekly shop funnels\n"
    assert "Weekly shop funnels" in render_report(weekly, "email", user_templates=tmp_path / "mine")  # not overridden


def test_a_broken_user_template_is_a_clear_error(weekly, tmp_path: Path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.html").write_text("{{ data.nothing_here }}")
    with pytest.raises(TemplateError, match="reports/report.html:1"):
        render_report(weekly, "html", user_templates=tmp_path)


def test_write_report(weekly, tmp_path: Path):
    paths = write_report(weekly, list(FORMATS), tmp_path / "out")
    assert list(paths) == list(FORMATS)
    stem = file_stem(weekly)
    assert stem == "weekly-2026-11-18_2026-11-24"
    assert {p.name for p in paths.values()} == {f"{stem}.html", f"{stem}.email.html", f"{stem}.txt", f"{stem}.json", f"{stem}.csv"}
    assert all(p.stat().st_size > 100 for p in paths.values())
    assert not list((tmp_path / "out").glob("*.tmp"))
    with pytest.raises(ValueError, match="unknown report format"):
        render_report(weekly, "pdf")


def test_open_funnel_bars_stay_inside_their_track(weekly):
    """A later step of an open funnel may have more users than step 1: bars scale to the largest."""
    import dataclasses

    funnel = weekly.funnels[0]
    first, second = funnel.steps[0], funnel.steps[1]
    grown = dataclasses.replace(second, users=first.users * 2, share_of_first=2.0)
    chart = funnel_chart(dataclasses.replace(funnel, steps=(first, grown, *funnel.steps[2:])))
    assert max(bar.width for bar in chart.bars) == chart.bar_max
    assert chart.bars[1].width == chart.bar_max and chart.bars[0].width == pytest.approx(chart.bar_max / 2)


def test_caveats_are_said_beside_the_table_they_concern_only(weekly: ReportData):
    """One funnel sampled, the key events thresholded: each note in its own table, in every
    format; the other tables say nothing. The wording is ga_goals.reports.notes' alone."""
    from ga_goals.reports.notes import MICRO_BEFORE_MACRO, OTHER_ROW, THRESHOLDED, data_caveats
    from ga_goals.sources.results import Caveats, Sampling

    sampled = data_caveats(Caveats(sampling=(Sampling("current", 125, 1000), Sampling("previous", 1000, 1000))))
    assert sampled.notes == ("sampled: based on 12.5% of events",)  # a range read whole is not sampled
    assert data_caveats(Caveats(sampling=(Sampling("current", 1, 4), Sampling("previous", 1, 2)))).notes == (
        "sampled: based on 25% of events (previous period: 50% of events)",
    )
    thresholded = data_caveats(Caveats(thresholded=True, other_row=True))
    assert thresholded.notes == (THRESHOLDED, OTHER_ROW)
    second = dataclasses.replace(weekly.funnels[1], caveats=sampled)
    data = dataclasses.replace(weekly, funnels=(weekly.funnels[0], second), key_events_caveats=thresholded)
    first, other = weekly.funnels[0].title, second.title

    text = render_report(data, "text")
    assert text.count("! sampled: based on 12.5% of events") == 1 and text.count(f"! {THRESHOLDED}") == 1
    assert text.index(f"\n{other}\n") < text.index("! sampled") < text.index("Key events\n") < text.index(f"! {THRESHOLDED}")
    assert "! sampled" not in text[text.index(f"\n{first}\n") : text.index(f"\n{other}\n")]
    assert MICRO_BEFORE_MACRO in text
    for fmt in ("html", "email"):
        words = html_module.unescape(re.sub(r"<[^>]+>", "", render_report(data, fmt)))
        assert words.count("sampled: based on 12.5% of events") == 1, fmt
        assert words.index(other) < words.index("sampled: based on") < words.index("Key events")
        assert words.index("Key events") < words.index(THRESHOLDED) < words.index(OTHER_ROW) < words.index("Micro conversions against")
        assert MICRO_BEFORE_MACRO in words, fmt
    as_json = json.loads(render_report(data, "json"))
    assert as_json["funnels"][1]["caveats"]["notes"] == ["sampled: based on 12.5% of events"]
    assert as_json["funnels"][1]["caveats"]["sampling"][0] == {"date_range": "current", "samples_read": 125, "sampling_space": 1000, "share": 0.125}
    assert as_json["funnels"][0]["caveats"] == {"thresholded": False, "sampled": False, "sampling": [], "other_row": False, "notes": []}
    assert as_json["key_events_caveats"]["thresholded"] and as_json["key_events_caveats"]["other_row"]
    assert as_json["micro_macro"]["rule"] == MICRO_BEFORE_MACRO
    caveat_rows = [r for r in csv.reader(io.StringIO(render_report(data, "csv"))) if r[0] == "caveat"]
    assert [r[1:5] for r in caveat_rows] == [
        [second.name, "funnel", "sampled_share current", "0.125"],
        [second.name, "funnel", "sampled_share previous", "1"],
        ["", "key_events", "thresholded", "1"],
        ["", "key_events", "other_row", "1"],
    ]
