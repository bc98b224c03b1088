"""Admin API clients (v1beta and v1alpha) and Data API clients (v1beta reports, v1alpha funnels)
for a :class:`~ga_goals.ga4.target.Target`.

* Sandbox (``target.sandbox_address``): one plaintext ``grpc.insecure_channel`` shared by the
  clients, no credentials (docs/ga4-api-facts.md §4.1).
* Google: credentials from ``target.credentials_file`` (a service-account key) or Application
  Default Credentials; one TLS channel per Google host. The Admin clients ask for
  ``analytics.edit`` (:func:`build_admin_clients`); the Data clients and the Admin client that
  reads the property's settings for a report ask for ``analytics.readonly``
  (:func:`build_data_clients`).

Either way the channel goes through a counting interceptor, so ``.calls`` tells how many RPCs
(attempts, including retries and extra pages) were sent, by method.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.analytics import admin_v1alpha, admin_v1beta, data_v1alpha, data_v1beta
from google.analytics.admin_v1alpha.services.analytics_admin_service.transports import (
    AnalyticsAdminServiceGrpcTransport as AlphaGrpcTransport,
)
from google.analytics.admin_v1beta.services.analytics_admin_service.transports import (
    AnalyticsAdminServiceGrpcTransport as BetaGrpcTransport,
)
from google.analytics.data_v1alpha.services.alpha_analytics_data.transports import (
    AlphaAnalyticsDataGrpcTransport,
)
from google.analytics.data_v1beta.services.beta_analytics_data.transports import (
    BetaAnalyticsDataGrpcTransport,
)
from google.api_core import grpc_helpers
from google.auth import exceptions as auth_exc

from ga_goals.errors import CredentialsError

from .errors import ATTEMPTS_ATTRIBUTE, CREDENTIALS_HINT, Attempts
from .target import ADMIN_SCOPES, DATA_SCOPES, Target

ADMIN_HOST = "analyticsadmin.googleapis.com"
DATA_HOST = "analyticsdata.googleapis.com"
_CHANNEL_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
#: The status codes of a call that got no answer (what the clients retry).
_UNANSWERED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


#: Failing calls tracked at once (a retried call's attempts; older entries are dropped).
_MAX_TRACKED = 256


def _request_key(request: Any) -> Any:
    """What identifies a re-sent request: its bytes (a retry may rebuild the message)."""
    try:
        if hasattr(request, "SerializeToString"):
            return request.SerializeToString(deterministic=True)
        return type(request).serialize(request)
    except Exception:  # noqa: BLE001 - not a protobuf message: its identity will do
        return id(request)


class CallCounter(grpc.UnaryUnaryClientInterceptor):
    """Counts unary RPCs sent through a channel, by short method name (``ListKeyEvents``), and
    the attempts of calls that keep failing: each failing attempt's gRPC error carries its
    call's :class:`~ga_goals.ga4.errors.Attempts` (same thread, method and request bytes as the
    failed attempt before it: a retry), so error messages say how many and over how long."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._failing: collections.OrderedDict[Any, Attempts] = collections.OrderedDict()

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        method = client_call_details.method
        if isinstance(method, bytes):
            method = method.decode()
        key = (threading.get_ident(), method, _request_key(request))
        with self._lock:
            self.calls[method.rsplit("/", 1)[-1]] += 1
        start = time.monotonic()
        outcome = continuation(client_call_details, request)
        error = outcome.exception() if isinstance(outcome, grpc.RpcError) else None
        with self._lock:
            if error is None or not hasattr(error, "code") or error.code() not in _UNANSWERED:
                self._failing.pop(key, None)
                return outcome
            attempts = self._failing.get(key)
            if attempts is None or attempts.reported:
                attempts = Attempts(first_start=start)
                self._failing[key] = attempts
                while len(self._failing) > _MAX_TRACKED:
                    self._failing.popitem(last=False)
            attempts.count += 1
            attempts.last_end = time.monotonic()
        try:
            setattr(error, ATTEMPTS_ATTRIBUTE, attempts)
        except AttributeError:  # an error type without a __dict__: messages fall back to the deadline
            pass
        return outcome

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())


@dataclass
class AdminClients:
    """The two Admin clients of one Target, over one channel."""

    beta: admin_v1beta.AnalyticsAdminServiceClient
    alpha: admin_v1alpha.AnalyticsAdminServiceClient
    counter: CallCounter
    channel: grpc.Channel
    _closed: bool = field(default=False, repr=False)

    @property
    def calls(self) -> collections.Counter[str]:
        """RPCs sent so far, by method name (a live Counter)."""
        return self.counter.calls

    def close(self) -> None:
        """Close the channel (idempotent)."""
        if not self._closed:
            self._closed = True
            self.channel.close()


def _credentials_error(detail: str) -> CredentialsError:
    return CredentialsError(f"no usable Google credentials: {detail}", hint=CREDENTIALS_HINT)


def load_credentials(target: Target, scopes: tuple[str, ...] = ADMIN_SCOPES) -> Any:
    """Credentials for ``target`` (not used for the sandbox); :class:`CredentialsError` if none.

    :param scopes: the OAuth scopes to ask for (service accounts; user credentials keep the
        scopes chosen at login).
    """
    scopes = tuple(scopes)
    if target.credentials_file:
        path = target.credentials_file
        if not os.path.isfile(path):
            raise _credentials_error(f"the key file {path} does not exist.")
        from google.oauth2 import service_account

        try:
            return service_account.Credentials.from_service_account_file(path, scopes=list(scopes))
        except (ValueError, KeyError, OSError, auth_exc.GoogleAuthError) as exc:
            raise _credentials_error(
                f"{path} is not a service-account key file ({exc.__class__.__name__}: {exc}). "
                "Download a JSON key in Google Cloud console > IAM > Service accounts > Keys."
            ) from exc

    import google.auth

    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    try:
        credentials, _project = google.auth.default(scopes=list(scopes))
    except auth_exc.DefaultCredentialsError as exc:
        if env:
            detail = f"GOOGLE_APPLICATION_CREDENTIALS={env} is not usable ({exc})."
        else:
            detail = "no Application Default Credentials were found (GOOGLE_APPLICATION_CREDENTIALS is not set, and gcloud has no application-default login)."
        raise _credentials_error(detail) from exc
    except (ValueError, OSError) as exc:  # a malformed file named by the variable
        raise _credentials_error(f"GOOGLE_APPLICATION_CREDENTIALS={env} could not be read ({exc}).") from exc
    return credentials


def credentials_source(target: Target) -> str:
    """Where the credentials come from, for messages: the key file, or ADC's."""
    if target.credentials_file:
        return f"the service-account key {target.credentials_file}"
    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if env:
        return f"GOOGLE_APPLICATION_CREDENTIALS={env}"
    return "the Application Default Credentials"


def token_error(exc: BaseException, credentials: Any, source: str) -> CredentialsError:
    """A failed token request -> what happened: Google refused the key, or its token endpoint
    could not be reached (never an "outage after retrying": nothing was retried, GA4 was not asked)."""
    who = getattr(credentials, "service_account_email", None)
    key_id = getattr(getattr(credentials, "signer", None), "key_id", None) if who else None
    ident = f" ({who}{', key id ' + key_id if key_id else ''})" if who else ""
    token_uri = getattr(credentials, "_token_uri", None) or getattr(credentials, "token_uri", None) or "Google's token endpoint"
    detail = str(exc.args[0]) if exc.args else exc.__class__.__name__
    if isinstance(exc, auth_exc.RefreshError) and "invalid_grant" in detail:
        return CredentialsError(
            f"Google refused {source}{ident}: {detail}",
            hint=(
                "The key was deleted or disabled, its service account was removed, or this machine's clock "
                "is wrong. Create a new JSON key (Google Cloud console > IAM > Service accounts > Keys) and "
                "pass it with --credentials FILE; for user credentials run `gcloud auth application-default "
                "login` again."
            ),
        )
    if isinstance(exc, auth_exc.TransportError) or (
        isinstance(exc, auth_exc.RefreshError) and getattr(exc, "retryable", False)
    ):
        return CredentialsError(
            f"could not get an access token for {source}{ident}: the token endpoint {token_uri} did not "
            f"answer ({detail})",
            hint="Check the network (and any HTTPS proxy) between this machine and the token endpoint, then re-run.",
        )
    return CredentialsError(f"Google refused to issue an access token for {source}{ident}: {detail}", hint=CREDENTIALS_HINT)


class TokenCheck(grpc.UnaryUnaryClientInterceptor):
    """Gets the access token before a call is sent (once, then when it expires).

    Without it, gRPC's auth plugin fetches the token inside the call and a refused key comes
    back as UNAVAILABLE "Getting metadata from plugin failed", which reads like an outage. Here
    the failure becomes a :class:`CredentialsError` saying which key, and what Google said.
    Building the clients still sends nothing: the token is fetched on the first call.
    """

    def __init__(self, credentials: Any, source: str) -> None:
        self.credentials = credentials
        self.source = source
        self._lock = threading.Lock()

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        with self._lock:
            if not self.credentials.valid:
                import google.auth.transport.requests

                try:
                    self.credentials.refresh(google.auth.transport.requests.Request())
                except auth_exc.GoogleAuthError as exc:
                    raise token_error(exc, self.credentials, self.source) from exc
        return continuation(client_call_details, request)


def _google_channel(target: Target, host: str, scopes: tuple[str, ...], default_scopes: Any) -> grpc.Channel:
    """A TLS channel to a Google API host, carrying ``target``'s credentials (token checked first)."""
    credentials = load_credentials(target, scopes)
    channel = grpc_helpers.create_channel(
        f"{host}:443",
        credentials=credentials,
        scopes=list(scopes),
        default_scopes=list(default_scopes),
        default_host=host,
        options=_CHANNEL_OPTIONS,
    )
    return grpc.intercept_channel(channel, TokenCheck(credentials, credentials_source(target)))


def build_admin_clients(target: Target) -> AdminClients:
    """Build the v1beta and v1alpha Admin clients for ``target``, sharing one counted channel."""
    counter = CallCounter()
    if target.sandbox_address:
        raw = grpc.insecure_channel(target.sandbox_address, options=_CHANNEL_OPTIONS)
    else:
        raw = _google_channel(target, ADMIN_HOST, ADMIN_SCOPES, BetaGrpcTransport.AUTH_SCOPES)
    channel = grpc.intercept_channel(raw, counter)
    # A transport given a Channel instance ignores credentials (the channel carries them).
    beta = admin_v1beta.AnalyticsAdminServiceClient(transport=BetaGrpcTransport(channel=channel))
    alpha = admin_v1alpha.AnalyticsAdminServiceClient(transport=AlphaGrpcTransport(channel=channel))
    return AdminClients(beta=beta, alpha=alpha, counter=counter, channel=channel)


@dataclass
class DataClients:
    """The Data API clients of one Target (v1beta core reports, v1alpha funnels), and a read-only
    Admin v1beta client for the property's settings (its time zone).

    Data and Admin calls are counted apart (:attr:`calls`, :attr:`admin_calls`): only the
    former spend Data API quota. With the sandbox every client shares one channel; with
    Google, the Admin channel opens on the first Admin call.
    """

    beta: data_v1beta.BetaAnalyticsDataClient
    alpha: data_v1alpha.AlphaAnalyticsDataClient
    counter: CallCounter
    channel: grpc.Channel
    target: Target
    admin_counter: CallCounter = field(default_factory=CallCounter)
    _admin: admin_v1beta.AnalyticsAdminServiceClient | None = field(default=None, repr=False)
    _admin_channel: grpc.Channel | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def calls(self) -> collections.Counter[str]:
        """Data API RPCs sent so far, by method name (a live Counter)."""
        return self.counter.calls

    @property
    def admin_calls(self) -> collections.Counter[str]:
        """Admin API RPCs sent so far, by method name."""
        return self.admin_counter.calls

    @property
    def admin(self) -> admin_v1beta.AnalyticsAdminServiceClient:
        """An Admin v1beta client (read-only scope), built on first use."""
        with self._lock:
            if self._admin is None:
                if self.target.sandbox_address:
                    raw = grpc.insecure_channel(self.target.sandbox_address, options=_CHANNEL_OPTIONS)
                else:
                    raw = _google_channel(self.target, ADMIN_HOST, DATA_SCOPES, BetaGrpcTransport.AUTH_SCOPES)
                self._admin_channel = grpc.intercept_channel(raw, self.admin_counter)
                self._admin = admin_v1beta.AnalyticsAdminServiceClient(
                    transport=BetaGrpcTransport(channel=self._admin_channel)
                )
            return self._admin

    def close(self) -> None:
        """Close the channels (idempotent)."""
        if not self._closed:
            self._closed = True
            self.channel.close()
            if self._admin_channel is not None:
                self._admin_channel.close()


def build_data_clients(target: Target) -> DataClients:
    """Build the Data API clients for ``target`` (v1beta and v1alpha share one counted channel).

    Credentials (for Google) are loaded now, so a :class:`CredentialsError` surfaces here.
    """
    counter = CallCounter()
    if target.sandbox_address:
        raw = grpc.insecure_channel(target.sandbox_address, options=_CHANNEL_OPTIONS)
    else:
        raw = _google_channel(target, DATA_HOST, DATA_SCOPES, BetaAnalyticsDataGrpcTransport.AUTH_SCOPES)
    channel = grpc.intercept_channel(raw, counter)
    beta = data_v1beta.BetaAnalyticsDataClient(transport=BetaAnalyticsDataGrpcTransport(channel=channel))
    alpha = data_v1alpha.AlphaAnalyticsDataClient(transport=AlphaAnalyticsDataGrpcTransport(channel=channel))
    return DataClients(beta=beta, alpha=alpha, counter=counter, channel=channel, target=target)
