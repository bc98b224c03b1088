"""Targets of the contract suite: a real GA4 property (opt-in, ``pytest -m live``) and the sandbox.

See docs/live-tests.md. Nothing here runs by default: ``pyproject.toml`` deselects the ``live``
marker, and without the environment below every live test is skipped with what to set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ga_goals.ga4.target import Target
from ga_goals.sandbox.server import SandboxServer

PROPERTY_ENV = "GA_GOALS_LIVE_PROPERTY"
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
HOW = (
    f"set {PROPERTY_ENV} to a GA4 test property's id (digits) and {CREDENTIALS_ENV} to a service-account "
    "key file with Viewer access to it (read-only requests only); see docs/live-tests.md"
)


def live_settings() -> tuple[str, str] | str:
    """(property id, key file), or why the live suite cannot run."""
    pid = os.environ.get(PROPERTY_ENV, "").strip().removeprefix("properties/")
    key = os.environ.get(CREDENTIALS_ENV, "").strip()
    missing = [name for name, value in ((PROPERTY_ENV, pid), (CREDENTIALS_ENV, key)) if not value]
    if missing:
        return f"{' and '.join(missing)} not set: {HOW}"
    if not pid.isdigit():
        return f"{PROPERTY_ENV}={pid!r} is not a property id (digits): {HOW}"
    if not Path(key).is_file():
        return f"{CREDENTIALS_ENV}={key!r}: no such file: {HOW}"
    return pid, key


@pytest.fixture(scope="session")
def google_target() -> Target:
    settings = live_settings()
    if isinstance(settings, str):
        pytest.skip(settings)
    pid, key = settings
    return Target(property=pid, credentials_file=key, timeout=60.0)


@pytest.fixture(scope="session")
def sandbox_target(google_target: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The sandbox standing in for the same property id (default shop traffic, 8 weeks to yesterday)."""
    pid = google_target.property.removeprefix("properties/")
    server = SandboxServer(tmp_path_factory.mktemp("live") / "sandbox")
    server.store.ensure_property(pid)
    assert server.data is not None
    server.data.events.default_users = 500
    server.start()
    try:
        yield Target(property=pid, sandbox_address=server.address)
    finally:
        server.stop()
