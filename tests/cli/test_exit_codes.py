"""Exit codes scripts can trust: no error of any kind exits ExitCode.CHANGES, every command, and
docs/exit-codes.md lists exactly the codes of ExitCode."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ga_goals.cli import cli
from ga_goals.errors import ExitCode
from tests.conftest import CONFIGS

DOC = Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md"


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command reachable from ``group`` (sub-groups walked), with the words that name it."""
    found = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


COMMANDS = _commands(cli)
PATHS = [path for path, command in COMMANDS]


def _missing_file_args(command: click.Command, tmp_path: Path) -> list[str] | None:
    """Arguments naming a file that does not exist, for the command's first existing-file
    parameter (argument or option); None if it has none."""
    missing = str(tmp_path / "nonexist.yaml")
    for param in command.params:
        if isinstance(param.type, click.Path) and param.type.exists:
            if isinstance(param, click.Argument):
                return [missing]
            return [param.opts[0], missing]
    return None


def test_every_command_is_walked() -> None:
    assert {("plan",), ("sync",), ("validate",), ("report",), ("pull",)} <= set(PATHS)
    assert any(len(path) > 1 for path in PATHS)  # sub-groups too (sandbox ...)


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_an_unknown_option_is_a_usage_error(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--no-such-option"])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "No such option" in result.output


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_a_missing_file_is_a_usage_error(path: tuple[str, ...], tmp_path: Path) -> None:
    command = dict(COMMANDS)[path]
    args = _missing_file_args(command, tmp_path)
    if args is None:
        # no file parameter: an option given without its value is the usage error
        options = [p for p in command.params if isinstance(p, click.Option) and not p.is_flag]
        if not options:
            assert isinstance(command, click.Group) or all(
                isinstance(p, click.Option) and p.is_flag for p in command.params
            ), command.params
            return
        args = [max(options[0].opts, key=len)]
    result = CliRunner().invoke(cli, [*path, *args])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.exit_code != ExitCode.CHANGES


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "nonexist.yaml", "--exit-code"],
        ["plan", str(CONFIGS / "shop.yaml"), "--exit-code", "--credentials", "/missing/key.json"],
        ["sync", str(CONFIGS / "shop.yaml"), "--plan-file", "/missing/plan.json"],
        ["plan", str(CONFIGS / "shop.yaml"), "--exit-code", "--timeout", "0"],
        ["--no-such-option"],
        ["no-such-command"],
    ],
    ids=["missing plan", "missing key", "missing saved plan", "bad value", "group option", "unknown command"],
)
def test_a_drift_check_never_reads_a_typo_as_drift(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == ExitCode.USAGE, result.output


def test_the_docs_table_is_exit_code() -> None:
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*(\w+)\s*\|", DOC.read_text(), flags=re.M)
    documented = {name: int(code) for code, name in rows}
    defined = {name: value for name, value in vars(ExitCode).items() if name.isupper()}
    assert documented == defined
    codes = list(defined.values())
    assert len(codes) == len(set(codes))  # no two meanings share a code


def test_the_help_lists_the_codes() -> None:
    text = CliRunner().invoke(cli, ["--help"]).output
    for value in (v for n, v in vars(ExitCode).items() if n.isupper() and v):
        assert f"{value} " in text
