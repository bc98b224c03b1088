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


def test_enhanced_measurement_syncs_and_pulls_back(run, tmp_path: Path):
    """The shop's site search settings reach the stream; a pull writes every setting, and the
    pulled plan plans no changes; a pulled plan edited (video engagement off) plans exactly that
    update, and the shop plan, which does not manage video engagement, still plans none."""
    assert run("sync", SHOP, "--apply").exit_code == 0
    pulled = tmp_path / "pulled.yaml"
    assert run("pull", "--sandbox", "-o", pulled).exit_code == 0
    text = pulled.read_text()
    block = text[text.index("enhanced_measurement:"):]
    assert "site_search: true" in block and "search_query_parameter:\n  - q\n" in block
    assert "scrolls: true" in block and "uri_query_parameter: []" in block
    plan = run("plan", pulled, "--exit-code")
    assert plan.exit_code == 0 and "No changes" in plan.stdout, plan.output
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("  video_engagement: true", "  video_engagement: false"))
    changed = run("plan", edited, "--json")
    changes = json.loads(changed.stdout)["plans"][0]["changes"]
    assert [(c["action"], c["kind"], c["fields"]) for c in changes] == [
        ("update", "enhanced_measurement", [{"field": "video_engagement", "old": True, "new": False}])
    ]
    assert run("sync", edited, "--apply").exit_code == 0
    assert run("plan", edited, "--exit-code").exit_code == 0
    assert run("plan", SHOP, "--exit-code").exit_code == 0  # the shop does not manage video engagement
