"""generate: instrumentation from the plan's event schemas (JSON Schemas, TypeScript), and its CI check."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ga_goals.cli import cli
from ga_goals.cli.options import no_color_option
from ga_goals.cli.output import echo_problem
from ga_goals.errors import ExitCode

#: ``ga_goals.instrumentation.SENDS``, written here so that start-up imports no more than click
#: (a test keeps them equal).
SENDS = ("gtag", "datalayer", "ecommerce")
DEFAULT_OUT = "instrumentation"


@cli.command()
@click.argument("plan_file", metavar="PLAN", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True,
    help="The folder to write to (created if missing). Files there that ga-goals did not generate are left alone.",
)
@click.option("-e", "--env", "environment", metavar="NAME", help="Generate from the plan as this environment sees it.")
@click.option(
    "--send", type=click.Choice(SENDS), default=SENDS[0], show_default=True,
    help="How the TypeScript functions send events: gtag('event', ...), a flat dataLayer push "
    "({event, ...params}), or GA4's e-commerce dataLayer shape for events with items.",
)
@click.option(
    "--check", is_flag=True,
    help="Write nothing; list the files that are not as the plan generates them and exit 2 if any (for CI).",
)
@no_color_option
@click.pass_context
def generate(ctx: click.Context, plan_file: Path, out: Path, environment: str | None, send: str, check: bool) -> None:
    """Generate instrumentation from the plan's event parameters.

    Writes into --out: ga4-events.ts (one typed function per event, sending it with gtag or
    to the dataLayer, and the Measurement Protocol body's types), schemas/EVENT.schema.json
    (a JSON Schema per event's parameters) and measurement-protocol.schema.json (the
    Measurement Protocol request body for server-side events). The same plan gives the same
    bytes: commit the files, and let CI run with --check. Only files whose content changes
    are written; generated files of events the plan no longer has are removed.

    \b
    Exit codes: 0 written (or, with --check, up to date), 2 --check found files to change,
    create or remove, 1 the plan cannot be generated from.

    \b
    Examples:
      ga-goals generate configs/shop.yaml --out web/src/analytics
      ga-goals generate configs/shop.yaml --out web/src/analytics --check
      ga-goals generate configs/shop.yaml --send datalayer --env production
    """
    from ga_goals.instrumentation import compare, generated_files, write
    from ga_goals.plan_file import load_plan

    plan = load_plan(plan_file, environment)
    for warning in plan.warnings:
        echo_problem(ctx, warning)
    files = generated_files(plan, send=send)  # type: ignore[arg-type]
    folder = out.as_posix().rstrip("/") + "/"
    if check:
        differences = compare(files, out)
        if differences.up_to_date:
            click.echo(f"{folder} is up to date ({len(files)} files).")
            return
        for line in differences.lines():
            click.echo(line)
        count = len(differences.lines())
        command = ["ga-goals", "generate", str(plan_file), "--out", str(out)]
        command += ["--env", environment] if environment else []
        command += ["--send", send] if send != SENDS[0] else []
        click.echo(
            f"{count} file{'s' if count != 1 else ''} in {folder} {'are' if count != 1 else 'is'} not as the plan "
            f"generates {'them' if count != 1 else 'it'}: run `{shlex.join(command)}` and commit the result.",
            err=True,
        )
        ctx.exit(ExitCode.CHANGES)
    done = write(files, out)
    for path in done.missing:
        click.echo(f"created {folder}{path}")
    for path in done.changed:
        click.echo(f"updated {folder}{path}")
    for path in done.extra:
        click.echo(f"removed {folder}{path}")
    changes = len(done.missing) + len(done.changed) + len(done.extra)
    click.echo(f"{len(files)} files in {folder}: {changes} changed, {len(done.unchanged)} unchanged.")
