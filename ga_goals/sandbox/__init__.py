"""The embedded GA4 sandbox: a local property behind the real Admin and Data API protocols.

Importing this package is cheap (no grpc, no Google clients, no DuckDB); the server lives in
``ga_goals.sandbox.server``, the grpc-free state in ``ga_goals.sandbox.store``, fault
definitions in ``ga_goals.sandbox.faults``, the Data API in ``ga_goals.sandbox.data_api``
(reports and funnels: ``ga_goals.sandbox.reporting``; token quotas:
``ga_goals.sandbox.data_quota``) and the events it reports on, one DuckDB file per property,
in ``ga_goals.sandbox.events``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The property id that ``property: sandbox`` in a plan file stands for.
SANDBOX_PROPERTY_ID = "100000001"

#: Where ``ga-goals sandbox serve`` listens unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051

#: Environment variable naming the sandbox state folder.
STATE_DIR_ENV = "GA_GOALS_SANDBOX_DIR"


def default_state_dir() -> Path:
    """``$GA_GOALS_SANDBOX_DIR``, else ``$XDG_DATA_HOME/ga-goals/sandbox`` (``~/.local/share/ga-goals/sandbox``)."""
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "ga-goals" / "sandbox"
