"""Fixtures: a sandbox GA4 server per test, reached through the real clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ga_goals.ga4 import Target
from ga_goals.ga4.admin import AdminGateway
from ga_goals.sandbox.server import SandboxServer

PROPERTY = "properties/123"


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    """A started sandbox with a seeded standard property 123 (one web stream, the default
    ``purchase`` key event). ``@pytest.mark.sandbox(write_quota=(3, 0.5))`` passes options."""
    marker = request.node.get_closest_marker("sandbox")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    srv = SandboxServer(tmp_path / "sandbox", **options)
    srv.start()
    srv.store.ensure_property("123")
    try:
        yield srv
    finally:
        srv.stop()


def make_target(server: SandboxServer, **kw: Any) -> Target:
    """A Target for property 123 with fast retries (tests must stay quick)."""
    settings: dict[str, Any] = {"timeout": 5.0, "retry_initial": 0.01, "retry_deadline": 5.0}
    settings.update(kw)
    prop = settings.pop("property", PROPERTY)
    return Target(prop, sandbox_address=server.address, **settings)


@pytest.fixture
def gateway(server: SandboxServer) -> Iterator[AdminGateway]:
    with AdminGateway(make_target(server)) as ga:
        yield ga


def server_calls(server: SandboxServer) -> dict[str, int]:
    """The server's call counts without the version prefix."""
    out: dict[str, int] = {}
    for label, n in server.calls.snapshot().items():
        short = label.split(".", 1)[1]
        out[short] = out.get(short, 0) + n
    return out


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(**options): options of the SandboxServer fixture")
