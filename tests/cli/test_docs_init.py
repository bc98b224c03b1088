"""`ga-goals docs` and `ga-goals init` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ga_goals.plan_file import load_plan
from tests.conftest import CONFIGS


def test_docs_writes_html_when_out_ends_in_html(run, tmp_path: Path):
    out = tmp_path / "site" / "shop.html"
    result = run("docs", CONFIGS / "shop.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"Wrote {out} (html)" in result.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Checkout funnel" in page


def test_docs_prints_markdown_by_default(run):
    result = run("docs", CONFIGS / "leadgen.yaml", "--env", "production")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Tracking plan: leadgen (production)\n")
    assert "| `generate_lead` | Macro conversion |" in result.stdout


def test_docs_format_wins_over_the_suffix(run, tmp_path: Path):
    out = tmp_path / "plan.txt"
    assert run("docs", CONFIGS / "shop.yaml", "-o", out).exit_code == 0
    assert out.read_text().startswith("# Tracking plan: shop")
    assert run("docs", CONFIGS / "shop.yaml", "--format", "html", "-o", out).exit_code == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    result = run("docs", CONFIGS / "shop.yaml", "--format", "html")
    assert result.stdout.startswith("<!DOCTYPE html>")


def test_docs_with_user_templates(run, tmp_path: Path):
    mine = tmp_path / "mine" / "docs"
    mine.mkdir(parents=True)
    (mine / "plan.md").write_text('{% extends "default:docs/plan.md" %}{% block footer %}\nOwned by growth.\n{% endblock %}')
    result = run("docs", CONFIGS / "shop.yaml", "--templates", tmp_path / "mine")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("Owned by growth.")
    (mine / "plan.html").write_text("<p>{{ doc.title }} {{ nope }}</p>")
    result = run("docs", CONFIGS / "shop.yaml", "--format", "html", env={"GA_GOALS_TEMPLATES": str(tmp_path / "mine")})
    assert result.exit_code == 1
    assert "plan.html:1: 'nope' is undefined" in result.stderr
    assert "Traceback" not in result.output


def test_docs_of_a_broken_plan_lists_its_problems(run, tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("property: sandbox\nconversions:\n  macro:\n    purchase:\n      countng: once_per_event\n")
    result = run("docs", broken)
    assert result.exit_code == 1
    assert f"{broken}:5:7:" in result.stderr


@pytest.mark.parametrize("example", ["shop", "leadgen"])
def test_init_writes_a_plan_that_loads(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: str):
    monkeypatch.chdir(tmp_path)
    result = run("init", "--example", example)
    assert result.exit_code == 0, result.output
    written = tmp_path / "ga-goals.yaml"
    plan = load_plan(written, env={})
    assert plan.property == "sandbox"
    assert set(plan.conversions) == set(load_plan(CONFIGS / f"{example}.yaml", env={}).conversions)
    text = written.read_text()
    assert "../ga_goals/schema" not in text  # the repository-relative schema path is gone
    assert f"configs/{example}.yaml" not in text and "ga-goals validate ga-goals.yaml" in text
    for command in ("ga-goals validate ga-goals.yaml", "ga-goals plan ga-goals.yaml", "ga-goals sync ga-goals.yaml --apply"):
        assert command in result.stdout
    assert run("validate", written).exit_code == 0


def test_init_refuses_to_overwrite_without_force(run, tmp_path: Path):
    target = tmp_path / "plans" / "site.yaml"
    assert run("init", target).exit_code == 0
    target.write_text("# mine\n")
    result = run("init", target, "--example", "leadgen")
    assert result.exit_code == 1
    assert "exists; pass --force to overwrite it" in result.stderr
    assert target.read_text() == "# mine\n"
    assert run("init", target, "--example", "leadgen", "--force").exit_code == 0
    assert "generate_lead" in load_plan(target, env={}).conversions


def test_init_into_a_folder(run, tmp_path: Path):
    result = run("init", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ga-goals.yaml").is_file()


@pytest.mark.parametrize("typed", ["sub/", "a/b/"])
def test_init_into_a_folder_that_does_not_exist_yet(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str):
    """`init sub/`: the trailing slash says folder (pathlib would drop it and write a file `sub`)."""
    monkeypatch.chdir(tmp_path)
    result = run("init", typed)
    assert result.exit_code == 0, result.output
    written = tmp_path / typed / "ga-goals.yaml"
    assert written.is_file() and (tmp_path / typed).is_dir()
    assert f"Wrote {typed}ga-goals.yaml" in result.stdout
    assert f"ga-goals validate {typed}ga-goals.yaml" in result.stdout
    assert run("validate", written).exit_code == 0


def test_init_into_a_file_named_like_a_folder_is_a_clear_error(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").write_text("# mine\n")
    result = run("init", "sub/")
    assert result.exit_code == 1
    assert "sub/ is a file, not a folder" in result.stderr and "Traceback" not in result.output
    assert (tmp_path / "sub").read_text() == "# mine\n"


def test_init_offers_every_example():
    from ga_goals.starter import EXAMPLES

    assert sorted(EXAMPLES) == sorted(p.stem for p in CONFIGS.glob("*.yaml"))
