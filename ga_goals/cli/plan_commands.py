"""validate, schema, plan, sync, pull: the tracking-plan commands."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ga_goals.cli import cli, echo_error
from ga_goals.cli.output import echo_problem
from ga_goals.cli.options import connection_options, environment_options, make_connection, no_color_option
from ga_goals.errors import ExitCode, GaGoalsError, PlanFileError, UnconfirmedWrite

PLAN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=PLAN_FILE)
@click.option(
    "--tier",
    type=click.Choice(["standard", "360"]),
    help="Check limits for this property tier instead of the plan's `tier`.",
)
@no_color_option
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], tier: str | None) -> None:
    """Check plan files offline against GA4's rules, and list every problem.

    Checks the base plan and every environment's merged plan: names, reserved names, lengths,
    scopes, units, limits per tier, duplicates, funnel steps, durations, currencies, reports.
    Nothing is sent to GA4. Exit 1 if any file has an error.

    \b
    Example:
      ga-goals validate configs/*.yaml
    """
    from ga_goals.errors import count_errors
    from ga_goals.plan_file import load_plan, validate_file

    failed = 0
    for path in files:
        problems = validate_file(path, tier=tier)
        errors = [p for p in problems if p.severity == "error"]
        for problem in problems:
            echo_problem(ctx, problem)
        if errors:
            failed += 1
            count = count_errors(problems)
            click.echo(f"{path}: {count:,} error{'s' if count != 1 else ''}", err=True)
            continue
        click.echo(f"{path}: OK, {_describe(load_plan(path, tier=tier))}")
    if failed:
        ctx.exit(ExitCode.ERROR)


def _describe(plan: Any) -> str:
    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = [
        count(len(plan.conversions), "conversion") + f" ({len(plan.macro)} macro, {len(plan.micro)} micro)",
        count(len(plan.custom_dimensions), "custom dimension"),
        count(len(plan.custom_metrics), "custom metric"),
    ]
    if plan.event_edit_rules:
        parts.append(count(len(plan.event_edit_rules), "event edit rule"))
    if plan.calculated_metrics:
        parts.append(count(len(plan.calculated_metrics), "calculated metric"))
    if plan.channel_groups:
        parts.append(count(len(plan.channel_groups), "channel group"))
    if plan.audiences:
        parts.append(count(len(plan.audiences), "audience"))
    if plan.segments:
        parts.append(count(len(plan.segments), "segment"))
    parts += [count(len(plan.funnels), "funnel"), count(len(plan.reports), "report")]
    if plan.environments:
        parts.append(count(len(plan.environments), "environment"))
    return ", ".join(parts)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of plan files (for editors and CI).

    \b
    Example (VS Code, with the YAML extension):
      ga-goals schema -o plan.schema.json
      # then in a plan file:  # yaml-language-server: $schema=plan.schema.json
    """
    from ga_goals.plan_file import plan_schema

    text = json.dumps(plan_schema(), indent=2) + "\n"
    if output:
        output.write_text(text)
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _load(ctx: click.Context, path: Path, environments: tuple[str, ...], all_envs: bool) -> list[Any]:
    """The plans asked for; their warnings go to stderr once (environments share most of them)."""
    from ga_goals.plan_file import load_plans

    plans = load_plans(path, list(environments) or None, all_environments=all_envs)
    seen: set[str] = set()
    for tracking_plan in plans:
        for warning in tracking_plan.warnings:
            if str(warning) not in seen:
                seen.add(str(warning))
                echo_problem(ctx, warning)
    return plans



def _progress(index: int, total: int, tracking_plan: Any, target_property: str, verb: str) -> None:
    if total < 2:
        return
    where = tracking_plan.environment or "base"
    click.echo(click.style(f"[{index}/{total}] {where}: {verb} {target_property}", fg="cyan"), err=True)


@cli.command()
@click.argument("file", type=PLAN_FILE)
@environment_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (for scripts; save it for `sync --plan-file`).")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (for pull-request comments).")
@click.option("--exit-code", is_flag=True, help="Exit 2 when there are changes or drift warnings, 0 when none; errors never exit 2 (docs/exit-codes.md).")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Also save the plan as JSON.")
@connection_options
@no_color_option
@click.pass_context
def plan(ctx: click.Context, file: Path, environments: tuple[str, ...], all_envs: bool, as_json: bool,
         markdown: bool, exit_code: bool, out: Path | None, **connection: Any) -> None:
    """Show what `sync` would change in the property, field by field.

    Reads the live property (lists are read once per resource type) and compares it with
    FILE. Nothing is written. `+` create, `~` update, `-/+` replace (archive and re-create:
    GA4 cannot change that field), `x` archive, `-` delete.

    \b
    Examples:
      ga-goals plan configs/shop.yaml
      ga-goals plan configs/shop.yaml --env production --exit-code   # CI drift check
      ga-goals plan configs/shop.yaml --json -o plan.json             # review, then sync it
    """
    from ga_goals.changes.render import render_json, render_markdown, render_text
    from ga_goals.manager import Manager

    plans = []
    with Manager(make_connection(**connection)) as manager:
        tracking_plans = _load(ctx, file, environments, all_envs)
        for index, tracking_plan in enumerate(tracking_plans, 1):
            target = manager.target(tracking_plan.property)
            _progress(index, len(tracking_plans), tracking_plan, target.property, "reading")
            result = manager.plan(tracking_plan)
            plans.append(result)
            if not as_json:
                text = render_markdown(result) if markdown else render_text(result, color=True)
                click.echo(text, color=ctx.color)
    if as_json:
        click.echo(render_json(plans))
    if out:
        out.write_text(render_json(plans) + "\n")
        click.echo(f"Saved the plan to {out}", err=True)
    if exit_code and any(p.has_drift for p in plans):
        ctx.exit(ExitCode.CHANGES)


@cli.command()
@click.argument("file", type=PLAN_FILE)
@environment_options
@click.option("--apply", "do_apply", is_flag=True, help="Write the changes. Without it, sync only shows the plan.")
@click.option(
    "--allow-destroy",
    is_flag=True,
    help="Allow archiving, deleting and replacing (archive + create). GA4 cannot restore an archived definition.",
)
@click.option("--max-destroy", type=click.IntRange(min=0), help="At most this many destructive changes [default: the plan's safety.max_destroy].")
@click.option("--checksum", help="Apply only if the plan's checksum is still this one (the plan you reviewed).")
@click.option(
    "--plan-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A plan saved with `plan --json`/`--out`: apply only if nothing changed since, and only to its property.",
)
@click.option("--writes-per-minute", type=click.IntRange(min=1), help="Pace writes under this Admin API quota [default: 180].")
@click.option("--json", "as_json", is_flag=True, help="Print the plans and what was applied as one JSON document (progress and errors go to stderr).")
@connection_options
@no_color_option
@click.pass_context
def sync(ctx: click.Context, file: Path, environments: tuple[str, ...], all_envs: bool, do_apply: bool,
         allow_destroy: bool, max_destroy: int | None, checksum: str | None, plan_file: Path | None,
         writes_per_minute: int | None, as_json: bool, **connection: Any) -> None:
    """Make the property match FILE. Writes only with --apply.

    Without --apply this is `plan` (exit 2 when changes are pending). With it, changes are
    applied in order, paced under GA4's write quota, retried on transient errors; the run stops
    at the first failure and lists exactly what was applied. Running it again finishes the job
    without duplicates.

    \b
    Examples:
      ga-goals sync configs/shop.yaml --apply
      ga-goals sync configs/shop.yaml --all-envs --apply
      ga-goals sync configs/shop.yaml --env production --apply --plan-file reviewed.json
      ga-goals sync configs/shop.yaml --apply --allow-destroy --max-destroy 2
    """
    from ga_goals.changes.render import render_text
    from ga_goals.manager import Manager, saved_plan_checksum

    pending = False
    documents: list[dict[str, Any]] = []

    def show_plan(plan: Any) -> None:
        documents.append({"plan": plan.to_json(), "applied": None})
        if not as_json:
            click.echo(render_text(plan, color=True), color=ctx.color)

    def finish() -> None:
        if as_json:
            click.echo(json.dumps({"syncs": documents}, indent=2, default=str))

    ctx.call_on_close(finish)
    with Manager(make_connection(writes_per_minute=writes_per_minute, **connection)) as manager:
        tracking_plans = _load(ctx, file, environments, all_envs)
        for index, tracking_plan in enumerate(tracking_plans, 1):
            target = manager.target(tracking_plan.property)
            _progress(index, len(tracking_plans), tracking_plan, target.property, "syncing")
            expected = checksum
            if plan_file is not None:
                expected = saved_plan_checksum(plan_file, target.property)
            printer = _ResultPrinter(ctx, quiet=as_json)
            try:
                with _terminate_as_interrupt():
                    result, report = manager.sync(
                        tracking_plan,
                        apply=do_apply,
                        allow_destroy=allow_destroy,
                        max_destroy=max_destroy,
                        checksum=expected,
                        on_plan=show_plan,
                        on_result=printer,
                        on_start=printer.start,
                        on_wait=printer.wait,
                    )
            except KeyboardInterrupt:
                printer.interrupted()
                _remaining(ctx, index, tracking_plans)
                # A write in flight may have landed: the property may have changed, so not 130.
                ctx.exit(ExitCode.PARTIAL if printer.applied or printer.in_flight is not None else ExitCode.INTERRUPTED)
            except GaGoalsError as error:
                report = getattr(error, "report", None)
                if report is not None and documents:
                    documents[-1]["applied"] = report.to_json()
                if report is not None:
                    printer.summary(report)
                    if printer.applied or isinstance(error, UnconfirmedWrite):
                        echo_error(ctx, error)
                        _remaining(ctx, index, tracking_plans)
                        ctx.exit(ExitCode.PARTIAL)
                _remaining(ctx, index, tracking_plans)
                raise
            if report is None:
                pending = pending or result.has_changes
                if result.has_changes and not do_apply:
                    click.echo("Nothing was written: run again with --apply to make these changes.", err=True)
                continue
            documents[-1]["applied"] = report.to_json()
            printer.summary(report)
            if not report.complete:
                if report.error is not None:
                    echo_error(ctx, report.error)
                _remaining(ctx, index, tracking_plans)
                # An unanswered write may have landed: the property may have changed (exit 3).
                unconfirmed = isinstance(report.error, UnconfirmedWrite)
                ctx.exit(ExitCode.PARTIAL if printer.applied or unconfirmed else ExitCode.ERROR)
    if pending:
        ctx.exit(ExitCode.CHANGES)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (cron or CI timeouts) stops a sync like Ctrl-C: with a report of what was applied."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (embedded use): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _remaining(ctx: click.Context, index: int, tracking_plans: list[Any]) -> None:
    left = [p.environment or "base" for p in tracking_plans[index:]]
    if left:
        click.echo(f"Not synced (stopped before them): {', '.join(left)}", err=True)


class _ResultPrinter:
    """Prints each applied change as it happens, then what was and was not applied."""

    SYMBOLS = {"applied": ("✓", "green"), "already_applied": ("✓", "green"), "failed": ("✗", "red")}

    def __init__(self, ctx: click.Context, *, quiet: bool = False) -> None:
        self.ctx = ctx
        self.quiet = quiet  # --json: the document says it all; keep stdout clean
        self.applied = 0
        self.in_flight: Any = None

    def start(self, index: int, change: Any) -> None:
        self.in_flight = change

    def wait(self, seconds: float) -> None:
        click.echo(click.style(f"  pacing writes under the Admin API quota: waiting {seconds:.1f} s", dim=True), err=True, color=self.ctx.color)

    def interrupted(self) -> None:
        click.echo(click.style(f"Interrupted: {self.applied} change{'s' if self.applied != 1 else ''} applied (marked ✓ above).", fg="red", bold=True), err=True, color=self.ctx.color)
        if self.in_flight is not None:
            change = self.in_flight
            click.echo(f"  in flight: {change.action} {change.kind} {change.label} (it may have been applied: the next run checks)", err=True)
        click.echo("Run the same sync again to finish: it re-reads the property and does only what is left.", err=True)

    def __call__(self, result: Any) -> None:
        self.in_flight = None
        symbol, color = self.SYMBOLS.get(result.status, ("·", "white"))
        change = result.change
        text = f"{symbol} {change.action} {change.kind} {change.label}"
        if result.status == "already_applied":
            # The gateway's message says why (a retried request, another writer, nothing to do).
            text += f" ({result.message or 'already applied'})"
        if result.status in ("applied", "already_applied"):
            self.applied += 1
        if result.error:
            text += f": {result.error}"
        if not self.quiet:
            click.echo(click.style(text, fg=color), color=self.ctx.color)

    def summary(self, report: Any) -> None:
        done = [r for r in report.results if r.status in ("applied", "already_applied")]
        failed = [r for r in report.results if r.status == "failed"]
        skipped = [r for r in report.results if r.status == "not_attempted"]
        self.applied = len(done)
        if report.complete:
            if self.quiet:
                return
            click.echo(click.style(f"Applied {len(done)} change{'s' if len(done) != 1 else ''} to {report.property}.", fg="green", bold=True), color=self.ctx.color)
            return
        click.echo(
            click.style(f"Stopped: {len(done)} of {len(report.results)} changes applied to {report.property}.", fg="red", bold=True),
            err=True,
            color=self.ctx.color,
        )
        unconfirmed = isinstance(report.error, UnconfirmedWrite)
        for result in failed:
            label = "no answer:    " if unconfirmed else "failed:       "
            click.echo(f"  {label} {result.change.action} {result.change.kind} {result.change.label}: {result.error}", err=True)
        for result in skipped:
            click.echo(f"  not attempted: {result.change.action} {result.change.kind} {result.change.label}", err=True)
        click.echo("Run the same sync again to finish: it re-reads the property and does only what is left.", err=True)


@cli.command()
@click.option("--property", "property_ref", metavar="ID", help="The GA4 property id (default with --sandbox: the sandbox property).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the plan file here (default: stdout).")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@connection_options
@no_color_option
@click.pass_context
def pull(ctx: click.Context, property_ref: str | None, output: Path | None, force: bool, **connection: Any) -> None:
    """Write a plan file from an existing property.

    Key events, custom dimensions and metrics, event create and edit rules, calculated metrics,
    custom channel groups, enhanced measurement and audiences become a plan file;
    `ga-goals plan` on it right after shows no changes. Funnels and reports are not stored
    in GA4's Admin API: add them by hand.

    \b
    Examples:
      ga-goals pull --property 123456789 -o configs/site.yaml
      ga-goals pull --sandbox -o configs/sandbox.yaml
    """
    from ga_goals.manager import Manager
    from ga_goals.model import SANDBOX
    from ga_goals.plan_file.writer import render_plan_file

    if property_ref is None:
        if not connection.get("sandbox") and not connection.get("sandbox_address"):
            raise click.UsageError("give --property ID (or --sandbox to pull the sandbox property)")
        property_ref = SANDBOX
    property_ref = property_ref.removeprefix("properties/")
    if property_ref != SANDBOX and not property_ref.isdigit():
        raise click.BadParameter(f"{property_ref!r} is not a property id (digits, e.g. 123456789)", param_hint="--property")
    if output is not None and output.exists() and not force:
        raise GaGoalsError(f"{output} exists; pass --force to overwrite it")
    with Manager(make_connection(**connection)) as manager:
        state = manager.read(property_ref)
    text = render_plan_file(state, property_ref=property_ref)
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    click.echo(f"Wrote {output} from {state.property}: {len(state.key_events)} key events, "
               f"{len(state.custom_dimensions)} custom dimensions, {len(state.custom_metrics)} custom metrics, "
               f"{len(state.event_create_rules)} event create rules, "
               f"{len(state.event_edit_rules)} event edit rules, "
               f"{len(state.calculated_metrics)} calculated metrics, "
               f"{len(state.channel_groups)} channel groups, {len(state.audiences)} audiences.", err=True)


# A PlanFileError raised while loading is rendered by the group; keep the name importable.
__all__ = ["PlanFileError"]
