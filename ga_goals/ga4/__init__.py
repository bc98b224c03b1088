"""The GA4 layer: the only code that imports the Google client libraries.

Importing this package is cheap: only :class:`Target` (no Google imports) is loaded eagerly.
Everything else is imported on first use, so ``ga-goals --help``, ``validate`` and ``schema``
never load grpc or the clients::

    from ga_goals.ga4 import Target, AdminGateway   # AdminGateway is imported here, lazily

Modules: ``target`` (where and how), ``clients`` (credentials, channels), ``convert`` (model <->
proto), ``errors`` (Google exceptions -> ga_goals errors), ``pacing`` (write quota),
``admin`` (read_state / apply), ``data`` (Data API reports: funnels, key-event totals).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .target import Target

if TYPE_CHECKING:  # pragma: no cover
    from .admin import AdminGateway, ApplyReport, ChangeResult
    from .clients import AdminClients, DataClients, build_admin_clients, build_data_clients
    from .data import DataGateway
    from .pacing import WriteLimiter

_LAZY = {
    "AdminGateway": "admin",
    "ApplyReport": "admin",
    "ChangeResult": "admin",
    "AdminClients": "clients",
    "build_admin_clients": "clients",
    "DataClients": "clients",
    "build_data_clients": "clients",
    "DataGateway": "data",
    "WriteLimiter": "pacing",
}

__all__ = ["Target", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
