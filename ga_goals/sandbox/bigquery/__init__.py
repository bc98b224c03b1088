"""A local BigQuery endpoint over the sandbox's events, for the real ``google-cloud-bigquery`` client.

The GA4 export dataset ``PROJECT.analytics_NNN`` (daily tables ``events_YYYYMMDD``, intraday
tables ``events_intraday_YYYYMMDD``) is served from a DuckDB ``events`` table over BigQuery's
REST API on 127.0.0.1. Queries are translated from BigQuery SQL to DuckDB with sqlglot
(``translate``), dry runs report the bytes BigQuery would bill (``billing``), results travel in
the REST encoding (``encode``), every job is recorded (``jobs``), and ``server`` speaks HTTP.

    with serve_bigquery(store.connection, "my-project.analytics_123") as bq:
        client = bigquery.Client(project="my-project", credentials=AnonymousCredentials(),
                                 client_options=ClientOptions(api_endpoint=bq.endpoint))

Importing this package loads DuckDB and sqlglot (the ``bigquery`` extra), not the Google client.
"""

from __future__ import annotations

from ga_goals.sandbox.bigquery.jobs import Job
from ga_goals.sandbox.bigquery.server import BigQuerySandbox, Fault, serve_bigquery

__all__ = ["BigQuerySandbox", "Fault", "Job", "serve_bigquery"]
