"""The local BigQuery endpoint for tests: a store of real export rows, and real clients pointed at it."""

from __future__ import annotations

import pytest

from collections.abc import Iterator
from contextlib import contextmanager

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from ga_goals.events import EventStore
from ga_goals.sandbox.bigquery import BigQuerySandbox, serve_bigquery
from tests.conftest import ROOT

PROJECT = "sandbox-project"
DATASET = f"{PROJECT}.analytics_100000001"
SAMPLE = ROOT / "tests" / "data" / "ga4" / "export-sample-events.jsonl"
#: The sample's days: 2020-11-01 .. 2021-01-31, one daily table each.
FIRST_DAY, LAST_DAY, DAYS = "20201101", "20210131", 92


def sample_store() -> EventStore:
    store = EventStore()
    store.load_jsonl(SAMPLE)
    return store


def client(endpoint: str, project: str = PROJECT) -> bigquery.Client:
    """The real client, talking to the local endpoint without credentials."""
    return bigquery.Client(
        project=project, credentials=AnonymousCredentials(), client_options=ClientOptions(api_endpoint=endpoint)
    )


@contextmanager
def local_bigquery(store: EventStore, dataset: str = DATASET) -> Iterator[BigQuerySandbox]:
    with serve_bigquery(store.connection, dataset) as bq:
        yield bq


@pytest.fixture(scope="module")
def store():
    """The sample export rows, in a store of their own (one per test module)."""
    s = sample_store()
    yield s
    s.close()


@pytest.fixture(scope="module")
def bq(store):
    """The local BigQuery endpoint serving ``store``."""
    with local_bigquery(store) as server:
        yield server
