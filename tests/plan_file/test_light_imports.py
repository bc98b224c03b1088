"""Validating a plan loads no engine: `ga-goals validate` runs in pre-commit hooks and editors,
where start-up time is the cost. DuckDB once came in through the funnel semantics (the package
``ga_goals.funnels`` and ``ga_goals.events`` imported their engines eagerly) and cost 35 ms of
the command's 0.30 s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("duckdb", "sqlglot", "grpc", "google.cloud.bigquery", "google.analytics", "jinja2")


def test_validate_loads_no_engine_and_no_google_client():
    code = (
        "import sys\n"
        "from ga_goals.plan_file import validate_file\n"
        "problems = validate_file('configs/shop.yaml')\n"
        "assert not [p for p in problems if p.severity == 'error'], problems\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
