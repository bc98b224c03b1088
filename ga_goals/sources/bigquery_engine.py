"""BigQuery as the engine of the export source: the report's SQL runs where the data is.

For one report, :class:`BigQueryEngine`:

1. lists the dataset's tables once (which days have a daily table, which only an intraday one)
   and refuses a period without any table, naming the days the dataset has;
2. reads each date range through ``events_*`` pruned with ``_TABLE_SUFFIX`` plus the intraday
   tables of the days not exported yet (never both for one day);
3. dry-runs every query first and says what they will process and cost at on-demand prices
   (:attr:`BigQueryEngine.on_estimate`, the CLI prints it); refuses, before anything is billed,
   when a query would bill more than the cap;
4. runs the queries (plan values are query parameters; jobs carry labels) and returns their rows.

Only the result rows come back: funnel counts, totals, a dozen numbers per query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from ga_goals.funnels.dialect import Dialect, DialectName, SqlQuery
from ga_goals.funnels.sql import bigquery_events_relation
from ga_goals.parallel import run_parallel
from ga_goals.sources.base import SourceError

if TYPE_CHECKING:
    from ga_goals.bigquery.runner import BigQueryRunner
    from ga_goals.sources.base import EngineOptions

#: Queries sent to BigQuery at the same time.
MAX_PARALLEL = 4


class BigQueryEngine:
    """An :class:`~ga_goals.sources.export.SqlEngine` over a GA4 export dataset in BigQuery."""

    dialect: DialectName = "bigquery"

    def __init__(self, runner: BigQueryRunner, *, on_estimate: Callable[[list[int], int | None], None] | None = None) -> None:
        self.runner = runner
        self.dataset = str(runner.dataset)
        self.description = self.dataset
        #: Called once per batch of queries with (the bytes each dry run says, the cap or None).
        self.on_estimate = on_estimate
        self._processed = 0
        self._billed = 0
        #: The dry runs of the latest batch: (query name, bytes).
        self.estimates: list[tuple[str, int]] = []

    @classmethod
    def from_options(cls, options: EngineOptions, **kwargs: Any) -> BigQueryEngine:
        try:
            from ga_goals.bigquery.runner import DEFAULT_MAX_BYTES_BILLED, BigQueryRunner
        except ImportError as exc:  # the optional extra is missing
            raise SourceError(
                "--engine bigquery needs the google-cloud-bigquery client: pip install 'ga-goals[bigquery]' "
                f"({exc})"
            ) from None
        if not options.dataset:
            raise SourceError("--engine bigquery needs the export dataset: --dataset PROJECT.analytics_NNN")
        cap = DEFAULT_MAX_BYTES_BILLED if options.max_bytes_billed is None else options.max_bytes_billed
        runner = BigQueryRunner(
            options.dataset,
            project=options.billing_project,
            location=options.location,
            credentials_file=options.credentials_file,
            max_bytes_billed=cap,
            labels={"source": "report"},
            endpoint=options.endpoint,
        )
        return cls(runner, **kwargs)

    # -- SqlEngine -------------------------------------------------------------------------------

    def relation(self, d: Dialect, start: date, end: date) -> tuple[str, str | None, dict[str, Any]]:
        tables = self.runner.tables()
        days = {start + timedelta(days=i) for i in range((end - start).days + 1)}
        daily = days & tables.daily
        intraday = sorted(days & tables.intraday_only)
        if not daily and not intraday:
            have = sorted(tables.daily | tables.intraday)
            held = f"it has {have[0]} .. {have[-1]} ({len(have)} days)" if have else "it has no events_ tables at all"
            raise SourceError(
                f"BigQuery dataset {self.dataset} has no export tables for {start} .. {end}: {held}. "
                "Check the dataset name (PROJECT.analytics_<property id>), the period, and that the GA4 "
                "BigQuery export is linked and has run."
            )
        relation = bigquery_events_relation(self.dataset, start, end, d, intraday)
        return relation, None, {"table": self.dataset, "intraday": intraday}

    def run(self, queries: Sequence[tuple[str, SqlQuery]]) -> list[list[tuple[Any, ...]]]:
        from ga_goals.bigquery.query import Query

        prepared = [(name, Query.of(q)) for name, q in queries]
        # 1. Dry runs, all of them, before anything is billed.
        sizes: list[int] = self._parallel([partial(self.runner.dry_run, q) for _n, q in prepared])
        self.estimates = [(name, size) for (name, _q), size in zip(prepared, sizes)]
        if self.on_estimate is not None:
            self.on_estimate(list(sizes), self.runner.max_bytes_billed)
        for size in sizes:
            self.runner.check_cap(size)
        # 2. The queries.
        results = self._parallel([partial(self.runner.run, q, processed=s) for (_n, q), s in zip(prepared, sizes)])
        for result in results:
            self._processed += result.bytes_processed
            self._billed += result.bytes_billed
        return [list(r.rows) for r in results]

    def _parallel(self, jobs: list[Callable[[], Any]]) -> list[Any]:
        return run_parallel(jobs, MAX_PARALLEL, name="bigquery")

    def usage(self) -> dict[str, Any]:
        return {"bytes_processed": self._processed, "bytes_billed": self._billed}

    def close(self) -> None:
        close = getattr(self.runner, "close", None)
        if close is not None:
            close()
