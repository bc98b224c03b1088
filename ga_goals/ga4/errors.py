"""Google client exceptions -> ga_goals errors whose messages say what to do.

``google.api_core.exceptions`` name the gRPC status; users need to know what it means for their
property and what to do next. :func:`map_error` turns one into an :class:`~ga_goals.errors.ApiError`
(or :class:`~ga_goals.errors.QuotaExhausted`, :class:`~ga_goals.errors.CredentialsError`) whose
message names the property or the change concerned. The original exception is kept as
``__cause__`` (the CLI shows it with ``--debug``).
"""

from __future__ import annotations

from dataclasses import dataclass

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from ga_goals.errors import ApiError, CredentialsError, GaGoalsError, QuotaExhausted

from .target import ADMIN_SCOPES

#: Appended to every "no access" message.
ACCESS_HINT = (
    "Add the account ga-goals runs as (the service account's e-mail, or your Google user) to the "
    "GA4 property in Admin > Property access management: the Viewer role is enough to read "
    "(plan, pull), applying changes (sync --apply) needs Editor."
)

#: How to get credentials, for CredentialsError messages (docs/ga4-api-facts.md §5).
CREDENTIALS_HINT = (
    "ga-goals uses Google Application Default Credentials. Either\n"
    "  - pass a service-account key file with --credentials FILE (or set\n"
    "    GOOGLE_APPLICATION_CREDENTIALS=FILE), and add the service account's e-mail as a user\n"
    "    on the GA4 property (Viewer to read, Editor to apply changes); or\n"
    "  - log in with your own Google account:\n"
    "    gcloud auth application-default login \\\n"
    f"      --scopes={ADMIN_SCOPES[0]},https://www.googleapis.com/auth/cloud-platform \\\n"
    "      --client-id-file=CLIENT_SECRET.json\n"
    "    (gcloud's own OAuth client cannot grant Analytics scopes since mid-2025: create an\n"
    "    OAuth desktop client in your Google Cloud project and pass its JSON file.)\n"
    "To try ga-goals without a Google account, use `property: sandbox`."
)

_TRANSIENT = (gexc.ServiceUnavailable, gexc.DeadlineExceeded)


@dataclass
class Attempts:
    """The attempts of one call that kept failing (UNAVAILABLE, DEADLINE_EXCEEDED), as the
    channel saw them: how many, and from the first one's start to the last one's end.

    ``ga_goals.ga4.clients`` counts them (retries re-send the same request) and hangs them on
    each failure's gRPC error (``attempts_of`` finds them); :func:`map_error` reports them, so
    a message never claims retries that did not happen.
    """

    count: int = 0
    first_start: float = 0.0
    last_end: float = 0.0
    #: Set once reported: an identical request after that is a new call, counted afresh.
    reported: bool = False

    @property
    def seconds(self) -> float:
        return max(0.0, self.last_end - self.first_start)


#: The attribute of a gRPC error carrying its call's :class:`Attempts`.
ATTEMPTS_ATTRIBUTE = "ga_goals_attempts"


def attempts_of(exc: BaseException) -> Attempts | None:
    """The :class:`Attempts` behind a (retried) API error, if the channel counted them."""
    cause = exc.cause if isinstance(exc, gexc.RetryError) else exc
    for candidate in (cause, getattr(cause, "response", None), getattr(cause, "__cause__", None)):
        found = getattr(candidate, ATTEMPTS_ATTRIBUTE, None)
        if isinstance(found, Attempts):
            return found
    return None


def is_transient(exc: BaseException) -> bool:
    """Retry UNAVAILABLE and DEADLINE_EXCEEDED, except credential failures grpc reports as
    UNAVAILABLE ("Getting metadata from plugin failed"): retrying those cannot help."""
    if not isinstance(exc, _TRANSIENT):
        return False
    return "metadata from plugin" not in (exc.message or "")


def is_unanswered(exc: BaseException) -> bool:
    """The call got no answer: UNAVAILABLE / DEADLINE_EXCEEDED, after its retries ran out (a
    write may still have landed). Credential failures are not: GA4 was never asked."""
    if isinstance(exc, gexc.RetryError):
        return exc.cause is None or is_transient(exc.cause)
    return is_transient(exc)


def property_label(prop: str) -> str:
    """``properties/123`` -> ``property 123``."""
    return f"property {prop.split('/', 1)[-1]}"


def is_rate_limit(exc: BaseException) -> bool:
    """A GA4 rate limit, which the Admin API reports as 403 ``rateLimitExceeded`` (or 429)."""
    if isinstance(exc, gexc.ResourceExhausted):
        return True
    if not isinstance(exc, gexc.PermissionDenied):
        return False
    reason = (getattr(exc, "reason", None) or "").lower()
    text = (exc.message or "").lower()
    return reason in ("ratelimitexceeded", "rate_limit_exceeded", "userratelimitexceeded") or any(
        s in text for s in ("ratelimitexceeded", "rate limit", "quota")
    )


def _server_message(exc: BaseException) -> str:
    if isinstance(exc, gexc.GoogleAPICallError):
        msg = exc.message or exc.__class__.__name__
        return msg.strip()
    return str(exc) or exc.__class__.__name__


def quota_error(exc: BaseException, *, applied: int | None = None) -> QuotaExhausted:
    """The message for an exhausted Admin quota (429, or 403 ``rateLimitExceeded``)."""
    done = ""
    if applied is not None:
        done = f"; {applied} change{'s' if applied != 1 else ''} {'were' if applied != 1 else 'was'} applied before it"
    return QuotaExhausted(
        f"GA4 Admin API quota exhausted ({_server_message(exc)}){done}. The per-minute quotas "
        "refill every 60 seconds: wait a minute and re-run; what was applied is not applied again. "
        "If it keeps happening, lower the write rate (other tools may share the project's quota)."
    )


def _unanswered(exc: BaseException, prefix: str, retry_deadline: float | None, sandbox: bool) -> ApiError:
    """UNAVAILABLE / DEADLINE_EXCEEDED: retried until the deadline (RetryError), or not retried.

    Says what really happened: how many attempts over how long (as the channel counted them),
    never a retry time that was not spent."""
    retried = isinstance(exc, gexc.RetryError)
    cause: BaseException = exc
    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        cause = exc.cause
    server = "the sandbox server" if sandbox else "GA4"
    attempts = attempts_of(exc)
    if attempts is not None:
        attempts.reported = True
    if attempts is not None and attempts.count > 1:
        limit = f"; no time left for another within the {retry_deadline:g} s retry limit" if retried and retry_deadline is not None else ""
        what = (
            f"{server} did not answer: {attempts.count} attempts over {attempts.seconds:.1f} s failed "
            f"(last error: {_server_message(cause)}){limit}"
        )
    elif retried:
        limit = f" the {retry_deadline:g} s retry limit" if retry_deadline is not None else " the retry limit"
        what = f"{server} did not answer: every attempt failed until{limit} ran out ({_server_message(cause)})"
    else:
        what = f"{server} did not answer ({_server_message(cause)})"
    if sandbox:
        fix = (
            "With --sandbox-address, check that `ga-goals sandbox serve` is running at that address "
            "(GA_GOALS_SANDBOX_FAULTS, if set, injects such failures on purpose)."
        )
    else:
        fix = "The network may be down, or Google may be having an outage: re-run later."
    return ApiError(f"{prefix}{what}", hint=f"{fix} A re-run only applies what is still missing.")


def map_error(
    exc: BaseException,
    *,
    prop: str,
    what: str = "",
    reading: bool = False,
    retry_deadline: float | None = None,
    applied: int | None = None,
    sandbox: bool = False,
) -> GaGoalsError:
    """Map a Google client / auth exception to a ga_goals error (returned, not raised).

    :param prop: the property concerned (``properties/123``).
    :param what: the operation, for messages (``"create key_event purchase"``).
    :param reading: the call read the property (a NOT_FOUND then means the property itself).
    :param retry_deadline: how long transient errors were retried, for the timeout message.
    :param applied: how many changes of a plan were applied before (for quota messages).
    :param sandbox: the call went to a sandbox server (its fixes differ from Google's).
    """
    if isinstance(exc, GaGoalsError):
        return exc
    prefix = f"{what}: " if what else ""
    plabel = property_label(prop)

    if isinstance(exc, _TRANSIENT) and not is_transient(exc):
        # gRPC's auth plugin failed to get a token: GA4 was never asked, nothing was retried.
        return CredentialsError(
            f"{prefix}could not get an access token ({_server_message(exc)})", hint=CREDENTIALS_HINT
        )
    if isinstance(exc, gexc.RetryError) or isinstance(exc, _TRANSIENT):
        return _unanswered(exc, prefix, retry_deadline, sandbox)
    if is_rate_limit(exc):
        return quota_error(exc, applied=applied)
    if isinstance(exc, gexc.PermissionDenied):
        text = _server_message(exc)
        if "scope" in text.lower():
            return CredentialsError(
                f"{prefix}the credentials lack the Analytics scope ({text}). "
                f"They must be granted {ADMIN_SCOPES[0]}.",
                hint=CREDENTIALS_HINT,
            )
        return ApiError(f"{prefix}no access to {plabel} ({text}). {ACCESS_HINT}")
    if isinstance(exc, gexc.Unauthenticated):
        return CredentialsError(
            f"{prefix}GA4 rejected the credentials ({_server_message(exc)}): they are invalid or "
            "expired.",
            hint=CREDENTIALS_HINT,
        )
    if isinstance(exc, gexc.NotFound):
        if reading and sandbox:
            return ApiError(
                f"{plabel} does not exist in the sandbox server ({_server_message(exc)}): start it with "
                f"`ga-goals sandbox serve --property {prop.rsplit('/', 1)[-1]}`, or drop --sandbox-address "
                "to use an in-process sandbox, which creates the property it is asked for."
            )
        if reading:
            return ApiError(
                f"{plabel} not found (or no access): check the property id in the plan file "
                f"(GA4 Admin > Property settings shows it). {ACCESS_HINT}"
            )
        return ApiError(
            f"{prefix}not found in GA4 ({_server_message(exc)}): it was changed or removed since "
            "the plan was made; run `ga-goals plan` again."
        )
    server = "the sandbox" if sandbox else "GA4"  # a sandbox's refusals are not GA4's
    if isinstance(exc, (gexc.InvalidArgument, gexc.FailedPrecondition, gexc.AlreadyExists, gexc.OutOfRange)):
        return ApiError(f"{prefix}{server} refused it: {_server_message(exc)}")
    if isinstance(exc, gexc.MethodNotImplemented):
        return ApiError(f"{prefix}the server does not implement this call ({_server_message(exc)})")
    if isinstance(exc, gexc.GoogleAPICallError):
        return ApiError(f"{prefix}{server} error {exc.code} {exc.__class__.__name__}: {_server_message(exc)}")
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return CredentialsError(f"no Google credentials found ({exc}).", hint=CREDENTIALS_HINT)
    if isinstance(exc, auth_exc.RefreshError):
        return CredentialsError(
            f"{prefix}the Google credentials could not be refreshed ({exc}).", hint=CREDENTIALS_HINT
        )
    if isinstance(exc, auth_exc.GoogleAuthError):
        return CredentialsError(f"{prefix}Google authentication failed ({exc}).", hint=CREDENTIALS_HINT)
    return ApiError(f"{prefix}{exc.__class__.__name__}: {exc}")
