"""What a property receives, from the GA4 Data API: every event name, and which parameters arrive.

Two questions ``ga-goals check`` asks besides a report's (the requests go through a
:class:`~ga_goals.ga4.data.DataGateway`, so retries, error messages, call and quota counting are
the report's):

1. Every event name with its count and users: ONE ``RunReport``::

     RunReportRequest(date_ranges=[...], dimensions=[Dimension(name="eventName")],
       metrics=[Metric(name="eventCount"), Metric(name="totalUsers")],
       limit=10000, return_property_quota=True)

   (GA4 collects at most 500 distinct event names per property, so one page holds them all.)

2. Per custom dimension of the plan, the events that carried its parameter: first
   ``GetMetadata`` (which ``customEvent:`` / ``customUser:`` dimensions the property has
   registered), then one request per registered dimension, in ``BatchRunReports`` of 5::

     RunReportRequest(date_ranges=[...], metrics=[Metric(name="eventCount")],
       dimension_filter=FilterExpression(not_expression=FilterExpression(filter=Filter(
         field_name="customEvent:<parameter>",
         string_filter=StringFilter(match_type=EXACT, value="(not set)")))),
       return_property_quota=True)

   What the Data API cannot see (:attr:`ParameterTable.unseen`, with the reason): a dimension
   the property has not registered (the Data API only reports registered custom dimensions, and
   only from the day they were registered: GA4 does not fill in earlier data), and item-scoped
   dimensions (``customItem:`` goes with item metrics only). The export sees every parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from google.analytics import data_v1beta as beta

from ga_goals.sources.results import DateSpanLike, ParameterRef, ParameterTable, ReportTable

if TYPE_CHECKING:
    from ga_goals.ga4.data import DataGateway

#: Rows of the event-name report (GA4 keeps at most 500 distinct event names per property).
EVENT_NAMES_LIMIT = 10_000
#: What the Data API shows for an event without the parameter.
NOT_SET = "(not set)"

UNREGISTERED = (
    "not registered as a custom dimension in the property: the Data API reports only registered ones, from "
    "the day they were registered (`ga-goals sync` registers it; the export engines see every parameter)"
)
ITEM_SCOPE = (
    "item-scoped: the Data API reports customItem: dimensions only with item metrics; "
    "the export engines (--engine duckdb or bigquery) count them"
)


def _ranges(spans: Sequence[DateSpanLike]) -> list[beta.DateRange]:
    return [beta.DateRange(start_date=s.start.isoformat(), end_date=s.end.isoformat(), name=s.name) for s in spans]


def event_names_request(spans: Sequence[DateSpanLike]) -> beta.RunReportRequest:
    """Count and users of every event name (per date range)."""
    return beta.RunReportRequest(
        date_ranges=_ranges(spans),
        dimensions=[beta.Dimension(name="eventName")],
        metrics=[beta.Metric(name="eventCount"), beta.Metric(name="totalUsers")],
        limit=EVENT_NAMES_LIMIT,
        return_property_quota=True,
    )


def parameter_request(parameter: ParameterRef, spans: Sequence[DateSpanLike]) -> beta.RunReportRequest:
    """Events whose custom dimension ``parameter`` is set (anything but ``(not set)``), per date range."""
    not_set = beta.FilterExpression(
        filter=beta.Filter(
            field_name=parameter.label,
            string_filter=beta.Filter.StringFilter(match_type=beta.Filter.StringFilter.MatchType.EXACT, value=NOT_SET),
        )
    )
    return beta.RunReportRequest(
        date_ranges=_ranges(spans),
        metrics=[beta.Metric(name="eventCount")],
        dimension_filter=beta.FilterExpression(not_expression=not_set),
        return_property_quota=True,
    )


def event_names(gateway: DataGateway, spans: Sequence[DateSpanLike]) -> ReportTable:
    """Rows ``{eventName, dateRange}`` -> ``{eventCount, totalUsers}`` of every event name."""
    return gateway.run_report(event_names_request(spans), date_ranges=[s.name for s in spans], what="event names")


def parameter_counts(gateway: DataGateway, parameters: Sequence[ParameterRef], spans: Sequence[DateSpanLike]) -> ParameterTable:
    """Events that carried each parameter, per date range (GetMetadata, then BatchRunReports)."""
    table = ParameterTable()
    if not parameters:
        return table
    registered = gateway.metadata().dimensions
    asked: list[ParameterRef] = []
    for parameter in dict.fromkeys(parameters):
        if parameter.scope == "item":
            table.unseen[parameter] = ITEM_SCOPE
        elif parameter.label not in registered:
            table.unseen[parameter] = UNREGISTERED
        else:
            asked.append(parameter)
    if not asked:
        return table
    names = [s.name for s in spans]
    reports = gateway.batch_run_reports(
        [parameter_request(p, spans) for p in asked], date_ranges=names, what="custom dimension values"
    )
    for report in reports:
        table.caveats = table.caveats | report.caveats
    for parameter, report in zip(asked, reports):
        for name in names:
            table.counts[(name, parameter)] = int(report.lookup(dateRange=name).get("eventCount", 0))
    return table


__all__ = [
    "EVENT_NAMES_LIMIT",
    "event_names",
    "event_names_request",
    "parameter_counts",
    "parameter_request",
]
