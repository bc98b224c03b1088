"""Every failure BigQueryRunner can meet becomes a GaGoalsError that says what to do.

The errors come from the local endpoint in BigQuery's own format (the real client raises its
real exception classes from them), from a closed port, and from an environment without
credentials.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ga_goals.bigquery import BigQueryRunner, Query
from ga_goals.bigquery.errors import (
    BigQueryAccessDenied,
    BigQueryCredentialsError,
    BigQueryError,
    BigQueryInvalidQuery,
    BigQueryNotFound,
    BigQueryQuotaExceeded,
    BigQueryUnreachable,
)
from ga_goals.errors import CredentialsError, GaGoalsError, QuotaExhausted
from ga_goals.sandbox.bigquery import Fault
from tests.bigquery.local import DATASET, PROJECT

T = f"`{DATASET}.events_*`"


@pytest.mark.parametrize(
    "fault, error, hints",
    [
        (
            Fault(
                "jobs.insert",
                403,
                "accessDenied",
                "Access Denied: Project billing-1: User does not have bigquery.jobs.create permission",
            ),
            BigQueryAccessDenied,
            [
                "bigquery.jobs.create",
                "BigQuery Job User",
                "roles/bigquery.jobUser",
                "BigQuery Data Viewer",
                f"billing project {PROJECT}",
                f"dataset {DATASET}",
            ],
        ),
        (
            Fault("jobs.insert", 403, "billingNotEnabled", "Billing has not been enabled for this project"),
            BigQueryAccessDenied,
            ["Billing has not been enabled", "Enable billing"],
        ),
        (
            Fault(
                "jobs.insert",
                403,
                "quotaExceeded",
                "Quota exceeded: Your project exceeded quota for free query bytes scanned",
            ),
            BigQueryQuotaExceeded,
            ["quotaExceeded", "free query bytes", "Quotas", f"project {PROJECT}"],
        ),
        (
            Fault(
                "jobs.insert", 403, "rateLimitExceeded", "Exceeded rate limits: too many concurrent queries", times=1000
            ),  # the client retries rate limits: they must last past its retry deadline
            BigQueryQuotaExceeded,
            ["rateLimitExceeded", "wait a minute"],
        ),
        (
            Fault(
                "jobs.getQueryResults",
                429,
                "rateLimitExceeded",
                "Exceeded rate limits: too many api requests per user",
                times=1000,
            ),
            BigQueryQuotaExceeded,
            ["too many api requests", "wait a minute"],
        ),
        (
            Fault("jobs.getQueryResults", 400, "resourcesExceeded", "Resources exceeded during query execution"),
            BigQueryError,
            ["Resources exceeded during query execution", "fewer days"],
        ),
        (
            Fault(
                "jobs.insert",
                404,
                "notFound",
                f"Not found: Dataset {PROJECT}:analytics_100000001 was not found in location EU",
            ),
            BigQueryNotFound,
            ["was not found in location EU", "Check the dataset name", "PROJECT.analytics_NNN", "location"],
        ),
    ],
)
def test_api_errors_say_what_to_do(runner, bq, fault, error, hints):
    bq.faults.append(fault)
    with pytest.raises(error) as info:
        runner.run(Query("SELECT 1"))
    message = str(info.value)
    for hint in hints:
        assert hint in message, hint
    assert "http://" not in message and "Job ID" not in message  # BigQuery's words, not the client's wrapping
    assert isinstance(info.value, GaGoalsError)


def test_quota_errors_are_quota_exhausted():
    assert issubclass(BigQueryQuotaExceeded, QuotaExhausted) and issubclass(BigQueryCredentialsError, CredentialsError)


def test_a_real_not_found_names_the_dataset_and_location(bq):
    runner = BigQueryRunner(f"{PROJECT}.analytics_999", endpoint=bq.endpoint)
    with pytest.raises(BigQueryNotFound, match=f"Dataset {PROJECT}:analytics_999.*location"):
        runner.tables()
    with pytest.raises(BigQueryNotFound, match="events_20990101 was not found"):
        BigQueryRunner(DATASET, endpoint=bq.endpoint).run(Query(f"SELECT 1 FROM `{DATASET}.events_20990101`"))


def test_an_invalid_query_is_a_bug_in_ga_goals(runner):
    with pytest.raises(BigQueryInvalidQuery, match="a bug in ga-goals.*Syntax error"):
        runner.run(Query("SELECT FROM WHERE"))
    with pytest.raises(BigQueryInvalidQuery, match="no_such_column"):
        runner.dry_run(Query(f"SELECT no_such_column FROM {T}"))


def test_an_unknown_error_keeps_its_code_and_reason(runner, bq):
    bq.faults.append(Fault("jobs.insert", 501, "notImplemented", "Not implemented: this feature"))
    with pytest.raises(BigQueryError, match="501 .notImplemented.: Not implemented: this feature"):
        runner.run(Query("SELECT 1"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_endpoint_is_a_network_error():
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    runner = BigQueryRunner(DATASET, endpoint=endpoint, retry_deadline=0.5)
    with pytest.raises(BigQueryUnreachable, match=f"could not be reached at {endpoint}.*network"):
        runner.run(Query("SELECT 1"))
    with pytest.raises(BigQueryUnreachable):
        runner.tables()


@pytest.fixture
def no_adc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Application Default Credentials anywhere, and no metadata server probe."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    return tmp_path


def _helpful(message: str) -> None:
    for hint in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "gcloud auth application-default login",
        "service-account key",
        "metadata server",
    ):
        assert hint in message, hint


def test_no_credentials_anywhere(no_adc):
    runner = BigQueryRunner(DATASET)
    with pytest.raises(BigQueryCredentialsError) as info:
        runner.tables()
    _helpful(str(info.value))


def test_credentials_env_names_a_missing_file(no_adc, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(no_adc / "nope.json"))
    with pytest.raises(BigQueryCredentialsError, match="nope.json") as info:
        BigQueryRunner(DATASET).run(Query("SELECT 1"))
    _helpful(str(info.value))


def test_credentials_file_missing_or_not_a_key(no_adc):
    with pytest.raises(BigQueryCredentialsError, match="does not exist"):
        BigQueryRunner(DATASET, credentials_file=no_adc / "key.json").dry_run(Query("SELECT 1"))
    bad = no_adc / "bad.json"
    bad.write_text(json.dumps({"type": "service_account"}))
    with pytest.raises(BigQueryCredentialsError, match="is not a service-account key file"):
        BigQueryRunner(DATASET, credentials_file=bad).dry_run(Query("SELECT 1"))


def test_a_service_account_key_builds_a_client_without_network(no_adc):
    from tests.ga4.test_credentials import _service_account_file

    key = _service_account_file(no_adc / "key.json")
    runner = BigQueryRunner("data-project.analytics_1", credentials_file=key, project="billing-project")
    client = runner.client
    assert client.project == "billing-project"
    assert client._credentials.service_account_email == "ga-goals@test-project.iam.gserviceaccount.com"
    assert "https://www.googleapis.com/auth/bigquery" in client._credentials.scopes
