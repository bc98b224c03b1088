"""`ga-goals sandbox ...`: the embedded local GA4 property."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ga_goals.cli import cli
from ga_goals.sandbox import SANDBOX_PROPERTY_ID

SANDBOX_DIR = click.option(
    "--dir",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="GA_GOALS_SANDBOX_DIR",
    help="Where the sandbox keeps its state [default: ~/.local/share/ga-goals/sandbox].",
)


def _state_dir(state_dir: Path | None) -> Path:
    from ga_goals.sandbox import default_state_dir

    return state_dir or default_state_dir()


@cli.group()
def sandbox() -> None:
    """The embedded GA4 sandbox: a local property behind the real Admin API protocol.

    Plans with `property: sandbox`, and commands given --sandbox, start one in-process on a
    free loopback port; its state lives in a folder, so one command sees what the last one did.
    """


@sandbox.command()
@SANDBOX_DIR
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=50051, show_default=True, help="0 picks a free port.")
@click.option(
    "--property",
    "property_ids",
    multiple=True,
    metavar="ID",
    help=f"Properties to create if missing (repeatable) [default: {SANDBOX_PROPERTY_ID}].",
)
@click.option("--faults", help='Faults to inject, as JSON: [{"method": "Create*", "code": "UNAVAILABLE", "times": 2}].')
@click.option("--latency", type=click.FloatRange(min=0), default=0.0, help="Seconds added to every call.")
def serve(state_dir: Path | None, host: str, port: int, property_ids: tuple[str, ...], faults: str | None, latency: float) -> None:
    """Run the sandbox as a server until Ctrl-C.

    Point other commands at it with --sandbox-address HOST:PORT (or GA_GOALS_SANDBOX_ADDRESS),
    or any gRPC client of the GA4 Admin API over an insecure channel.

    \b
    Example:
      ga-goals sandbox serve --port 50051 &
      ga-goals sync configs/shop.yaml --sandbox-address 127.0.0.1:50051 --apply
    """
    from ga_goals.errors import GaGoalsError
    from ga_goals.sandbox.faults import faults_from_json
    from ga_goals.sandbox.serve import serve as run

    try:
        fault_list = faults_from_json(faults) if faults else []
    except ValueError as error:
        raise GaGoalsError(f"--faults: {error}") from None
    directory = _state_dir(state_dir)

    def ready(address: str) -> None:
        click.echo(f"GA4 sandbox listening on {address} (state in {directory}); Ctrl-C stops it.", err=True)

    run(
        directory,
        host=host,
        port=port,
        property_ids=list(property_ids) or [SANDBOX_PROPERTY_ID],
        faults=fault_list,
        latency=latency,
        ready_callback=ready,
    )


@sandbox.command()
@SANDBOX_DIR
@click.option("--property", "property_id", metavar="ID", help="Reset only this property.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(state_dir: Path | None, property_id: str | None, yes: bool) -> None:
    """Forget everything the sandbox holds (or one property)."""
    from ga_goals.sandbox.store import SandboxStore

    directory = _state_dir(state_dir)
    what = f"property {property_id}" if property_id else "every sandbox property"
    if not yes:
        click.confirm(f"Reset {what} in {directory}?", abort=True)
    SandboxStore(directory).reset(property_id)
    click.echo(f"Reset {what} in {directory}.")


@sandbox.command()
@SANDBOX_DIR
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(state_dir: Path | None, as_json: bool) -> None:
    """List the sandbox's properties and what each holds."""
    from ga_goals.sandbox.store import SandboxStore

    directory = _state_dir(state_dir)
    store = SandboxStore(directory)
    summary = {pid: store.summary(pid) for pid in store.properties()}
    if as_json:
        click.echo(json.dumps({"dir": str(directory), "properties": summary}, indent=2))
        return
    if not summary:
        click.echo(f"No sandbox properties in {directory} yet: any command on a plan with `property: sandbox` creates one.")
        return
    click.echo(f"Sandbox state in {directory}:")
    for pid, counts in summary.items():
        click.echo(f"  properties/{pid}: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))
