"""The real round trips, from the command line, through the real Google clients and the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CONFIGS

SHOP = CONFIGS / "shop.yaml"
LEADGEN = CONFIGS / "leadgen.yaml"


def test_sync_then_plan_shows_no_changes(run):
    first = run("sync", SHOP, "--apply")
    assert first.exit_code == 0, first.output
    assert "Applied" in first.stdout
    again = run("plan", SHOP, "--exit-code")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
    # idempotent: a second sync writes nothing
    second = run("sync", SHOP, "--apply")
    assert second.exit_code == 0
    assert "No changes" in second.stdout and "Applied" not in second.stdout


def test_sync_without_apply_writes_nothing(run):
    dry = run("sync", SHOP)
    assert dry.exit_code == 2, dry.output
    assert "--apply" in dry.stderr
    assert run("plan", SHOP, "--exit-code").exit_code == 2


def test_pull_then_plan_shows_no_changes(run, tmp_path: Path):
    assert run("sync", LEADGEN, "--apply").exit_code == 0
    pulled = tmp_path / "pulled.yaml"
    result = run("pull", "--sandbox", "-o", pulled)
    assert result.exit_code == 0, result.output
    assert run("validate", pulled).exit_code == 0
    plan = run("plan", pulled, "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    assert "No changes" in plan.stdout


def test_pull_refuses_to_overwrite(run, tmp_path: Path):
    target = tmp_path / "exists.yaml"
    target.write_text("keep me\n")
    result = run("pull", "--sandbox", "-o", target)
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert target.read_text() == "keep me\n"


def test_plan_json_is_machine_readable(run):
    result = run("plan", SHOP, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    plan = data["plans"][0] if "plans" in data else data
    assert plan["property"] == "properties/100000001"
    assert {c["action"] for c in plan["changes"]} == {"create", "update"} or {c["action"] for c in plan["changes"]} == {"create"}
    assert len(plan["checksum"]) == 64


def test_pull_round_trips_audiences(run, tmp_path: Path):
    """The shop's audiences (event windows, a sequence, exclusions, a trigger) come back from
    `pull` as a file that validates and plans to no changes."""
    assert run("sync", SHOP, "--apply").exit_code == 0
    pulled = tmp_path / "pulled.yaml"
    result = run("pull", "--sandbox", "-o", pulled)
    assert result.exit_code == 0, result.output
    text = pulled.read_text()
    assert "Cart abandoners:" in text and "trigger: {event: cart_abandoner, log: joined}" in text
    assert "2 audiences" in result.stderr
    assert run("validate", pulled).exit_code == 0
    plan = run("plan", pulled, "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    assert "No changes" in plan.stdout
