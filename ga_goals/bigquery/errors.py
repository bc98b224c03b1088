"""BigQuery client exceptions -> ga_goals errors whose messages say what to do.

The client raises ``google.api_core.exceptions`` classes by HTTP status (403 ``Forbidden``, 404
``NotFound``, 400 ``BadRequest``, 429 ``TooManyRequests``...) and, for a failed job, by the
job's error reason (``google.cloud.bigquery.job.base._ERROR_REASON_TO_EXCEPTION``: a reason it
does not know, such as ``bytesBilledLimitExceeded``, becomes 500 ``InternalServerError``). The
reason itself is ``exc.errors[0]["reason"]`` (BigQuery's "Troubleshoot errors" page lists
them), so :func:`map_error` decides on the reason first, the class second.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from ga_goals.errors import ApiError, CredentialsError, GaGoalsError, QuotaExhausted

#: The IAM roles ga-goals needs, for access-denied messages.
ROLES_HINT = (
    "ga-goals needs the BigQuery Job User role (roles/bigquery.jobUser) on the billing project {project} "
    "and BigQuery Data Viewer (roles/bigquery.dataViewer) on the dataset {dataset} (or its project); "
    "grant them to the account ga-goals runs as in Google Cloud console > IAM."
)

#: How to get credentials for BigQuery.
CREDENTIALS_HINT = (
    "ga-goals uses Google Application Default Credentials for BigQuery. Either\n"
    "  - pass a service-account key file (credentials_file, or set GOOGLE_APPLICATION_CREDENTIALS=FILE); or\n"
    "  - log in with your own Google account: gcloud auth application-default login\n"
    "    (its default scope, cloud-platform, covers BigQuery); or\n"
    "  - run on Google Cloud, where the metadata server provides the attached service account."
)


class BigQueryError(ApiError):
    """A BigQuery call failed in a way the user must act on."""


class BigQueryAccessDenied(BigQueryError):
    """403 accessDenied (or billing not enabled): a role or a setting is missing."""


class BigQueryNotFound(BigQueryError):
    """404: the dataset, a table or a job does not exist (in that location)."""


class BigQueryQuotaExceeded(QuotaExhausted, BigQueryError):
    """quotaExceeded / rateLimitExceeded."""


class BytesLimitExceeded(BigQueryError):
    """The query would bill more than the cap (refused before it ran, or by BigQuery)."""


class BigQueryInvalidQuery(BigQueryError):
    """BigQuery rejected SQL that ga-goals built: a bug in ga-goals."""


class BigQueryUnreachable(BigQueryError):
    """The network failed: BigQuery (or the local endpoint) could not be reached, or a job timed out."""


class BigQueryCredentialsError(CredentialsError):
    """No usable Google credentials for BigQuery."""


def _reason(exc: BaseException) -> str:
    errors: Any = getattr(exc, "errors", None) or []
    first = errors[0] if errors else None
    return str(first.get("reason", "")) if isinstance(first, dict) else ""


def _message(exc: BaseException) -> str:
    """BigQuery's own words (``errors[0]["message"]``), without the client's URL and job footer."""
    errors: Any = getattr(exc, "errors", None) or []
    first = errors[0] if errors else None
    text = first.get("message") if isinstance(first, dict) else None
    return str(text or getattr(exc, "message", None) or exc or type(exc).__name__).strip().rstrip(".")


def _is_network(exc: BaseException) -> bool:
    return isinstance(
        exc,
        (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, auth_exc.TransportError),
    )


def credentials_error(detail: str) -> BigQueryCredentialsError:
    return BigQueryCredentialsError(f"no usable Google credentials for BigQuery: {detail}\n{CREDENTIALS_HINT}")


def map_error(exc: BaseException, *, project: str, dataset: str, where: str = "") -> GaGoalsError:
    """The :class:`GaGoalsError` to raise for ``exc`` (a client exception), from ``raise ... from exc``.

    ``project`` is the billing project, ``dataset`` ``project.dataset``; ``where`` the endpoint,
    for network failures.
    """
    if isinstance(exc, GaGoalsError):
        return exc
    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        return map_error(exc.cause, project=project, dataset=dataset, where=where)
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return credentials_error(str(exc))
    if isinstance(exc, auth_exc.RefreshError):
        return credentials_error(f"the credentials could not be refreshed ({exc}); log in again or use a fresh key")
    if _is_network(exc) or isinstance(exc, gexc.RetryError):
        target = where or "bigquery.googleapis.com"
        return BigQueryUnreachable(
            f"BigQuery could not be reached at {target}: {_message(exc)}. Check the network connection (and any proxy "
            "settings: HTTPS_PROXY), then try again."
        )
    if isinstance(exc, concurrent.futures.TimeoutError):
        return BigQueryUnreachable(
            f"the BigQuery job did not finish in time ({_message(exc)}); try again, or query fewer days"
        )
    reason = _reason(exc)
    message = _message(exc)
    if reason in ("quotaExceeded", "rateLimitExceeded") or isinstance(exc, gexc.TooManyRequests):
        return BigQueryQuotaExceeded(
            f"BigQuery {reason or 'quota'}: {message}. A quota of project {project} ran out: "
            + (
                "wait a minute and try again (too many requests in a short time)."
                if reason != "quotaExceeded"
                else "wait for it to refill (daily quotas reset at midnight Pacific time), or raise it in Google Cloud console > IAM & Admin > Quotas."
            )
        )
    if reason == "bytesBilledLimitExceeded":
        return BytesLimitExceeded(
            f"BigQuery refused the query: {message}. Raise the cap (max_bytes_billed; 0 means no cap) or query fewer days."
        )
    if reason in ("accessDenied", "billingNotEnabled", "billingNotActive") or isinstance(
        exc, (gexc.Forbidden, gexc.Unauthorized)
    ):
        extra = (
            " Enable billing on the project (or use the BigQuery sandbox's free tier)."
            if reason.startswith("billing")
            else " " + ROLES_HINT.format(project=project, dataset=dataset)
        )
        return BigQueryAccessDenied(f"BigQuery denied access: {message}.{extra}")
    if reason == "notFound" or isinstance(exc, gexc.NotFound):
        return BigQueryNotFound(
            f"BigQuery: {message}. Check the dataset name {dataset} (expected PROJECT.analytics_NNN, as shown in "
            "GA4 Admin > BigQuery links and the BigQuery console) and the location the jobs run in (the dataset's "
            "location, e.g. US or EU)."
        )
    if reason in ("resourcesExceeded", "responseTooLarge"):
        return BigQueryError(
            f"BigQuery could not run the query ({reason}): {message}. Query fewer days, or a shorter breakdown."
        )
    if reason in ("invalidQuery", "invalid") or isinstance(exc, gexc.BadRequest):
        return BigQueryInvalidQuery(
            f"BigQuery rejected the query ga-goals built (a bug in ga-goals; please report it with this message): {message}"
        )
    if isinstance(exc, gexc.GoogleAPICallError):
        return BigQueryError(f"BigQuery error {exc.code} ({reason or type(exc).__name__}): {message}")
    return BigQueryError(f"BigQuery call failed: {type(exc).__name__}: {message}")
