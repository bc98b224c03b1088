"""Loading plan files must not pull in the Google clients or gRPC (a quick CLI start)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
import ga_goals.plan_file
after_import = sorted(sys.modules)
from ga_goals.plan_file import validate_file, load_plans
problems = validate_file(sys.argv[1], env={})
plans = load_plans(sys.argv[1], all_environments=True, env={})
print(json.dumps({"after_import": after_import, "after_run": sorted(sys.modules), "problems": len(problems)}))
"""

HEAVY = ("grpc", "google.analytics", "google.api_core", "google.protobuf", "proto")


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_plan_file_does_not_import_google_or_grpc() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "configs" / "shop.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["problems"] == 0
    assert _heavy(report["after_import"]) == []
    assert _heavy(report["after_run"]) == []
    # jsonschema only once a file is checked
    assert not [m for m in report["after_import"] if m.startswith("jsonschema")]
    assert "jsonschema" in report["after_run"]
