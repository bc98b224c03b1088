"""One name for the sandbox folder: ``--sandbox-dir`` everywhere (the README's), ``--dir`` an alias
on the ``sandbox`` subcommands; one option definition (``ga_goals.cli.options.sandbox_dir_option``)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ga_goals.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, prefix + (name,))
        else:
            found.append((prefix + (name,), command))
    return found


def _option(command: click.Command, name: str) -> click.Option | None:
    return next((p for p in command.params if isinstance(p, click.Option) and name in p.opts), None)


ALL = _commands(cli)  # type: ignore[arg-type]
WITH_DIR = [(path, command) for path, command in ALL if _option(command, "--sandbox-dir") or _option(command, "--dir")]
SANDBOX = [(path, command) for path, command in ALL if path[0] == "sandbox"]


def test_every_sandbox_subcommand_takes_the_sandbox_folder():
    assert {path for path, _ in SANDBOX} <= {path for path, _ in WITH_DIR}
    assert len(SANDBOX) >= 7


@pytest.mark.parametrize("path,command", WITH_DIR, ids=[" ".join(p) for p, _ in WITH_DIR])
def test_sandbox_dir_is_one_option_everywhere(path: tuple[str, ...], command: click.Command):
    option = _option(command, "--sandbox-dir")
    assert option is not None, f"ga-goals {' '.join(path)} has --dir but not --sandbox-dir"
    # the same definition: same type, variable and help wherever it appears
    reference = _option(cli.commands["plan"], "--sandbox-dir")  # type: ignore[attr-defined]
    assert reference is not None
    assert (option.envvar, option.help, type(option.type)) == (reference.envvar, reference.help, type(reference.type))
    assert set(option.opts) <= {"--sandbox-dir", "--dir"}
    if path[0] == "sandbox":
        assert "--dir" in option.opts  # kept: scripts written for the old name go on working


@pytest.mark.parametrize("name", ["--sandbox-dir", "--dir"])
def test_both_names_reach_the_same_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str):
    monkeypatch.delenv("GA_GOALS_SANDBOX_DIR", raising=False)
    folder = tmp_path / "sandbox"
    runner = CliRunner()
    generated = runner.invoke(
        cli, ["sandbox", "generate", "--users", "5", "--weeks", "1", "--replace", name, str(folder)], catch_exceptions=False
    )
    assert generated.exit_code == 0, generated.output
    other = "--dir" if name == "--sandbox-dir" else "--sandbox-dir"
    status = runner.invoke(cli, ["sandbox", "status", "--json", other, str(folder)], catch_exceptions=False)
    assert status.exit_code == 0, status.output
    shown = json.loads(status.output)
    assert shown["dir"] == str(folder)
    assert shown["properties"]["100000001"]["events"]["origin"] == "generate"
