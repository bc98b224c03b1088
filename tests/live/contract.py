"""The contract between the sandbox and GA4: the same read-only requests, answers of the same shape.

Each request is built by the gateway's own builders (``ga_goals.ga4.data``) or is the Admin call
``ga_goals.ga4.admin`` makes, and sent through the real clients (``ga_goals.ga4.clients``) to a
:class:`~ga_goals.ga4.target.Target`: Google's property, or the sandbox standing in for it.
:func:`shape` reduces an answer to its structure (field names, value types, nesting; never the
values), and :func:`differences` lists where two shapes disagree. The requests change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from google.analytics import data_v1beta as beta

from ga_goals.ga4 import data as gateway
from ga_goals.ga4.clients import build_admin_clients, build_data_clients
from ga_goals.ga4.target import Target
from ga_goals.model.tracking_plan import Funnel, FunnelStep, StepFilter
from ga_goals.reports.periods import DateSpan

#: Events every web property has (automatically collected), so the requests return rows.
EVENTS = ("page_view", "session_start", "first_visit")
FUNNEL = Funnel(
    name="contract",
    title="Contract",
    steps=(
        FunnelStep("Session", "session_start"),
        FunnelStep("Page", "page_view", (StepFilter("page_location", "contains", "/"),), within_seconds=1800),
    ),
    breakdown="deviceCategory",
)
#: An answer: the response message, and the header names the request determines.
Call = Callable[[Target], Any]


def periods(today: date | None = None) -> list[DateSpan]:
    """Last week and the week before (the weekly report's two periods)."""
    end = (today or date.today()) - timedelta(days=1)
    return [
        DateSpan("current", end - timedelta(days=6), end),
        DateSpan("previous", end - timedelta(days=13), end - timedelta(days=7)),
    ]


def _first_page(pager: Any) -> Any:
    return next(iter(pager.pages))


@dataclass(frozen=True)
class Request:
    name: str
    call: Call


def requests() -> list[Request]:
    """The read-only requests ga-goals sends, by name."""

    def admin(method: str) -> Call:
        def call(target: Target) -> Any:
            clients = build_admin_clients(target)
            try:
                return _first_page(getattr(clients.beta, method)(parent=target.property, timeout=target.timeout))
            finally:
                clients.close()

        return call

    def data(build: Callable[[Target, Any], Any]) -> Call:
        def call(target: Target) -> Any:
            clients = build_data_clients(target)
            try:
                return build(target, clients)
            finally:
                clients.close()

        return call

    def report(request: beta.RunReportRequest) -> Callable[[Target, Any], Any]:
        def run(target: Target, clients: Any) -> Any:
            request.property = target.property
            return clients.beta.run_report(request, timeout=target.timeout)

        return run

    def metadata(target: Target, clients: Any) -> Any:
        return clients.beta.get_metadata(beta.GetMetadataRequest(name=f"{target.property}/metadata"), timeout=target.timeout)

    def funnel(segments: bool) -> Callable[[Target, Any], Any]:
        def run(target: Target, clients: Any) -> Any:
            request = gateway.funnel_request(
                target.property, FUNNEL, periods(), segments=[gateway.micro_segment("first_visit")] if segments else ()
            )
            return clients.alpha.run_funnel_report(request, timeout=target.timeout)

        return run

    return [
        Request("ListKeyEvents", admin("list_key_events")),
        Request("ListCustomDimensions", admin("list_custom_dimensions")),
        Request("ListCustomMetrics", admin("list_custom_metrics")),
        Request("ListDataStreams", admin("list_data_streams")),
        Request("GetMetadata", data(metadata)),
        Request("RunReport site totals", data(report(gateway.site_totals_request(periods())))),
        Request("RunReport event totals", data(report(gateway.event_totals_request(EVENTS, periods())))),
        Request("RunFunnelReport", data(funnel(segments=False))),
        Request("RunFunnelReport with a segment", data(funnel(segments=True))),
    ]


# -- shapes ----------------------------------------------------------------------------------

EMPTY = "[]"


def shape(message: Any) -> Any:
    """The structure of a proto-plus message: dicts of field -> shape, a list's elements merged
    into one shape (``"[]"`` when empty), scalars as their type name. Values are dropped."""
    return _shape(type(message).to_dict(message))


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(v) for key, v in sorted(value.items())}
    if isinstance(value, list):
        if not value:
            return EMPTY
        merged = _shape(value[0])
        for item in value[1:]:
            merged = _merge(merged, _shape(item))
        return [merged]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in sorted(set(a) | set(b))}
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0], b[0])]
    if a == EMPTY:
        return b
    if b == EMPTY:
        return a
    return a if a == b else f"{a}|{b}"


def differences(google: Any, sandbox: Any, path: str = "") -> Iterator[str]:
    """Where two shapes disagree. An empty list matches any list (whether there are rows is data)."""
    if google == EMPTY or sandbox == EMPTY:
        if isinstance(google, dict) or isinstance(sandbox, dict):
            yield f"{path or '.'}: a list on one side, a message on the other"
        return
    if isinstance(google, dict) and isinstance(sandbox, dict):
        for key in sorted(set(google) | set(sandbox)):
            where = f"{path}.{key}" if path else key
            if key not in sandbox:
                yield f"{where}: in GA4's answer, not in the sandbox's"
            elif key not in google:
                yield f"{where}: in the sandbox's answer, not in GA4's"
            else:
                yield from differences(google[key], sandbox[key], where)
        return
    if isinstance(google, list) and isinstance(sandbox, list):
        yield from differences(google[0], sandbox[0], f"{path}[]")
        return
    if google != sandbox:
        yield f"{path or '.'}: {google} in GA4's answer, {sandbox} in the sandbox's"


def headers(response: Any) -> dict[str, list[Any]]:
    """The header names (and metric types) of a report or of a funnel report's two tables: what
    the request decides, so they must be equal, not only alike."""
    out: dict[str, list[Any]] = {}
    tables = {"report": response} if hasattr(response, "dimension_headers") else {}
    for name in ("funnel_table", "funnel_visualization"):
        if hasattr(response, name):
            tables[name] = getattr(response, name)
    for name, table in tables.items():
        out[f"{name}.dimensions"] = [h.name for h in table.dimension_headers]
        out[f"{name}.metrics"] = [(h.name, int(h.type_)) for h in table.metric_headers]
    return out


__all__ = ["EVENTS", "FUNNEL", "Request", "differences", "headers", "periods", "requests", "shape"]
