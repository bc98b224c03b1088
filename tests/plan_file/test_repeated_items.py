"""One rule for repeated list items (docs/plan-rules.md, "Repeated items")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ga_goals.plan_file import plan_schema, validate_file
from ga_goals.plan_file.schema import REPEATABLE_LISTS


def _lists(schema: Any, key: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(schema, dict):
        if schema.get("type") == "array":
            out.append((key, schema))
        for k, v in schema.items():
            if k not in ("examples", "default", "enum", "const"):
                out.extend(_lists(v, k if k not in ("anyOf", "oneOf", "items", "properties") else key))
    elif isinstance(schema, list):
        for v in schema:
            out.extend(_lists(v, key))
    return out


def test_every_list_refuses_repetitions_unless_it_is_repeatable() -> None:
    lists = _lists(plan_schema(variables=False))
    assert len(lists) >= 15
    for key, schema in lists:
        assert schema.get("uniqueItems") is (key not in REPEATABLE_LISTS or None), key


class _NoAliases(yaml.SafeDumper):
    """Writes a repeated item out again instead of as an alias of the first."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


RULE = {"when": [{"event_name": "form_submit"}]}
ALERT = {"funnel": "checkout", "metric": "users", "below": 1}
FILTER = {"parameter": "currency", "equals": "USD"}
FUNNEL = {"steps": ["view_item", {"event": "purchase", "where": [FILTER]}]}

#: (which list, a plan whose list repeats an item, the repeated item's message)
CASES = [
    ("email.to", {"reports": {"r": {"email": {"to": ["a@example.com", "b@example.com", "a@example.com"]}}}},
     "'a@example.com' is listed twice in 'to'"),
    ("email.cc", {"reports": {"r": {"email": {"to": ["a@example.com"], "cc": ["c@example.com", "c@example.com"]}}}},
     "'c@example.com' is listed twice in 'cc'"),
    ("safety.protect", {"safety": {"protect": ["purchase", "purchase"]}}, "'purchase' is listed twice in 'protect'"),
    ("alerts", {"funnels": {"checkout": FUNNEL}, "reports": {"r": {"alerts": [ALERT, ALERT]}}},
     "alert 2 of report 'r' repeats alert 1 of report 'r'"),
    ("when", {"conversions": {"micro": {"lead": {"created_from": {"when": [
        {"event_name": "form_submit"}, {"event_name": "form_submit"}]}}}}},
     "condition 2 of the event create rule of conversion 'lead' repeats condition 1"),
    ("created_from", {"conversions": {"micro": {"lead": {"created_from": [RULE, RULE]}}}},
     "event create rule 2 of conversion 'lead' repeats event create rule 1"),
    ("where", {"funnels": {"f": {"steps": ["view_item", {"event": "purchase", "where": [FILTER, FILTER]}]}}},
     "filter 2 of step 2 of funnel 'f' repeats filter 1"),
    ("in", {"funnels": {"f": {"steps": ["view_item", {"event": "purchase", "where": [
        {"parameter": "currency", "in": ["USD", "EUR", "USD"]}]}]}}}, "'USD' is listed twice in 'in'"),
    ("stages", {"stages": ["home", "cart", "home"]}, "'home' is listed twice in 'stages'"),
    ("formats", {"reports": {"r": {"formats": ["html", "html"]}}}, "'html' is listed twice in 'formats'"),
    ("funnels", {"funnels": {"checkout": FUNNEL}, "reports": {"r": {"funnels": ["checkout", "checkout"]}}},
     "'checkout' is listed twice in 'funnels'"),
    ("numbers", {"funnels": {"f": {"steps": ["view_item", {"event": "purchase", "where": [
        {"parameter": "value", "in": [1, 1.0]}]}]}}}, "1.0 is listed twice in 'in'"),
]


@pytest.mark.parametrize(("plan", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_repeated_item_is_refused_at_the_repetition(tmp_path: Path, plan: dict, message: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.dump({"property": "sandbox", **plan}, Dumper=_NoAliases, sort_keys=False,
                              default_flow_style=False))
    lines = path.read_text().splitlines()
    problems = [p for p in validate_file(path, env={}) if "twice" in p.message or "repeats" in p.message]
    assert len(problems) == 1, problems
    [problem] = problems
    assert message in problem.message
    assert "(first at line" in problem.message or "(line" in problem.message
    first_line = int(problem.message.split("line ", 1)[1].split(",")[0])
    assert first_line < problem.location.line  # block style: the repetition is below the first
    assert lines[first_line - 1].strip("- ").split(":")[0] in lines[problem.location.line - 1]


def test_true_and_1_are_not_a_repetition(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("property: sandbox\nfunnels:\n  f:\n    steps: [view_item, {event: purchase, where: "
                    "[{parameter: value, in: [1, '1']}]}]\n")
    assert not [p for p in validate_file(path, env={}) if "twice" in p.message]


def test_funnel_steps_may_repeat(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("property: sandbox\nfunnels:\n  f:\n    steps: [page_view, view_item, page_view]\n")
    assert validate_file(path, env={}) == []
