"""`ga-goals check` from the command line: text and JSON, exit 4 for findings (0 without, 1 when the
check cannot run, 64 for a wrong command line), the same findings from export files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ga_goals.cli import cli
from ga_goals.errors import ExitCode
from tests.conftest import CONFIGS, ROOT

PLAN = ROOT / "tests" / "checks" / "plan.yaml"
SHOP = CONFIGS / "shop.yaml"


def _synced(tmp: Path, plan: Path) -> dict[str, object]:
    env = {"GA_GOALS_SANDBOX_DIR": str(tmp / "sandbox"), "NO_COLOR": "1"}
    runner = CliRunner()

    def run(*args: object) -> Result:
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)

    assert run("sync", plan, "--apply").exit_code == 0
    assert run("sandbox", "export", tmp / "export").exit_code == 0
    return {"run": run, "export": tmp / "export"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The tests' plan synced to a sandbox, and its events exported (once: the tests only read)."""
    return _synced(tmp_path_factory.mktemp("check-cli"), PLAN)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """configs/shop.yaml synced to a sandbox of its own (its event create rules make events)."""
    return _synced(tmp_path_factory.mktemp("check-shop"), SHOP)


def _run(sandbox: dict[str, object]) -> Callable[..., Result]:
    return sandbox["run"]  # type: ignore[return-value]


def test_findings_exit_4_with_every_kind_in_the_text(sandbox):
    result = _run(sandbox)("check", PLAN)
    assert result.exit_code == ExitCode.FINDINGS, result.output
    out = result.stdout
    assert out.startswith(f"Check of {PLAN} against properties/100000001, last 28 days (")
    for heading in (
        "Declared events that never fired:",
        "Events no plan declares:",
        "Custom dimensions whose parameter never arrives:",
        "Micro conversions that do not lead to the macro conversion:",
        "Funnels whose first step has no users:",
        "Not checked:",
    ):
        assert f"\n{heading}\n" in out
    assert "  error   macro key event 'request_quote' never fired" in out
    assert "'add_to_basket' fired " in out
    assert "5 errors, " in out and " not checked." in out
    assert "Data API calls" in out
    assert result.stderr == ""


def test_json_output(sandbox):
    result = _run(sandbox)("check", PLAN, "--format", "json", "--days", "14")
    assert result.exit_code == ExitCode.FINDINGS
    data = json.loads(result.stdout)
    assert data["format"] == "ga-goals-check/1"
    assert data["period"]["days"] == 14 and data["property"] == "properties/100000001"
    # (in 14 days `share` has under 100 users: too few to judge, so not flagged)
    assert {"request_quote", "customEvent:gift_wrap", "promotions", "add_to_basket"} <= {
        f["subject"] for f in data["findings"]
    }
    assert data["source"]["engine"] == "data-api" and data["source"]["calls"]


def test_fail_on_chooses_what_fails(sandbox, shop):
    assert _run(sandbox)("check", PLAN, "--fail-on", "never").exit_code == ExitCode.OK
    run = _run(shop)
    # the shop plan: only warnings (the generator's undeclared events) and a note
    shop = run("check", SHOP)
    assert shop.exit_code == ExitCode.OK, shop.output
    assert "0 errors, " in shop.stdout and "'add_to_basket' fired" in shop.stdout and "'share' fired" in shop.stdout
    assert run("check", SHOP, "--fail-on", "warning").exit_code == ExitCode.FINDINGS
    assert run("check", SHOP, "--fail-on", "info", "--format", "json").exit_code == ExitCode.FINDINGS


def test_export_files_give_the_same_findings(sandbox):
    run = _run(sandbox)
    api = json.loads(run("check", PLAN, "--format", "json").stdout)
    files = run("check", PLAN, "--format", "json", "--events", sandbox["export"])
    assert files.exit_code == ExitCode.FINDINGS, files.output
    duck = json.loads(files.stdout)
    assert duck["source"]["engine"] == "duckdb"
    # (parameter findings differ by design: the Data API sees only registered custom dimensions)
    schema_kinds = {"parameter_missing", "parameter_wrong_type", "parameter_value_not_allowed", "parameter_undeclared"}
    assert [f for f in duck["findings"] if f["kind"] != "not_checked" and f["kind"] not in schema_kinds] == [
        f for f in api["findings"] if f["kind"] != "not_checked" and f["kind"] not in schema_kinds
    ]


def test_the_shop_s_known_violations_from_its_export_files(shop):
    """From the export, the shop plan's event schemas find the sandbox's known violations: exit 4
    (a required parameter missing, a wrong type), one block per kind, the figures in JSON."""
    run = _run(shop)
    result = run("check", SHOP, "--events", shop["export"])
    assert result.exit_code == ExitCode.FINDINGS, result.output
    out = result.stdout
    for heading in ("Required parameters missing:", "Parameters of the wrong type:",
                    "Parameter values outside the allowed values or pattern:", "Parameters the schema does not declare:"):
        assert f"\n{heading}\n" in out
    assert "  error   add_to_cart.currency: required but missing on " in out
    assert "add_payment_info.payment_type: outside the allowed values (Credit Card, PayPal, Gift Card) on " in out
    assert "(e.g. 'bank_transfer')" in out and "Event schemas: " in out
    data = json.loads(run("check", SHOP, "--events", shop["export"], "--format", "json").stdout)
    faults = {f["subject"]: f["figures"] for f in data["findings"] if f["kind"].startswith("parameter_") and f["kind"] != "parameter_never_arrives"}
    assert set(faults) == {"add_to_cart.currency", "add_payment_info.payment_type", "purchase.value", "view_item.experiment_variant"}
    assert faults["purchase.value"]["declared"]["type"] == "number" and 0 < faults["purchase.value"]["share"] < 0.05
    assert data["checked"]["event_names_seen"] == data["checked"]["event_names"]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("--days", "0"), ExitCode.USAGE, "--days"),
        (("--days", "many"), ExitCode.USAGE, "--days"),
        (("--format", "xml"), ExitCode.USAGE, "--format"),
        (("--fail-on", "sometimes"), ExitCode.USAGE, "--fail-on"),
        (("--macro", "add_to_cart"), ExitCode.ERROR, "--macro 'add_to_cart' is not a macro conversion"),
        (("--events", "no-such-folder/"), ExitCode.ERROR, "no-such-folder"),
        (("--events", "x", "--engine", "bigquery"), ExitCode.ERROR, "--events names export files for --engine duckdb"),
        (("--env", "nope"), ExitCode.ERROR, "nope"),
    ],
)
def test_bad_input_is_one_clear_line(sandbox, args, code, said):
    result = _run(sandbox)("check", PLAN, *args)
    assert result.exit_code == code, result.output
    assert said in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""


def test_a_plan_with_errors_is_not_checked(sandbox, tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("property: sandbox\nconversions:\n  macro:\n    purchase: {countng: once_per_event}\n")
    result = _run(sandbox)("check", broken)
    assert result.exit_code == ExitCode.ERROR
    assert "countng" in result.stderr and result.stdout == ""


def test_the_documented_output_is_what_check_prints(sandbox, monkeypatch: pytest.MonkeyPatch):
    """docs/commands.md shows a real run; the sandbox's default traffic moves with the calendar,
    so dates and counts are compared as shapes (every digit run read as #)."""
    import re
    import shlex

    from tests.test_docs import DOCS, fenced_blocks, section

    [block] = fenced_blocks(section((DOCS / "commands.md").read_text(), "## `ga-goals check FILE`"), "console")
    command, *shown = block.splitlines()
    args = shlex.split(command.removeprefix("$ "))
    assert args[:2] == ["ga-goals", "check"]
    monkeypatch.chdir(ROOT)
    result = _run(sandbox)(*args[1:])
    assert result.exit_code == ExitCode.FINDINGS

    def shape(text: str) -> str:
        return re.sub(r"\d+", "#", text)

    assert shape(result.stdout) == shape("\n".join(shown) + "\n")


def test_the_commands_bounds_are_the_librarys():
    from ga_goals.checks import run
    from ga_goals.cli import check_commands

    assert (check_commands.MAX_DAYS, check_commands.DEFAULT_DAYS, check_commands.DEFAULT_TOP) == (
        run.MAX_DAYS, run.DEFAULT_DAYS, run.DEFAULT_TOP
    )
