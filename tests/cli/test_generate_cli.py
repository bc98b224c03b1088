"""`ga-goals generate`: writes the files, `--check` for CI (exit 2, writes nothing), bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

from ga_goals import instrumentation
from ga_goals.cli import generate_commands
from ga_goals.errors import ExitCode
from tests.conftest import CONFIGS


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_options_are_the_librarys():
    assert generate_commands.SENDS == instrumentation.SENDS


def test_generate_then_check(run, tmp_path: Path):
    plan = tmp_path / "shop.yaml"
    shutil.copy(CONFIGS / "shop.yaml", plan)
    out = tmp_path / "web" / "analytics"
    result = run("generate", plan, "--out", out)
    assert result.exit_code == ExitCode.OK, result.output
    written = snapshot(out)
    assert "ga4-events.ts" in written and "measurement-protocol.schema.json" in written
    assert f"created {out.as_posix()}/ga4-events.ts" in result.stdout
    assert result.stdout.splitlines()[-1] == f"{len(written)} files in {out.as_posix()}/: {len(written)} changed, 0 unchanged."

    again = run("generate", plan, "--out", out)
    assert again.stdout == f"{len(written)} files in {out.as_posix()}/: 0 changed, {len(written)} unchanged.\n"
    assert snapshot(out) == written

    checked = run("generate", plan, "--out", out, "--check")
    assert (checked.exit_code, checked.stdout) == (ExitCode.OK, f"{out.as_posix()}/ is up to date ({len(written)} files).\n")

    # a hand edit, a deleted file, and a generated file the plan does not make
    (out / "ga4-events.ts").write_text((out / "ga4-events.ts").read_text() + "// edited\n")
    (out / "measurement-protocol.schema.json").rename(out / "old.schema.json")
    before = snapshot(out)
    stale = run("generate", plan, "--out", out, "--check", "--send", "datalayer")
    assert stale.exit_code == ExitCode.CHANGES
    assert stale.stdout == "changed: ga4-events.ts\nmissing: measurement-protocol.schema.json\nextra: old.schema.json\n"
    assert stale.stderr.strip() == (
        f"3 files in {out.as_posix()}/ are not as the plan generates them: run "
        f"`ga-goals generate {plan} --out {out} --send datalayer` and commit the result."
    )
    assert snapshot(out) == before  # --check writes nothing

    fixed = run("generate", plan, "--out", out)
    assert fixed.exit_code == ExitCode.OK
    assert "removed" in fixed.stdout and snapshot(out) == written


def test_bad_input(run, tmp_path: Path):
    missing = run("generate", tmp_path / "nope.yaml")
    assert missing.exit_code == ExitCode.USAGE
    broken = tmp_path / "broken.yaml"
    broken.write_text("property: sandbox\ncurrency: usd\n")
    result = run("generate", broken, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.ERROR and "currency codes are upper-case" in result.stderr
    assert not (tmp_path / "out").exists()
    assert run("generate", broken, "--send", "beacon").exit_code == ExitCode.USAGE


def test_the_documented_check_output_is_what_generate_prints(run, tmp_path: Path, monkeypatch):
    from tests.test_docs import DOCS, console_runs, fenced_blocks, section

    [block] = fenced_blocks(section((DOCS / "generate.md").read_text(), "## Checking it in CI"), "console")
    [(args, shown)] = console_runs(block)
    (tmp_path / "configs").symlink_to(CONFIGS)
    monkeypatch.chdir(tmp_path)
    out = Path(args[args.index("--out") + 1])
    assert run(*args[1:-1]).exit_code == ExitCode.OK  # the same command without --check
    module = out / "ga4-events.ts"
    module.write_text(module.read_text().replace("export", "export /* edited */", 1))
    old = (out / "measurement-protocol.schema.json").read_text()
    (out / "schemas").mkdir(exist_ok=True)
    (out / "schemas" / "old_event.schema.json").write_text(old)  # a file of an event the plan dropped
    result = run(*args[1:])
    assert result.exit_code == ExitCode.CHANGES
    assert result.stdout + result.stderr == shown


def test_what_cannot_be_generated_is_a_located_error(run, tmp_path: Path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "property: sandbox\n"
        "events:\n"
        "  quiz_answered:\n"
        "    stage: home\n"
        "    parameters:\n"
        "      event: {type: string, required: true}\n"
    )
    assert run("generate", plan, "--out", tmp_path / "gtag").exit_code == ExitCode.OK  # gtag: fine
    result = run("generate", plan, "--out", tmp_path / "out", "--send", "datalayer")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(f"Error: {plan}:6:7: event 'quiz_answered' has a parameter called 'event'")
    assert not (tmp_path / "out").exists()


def test_an_environment_of_the_plan(run, tmp_path: Path):
    base = run("generate", CONFIGS / "shop.yaml", "--out", tmp_path / "base")
    production = run("generate", CONFIGS / "shop.yaml", "--out", tmp_path / "production", "--env", "production")
    assert base.exit_code == production.exit_code == ExitCode.OK
    assert snapshot(tmp_path / "production") == snapshot(tmp_path / "base")  # the environments share the events
    wrong = run("generate", CONFIGS / "shop.yaml", "--out", tmp_path / "x", "--env", "nope")
    assert wrong.exit_code == ExitCode.ERROR and not (tmp_path / "x").exists()
