"""``channel_groups:`` of a plan: what a file builds, and what validate accepts."""

from __future__ import annotations

from pathlib import Path

import yaml

from ga_goals.model import Channel, ChannelCondition, ChannelGroup
from ga_goals.plan_file import load_plan, validate_file


def _plan(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"property": "sandbox", **data}, sort_keys=False))
    return path


def test_a_group_builds_ga4s_and_of_or_shape(tmp_path: Path) -> None:
    path = _plan(
        tmp_path,
        {
            "channel_groups": {
                "Shop channels": {
                    "description": "Mail",
                    "primary": True,
                    "channels": [
                        {
                            "name": "Newsletter",
                            "when": [
                                {"field": "source", "equals": "newsletter"},
                                {"any": [{"field": "medium", "in": ["email", 1]}, {"field": "eachScopeCampaignId", "equals": 2024}]},
                                {"field": "campaign_name", "partially_matches": "nl_", "negate": True},
                            ],
                        }
                    ],
                }
            }
        },
    )
    assert validate_file(path, env={}) == []
    group = load_plan(path).desired_state("properties/1").channel_groups["Shop channels"]
    assert group == ChannelGroup(
        "Shop channels",
        (
            Channel(
                "Newsletter",
                (
                    (ChannelCondition("eachScopeSource", "exact", "newsletter"),),
                    (
                        ChannelCondition("eachScopeMedium", "in_list", values=("email", "1")),
                        ChannelCondition("eachScopeCampaignId", "exact", "2024"),  # numbers as written
                    ),
                    (ChannelCondition("eachScopeCampaignName", "partial_regexp", "nl_", negated=True),),
                ),
            ),
        ),
        description="Mail",
        primary=True,
    )


def test_a_channel_group_is_protected_by_its_name_spaces_and_all(tmp_path: Path) -> None:
    path = _plan(tmp_path, {"safety": {"protect": ["channel_group:Shop marketing channels", "calculated_metric:rate"]}})
    assert validate_file(path, env={}) == []
    bad = _plan(tmp_path, {"safety": {"protect": ["channel_group: "]}})
    [problem] = validate_file(bad, env={})
    assert "must be a name" in problem.message


def test_groups_are_per_tier(tmp_path: Path) -> None:
    groups = {f"G{i}": {"channels": [{"name": "A", "when": [{"field": "source", "equals": "a"}]}]} for i in range(5)}
    path = _plan(tmp_path, {"tier": "360", "channel_groups": groups})
    assert validate_file(path, env={}) == []
