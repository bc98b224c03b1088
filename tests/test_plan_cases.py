"""Data-driven plan cases, end to end: a plan file and a property's state in, the plan out.

Each folder of tests/plan_cases/ holds

* ``plan.yaml``: the tracking plan (``property: sandbox``);
* ``property.json``: what the property holds before (besides what every new GA4 property has:
  the web stream and the ``purchase`` key event), in ``ga_goals.changes.serialize`` form;
* ``expected.txt``: the plan as ``ga-goals plan`` prints it (without colour and checksum).

The property is written into a fresh sandbox through the real Admin clients, then planned
through the real clients again, as `ga-goals plan` does. ``UPDATE_CASES=1`` rewrites the
expected files: review the diff by eye.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ga_goals.changes import compute_plan
from ga_goals.changes.render import render_text
from ga_goals.changes.serialize import state_from_json
from ga_goals.ga4 import AdminGateway, Target
from ga_goals.manager import Connection, Manager
from ga_goals.model import Safety
from ga_goals.plan_file import load_plan
from ga_goals.sandbox import SANDBOX_PROPERTY_ID
from ga_goals.sandbox.server import SandboxServer
from tests.conftest import write_golden

CASES = sorted(p for p in (Path(__file__).parent / "plan_cases").iterdir() if p.is_dir())
PROPERTY = f"properties/{SANDBOX_PROPERTY_ID}"


def _seed(server: SandboxServer, case: Path) -> None:
    """Make the sandbox property hold what property.json describes, through the real clients."""
    with AdminGateway(Target(property=PROPERTY, sandbox_address=server.address)) as gateway:
        actual = gateway.read_state()
        data = json.loads((case / "property.json").read_text())
        web = next(s.resource_name for s in actual.data_streams if s.type == "web")
        for rule in [*data.get("event_create_rules", []), *data.get("event_edit_rules", [])]:
            rule.setdefault("stream", web)
        for settings in data.get("enhanced_measurement", []):
            settings.setdefault("stream", web)
        wanted = state_from_json({"property": PROPERTY, **data})
        wanted.data_streams = actual.data_streams
        for key, event in actual.key_events.items():  # what GA4 put there stays
            wanted.key_events.setdefault(key, event)
        report = gateway.apply(compute_plan(wanted, actual, safety=Safety(unmanaged="ignore")))
        assert report.complete, report.summary()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_case(case: Path, tmp_path: Path) -> None:
    with SandboxServer(tmp_path) as server:
        server.store.ensure_property(SANDBOX_PROPERTY_ID)
        _seed(server, case)
        tracking_plan = load_plan(case / "plan.yaml")
        tracking_plan.source = "plan.yaml"
        with Manager(Connection(sandbox_address=server.address)) as manager:
            plan = manager.plan(tracking_plan)
    text = render_text(plan, color=False).rsplit("\nChecksum:", 1)[0] + "\n"
    expected = case / "expected.txt"
    write_golden(expected, text)
    assert text == expected.read_text()
