"""The sandbox's RunPivotReport and BatchRunPivotReports (v1beta), built on its RunReport.

A pivot report is a RunReport whose dimensions are split into pivots. As GA4 answers it:

* each pivot selects the combinations of its ``field_names``: their values over the whole
  report (same date ranges and filters), ordered by the pivot's ``order_bys`` (metric: the
  metric's value for that combination alone, e.g. the users of a country over all browsers;
  dimension: ALPHANUMERIC / CASE_INSENSITIVE_ALPHANUMERIC / NUMERIC; default: the first metric,
  descending), then ``offset`` and ``limit`` (required, at least 1; the product of the pivots'
  limits is at most 250,000). ``pivot_headers[i]`` lists the selected combinations and
  ``row_count`` how many there are in all;
* ``dimension_headers`` are the pivots' field names, pivot by pivot, and ``rows`` the
  combinations of selected values that have data (all of them with ``keep_empty_rows``), in the
  pivots' order, each with the request's metrics;
* a pivot's ``metric_aggregations`` (TOTAL, MINIMUM, MAXIMUM, COUNT) add ``aggregates``: per
  selected combination of the other pivots, the metric over the pivot's selected combinations, its
  own dimension values set to ``RESERVED_TOTAL`` / ``RESERVED_MIN`` / ``RESERVED_MAX`` /
  ``RESERVED_COUNT`` (TOTAL counts distinct users and sessions once, as GA4 does; COUNT is the
  number of the pivot's selected combinations that have a row there, the same for every metric);
* with several date ranges, ``dateRange`` is a dimension a pivot may name (the first pivot gets it
  when none does).

Every field a pivot names must be one of the request's dimensions and every dimension must be in
exactly one pivot. Ordering by a pivot's column (``PivotOrderBy``) is UNIMPLEMENTED.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from google.analytics import data_v1beta as beta

from ga_goals.sandbox.admin import SandboxError, invalid
from ga_goals.sandbox.data_requests import batch_requests
from ga_goals.sandbox.reporting import DATE_RANGE, enum_name, unimplemented
from ga_goals.sandbox.run_report import execute_report, prepare_report, sort_rows

if TYPE_CHECKING:
    from ga_goals.sandbox.data_api import DataApi

MAX_PIVOT_ROWS = 250_000
_AGGREGATIONS = {
    "TOTAL": "RESERVED_TOTAL",
    "MINIMUM": "RESERVED_MIN",
    "MAXIMUM": "RESERVED_MAX",
    "COUNT": "RESERVED_COUNT",
}

Combo = tuple[str, ...]


class PivotReports:
    """RunPivotReport and BatchRunPivotReports for one :class:`~ga_goals.sandbox.data_api.DataApi`."""

    def __init__(self, api: DataApi) -> None:
        self.api = api

    def run(self, request: Any) -> beta.RunPivotReportResponse:
        pid, state = self.api._property(request.property)
        plan = self._plan(request, state)
        with self.api.quota.request(pid, "core", self.api._tier(state)) as charge:
            with self.api._events(pid, self.api._time_zone(state)) as con:
                response, cost = self._execute(plan, con)
            quota = charge(cost)
        if request.return_property_quota:
            response.property_quota = quota.to_message(beta)
        return response

    def batch(self, request: Any) -> beta.BatchRunPivotReportsResponse:
        pid, state = self.api._property(request.property)
        inner = batch_requests(request, "BatchRunPivotReports")
        plans = [self._plan(r, state, where=f"requests[{i}].") for i, r in enumerate(inner)]
        reports = []
        with self.api.quota.request(pid, "core", self.api._tier(state)) as charge:
            with self.api._events(pid, self.api._time_zone(state)) as con:
                for plan in plans:
                    response, cost = self._execute(plan, con)
                    quota = charge(cost)
                    if plan.request.return_property_quota:
                        response.property_quota = quota.to_message(beta)
                    reports.append(response)
        return beta.BatchRunPivotReportsResponse(pivot_reports=reports, kind="analyticsData#batchRunPivotReports")

    # -- planning -----------------------------------------------------------------------------------

    def _plan(self, request: Any, state: dict[str, Any], where: str = "") -> _Plan:
        if "cohort_spec" in request:
            raise unimplemented("cohortSpec (cohort reports)")
        if len(request.comparisons):
            raise unimplemented("comparisons in pivot reports (RunReport computes them)")
        if any(m.invisible for m in request.metrics):
            raise unimplemented("invisible metrics in pivot reports (RunReport computes them)")
        pivots = list(request.pivots)
        if not pivots:
            raise invalid(f"{where}pivots: a pivot report needs at least one pivot")
        names = [d.name for d in request.dimensions]
        several = len(request.date_ranges) > 1
        fields: list[list[str]] = []
        seen: dict[str, int] = {}
        product = 1
        for i, pivot in enumerate(pivots):
            at = f"{where}pivots[{i}]"
            if pivot.limit <= 0:
                raise invalid(f"{at}.limit is required and must be positive, got {pivot.limit}")
            if pivot.offset < 0:
                raise invalid(f"{at}.offset must not be negative")
            product *= int(pivot.limit)
            own = list(pivot.field_names)
            if not own:
                raise invalid(f"{at}.fieldNames: a pivot needs at least one dimension")
            for name in own:
                if name == DATE_RANGE and several:
                    pass
                elif name not in names:
                    raise invalid(f"{at}.fieldNames: {name} is not one of the request's dimensions ({', '.join(names) or 'none'})")
                if name in seen:
                    raise invalid(f"{at}.fieldNames: {name} is already in pivots[{seen[name]}]; a dimension goes in one pivot")
                seen[name] = i
            for ob in pivot.order_bys:
                if "pivot" in ob:
                    raise unimplemented(f"ordering a pivot by another pivot's column ({at}.orderBys.pivot)")
                if "dimension" in ob and ob.dimension.dimension_name not in own:
                    raise invalid(f"{at}.orderBys: dimension {ob.dimension.dimension_name} is not in this pivot's fieldNames")
                if "metric" in ob and ob.metric.metric_name not in [m.name for m in request.metrics]:
                    raise invalid(f"{at}.orderBys: metric {ob.metric.metric_name} is not in the request's metrics")
            fields.append(own)
        if product > MAX_PIVOT_ROWS:
            raise invalid(f"{where}pivots: the product of the pivots' limits ({product}) must not exceed {MAX_PIVOT_ROWS}")
        missing = [n for n in names if n not in seen]
        if missing:
            raise invalid(f"{where}dimensions: {', '.join(missing)} is in no pivot; name every dimension in one pivot's fieldNames")
        if several and DATE_RANGE not in seen:
            fields[0].append(DATE_RANGE)
        if not len(request.metrics):
            raise invalid(f"{where}metrics: a pivot report needs at least one metric")
        base = beta.RunReportRequest(
            dimensions=list(request.dimensions),
            metrics=list(request.metrics),
            date_ranges=list(request.date_ranges),
            currency_code=request.currency_code,
            keep_empty_rows=request.keep_empty_rows,
            limit=MAX_PIVOT_ROWS,
        )
        for name in ("dimension_filter", "metric_filter"):
            if name in request:
                setattr(base, name, getattr(request, name))
        # Validates every field name, filter and date range as RunReport does.
        prepare_report(base, state, where=where.rstrip("."))
        return _Plan(request, state, base, pivots, fields)

    # -- execution -----------------------------------------------------------------------------------

    def _report(
        self, plan: _Plan, dims: Sequence[str], con: Any, dimension_filter: Any = None
    ) -> tuple[list[tuple[dict[str, str], list[str]]], int]:
        """RunReport of ``dims`` (dateRange: shown when the request has several ranges), with
        ``dimension_filter`` instead of the request's own when given: rows as ({dimension: value},
        metric texts), and the cost."""
        request = beta.RunReportRequest(plan.base)
        request.dimensions = [beta.Dimension(name=d) for d in dims if d != DATE_RANGE]
        if dimension_filter is not None:
            request.dimension_filter = dimension_filter
        prepared = prepare_report(request, plan.state)
        response, cost = execute_report(prepared, con, self.api.caveats)
        headers = [h.name for h in response.dimension_headers]
        out = [
            (dict(zip(headers, (v.value for v in row.dimension_values))), [m.value for m in row.metric_values])
            for row in response.rows
        ]
        return out, cost

    def _execute(self, plan: _Plan, con: Any) -> tuple[beta.RunPivotReportResponse, int]:

        metrics = [m.name for m in plan.request.metrics]
        all_dims = [d for own in plan.fields for d in own]
        flat, cost = self._report(plan, all_dims, con)
        selected: list[list[Combo]] = []
        headers = []
        for pivot, own in zip(plan.pivots, plan.fields):
            combos, extra = self._report(plan, own, con)
            cost += extra
            rows = [([values[d] for d in own], tuple(_number(x) for x in numbers), 0) for values, numbers in combos]
            sort_rows(rows, list(pivot.order_bys), own, metrics)
            # With several date ranges a pivot without dateRange sees a combination once per range:
            # it is one column, placed by its first (best-ordered) appearance.
            unique = list(dict.fromkeys(tuple(d) for d, _n, _r in rows))
            page = unique[pivot.offset : pivot.offset + pivot.limit]
            selected.append(page)
            headers.append(
                beta.PivotHeader(
                    pivot_dimension_headers=[
                        beta.PivotDimensionHeader(dimension_values=[beta.DimensionValue(value=v) for v in combo])
                        for combo in page
                    ],
                    row_count=len(unique),
                )
            )
        rank = [{combo: k for k, combo in enumerate(page)} for page in selected]

        def position(values: dict[str, str], skip: int | None = None) -> tuple[int, ...] | None:
            out = []
            for i, own in enumerate(plan.fields):
                if i == skip:
                    continue
                k = rank[i].get(tuple(values[d] for d in own))
                if k is None:
                    return None
                out.append(k)
            return tuple(out)

        kept = []
        for values, numbers in flat:
            pos = position(values)
            if pos is not None:
                kept.append((pos, values, numbers))
        kept.sort(key=lambda r: r[0])
        response = beta.RunPivotReportResponse(
            pivot_headers=headers,
            dimension_headers=[beta.DimensionHeader(name=d) for d in all_dims],
            metric_headers=[beta.MetricHeader(name=m) for m in metrics],
            rows=[_row([values[d] for d in all_dims], numbers) for _p, values, numbers in kept],
            kind="analyticsData#runPivotReport",
        )
        # Metric types and metadata as RunReport gives them.
        prepared = prepare_report(beta.RunReportRequest(plan.base), plan.state)
        response.metric_headers = [
            beta.MetricHeader(name=m.api_name, type_=getattr(beta.MetricType, m.type_)) for m in prepared.metrics
        ]
        response.metadata = beta.ResponseMetaData(currency_code=prepared.currency, time_zone=prepared.time_zone)
        aggregates = []
        for i, (pivot, own) in enumerate(zip(plan.pivots, plan.fields)):
            kinds = [enum_name(a) for a in pivot.metric_aggregations]
            kinds = [k for k in _AGGREGATIONS if k in kinds]
            if not kinds:
                continue
            others = [d for j, o in enumerate(plan.fields) if j != i for d in o]
            groups: dict[tuple[int, ...], list[list[str]]] = {}
            for pos, values, numbers in kept:
                key = tuple(p for j, p in enumerate(pos) if j != i)
                groups.setdefault(key, []).append(numbers)
            totals: dict[tuple[int, ...], tuple[dict[str, str], list[str]]] = {}
            if "TOTAL" in kinds:
                rows_i, extra = self._report_filtered(plan, others, i, selected[i], con)
                cost += extra
                for values, numbers in rows_i:
                    found = position(values, skip=i)
                    if found is not None:
                        totals[found] = (values, numbers)
            for kind in kinds:
                label = _AGGREGATIONS[kind]
                for key in sorted(set(groups) | set(totals)):
                    if kind == "TOTAL":
                        if key not in totals:
                            continue
                        values, numbers = totals[key]
                    elif kind == "COUNT":
                        # The number of values each metric has over the pivot's selected combinations.
                        members = groups.get(key)
                        if not members:
                            continue
                        numbers = [str(len(members))] * len(metrics)
                        values = next(v for p, v, _n in kept if tuple(x for j, x in enumerate(p) if j != i) == key)
                    else:
                        members = groups.get(key)
                        if not members:
                            continue
                        pick = min if kind == "MINIMUM" else max
                        numbers = [min_max_text(col, pick) for col in zip(*members)]
                        values = next(v for p, v, _n in kept if tuple(x for j, x in enumerate(p) if j != i) == key)
                    dims = [label if d in own else values[d] for d in all_dims]
                    aggregates.append(_row(dims, numbers))
        response.aggregates = aggregates
        return response, cost

    def _report_filtered(
        self, plan: _Plan, dims: Sequence[str], pivot: int, combos: Sequence[Combo], con: Any
    ) -> tuple[list[tuple[dict[str, str], list[str]]], int]:
        """RunReport of ``dims`` restricted to the selected combinations of ``pivot``'s fields."""
        own = plan.fields[pivot]
        if not combos:
            return [], 0
        shown = [d for d in own if d != DATE_RANGE]
        restriction: Any = None  # only the request's own filter when the pivot shows just dateRange
        if shown:
            alternatives = [
                beta.FilterExpression(
                    and_group=beta.FilterExpressionList(
                        expressions=[_exact(d, combo[own.index(d)]) for d in shown]
                    )
                )
                for combo in combos
            ]
            restriction = beta.FilterExpression(or_group=beta.FilterExpressionList(expressions=alternatives))
            if "dimension_filter" in plan.base:
                restriction = beta.FilterExpression(
                    and_group=beta.FilterExpressionList(expressions=[plan.base.dimension_filter, restriction])
                )
        rows, cost = self._report(plan, dims, con, restriction)
        if DATE_RANGE in own:
            wanted = {combo[own.index(DATE_RANGE)] for combo in combos}
            rows = [r for r in rows if r[0].get(DATE_RANGE) in wanted]
        return rows, cost


class _Plan:
    """A validated pivot request: the RunReport it is built on and each pivot's fields."""

    def __init__(self, request: Any, state: dict[str, Any], base: Any, pivots: list[Any], fields: list[list[str]]) -> None:
        self.request = request
        self.state = state
        self.base = base
        self.pivots = pivots
        self.fields = fields


def _exact(field: str, value: str) -> beta.FilterExpression:
    return beta.FilterExpression(
        filter=beta.Filter(
            field_name=field,
            string_filter=beta.Filter.StringFilter(match_type="EXACT", value=value, case_sensitive=True),
        )
    )


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def min_max_text(column: Sequence[str], pick: Any) -> str:
    """The smallest or largest of metric texts, as written."""
    return pick(column, key=_number)


def _row(dims: Sequence[str], metrics: Sequence[str]) -> beta.Row:
    return beta.Row(
        dimension_values=[beta.DimensionValue(value=v) for v in dims],
        metric_values=[beta.MetricValue(value=v) for v in metrics],
    )


__all__ = ["PivotReports", "SandboxError"]
