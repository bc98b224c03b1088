"""Helpers for the Data API tests: a sandbox with generated shop events, the real Data API clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import grpc
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta
from google.analytics.data_v1alpha.services.alpha_analytics_data.transports import (
    AlphaAnalyticsDataGrpcTransport,
)
from google.analytics.data_v1beta.services.beta_analytics_data.transports import (
    BetaAnalyticsDataGrpcTransport,
)

from ga_goals.sandbox.admin import AdminBackend
from ga_goals.sandbox.server import SandboxServer

#: The shop property of the tests, its generated traffic (4 weeks, 1,500 users).
P = "424242"
PROP = f"properties/{P}"
START, END = date(2026, 10, 1), date(2026, 10, 28)
USERS, SEED = 1500, 7
#: The two periods a weekly report compares.
CURRENT = ("2026-10-22", "2026-10-28", "current")
PREVIOUS = ("2026-10-15", "2026-10-21", "previous")


def date_range(module: Any, span: tuple[str, str, str]) -> Any:
    return module.DateRange(start_date=span[0], end_date=span[1], name=span[2])


def ymd(text: str) -> str:
    return text.replace("-", "")


@dataclass
class Clients:
    beta: beta.BetaAnalyticsDataClient
    alpha: alpha.AlphaAnalyticsDataClient
    channel: grpc.Channel


@contextmanager
def clients(address: str) -> Iterator[Clients]:
    channel = grpc.insecure_channel(address)
    try:
        yield Clients(
            beta.BetaAnalyticsDataClient(transport=BetaAnalyticsDataGrpcTransport(channel=channel)),
            alpha.AlphaAnalyticsDataClient(transport=AlphaAnalyticsDataGrpcTransport(channel=channel)),
            channel,
        )
    finally:
        channel.close()


def configure_shop(server: SandboxServer, pid: str = P) -> None:
    """The shop plan's definitions: key events, custom dimensions (event, user, item) and a metric."""
    admin = AdminBackend(server.store)
    parent = f"properties/{pid}"
    for event, method in (("sign_up", "ONCE_PER_EVENT"), ("add_to_cart", "ONCE_PER_SESSION")):
        admin.create("key_events", parent, {"event_name": event, "counting_method": method})
    for parameter, scope, name in (
        ("form_id", "EVENT", "Form ID"),
        ("content_type", "EVENT", "Content type"),
        ("search_term", "EVENT", "Search term"),
        ("customer_tier", "USER", "Customer tier"),
        ("item_color", "ITEM", "Item color"),
    ):
        admin.create("custom_dimensions", parent, {"parameter_name": parameter, "display_name": name, "scope": scope})
    admin.create(
        "custom_metrics",
        parent,
        {
            "parameter_name": "cart_value",
            "display_name": "Cart value",
            "measurement_unit": "CURRENCY",
            "scope": "EVENT",
            "restricted_metric_type": ["REVENUE_DATA"],
        },
    )


def start_shop_server(state_dir: Path, **options: Any) -> SandboxServer:
    """A started server whose property P holds the generated shop traffic and the shop's definitions."""
    server = SandboxServer(state_dir, **options)
    server.store.ensure_property(P, time_zone="UTC")
    configure_shop(server)
    assert server.data is not None
    server.data.events.generate(P, START, END, users=USERS, seed=SEED)
    server.start()
    return server


@contextmanager
def cursor(server: SandboxServer, pid: str = P) -> Iterator[Any]:
    """A DuckDB cursor on the property's events (the server's own database)."""
    assert server.data is not None
    with server.data.events.reading(pid) as con:
        yield con


def load_rows(server: SandboxServer, pid: str, path: Path, streams: dict[str, str] | None = None) -> None:
    """A property (UTC) of ``server`` holding the export rows of ``path`` (and data streams
    ``streams``: id -> display name), for fields checked on rows other than the shop's."""
    server.store.ensure_property(pid, time_zone="UTC")
    if streams:
        with server.store.transaction(pid) as state:
            assert state is not None
            for sid, name in streams.items():
                state["data_streams"].append({"name": f"properties/{pid}/dataStreams/{sid}", "display_name": name})
    assert server.data is not None
    server.data.events.load(pid, [path], replace=True)


def sql(server: SandboxServer, query: str, pid: str = P) -> list[tuple[Any, ...]]:
    """The rows of ``query`` over the property's stored events (an independent computation)."""
    with cursor(server, pid) as con:
        return list(con.execute(query).fetchall())


def stored_events(server: SandboxServer, pid: str, columns: str) -> list[dict[str, Any]]:
    """The property's stored events as export-shaped dicts of ``columns`` (a SELECT list): what a
    test's plain-Python computation of a field reads."""
    with cursor(server, pid) as con:
        result = con.execute(f"SELECT {columns} FROM events")
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]


def rows(response: Any) -> list[tuple[list[str], list[str]]]:
    return [([d.value for d in r.dimension_values], [m.value for m in r.metric_values]) for r in response.rows]
