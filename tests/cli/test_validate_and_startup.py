"""validate and schema from the command line, and what the CLI imports at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import CONFIGS, ROOT


def test_examples_validate(run):
    result = run("validate", *sorted(CONFIGS.glob("*.yaml")))
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": OK") == len(list(CONFIGS.glob("*.yaml")))


def test_broken_plan_lists_problems_with_locations(run, tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("property: sandbox\nconversions:\n  macro:\n    purchase:\n      countng: once_per_event\n")
    result = run("validate", broken)
    assert result.exit_code == 1
    assert f"{broken}:5:7:" in result.stderr
    assert "counting" in result.stderr
    assert "Traceback" not in result.output


def test_broken_yaml_is_a_located_error(run, tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("property: sandbox\nconversions: [\n")
    result = run("validate", broken)
    assert result.exit_code == 1
    assert str(broken) + ":" in result.stderr
    assert "Traceback" not in result.output


def test_plan_with_a_broken_file_sends_nothing(run, tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("property: sandbox\ncustom_dimensions:\n  form id: {scope: event, display_name: Form}\n")
    result = run("plan", broken)
    assert result.exit_code == 1
    assert "nothing was sent to GA4" in result.stderr


def test_schema_is_json(run):
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["type"] == "object"


STARTUP_CHECK = """
import sys
import ga_goals
from click.testing import CliRunner
from ga_goals.cli import cli
runner = CliRunner()
for args in (["--help"], ["validate", sys.argv[1]], ["schema"]):
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, (args, result.output)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("grpc", "sqlglot") or m.startswith(("google.analytics", "google.api_core", "google.auth", "google.protobuf", "proto", "google.cloud.bigquery", "ga_goals.bigquery", "ga_goals.sandbox.bigquery")))
print(",".join(heavy))
"""


def test_help_validate_and_schema_do_not_import_google_clients():
    # Nor the BigQuery client (the optional `bigquery` extra) nor the BigQuery sandbox's sqlglot.
    done = subprocess.run(
        [sys.executable, "-c", STARTUP_CHECK, str(CONFIGS / "shop.yaml")],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    assert done.stdout.strip() == "", f"imported at start-up: {done.stdout}"


def test_no_color_after_the_command_name(sandbox_dir: Path):
    from click.testing import CliRunner

    from ga_goals.cli import cli

    runner = CliRunner()
    coloured = runner.invoke(cli, ["plan", str(CONFIGS / "shop.yaml")], color=True)
    plain = runner.invoke(cli, ["plan", str(CONFIGS / "shop.yaml"), "--no-color"], color=True)
    assert "\x1b[" in coloured.output
    assert plain.exit_code == 0 and "\x1b[" not in plain.output
