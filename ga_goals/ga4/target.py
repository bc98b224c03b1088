"""Where and how to reach a GA4 property: the one value the rest of ``ga_goals.ga4`` is built from.

This module imports nothing from Google, so the CLI can build a :class:`Target` (and show
``--help``) without paying for the client libraries.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

#: OAuth scope the Admin clients ask for: ``analytics.edit`` covers reads and writes.
ADMIN_SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/analytics.edit",)

#: OAuth scope the Data API clients (reports, funnels) ask for: reading is all they do. The
#: property's time zone is read through the Admin API with the same scope.
DATA_SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/analytics.readonly",)


@dataclass(frozen=True)
class Target:
    """A GA4 property and the connection settings used to reach it.

    :param property: the resource name, ``"properties/123"`` (a bare ``"123"`` is accepted and
        normalised).
    :param sandbox_address: ``"127.0.0.1:PORT"`` of a local gRPC server (the sandbox), reached over
        an insecure channel with no credentials; ``None`` = the real Admin API.
    :param credentials_file: a service-account key file; ``None`` = Application Default
        Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud ADC, metadata server).
    :param timeout: seconds allowed for each RPC.
    :param retry_deadline: seconds during which transient errors (UNAVAILABLE,
        DEADLINE_EXCEEDED) are retried with exponential backoff.
    :param retry_initial: first backoff delay in seconds (doubles up to 30 s).
    :param writes_per_minute: most writes sent in any ``write_window`` seconds (GA4's per-user
        Admin write quota is 180 per minute).
    :param write_window: the length of the sliding window ``writes_per_minute`` applies to.
    """

    property: str
    sandbox_address: str | None = None
    credentials_file: str | None = None
    timeout: float = 30.0
    retry_deadline: float = 120.0
    retry_initial: float = 1.0
    writes_per_minute: int = 180
    write_window: float = 60.0

    def __post_init__(self) -> None:
        prop = str(self.property).strip()
        if not prop.startswith("properties/"):
            prop = f"properties/{prop}"
        pid = prop.split("/", 1)[1]
        if not pid.isdigit():
            raise ValueError(f"not a GA4 property: {self.property!r} (expected properties/NUMBER)")
        object.__setattr__(self, "property", prop)
        if self.timeout <= 0 or self.retry_deadline < 0 or self.retry_initial <= 0:
            raise ValueError("timeout and retry_initial must be positive, retry_deadline >= 0")
        if self.writes_per_minute < 1 or self.write_window <= 0:
            raise ValueError("writes_per_minute must be >= 1 and write_window > 0")

    @builtins.property  # the field `property` hides the builtin in this class
    def property_id(self) -> str:
        """``"123"`` for ``properties/123``."""
        return self.property.split("/", 1)[1]

    @builtins.property
    def is_sandbox(self) -> bool:
        return self.sandbox_address is not None
