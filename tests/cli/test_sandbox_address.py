"""A sandbox address never redirects a real property: only `property: sandbox` or --sandbox do."""

from __future__ import annotations

from pathlib import Path

import pytest

from ga_goals.errors import ExitCode, GaGoalsError
from ga_goals.manager import Connection, Manager


def _plan(tmp_path: Path, prop: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(f'property: "{prop}"\n')
    return path


@pytest.mark.parametrize("how", ["environment", "option"])
def test_a_real_property_is_not_sent_to_a_sandbox_address(run, server, tmp_path: Path, how: str):
    plan = _plan(tmp_path, "123456789")
    if how == "environment":
        result = run("plan", plan, "--exit-code", env={"GA_GOALS_SANDBOX_ADDRESS": server.address})
    else:
        result = run("plan", plan, "--exit-code", "--sandbox-address", server.address)
    assert result.exit_code == ExitCode.ERROR, result.output
    assert "property 123456789 is a real GA4 property" in result.stderr
    assert "--sandbox" in result.stderr and "GA_GOALS_SANDBOX_ADDRESS" in result.stderr
    assert sum(server.calls.snapshot().values()) == 0  # nothing was sent to the sandbox either


def test_with_sandbox_it_goes_to_the_sandbox_server(run, server, tmp_path: Path):
    server.store.ensure_property("123456789")
    plan = _plan(tmp_path, "123456789")
    result = run("plan", plan, "--sandbox", env={"GA_GOALS_SANDBOX_ADDRESS": server.address})
    assert result.exit_code == ExitCode.OK, result.output
    assert "properties/123456789" in result.stdout


def test_the_sandbox_property_uses_the_address(run, server, tmp_path: Path):
    server.store.ensure_property("100000001")
    result = run("plan", _plan(tmp_path, "sandbox"), env={"GA_GOALS_SANDBOX_ADDRESS": server.address})
    assert result.exit_code == ExitCode.OK, result.output


def test_the_manager_refuses_every_real_spelling(server):
    with Manager(Connection(sandbox_address=server.address)) as manager:
        for ref in ("123", "properties/123"):
            with pytest.raises(GaGoalsError, match="property 123 is a real GA4 property"):
                manager.target(ref)
        assert manager.target("sandbox").is_sandbox
    with Manager(Connection(sandbox=True, sandbox_address=server.address)) as manager:
        assert manager.target("123").sandbox_address == server.address
