"""docs, init: documentation of a plan, and a starter plan."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ga_goals.cli import cli
from ga_goals.cli.output import echo_problem
from ga_goals.starter import EXAMPLES

DOCS_SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-e", "--env", "environment", metavar="NAME", help="Document the plan as this environment sees it (its overrides merged).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown"]),
    help="Output format. Default: from OUT's suffix (.html/.htm: html), else markdown.",
)
@click.option(
    "-o", "--output", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout)."
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    envvar="GA_GOALS_TEMPLATES",
    help="A folder of your own templates (also GA_GOALS_TEMPLATES): its docs/plan.html or "
    "docs/plan.md replaces the built-in one, and may {% extends \"default:docs/plan.html\" %}.",
)
@click.pass_context
def docs(ctx: click.Context, file: Path, environment: str | None, fmt: str | None, output: Path | None,
         templates_dir: Path | None) -> None:
    """Render the tracking plan as documentation: an HTML page or Markdown.

    For the people who read the plan rather than write it: the journey stage by stage (macro
    and micro conversions, other tracked events, how created events are derived), custom
    dimensions and metrics, funnels, reports, environments and safety settings. The HTML page
    is self-contained (no scripts, no external files) and prints well; Markdown suits a wiki
    or the repository. Every text from the plan is escaped. Nothing is sent to GA4.

    \b
    Examples:
      ga-goals docs configs/shop.yaml -o shop.html
      ga-goals docs configs/shop.yaml > docs/tracking-plan.md
      ga-goals docs configs/shop.yaml --env production --format html -o production.html
      ga-goals docs configs/shop.yaml --templates my-templates -o shop.html
    """
    from ga_goals.plan_docs import render_docs
    from ga_goals.plan_file import load_plan

    if fmt is None:
        fmt = DOCS_SUFFIXES.get(output.suffix.lower(), "markdown") if output else "markdown"
    tracking_plan = load_plan(file, environment)
    for warning in tracking_plan.warnings:
        echo_problem(ctx, warning)
    text = render_docs(tracking_plan, fmt, user_templates=templates_dir)  # type: ignore[arg-type]
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output} ({fmt})", err=True)


@cli.command()
# A str, not a Path: a trailing "/" (a folder to create) must reach write_starter.
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--example",
    type=click.Choice(EXAMPLES),
    default=EXAMPLES[0],
    show_default=True,
    help="shop: an online shop (home → checkout); leadgen: a B2B lead-generation site.",
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: str | None, example: str, force: bool) -> None:
    """Write a starter tracking plan, heavily commented, from an example.

    PATH defaults to ga-goals.yaml; a folder (one that exists, or PATH ending in /, created
    then) gets a ga-goals.yaml inside it. The plan targets the
    embedded sandbox property, so every command works right away without a Google account;
    set `property:` to your GA4 property id when you are ready. An existing file is never
    overwritten without --force.

    \b
    Examples:
      ga-goals init
      ga-goals init configs/site.yaml --example leadgen
      ga-goals init analytics/
    """
    from ga_goals.starter import write_starter

    target = write_starter(path, example, force=force)
    name = shlex.quote(str(target))
    click.echo(f"Wrote {target} (the {example} example plan).")
    steps = [
        (f"ga-goals validate {name}", "check it offline"),
        (f"ga-goals plan {name}", "see what sync would change in the property"),
        (f"ga-goals sync {name} --apply", "make the property match the file"),
        (f"ga-goals docs {name} -o tracking-plan.html", "a readable page of the plan"),
    ]
    width = max(len(command) for command, _ in steps)
    click.echo("Next:")
    for command, what in steps:
        click.echo(f"  {command:<{width}}   {what}")
