"""Per-tier limits, checked on generated plans (too big to keep as files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ga_goals.plan_file import validate_file


def _plan(tmp_path: Path, **sections: Any) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"property": "sandbox", **sections}, sort_keys=False))
    return path


def _key_events(n: int, **extra: Any) -> dict[str, Any]:
    return {"micro": {f"event_{i}": dict(extra) for i in range(n)}}


def _rules(n: int) -> dict[str, Any]:
    return {
        "micro": {
            f"created_{i}": {"created_from": {"when": [{"event_name": "form_submit"}]}, "key_event": False}
            for i in range(n)
        }
    }


def _dimensions(scope: str, n: int) -> dict[str, Any]:
    return {f"{scope}_dim_{i}": {"scope": scope, "display_name": f"Dim {i}"} for i in range(n)}


def _calculated(n: int) -> dict[str, Any]:
    return {f"calc_{i}": {"display_name": f"Calc {i}", "formula": "addToCarts / sessions"} for i in range(n)}


def _channels(n: int) -> list[dict[str, Any]]:
    return [{"name": f"Channel {i}", "when": [{"field": "source", "equals": f"s{i}"}]} for i in range(n)]


def _channel_groups(n: int) -> dict[str, Any]:
    return {f"group_{i}": {"channels": _channels(1)} for i in range(n)}



def _audiences(n: int, *, trigger: bool = False) -> dict[str, Any]:
    return {
        f"event_{i}": {
            "description": "Buyers", "membership_days": 30, "include": ["purchase"],
            **({"trigger": {"event": f"joined_{i}"}} if trigger else {}),
        }
        for i in range(n)
    }


def _metrics(n: int) -> dict[str, Any]:
    return {f"metric_{i}": {"display_name": f"Metric {i}"} for i in range(n)}


CASES = [
    # (what, sections builder, standard limit, 360 limit, message)
    ("key events", lambda n: {"conversions": _key_events(n)}, 30, 50, "too many key events"),
    ("event dims", lambda n: {"custom_dimensions": _dimensions("event", n)}, 50, 125,
     "too many event-scoped custom dimensions"),
    ("user dims", lambda n: {"custom_dimensions": _dimensions("user", n)}, 25, 100,
     "too many user-scoped custom dimensions"),
    ("item dims", lambda n: {"custom_dimensions": _dimensions("item", n)}, 10, 25,
     "too many item-scoped custom dimensions"),
    ("metrics", lambda n: {"custom_metrics": _metrics(n)}, 50, 125, "too many custom metrics"),
    ("created events", lambda n: {"conversions": _rules(n)}, 50, 50, "too many created events"),
    ("calculated metrics", lambda n: {"calculated_metrics": _calculated(n)}, 5, 50, "too many calculated metrics"),
    ("channel groups", lambda n: {"channel_groups": _channel_groups(n)}, 2, 5, "too many custom channel groups"),



    ("audiences", lambda n: {"audiences": _audiences(n)}, 100, 400, "too many audiences"),
]


@pytest.mark.parametrize(("build", "standard", "premium", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_limits(tmp_path: Path, build: Any, standard: int, premium: int, message: str) -> None:
    at_limit = _plan(tmp_path, **build(standard))
    assert validate_file(at_limit, env={}) == []

    over = _plan(tmp_path, **build(standard + 1))
    [problem] = validate_file(over, env={})
    assert f"{message}: {standard + 1}; a standard property allows {standard}" in problem.message
    # it points at the first one over the limit
    line = over.read_text().splitlines()[problem.location.line - 1].strip()
    assert line.startswith(
        ("event_", "event_dim_", "user_dim_", "item_dim_", "metric_", "created_from:", "calc_", "group_")
    )
    if not line.startswith("created_from"):
        assert line.split(":")[0].endswith(f"_{standard}")

    if premium > standard:
        assert "or set tier: \"360\" if the property is GA4 360" in problem.message
        assert validate_file(over, env={}, tier="360") == []
        assert validate_file(_plan(tmp_path, tier="360", **build(premium)), env={}) == []
        [problem] = validate_file(_plan(tmp_path, tier="360", **build(premium + 1)), env={})
        assert f"{message}: {premium + 1}; a 360 property allows {premium} (standard: {standard})" in problem.message
    else:
        assert "360" not in problem.message.split(";")[1]
        assert len(validate_file(over, env={}, tier="360")) == 1


def test_the_limit_problem_points_at_the_first_key_event_over_the_limit(tmp_path: Path) -> None:
    path = _plan(tmp_path, conversions=_key_events(32))
    [problem] = validate_file(path, env={})
    line = path.read_text().splitlines()[problem.location.line - 1]
    assert line.strip() == "event_30: {}"


def test_key_event_false_does_not_count(tmp_path: Path) -> None:
    conversions = _key_events(30)
    conversions["micro"].update({f"tracked_{i}": {"key_event": False} for i in range(10)})
    assert validate_file(_plan(tmp_path, conversions=conversions), env={}) == []


def test_dimension_limits_are_per_scope(tmp_path: Path) -> None:
    dims = {**_dimensions("event", 50), **_dimensions("user", 25), **_dimensions("item", 10)}
    assert validate_file(_plan(tmp_path, custom_dimensions=dims), env={}) == []


def test_a_channel_group_has_at_most_50_channels(tmp_path: Path) -> None:
    at_limit = _plan(tmp_path, channel_groups={"Shop": {"channels": _channels(50)}})
    assert validate_file(at_limit, env={}) == []
    over = _plan(tmp_path, channel_groups={"Shop": {"channels": _channels(51)}})
    [problem] = validate_file(over, env={})
    assert "channel group 'Shop' has 51 channels; GA4 allows at most 50" in problem.message
    assert "Channel 50" in over.read_text().splitlines()[problem.location.line - 1]



def test_at_most_20_audience_triggers_on_either_tier(tmp_path: Path) -> None:
    audiences = {**_audiences(20, trigger=True), "Others": {"description": "x", "membership_days": 1,
                                                            "include": ["login"]}}
    assert validate_file(_plan(tmp_path, audiences=audiences), env={}) == []
    over = _plan(tmp_path, audiences=_audiences(21, trigger=True))
    for tier in ("standard", "360"):
        [problem] = validate_file(over, env={}, tier=tier)
        assert "too many audience triggers: 21; GA4 allows 20 per property" in problem.message
        line = over.read_text().splitlines()[problem.location.line - 1]
        assert line.strip() == "event: joined_20"
