"""Events against their schemas from the GA4 Data API: what registered custom dimensions can show.

The Data API reports an event parameter only through a registered event-scoped custom dimension
(``customEvent:<parameter>``), only as text, and shows ``(not set)`` for an event without it
(and for every event before the dimension was registered: GA4 does not fill in earlier data).
So from the Data API, ``ga-goals check`` can see, per registered parameter:

* ``missing``: events of a schema that requires it, with ``(not set)``;
* ``not_allowed`` / ``pattern``: events with a value outside the allowed values or not matching
  the pattern (the value as the Data API shows it);
* ``undeclared``: events of a closed schema that does not declare it, with a value;

and it cannot see: a parameter no custom dimension registers (nothing at all), the type of any
value (``wrong_type``: everything is text), item parameters (``customItem:`` dimensions go with
item metrics only), parameters no registered dimension reads (undeclared ones the site sends).
Each of those is returned as an :class:`~ga_goals.sources.results.UnseenParameter`, so the check
says so per parameter; the export engines see everything.

Requests: ``GetMetadata`` (the registered dimensions), then in ``BatchRunReports`` of 5: the
events of every schema per day, and one report per registered parameter::

  RunReportRequest(date_ranges=[<the first span>],
    dimensions=[Dimension(name="eventName"), Dimension(name="date"), Dimension(name="customEvent:<p>")],
    metrics=[Metric(name="eventCount")],
    dimension_filter=<eventName in the events it concerns>, limit=250000)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from google.analytics import data_v1beta as beta

from ga_goals.model.event_schemas import EventSchema, ParameterSpec
from ga_goals.model.ga4_facts import automatic_parameters
from ga_goals.model.parameter_types import VALUE_CHECKED
from ga_goals.sources.results import (
    Caveats,
    DateSpanLike,
    ParameterFault,
    ParameterRef,
    ReportTable,
    SchemaFaults,
    UnseenParameter,
)

if TYPE_CHECKING:
    from ga_goals.ga4.data import DataGateway

#: Rows of one report (the Data API's maximum); a report that fills it is marked as cut.
ROW_LIMIT = 250_000
NOT_SET = "(not set)"

NOT_REGISTERED = (
    "not registered as a custom dimension: not checkable from the Data API; use the export engines "
    "(--events or --dataset)"
)
NO_TYPES = "the Data API shows every value as text: use the export engines (--events or --dataset)"
ITEMS = "the Data API reports customItem: dimensions only with item metrics; use the export engines (--events or --dataset)"
UNREGISTERED_UNDECLARED = (
    "the Data API cannot see parameters no custom dimension registers; use the export engines (--events or --dataset)"
)


def _request(span: DateSpanLike, events: Sequence[str], parameter: str | None) -> beta.RunReportRequest:
    dimensions = ["eventName", "date"] + ([ParameterRef("event", parameter).label] if parameter else [])
    return beta.RunReportRequest(
        date_ranges=[beta.DateRange(start_date=span.start.isoformat(), end_date=span.end.isoformat(), name=span.name)],
        dimensions=[beta.Dimension(name=d) for d in dimensions],
        metrics=[beta.Metric(name="eventCount")],
        dimension_filter=beta.FilterExpression(
            filter=beta.Filter(
                field_name="eventName",
                in_list_filter=beta.Filter.InListFilter(values=sorted(events), case_sensitive=True),
            )
        ),
        limit=ROW_LIMIT,
        return_property_quota=True,
    )


def _value_fault(spec: ParameterSpec, value: str) -> str | None:
    """What is wrong with a present value the Data API shows (None: nothing it can tell)."""
    if spec.type not in VALUE_CHECKED:
        return None
    if spec.values and value not in {str(v) for v in spec.values}:
        return "not_allowed"
    if spec.pattern and re.fullmatch(spec.pattern, value) is None:
        return "pattern"
    return None


class _Faults:
    """Per (event, parameter, kind): events, first and last day, smallest value."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str, str], list[Any]] = {}

    def add(self, event: str, parameter: str, kind: str, day: date, events: int, value: str | None) -> None:
        entry = self.found.setdefault((event, parameter, kind), [0, day, day, value])
        entry[0] += events
        entry[1], entry[2] = min(entry[1], day), max(entry[2], day)
        if value is not None and (entry[3] is None or value < entry[3]):
            entry[3] = value

    def faults(self) -> list[ParameterFault]:
        return [
            ParameterFault(event, parameter, False, kind, n, first, last, None if kind == "missing" else value)
            for (event, parameter, kind), (n, first, last, value) in sorted(self.found.items())
        ]


def _day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def schema_faults(gateway: DataGateway, schemas: Sequence[EventSchema], span: DateSpanLike) -> SchemaFaults:
    """What the Data API can check of ``schemas`` over ``span`` (and what it cannot, per parameter)."""
    out = SchemaFaults()
    if not schemas:
        return out
    registered = {
        name.split(":", 1)[1] for name in gateway.metadata().dimensions if name.startswith("customEvent:")
    }
    by_event = {s.event_name: s for s in schemas}
    declared: dict[str, list[str]] = {}
    items: dict[str, list[str]] = {}
    for schema in schemas:
        for spec in schema.parameters:
            if spec.type == "items":
                for item in spec.items:
                    items.setdefault(item.name, []).append(schema.event_name)
            else:
                declared.setdefault(spec.name, []).append(schema.event_name)
    # Per registered parameter, the events it concerns: those declaring it, and the closed
    # schemas that do not (an undeclared parameter, when it is not one of GA4's own).
    concerns: dict[str, list[str]] = {}
    for parameter in sorted(registered):
        events = list(declared.get(parameter, []))
        events += [
            s.event_name for s in schemas
            if s.closed and s.parameter(parameter) is None and parameter not in automatic_parameters(s.event_name)
        ]
        if events:
            concerns[parameter] = sorted(set(events))
    asked = sorted(concerns)
    requests = [_request(span, list(by_event), None)] + [_request(span, concerns[p], p) for p in asked]
    reports = gateway.batch_run_reports(requests, date_ranges=[span.name], what="parameter values")
    caveats = Caveats()
    for report in reports:
        caveats = caveats | report.caveats
        if len(report.rows) >= ROW_LIMIT:
            caveats = caveats | Caveats(other_row=True)
    out.caveats = caveats
    totals, *per_parameter = reports
    for dims, values in totals.rows:
        out.totals[dims["eventName"]] = out.totals.get(dims["eventName"], 0) + int(values.get("eventCount", 0))
    found = _Faults()
    for parameter, report in zip(asked, per_parameter):
        _read(report, parameter, by_event, found)
    out.faults = found.faults()
    for parameter in sorted(declared):
        declared_in = tuple(sorted(set(declared[parameter])))
        if parameter in registered:
            out.unseen.append(UnseenParameter(parameter, False, declared_in, ("wrong_type",), NO_TYPES))
        else:
            kinds: tuple[str, ...] = ("missing", "wrong_type", "not_allowed", "pattern")
            out.unseen.append(UnseenParameter(parameter, False, declared_in, kinds, NOT_REGISTERED))
    if items:  # one note for every item parameter (GA4's recommended events declare two dozen)
        with_items = tuple(sorted({e for found in items.values() for e in found}))
        kinds = ("missing", "wrong_type", "not_allowed", "pattern", "undeclared")
        out.unseen.append(UnseenParameter("*", True, with_items, kinds, ITEMS))
    closed = tuple(s.event_name for s in schemas if s.closed)
    if closed:
        out.unseen.append(UnseenParameter("(unregistered)", False, closed, ("undeclared",), UNREGISTERED_UNDECLARED))
    return out


def _read(report: ReportTable, parameter: str, schemas: dict[str, EventSchema], found: _Faults) -> None:
    label = ParameterRef("event", parameter).label
    for dims, values in report.rows:
        event, day, value = dims["eventName"], _day(dims["date"]), dims.get(label, NOT_SET)
        events = int(values.get("eventCount", 0))
        schema = schemas.get(event)
        if schema is None or not events:
            continue
        spec = schema.parameter(parameter)
        if spec is None:  # a closed schema that does not declare it
            if value != NOT_SET:
                found.add(event, parameter, "undeclared", day, events, value)
        elif value == NOT_SET:
            if spec.required:
                found.add(event, parameter, "missing", day, events, None)
        else:
            kind = _value_fault(spec, value)
            if kind is not None:
                found.add(event, parameter, kind, day, events, value)


__all__ = ["NOT_REGISTERED", "ROW_LIMIT", "schema_faults"]
