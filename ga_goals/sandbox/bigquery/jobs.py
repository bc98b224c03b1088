"""Query jobs: run (or dry-run) a query over the catalog, keep its rows for paging, record it.

Every query, dry run or not, successful or not, is recorded as a :class:`Job` (SQL, parameters,
labels, ``dryRun``, ``maximumBytesBilled``, the bytes it processed and the error it ended with),
so tests can check what a client sent.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ga_goals.sandbox.bigquery import encode
from ga_goals.sandbox.bigquery.billing import ColumnSizes, bytes_billed
from ga_goals.sandbox.bigquery.catalog import Catalog
from ga_goals.sandbox.bigquery.errors import BigQueryHttpError, bytes_billed_limit, invalid_query
from ga_goals.sandbox.bigquery.params import decode
from ga_goals.sandbox.bigquery.translate import translate

#: How many jobs keep their result rows for paging.
KEPT_RESULTS = 256


@dataclass
class Job:
    """One query as the client sent it, and how it ended."""

    job_id: str
    project: str
    location: str
    api: str  # "jobs.insert" or "jobs.query"
    sql: str
    parameters: list[dict[str, Any]]
    labels: dict[str, str]
    dry_run: bool
    maximum_bytes_billed: int | None
    configuration: dict[str, Any]
    created_ms: int
    duckdb_sql: str | None = None
    bytes_processed: int = 0
    bytes_billed: int = 0
    error: BigQueryHttpError | None = None
    schema: dict[str, Any] = field(default_factory=lambda: {"fields": []})
    values: list[tuple[Any, ...]] = field(default_factory=list)

    expired: bool = False

    def expire(self) -> None:
        """Forget the rows (the record stays)."""
        self.values = []
        self.expired = True

    @property
    def reference(self) -> dict[str, str]:
        return {"projectId": self.project, "jobId": self.job_id, "location": self.location}

    def page(
        self, start: int, count: int | None, int64_timestamps: bool = False
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Rows ``start..start+count`` in REST form, and the page token of the next page (None at the end)."""
        end = len(self.values) if count is None else min(len(self.values), start + count)
        rows = encode.rows(self.schema["fields"], self.values[start:end], int64_timestamps)
        return rows, (str(end) if end < len(self.values) else None)

    def resource(self) -> dict[str, Any]:
        """The REST ``Job`` resource."""
        status: dict[str, Any] = {"state": "DONE"}
        if self.error is not None:
            status["errorResult"] = self.error.error_proto()
            status["errors"] = [self.error.error_proto()]
        query_stats: dict[str, Any] = {
            "totalBytesProcessed": str(self.bytes_processed),
            "totalBytesProcessedAccuracy": "PRECISE",
            "cacheHit": False,
            "statementType": "SELECT",
        }
        if self.error is None:
            query_stats["schema"] = self.schema
            if not self.dry_run:
                query_stats["totalBytesBilled"] = str(self.bytes_billed)
        return {
            "kind": "bigquery#job",
            "etag": f'"{self.job_id}"',
            "id": f"{self.project}:{self.location}.{self.job_id}",
            "jobReference": self.reference,
            "configuration": self.configuration,
            "status": status,
            "statistics": {
                "creationTime": str(self.created_ms),
                "startTime": str(self.created_ms),
                "endTime": str(self.created_ms),
                "totalBytesProcessed": str(self.bytes_processed),
                "query": query_stats,
            },
            "user_email": "sandbox@ga-goals.local",
        }


class Jobs:
    """Runs queries over a :class:`Catalog` and keeps every job (thread-safe)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._sizes = ColumnSizes(catalog.connection)
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._order: list[Job] = []
        self._ids = itertools.count(1)

    @property
    def recorded(self) -> list[Job]:
        """Every job, oldest first."""
        with self._lock:
            return list(self._order)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def run(
        self,
        project: str,
        api: str,
        query: dict[str, Any],
        *,
        dry_run: bool,
        labels: dict[str, str],
        job_id: str | None,
        location: str | None,
        configuration: dict[str, Any],
    ) -> Job:
        """Run one query request (``query`` is ``configuration.query`` of jobs.insert, or the jobs.query body)."""
        raw_limit = query.get("maximumBytesBilled")
        if raw_limit not in (None, "") and not str(raw_limit).isdigit():
            raise BigQueryHttpError(
                400, "invalid", f"Invalid value for maximumBytesBilled: {raw_limit!r} is not an int64"
            )
        job = Job(
            job_id=job_id or f"sandbox_job_{next(self._ids):06d}",
            project=project,
            location=location or self.catalog.location,
            api=api,
            sql=str(query.get("query", "")),
            parameters=[],
            labels=dict(labels),
            dry_run=dry_run,
            maximum_bytes_billed=int(raw_limit) if raw_limit not in (None, "") else None,
            configuration=configuration,
            created_ms=int(time.time() * 1000),
        )
        with self._lock:
            self._jobs[job.job_id] = job
            self._order.append(job)
            # Keep the rows of the latest jobs only (a benchmark runs thousands); older ones expire.
            if len(self._order) > KEPT_RESULTS:
                self._order[-KEPT_RESULTS - 1].expire()
        try:
            self._execute(job, query)
        except BigQueryHttpError as e:
            job.error = e
        return job

    def _execute(self, job: Job, query: dict[str, Any]) -> None:
        if query.get("useLegacySql", True) not in (False, "false"):
            raise invalid_query("The local BigQuery sandbox runs GoogleSQL only: set useLegacySql to false")
        params = decode(query.get("queryParameters"))
        job.parameters = [p.record() for p in params.values()]
        cur = self.catalog.connection.cursor()
        try:
            translation = translate(job.sql, params, self.catalog, job.project, cur)
            job.duckdb_sql = translation.sql
            job.bytes_processed = self._sizes.bytes_processed((t.day for t in translation.tables), translation.columns)
            job.bytes_billed = bytes_billed(job.bytes_processed)
            try:
                relation = cur.sql(translation.sql)
                job.schema = encode.schema(relation.columns, relation.types)
                if job.dry_run:
                    return
                if job.maximum_bytes_billed is not None and job.bytes_billed > job.maximum_bytes_billed:
                    raise bytes_billed_limit(job.maximum_bytes_billed, job.bytes_billed)
                job.values = relation.fetchall()
            except duckdb.Error as e:
                raise invalid_query(f"{type(e).__name__}: {e}") from None
            except ValueError as e:
                raise invalid_query(str(e)) from None
        finally:
            cur.close()
