"""An HTTP server on 127.0.0.1 speaking the BigQuery REST API v2 calls a query client makes.

Routes (all under ``/bigquery/v2``): ``jobs.insert`` (query jobs, dry runs too), ``jobs.get``,
``jobs.query`` (the client's fast path), ``jobs.getQueryResults`` (paged by ``maxResults`` and
``pageToken``/``startIndex``), ``datasets.get``, ``tables.list`` (paged), ``tables.get`` and
``tabledata.list`` (a query's anonymous result table). Errors answer in BigQuery's JSON error
format, so ``google-cloud-bigquery`` raises its real exceptions.

:class:`Fault` injects an error answer (403 ``accessDenied``, 403 ``quotaExceeded``, 429
``rateLimitExceeded``...) into the next calls of one method.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb

from ga_goals.sandbox.bigquery.catalog import Catalog, table_schema
from ga_goals.sandbox.bigquery.errors import BigQueryHttpError, not_found
from ga_goals.sandbox.bigquery.jobs import Job, Jobs

#: The result table datasets of query jobs live in (``tabledata.list`` reads them).
ANON_DATASET = "_sandbox_anonymous"
#: Page size of tables.list when the client does not say.
TABLES_PAGE = 1000


@dataclass
class Fault:
    """Answer the next ``times`` calls of ``method`` (a glob over ``jobs.insert``, ``tables.list``...) with an error."""

    method: str
    code: int
    reason: str
    message: str
    times: int = 1


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile("^/bigquery/v2/projects/(?P<project>[^/]+)" + p + "$"), name)
    for m, p, name in [
        ("POST", "/jobs", "jobs.insert"),
        ("GET", "/jobs/(?P<job>[^/]+)", "jobs.get"),
        ("POST", "/jobs/(?P<job>[^/]+)/cancel", "jobs.cancel"),
        ("POST", "/queries", "jobs.query"),
        ("GET", "/queries/(?P<job>[^/]+)", "jobs.getQueryResults"),
        ("GET", "/datasets/(?P<dataset>[^/]+)", "datasets.get"),
        ("GET", "/datasets/(?P<dataset>[^/]+)/tables", "tables.list"),
        ("GET", "/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)", "tables.get"),
        ("GET", "/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)/data", "tabledata.list"),
    ]
]


class BigQuerySandbox:
    """The local BigQuery endpoint over ``connection`` (a DuckDB connection with an ``events`` table).

    ``dataset`` is ``project.dataset``; the project is also the project jobs run in. Start it
    with :meth:`start` (or use :func:`serve_bigquery`); :attr:`endpoint` is the URL to give the
    client as ``ClientOptions(api_endpoint=...)``.
    """

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        dataset: str = "sandbox-project.analytics_100000001",
        *,
        location: str = "US",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        project, _, name = dataset.partition(".")
        if not project or not name or "." in name:
            raise ValueError(f"dataset must be written PROJECT.DATASET, not {dataset!r}")
        self.catalog = Catalog(connection, project, name, location)
        self.jobs = Jobs(self.catalog)
        self.faults: list[Fault] = []
        #: (HTTP method, path with query string, RPC name) of every request, in order.
        self.requests: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._host = host
        self._httpd = ThreadingHTTPServer((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self._host}:{self._httpd.server_address[1]}"

    @property
    def dataset(self) -> str:
        return f"{self.catalog.project}.{self.catalog.dataset}"

    def start(self) -> BigQuerySandbox:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="bigquery-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def calls(self, rpc: str) -> int:
        """How many requests of one method (``jobs.getQueryResults``...) arrived."""
        with self._lock:
            return sum(1 for _, _, name in self.requests if name == rpc)

    def _take_fault(self, method: str, path: str, rpc: str) -> Fault | None:
        with self._lock:
            self.requests.append((method, path, rpc))
            for fault in self.faults:
                if fault.times > 0 and fnmatch.fnmatchcase(rpc, fault.method):
                    fault.times -= 1
                    return fault
        return None

    # -- the calls -------------------------------------------------------------------------

    def dispatch(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        for m, pattern, rpc in _ROUTES:
            match = pattern.match(path)
            if m == method and match:
                fault = self._take_fault(method, path, rpc)
                if fault is not None:
                    raise BigQueryHttpError(fault.code, fault.reason, fault.message)
                handler: Callable[..., dict[str, Any]] = getattr(self, "_" + rpc.replace(".", "_"))
                return handler(query=query, body=body, **match.groupdict())
        raise BigQueryHttpError(
            404, "notFound", f"Not found: {method} {path} (not served by the local BigQuery sandbox)"
        )

    def _jobs_insert(self, project: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        configuration = body.get("configuration") or {}
        q = configuration.get("query")
        if q is None:
            raise BigQueryHttpError(400, "invalid", "The local BigQuery sandbox runs query jobs only")
        reference = body.get("jobReference") or {}
        dry_run = bool(configuration.get("dryRun"))
        configuration = dict(configuration, jobType="QUERY")
        job = self.jobs.run(
            project,
            "jobs.insert",
            q,
            dry_run=dry_run,
            labels=configuration.get("labels") or {},
            job_id=reference.get("jobId"),
            location=reference.get("location"),
            configuration=configuration,
        )
        if dry_run and job.error is not None:
            raise job.error  # a dry run answers its error directly
        if not dry_run:
            configuration["query"] = dict(q, destinationTable=self._anon_table(job))
        return job.resource()

    def _anon_table(self, job: Job) -> dict[str, str]:
        return {"projectId": job.project, "datasetId": ANON_DATASET, "tableId": f"anon_{job.job_id}"}

    def _job(self, project: str, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.project != project:
            raise not_found(f"Job {project}:{self.catalog.location}.{job_id}")
        return job

    def _jobs_get(self, project: str, job: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        return self._job(project, job).resource()

    def _jobs_cancel(self, project: str, job: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "bigquery#jobCancelResponse", "job": self._job(project, job).resource()}

    def _results(self, job: Job, query: dict[str, str], kind: str) -> dict[str, Any]:
        if job.error is not None:
            raise job.error
        if job.expired:
            raise not_found(
                f"Job {job.project}:{job.location}.{job.job_id}: its results expired (the sandbox keeps the latest)"
            )
        start = int(query.get("pageToken") or query.get("startIndex") or 0)
        count = int(query["maxResults"]) if query.get("maxResults") not in (None, "") else None
        int64 = query.get("formatOptions.useInt64Timestamp", "").lower() == "true"
        rows, token = job.page(start, count, int64)
        out: dict[str, Any] = {
            "kind": kind,
            "jobReference": job.reference,
            "jobComplete": True,
            "schema": job.schema,
            "totalRows": str(len(job.values)),
            "totalBytesProcessed": str(job.bytes_processed),
            "cacheHit": False,
        }
        if rows:
            out["rows"] = rows
        if token is not None:
            out["pageToken"] = token
        return out

    def _jobs_getQueryResults(
        self, project: str, job: str, query: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        return self._results(self._job(project, job), query, "bigquery#getQueryResultsResponse")

    def _jobs_query(self, project: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        dry_run = bool(body.get("dryRun"))
        job = self.jobs.run(
            project,
            "jobs.query",
            body,
            dry_run=dry_run,
            labels=body.get("labels") or {},
            job_id=None,
            location=body.get("location"),
            configuration={"query": dict(body), "jobType": "QUERY"},
        )
        if job.error is not None:
            raise job.error
        if dry_run:
            return {
                "kind": "bigquery#queryResponse",
                "jobComplete": True,
                "schema": job.schema,
                "totalBytesProcessed": str(job.bytes_processed),
                "cacheHit": False,
            }
        page = {"maxResults": str(body["maxResults"])} if body.get("maxResults") is not None else {}
        if (body.get("formatOptions") or {}).get("useInt64Timestamp"):
            page["formatOptions.useInt64Timestamp"] = "true"
        return self._results(job, page, "bigquery#queryResponse")

    def _check_dataset(self, project: str, dataset: str) -> None:
        if (project, dataset) != (self.catalog.project, self.catalog.dataset):
            raise not_found(f"Dataset {project}:{dataset}")

    def _datasets_get(self, project: str, dataset: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        self._check_dataset(project, dataset)
        return {
            "kind": "bigquery#dataset",
            "id": f"{project}:{dataset}",
            "datasetReference": {"projectId": project, "datasetId": dataset},
            "location": self.catalog.location,
        }

    def _table_ref(self, project: str, dataset: str, table: str) -> dict[str, str]:
        return {"projectId": project, "datasetId": dataset, "tableId": table}

    def _tables_list(self, project: str, dataset: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        self._check_dataset(project, dataset)
        tables = self.catalog.tables()
        start = int(query.get("pageToken") or 0)
        count = int(query.get("maxResults") or TABLES_PAGE)
        page = tables[start : start + count]
        out: dict[str, Any] = {
            "kind": "bigquery#tableList",
            "totalItems": len(tables),
            "tables": [
                {
                    "kind": "bigquery#table",
                    "id": f"{project}:{dataset}.{t.name}",
                    "type": "TABLE",
                    "tableReference": self._table_ref(project, dataset, t.name),
                }
                for t in page
            ],
        }
        if start + count < len(tables):
            out["nextPageToken"] = str(start + count)
        return out

    def _tables_get(
        self, project: str, dataset: str, table: str, query: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        if dataset == ANON_DATASET:
            job = self._anon_job(project, table)
            return {
                "kind": "bigquery#table",
                "id": f"{project}:{dataset}.{table}",
                "type": "TABLE",
                "tableReference": self._table_ref(project, dataset, table),
                "schema": job.schema,
                "numRows": str(len(job.values)),
            }
        self._check_dataset(project, dataset)
        found = self.catalog.table(table)
        if found is None:
            raise not_found(f"Table {project}:{dataset}.{table}")
        return {
            "kind": "bigquery#table",
            "id": f"{project}:{dataset}.{table}",
            "type": "TABLE",
            "tableReference": self._table_ref(project, dataset, table),
            "schema": table_schema(),
            "numRows": str(self.catalog.row_count(found.day)),
        }

    def _anon_job(self, project: str, table: str) -> Job:
        job = self.jobs.get(table.removeprefix("anon_"))
        if job is None or job.error is not None or not table.startswith("anon_"):
            raise not_found(f"Table {project}:{ANON_DATASET}.{table}")
        return job

    def _tabledata_list(
        self, project: str, dataset: str, table: str, query: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        if dataset != ANON_DATASET:
            raise BigQueryHttpError(400, "invalid", "The local BigQuery sandbox lists the rows of query results only")
        job = self._anon_job(project, table)
        out = self._results(job, query, "bigquery#tableDataList")
        return {
            "kind": "bigquery#tableDataList",
            "totalRows": out["totalRows"],
            "rows": out.get("rows", []),
            **({"pageToken": out["pageToken"]} if "pageToken" in out else {}),
        }


def _handler(sandbox: BigQuerySandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
            pass  # quiet: tests read sandbox.requests instead

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
                status, answer = 200, sandbox.dispatch(method, parts.path, query, body)
            except BigQueryHttpError as e:
                status, answer = e.code, e.body()
            except json.JSONDecodeError as e:
                err = BigQueryHttpError(400, "parseError", f"Invalid JSON payload received: {e}")
                status, answer = err.code, err.body()
            except Exception as e:  # noqa: BLE001 (a bug here: answer it instead of dropping the connection)
                # A reason the client does not retry, so the failure shows at once.
                err = BigQueryHttpError(
                    500, "sandboxError", f"The local BigQuery sandbox failed: {type(e).__name__}: {e}"
                )
                status, answer = err.code, err.body()
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

    return Handler


@contextmanager
def serve_bigquery(
    connection: duckdb.DuckDBPyConnection, dataset: str = "sandbox-project.analytics_100000001", **kwargs: Any
) -> Iterator[BigQuerySandbox]:
    """Run a :class:`BigQuerySandbox` on a free loopback port for the ``with`` block."""
    sandbox = BigQuerySandbox(connection, dataset, **kwargs).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
