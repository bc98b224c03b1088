"""Run queries on a GA4 BigQuery export dataset, within a cap on the bytes billed.

:class:`BigQueryRunner` is the only place ga-goals talks to BigQuery (``google-cloud-bigquery``,
the ``bigquery`` extra). Every query is dry-run first; a query that would bill more than the cap
is refused with what it would cost, and the real run carries the cap as ``maximumBytesBilled``
(BigQuery enforces it too), the labels and a job timeout. Results come back as plain Python
values; client exceptions become :mod:`ga_goals.bigquery.errors` with what to do.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from google.cloud import bigquery

from ga_goals.bigquery.cost import GIB, billed_bytes, cost_usd, format_usd, human_size
from ga_goals.bigquery.errors import BytesLimitExceeded, credentials_error, map_error
from ga_goals.bigquery.query import Query, Typed
from ga_goals.bigquery.settings import BigQueryConfigError, DatasetRef, job_labels, parse_dataset

#: The cap on bytes billed per query unless configured otherwise (about $0.06 at on-demand prices).
DEFAULT_MAX_BYTES_BILLED = 10 * GIB
#: How long a query job may run, in seconds.
DEFAULT_JOB_TIMEOUT = 300.0
#: For how long a failed call (a network error, a 5xx) is retried, in seconds.
DEFAULT_RETRY_DEADLINE = 60.0
#: The OAuth scope asked of service-account keys and ADC (jobs need more than read-only).
SCOPES = ("https://www.googleapis.com/auth/bigquery",)

T = TypeVar("T")


@dataclass(frozen=True)
class DayTables:
    """Which days of the export have a daily table ``events_YYYYMMDD`` and which an intraday table."""

    daily: frozenset[date]
    intraday: frozenset[date]

    @property
    def intraday_only(self) -> frozenset[date]:
        """Days not exported yet: an intraday table and no daily table."""
        return self.intraday - self.daily


@dataclass(frozen=True)
class QueryResult:
    """Rows as plain tuples (structs as dicts, arrays as lists), their column names, and the bill."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    bytes_processed: int
    bytes_billed: int
    job_id: str

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def _day(suffix: str) -> date | None:
    try:
        return datetime.strptime(suffix, "%Y%m%d").date() if len(suffix) == 8 else None
    except ValueError:
        return None


def _parameter(name: str, value: Typed) -> Any:
    if value.type.startswith("ARRAY<"):
        return bigquery.ArrayQueryParameter(name, value.type[6:-1], value.value)
    return bigquery.ScalarQueryParameter(name, value.type, value.value)


def _plain(value: Any) -> Any:
    if isinstance(value, bigquery.Row):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class BigQueryRunner:
    """Queries on one export dataset.

    :param dataset: ``PROJECT.analytics_NNN``.
    :param project: the billing project jobs run in (default: the dataset's project).
    :param location: where jobs run (default: let BigQuery pick the dataset's location).
    :param credentials_file: a service-account key file; default: Application Default Credentials
        (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's application-default login, the metadata server).
    :param max_bytes_billed: the cap per query (default :data:`DEFAULT_MAX_BYTES_BILLED`); 0 or
        None: no cap.
    :param labels: job labels besides ``tool=ga-goals``.
    :param endpoint: a local BigQuery API endpoint (``http://127.0.0.1:PORT``): no credentials.
    :param client: a ready ``bigquery.Client`` (then ``credentials_file`` and ``endpoint`` are unused).
    """

    def __init__(
        self,
        dataset: str,
        *,
        project: str | None = None,
        location: str | None = None,
        credentials_file: str | os.PathLike[str] | None = None,
        max_bytes_billed: int | None = DEFAULT_MAX_BYTES_BILLED,
        labels: Mapping[str, str] | None = None,
        endpoint: str | None = None,
        client: bigquery.Client | None = None,
        job_timeout: float = DEFAULT_JOB_TIMEOUT,
        retry_deadline: float = DEFAULT_RETRY_DEADLINE,
    ) -> None:
        self.dataset: DatasetRef = parse_dataset(dataset)
        self.project = project or self.dataset.project
        self.location = location
        self.credentials_file = os.fspath(credentials_file) if credentials_file else None
        if max_bytes_billed is not None and max_bytes_billed < 0:
            raise BigQueryConfigError(f"max_bytes_billed cannot be negative ({max_bytes_billed}); 0 means no cap")
        self.max_bytes_billed = max_bytes_billed or None
        self.labels = job_labels(labels)
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise BigQueryConfigError(f"BigQuery endpoint {endpoint!r} is not a URL: write http://127.0.0.1:PORT")
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.job_timeout = job_timeout
        self._retry = bigquery.DEFAULT_RETRY.with_timeout(retry_deadline)
        self._client = client
        self._lock = threading.Lock()
        self._tables: DayTables | None = None

    def __repr__(self) -> str:
        where = f" via {self.endpoint}" if self.endpoint else ""
        return f"BigQueryRunner({self.dataset}, project={self.project}{where})"

    # -- the client --------------------------------------------------------------------------

    @property
    def client(self) -> bigquery.Client:
        with self._lock:
            if self._client is None:
                self._client = self._call(self._build_client)
            return self._client

    def _build_client(self) -> bigquery.Client:
        if self.endpoint:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials

            return bigquery.Client(
                project=self.project,
                location=self.location,
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=self.endpoint),
            )
        return bigquery.Client(project=self.project, location=self.location, credentials=self._credentials())

    def _credentials(self) -> Any:
        if self.credentials_file:
            path = self.credentials_file
            if not os.path.isfile(path):
                raise credentials_error(f"the key file {path} does not exist.")
            from google.oauth2 import service_account

            try:
                return service_account.Credentials.from_service_account_file(path, scopes=list(SCOPES))
            except (ValueError, KeyError, OSError) as exc:
                raise credentials_error(
                    f"{path} is not a service-account key file ({type(exc).__name__}: {exc}). "
                    "Download a JSON key in Google Cloud console > IAM > Service accounts > Keys."
                ) from exc
        import google.auth

        credentials, _ = google.auth.default(scopes=list(SCOPES))
        return credentials

    def _call(self, fn: Callable[[], T]) -> T:
        """``fn()``, with client exceptions mapped to ga_goals errors."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 (map_error returns a GaGoalsError for every exception)
            raise map_error(exc, project=self.project, dataset=str(self.dataset), where=self.endpoint or "") from exc

    # -- tables ------------------------------------------------------------------------------

    def tables(self) -> DayTables:
        """Which days have a daily and which an intraday table (one ``tables.list`` listing, cached)."""
        if self._tables is None:
            names = self._call(
                lambda: [
                    t.table_id for t in self.client.list_tables(str(self.dataset), retry=self._retry, page_size=1000)
                ]
            )
            daily, intraday = set(), set()
            for name in names:
                if name.startswith("events_intraday_"):
                    day = _day(name.removeprefix("events_intraday_"))
                    if day:
                        intraday.add(day)
                elif name.startswith("events_"):
                    day = _day(name.removeprefix("events_"))
                    if day:
                        daily.add(day)
            self._tables = DayTables(frozenset(daily), frozenset(intraday))
        return self._tables

    # -- queries -----------------------------------------------------------------------------

    def _config(self, query: Query, **kwargs: Any) -> bigquery.QueryJobConfig:
        params = [_parameter(name, value) for name, value in query.typed_params().items()]
        return bigquery.QueryJobConfig(
            query_parameters=params, labels=dict(self.labels), use_legacy_sql=False, **kwargs
        )

    def dry_run(self, query: Query) -> int:
        """The bytes ``query`` would process (a dry run: free, nothing runs)."""
        config = self._config(query, dry_run=True, use_query_cache=False)

        def call() -> int:
            job = self.client.query(query.sql, job_config=config, retry=self._retry, job_retry=None)
            return int(job.total_bytes_processed or 0)

        return self._call(call)

    def check_cap(self, processed: int) -> None:
        """Refuse (:class:`BytesLimitExceeded`) a query that would bill more than the cap."""
        cap = self.max_bytes_billed
        billed = billed_bytes(processed)
        if cap is not None and billed > cap:
            raise BytesLimitExceeded(
                f"the BigQuery query would process {human_size(processed)} ({processed:,} bytes; billed "
                f"{human_size(billed)}, about {format_usd(cost_usd(processed))} at on-demand pricing), more than the cap "
                f"of {human_size(cap)} ({cap:,} bytes). Raise the cap with max_bytes_billed (0 means no cap), or query "
                "fewer days."
            )

    def run(self, query: Query, *, processed: int | None = None) -> QueryResult:
        """Dry-run ``query``, refuse it above the cap, then run it and return its rows.

        ``processed``: the bytes of a dry run the caller already made (then none is made again).
        """
        if processed is None:
            processed = self.dry_run(query)
        self.check_cap(processed)
        timeout_ms = int(self.job_timeout * 1000)
        # Set only when capped: the client sends an explicit None as the string "None".
        capped = {"maximum_bytes_billed": self.max_bytes_billed} if self.max_bytes_billed else {}
        config = self._config(query, job_timeout_ms=timeout_ms, **capped)

        def call() -> QueryResult:
            job = self.client.query(
                query.sql, job_config=config, retry=self._retry, job_retry=None
            )  # a failed job is not run again
            result = job.result(retry=self._retry, timeout=self.job_timeout, job_retry=None)
            columns = tuple(f.name for f in result.schema)
            rows = tuple(tuple(_plain(v) for v in row.values()) for row in result)
            return QueryResult(
                columns=columns,
                rows=rows,
                bytes_processed=int(job.total_bytes_processed or 0),
                bytes_billed=int(job.total_bytes_billed or 0),
                job_id=str(job.job_id),
            )

        return self._call(call)
