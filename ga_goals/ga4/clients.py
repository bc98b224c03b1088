"""Admin API clients (v1beta and v1alpha) for a :class:`~ga_goals.ga4.target.Target`.

* Sandbox (``target.sandbox_address``): one plaintext ``grpc.insecure_channel`` shared by both
  clients, no credentials (GA4-API.md §4.1).
* Google: credentials from ``target.credentials_file`` (a service-account key) or Application
  Default Credentials, scoped to ``analytics.edit``; one TLS channel to
  ``analyticsadmin.googleapis.com`` shared by both clients.

Either way the channel goes through a counting interceptor, so :attr:`AdminClients.calls`
tells how many RPCs (attempts, including retries and extra pages) were sent, by method.
"""

from __future__ import annotations

import collections
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.analytics import admin_v1alpha, admin_v1beta
from google.analytics.admin_v1alpha.services.analytics_admin_service.transports import (
    AnalyticsAdminServiceGrpcTransport as AlphaGrpcTransport,
)
from google.analytics.admin_v1beta.services.analytics_admin_service.transports import (
    AnalyticsAdminServiceGrpcTransport as BetaGrpcTransport,
)
from google.api_core import grpc_helpers
from google.auth import exceptions as auth_exc

from ga_goals.errors import CredentialsError

from .errors import CREDENTIALS_HINT
from .target import ADMIN_SCOPES, Target

ADMIN_HOST = "analyticsadmin.googleapis.com"
_CHANNEL_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]


class CallCounter(grpc.UnaryUnaryClientInterceptor):
    """Counts unary RPCs sent through a channel, by short method name (``ListKeyEvents``)."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        method = client_call_details.method
        if isinstance(method, bytes):
            method = method.decode()
        with self._lock:
            self.calls[method.rsplit("/", 1)[-1]] += 1
        return continuation(client_call_details, request)

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
    return CredentialsError(f"no usable Google credentials: {detail}\n{CREDENTIALS_HINT}")


def load_credentials(target: Target) -> Any:
    """Credentials for ``target`` (not used for the sandbox); :class:`CredentialsError` if none."""
    scopes = list(ADMIN_SCOPES)
    if target.credentials_file:
        path = target.credentials_file
        if not os.path.isfile(path):
            raise _credentials_error(f"the key file {path} does not exist.")
        from google.oauth2 import service_account

        try:
            return service_account.Credentials.from_service_account_file(path, scopes=scopes)
        except (ValueError, KeyError, OSError, auth_exc.GoogleAuthError) as exc:
            raise _credentials_error(
                f"{path} is not a service-account key file ({exc.__class__.__name__}: {exc}). "
                "Download a JSON key in Google Cloud console > IAM > Service accounts > Keys."
            ) from exc

    import google.auth

    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    try:
        credentials, _project = google.auth.default(scopes=scopes)
    except auth_exc.DefaultCredentialsError as exc:
        if env:
            detail = f"GOOGLE_APPLICATION_CREDENTIALS={env} is not usable ({exc})."
        else:
            detail = "no Application Default Credentials were found (GOOGLE_APPLICATION_CREDENTIALS is not set, and gcloud has no application-default login)."
        raise _credentials_error(detail) from exc
    except (ValueError, OSError) as exc:  # a malformed file named by the variable
        raise _credentials_error(f"GOOGLE_APPLICATION_CREDENTIALS={env} could not be read ({exc}).") from exc
    return credentials


def build_admin_clients(target: Target) -> AdminClients:
    """Build the v1beta and v1alpha Admin clients for ``target``, sharing one counted channel."""
    counter = CallCounter()
    if target.sandbox_address:
        raw = grpc.insecure_channel(target.sandbox_address, options=_CHANNEL_OPTIONS)
    else:
        credentials = load_credentials(target)
        raw = grpc_helpers.create_channel(
            f"{ADMIN_HOST}:443",
            credentials=credentials,
            scopes=list(ADMIN_SCOPES),
            default_scopes=list(BetaGrpcTransport.AUTH_SCOPES),
            default_host=ADMIN_HOST,
            options=_CHANNEL_OPTIONS,
        )
    channel = grpc.intercept_channel(raw, counter)
    # A transport given a Channel instance ignores credentials (the channel carries them).
    beta = admin_v1beta.AnalyticsAdminServiceClient(transport=BetaGrpcTransport(channel=channel))
    alpha = admin_v1alpha.AnalyticsAdminServiceClient(transport=AlphaGrpcTransport(channel=channel))
    return AdminClients(beta=beta, alpha=alpha, counter=counter, channel=channel)
