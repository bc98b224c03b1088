"""map_error: each Google exception becomes a ga_goals error with an actionable message."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from ga_goals.errors import ApiError, CredentialsError, QuotaExhausted
from ga_goals.ga4.errors import is_rate_limit, map_error

P = "properties/123"


@pytest.mark.parametrize(
    "exc, kw, cls, needles",
    [
        (gexc.PermissionDenied("User does not have sufficient permissions for this property."), {}, ApiError,
         ["no access to property 123", "sufficient permissions", "Editor", "Viewer"]),
        (gexc.PermissionDenied("Request had insufficient authentication scopes."), {}, CredentialsError,
         ["analytics.edit", "--client-id-file"]),
        (gexc.PermissionDenied("Quota exceeded: rateLimitExceeded"), {"applied": 4}, QuotaExhausted,
         ["quota exhausted", "wait a minute and re-run", "4 changes were applied"]),
        (gexc.ResourceExhausted("Exhausted property tokens"), {"applied": 1}, QuotaExhausted,
         ["quota exhausted", "1 change was applied"]),
        (gexc.Unauthenticated("Request had invalid authentication credentials."), {}, CredentialsError,
         ["invalid or expired", "GOOGLE_APPLICATION_CREDENTIALS"]),
        (gexc.NotFound("Requested entity was not found."), {"reading": True}, ApiError,
         ["property 123 not found (or no access)"]),
        (gexc.NotFound("Requested entity was not found: properties/123/keyEvents/9"),
         {"what": "update key event purchase"}, ApiError,
         ["update key event purchase: not found in GA4", "keyEvents/9", "ga-goals plan"]),
        (gexc.InvalidArgument("key_event.event_name is reserved"), {"what": "create key event click"}, ApiError,
         ["create key event click: GA4 refused it: key_event.event_name is reserved"]),
        (gexc.FailedPrecondition("Limit reached"), {"what": "create custom metric x"}, ApiError,
         ["create custom metric x: GA4 refused it: Limit reached"]),
        (gexc.AlreadyExists("exists"), {"what": "create key event a"}, ApiError, ["GA4 refused it: exists"]),
        (gexc.RetryError("Timeout of 120.0s exceeded", gexc.ServiceUnavailable("connection refused")),
         {"retry_deadline": 120.0}, ApiError,
         ["GA4 did not answer: every attempt failed until the 120 s retry limit ran out", "connection refused"]),
        (gexc.DeadlineExceeded("Deadline Exceeded"), {"retry_deadline": 0.5}, ApiError,
         ["GA4 did not answer (Deadline Exceeded)"]),
        (gexc.RetryError("Timeout of 0.3s exceeded", gexc.ServiceUnavailable("connection refused")),
         {"retry_deadline": 0.3, "sandbox": True}, ApiError,
         ["the sandbox server did not answer: every attempt failed until the 0.3 s retry limit ran out"]),
        (gexc.ServiceUnavailable("Getting metadata from plugin failed with error: ('invalid_grant: Invalid JWT')"),
         {"retry_deadline": 120.0}, CredentialsError, ["could not get an access token", "invalid_grant"]),
        (gexc.MethodNotImplemented("Method not found!"), {}, ApiError, ["does not implement"]),
        (gexc.InternalServerError("boom"), {}, ApiError, ["GA4 error 500", "boom"]),
        (auth_exc.DefaultCredentialsError("no ADC"), {}, CredentialsError, ["no Google credentials", "--credentials"]),
        (auth_exc.RefreshError("invalid_grant"), {}, CredentialsError, ["could not be refreshed", "invalid_grant"]),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_map_error(exc: BaseException, kw: dict, cls: type, needles: list[str]) -> None:
    err = map_error(exc, prop=P, **kw)
    assert type(err) is cls
    for needle in needles:
        assert needle in str(err) + "\n" + (err.hint or ""), (needle, str(err))
    assert "\n" not in str(err)  # one line; how to fix it is the hint, printed below


@pytest.mark.parametrize("exc", [
    gexc.RetryError("Timeout of 0.3s exceeded", gexc.ServiceUnavailable("connection refused")),
    gexc.ServiceUnavailable("connection refused"),
    gexc.DeadlineExceeded("Deadline Exceeded"),
])
def test_an_unanswering_sandbox_is_not_a_google_outage(exc: BaseException) -> None:
    err = map_error(exc, prop=P, retry_deadline=0.3, sandbox=True)
    assert "sandbox server did not answer" in str(err)
    assert "Google" not in str(err) + (err.hint or "")
    assert "sandbox serve" in (err.hint or "")


def test_rate_limit_detection() -> None:
    assert is_rate_limit(gexc.ResourceExhausted("x"))
    assert is_rate_limit(gexc.PermissionDenied("rateLimitExceeded"))
    assert not is_rate_limit(gexc.PermissionDenied("User does not have sufficient permissions"))
    assert not is_rate_limit(gexc.InvalidArgument("quota"))
