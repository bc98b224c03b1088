"""Fixtures: the sample export rows behind a local BigQuery endpoint, and a runner pointed at it."""

from __future__ import annotations

import pytest

from ga_goals.bigquery import BigQueryRunner
from tests.bigquery.local import DATASET, bq, store  # noqa: F401 (fixtures used by the tests here)


@pytest.fixture(autouse=True)
def _clean(request):
    if "bq" in request.fixturenames:
        server = request.getfixturevalue("bq")
        server.faults.clear()
        server.catalog.intraday_only.clear()
        server.catalog.intraday_also.clear()


@pytest.fixture
def runner(bq) -> BigQueryRunner:
    return BigQueryRunner(DATASET, endpoint=bq.endpoint, retry_deadline=2.0)
