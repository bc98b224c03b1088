"""check: a tracking plan against the last N days of its property's data, for people and CI."""

from __future__ import annotations

from pathlib import Path

import click

from ga_goals.cli import cli
from ga_goals.cli.options import connection_options, make_connection, no_color_option, source_options
from ga_goals.cli.output import echo_problem
from ga_goals.errors import ExitCode

FAIL_ON = ("error", "warning", "info", "never")
#: ``ga_goals.checks.run.MAX_DAYS`` and ``DEFAULT_DAYS``/``DEFAULT_TOP``, written here so that start-up
#: imports no more than click (a test keeps them equal).
MAX_DAYS, DEFAULT_DAYS, DEFAULT_TOP = 400, 28, 10


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-e", "--env", "environment", metavar="NAME", help="Check this environment's property (its overrides merged).")
@click.option(
    "--days", type=click.IntRange(1, MAX_DAYS), default=DEFAULT_DAYS, show_default=True,
    help="Read the last N days, ending yesterday in the property's time zone.",
)
@click.option("--top", type=click.IntRange(min=0), default=DEFAULT_TOP, show_default=True, help="List at most N undeclared events (by count).")
@click.option("--macro", metavar="EVENT", help="The macro conversion micro conversions are judged against [default: the plan's first].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option(
    "--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
    help="Exit 4 when a finding is this serious or more (never: exit 0 whatever is found).",
)
@source_options
@connection_options
@no_color_option
@click.pass_context
def check(
    ctx: click.Context, file: Path, environment: str | None, days: int, top: int, macro: str | None, fmt: str,
    fail_on: str, engine: str | None, events_paths: tuple[str, ...], dataset: str | None, max_bytes_billed: str | None,
    billing_project: str | None, location: str | None, time_zone: str | None, bigquery_endpoint: str | None,
    **connection,
) -> None:
    """Check a plan against what its property receives: exit 4 when something is wrong.

    Reads the last --days days (Data API, or the export with --events / --dataset) and reports:
    declared key events that never fired (error; other conversions and events: warning),
    events firing that the plan does not declare, top --top by count (warning), custom
    dimensions whose parameter never arrives (error), micro conversions whose users convert no
    more often than all users (warning: candidates to drop), funnels whose first step has
    no users (error); and, per event with a schema, parameters missing when required or of the
    wrong type (error), outside their allowed values or pattern, or undeclared (warning), with
    the events affected, their share, the first and last day and an example. With the Data API,
    custom dimensions the property has not registered, item-scoped ones and parameters no
    custom dimension registers cannot be seen: they are listed as not checked (info).

    \b
    Exit codes: 0 nothing at or above --fail-on, 4 findings, 1 the check could not run.

    \b
    Examples:
      ga-goals check configs/shop.yaml
      ga-goals check configs/shop.yaml --days 7 --format json > check.json
      ga-goals check configs/shop.yaml --env production --fail-on warning
      ga-goals check configs/shop.yaml --events exports/
    """
    from ga_goals.checks import run_check
    from ga_goals.checks.render import render_json, render_text
    from ga_goals.checks.run import check_macro
    from ga_goals.cli.report_commands import _say_estimate, engine_from_options
    from ga_goals.manager import Manager
    from ga_goals.plan_file import load_plan

    plan = load_plan(file, environment)
    for warning in plan.warnings:
        echo_problem(ctx, warning)
    check_macro(plan, macro)  # a wrong --macro fails before any connection
    engine_options = engine_from_options(
        plan, engine, events_paths, dataset, max_bytes_billed, billing_project, location, time_zone,
        credentials_file=connection.get("credentials_file"), endpoint=bigquery_endpoint,
    )
    with Manager(make_connection(**connection)) as manager:
        with manager.report_source(plan, engine_options, on_estimate=_say_estimate) as source:
            result = run_check(plan, source, days=days, top=top, macro=macro)
    click.echo(render_json(result) if fmt == "json" else render_text(result), nl=False)
    if result.fails(None if fail_on == "never" else fail_on):  # type: ignore[arg-type]
        ctx.exit(ExitCode.FINDINGS)
