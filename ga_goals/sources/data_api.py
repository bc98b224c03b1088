"""The GA4 Data API as a report source (the requests themselves live in :mod:`ga_goals.ga4.data`).

One :meth:`DataApiSource.fetch` sends, all in parallel (at most ``max_parallel`` at a time):
one ``BatchRunReports`` (key-event totals and site totals, every date range), one
``RunFunnelReport`` per funnel (every date range in one request) and ``1 + micros``
``RunFunnelReport`` for the micro vs macro table (the baseline, then one ``micro -> macro``
funnel per micro conversion); it reads the property's time zone with one
Admin ``GetProperty``. With ``event_names`` or ``parameters`` asked (``ga-goals check``), the
calls of :mod:`ga_goals.ga4.inventory` go in the same parallel run, and with ``schemas`` those of
:mod:`ga_goals.ga4.schema_check` (what registered custom dimensions show of the parameters). Every response is parsed into
:mod:`ga_goals.sources.results` types.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ga_goals.errors import ApiError, QuotaExhausted, UnconfirmedWrite
from ga_goals.sources.base import ReportAnswer, ReportQuery, SourceUsage
from ga_goals.sources.results import FunnelTable, LiftTables, PropertySettings, ReportTable

if TYPE_CHECKING:
    from ga_goals.funnels.result import NextActions
    from ga_goals.ga4.data import DataGateway
    from ga_goals.model import Funnel


class DataApiSource:
    """Reports from the GA4 Data API of one property, through a :class:`~ga_goals.ga4.data.DataGateway`."""

    engine = "data-api"

    def __init__(self, gateway: DataGateway) -> None:
        self.gateway = gateway
        # What the next answer's usage counts from: calls made since the previous answer (so the
        # GetProperty that a report sends for the time zone counts with the report).
        self._mark = self._snapshot()

    def _snapshot(self) -> tuple[Counter[str], Counter[str], dict[str, int | None], float]:
        g = self.gateway
        return Counter(g.calls), Counter(g.admin_calls), g.quota.to_json(), time.monotonic()

    @property
    def property(self) -> str:
        return self.gateway.property

    def __enter__(self) -> DataApiSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.gateway.close()

    def settings(self) -> PropertySettings:
        return self.gateway.property_settings()

    def fetch(self, query: ReportQuery) -> ReportAnswer:
        from ga_goals.ga4.data import site_totals_request

        gateway = self.gateway
        calls_before, admin_before, quota_before, started = self._mark
        spans = list(query.spans)

        jobs: list[Callable[[], Any]] = []
        if query.events:
            jobs.append(lambda: gateway.event_totals(list(query.events), spans))
        else:
            jobs.append(
                lambda: (None, gateway.batch_run_reports([site_totals_request(spans)], date_ranges=query.span_names)[0])
            )

        def funnel_job(index: int) -> Callable[[], FunnelTable | ApiError]:
            funnel = query.funnels[index]
            funnel_spans = list(query.funnel_spans(funnel))
            if funnel.name not in query.optional_funnels:
                return lambda: gateway.run_funnel(funnel, funnel_spans)

            def optional() -> FunnelTable | ApiError:
                try:
                    return gateway.run_funnel(funnel, funnel_spans)
                except (QuotaExhausted, UnconfirmedWrite):
                    raise
                except ApiError as exc:  # refused (an unregistered dimension): said in the report
                    return exc

            return optional

        jobs += [funnel_job(i) for i in range(len(query.funnels))]
        assemble: Callable[[list[FunnelTable]], LiftTables] | None = None
        if query.macro is not None and query.micros:
            lift_jobs, assemble = gateway.lift_jobs(query.macro, list(query.micros), spans)
            jobs += lift_jobs
        lifted = len(jobs)

        def next_job(funnel: Funnel, dimension: str, limit: int) -> Callable[[], NextActions]:
            return lambda: gateway.next_actions(funnel, spans[0], dimension, limit)

        jobs += [next_job(*entry) for entry in query.next_actions]
        extra = len(jobs)
        jobs += _inventory_jobs(gateway, query)
        inventoried = len(jobs)
        if query.schemas:
            from ga_goals.ga4.schema_check import schema_faults

            jobs.append(lambda: schema_faults(gateway, query.schemas, spans[0]))
        results = gateway.run_all(jobs)
        checked = results[inventoried] if query.schemas else None
        inventory = results[extra:inventoried]
        next_actions = {f.name: found for (f, _d, _l), found in zip(query.next_actions, results[lifted:extra])}
        results = results[:lifted]

        events: ReportTable | None
        site: ReportTable
        events, site = results[0]
        tables = results[1 : 1 + len(query.funnels)]
        refused = {f.name: str(t) for f, t in zip(query.funnels, tables) if isinstance(t, ApiError)}
        lift = assemble(results[1 + len(query.funnels) :]) if assemble else None

        quota_after = gateway.quota.to_json()
        usage = SourceUsage(
            engine=self.engine,
            description=f"property {gateway.property.split('/')[-1]}",
            calls=dict(sorted((Counter(gateway.calls) - calls_before).items())),
            admin_calls=dict(sorted((Counter(gateway.admin_calls) - admin_before).items())),
            quota={
                key: (value - (quota_before[key] or 0)) if key in _COUNTERS and value is not None else value
                for key, value in quota_after.items()
            },
            seconds=time.monotonic() - started,
        )
        self._mark = self._snapshot()
        return ReportAnswer(
            events=events,
            site=site,
            funnels={f.name: t for f, t in zip(query.funnels, tables) if f.name not in refused},
            lift=lift,
            usage=usage,
            event_names=inventory[0] if query.event_names else None,
            parameters=inventory[-1] if query.parameters else None,
            refused=refused,
            next_actions=next_actions,
            schema_faults=checked,
        )


def _inventory_jobs(gateway: DataGateway, query: ReportQuery) -> list[Callable[[], Any]]:
    """The calls of ``query.event_names`` and ``query.parameters`` (:mod:`ga_goals.ga4.inventory`),
    in that order, for :meth:`~ga_goals.ga4.data.DataGateway.run_all` with the report's calls."""
    from ga_goals.ga4 import inventory

    spans = list(query.spans)
    jobs: list[Callable[[], Any]] = []
    if query.event_names:
        jobs.append(lambda: inventory.event_names(gateway, spans))
    if query.parameters:
        jobs.append(lambda: inventory.parameter_counts(gateway, query.parameters, spans))
    return jobs


#: Quota figures that add up (the others are "remaining" levels, reported as they stand).
_COUNTERS = {"tokens", "core_tokens", "funnel_tokens", "responses_without_quota"}
