"""Options shared by the commands that talk to GA4."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def sandbox_dir_option(*aliases: str, dest: str = "sandbox_dir") -> Callable[[F], F]:
    """``--sandbox-dir``: the one definition of the option, for every command that has it.

    The ``sandbox`` subcommands add their older name ``--dir`` as an alias (``dest="state_dir"``).
    """
    return click.option(
        "--sandbox-dir",
        *aliases,
        dest,
        type=click.Path(file_okay=False, path_type=Path),
        envvar="GA_GOALS_SANDBOX_DIR",
        help="Where the sandbox keeps its state [default: ~/.local/share/ga-goals/sandbox].",
    )


def connection_options(function: F) -> F:
    """--sandbox, --sandbox-dir, --sandbox-address, --credentials, --timeout."""
    decorators = [
        click.option(
            "--sandbox",
            is_flag=True,
            default=None,
            help="Run against the embedded local GA4 sandbox instead of Google, whatever the plan's property is.",
        ),
        sandbox_dir_option(),
        click.option(
            "--sandbox-address",
            metavar="HOST:PORT",
            envvar="GA_GOALS_SANDBOX_ADDRESS",
            help="Use a sandbox started with `ga-goals sandbox serve` instead of one in-process "
            "(for `property: sandbox`; a real property goes there only with --sandbox).",
        ),
        click.option(
            "--credentials",
            "credentials_file",
            type=click.Path(exists=True, dir_okay=False),
            help="A service-account key file. Default: Application Default Credentials "
            "(GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`).",
        ),
        click.option(
            "--timeout", type=click.FloatRange(min=1), default=None, help="Seconds per API call [default: 30]."
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def make_connection(**options: Any) -> Any:
    from ga_goals.manager import Connection

    keys = ("sandbox", "sandbox_dir", "sandbox_address", "credentials_file", "timeout", "writes_per_minute")
    return Connection.from_env(**{k: options.get(k) for k in keys})


def environment_options(function: F) -> F:
    decorators = [
        click.option(
            "-e",
            "--env",
            "environments",
            multiple=True,
            metavar="NAME",
            help="An environment of the plan (repeatable). Default: the plan's top-level property.",
        ),
        click.option("--all-envs", is_flag=True, help="Every environment the plan defines, one after another."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _no_color(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.color = False
        if ctx.parent is not None:
            ctx.parent.color = False  # errors are printed by the group


#: ``--no-color`` after the command name too (``ga-goals plan x.yaml --no-color``).
no_color_option = click.option(
    "--no-color", is_flag=True, expose_value=False, is_eager=True, callback=_no_color, help="Plain output, no ANSI colours."
)


def source_options(function: F) -> F:
    """Where report data comes from (``report``, ``check``): --engine, --events, --dataset,
    --max-bytes-billed, --billing-project, --location, --bigquery-endpoint, --time-zone
    (``ga_goals.cli.report_commands.engine_from_options`` turns them into ``EngineOptions``)."""
    decorators = [
        click.option(
            "--engine", type=click.Choice(["data-api", "duckdb", "bigquery"]), default=None,
            help="Where the numbers come from: the GA4 Data API [default], DuckDB over export files (--events), "
            "or BigQuery over the export dataset (--dataset). Also the plan's `source: {engine: ...}`.",
        ),
        click.option(
            "--events", "events_paths", multiple=True, metavar="PATH",
            help="duckdb: GA4 BigQuery export files read in place (Parquet or JSON lines, .gz, globs, folders of "
            "events_YYYYMMDD files, hive folders); repeatable. Implies --engine duckdb.",
        ),
        click.option(
            "--dataset", metavar="PROJECT.DATASET",
            help="bigquery: the export dataset, e.g. my-project.analytics_123456789. Implies --engine bigquery.",
        ),
        click.option(
            "--max-bytes-billed", metavar="SIZE",
            help="bigquery: refuse queries whose dry run exceeds SIZE (e.g. 10GiB; 0 = no cap) [default: 10GiB].",
        ),
        click.option(
            "--billing-project", metavar="PROJECT",
            help="bigquery: the project that runs and pays for the queries [default: the dataset's].",
        ),
        click.option("--location", metavar="LOCATION", help="bigquery: the dataset's location (US, EU, europe-west3...)."),
        click.option(
            "--bigquery-endpoint", metavar="URL", envvar="GA_GOALS_BIGQUERY_ENDPOINT",
            help="bigquery: a local BigQuery API (http://127.0.0.1:PORT, e.g. `ga-goals sandbox bigquery`) instead of Google's.",
        ),
        click.option(
            "--time-zone", metavar="ZONE",
            help="duckdb/bigquery: the property's time zone (export dates are in it) [default: the plan's, else UTC].",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function
