"""The real round trips, from the command line, through the real Google clients and the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

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


def test_calculated_metrics_round_trip_through_pull(run, tmp_path: Path):
    """The shop plan's calculated metric is synced, pulled back field for field, and plans clean."""
    assert run("sync", SHOP, "--apply").exit_code == 0
    pulled = tmp_path / "pulled.yaml"
    assert run("pull", "--sandbox", "-o", pulled).exit_code == 0
    data = yaml.safe_load(pulled.read_text())
    shop = yaml.safe_load(SHOP.read_text())
    assert data["calculated_metrics"] == {
        key: {"unit": "standard", **spec} for key, spec in shop["calculated_metrics"].items()
    }
    assert run("validate", pulled).exit_code == 0
    plan = run("plan", pulled, "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    # The shop plan itself, changed, updates the metric in place (one mask, two fields).
    changed = tmp_path / "changed.yaml"
    changed.write_text(SHOP.read_text().replace("formula: addToCarts / sessions", "formula: addToCarts / totalUsers"))
    result = run("plan", changed, "--json")
    data = json.loads(result.stdout)
    changes = (data["plans"][0] if "plans" in data else data)["changes"]
    assert [(c["action"], c["kind"], c["label"], [f["field"] for f in c["fields"]]) for c in changes] == [
        ("update", "calculated_metric", "add_to_cart_rate", ["formula"])
    ]
    assert run("sync", changed, "--apply").exit_code == 0
    assert run("plan", changed, "--exit-code").exit_code == 0


def test_channel_groups_round_trip_through_pull(run, tmp_path: Path):
    """The shop plan's channel group is synced, pulled back condition for condition, and plans clean;
    reordering its channels is one update, applied, after which the property matches again."""
    assert run("sync", SHOP, "--apply").exit_code == 0
    pulled = tmp_path / "pulled.yaml"
    assert run("pull", "--sandbox", "-o", pulled).exit_code == 0
    data = yaml.safe_load(pulled.read_text())
    shop = yaml.safe_load(SHOP.read_text())
    expected = {name: {k: v for k, v in spec.items() if k != "primary" or v} for name, spec in shop["channel_groups"].items()}
    assert data["channel_groups"] == expected
    plan = run("plan", pulled, "--exit-code")
    assert plan.exit_code == 0, plan.stdout

    shop["channel_groups"]["Shop marketing channels"]["channels"].reverse()
    shop["channel_groups"]["Shop marketing channels"]["primary"] = True
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(shop, sort_keys=False))
    data = json.loads(run("plan", changed, "--json").stdout)
    changes = (data["plans"][0] if "plans" in data else data)["changes"]
    assert [(c["action"], c["kind"], [f["field"] for f in c["fields"]]) for c in changes] == [
        ("update", "channel_group", ["primary", "channels"])
    ]
    assert run("sync", changed, "--apply").exit_code == 0
    assert run("plan", changed, "--exit-code").exit_code == 0


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


def test_event_edit_rules_round_trip_keeps_their_order(run, tmp_path: Path):
    """sync puts the rules in the plan's order (creates, then one reorder); pull writes them back
    in processing order; planning the pulled file changes nothing."""
    rules = [
        ("Zeta first", "zeta_old", "zeta"),
        ("Alpha second", "alpha_old", "alpha"),
        ("Mid third", "mid_old", "mid"),
    ]

    def plan_file(order: list[tuple[str, str, str]]) -> Path:
        path = tmp_path / "edits.yaml"
        lines = ["property: sandbox", "event_edit_rules:"]
        for name, source, target in order:
            lines += [f"  - display_name: {name}", f"    when: [{{event_name: {source}}}]",
                      f"    set: [{{parameter: event_name, value: {target}}}]"]
        path.write_text("\n".join(lines) + "\n")
        return path

    assert run("sync", plan_file(rules[::-1]), "--apply").exit_code == 0
    reordered = run("sync", plan_file(rules), "--apply")
    assert reordered.exit_code == 0, reordered.output
    assert "reorder event_edit_rule processing order" in reordered.stdout
    pulled = tmp_path / "pulled.yaml"
    assert run("pull", "--sandbox", "-o", pulled).exit_code == 0
    text = pulled.read_text()
    assert text.index("Zeta first") < text.index("Alpha second") < text.index("Mid third")
    plan = run("plan", pulled, "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    assert "No changes" in plan.stdout



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
