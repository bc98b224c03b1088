"""RunReport on the sandbox: a request checked and prepared (:func:`prepare_report`), then
answered from the property's events (:func:`execute_report`).

:class:`~ga_goals.sandbox.data_api.DataApi` serves RunReport and BatchRunReports with these (and
:mod:`ga_goals.sandbox.pivots` RunPivotReport, each pivot a RunReport); what is supported is
listed in the :mod:`~ga_goals.sandbox.data_api` docstring, the fields and their SQL are
:mod:`ga_goals.sandbox.reporting`. Preparing checks everything a request can get wrong before
any quota or data is touched, so a bad request costs nothing, as in GA4.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google.analytics import data_v1beta as beta

from ga_goals.sandbox.admin import invalid
from ga_goals.sandbox.comparisons import COMPARISON, COMPARISON_DIMENSION, comparisons_of, restricted
from ga_goals.sandbox.data_quota import report_cost
from ga_goals.sandbox.derived_metrics import lookup_metric, metric_columns, metric_values, request_metric
from ga_goals.sandbox.data_requests import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    RESERVED_TOTAL,
    date_spans,
    enum_name,
    report_number_text,
    sampling,
    time_zone_of,
)
from ga_goals.sandbox.reporting import (
    DATE_RANGE,
    Catalogue,
    DateSpan,
    Dimension,
    FilterCount,
    Metric,
    check_compatible,
    events_source,
    filter_fields,
    metric_matches,
    run_report_query,
    unimplemented,
)

if TYPE_CHECKING:
    from ga_goals.sandbox.data_caveats import ResponseCaveats

MAX_DIMENSIONS = 9
MAX_METRICS = 10


@dataclass
class PreparedReport:
    """A RunReport request, checked: what :func:`execute_report` needs."""

    request: Any
    spans: list[DateSpan]
    dimensions: list[Dimension]  # requested, in order (dateRange included when shown)
    metrics: list[Metric]  # requested
    extra_metrics: list[Metric]  # read by the metric filter only
    catalogue: Catalogue
    limit: int
    offset: int
    aggregations: set[str]
    currency: str
    time_zone: str
    source: str  # the events relation (with the events the property's create rules make)
    filter_count: FilterCount = field(default_factory=FilterCount)
    #: Indices of ``metrics`` shown (not ``invisible``).
    visible: list[int] = field(default_factory=list)
    #: (name, filter expression) of the request's comparisons.
    comparisons: list[tuple[str, Any]] = field(default_factory=list)


def prepare_report(request: Any, state: dict[str, Any], where: str = "") -> PreparedReport:
    """``request`` checked against the property's fields and GA4's limits (INVALID_ARGUMENT,
    UNIMPLEMENTED), before any quota or data is touched; ``where`` prefixes messages
    (``requests[2]`` in a batch)."""
    p = f"{where}." if where else ""
    if "cohort_spec" in request:
        raise unimplemented("cohortSpec (cohort reports)")
    catalogue = Catalogue.for_property(state)
    comparisons = comparisons_of(request, catalogue, p)
    prop = state["property"]
    spans = date_spans(request.date_ranges, time_zone_of(state))
    if len(request.dimensions) > MAX_DIMENSIONS:
        raise invalid(f"{p}dimensions: at most {MAX_DIMENSIONS} dimensions are allowed, got {len(request.dimensions)}")
    if len(request.metrics) > MAX_METRICS:
        raise invalid(f"{p}metrics: at most {MAX_METRICS} metrics are allowed, got {len(request.metrics)}")
    if not len(request.dimensions) and not len(request.metrics):
        raise invalid(f"{p}a report needs at least one metric or dimension")
    dimensions: list[Dimension] = []
    for d in request.dimensions:
        if "dimension_expression" in d:
            raise unimplemented(f"dimension expressions ({d.name})")
        if d.name in (x.api_name for x in dimensions):
            raise invalid(f"{p}dimensions: duplicate dimension {d.name}")
        if d.name == COMPARISON:
            if not comparisons:
                raise invalid(f"{p}dimensions: the comparison dimension needs comparisons in the request")
            dimensions.append(COMPARISON_DIMENSION)
            continue
        dimensions.append(catalogue.dimension(d.name))
    if len(spans) > 1 and DATE_RANGE not in (d.api_name for d in dimensions):
        dimensions.append(catalogue.dimension(DATE_RANGE))
    if comparisons and COMPARISON_DIMENSION not in dimensions:
        dimensions.append(COMPARISON_DIMENSION)
    metrics: list[Metric] = []
    for i, m in enumerate(request.metrics):
        if m.name in (x.api_name for x in metrics):
            raise invalid(f"{p}metrics: duplicate metric {m.name}")
        metrics.append(request_metric(m, catalogue, state, f"{p}metrics[{i}]", metrics))
    visible = [i for i, m in enumerate(request.metrics) if not m.invisible]
    extra: list[Metric] = []
    if "metric_filter" in request:
        for name in filter_fields(request.metric_filter):
            if name in (x.api_name for x in metrics):
                continue  # a request metric, by its name (expressions and invisible ones too)
            if name in catalogue.dimensions and name not in catalogue.metrics:
                raise invalid(f"Field {name} is a dimension: metricFilter takes metrics (use dimensionFilter).")
            metric = lookup_metric(name, catalogue, state, where=" (metricFilter)")
            if metric not in extra:
                extra.append(metric)
    for i, ob in enumerate(request.order_bys):
        if "metric" in ob:
            if ob.metric.metric_name not in (m.api_name for m in metrics):
                raise invalid(f"{p}orderBys[{i}]: metric {ob.metric.metric_name} is not in the request's metrics")
        elif "dimension" in ob:
            if ob.dimension.dimension_name not in (d.api_name for d in dimensions):
                raise invalid(f"{p}orderBys[{i}]: dimension {ob.dimension.dimension_name} is not in the request's dimensions")
        elif "pivot" in ob:
            raise unimplemented("pivot order bys")
        else:
            raise invalid(f"{p}orderBys[{i}]: an order by needs a metric or a dimension")
    aggregations = {enum_name(a) for a in request.metric_aggregations}
    if "COUNT" in aggregations:
        # RunReportResponse has totals, maximums and minimums, and no place for a count.
        raise invalid(
            f"{p}metricAggregations: COUNT is a pivot aggregation (RunPivotReport pivots[].metricAggregations); "
            "RunReport returns TOTAL, MINIMUM and MAXIMUM (totals, minimums, maximums)"
        )
    aggregations.discard("METRIC_AGGREGATION_UNSPECIFIED")
    if aggregations and comparisons:
        raise unimplemented("metric aggregations together with comparisons")
    if request.limit < 0 or request.offset < 0:
        raise invalid(f"{p}limit and offset must not be negative")
    limit = min(request.limit or DEFAULT_LIMIT, MAX_LIMIT)
    prepared = PreparedReport(
        request=request,
        spans=spans,
        dimensions=dimensions,
        metrics=metrics,
        extra_metrics=extra,
        catalogue=catalogue,
        limit=limit,
        offset=int(request.offset),
        aggregations=aggregations,
        currency=request.currency_code or str(prop.get("currency_code") or "USD"),
        time_zone=time_zone_of(state),
        source=events_source(state),
        visible=visible,
        comparisons=comparisons,
    )
    filtered: list[Dimension] = []
    if "dimension_filter" in request:
        # Validate field names now (before any quota or data is touched).
        for name in filter_fields(request.dimension_filter):
            if name in catalogue.metrics and name not in catalogue.dimensions:
                raise invalid(f"Field {name} is a metric: dimensionFilter takes dimensions (use metricFilter).")
            filtered.append(catalogue.dimension(name, where=" (dimensionFilter)"))
    check_compatible(dimensions + filtered, metric_columns(metrics + extra), p)
    return prepared


def execute_report(
    prepared: PreparedReport, con: Any, caveats: ResponseCaveats
) -> tuple[beta.RunReportResponse, int]:
    """The response to ``prepared`` on the events of ``con`` (without property_quota), saying
    what ``caveats`` asks for, and its cost in tokens."""
    request = prepared.request
    all_metrics = prepared.metrics + prepared.extra_metrics
    columns = metric_columns(all_metrics)
    queried = [d for d in prepared.dimensions if d.scope != COMPARISON]
    own_filter = request.dimension_filter if "dimension_filter" in request else None
    # One query per comparison (its filter with the request's), or one for the whole report.
    passes = [(name, restricted(own_filter, f)) for name, f in prepared.comparisons] or [("", own_filter)]
    results = [
        (
            label,
            run_report_query(
                con,
                prepared.catalogue,
                queried,
                columns,
                prepared.spans,
                dimension_filter,
                with_totals="TOTAL" in prepared.aggregations,
                count=prepared.filter_count,
                table=prepared.source,
            ),
        )
        for label, dimension_filter in passes
    ]
    names = [d.api_name for d in prepared.dimensions]
    k = len(prepared.metrics)
    shown = [prepared.metrics[i] for i in prepared.visible]
    metric_names = [m.api_name for m in all_metrics]

    def dims_of(ri: int, label: str, values: Sequence[str]) -> list[str]:
        it = iter(values)
        return [
            prepared.spans[ri].name if d.scope == "range" else label if d.scope == COMPARISON else next(it)
            for d in prepared.dimensions
        ]

    rows: list[tuple[list[str], tuple[float, ...], int]] = []
    for label, result in results:
        for ri, values, numbers in result.rows:
            every = metric_values(all_metrics, columns, numbers)
            if "metric_filter" in request and not metric_matches(
                request.metric_filter, dict(zip(metric_names, every)), "metricFilter"
            ):
                continue
            mine = every[:k]
            if k and not request.keep_empty_rows and not any(mine[i] for i in prepared.visible or range(k)):
                continue
            rows.append((dims_of(ri, label, values), mine, ri))
    sort_rows(rows, request.order_bys, names, [m.api_name for m in prepared.metrics])
    row_count = len(rows)
    page = rows[prepared.offset : prepared.offset + prepared.limit]

    def row_message(dims: Sequence[str], numbers: Sequence[float]) -> beta.Row:
        return beta.Row(
            dimension_values=[beta.DimensionValue(value=v) for v in dims],
            metric_values=[
                beta.MetricValue(value=report_number_text(numbers[i], prepared.metrics[i].integer))
                for i in prepared.visible
            ],
        )

    def reserved(label: str, ri: int) -> list[str]:
        return [prepared.spans[ri].name if d.scope == "range" else label for d in prepared.dimensions]

    response = beta.RunReportResponse(
        dimension_headers=[beta.DimensionHeader(name=n) for n in names],
        metric_headers=[beta.MetricHeader(name=m.api_name, type_=getattr(beta.MetricType, m.type_)) for m in shown],
        rows=[row_message(d, n) for d, n, _ri in page],
        row_count=row_count,
        metadata=beta.ResponseMetaData(currency_code=prepared.currency, time_zone=prepared.time_zone),
        kind="analyticsData#runReport",
    )
    plain = [d.api_name for d in prepared.dimensions if d.scope not in ("range", COMPARISON)]
    if caveats.thresholds([m.api_name for m in metric_columns(shown)]):
        response.metadata.subject_to_thresholding = True
    if caveats.loses_other_row(plain):
        response.metadata.data_loss_from_other_row = True
    response.metadata.sampling_metadatas = [
        beta.SamplingMetadata(samples_read_count=read, sampling_space_size=space)
        for read, space in sampling(caveats, con, prepared.source, prepared.spans)
    ]
    if "TOTAL" in prepared.aggregations:
        totals = results[0][1].totals  # aggregations come without comparisons: one pass
        zeros = tuple(0.0 for _ in columns)
        response.totals = [
            row_message(
                reserved(RESERVED_TOTAL, ri), metric_values(all_metrics, columns, totals.get(ri, zeros))[:k]
            )
            for ri in range(len(prepared.spans))
        ]
    for aggregation, label, pick in (("MAXIMUM", "RESERVED_MAX", max), ("MINIMUM", "RESERVED_MIN", min)):
        if aggregation not in prepared.aggregations:
            continue
        out = []
        for ri in range(len(prepared.spans)):
            members = [numbers for _d, numbers, r in rows if r == ri]
            extremes = [pick(col) for col in zip(*members)] if members else [0.0] * k
            out.append(row_message(reserved(label, ri), extremes))
        setattr(response, "maximums" if aggregation == "MAXIMUM" else "minimums", out)
    cost = report_cost(
        len(page), len(prepared.spans), max(s.days for s in prepared.spans), prepared.filter_count.leaves
    )
    return response, cost


def sort_rows(
    rows: list[tuple[list[str], tuple[float, ...], int]],
    order_bys: Sequence[Any],
    dimension_names: list[str],
    metric_names: list[str],
) -> None:
    """Sort report rows in place by ``order_bys`` (default: first metric descending, then dimensions)."""
    if not order_bys:
        rows.sort(key=lambda r: (r[2], r[0]))
        if metric_names:
            rows.sort(key=lambda r: r[1][0], reverse=True)
        return
    for ob in reversed(list(order_bys)):
        key: Callable[[tuple[list[str], tuple[float, ...], int]], Any]
        if "metric" in ob:
            index = metric_names.index(ob.metric.metric_name)

            def key(r: Any, i: int = index) -> Any:
                return r[1][i]

        else:
            index = dimension_names.index(ob.dimension.dimension_name)
            kind = enum_name(ob.dimension.order_type)
            if kind == "CASE_INSENSITIVE_ALPHANUMERIC":

                def key(r: Any, i: int = index) -> Any:
                    return r[0][i].lower()

            elif kind == "NUMERIC":

                def key(r: Any, i: int = index) -> Any:
                    try:
                        return (0, float(r[0][i]), "")
                    except ValueError:
                        return (1, 0.0, r[0][i])

            else:

                def key(r: Any, i: int = index) -> Any:
                    return r[0][i]

        rows.sort(key=key, reverse=bool(ob.desc))
