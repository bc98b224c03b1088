"""Run GA4 Data API reports for a tracking plan: funnels, key-event totals, micro vs macro lift.

:class:`DataGateway` is the only object the reports need::

    with DataGateway(Target("properties/123")) as data:
        zone = data.property_settings().time_zone
        table = data.run_funnel(plan.funnels["checkout"], [current, previous])
        events, site = data.event_totals(["purchase", "sign_up"], [current, previous])
        print(data.calls, data.quota.tokens)

It uses the v1beta ``BetaAnalyticsDataClient`` (RunReport, BatchRunReports, GetMetadata) and the
v1alpha ``AlphaAnalyticsDataClient`` (RunFunnelReport) over the channels of
:mod:`ga_goals.ga4.clients`, plus one Admin ``GetProperty`` for the property's time zone.
Every call has ``timeout=`` and retries UNAVAILABLE and DEADLINE_EXCEEDED with exponential
backoff, and nothing else. RESOURCE_EXHAUSTED becomes :class:`~ga_goals.errors.QuotaExhausted`
at once (Data API token buckets refill hourly and daily: retrying in seconds cannot help);
PERMISSION_DENIED, NOT_FOUND and INVALID_ARGUMENT become :class:`~ga_goals.errors.ApiError`s
that say what to do. Every request asks for ``return_property_quota``; the tokens consumed are
summed in :attr:`DataGateway.quota`. Independent calls run in parallel (4 at a time; a
standard property allows 10 concurrent requests).

Responses are parsed **by header name**, never by position: the live API lists the funnel
table's four metric headers twice (eight headers, four values per row) and types the rates
``TYPE_INTEGER`` although they are fractions (``"0.2857142857142857"``): every value is read
as a float. Step names come back as ``"N. name"``; a step that no user reached is absent from
the rows and reads as zeros.

The requests (what a GA4 server, Google's or the sandbox's, receives)
=====================================================================

Date ranges. A report with a comparison sends both periods in ONE request:
``date_ranges=[DateRange(start_date="2026-11-18", end_date="2026-11-24", name="current"),
DateRange(start_date="2026-11-11", end_date="2026-11-17", name="previous")]`` (dates are
``YYYY-MM-DD`` in the property's time zone). With two ranges the response carries a
``dateRange`` dimension whose values are the range names (``date_range_0``/``date_range_1``
for unnamed ranges are understood too). With one range there is no ``dateRange`` column.

1. A plan funnel: ``AlphaAnalyticsData/RunFunnelReport`` (one call per funnel and period pair)::

    RunFunnelReportRequest(
      property="properties/N", date_ranges=[current, previous], return_property_quota=True,
      funnel=Funnel(is_open_funnel=<plan `open`>, steps=[
        FunnelStep(
          name=<step name>,                                  # response: "1. <step name>"
          is_directly_followed_by=<directly_followed>,      # only when true
          within_duration_from_prior_step=Duration(...),    # only when `within` is set
          filter_expression=FunnelFilterExpression(funnel_event_filter=FunnelEventFilter(
            event_name=<event>,
            funnel_parameter_filter_expression=<only when the step has `where` filters>))),
        ...]),
      funnel_breakdown=FunnelBreakdown(breakdown_dimension=Dimension(name=<breakdown>),
                                       limit=<limit>))       # only with a breakdown

   Parameter filters (``FunnelParameterFilter(event_parameter_name=<parameter>, ...)``); several
   filters of one step are an ``and_group``; ``negate: true`` wraps one in ``not_expression``:

   ========================  ================================================================
   plan comparison           filter
   ========================  ================================================================
   equals (text)             string_filter{match_type: EXACT, value, case_sensitive}
   contains                  string_filter{match_type: CONTAINS, value, case_sensitive}
   starts_with               string_filter{match_type: BEGINS_WITH, value, case_sensitive}
   ends_with                 string_filter{match_type: ENDS_WITH, value, case_sensitive}
   matches                   string_filter{match_type: FULL_REGEXP, value, case_sensitive}
   in                        in_list_filter{values, case_sensitive}
   equals (a number)         numeric_filter{operation: EQUAL, value}
   greater_than(_or_equal)   numeric_filter{operation: GREATER_THAN(_OR_EQUAL), value}
   less_than(_or_equal)      numeric_filter{operation: LESS_THAN(_OR_EQUAL), value}
   >= a and <= b             between_filter{from_value: a, to_value: b} (inclusive), when one
                             step has both on one parameter, neither negated
   ========================  ================================================================

   Numbers are ``NumericValue(int64_value=...)`` when whole, ``double_value`` otherwise.

   Other steps (alternatives, dimension conditions; rule 3c of ``ga_goals.funnels.semantics``)
   send their condition tree as it is: ``any`` is an ``or_group``, ``all`` (and an event with
   ``when`` conditions) an ``and_group``, ``not`` a ``not_expression``, an event with its
   parameter filters a ``funnel_event_filter`` as above, a dimension condition a
   ``funnel_field_filter{field_name: <dimension>, <the filter of the table above>}``, where
   ``between: [a, b]`` is ``between_filter`` and ``negate: true`` wraps it in
   ``not_expression``.

   Response ``funnel_table``: dimensions ``funnelStepName`` (+ the breakdown dimension, whose
   per-step totals row reads ``RESERVED_TOTAL``) (+ ``dateRange``); metrics ``activeUsers``,
   ``funnelStepCompletionRate``, ``funnelStepAbandonments``, ``funnelStepAbandonmentRate``.

   A trend (a funnel broken down by ``date``, rule 9 of ``ga_goals.funnels.semantics``) is
   sent without ``funnel_breakdown`` and with ``funnel_visualization_type=TRENDED_FUNNEL``;
   its ``funnel_visualization`` (``funnelStepName``, ``date`` (+ ``dateRange``) x
   ``activeUsers``) gives the users per step and day (:func:`parse_trended_visualization`).

   Next actions (rule 10): one more ``RunFunnelReport`` of the funnel over the current range
   with ``funnel_next_action=FunnelNextAction(next_action_dimension=Dimension(name=<eventName,
   pageLocation or pageTitle>), limit=<1..5>)``; the funnel table's ``funnelStepAbandonments``
   are the users who left after each step, the ``funnel_visualization`` rows
   (``funnelStepName``, ``<dimension>`` x ``activeUsers``; ``RESERVED_TOTAL`` is the step's
   total) what they did next (:func:`parse_next_actions`).

2. Micro vs macro lift: ``RunFunnelReport`` with both date ranges and no breakdown, sent

   * once with the closed funnel ``[FunnelStep(name="session_start", event session_start),
     FunnelStep(name=<macro>, event <macro>)]``: the all-users baseline;
   * once per micro conversion with the closed funnel ``[FunnelStep(name=<micro>, event
     <micro>), FunnelStep(name=<macro>, event <macro>)]``: the users who did the micro
     conversion, and those whose macro conversion came after it (the funnel rules: an event at
     the same moment does not follow). A micro conversion done only after the macro one does
     not count as converting; a user segment "logged <micro>" on the baseline funnel would
     count it, so segments are not used.

   So ``1 + micros`` calls per report, each a small funnel report (3 funnel tokens each with
   two ranges in the sandbox's cost model; GA4 does not publish its own).

3. Key-event totals and site totals: ONE ``BetaAnalyticsData/BatchRunReports`` (batches are split
   at 5 requests, GA4's maximum) holding::

     RunReportRequest(date_ranges=[current, previous], dimensions=[Dimension(name="eventName")],
       metrics=[Metric(name="eventCount"), Metric(name="totalUsers"), Metric(name="eventValue")],
       dimension_filter=FilterExpression(filter=Filter(field_name="eventName",
         in_list_filter=InListFilter(values=[<key events>], case_sensitive=True))),
       limit=<events x ranges>, return_property_quota=True)
     RunReportRequest(date_ranges=[current, previous],
       metrics=[Metric(name="totalUsers"), Metric(name="sessions")], return_property_quota=True)

   An event without data is absent from the rows and reads as zeros.

4. ``BetaAnalyticsData/GetMetadata`` (``name="properties/N/metadata"``): :meth:`DataGateway.metadata`,
   not used by a report.

5. Admin ``AnalyticsAdminService/GetProperty`` (v1beta): the property's ``time_zone`` (reports
   compute "last 7 days" in it). It spends no Data API quota.

Every response's metadata is read (:func:`parse_caveats`): ``subject_to_thresholding``,
``sampling_metadatas`` (one per date range when GA4 sampled) and ``data_loss_from_other_row`` of
a report's ``ResponseMetaData``, ``sampling_metadatas`` of the funnel table's
``FunnelResponseMetadata``; they become the :class:`~ga_goals.sources.results.Caveats` of the
parsed table.
"""

from __future__ import annotations

import builtins
import collections
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc
from google.api_core import retry as retries
from google.protobuf import duration_pb2

from ga_goals.errors import CredentialsError, GaGoalsError, QuotaExhausted
from ga_goals.funnels.dimensions import TREND_DIMENSION
from ga_goals.funnels.result import NextActions, step_metrics
from ga_goals.funnels.semantics import filter_text
from ga_goals.model import (
    AllOf,
    AnyOf,
    DimensionFilter,
    EventMatch,
    Funnel,
    FunnelStep,
    StepCondition,
    Segment,
    StepFilter,
)
from ga_goals.parallel import run_parallel
from ga_goals.model import ga4_facts as facts
from ga_goals.sources.base import lift_funnel, micro_funnel
from ga_goals.sources.results import (
    NO_CAVEATS,
    Caveats,
    CellKey,
    DateSpanLike,
    FunnelTable,
    LiftTables,
    PropertySettings,
    ReportTable,
    Sampling,
    StepValues,
)

from .clients import DataClients, build_data_clients
from .errors import CREDENTIALS_HINT, is_rate_limit, is_transient, map_error, property_label
from .target import DATA_SCOPES, Target

#: GA4 accepts at most this many requests in one BatchRunReports.
MAX_BATCH = 5
#: GA4 accepts at most this many segments in one RunFunnelReport.
MAX_SEGMENTS = 4
#: Funnel calls sent at the same time (a standard property allows 10 concurrent requests).
MAX_PARALLEL = 4
#: Longest backoff between two retries.
MAX_BACKOFF = 30.0

#: Response column names.
STEP_COLUMN = "funnelStepName"
SEGMENT_COLUMN = "segment"
DATE_RANGE_COLUMN = "dateRange"
#: The breakdown value of a step's totals row.
RESERVED_TOTAL = "RESERVED_TOTAL"
#: Funnel table metrics.
ACTIVE_USERS = "activeUsers"
COMPLETION_RATE = "funnelStepCompletionRate"
ABANDONMENTS = "funnelStepAbandonments"
ABANDONMENT_RATE = "funnelStepAbandonmentRate"
#: Metrics of the key-event totals and of the site totals.
EVENT_METRICS = ("eventCount", "totalUsers", "eventValue")
SITE_METRICS = ("totalUsers", "sessions")

_STEP_NAME = re.compile(r"^(\d+)\. (.*)$", re.S)
_UNNAMED_RANGE = re.compile(r"^date_range_(\d+)$")
_NUMERIC_OPS = facts.FILTER_NUMERIC_OPERATION
_STRING_OPS = facts.FILTER_STRING_MATCH

T = TypeVar("T")


# --------------------------------------------------------------------------- parsed results


@dataclass(frozen=True)
class PropertyMetadata:
    """The dimension and metric API names the property can report (GetMetadata)."""

    dimensions: frozenset[str]
    metrics: frozenset[str]


@dataclass
class QuotaUsage:
    """Data API tokens consumed by this gateway's requests, per quota category.

    ``core`` covers RunReport, BatchRunReports and GetMetadata; ``funnel`` RunFunnelReport (GA4
    charges each category separately). ``*_remaining`` hold the latest ``remaining`` values
    GA4 returned (tokens left this day / hour), None until a response carried them.
    ``responses_without_quota`` counts responses that carried no ``property_quota``.
    """

    core_tokens: int = 0
    funnel_tokens: int = 0
    core_remaining_per_day: int | None = None
    core_remaining_per_hour: int | None = None
    funnel_remaining_per_day: int | None = None
    funnel_remaining_per_hour: int | None = None
    responses_without_quota: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def tokens(self) -> int:
        return self.core_tokens + self.funnel_tokens

    def add(self, category: str, response: Any) -> None:
        """Count the ``property_quota`` of one response (``category``: ``core`` or ``funnel``)."""
        with self._lock:
            if response is None or "property_quota" not in response:
                self.responses_without_quota += 1
                return
            quota = response.property_quota
            day, hour = quota.tokens_per_day, quota.tokens_per_hour
            consumed = day.consumed if "consumed" in day else hour.consumed if "consumed" in hour else 0
            setattr(self, f"{category}_tokens", getattr(self, f"{category}_tokens") + int(consumed))
            if "remaining" in day:
                setattr(self, f"{category}_remaining_per_day", int(day.remaining))
            if "remaining" in hour:
                setattr(self, f"{category}_remaining_per_hour", int(hour.remaining))

    def to_json(self) -> dict[str, int | None]:
        return {
            "tokens": self.tokens,
            "core_tokens": self.core_tokens,
            "funnel_tokens": self.funnel_tokens,
            "core_remaining_per_day": self.core_remaining_per_day,
            "core_remaining_per_hour": self.core_remaining_per_hour,
            "funnel_remaining_per_day": self.funnel_remaining_per_day,
            "funnel_remaining_per_hour": self.funnel_remaining_per_hour,
            "responses_without_quota": self.responses_without_quota,
        }


# --------------------------------------------------------------------------- parsing


def _float(text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _first_index(headers: Iterable[Any]) -> dict[str, int]:
    """Header name -> position of its first occurrence (the live funnel API repeats them)."""
    out: dict[str, int] = {}
    for i, header in enumerate(headers):
        out.setdefault(header.name, i)
    return out


def _value(values: Sequence[Any], index: int | None) -> str:
    if index is None or index >= len(values):
        return ""
    return str(values[index].value)


def split_step_name(label: str) -> tuple[int | None, str]:
    """``"3. Purchase"`` -> ``(3, "Purchase")``; a label without the prefix -> ``(None, label)``."""
    match = _STEP_NAME.match(label)
    if match is None:
        return None, label
    return int(match.group(1)), match.group(2)


def _range_name(value: str, requested: Sequence[str]) -> str:
    """A ``dateRange`` value -> the requested range's name (``date_range_1`` -> ``previous``)."""
    if value in requested:
        return value
    match = _UNNAMED_RANGE.match(value)
    if match and int(match.group(1)) < len(requested):
        return requested[int(match.group(1))]
    return value


def parse_caveats(metadata: Any, date_ranges: Sequence[str] = ()) -> Caveats:
    """What a response's metadata says about its data: a v1beta ``ResponseMetaData``
    (``subject_to_thresholding``, ``sampling_metadatas``, ``data_loss_from_other_row``) or a
    v1alpha ``FunnelResponseMetadata`` (``sampling_metadatas`` only: the funnel response has no
    thresholding or "(other)" field). ``sampling_metadatas`` holds one entry per date range,
    in request order, and only when GA4 sampled; it is named after ``date_ranges``."""
    if metadata is None:
        return NO_CAVEATS
    fields = type(metadata).meta.fields
    sampling = tuple(
        Sampling(
            date_range=date_ranges[i] if i < len(date_ranges) else f"date_range_{i}",
            samples_read=int(m.samples_read_count),
            sampling_space=int(m.sampling_space_size),
        )
        for i, m in enumerate(metadata.sampling_metadatas)
    )
    thresholded = "subject_to_thresholding" in fields and bool(metadata.subject_to_thresholding)
    other_row = "data_loss_from_other_row" in fields and bool(metadata.data_loss_from_other_row)
    if not (sampling or thresholded or other_row):
        return NO_CAVEATS
    return Caveats(thresholded=thresholded, sampling=sampling, other_row=other_row)


def parse_funnel_table(
    response: Any,
    *,
    step_names: Sequence[str] | None = None,
    date_ranges: Sequence[str] = (),
    breakdown: str | None = None,
) -> FunnelTable:
    """Parse the ``funnel_table`` of a ``RunFunnelReportResponse`` (or a ``FunnelSubReport``).

    :param step_names: the requested steps' names (they size the result: steps nobody reached
        are absent from the rows); None = the steps the rows show.
    :param date_ranges: the requested ranges' names, in request order (maps ``date_range_N``).
    :param breakdown: the breakdown dimension requested; None = any column that is not the
        step, segment or date range column.
    """
    sub = response.funnel_table if hasattr(response, "funnel_table") else response
    dims = _first_index(sub.dimension_headers)
    metrics = _first_index(sub.metric_headers)
    if STEP_COLUMN not in dims:
        raise GaGoalsError(f"unexpected funnel response: no {STEP_COLUMN} column (columns: {', '.join(dims) or 'none'})")
    if breakdown is None:
        others = [d for d in dims if d not in (STEP_COLUMN, SEGMENT_COLUMN, DATE_RANGE_COLUMN)]
        breakdown = others[0] if others else None
    elif breakdown not in dims:
        breakdown = None  # asked for, but GA4 returned no such column (e.g. no data at all)

    parsed: list[tuple[CellKey, int, str, StepValues]] = []
    for row in sub.rows:
        dvals, mvals = row.dimension_values, row.metric_values
        number, name = split_step_name(_value(dvals, dims[STEP_COLUMN]))
        rng = _value(dvals, dims.get(DATE_RANGE_COLUMN)) if DATE_RANGE_COLUMN in dims else None
        if rng is not None:
            rng = _range_name(rng, date_ranges)
        elif date_ranges:
            rng = date_ranges[0]
        segment = _value(dvals, dims.get(SEGMENT_COLUMN)) if SEGMENT_COLUMN in dims else None
        if segment is not None:
            # GA4 prefixes segment values with their 1-based position, like step names
            # (Segment.name docstring: "1. <name>"); look them up by the name asked for.
            segment = split_step_name(segment)[1]
        value = _value(dvals, dims.get(breakdown)) if breakdown else None
        if value == RESERVED_TOTAL:
            value = None
        values = StepValues(
            users=int(_float(_value(mvals, metrics.get(ACTIVE_USERS)))),
            completion_rate=_float(_value(mvals, metrics.get(COMPLETION_RATE))),
            abandonments=int(_float(_value(mvals, metrics.get(ABANDONMENTS)))),
            abandonment_rate=_float(_value(mvals, metrics.get(ABANDONMENT_RATE))),
        )
        parsed.append(((rng, segment, value), number or 0, name, values))

    if step_names is None:
        seen: dict[int, str] = {}
        for _key, number, name, _values in parsed:
            if number:
                seen.setdefault(number, name)
        count = max(seen, default=0)
        step_names = [seen.get(k, f"Step {k}") for k in range(1, count + 1)]
    names = tuple(step_names)

    table = FunnelTable(step_names=names, breakdown=breakdown)
    ranges: list[str] = list(date_ranges)
    segments: list[str] = []
    values_seen: list[str] = []
    for key, number, name, values in parsed:
        index = number - 1 if number else (names.index(name) if name in names else -1)
        if not 0 <= index < len(names):
            continue  # a step the request did not have: ignore rather than guess
        rng, segment, value = key
        if rng is not None and rng not in ranges:
            ranges.append(rng)
        if segment is not None and segment not in segments:
            segments.append(segment)
        if value is not None and value not in values_seen:
            values_seen.append(value)
        cell = table.cells.setdefault(key, [StepValues.zero() for _ in names])
        cell[index] = values
    table.date_ranges = tuple(ranges)
    table.segments = tuple(segments)
    table.breakdown_values = tuple(values_seen)
    table.caveats = parse_caveats(sub.metadata if "metadata" in sub else None, date_ranges)
    if breakdown:
        _add_missing_totals(table)
    return table


def _add_missing_totals(table: FunnelTable) -> None:
    """A breakdown response without ``RESERVED_TOTAL`` rows: totals are the sums of the values
    (an approximation: a user seen with two values counts twice)."""
    groups = {(r, s) for r, s, _v in table.cells}
    for rng, segment in groups:
        if (rng, segment, None) in table.cells:
            continue
        parts = [cells for (r, s, v), cells in table.cells.items() if r == rng and s == segment and v is not None]
        sums = []
        for k in range(len(table.step_names)):
            users = sum(p[k].users for p in parts)
            abandoned = sum(p[k].abandonments for p in parts)
            rate = abandoned / users if users else 0.0
            sums.append(StepValues(users, (1 - rate) if users else 0.0, abandoned, rate))
        table.cells[(rng, segment, None)] = sums


def parse_report(response: Any, *, date_ranges: Sequence[str] = ()) -> ReportTable:
    """Parse a ``RunReportResponse``: ``dateRange`` values are mapped to the requested range
    names (a response for one range gets that range's name in a ``dateRange`` key too)."""
    dims = [h.name for h in response.dimension_headers]
    metrics = _first_index(response.metric_headers)
    table = ReportTable(
        dimensions=tuple(dims),
        metrics=tuple(metrics),
        caveats=parse_caveats(response.metadata if "metadata" in response else None, date_ranges),
    )
    for row in response.rows:
        values = {d: _value(row.dimension_values, i) for i, d in enumerate(dims)}
        if DATE_RANGE_COLUMN in values:
            values[DATE_RANGE_COLUMN] = _range_name(values[DATE_RANGE_COLUMN], date_ranges)
        elif len(date_ranges) == 1:
            values[DATE_RANGE_COLUMN] = date_ranges[0]
        numbers = {m: _float(_value(row.metric_values, i)) for m, i in metrics.items()}
        table.rows.append((values, numbers))
    return table


# --------------------------------------------------------------------------- request building


def _date_ranges(module: Any, spans: Sequence[DateSpanLike]) -> list[Any]:
    return [module.DateRange(start_date=s.start.isoformat(), end_date=s.end.isoformat(), name=s.name) for s in spans]


def _numeric_value(value: float) -> Any:
    number = float(value)
    if number.is_integer() and abs(number) < 2**63:
        return alpha.NumericValue(int64_value=int(number))
    return alpha.NumericValue(double_value=number)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _comparison(op: str, value: Any, case_sensitive: bool, what: str) -> dict[str, Any]:
    """A plan comparison as the ``one_filter`` fields GA4's funnel filters share (string, in-list,
    numeric, between)."""
    if op == "in":
        # Numbers as rule 3 reads them as text (``5.0`` is "5"), as every engine compares them.
        values = [filter_text(v) for v in (value if isinstance(value, (tuple, list)) else (value,))]
        return {"in_list_filter": alpha.InListFilter(values=values, case_sensitive=case_sensitive)}
    if op in _NUMERIC_OPS and (op != "equals" or _is_number(value)):
        if not _is_number(value):
            raise GaGoalsError(f"{what} {op}: needs a number, got {value!r}")
        return {
            "numeric_filter": alpha.NumericFilter(
                operation=getattr(alpha.NumericFilter.Operation, _NUMERIC_OPS[op]),
                value=_numeric_value(float(cast(float, value))),
            )
        }
    if op in _STRING_OPS:
        return {
            "string_filter": alpha.StringFilter(
                match_type=getattr(alpha.StringFilter.MatchType, _STRING_OPS[op]),
                value=filter_text(value),
                case_sensitive=case_sensitive,
            )
        }
    if op == "between":
        low, high = cast("tuple[float, float]", value)
        return {"between_filter": alpha.BetweenFilter(from_value=_numeric_value(float(low)), to_value=_numeric_value(float(high)))}
    raise GaGoalsError(f"{what}: unknown comparison {op!r}")


def parameter_filter(f: StepFilter) -> alpha.FunnelParameterFilterExpression:
    """One :class:`StepFilter` as a ``FunnelParameterFilterExpression`` (negation included)."""
    base: dict[str, Any] = {"event_parameter_name": f.parameter}
    base.update(_comparison(f.op, f.value, f.case_sensitive, f"parameter filter {f.parameter}"))
    expression = alpha.FunnelParameterFilterExpression(funnel_parameter_filter=alpha.FunnelParameterFilter(**base))
    if f.negated:
        return alpha.FunnelParameterFilterExpression(not_expression=expression)
    return expression


def field_filter(f: DimensionFilter) -> alpha.FunnelFilterExpression:
    """One :class:`DimensionFilter` as a ``funnelFieldFilter`` (negation: a ``notExpression``)."""
    base: dict[str, Any] = {"field_name": f.dimension}
    base.update(_comparison(f.op, f.value, f.case_sensitive, f"dimension condition {f.dimension}"))
    expression = alpha.FunnelFilterExpression(funnel_field_filter=alpha.FunnelFieldFilter(**base))
    if f.negated:
        return alpha.FunnelFilterExpression(not_expression=expression)
    return expression


def _merge_between(filters: Sequence[StepFilter]) -> list[StepFilter]:
    """``>= a`` and ``<= b`` on one parameter (neither negated) -> one inclusive ``between``."""
    out = list(filters)
    i = 0
    while i < len(out):
        low = out[i]
        if low.op == "greater_than_or_equal" and not low.negated:
            j = next(
                (j for j, h in enumerate(out) if h.op == "less_than_or_equal" and not h.negated and h.parameter == low.parameter),
                None,
            )
            if j is not None:
                out[i] = StepFilter(low.parameter, "between", (low.value, out[j].value))  # type: ignore[arg-type]
                del out[j]
                if j < i:
                    i -= 1
        i += 1
    return out


def event_filter(match: EventMatch) -> alpha.FunnelFilterExpression:
    """An event and its parameter filters as a ``funnelEventFilter``."""
    event_filter: dict[str, Any] = {"event_name": match.event}
    filters = _merge_between(match.filters)
    if len(filters) == 1:
        event_filter["funnel_parameter_filter_expression"] = parameter_filter(filters[0])
    elif filters:
        event_filter["funnel_parameter_filter_expression"] = alpha.FunnelParameterFilterExpression(
            and_group=alpha.FunnelParameterFilterExpressionList(expressions=[parameter_filter(f) for f in filters])
        )
    return alpha.FunnelFilterExpression(funnel_event_filter=alpha.FunnelEventFilter(**event_filter))


def condition_expression(condition: StepCondition) -> alpha.FunnelFilterExpression:
    """A step condition (rule 3c of ``ga_goals.funnels.semantics``) as a ``FunnelFilterExpression``."""
    if isinstance(condition, EventMatch):
        return event_filter(condition)
    if isinstance(condition, DimensionFilter):
        return field_filter(condition)
    if isinstance(condition, (AllOf, AnyOf)):
        group = alpha.FunnelFilterExpressionList(expressions=[condition_expression(p) for p in condition.parts])
        if isinstance(condition, AllOf):
            return alpha.FunnelFilterExpression(and_group=group)
        return alpha.FunnelFilterExpression(or_group=group)
    return alpha.FunnelFilterExpression(not_expression=condition_expression(condition.part))


def step_filter_expression(step: FunnelStep) -> alpha.FunnelFilterExpression:
    """The step's condition (events, parameter filters, dimension conditions) as a ``FunnelFilterExpression``."""
    return condition_expression(step.condition)


def _duration(seconds: float) -> duration_pb2.Duration:
    micros = round(seconds * 1_000_000)  # GA4's bound is inclusive at microsecond granularity
    whole, rest = divmod(micros, 1_000_000)
    return duration_pb2.Duration(seconds=whole, nanos=rest * 1000)


def funnel_step(step: FunnelStep, *, first: bool = False) -> alpha.FunnelStep:
    """One plan step as a ``FunnelStep`` (``within``/``directly_followed`` do not apply to the first)."""
    message = alpha.FunnelStep(name=step.name, filter_expression=step_filter_expression(step))
    if not first and step.directly_followed:
        message.is_directly_followed_by = True
    if not first and step.within_seconds is not None:
        message.within_duration_from_prior_step = _duration(step.within_seconds)
    return message


def funnel_proto(funnel: Funnel) -> alpha.Funnel:
    return alpha.Funnel(
        is_open_funnel=funnel.open,
        steps=[funnel_step(s, first=i == 0) for i, s in enumerate(funnel.steps)],
    )


def funnel_request(
    prop: str,
    funnel: Funnel,
    date_ranges: Sequence[DateSpanLike],
    *,
    segments: Sequence[alpha.Segment] = (),
    breakdown: bool = True,
) -> alpha.RunFunnelReportRequest:
    """The ``RunFunnelReportRequest`` of a plan funnel over ``date_ranges`` (all in one request)."""
    request = alpha.RunFunnelReportRequest(
        property=prop,
        date_ranges=_date_ranges(alpha, date_ranges),
        funnel=funnel_proto(funnel),
        return_property_quota=True,
    )
    if breakdown and funnel.breakdown == TREND_DIMENSION:
        # A trend (rule 9): GA4's trended funnel, a date column in the visualization.
        trended = alpha.RunFunnelReportRequest.FunnelVisualizationType.TRENDED_FUNNEL
        request.funnel_visualization_type = cast(Any, trended)  # proto-plus types enum members as int
    elif breakdown and funnel.breakdown:
        request.funnel_breakdown = alpha.FunnelBreakdown(
            breakdown_dimension=alpha.Dimension(name=funnel.breakdown), limit=funnel.breakdown_limit
        )
    if segments:
        request.segments = list(segments)
    return request


def next_actions_request(
    prop: str, funnel: Funnel, span: DateSpanLike, dimension: str, limit: int
) -> alpha.RunFunnelReportRequest:
    """The ``RunFunnelReportRequest`` of ``funnel``'s next actions over one range (rule 10)."""
    request = funnel_request(prop, funnel, [span], breakdown=False)
    request.funnel_next_action = alpha.FunnelNextAction(next_action_dimension=alpha.Dimension(name=dimension), limit=limit)
    return request


def parse_trended_visualization(response: Any, table: FunnelTable, *, date_ranges: Sequence[str] = ()) -> FunnelTable:
    """Add the ``funnel_visualization`` of a trended funnel (``date`` x step -> ``activeUsers``)
    to ``table`` (its funnel table) as the breakdown by ``date``: per range and day, users per
    step (and the metrics derived from them as for a closed funnel; the visualization has no
    abandonment columns)."""
    sub = response.funnel_visualization
    dims = _first_index(sub.dimension_headers)
    metrics = _first_index(sub.metric_headers)
    names = table.step_names
    users: dict[tuple[str | None, str], list[int]] = {}
    for row in sub.rows:
        dvals, mvals = row.dimension_values, row.metric_values
        day = _value(dvals, dims.get(TREND_DIMENSION))
        if not day:
            continue
        number, name = split_step_name(_value(dvals, dims.get(STEP_COLUMN)))
        index = number - 1 if number else (names.index(name) if name in names else -1)
        if not 0 <= index < len(names):
            continue
        rng = _value(dvals, dims.get(DATE_RANGE_COLUMN)) if DATE_RANGE_COLUMN in dims else None
        rng = _range_name(rng, date_ranges) if rng is not None else (date_ranges[0] if date_ranges else None)
        users.setdefault((rng, day), [0] * len(names))[index] = int(_float(_value(mvals, metrics.get(ACTIVE_USERS))))
    days: list[str] = []
    for (rng, day), per_step in sorted(users.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        table.cells[(rng, None, day)] = [
            StepValues(m.active_users, m.completion_rate, m.abandonments, m.abandonment_rate)
            for m in step_metrics(names, per_step)
        ]
        if day not in days:
            days.append(day)
    table.breakdown = TREND_DIMENSION
    table.breakdown_values = tuple(sorted(days))
    return table


def parse_next_actions(response: Any, funnel: Funnel, dimension: str) -> NextActions:
    """A next-action response (rule 10): who left after each step (the funnel table's
    abandonments) and the next values (the visualization's rows of ``dimension``)."""
    table = parse_funnel_table(response, step_names=[s.name for s in funnel.steps])
    left = {k: v.abandonments for k, v in enumerate(table.steps(), start=1) if k < len(funnel.steps)}
    sub = response.funnel_visualization
    dims = _first_index(sub.dimension_headers)
    metrics = _first_index(sub.metric_headers)
    values: dict[int, dict[str, int]] = {}
    for row in sub.rows:
        value = _value(row.dimension_values, dims.get(dimension))
        if dimension not in dims or value == RESERVED_TOTAL:
            continue
        number, _name = split_step_name(_value(row.dimension_values, dims.get(STEP_COLUMN)))
        if number is None or not 0 < number < len(funnel.steps):
            continue
        values.setdefault(number, {})[value] = int(_float(_value(row.metric_values, metrics.get(ACTIVE_USERS))))
    return NextActions.of(funnel, dimension, left, values)


def segment_filter_expression(condition: StepCondition) -> alpha.SegmentFilterExpression:
    """A step condition (rule 3c) as a ``SegmentFilterExpression``: an event and its parameter
    filters become a ``segmentEventFilter``, a dimension condition a ``segmentFilter``."""
    if isinstance(condition, EventMatch):
        event: dict[str, Any] = {"event_name": condition.event}
        filters = [_segment_parameter_filter(f) for f in _merge_between(condition.filters)]
        if len(filters) == 1:
            event["segment_parameter_filter_expression"] = filters[0]
        elif filters:
            event["segment_parameter_filter_expression"] = alpha.SegmentParameterFilterExpression(
                and_group=alpha.SegmentParameterFilterExpressionList(expressions=filters)
            )
        return alpha.SegmentFilterExpression(segment_event_filter=alpha.SegmentEventFilter(**event))
    if isinstance(condition, DimensionFilter):
        base: dict[str, Any] = {"field_name": condition.dimension}
        base.update(_comparison(condition.op, condition.value, condition.case_sensitive, f"segment condition {condition.dimension}"))
        expression = alpha.SegmentFilterExpression(segment_filter=alpha.SegmentFilter(**base))
        return alpha.SegmentFilterExpression(not_expression=expression) if condition.negated else expression
    if isinstance(condition, (AllOf, AnyOf)):
        group = alpha.SegmentFilterExpressionList(expressions=[segment_filter_expression(p) for p in condition.parts])
        if isinstance(condition, AllOf):
            return alpha.SegmentFilterExpression(and_group=group)
        return alpha.SegmentFilterExpression(or_group=group)
    return alpha.SegmentFilterExpression(not_expression=segment_filter_expression(condition.part))


def _segment_parameter_filter(f: StepFilter) -> alpha.SegmentParameterFilterExpression:
    base: dict[str, Any] = {"event_parameter_name": f.parameter}
    base.update(_comparison(f.op, f.value, f.case_sensitive, f"segment parameter filter {f.parameter}"))
    expression = alpha.SegmentParameterFilterExpression(segment_parameter_filter=alpha.SegmentParameterFilter(**base))
    return alpha.SegmentParameterFilterExpression(not_expression=expression) if f.negated else expression


def segment_proto(segment: Segment) -> alpha.Segment:
    """A plan segment (rule 11 of ``ga_goals.funnels.semantics``) as a v1alpha ``Segment``.

    Its condition is one condition group scoped ``*_CRITERIA_WITHIN_SAME_EVENT`` (one event
    satisfies it, as rule 3c tests conditions), its exclusion a permanent exclusion of the same
    form; the name is the segment's label (GA4 shows it as ``"<n>. <name>"``)."""
    def groups(kind: Any, group: Any, scoping: Any, condition: StepCondition) -> Any:
        return kind(and_condition_groups=[group(condition_scoping=scoping, segment_filter_expression=segment_filter_expression(condition))])

    if segment.scope == "user":
        user = alpha.UserSegment(
            user_inclusion_criteria=groups(
                alpha.UserSegmentCriteria, alpha.UserSegmentConditionGroup,
                alpha.UserCriteriaScoping.USER_CRITERIA_WITHIN_SAME_EVENT, segment.condition,
            )
        )
        if segment.exclusion is not None:
            user.exclusion = alpha.UserSegmentExclusion(
                user_exclusion_duration=alpha.UserExclusionDuration.USER_EXCLUSION_PERMANENT,
                user_exclusion_criteria=groups(
                    alpha.UserSegmentCriteria, alpha.UserSegmentConditionGroup,
                    alpha.UserCriteriaScoping.USER_CRITERIA_WITHIN_SAME_EVENT, segment.exclusion,
                ),
            )
        return alpha.Segment(name=segment.label, user_segment=user)
    if segment.scope == "session":
        session = alpha.SessionSegment(
            session_inclusion_criteria=groups(
                alpha.SessionSegmentCriteria, alpha.SessionSegmentConditionGroup,
                alpha.SessionCriteriaScoping.SESSION_CRITERIA_WITHIN_SAME_EVENT, segment.condition,
            )
        )
        if segment.exclusion is not None:
            session.exclusion = alpha.SessionSegmentExclusion(
                session_exclusion_duration=alpha.SessionExclusionDuration.SESSION_EXCLUSION_PERMANENT,
                session_exclusion_criteria=groups(
                    alpha.SessionSegmentCriteria, alpha.SessionSegmentConditionGroup,
                    alpha.SessionCriteriaScoping.SESSION_CRITERIA_WITHIN_SAME_EVENT, segment.exclusion,
                ),
            )
        return alpha.Segment(name=segment.label, session_segment=session)
    event = alpha.EventSegment(
        event_inclusion_criteria=groups(
            alpha.EventSegmentCriteria, alpha.EventSegmentConditionGroup,
            alpha.EventCriteriaScoping.EVENT_CRITERIA_WITHIN_SAME_EVENT, segment.condition,
        )
    )
    if segment.exclusion is not None:
        event.exclusion = alpha.EventSegmentExclusion(
            event_exclusion_duration=alpha.EventExclusionDuration.EVENT_EXCLUSION_PERMANENT,
            event_exclusion_criteria=groups(
                alpha.EventSegmentCriteria, alpha.EventSegmentConditionGroup,
                alpha.EventCriteriaScoping.EVENT_CRITERIA_WITHIN_SAME_EVENT, segment.exclusion,
            ),
        )
    return alpha.Segment(name=segment.label, event_segment=event)


def micro_segment(event: str) -> alpha.Segment:
    """The user segment "users who logged ``event``" (across all sessions of the date range).

    Reports do not send it (a micro conversion's row is its own funnel ``micro -> macro``, see
    :meth:`DataGateway.lift_jobs`); the live contract checks with it that GA4 takes segments."""
    scoping = alpha.UserCriteriaScoping.USER_CRITERIA_ACROSS_ALL_SESSIONS
    return alpha.Segment(
        name=event,
        user_segment=alpha.UserSegment(
            user_inclusion_criteria=alpha.UserSegmentCriteria(
                and_condition_groups=[
                    alpha.UserSegmentConditionGroup(
                        condition_scoping=scoping,
                        segment_filter_expression=alpha.SegmentFilterExpression(
                            segment_event_filter=alpha.SegmentEventFilter(event_name=event)
                        ),
                    )
                ]
            )
        ),
    )


def event_totals_request(events: Sequence[str], date_ranges: Sequence[DateSpanLike]) -> beta.RunReportRequest:
    """Count, users and value of ``events``, per event (and date range)."""
    return beta.RunReportRequest(
        date_ranges=_date_ranges(beta, date_ranges),
        dimensions=[beta.Dimension(name="eventName")],
        metrics=[beta.Metric(name=m) for m in EVENT_METRICS],
        dimension_filter=beta.FilterExpression(
            filter=beta.Filter(
                field_name="eventName",
                in_list_filter=beta.Filter.InListFilter(values=list(events), case_sensitive=True),
            )
        ),
        limit=max(1, len(events) * len(date_ranges)),
        return_property_quota=True,
    )


def site_totals_request(date_ranges: Sequence[DateSpanLike]) -> beta.RunReportRequest:
    """Users and sessions of the whole property (per date range)."""
    return beta.RunReportRequest(
        date_ranges=_date_ranges(beta, date_ranges),
        metrics=[beta.Metric(name=m) for m in SITE_METRICS],
        return_property_quota=True,
    )


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


# --------------------------------------------------------------------------- the gateway


class DataGateway:
    """Runs Data API reports on one GA4 property.

    :param target: the property and connection settings (timeout, retry deadline).
    :param clients: prebuilt clients (default: built from ``target``; credentials load now,
        so a :class:`~ga_goals.errors.CredentialsError` surfaces here).
    :param max_parallel: calls sent at the same time by :meth:`run_all`.
    """

    def __init__(self, target: Target, *, clients: DataClients | None = None, max_parallel: int = MAX_PARALLEL) -> None:
        self.target = target
        self.quota = QuotaUsage()
        self.max_parallel = max(1, max_parallel)
        self._clients = clients or build_data_clients(target)
        self._settings: PropertySettings | None = None

    # -- lifecycle

    def __enter__(self) -> DataGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._clients.close()

    @builtins.property  # the method `property` hides the builtin in this class
    def property(self) -> str:
        return self.target.property

    @builtins.property
    def calls(self) -> collections.Counter[str]:
        """Data API RPCs sent so far (every attempt), by method name."""
        return self._clients.calls

    @builtins.property
    def call_count(self) -> int:
        return sum(self._clients.calls.values())

    @builtins.property
    def admin_calls(self) -> collections.Counter[str]:
        """Admin API RPCs sent so far (GetProperty), by method name."""
        return self._clients.admin_calls

    # -- low level

    def _retry(self) -> retries.Retry:
        return retries.Retry(
            predicate=is_transient,
            initial=self.target.retry_initial,
            maximum=max(MAX_BACKOFF, self.target.retry_initial),
            multiplier=2.0,
            timeout=self.target.retry_deadline,
        )

    def _call(self, fn: Callable[..., Any], request: Any, what: str) -> Any:
        try:
            return fn(request=request, retry=self._retry(), timeout=self.target.timeout)
        except Exception as exc:
            raise self._map(exc, what) from exc

    def _map(self, exc: BaseException, what: str) -> GaGoalsError:
        label = property_label(self.property)
        if isinstance(exc, gexc.GoogleAPICallError) and is_rate_limit(exc):
            return QuotaExhausted(
                f"{what}: GA4 Data API quota exhausted for {label} ({(exc.message or '').strip() or exc.__class__.__name__}). "
                "Data API tokens refill every hour and every day (a standard property has 40,000 tokens "
                "an hour and 200,000 a day, shared with every tool that reads it): run the report again "
                "in an hour, or tomorrow. Nothing was retried."
            )
        if isinstance(exc, gexc.PermissionDenied) and "scope" in (exc.message or "").lower():
            return CredentialsError(
                f"{what}: the credentials lack the Analytics scope ({exc.message}). Reports need {DATA_SCOPES[0]}.",
                hint=CREDENTIALS_HINT,
            )
        if isinstance(exc, gexc.InvalidArgument):
            return map_error(exc, prop=self.property, what=f"{what} ({label})", sandbox=self.target.is_sandbox)
        return map_error(
            exc,
            prop=self.property,
            what=what,
            reading=True,
            retry_deadline=self.target.retry_deadline,
            sandbox=self.target.is_sandbox,
        )

    def run_all(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Run independent calls, ``max_parallel`` at a time; the first error (in job order) is raised."""
        return run_parallel(jobs, self.max_parallel, name="ga4-data")

    # -- property

    def property_settings(self) -> PropertySettings:
        """Display name, time zone and currency of the property (one Admin GetProperty, cached)."""
        if self._settings is None:
            message = self._call(self._clients.admin.get_property, {"name": self.property}, "read the property settings")
            self._settings = PropertySettings(
                property=self.property,
                display_name=message.display_name,
                time_zone=message.time_zone or "UTC",
                currency=message.currency_code or "USD",
            )
        return self._settings

    def metadata(self) -> PropertyMetadata:
        """The dimensions and metrics the property can report, custom definitions included."""
        response = self._call(
            self._clients.beta.get_metadata, beta.GetMetadataRequest(name=f"{self.property}/metadata"), "read the report metadata"
        )
        self.quota.responses_without_quota += 1  # GetMetadata has no property_quota field
        return PropertyMetadata(
            dimensions=frozenset(d.api_name for d in response.dimensions),
            metrics=frozenset(m.api_name for m in response.metrics),
        )

    # -- funnels

    def run_funnel_request(
        self,
        request: alpha.RunFunnelReportRequest,
        *,
        step_names: Sequence[str],
        date_ranges: Sequence[str],
        breakdown: str | None = None,
        what: str = "run a funnel report",
    ) -> FunnelTable:
        """Send one ``RunFunnelReportRequest`` and parse its funnel table."""
        response = self._call(self._clients.alpha.run_funnel_report, request, what)
        self.quota.add("funnel", response)
        return parse_funnel_table(response, step_names=step_names, date_ranges=date_ranges, breakdown=breakdown)

    def run_funnel(
        self, funnel: Funnel, date_ranges: Sequence[DateSpanLike], *, segments: Sequence[alpha.Segment] = ()
    ) -> FunnelTable:
        """One RunFunnelReport: the plan funnel over every date range (and breakdown), and over each
        of ``segments`` (default: the funnel's own segments, :func:`segment_proto`)."""
        segments = list(segments) or [segment_proto(s) for s in funnel.segments]
        if len(segments) > MAX_SEGMENTS:
            raise ValueError(f"GA4 takes at most {MAX_SEGMENTS} segments per funnel request, got {len(segments)}")
        request = funnel_request(self.property, funnel, date_ranges, segments=segments)
        names = [d.name for d in date_ranges]
        if funnel.breakdown == TREND_DIMENSION:
            response = self._call(self._clients.alpha.run_funnel_report, request, f"trended funnel report {funnel.name!r}")
            self.quota.add("funnel", response)
            table = parse_funnel_table(response, step_names=[s.name for s in funnel.steps], date_ranges=names, breakdown=None)
            return parse_trended_visualization(response, table, date_ranges=names)
        return self.run_funnel_request(
            request,
            step_names=[s.name for s in funnel.steps],
            date_ranges=names,
            breakdown=funnel.breakdown,
            what=f"funnel report {funnel.name!r}",
        )

    def next_actions(self, funnel: Funnel, span: DateSpanLike, dimension: str, limit: int) -> NextActions:
        """One RunFunnelReport with a next action (rule 10) over ``span``."""
        request = next_actions_request(self.property, funnel, span, dimension, limit)
        response = self._call(self._clients.alpha.run_funnel_report, request, f"next actions of funnel {funnel.name!r}")
        self.quota.add("funnel", response)
        return parse_next_actions(response, funnel, dimension)

    def lift_jobs(
        self, macro: str, micros: Sequence[str], date_ranges: Sequence[DateSpanLike]
    ) -> tuple[list[Callable[[], FunnelTable]], Callable[[list[FunnelTable]], LiftTables]]:
        """The calls of the micro vs macro table (the baseline ``session_start -> macro`` first,
        then one closed funnel ``micro -> macro`` per micro conversion), and how to assemble
        their results: for :meth:`run_all` with other calls."""
        names = [d.name for d in date_ranges]
        micros = list(dict.fromkeys(micros))

        def job(funnel: Funnel, what: str) -> Callable[[], FunnelTable]:
            request = funnel_request(self.property, funnel, date_ranges, breakdown=False)
            steps = [s.name for s in funnel.steps]
            return lambda: self.run_funnel_request(request, step_names=steps, date_ranges=names, what=what)

        jobs = [job(lift_funnel(macro), f"micro vs macro funnel ({macro}, all users)")]
        jobs += [job(micro_funnel(m, macro), f"micro vs macro funnel ({m} -> {macro})") for m in micros]

        def assemble(tables: list[FunnelTable]) -> LiftTables:
            return LiftTables(baseline=tables[0], micros=dict(zip(micros, tables[1:])))

        return jobs, assemble

    def micro_lift(self, macro: str, micros: Sequence[str], date_ranges: Sequence[DateSpanLike]) -> LiftTables:
        """Users who did each micro conversion, and how many of them converted (``macro``) after it."""
        jobs, assemble = self.lift_jobs(macro, micros, date_ranges)
        return assemble(self.run_all(jobs))

    # -- core reports

    def batch_run_reports(
        self, requests: Sequence[beta.RunReportRequest], *, date_ranges: Sequence[str] = (), what: str = "run reports"
    ) -> list[ReportTable]:
        """RunReport requests in BatchRunReports of at most 5 (one call for up to 5 reports)."""
        out: list[ReportTable] = []
        for group in chunks(list(requests), MAX_BATCH):
            batch = beta.BatchRunReportsRequest(property=self.property, requests=group)
            response = self._call(self._clients.beta.batch_run_reports, batch, what)
            for report in response.reports:
                self.quota.add("core", report)
                out.append(parse_report(report, date_ranges=date_ranges))
        return out

    def run_report(self, request: beta.RunReportRequest, *, date_ranges: Sequence[str] = (), what: str = "run a report") -> ReportTable:
        """One RunReport (prefer :meth:`batch_run_reports` for several)."""
        if not request.property:
            request.property = self.property
        response = self._call(self._clients.beta.run_report, request, what)
        self.quota.add("core", response)
        return parse_report(response, date_ranges=date_ranges)

    def event_totals(self, events: Sequence[str], date_ranges: Sequence[DateSpanLike]) -> tuple[ReportTable, ReportTable]:
        """Key-event totals (count, users, value per event) and site totals (users, sessions),
        both in ONE BatchRunReports call."""
        names = [d.name for d in date_ranges]
        requests = [event_totals_request(events, date_ranges), site_totals_request(date_ranges)]
        events_table, site_table = self.batch_run_reports(requests, date_ranges=names, what="key-event totals")
        return events_table, site_table


__all__ = [
    "DataGateway",
    "FunnelTable",
    "LiftTables",
    "PropertyMetadata",
    "PropertySettings",
    "QuotaUsage",
    "ReportTable",
    "StepValues",
    "event_totals_request",
    "funnel_request",
    "lift_funnel",
    "micro_segment",
    "parse_caveats",
    "parse_funnel_table",
    "parse_report",
    "site_totals_request",
]
