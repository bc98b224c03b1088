from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ga_goals.cli import cli


@pytest.fixture
def run(sandbox_dir: Path) -> Callable[..., Result]:
    """Invoke the CLI in-process; stdout and stderr kept apart."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def server(sandbox_dir: Path) -> Iterator[object]:
    """A standalone sandbox server (for counting calls); commands reach it with --sandbox-address."""
    from ga_goals.sandbox.server import SandboxServer

    srv = SandboxServer(sandbox_dir)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
