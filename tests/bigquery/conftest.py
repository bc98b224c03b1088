"""Fixtures: the sample export rows behind a local BigQuery endpoint, and a runner pointed at it."""

from __future__ import annotations

import pytest

from ga_goals.bigquery import BigQueryRunner
from tests.bigquery.local import DATASET, bq, local_bigquery, sample_store, store  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _clean(request):
    if "bq" in request.fixturenames:
        bq = request.getfixturevalue("bq")
        bq.faults.clear()
        bq.catalog.intraday_only.clear()
        bq.catalog.intraday_also.clear()


@pytest.fixture
def runner(bq) -> BigQueryRunner:
    return BigQueryRunner(DATASET, endpoint=bq.endpoint, retry_deadline=2.0)
