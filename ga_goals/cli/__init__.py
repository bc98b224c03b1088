"""The ``ga-goals`` command line: parses options, calls the library, maps errors to exit codes.

Only click and the plan-file loader are imported at start-up; commands that talk to GA4 import
the Google clients when they run (each client module costs about 0.3 s to import).
"""

from __future__ import annotations

import os
from typing import Any

import click

from ga_goals import __version__
from ga_goals.errors import ExitCode, GaGoalsError, PlanFileError


class Group(click.Group):
    """Turns library errors into messages and exit codes; bugs keep their traceback.

    The one place that maps errors to exit codes (docs/exit-codes.md): a command line click
    cannot parse (unknown option, missing argument, a file that does not exist) exits
    ``ExitCode.USAGE``, never click's default 2, which is ``ExitCode.CHANGES`` here.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:  # options of the group itself (`ga-goals --bogus`)
            error.exit_code = ExitCode.USAGE  # type: ignore[misc]  # click's ClassVar, per error here
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # every command's and sub-group's parsing happens in here
            error.exit_code = ExitCode.USAGE  # type: ignore[misc]  # click's ClassVar, per error here
            raise
        except PlanFileError as error:
            from ga_goals.cli.output import echo_problem
            from ga_goals.errors import count_errors

            for problem in sorted(error.problems, key=lambda p: p.location):
                echo_problem(ctx, problem)
            count = count_errors(error.problems)
            click.echo(f"{count:,} error{'s' if count != 1 else ''}; nothing was sent to GA4.", err=True)
            ctx.exit(ExitCode.ERROR)
        except GaGoalsError as error:
            echo_error(ctx, error)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(ExitCode.INTERRUPTED)


def echo_error(ctx: click.Context, error: BaseException) -> None:
    """``Error: <one line>`` to stderr, and the error's hint (how to fix it) below, dimmed."""
    click.echo(click.style("Error: ", fg="red", bold=True) + str(error), err=True, color=ctx.color)
    hint = getattr(error, "hint", None)
    if hint:
        click.echo(click.style(hint, dim=True), err=True, color=ctx.color)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="ga-goals")
@click.option("--no-color", is_flag=True, envvar="NO_COLOR", help="Plain output, no ANSI colours (also NO_COLOR).")
@click.pass_context
def cli(ctx: click.Context, no_color: bool) -> None:
    """GA4 goals as code: tracking plans in YAML, synced to Google Analytics 4.

    \b
    Typical flow:
      ga-goals validate configs/shop.yaml     check the file offline
      ga-goals plan configs/shop.yaml         what would change in the property
      ga-goals sync configs/shop.yaml --apply make the property match the file
      ga-goals pull --property 123 -o x.yaml  import an existing property
      ga-goals check configs/shop.yaml        the plan against what the property receives
      ga-goals generate configs/shop.yaml     typed tracking code and JSON Schemas per event

    A plan whose `property` is `sandbox` (or any command given --sandbox) runs against the
    embedded local GA4 sandbox: no Google account needed.

    \b
    Exit codes: 0 success / no changes, 1 error, 2 changes pending
    (plan --exit-code, sync without --apply, generate --check), 3 sync stopped part-way,
    4 check found something, 64 bad command line (unknown option,
    missing file), 130 interrupted.
    """
    if no_color:
        ctx.color = False


def main() -> None:
    # grpc's C core logs connection teardown at INFO ("Got goaway") when the in-process sandbox
    # stops; that is noise on a terminal. Must be set before grpc is imported.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    cli.main(prog_name="ga-goals")


# Registering here too keeps `python -m ga_goals` and tests that import `cli` complete.
from ga_goals.cli import check_commands, docs_commands, generate_commands, plan_commands, report_commands, sandbox_commands  # noqa: E402,F401

if __name__ == "__main__":  # pragma: no cover
    main()
