"""A tiny GA4 Data API server for tests, until the sandbox serves the Data API.

It speaks the real gRPC protocol with the real proto-plus messages (docs/ga4-api-facts.md §4: generic
handlers, ``Request.deserialize`` / ``Response.serialize``), so the code under test goes
through the real ``google-analytics-data`` clients and the server sees the exact requests they
send. It is not a mock of the clients.

Responses are shaped as GA4 shapes them (checked against the real responses in
``tests/data/ga4/``): funnel step names ``"N. name"``, the four funnel metrics listed twice
in the headers and typed ``TYPE_INTEGER``, rates as fraction strings, steps without users left
out, ``RESERVED_TOTAL`` rows with a breakdown, a ``segment`` and a ``dateRange`` column when
asked for, ``property_quota`` when asked for. The numbers are made up but deterministic:

* users at step k of a funnel = ``round(base * factor * decay**k)`` (``base`` 1000, ``decay``
  0.55, ``factor`` 1 for the first date range and ``previous_factor`` for the second; a segment
  gets its own factor from its name, and so does a two-step funnel that does not start at
  ``session_start`` (a micro vs macro funnel ``micro -> macro``: from its first step's name);
  ``zero_from_step`` (1-based) empties later steps;
* key events: count = 100 * (index + 1) * factor, users = count // 2, value = count * 3.5.

``handlers`` override a method (``"RunFunnelReport"`` -> ``fn(request) -> response``) and
``faults`` make calls fail (``[("RunFunnelReport", grpc.StatusCode.RESOURCE_EXHAUSTED, "…")]``,
each used once, in order).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
from google.analytics import admin_v1beta as admin
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta

ALPHA = "google.analytics.data.v1alpha.AlphaAnalyticsData"
BETA = "google.analytics.data.v1beta.BetaAnalyticsData"
ADMIN = "google.analytics.admin.v1beta.AnalyticsAdminService"
FUNNEL_METRICS = ("activeUsers", "funnelStepCompletionRate", "funnelStepAbandonments", "funnelStepAbandonmentRate")


class Abort(Exception):
    """Raised by a handler: the call fails with this status."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class FakeDataApi:
    def __init__(
        self,
        *,
        base: int = 1000,
        decay: float = 0.55,
        previous_factor: float = 0.8,
        zero_from_step: int | None = None,
        breakdown_values: tuple[str, ...] = ("desktop", "mobile", "tablet"),
        time_zone: str = "America/Los_Angeles",
        tokens: int = 7,
    ) -> None:
        self.base = base
        self.decay = decay
        self.previous_factor = previous_factor
        self.zero_from_step = zero_from_step
        self.breakdown_values = breakdown_values
        self.time_zone = time_zone
        self.tokens = tokens
        self.requests: list[tuple[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.handlers: dict[str, Callable[[Any], Any]] = {}
        self.faults: list[tuple[str, grpc.StatusCode, str]] = []
        self._lock = threading.Lock()
        self._server: grpc.Server | None = None
        self.address = ""

    # -- lifecycle

    def start(self) -> FakeDataApi:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))

        def unary(method: str, fn: Callable[[Any], Any], req: Any, resp: Any) -> Any:
            def handle(request: Any, context: grpc.ServicerContext) -> Any:
                with self._lock:
                    self.calls[method] += 1
                    self.requests.append((method, request))
                    fault = next((f for f in self.faults if f[0] == method), None)
                    if fault is not None:
                        self.faults.remove(fault)
                if fault is not None:
                    context.abort(fault[1], fault[2])
                try:
                    return self.handlers.get(method, fn)(request)
                except Abort as abort:
                    context.abort(abort.code, abort.message)

            return grpc.unary_unary_rpc_method_handler(handle, request_deserializer=req.deserialize, response_serializer=resp.serialize)

        server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    ALPHA,
                    {"RunFunnelReport": unary("RunFunnelReport", self.run_funnel_report, alpha.RunFunnelReportRequest, alpha.RunFunnelReportResponse)},
                ),
                grpc.method_handlers_generic_handler(
                    BETA,
                    {
                        "RunReport": unary("RunReport", self.run_report, beta.RunReportRequest, beta.RunReportResponse),
                        "BatchRunReports": unary("BatchRunReports", self.batch_run_reports, beta.BatchRunReportsRequest, beta.BatchRunReportsResponse),
                        "GetMetadata": unary("GetMetadata", self.get_metadata, beta.GetMetadataRequest, beta.Metadata),
                    },
                ),
                grpc.method_handlers_generic_handler(
                    ADMIN, {"GetProperty": unary("GetProperty", self.get_property, admin.GetPropertyRequest, admin.Property)}
                ),
            )
        )
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server = server
        self.address = f"127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(None).wait()
            self._server = None

    def __enter__(self) -> FakeDataApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_of(self, method: str) -> list[Any]:
        return [r for m, r in self.requests if m == method]

    # -- numbers

    def _factor(self, range_index: int, segment: str | None) -> float:
        factor = 1.0 if range_index == 0 else self.previous_factor
        if segment:
            digest = int(hashlib.md5(segment.encode()).hexdigest()[:4], 16)
            factor *= 0.15 + (digest % 50) / 100
        return factor

    def step_users(self, steps: int, factor: float, lift: float = 1.0) -> list[int]:
        users = []
        for k in range(steps):
            decay = self.decay * (lift if k else 1.0)
            value = round(self.base * factor * min(1.0, decay) ** k)
            if self.zero_from_step is not None and k + 1 >= self.zero_from_step:
                value = 0
            users.append(value)
        return users

    # -- methods

    def get_property(self, request: Any) -> Any:
        return admin.Property(name=request.name, display_name="Fake shop", time_zone=self.time_zone, currency_code="EUR")

    def get_metadata(self, request: Any) -> Any:
        return beta.Metadata(
            name=request.name,
            dimensions=[beta.DimensionMetadata(api_name=n) for n in ("eventName", "deviceCategory", "customEvent:form_id")],
            metrics=[beta.MetricMetadata(api_name=n) for n in ("eventCount", "totalUsers", "eventValue", "sessions")],
        )

    def _quota(self) -> Any:
        return beta.PropertyQuota(
            tokens_per_day=beta.QuotaStatus(consumed=self.tokens, remaining=200000 - self.tokens),
            tokens_per_hour=beta.QuotaStatus(consumed=self.tokens, remaining=40000 - self.tokens),
        )

    def run_funnel_report(self, request: Any) -> Any:
        names = [s.name for s in request.funnel.steps]
        ranges = list(request.date_ranges) or [alpha.DateRange(start_date="7daysAgo", end_date="yesterday")]
        range_names = [r.name or f"date_range_{i}" for i, r in enumerate(ranges)]
        segments = [s.name for s in request.segments]
        breakdown = request.funnel_breakdown.breakdown_dimension.name if "funnel_breakdown" in request else ""
        dims = ["funnelStepName"]
        if segments:
            dims.append("segment")
        if breakdown:
            dims.append(breakdown)
        if len(ranges) > 1:
            dims.append("dateRange")
        rows = []
        for r, rname in enumerate(range_names):
            # A micro vs macro funnel (micro -> macro) has the numbers of a segment named after the micro.
            own = names[0] if len(names) == 2 and names[0] != "session_start" and not segments else None
            for segment in segments or [None]:
                segment_or_own = segment or own
                factor = self._factor(r, segment_or_own)
                lift = 1.0 + (0.6 if len(segment_or_own) % 2 else -0.3) if segment_or_own else 1.0
                values = [(None, self.step_users(len(names), factor, lift))]
                if breakdown:
                    limit = request.funnel_breakdown.limit or 5
                    parts = [(v, self.step_users(len(names), factor * share)) for v, share in zip(self.breakdown_values[:limit], (0.6, 0.3, 0.1, 0.05, 0.05))]
                    values = [("RESERVED_TOTAL", values[0][1])] + parts
                for value, users in values:
                    for k, n in enumerate(users):
                        if n == 0:
                            continue  # GA4 leaves out steps nobody reached
                        nxt = users[k + 1] if k + 1 < len(users) else None
                        if nxt is None:
                            completion, abandoned = 1.0, 0  # (the engine's rule for the last step)
                        else:
                            completion, abandoned = nxt / n, n - nxt
                        dvals = [f"{k + 1}. {names[k]}"]
                        if segments:
                            dvals.append(segment)
                        if breakdown:
                            dvals.append(value)
                        if len(ranges) > 1:
                            dvals.append(rname)
                        mvals = [str(n), repr(completion), str(abandoned), repr(1 - completion if nxt is not None else 0)]
                        rows.append(
                            alpha.Row(
                                dimension_values=[alpha.DimensionValue(value=v) for v in dvals],
                                metric_values=[alpha.MetricValue(value=v) for v in mvals],
                            )
                        )
        headers = [alpha.MetricHeader(name=m, type_=alpha.MetricType.TYPE_INTEGER) for m in FUNNEL_METRICS] * 2
        response = alpha.RunFunnelReportResponse(
            funnel_table=alpha.FunnelSubReport(
                dimension_headers=[alpha.DimensionHeader(name=d) for d in dims], metric_headers=headers, rows=rows
            ),
            kind="analyticsData#runFunnelReport",
        )
        if request.return_property_quota:
            response.property_quota = alpha.PropertyQuota(
                tokens_per_day=alpha.QuotaStatus(consumed=self.tokens, remaining=200000 - self.tokens),
                tokens_per_hour=alpha.QuotaStatus(consumed=self.tokens, remaining=40000 - self.tokens),
            )
        return response

    def run_report(self, request: Any) -> Any:
        dims = [d.name for d in request.dimensions]
        metrics = [m.name for m in request.metrics]
        ranges = list(request.date_ranges)
        range_names = [r.name or f"date_range_{i}" for i, r in enumerate(ranges)]
        if len(ranges) > 1:
            dims.append("dateRange")
        events = list(request.dimension_filter.filter.in_list_filter.values) if "eventName" in dims else [None]
        rows = []
        for r, rname in enumerate(range_names):
            factor = self._factor(r, None)
            for i, event in enumerate(events):
                count = round(100 * (i + 1) * factor)
                values = {"eventCount": count, "totalUsers": count // 2, "eventValue": count * 3.5, "sessions": 1500 * factor}
                if event is None:
                    values["totalUsers"] = round(1200 * factor)
                dvals = ([event] if event is not None else []) + ([rname] if len(ranges) > 1 else [])
                rows.append(
                    beta.Row(
                        dimension_values=[beta.DimensionValue(value=v) for v in dvals],
                        metric_values=[beta.MetricValue(value=f"{values.get(m, 0):g}") for m in metrics],
                    )
                )
        response = beta.RunReportResponse(
            dimension_headers=[beta.DimensionHeader(name=d) for d in dims],
            metric_headers=[beta.MetricHeader(name=m, type_=beta.MetricType.TYPE_INTEGER) for m in metrics],
            rows=rows,
            row_count=len(rows),
            kind="analyticsData#runReport",
        )
        if request.return_property_quota:
            response.property_quota = self._quota()
        return response

    def batch_run_reports(self, request: Any) -> Any:
        if len(request.requests) > 5:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "a batch holds at most 5 requests")
        return beta.BatchRunReportsResponse(reports=[self.run_report(r) for r in request.requests], kind="analyticsData#batchRunReports")
