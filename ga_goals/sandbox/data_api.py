"""The sandbox's GA4 Data API over gRPC with the real protos: reports and funnels on DuckDB events.

Registered on a :class:`~ga_goals.sandbox.server.SandboxServer` through ``add_methods`` (so call
counting, latency and faults apply as to the Admin API):

``google.analytics.data.v1beta.BetaAnalyticsData``
    ``RunReport``, ``BatchRunReports`` (1 to 5 requests; an inner ``property`` must be empty or
    the batch's), ``GetMetadata`` (``properties/N/metadata``: what :mod:`ga_goals.sandbox.reporting`
    computes plus the property's registered custom definitions as ``customEvent:``,
    ``customUser:`` and ``customItem:`` dimensions, custom metrics as ``customEvent:`` metrics and
    ``keyEvents:<event>`` per key event; ``properties/0/metadata`` without them).
``google.analytics.data.v1alpha.AlphaAnalyticsData``
    ``RunFunnelReport``, ``RunReport`` and ``GetMetadata`` (the v1beta ones, converted), and
    ``GetPropertyQuotasSnapshot``.

Events come from :class:`~ga_goals.sandbox.events.SandboxEvents` (one DuckDB file per property,
default shop traffic generated on the first call), plus the events the property's event create
rules make (:func:`ga_goals.sandbox.reporting.events_source`); reports are SQL
(:mod:`ga_goals.sandbox.reporting`); funnels are :func:`ga_goals.funnels.run_funnel` (the one
funnel engine) and :func:`ga_goals.funnels.step_metrics` (the one derivation of completion and
abandonment); quotas are :class:`~ga_goals.sandbox.data_quota.DataQuota`.

RunReport requests are checked and answered by :mod:`ga_goals.sandbox.run_report`, date ranges,
limits and number formats shared by every method are :mod:`ga_goals.sandbox.data_requests`;
``RunPivotReport`` and ``BatchRunPivotReports`` are :mod:`ga_goals.sandbox.pivots`. This module is
past 600 lines because RunFunnelReport lives here whole: the method, the translation of its
request into a plan :class:`~ga_goals.model.tracking_plan.Funnel` (:func:`funnel_from_request`)
and the shaping of the response (:func:`funnel_response`); the last two, about 250 lines, are the
seam to split along when it grows. Methods of
both services that the sandbox does not serve (``RunRealtimeReport``, ``CheckCompatibility``, audience exports and lists,
report tasks: :data:`UNIMPLEMENTED_BETA`, :data:`UNIMPLEMENTED_ALPHA`) check the request's property
name as every method does (malformed: INVALID_ARGUMENT) and answer UNIMPLEMENTED with the reason.

**RunReport** supports dimensions and metrics as listed in :mod:`ga_goals.sandbox.reporting` and
:mod:`ga_goals.sandbox.report_fields` (a field GA4 has but the sandbox does not compute is
UNIMPLEMENTED, one GA4 does not have INVALID_ARGUMENT: :mod:`ga_goals.sandbox.ga4_schema`);
``dimension_filter`` (and/or/not groups of string (EXACT, BEGINS_WITH, ENDS_WITH, CONTAINS,
FULL_REGEXP, PARTIAL_REGEXP), in-list, numeric, between and empty filters, on any supported
dimension), ``metric_filter`` (numeric and between filters on metrics), 1 to 4 date ranges
(``YYYY-MM-DD``, ``today``, ``yesterday``, ``NdaysAgo`` in the property's time zone; named or
``date_range_N``; a ``dateRange`` column is appended with several), ``order_bys`` (metric, or
dimension ALPHANUMERIC / CASE_INSENSITIVE_ALPHANUMERIC / NUMERIC; default: the first metric,
descending), ``offset`` / ``limit`` (default 10,000, at most 250,000), ``row_count``,
``metric_aggregations`` TOTAL / MAXIMUM / MINIMUM (rows ``RESERVED_TOTAL`` / ``RESERVED_MAX`` /
``RESERVED_MIN``, one per date range), ``keep_empty_rows`` (rows whose metrics are all zero are
left out otherwise), ``metadata.currency_code`` / ``time_zone`` and ``property_quota``; metric
``expression``, ``invisible`` and ``calcMetric:<id>`` metrics (:mod:`ga_goals.sandbox.derived_metrics`),
``comparisons`` with a ``dimensionFilter`` (:mod:`ga_goals.sandbox.comparisons`); COUNT is a pivot
aggregation (INVALID_ARGUMENT in RunReport, whose response has no place for it).
Not supported (UNIMPLEMENTED, with a message): ``cohort_spec``, dimension expressions, pivot
order bys, aggregations with comparisons, comparisons and invisible metrics in pivots.

**RunFunnelReport**: steps whose ``filter_expression`` nests ``and_group``, ``or_group``,
``not_expression``, ``funnel_event_filter`` (event name and a parameter filter expression: and
groups, ``not_expression`` of one condition, string (as above), in-list, numeric and between
filters on event parameters) and ``funnel_field_filter`` on the dimensions a funnel step may use
(rule 3b of ``ga_goals.funnels.semantics``: ``pagePath`` is refused as GA4 refuses it, other
dimensions UNIMPLEMENTED), ``is_directly_followed_by``,
``within_duration_from_prior_step``, open and closed funnels, 1 to 4 date ranges (default: 28
days ending yesterday; a ``dateRange`` column with several), a breakdown (``limit`` 1..15,
default 5: the top values by users at the first step per date range and segment, the others
only in the ``RESERVED_TOTAL`` row), up to 4 segments (a ``segment`` column valued
``"<n>. <segment name>"`` as GA4 documents): user, session and event segments of the form
ga-goals sends (one condition group scoped ``*_CRITERIA_WITHIN_SAME_EVENT``, a permanent exclusion
of the same form: :func:`segment_from_request`, computed by the funnel engine, rule 11 of
``ga_goals.funnels.semantics``), and other user segments (:func:`ga_goals.sandbox.reporting.segment_users_sql`),
a ``dimension_filter`` on event-scoped dimensions, ``limit`` of rows, ``property_quota``. The
response is shaped like the live one: ``funnel_table`` with ``funnelStepName`` ("1. name"),
the four metrics listed twice in the headers (eight headers, four values per row) all typed
TYPE_INTEGER, rates as fraction strings ("0.2857142857142857", "1", "0"), no row for a step
without users; ``funnel_visualization`` with ``funnelStepName`` (+ ``segment``, ``dateRange``)
and ``activeUsers``; ``kind = "analyticsData#runFunnelReport"``. Not supported: or-groups of
several parameter conditions and negated groups of parameter conditions, item parameters, session and event segments of another form, sequence
groups (UNIMPLEMENTED).

``funnel_visualization_type=TRENDED_FUNNEL`` adds a ``date`` column (``YYYYMMDD``) to the
visualization, after ``segment``: per step and day the users who entered the funnel that day
(rule 9 of ``ga_goals.funnels.semantics``). ``funnel_next_action`` (``eventName``,
``pageLocation`` or ``pageTitle``; ``limit`` 1..5, default 5) adds that dimension's column to the
visualization: per step a ``RESERVED_TOTAL`` row (the step's users) and, for each step but the
last, the ``limit`` most frequent next values of the users who left there (rule 10; most users
first, ties by value). Both at once: UNIMPLEMENTED.

**Thresholds, sampling, "(other)"**: the figures are always exact; the ``data_caveats`` setting
(:mod:`ga_goals.sandbox.data_caveats`, ``$GA_GOALS_SANDBOX_DATA_CAVEATS``) makes responses say
``subject_to_thresholding``, ``data_loss_from_other_row`` and ``sampling_metadatas`` where GA4
would, so that reports can be tested showing them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta

from ga_goals.errors import GaGoalsError
from ga_goals.model import ga4_facts as facts
from ga_goals.sandbox.admin import SandboxError, invalid, not_found
from ga_goals.sandbox.data_caveats import NONE as NO_CAVEATS
from ga_goals.sandbox.data_caveats import ResponseCaveats
from ga_goals.sandbox.data_quota import DataQuota, funnel_cost
from ga_goals.sandbox.derived_metrics import calculated_metrics_metadata
from ga_goals.sandbox.data_requests import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    RESERVED_TOTAL,
    batch_requests,
    date_spans,
    number_text,
    sampling,
    time_zone_of,
)
from ga_goals.sandbox.data_requests import enum_name as _enum_name
from ga_goals.sandbox.events import SandboxEvents
from ga_goals.sandbox.reporting import (
    DATE_RANGE,
    Catalogue,
    DateSpan,
    event_dimension_sql,
    events_source,
    filter_sql,
    segment_users_sql,
    unimplemented,
)
from ga_goals.sandbox.run_report import execute_report, prepare_report
from ga_goals.sandbox.store import SandboxStore

if TYPE_CHECKING:
    from ga_goals.funnels import StepMetrics
    from ga_goals.model.tracking_plan import Funnel, Segment, StepCondition, StepFilter
    from ga_goals.sandbox.server import SandboxServer

BETA_SERVICE = "google.analytics.data.v1beta.BetaAnalyticsData"
ALPHA_SERVICE = "google.analytics.data.v1alpha.AlphaAnalyticsData"

MAX_SEGMENTS = 4
MAX_STEPS = 10
DEFAULT_BREAKDOWN_LIMIT = 5
MAX_BREAKDOWN_LIMIT = 15
#: GA4's default and largest ``funnelNextAction.limit``.
DEFAULT_NEXT_ACTION_LIMIT = 5
#: The funnel's date range when a request has none.
DEFAULT_FUNNEL_RANGE = ("28daysAgo", "yesterday")

STEP_COLUMN = "funnelStepName"
SEGMENT_COLUMN = "segment"
FUNNEL_METRICS = ("activeUsers", "funnelStepCompletionRate", "funnelStepAbandonments", "funnelStepAbandonmentRate")

_AUDIENCES = (
    "audiences are not modelled by the sandbox (GA4 builds them from the property's audience "
    "definitions over time); test audience code against a real property"
)
_TASKS = "report tasks run RunReport asynchronously in GA4; the sandbox answers RunReport directly, use it"
#: Methods of the v1beta service the sandbox does not serve, and why (their answer is UNIMPLEMENTED).
UNIMPLEMENTED_BETA = {
    "RunRealtimeReport": (
        "realtime reports read the last 30 minutes of collection, and the sandbox holds a daily "
        "export table (GA4's BigQuery export schema) without collection times to replay; use RunReport "
        "with dateHourMinute over today"
    ),
    "CheckCompatibility": "ask GetMetadata for the fields the sandbox computes, or run the report",
    "CreateAudienceExport": _AUDIENCES,
    "QueryAudienceExport": _AUDIENCES,
    "GetAudienceExport": _AUDIENCES,
    "ListAudienceExports": _AUDIENCES,
}
#: The same for the v1alpha service.
UNIMPLEMENTED_ALPHA = {
    "CreateAudienceList": _AUDIENCES,
    "QueryAudienceList": _AUDIENCES,
    "GetAudienceList": _AUDIENCES,
    "ListAudienceLists": _AUDIENCES,
    "CreateRecurringAudienceList": _AUDIENCES,
    "GetRecurringAudienceList": _AUDIENCES,
    "ListRecurringAudienceLists": _AUDIENCES,
    "CreateReportTask": _TASKS,
    "QueryReportTask": _TASKS,
    "GetReportTask": _TASKS,
    "ListReportTasks": _TASKS,
}

_PROPERTY = re.compile(r"^properties/([0-9]+)$")
_METADATA = re.compile(r"^properties/([0-9]+)/metadata$")
_QUOTAS = re.compile(r"^properties/([0-9]+)/propertyQuotasSnapshot$")


class DataApi:
    """The Data API's behaviour (see the module docstring); one per server."""

    def __init__(
        self, store: SandboxStore, events: SandboxEvents, quota: DataQuota, caveats: ResponseCaveats = NO_CAVEATS
    ) -> None:
        from ga_goals.sandbox.pivots import PivotReports

        self.store = store
        self.events = events
        self.quota = quota
        #: What responses say about their data (thresholding, sampling, "(other)"): data_caveats.
        self.caveats = caveats
        self.pivots = PivotReports(self)

    def _sampling(self, con: Any, source: str, spans: Sequence[DateSpan]) -> list[tuple[int, int]]:
        return sampling(self.caveats, con, source, spans)

    # -- registration ----------------------------------------------------------------------------

    def register(self, server: SandboxServer) -> None:
        """Serve the v1beta and v1alpha Data API methods on ``server`` (before it starts)."""
        server.add_methods(
            BETA_SERVICE,
            "data.v1beta",
            {
                "RunReport": (self.run_report, beta.RunReportRequest.deserialize, beta.RunReportResponse.serialize, ()),
                "BatchRunReports": (
                    self.batch_run_reports,
                    beta.BatchRunReportsRequest.deserialize,
                    beta.BatchRunReportsResponse.serialize,
                    (),
                ),
                "GetMetadata": (self.get_metadata, beta.GetMetadataRequest.deserialize, beta.Metadata.serialize, ()),
                "RunPivotReport": (
                    self.pivots.run,
                    beta.RunPivotReportRequest.deserialize,
                    beta.RunPivotReportResponse.serialize,
                    (),
                ),
                "BatchRunPivotReports": (
                    self.pivots.batch,
                    beta.BatchRunPivotReportsRequest.deserialize,
                    beta.BatchRunPivotReportsResponse.serialize,
                    (),
                ),
            },
        )
        server.add_methods(
            ALPHA_SERVICE,
            "data.v1alpha",
            {
                "RunFunnelReport": (
                    self.run_funnel_report,
                    alpha.RunFunnelReportRequest.deserialize,
                    alpha.RunFunnelReportResponse.serialize,
                    (),
                ),
                "RunReport": (self.run_report_alpha, alpha.RunReportRequest.deserialize, alpha.RunReportResponse.serialize, ()),
                "GetMetadata": (self.get_metadata_alpha, alpha.GetMetadataRequest.deserialize, alpha.Metadata.serialize, ()),
                "GetPropertyQuotasSnapshot": (
                    self.property_quotas_snapshot,
                    alpha.GetPropertyQuotasSnapshotRequest.deserialize,
                    alpha.PropertyQuotasSnapshot.serialize,
                    (),
                ),
            },
        )

        for service, label, module, table in (
            (BETA_SERVICE, "data.v1beta", beta, UNIMPLEMENTED_BETA),
            (ALPHA_SERVICE, "data.v1alpha", alpha, UNIMPLEMENTED_ALPHA),
        ):
            server.add_methods(service, label, {m: self._refusal(module, m, why) for m, why in table.items()})

    def _refusal(self, module: Any, method: str, why: str) -> Any:
        """A method the sandbox does not serve: the request's property is checked as everywhere
        (malformed: INVALID_ARGUMENT; unknown: NOT_FOUND), then UNIMPLEMENTED saying why."""
        request_type = getattr(module, f"{method}Request")
        # The field naming the property (``parent``: properties/1; ``name``: properties/1/audienceLists/2).
        field_name = next(f for f in ("property", "parent", "name") if f in request_type.meta.fields)

        def refuse(request: Any) -> Any:
            value = str(getattr(request, field_name) or "")
            self._property("/".join(value.split("/")[:2]) if value.startswith("properties/") else value, field_name)
            raise SandboxError("UNIMPLEMENTED", f"The GA4 sandbox does not implement {method}: {why}")

        return (refuse, request_type.deserialize, lambda message: b"", ())

    def close(self) -> None:
        self.events.close()

    # -- common ------------------------------------------------------------------------------------

    def _state(self, property_id: str, name: str) -> dict[str, Any]:
        if not property_id.isdigit() or property_id.startswith("0"):
            raise invalid(f"{name!r} is malformed: a property id is a positive number without leading zeros, e.g. properties/1234")
        state = self.store.load(property_id)
        if state is None:
            known = self.store.properties()
            hint = f" (the sandbox has: {', '.join(known[:5])}{', ...' if len(known) > 5 else ''})" if known else ""
            raise not_found(name, hint)
        return state

    @staticmethod
    def _property_id(name: str, what: str = "property", pattern: re.Pattern[str] = _PROPERTY) -> str:
        """The property id of a resource name, or INVALID_ARGUMENT (every method checks names this way)."""
        match = pattern.match(name or "")
        example = pattern.pattern.strip("^$").replace("([0-9]+)", "1234")
        if not name:
            raise invalid(f"{what} is required: e.g. {example}")
        if not match:
            raise invalid(f"{what} {name!r} is malformed: expected e.g. {example}")
        pid = match.group(1)
        if pid.startswith("0"):
            raise invalid(f"{what} {name!r} is malformed: a property id is a positive number without leading zeros, e.g. {example}")
        return pid

    def _property(self, name: str, what: str = "property") -> tuple[str, dict[str, Any]]:
        pid = self._property_id(name, what)
        return pid, self._state(pid, name)

    @contextlib.contextmanager
    def _events(self, property_id: str, time_zone: str) -> Iterator[Any]:
        """A cursor on the property's events; a file another process holds is FAILED_PRECONDITION."""
        with contextlib.ExitStack() as stack:
            try:
                con = stack.enter_context(self.events.reading(property_id, time_zone))
            except GaGoalsError as exc:
                raise SandboxError("FAILED_PRECONDITION", str(exc)) from None
            yield con

    @staticmethod
    def _tier(state: dict[str, Any]) -> str:
        return str(state["property"].get("service_level") or "")

    _time_zone = staticmethod(time_zone_of)
    _spans = staticmethod(date_spans)

    # -- RunReport: checked and answered by ga_goals.sandbox.run_report ---------------------------------------------------------------------------------

    def run_report(self, request: Any) -> beta.RunReportResponse:
        pid, state = self._property(request.property)
        prepared = prepare_report(request, state)
        with self.quota.request(pid, "core", self._tier(state)) as charge:
            with self._events(pid, self._time_zone(state)) as con:
                response, cost = execute_report(prepared, con, self.caveats)
            quota = charge(cost)
        if request.return_property_quota:
            response.property_quota = quota.to_message(beta)
        return response

    def batch_run_reports(self, request: Any) -> beta.BatchRunReportsResponse:
        pid, state = self._property(request.property)
        inner = batch_requests(request, "BatchRunReports")
        prepared = [prepare_report(r, state, where=f"requests[{i}]") for i, r in enumerate(inner)]
        reports = []
        tier, time_zone = self._tier(state), self._time_zone(state)
        with self.quota.request(pid, "core", tier) as charge, self._events(pid, time_zone) as con:
            for item in prepared:
                response, cost = execute_report(item, con, self.caveats)
                quota = charge(cost)
                if item.request.return_property_quota:
                    response.property_quota = quota.to_message(beta)
                reports.append(response)
        return beta.BatchRunReportsResponse(reports=reports, kind="analyticsData#batchRunReports")

    def run_report_alpha(self, request: Any) -> alpha.RunReportResponse:
        """v1alpha RunReport: the v1beta one (the messages share their JSON form)."""
        if "conversion_spec" in request:
            raise unimplemented("conversionSpec")
        converted = beta.RunReportRequest.from_json(alpha.RunReportRequest.to_json(request), ignore_unknown_fields=True)
        response = self.run_report(converted)
        return alpha.RunReportResponse.from_json(beta.RunReportResponse.to_json(response), ignore_unknown_fields=True)

    # -- GetMetadata -------------------------------------------------------------------------------

    def get_metadata(self, request: Any) -> beta.Metadata:
        match = _METADATA.match(request.name or "")
        if not match:
            raise invalid(f"name {request.name!r} is malformed: expected properties/{{property_id}}/metadata")
        pid = match.group(1)
        state: dict[str, Any] | None = None
        if pid == "0":
            catalogue = Catalogue.for_property(None)
        else:
            state = self._state(pid, f"properties/{pid}")
            self.quota.charge(pid, "core", self._tier(state), 1)
            catalogue = Catalogue.for_property(state)
        dims = list(catalogue.dimensions.values())
        return beta.Metadata(
            name=request.name,
            dimensions=[
                beta.DimensionMetadata(
                    api_name=d.api_name,
                    ui_name=d.ui_name,
                    description=d.description,
                    category=d.category,
                    custom_definition=d.custom,
                )
                for d in dims
            ],
            metrics=[
                beta.MetricMetadata(
                    api_name=m.api_name,
                    ui_name=m.ui_name,
                    description=m.description,
                    type_=getattr(beta.MetricType, m.type_),
                    category=m.category,
                    custom_definition=m.custom,
                )
                for m in catalogue.metrics.values()
            ]
            + calculated_metrics_metadata(catalogue, state),
        )

    def get_metadata_alpha(self, request: Any) -> alpha.Metadata:
        response = self.get_metadata(beta.GetMetadataRequest(name=request.name))
        return alpha.Metadata.from_json(beta.Metadata.to_json(response), ignore_unknown_fields=True)

    def property_quotas_snapshot(self, request: Any) -> alpha.PropertyQuotasSnapshot:
        pid = self._property_id(request.name, "name", _QUOTAS)
        state = self._state(pid, f"properties/{pid}")
        tier = self._tier(state)
        core = self.quota.snapshot(pid, "core", tier).to_message(alpha)
        funnel = self.quota.snapshot(pid, "funnel", tier).to_message(alpha)
        return alpha.PropertyQuotasSnapshot(
            name=request.name, core_property_quota=core, funnel_property_quota=funnel, realtime_property_quota=core
        )

    # -- RunFunnelReport ---------------------------------------------------------------------------

    def run_funnel_report(self, request: Any) -> alpha.RunFunnelReportResponse:
        from ga_goals.funnels import FunnelDefinitionError, run_funnel
        from ga_goals.funnels.semantics import validate
        from ga_goals.funnels.dimensions import TREND_DIMENSION
        from ga_goals.funnels.sql import BREAKDOWN_DIMENSIONS, run_next_actions

        pid, state = self._property(request.property)
        time_zone = self._time_zone(state)
        catalogue = Catalogue.for_property(state)
        spans = self._spans(request.date_ranges, time_zone, default=DEFAULT_FUNNEL_RANGE)
        if "funnel" not in request:
            raise invalid("funnel is required")
        funnel = funnel_from_request(request.funnel)
        try:
            validate(funnel)
        except FunnelDefinitionError as exc:
            raise invalid(f"funnel: {exc}") from None
        trended = _enum_name(request.funnel_visualization_type) == "TRENDED_FUNNEL"
        next_action: tuple[str, int] | None = None
        if "funnel_next_action" in request:
            next_action = self._next_action(request.funnel_next_action, catalogue)
            if trended:
                raise unimplemented("funnelNextAction with the TRENDED_FUNNEL visualization")
        breakdown: str | None = None
        breakdown_limit = DEFAULT_BREAKDOWN_LIMIT
        if "funnel_breakdown" in request:
            fb = request.funnel_breakdown
            name = fb.breakdown_dimension.name if "breakdown_dimension" in fb else ""
            if not name:
                raise invalid("funnelBreakdown.breakdownDimension: a valid dimension is required")
            catalogue.dimension(name, where=" (funnelBreakdown)")
            if name not in BREAKDOWN_DIMENSIONS and not name.startswith(("customEvent:", "customUser:")):
                raise unimplemented(
                    f"breaking a funnel down by {name} (breakdowns: {', '.join(BREAKDOWN_DIMENSIONS)}, "
                    "customEvent:<parameter>, customUser:<property>)"
                )
            if "limit" in fb:
                if not 0 < fb.limit <= MAX_BREAKDOWN_LIMIT:
                    raise invalid(
                        f"funnelBreakdown.limit must exceed zero and cannot exceed {MAX_BREAKDOWN_LIMIT}, got {fb.limit}"
                    )
                breakdown_limit = int(fb.limit)
            breakdown = name
        segments = list(request.segments)
        if len(segments) > MAX_SEGMENTS:
            raise invalid(f"segments: at most {MAX_SEGMENTS} segments are allowed in a funnel report, got {len(segments)}")
        # Segments of ga-goals' form are computed by the funnel engine (rule 11); other user
        # segments by segment_users_sql.
        plan_segments = [segment_from_request(s, f"segments[{i}]") for i, s in enumerate(segments)]
        if request.limit < 0:
            raise invalid("limit must not be negative")
        row_limit = min(request.limit or DEFAULT_LIMIT, MAX_LIMIT)
        conditions: list[str] = []
        if "dimension_filter" in request:
            conditions.append(
                filter_sql(
                    request.dimension_filter,
                    lambda n: event_dimension_sql(
                        catalogue.dimension(n, where=" (dimensionFilter)"), "in a funnel's dimensionFilter"
                    ),
                    "dimensionFilter",
                )
            )
        # Source relation per (range, segment): the events (and created events), or a filtered SELECT of them.
        base = events_source(state)
        sources: dict[tuple[int, int | None], str] = {}
        for ri, span in enumerate(spans):
            for si in range(len(segments)) if segments else [None]:
                parts = list(conditions)
                if si is not None and plan_segments[si] is None:
                    users = segment_users_sql(segments[si], catalogue, span, f"segments[{si}]", table=base)
                    parts.append(f"t.user_pseudo_id IN (SELECT uid FROM ({users}) AS su)")
                sources[(ri, si)] = f"(SELECT t.* FROM {base} AS t WHERE {' AND '.join(parts)})" if parts else base

        with self.quota.request(pid, "funnel", self._tier(state)) as charge:
            results = {}
            extra: dict[tuple[int, int | None], Any] = {}
            with self._events(pid, time_zone) as con:
                for (ri, si), source in sources.items():
                    span = spans[ri]
                    try:
                        results[(ri, si)] = run_funnel(
                            con,
                            funnel,
                            span.start,
                            span.end,
                            breakdown,
                            limit=breakdown_limit,
                            table=source,
                            segment=None if si is None else plan_segments[si],
                        )
                        if trended:
                            extra[(ri, si)] = run_funnel(con, funnel, span.start, span.end, TREND_DIMENSION, table=source)
                        elif next_action is not None:
                            extra[(ri, si)] = run_next_actions(con, funnel, span.start, span.end, next_action[0], table=source)
                    except FunnelDefinitionError as exc:
                        raise invalid(f"funnel: {exc}") from None
                sampling = self._sampling(con, base, spans)
            response = funnel_response(funnel, spans, segments, breakdown, results, row_limit)
            if trended or next_action is not None:
                response.funnel_visualization = visualization_rows(
                    funnel, spans, segments, results, extra, next_action, row_limit
                )
            for sub in (response.funnel_table, response.funnel_visualization):
                sub.metadata.sampling_metadatas = [
                    alpha.SamplingMetadata(samples_read_count=read, sampling_space_size=space) for read, space in sampling
                ]
            cost = funnel_cost(
                len(funnel.steps),
                len(spans),
                len(segments),
                breakdown is not None,
                len(response.funnel_table.rows),
                max(s.days for s in spans),
            )
            quota = charge(cost)
        if request.return_property_quota:
            response.property_quota = quota.to_message(alpha)
        return response


    def _next_action(self, message: Any, catalogue: Catalogue) -> tuple[str, int]:
        """``funnelNextAction``: its dimension and limit, checked as GA4 documents them."""
        from ga_goals.funnels.semantics import next_action_problem

        name = message.next_action_dimension.name if "next_action_dimension" in message else ""
        if not name:
            raise invalid("funnelNextAction.nextActionDimension: a valid dimension is required")
        catalogue.dimension(name, where=" (funnelNextAction)")
        if next_action_problem(name):
            raise unimplemented(f"a next action of {name} (next actions: eventName, pageLocation, pageTitle)")
        limit = DEFAULT_NEXT_ACTION_LIMIT
        if "limit" in message:
            if not 0 < message.limit <= DEFAULT_NEXT_ACTION_LIMIT:
                raise invalid(f"funnelNextAction.limit must exceed zero and cannot exceed 5, got {message.limit}")
            limit = int(message.limit)
        return name, limit


# ---------------------------------------------------------------------------------------------
# Funnel requests -> ga_goals.model Funnel


def funnel_from_request(message: Any) -> Funnel:
    """A v1alpha ``Funnel`` as a :class:`ga_goals.model.tracking_plan.Funnel` (the engine's input)."""
    from ga_goals.model.tracking_plan import Funnel, FunnelStep

    steps = list(message.steps)
    if not steps:
        raise invalid("funnel.steps: a funnel needs at least one step")
    if len(steps) > MAX_STEPS:
        raise invalid(f"funnel.steps: at most {MAX_STEPS} steps are allowed, got {len(steps)}")
    out = []
    for i, step in enumerate(steps):
        where = f"funnel.steps[{i}]"
        if "filter_expression" not in step:
            raise invalid(f"{where}.filterExpression is required")
        condition = _step_condition(step.filter_expression, f"{where}.filterExpression")
        within: float | None = None
        if "within_duration_from_prior_step" in step:
            delta = step.within_duration_from_prior_step
            seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta.seconds) + delta.nanos / 1e9
            if seconds < 0:
                raise invalid(f"{where}.withinDurationFromPriorStep must not be negative")
            within = seconds
        out.append(
            FunnelStep(
                name=step.name,
                condition=condition,
                directly_followed=bool(step.is_directly_followed_by) and i > 0,
                within_seconds=within if i > 0 else None,
            )
        )
    return Funnel(name="funnel", title="", steps=tuple(out), open=bool(message.is_open_funnel))


#: The field names of a ``FunnelFilterExpression`` and of a ``SegmentFilterExpression``, which say
#: the same things (rule 3c): an event with parameter filters, a dimension condition, groups.
_FUNNEL_FIELDS = {
    "event": ("funnel_event_filter", "funnelEventFilter"),
    "parameters": ("funnel_parameter_filter_expression", "funnelParameterFilterExpression"),
    "parameter": ("funnel_parameter_filter", "funnelParameterFilter"),
    "field": ("funnel_field_filter", "funnelFieldFilter"),
}
_SEGMENT_FIELDS = {
    "event": ("segment_event_filter", "segmentEventFilter"),
    "parameters": ("segment_parameter_filter_expression", "segmentParameterFilterExpression"),
    "parameter": ("segment_parameter_filter", "segmentParameterFilter"),
    "field": ("segment_filter", "segmentFilter"),
}


def _step_condition(expression: Any, where: str, fields: dict[str, tuple[str, str]] = _FUNNEL_FIELDS) -> StepCondition:
    """A step's ``FunnelFilterExpression`` (or, with ``fields=_SEGMENT_FIELDS``, a segment's
    ``SegmentFilterExpression``) as a step condition (rule 3c of ``ga_goals.funnels``)."""
    from ga_goals.model.tracking_plan import AllOf, AnyOf, EventMatch, Not

    event_field, event_label = fields["event"]
    if event_field in expression:
        ef = getattr(expression, event_field)
        if "event_name" not in ef or not ef.event_name:
            raise invalid(f"{where}.{event_label}.eventName is required")
        filters: list[StepFilter] = []
        if fields["parameters"][0] in ef:
            filters = _parameter_filters(getattr(ef, fields["parameters"][0]), f"{where}.{event_label}", fields["parameter"][0])
        return EventMatch(ef.event_name, tuple(filters))
    for group, kind, label in (("and_group", AllOf, "andGroup"), ("or_group", AnyOf, "orGroup")):
        if group in expression:
            parts = [
                _step_condition(e, f"{where}.{label}.expressions[{i}]", fields)
                for i, e in enumerate(getattr(expression, group).expressions)
            ]
            if not parts:
                raise invalid(f"{where}.{label}: a group needs at least one expression")
            return parts[0] if len(parts) == 1 else kind(tuple(parts))
    if "not_expression" in expression:
        return Not(_step_condition(expression.not_expression, f"{where}.notExpression", fields))
    field_field, field_label = fields["field"]
    if field_field in expression:
        return _field_condition(getattr(expression, field_field), f"{where}.{field_label}")
    raise invalid(f"{where}: needs a {event_label} or a {field_label}")


#: Per segment scope: the field of ``Segment``, its inclusion and exclusion fields, and the
#: scoping and exclusion duration that say what rule 11 of ``ga_goals.funnels.semantics`` computes.
_SEGMENT_SCOPES = {
    "user": ("user_segment", "user_inclusion_criteria", "user_exclusion_criteria", "user_exclusion_duration",
             "USER_CRITERIA_WITHIN_SAME_EVENT", "USER_EXCLUSION_PERMANENT"),
    "session": ("session_segment", "session_inclusion_criteria", "session_exclusion_criteria",
                "session_exclusion_duration", "SESSION_CRITERIA_WITHIN_SAME_EVENT", "SESSION_EXCLUSION_PERMANENT"),
    "event": ("event_segment", "event_inclusion_criteria", "event_exclusion_criteria", "event_exclusion_duration",
              "EVENT_CRITERIA_WITHIN_SAME_EVENT", "EVENT_EXCLUSION_PERMANENT"),
}


def segment_from_request(message: Any, where: str) -> Segment | None:
    """A v1alpha ``Segment`` as a plan :class:`~ga_goals.model.tracking_plan.Segment` (rule 11), which
    the funnel engine computes, when it has the form ga-goals sends: one condition group scoped
    ``*_CRITERIA_WITHIN_SAME_EVENT``, and at most a permanent exclusion of the same form. None for
    another user segment (:func:`ga_goals.sandbox.reporting.segment_users_sql` computes it);
    session and event segments of another form are UNIMPLEMENTED."""
    from ga_goals.model.tracking_plan import Segment

    for scope, (field, inclusion, exclusion, duration, scoping, permanent) in _SEGMENT_SCOPES.items():
        if field not in message:
            continue
        body = getattr(message, field)

        def one_group(criteria: Any, path: str) -> StepCondition | None:
            groups = list(criteria.and_condition_groups)
            if len(groups) != 1 or len(getattr(criteria, "and_sequence_groups", ())):
                return None
            group = groups[0]
            if _enum_name(group.condition_scoping) != scoping or "segment_filter_expression" not in group:
                return None
            return _step_condition(
                group.segment_filter_expression, f"{path}.andConditionGroups[0].segmentFilterExpression", _SEGMENT_FIELDS
            )

        condition = one_group(getattr(body, inclusion), f"{where}.{inclusion}") if inclusion in body else None
        excluded: StepCondition | None = None
        plan_form = condition is not None
        if plan_form and "exclusion" in body:
            ex = body.exclusion
            excluded = one_group(getattr(ex, exclusion), f"{where}.exclusion") if exclusion in ex else None
            plan_form = excluded is not None and _enum_name(getattr(ex, duration)) == permanent
        if plan_form:
            assert condition is not None
            return Segment(name=message.name or "Segment", scope=scope, condition=condition, exclusion=excluded)  # type: ignore[arg-type]
        if scope == "user":
            return None
        raise unimplemented(
            f"{where}: {scope} segments other than one condition group scoped {scoping} "
            f"(and a {permanent} exclusion of the same form)"
        )
    raise invalid(f"{where}: a segment needs a userSegment, sessionSegment or eventSegment")


def _field_condition(ff: Any, where: str) -> StepCondition:
    """A ``funnelFieldFilter`` as a dimension condition (an ``eventName`` match as the event it names)."""
    from ga_goals.funnels.semantics import REFUSED_STEP_DIMENSIONS, step_dimension_problem
    from ga_goals.model.tracking_plan import DimensionFilter, EventMatch

    name = ff.field_name
    if not name:
        raise invalid(f"{where}.fieldName is required")
    if name in REFUSED_STEP_DIMENSIONS:
        raise invalid(f"{where}: {REFUSED_STEP_DIMENSIONS[name]}")
    if problem := step_dimension_problem(name):
        raise unimplemented(f"{where}: {problem}")
    op, value, case_sensitive = _comparison(ff, where)
    if name == "eventName" and op == "equals" and case_sensitive:
        return EventMatch(str(value))
    return DimensionFilter(name, op, value, case_sensitive)


# The Data API's names -> plan operators: the inverse of what ga-goals sends, plus what other
# clients may send (an unspecified match type is EXACT; PARTIAL_REGEXP is read as a full match
# of ``.*(?:pattern).*``).
_STRING_OPS = {match: op for op, match in facts.FILTER_STRING_MATCH.items()} | {
    "MATCH_TYPE_UNSPECIFIED": "equals",
    "PARTIAL_REGEXP": "matches",
}
_NUMERIC_OPS = {operation: op for op, operation in facts.FILTER_NUMERIC_OPERATION.items()}


def _number(value: Any) -> float | int:
    if "double_value" in value:
        return float(value.double_value)
    return int(value.int64_value)


def _parameter_filters(expression: Any, where: str, leaf: str = "funnel_parameter_filter") -> list[StepFilter]:
    """A ``FunnelParameterFilterExpression`` (or a ``SegmentParameterFilterExpression``: ``leaf``
    ``segment_parameter_filter``) as ANDed :class:`StepFilter`s (rule 3 of ``ga_goals.funnels``)."""
    from ga_goals.model.tracking_plan import StepFilter

    if "and_group" in expression:
        return [f for e in expression.and_group.expressions for f in _parameter_filters(e, f"{where}.andGroup", leaf)]
    if "or_group" in expression:
        group = list(expression.or_group.expressions)
        if len(group) == 1:
            return _parameter_filters(group[0], f"{where}.orGroup", leaf)
        raise unimplemented(f"or groups of several parameter conditions ({where})")
    if "not_expression" in expression:
        inner = _parameter_filters(expression.not_expression, f"{where}.notExpression", leaf)
        if len(inner) != 1:
            raise unimplemented(f"negated groups of parameter conditions ({where}.notExpression)")
        f = inner[0]
        return [StepFilter(f.parameter, f.op, f.value, f.case_sensitive, not f.negated)]
    if leaf not in expression:
        raise invalid(f"{where}: an empty parameter filter expression")
    f = getattr(expression, leaf)
    if "item_parameter_name" in f:
        raise unimplemented(f"item parameter filters ({where})")
    name = f.event_parameter_name
    if not name:
        raise invalid(f"{where}: eventParameterName is required")
    op, value, case_sensitive = _comparison(f, where)
    if op == "between":
        low, high = value
        return [StepFilter(name, "greater_than_or_equal", low), StepFilter(name, "less_than_or_equal", high)]
    return [StepFilter(name, op, value, case_sensitive)]


def _comparison(f: Any, where: str) -> tuple[str, Any, bool]:
    """(plan comparison, value, case sensitive) of a funnel filter's ``one_filter`` (string, in-list,
    numeric, between), shared by parameter filters and field filters."""
    if "string_filter" in f:
        s = f.string_filter
        match = _enum_name(s.match_type)
        op = _STRING_OPS.get(match)
        if op is None:
            raise invalid(f"{where}: unknown string match type {match}")
        value = s.value if match != "PARTIAL_REGEXP" else f".*(?:{s.value}).*"
        return op, value, bool(s.case_sensitive)
    if "in_list_filter" in f:
        values = tuple(f.in_list_filter.values)
        if not values:
            raise invalid(f"{where}: inListFilter needs at least one value")
        return "in", values, bool(f.in_list_filter.case_sensitive)
    if "numeric_filter" in f:
        op = _NUMERIC_OPS.get(_enum_name(f.numeric_filter.operation))
        if op is None:
            raise invalid(f"{where}: numericFilter needs an operation (EQUAL, LESS_THAN, GREATER_THAN...)")
        return op, _number(f.numeric_filter.value), True
    if "between_filter" in f:
        b = f.between_filter
        return "between", (_number(b.from_value), _number(b.to_value)), True
    raise invalid(f"{where}: the filter has no condition")


# ---------------------------------------------------------------------------------------------
# Funnel results -> RunFunnelReportResponse


def visualization_rows(
    funnel: Funnel,
    spans: Sequence[DateSpan],
    segments: Sequence[Any],
    results: dict[tuple[int, int | None], Any],
    extra: dict[tuple[int, int | None], Any],
    next_action: tuple[str, int] | None,
    row_limit: int = DEFAULT_LIMIT,
) -> alpha.FunnelSubReport:
    """The ``funnel_visualization`` of a trended funnel (``extra``: the funnel by ``date`` per
    range and segment) or of a next action (``extra``: the next actions, rule 10)."""
    from ga_goals.funnels.dimensions import TREND_DIMENSION

    several = len(spans) > 1
    seg_labels = [f"{i + 1}. {s.name or 'Segment'}" for i, s in enumerate(segments)]
    column = TREND_DIMENSION if next_action is None else next_action[0]
    dims_header = [STEP_COLUMN] + ([SEGMENT_COLUMN] if segments else []) + [column] + ([DATE_RANGE] if several else [])
    rows: list[alpha.Row] = []
    n = len(funnel.steps)
    for si in range(len(segments)) if segments else [None]:
        for k in range(n):
            for ri in range(len(spans)):
                step = results[(ri, si)].metrics()[k]
                cells: list[tuple[str, int]] = []
                if next_action is None:
                    by_day = extra[(ri, si)]
                    cells = [(r.breakdown, r.users[k]) for r in sorted(by_day.rows, key=lambda r: r.breakdown)]
                else:
                    cells = [(RESERVED_TOTAL, step.active_users)]
                    if k + 1 < n:
                        cells += extra[(ri, si)].after(k + 1, next_action[1])
                for value, users in cells:
                    if users == 0:
                        continue  # GA4 leaves out rows without users
                    dims = [step.label] + ([seg_labels[si]] if segments else []) + [value]  # type: ignore[index]
                    dims += [spans[ri].name] if several else []
                    rows.append(_row(dims, [str(users)]))
    return alpha.FunnelSubReport(
        dimension_headers=[alpha.DimensionHeader(name=d) for d in dims_header],
        metric_headers=[alpha.MetricHeader(name="activeUsers", type_=alpha.MetricType.TYPE_INTEGER)],
        rows=rows[:row_limit],
        metadata=alpha.FunnelResponseMetadata(),
    )


def funnel_response(
    funnel: Funnel,
    spans: Sequence[DateSpan],
    segments: Sequence[Any],
    breakdown: str | None,
    results: dict[tuple[int, int | None], Any],
    row_limit: int = DEFAULT_LIMIT,
) -> alpha.RunFunnelReportResponse:
    """The response GA4 gives for these engine results (see the module docstring)."""
    several = len(spans) > 1
    seg_labels = [f"{i + 1}. {s.name or 'Segment'}" for i, s in enumerate(segments)]
    table_dims = [STEP_COLUMN] + ([SEGMENT_COLUMN] if segments else []) + ([breakdown] if breakdown else [])
    table_dims += [DATE_RANGE] if several else []
    vis_dims = [STEP_COLUMN] + ([SEGMENT_COLUMN] if segments else []) + ([DATE_RANGE] if several else [])
    table_rows: list[alpha.Row] = []
    vis_rows: list[alpha.Row] = []
    n = len(funnel.steps)
    for si in range(len(segments)) if segments else [None]:
        cells = {ri: results[(ri, si)] for ri in range(len(spans))}
        metrics: dict[int, dict[str | None, list[StepMetrics]]] = {ri: {None: r.metrics()} for ri, r in cells.items()}
        values: list[str] = []
        for ri, r in cells.items():
            for row in r.rows:
                metrics[ri][row.breakdown] = r.metrics(row)
                if row.breakdown not in values:
                    values.append(row.breakdown)
        for k in range(n):
            for value in [None, *values] if breakdown else [None]:
                for ri in range(len(spans)):
                    step = metrics[ri].get(value)
                    if step is None or step[k].active_users == 0:
                        continue  # GA4 leaves out steps nobody reached
                    m = step[k]
                    dims = [m.label]
                    if segments:
                        dims.append(seg_labels[si])  # type: ignore[index]
                    if breakdown:
                        dims.append(RESERVED_TOTAL if value is None else value)
                    if several:
                        dims.append(spans[ri].name)
                    table_rows.append(
                        _row(
                            dims,
                            [
                                str(m.active_users),
                                number_text(m.completion_rate),
                                str(m.abandonments),
                                number_text(m.abandonment_rate),
                            ],
                        )
                    )
            for ri in range(len(spans)):
                m = metrics[ri][None][k]
                if m.active_users == 0:
                    continue
                dims = [m.label] + ([seg_labels[si]] if segments else []) + ([spans[ri].name] if several else [])  # type: ignore[index]
                vis_rows.append(_row(dims, [str(m.active_users)]))
    integer = alpha.MetricType.TYPE_INTEGER
    table = alpha.FunnelSubReport(
        dimension_headers=[alpha.DimensionHeader(name=d) for d in table_dims],
        # The live API lists the four metrics twice (eight headers for four values a row).
        metric_headers=[alpha.MetricHeader(name=m, type_=integer) for m in FUNNEL_METRICS] * 2,
        rows=table_rows[:row_limit],
        metadata=alpha.FunnelResponseMetadata(),
    )
    visualization = alpha.FunnelSubReport(
        dimension_headers=[alpha.DimensionHeader(name=d) for d in vis_dims],
        metric_headers=[alpha.MetricHeader(name="activeUsers", type_=integer)],
        rows=vis_rows[:row_limit],
        metadata=alpha.FunnelResponseMetadata(),
    )
    return alpha.RunFunnelReportResponse(
        funnel_table=table, funnel_visualization=visualization, kind="analyticsData#runFunnelReport"
    )


def _row(dims: Sequence[str], metrics: Sequence[str]) -> alpha.Row:
    return alpha.Row(
        dimension_values=[alpha.DimensionValue(value=v) for v in dims],
        metric_values=[alpha.MetricValue(value=v) for v in metrics],
    )


__all__ = ["DataApi", "funnel_from_request", "funnel_response", "number_text"]
