"""Render a report's data: an HTML page, an e-mail, plain text, JSON or CSV.

HTML, e-mail and text go through the jinja2 templates ``reports/report.html``,
``reports/email.html`` and ``reports/report.txt`` (:mod:`ga_goals.templating`: a user template
folder replaces or extends them, ``{% extends "default:reports/report.html" %}``). HTML
templates escape every value (autoescape), so event names, step names and breakdown values from
GA4 (anyone can send events to a property) cannot inject markup; the templates show such text
through the ``untrusted`` filter (:mod:`ga_goals.untrusted_text`: control characters escaped,
bidi isolated, long values cut or wrapped). The e-mail's CSS is inlined into ``style=``
attributes with ``css_inline``. JSON is ``ReportData.to_json()`` (no raw control or bidi
character: JSON escapes, the data unchanged); CSV is one long table (section, subject,
item, metric, current, previous, change, relative change), its text cells with control
characters made visible and formulas made inert.

Template context: ``data`` (the :class:`~ga_goals.reports.model.ReportData`), ``report`` (the
same object: ``report.title``), ``period`` (``data.period``: ``period.label``), ``charts``
(funnel name -> :class:`FunnelChart`, the geometry of the SVG / table bar chart) and
``version``.

Public API::

    render_report(data, fmt, *, user_templates=None) -> str
    render_subject(data, template=None) -> str
    write_report(data, formats, out_dir, *, user_templates=None) -> dict[str, Path]
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ga_goals import __version__, untrusted_text
from ga_goals.model import Email
from ga_goals.reports.model import Change, DataCaveats, FunnelData, ReportData
from ga_goals.templating import change_title, render, render_text

FORMATS = ("html", "email", "text", "json", "csv")
TEMPLATES = {"html": "reports/report.html", "email": "reports/email.html", "text": "reports/report.txt"}
SUFFIXES = {"html": ".html", "email": ".email.html", "text": ".txt", "json": ".json", "csv": ".csv"}
#: Default subject of report e-mails (the plan's ``email.subject`` replaces it).
DEFAULT_SUBJECT = Email().subject

#: Spreadsheet formula prefixes: a CSV text cell starting with one is prefixed with ``'``.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Bar:
    """One step of a funnel chart: the step's bar and, after it, the users the prior step lost."""

    number: int
    #: The step's name, as the plan or GA4 gives it: show it through ``untrusted``.
    name: str
    users: int
    share: float  # of the first step's users
    y: float
    width: float  # of the bar, in chart units
    lost_width: float  # of the prior step's abandonments (drawn after this bar, inside the track)
    #: The prior step's abandonment rate (None for step 1): the very figure the step tables
    #: show for that step (GA4's funnelStepAbandonmentRate via derive.step_figures), so the
    #: chart and the tables can never disagree, in open funnels too.
    lost_share: float | None
    bar_max: float = 1.0

    @property
    def label(self) -> str:
        """``2. Added to cart`` (raw text: isolate the name alone, not the whole label)."""
        return f"{self.number}. {self.name}"

    @property
    def width_percent(self) -> float:
        """The bar, in % of the track (the e-mail's table bars)."""
        return round(self.width / self.bar_max * 100, 1) if self.bar_max else 0.0

    @property
    def lost_percent(self) -> float:
        """The prior step's abandonments, in % of the track."""
        return round(self.lost_width / self.bar_max * 100, 1) if self.bar_max else 0.0


@dataclass(frozen=True)
class FunnelChart:
    """Geometry of a horizontal funnel chart (SVG units; the e-mail uses ``*_percent``)."""

    width: int
    height: int
    label_width: int
    bar_x: int
    bar_max: int
    row_height: int
    bar_height: int
    bars: tuple[Bar, ...]


def funnel_chart(funnel: FunnelData, *, width: int = 760, label_width: int = 230, value_width: int = 150) -> FunnelChart:
    """The chart of one funnel: a bar per step, its length the share of step 1's users.

    Open funnels can have more users at a later step than at step 1; the bars are then scaled
    to the largest step, so none runs out of its track (the label still gives the share).
    After each bar, the prior step's abandonments (its users who did not go on), labelled with
    the prior step's abandonment rate: in a closed funnel the two bars differ by exactly that;
    in an open one users may also enter mid-way, so the lost part is clipped to the track.
    """
    row, bar_h, top = 40, 24, 8
    bar_x = label_width
    bar_max = width - label_width - value_width
    largest = max((step.share_of_first for step in funnel.steps), default=1.0) if funnel.users else 1.0
    scale = 1.0 / largest if largest > 1.0 else 1.0
    first = funnel.steps[0].users if funnel.steps else 0
    bars = []
    prior = None
    for k, step in enumerate(funnel.steps):
        share = step.share_of_first if funnel.users else 0.0
        bar_width = round(bar_max * share * scale, 1)
        lost = 0.0
        lost_share = None
        if prior is not None:
            lost_share = prior.abandonment_rate
            lost_users_share = prior.abandonments / first if first else 0.0
            lost = max(0.0, min(round(bar_max * lost_users_share * scale, 1), round(bar_max - bar_width, 1)))
        bars.append(
            Bar(
                number=step.number,
                name=step.name,
                users=step.users,
                share=share,
                y=top + k * row,
                width=bar_width,
                lost_width=lost,
                lost_share=lost_share,
                bar_max=bar_max,
            )
        )
        prior = step
    return FunnelChart(
        width=width,
        height=top * 2 + row * len(bars),
        label_width=label_width,
        bar_x=bar_x,
        bar_max=bar_max,
        row_height=row,
        bar_height=bar_h,
        bars=tuple(bars),
    )


def context(data: ReportData) -> dict[str, Any]:
    return {
        "data": data,
        "report": data,
        "period": data.period,
        "charts": {f.key: funnel_chart(f) for f in data.funnels},
        "version": __version__,
    }


def render_report(data: ReportData, fmt: str, *, user_templates: Path | None = None) -> str:
    """The report in one format (``html``, ``email``, ``text``, ``json``, ``csv``)."""
    if fmt == "json":
        return untrusted_text.json_text(json.dumps(data.to_json(), indent=2, ensure_ascii=False)) + "\n"
    if fmt == "csv":
        return report_csv(data)
    if fmt not in TEMPLATES:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    text = render(TEMPLATES[fmt], context(data), user_dir=user_templates)
    if fmt == "email":
        text = inline_css(text)
    return text


def inline_css(html: str) -> str:
    """Move the page's ``<style>`` rules into ``style=`` attributes (e-mail clients drop ``<style>``)."""
    import css_inline

    inliner = css_inline.CSSInliner(
        keep_style_tags=False,
        keep_link_tags=False,
        load_remote_stylesheets=False,
        apply_width_attributes=True,
    )
    return str(inliner.inline(html))


def render_subject(data: ReportData, template: str | None = None) -> str:
    """The e-mail subject from the plan's jinja template (``report``, ``period``, ``data``), one line."""
    text = render_text(template or DEFAULT_SUBJECT, context(data))
    return " ".join(text.split())


def file_stem(data: ReportData) -> str:
    """``weekly-2026-11-18_2026-11-24`` (environment-prefixed when the plan has one)."""
    env = f"{data.environment}-" if data.environment else ""
    return f"{env}{data.name}-{data.period.start.isoformat()}_{data.period.end.isoformat()}"


def write_report(
    data: ReportData, formats: list[str] | tuple[str, ...], out_dir: Path, *, user_templates: Path | None = None
) -> dict[str, Path]:
    """Render every format first, then write the files to ``out_dir``; returns format -> path."""
    rendered = {fmt: render_report(data, fmt, user_templates=user_templates) for fmt in dict.fromkeys(formats)}
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt, text in rendered.items():
        path = out_dir / f"{file_stem(data)}{SUFFIXES[fmt]}"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8", newline="" if fmt == "csv" else None)
        tmp.replace(path)
        paths[fmt] = path
    return paths


# --------------------------------------------------------------------------- CSV


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = untrusted_text.visible(value)  # no control character, one line; never cut
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 10)
    return "" if value is None else value


def _change_cells(change: Change | None) -> list[Any]:
    """change, relative_change, p_value, significant (1/0, empty: untested or too few), note
    (``new: none in the previous period``, ``within noise (p = 0.43)``: what the marks of the
    other formats say)."""
    if change is None:
        return ["", "", "", "", ""]
    significant = "" if change.significant is None else int(change.significant)
    # A p-value keeps ten significant digits (the other cells keep ten decimals, which would
    # round 1e-12 to 0).
    p_value = "" if change.p_value is None else f"{change.p_value:.10g}"
    return [change.absolute, "" if change.relative is None else change.relative, p_value, significant, change_title(change)]


CSV_HEADER = (
    "section", "subject", "item", "metric", "current", "previous", "change", "relative_change", "p_value", "significant", "note"
)


def report_csv(data: ReportData) -> str:
    """The report as one long CSV table (GA4 strings in text cells are made formula-safe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)

    def row(section: str, subject: str, item: str, metric: str, current: Any, previous: Any = None, change: Change | None = None) -> None:
        writer.writerow([_cell(v) for v in (section, subject, item, metric, current, previous)] + [_cell(v) for v in _change_cells(change)])

    site = data.site
    row("site", "", "", "users", site.users, site.previous_users, site.users_change)
    row("site", "", "", "sessions", site.sessions, site.previous_sessions, site.sessions_change)
    for f in data.funnels:
        row("funnel", f.key, "", "users", f.users, f.previous_users, f.users_change)
        row("funnel", f.key, "", "completions", f.completions, f.previous_completions, f.completions_change)
        row("funnel", f.key, "", "conversion_rate", f.conversion_rate, f.previous_conversion_rate, f.conversion_rate_change)
        for s in f.steps:
            item = f"{s.number}. {s.name}"
            row("funnel_step", f.key, item, "users", s.users, s.previous_users, s.users_change)
            row("funnel_step", f.key, item, "completion_rate", s.completion_rate)
            row("funnel_step", f.key, item, "abandonments", s.abandonments)
            row("funnel_step", f.key, item, "abandonment_rate", s.abandonment_rate)
        for b in f.breakdown_rows:
            for k, users in enumerate(b.users, 1):
                row("funnel_breakdown", f.key, b.value, f"users_step_{k}", users)
            row("funnel_breakdown", f.key, b.value, "conversion_rate", b.conversion_rate)
    for e in data.key_events:
        row("key_event", e.event, e.kind, "count", e.count, e.previous_count, e.count_change)
        row("key_event", e.event, e.kind, "users", e.users, e.previous_users, e.users_change)
        row("key_event", e.event, e.kind, "value", e.value, e.previous_value, e.value_change)
    if data.micro_macro is not None:
        mm = data.micro_macro
        row("micro_vs_macro", "(all users)", mm.macro, "users", mm.all_users)
        row("micro_vs_macro", "(all users)", mm.macro, "conversion_rate", mm.all_conversion_rate, mm.previous_all_conversion_rate)
        for r in mm.rows:
            row("micro_vs_macro", r.event, mm.macro, "users", r.users)
            row("micro_vs_macro", r.event, mm.macro, "converted", r.converted)
            row("micro_vs_macro", r.event, mm.macro, "conversion_rate", r.conversion_rate, r.previous_conversion_rate)
            row("micro_vs_macro", r.event, mm.macro, "lift", r.lift, r.previous_lift)
    for t in data.split_tests:
        for v in t.values:
            for metric in ("status", "users", "completions", "completion_rate", "difference", "p_value", "adjusted_p_value", "minimum_detectable_effect"):
                row("split_test", t.title, v.value, metric, getattr(v, metric))
    for a in data.alerts:
        row("alert", a.subject, a.metric, f"{a.direction} {a.threshold:g}", a.value, None)
        row("alert", a.subject, a.metric, "fired", int(a.fired))
    # What GA4 said about each table's data: one row per flag set (none on the export engines).
    tables: list[tuple[str, str, DataCaveats]] = [("", "site", site.caveats)]
    tables += [(f.key, "funnel", f.caveats) for f in data.funnels]
    tables.append(("", "key_events", data.key_events_caveats))
    if data.micro_macro is not None:
        tables.append(("", "micro_vs_macro", data.micro_macro.caveats))
    for subject, table, c in tables:
        if c.thresholded:
            row("caveat", subject, table, "thresholded", 1)
        for sampled in c.sampling:
            row("caveat", subject, table, f"sampled_share {sampled.date_range}", sampled.share)
        if c.other_row:
            row("caveat", subject, table, "other_row", 1)
    return out.getvalue()
