"""`ga-goals sandbox ...`: the embedded local GA4 property."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click

from ga_goals.cli import cli
from ga_goals.cli.options import sandbox_dir_option
from ga_goals.sandbox import SANDBOX_PROPERTY_ID

#: ``--sandbox-dir`` as on every other command; ``--dir`` kept as an alias.
SANDBOX_DIR = sandbox_dir_option("--dir", dest="state_dir")


def _state_dir(state_dir: Path | None) -> Path:
    from ga_goals.sandbox import default_state_dir

    return state_dir or default_state_dir()


@cli.group()
def sandbox() -> None:
    """The embedded GA4 sandbox: a local property behind the real Admin and Data API protocols.

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
    or any gRPC client of the GA4 Admin API or Data API (reports, funnels) over an insecure
    channel. While it runs it holds the properties' events files: load or generate events
    before starting it.

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
@click.option("--keep-events", is_flag=True, help="Keep the events (loaded or generated); reset only the configuration.")
def reset(state_dir: Path | None, property_id: str | None, yes: bool, keep_events: bool) -> None:
    """Forget everything the sandbox holds (or one property): its configuration and its events.

    A property without events gets fresh default traffic on its next Data API call.
    """
    from ga_goals.sandbox.events import SandboxEvents
    from ga_goals.sandbox.store import SandboxStore

    directory = _state_dir(state_dir)
    what = f"property {property_id}" if property_id else "every sandbox property"
    if not yes:
        click.confirm(f"Reset {what} in {directory}?", abort=True)
    removed = [] if keep_events else SandboxEvents(directory).remove(property_id)
    SandboxStore(directory).reset(property_id)
    dropped = f" (events dropped: {', '.join(f'properties/{p}' for p in removed)})" if removed else ""
    click.echo(f"Reset {what} in {directory}{dropped}.")


@sandbox.command()
@SANDBOX_DIR
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(state_dir: Path | None, as_json: bool) -> None:
    """List the sandbox's properties, what each holds, and their events.

    Reading the events is cheap and changes nothing (a property without events gets its
    default traffic on its first Data API call, not here).
    """
    from ga_goals.sandbox.events import EventsInUse, SandboxEvents
    from ga_goals.sandbox.store import SandboxStore

    directory = _state_dir(state_dir)
    store = SandboxStore(directory)
    events = SandboxEvents(directory)
    summary: dict[str, dict[str, object]] = {}
    for pid in store.properties():
        entry: dict[str, object] = dict(store.summary(pid))
        try:
            held = events.summary(pid)
            entry["events"] = held.to_json() if held is not None else None
        except EventsInUse:
            entry["events"] = {"in_use": True}
        summary[pid] = entry
    if as_json:
        click.echo(json.dumps({"dir": str(directory), "properties": summary}, indent=2))
        return
    if not summary:
        click.echo(f"No sandbox properties in {directory} yet: any command on a plan with `property: sandbox` creates one.")
        return
    click.echo(f"Sandbox state in {directory}:")
    for pid, counts in summary.items():
        described = _describe_events(counts.pop("events"))
        click.echo(f"  properties/{pid}: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))
        click.echo(f"    events: {described}")


def _describe_events(held: object) -> str:
    if held is None:
        return "none yet (the first Data API call generates 8 weeks of shop traffic)"
    assert isinstance(held, dict)
    if held.get("in_use"):
        return "in use by a running sandbox server (stop it to read them here)"
    if not held["events"]:
        return "none (loaded or generated empty)"
    origin = {"default": "default shop traffic", "generate": "generated", "load": "loaded", "replace": "replaced"}
    how = origin.get(str(held.get("origin")), "stored")
    return (
        f"{held['events']:,} events of {held['users']:,} users, {held['first_date']} .. {held['last_date']} "
        f"({held['dates']} dates; {how})"
    )


def _property_option(help_text: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    return click.option(
        "--property",
        "property_id",
        default=SANDBOX_PROPERTY_ID,
        show_default=True,
        metavar="ID",
        help=help_text,
    )


def _ensure_property(directory: Path, property_id: str) -> str:
    """Check the id, create the property if missing (as the in-process sandbox does); its time zone."""
    from ga_goals.errors import GaGoalsError
    from ga_goals.sandbox.store import SandboxStore, check_property_id

    pid = property_id.removeprefix("properties/")
    try:
        check_property_id(pid)
    except ValueError as error:
        raise GaGoalsError(f"--property: {error}") from None
    store = SandboxStore(directory)
    store.ensure_property(pid)
    state = store.load(pid) or {}
    return str(state.get("property", {}).get("time_zone") or "UTC")


def _held(directory: Path, pid: str) -> str:
    from ga_goals.sandbox.events import SandboxEvents

    held = SandboxEvents(directory).summary(pid)
    if held is None:
        return f"properties/{pid} has no events"
    return (
        f"properties/{pid} now holds {held.events:,} events of {held.users:,} users, "
        f"{held.first} .. {held.last} ({held.dates} dates)"
    )


@sandbox.command()
@SANDBOX_DIR
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_property_option("The sandbox property to load into (created if missing).")
@click.option("--replace", is_flag=True, help="Drop the property's events first (default: add, skipping events already stored).")
def load(state_dir: Path | None, files: tuple[Path, ...], property_id: str, replace: bool) -> None:
    """Load GA4 BigQuery export files (JSON lines or Parquet) into a sandbox property.

    Every file loads or none does. Events already stored (the same user, timestamp, name,
    parameters and items) are skipped, so loading a file twice adds nothing. Fields the export
    schema does not have are ignored.

    \b
    Examples:
      ga-goals sandbox load events_20240301.jsonl events_20240302.jsonl
      bq extract --destination_format PARQUET 'proj:analytics_123.events_20240301' gs://b/e.parquet
      ga-goals sandbox load e.parquet --replace
    """
    from ga_goals.sandbox.events import SandboxEvents

    directory = _state_dir(state_dir)
    pid = property_id.removeprefix("properties/")
    _ensure_property(directory, pid)
    results = SandboxEvents(directory).load(pid, [str(f) for f in files], replace=replace)
    for r in results:
        click.echo(f"{r.path}: {r.read:,} rows read, {r.inserted:,} inserted, {r.duplicates:,} duplicates")
    if len(results) > 1:
        read, inserted = sum(r.read for r in results), sum(r.inserted for r in results)
        click.echo(f"Total: {read:,} rows read, {inserted:,} inserted, {read - inserted:,} duplicates")
    click.echo(_held(directory, pid) + (" (replaced)" if replace else "") + ".")


@sandbox.command("bigquery")
@SANDBOX_DIR
@_property_option("The sandbox property whose events to serve when no --events is given.")
@click.option("--events", "events_paths", multiple=True, metavar="PATH", help="GA4 export files to serve (files, folders, globs) [default: the sandbox property's events].")
@click.option("--dataset", default="sandbox-project.analytics_100000001", show_default=True, metavar="PROJECT.DATASET", help="The dataset name the endpoint answers to.")
@click.option("--port", type=click.IntRange(0, 65535), default=9050, show_default=True, help="0 picks a free port.")
def bigquery_endpoint(state_dir: Path | None, property_id: str, events_paths: tuple[str, ...], dataset: str, port: int) -> None:
    """Serve GA4 export rows as a BigQuery export dataset on 127.0.0.1 until Ctrl-C.

    A local endpoint that the real google-cloud-bigquery client talks to (BigQuery SQL run in
    DuckDB, dry runs that report the bytes BigQuery would bill, the bytes cap, intraday tables):
    try `report --engine bigquery` without a Google account. Needs the bigquery extra.

    \b
    Example:
      ga-goals sandbox bigquery --port 9050 &
      ga-goals report configs/shop.yaml weekly --dataset sandbox-project.analytics_100000001 \\
          --bigquery-endpoint http://127.0.0.1:9050
    """
    import tempfile
    from datetime import date

    from ga_goals.errors import GaGoalsError
    from ga_goals.events import EventStore
    from ga_goals.events.files import ExportFiles, ExportFilesError

    try:
        from ga_goals.sandbox.bigquery import BigQuerySandbox
    except ImportError as exc:
        raise GaGoalsError(f"the local BigQuery endpoint needs the bigquery extra: pip install 'ga-goals[bigquery]' ({exc})") from None
    store = EventStore()
    with tempfile.TemporaryDirectory(prefix="ga-goals-bigquery-") as scratch:
        paths = list(events_paths)
        if not paths:
            from ga_goals.sandbox.events import SandboxEvents
            from ga_goals.sandbox.store import SandboxStore

            directory = _state_dir(state_dir)
            pid = property_id.removeprefix("properties/")
            time_zone = _ensure_property(directory, pid)
            SandboxEvents(directory).export(pid, SandboxStore(directory).load(pid), scratch, time_zone=time_zone)
            paths = [scratch]
        try:
            files = ExportFiles.resolve(paths)
            everything = (date(1970, 1, 1), date(9999, 12, 31))
            files.check(store.connection, *everything)
            loaded = store.insert_select(f"SELECT * FROM {files.relation_sql(*everything)} AS t")
        except ExportFilesError as exc:
            raise GaGoalsError(str(exc)) from None
    try:
        server = BigQuerySandbox(store.connection, dataset, port=port)
    except ValueError as exc:
        raise GaGoalsError(f"--dataset: {exc}") from None
    server.start()
    click.echo(
        f"BigQuery endpoint {server.endpoint} serves {dataset} ({loaded.inserted:,} events of {files.describe()}); "
        "Ctrl-C stops it.",
        err=True,
    )
    try:
        import threading

        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        store.close()


@sandbox.command()
@SANDBOX_DIR
@_property_option("The sandbox property to export.")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), help="First day (YYYY-MM-DD) [default: the first with events].")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (YYYY-MM-DD) [default: the last with events].")
def export(state_dir: Path | None, property_id: str, folder: Path, start: datetime | None, end: datetime | None) -> None:
    """Write a sandbox property's events as GA4's BigQuery export: FOLDER/events_YYYYMMDD.parquet.

    One Parquet file per day with the export's columns, the created events included, as
    `bq extract --destination_format PARQUET` gives them from a real property: try the export
    engines on it (`ga-goals report PLAN --engine duckdb --events FOLDER`).

    \b
    Examples:
      ga-goals sandbox export exports/
      ga-goals sandbox export exports/ --start 2026-11-01 --end 2026-11-30
    """
    from ga_goals.sandbox.events import SandboxEvents
    from ga_goals.sandbox.store import SandboxStore

    directory = _state_dir(state_dir)
    pid = property_id.removeprefix("properties/")
    time_zone = _ensure_property(directory, pid)
    state = SandboxStore(directory).load(pid)
    files = SandboxEvents(directory).export(
        pid, state, folder, time_zone=time_zone, start=start.date() if start else None, end=end.date() if end else None
    )
    if not files:
        click.echo(f"properties/{pid} has no events in that range: nothing written.")
        return
    size = sum(f.stat().st_size for f in files)
    click.echo(
        f"Wrote {len(files)} daily export files ({size / 2**20:,.1f} MiB) to {folder}: "
        f"{files[0].name} .. {files[-1].name}."
    )


@sandbox.command()
@SANDBOX_DIR
@_property_option("The sandbox property to generate traffic for (created if missing).")
@click.option("--users", type=click.IntRange(min=0), default=5000, show_default=True, help="People visiting the shop.")
@click.option("--weeks", type=click.IntRange(min=1, max=520), help="Weeks ending yesterday (property time zone) [default: 8].")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), help="First day (YYYY-MM-DD); with --end.")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (YYYY-MM-DD); with --start.")
@click.option("--seed", type=int, help="Random seed [default: the property id]; the same seed gives the same traffic.")
@click.option("--replace", is_flag=True, help="Drop the property's events first (default: add to them).")
def generate(
    state_dir: Path | None,
    property_id: str,
    users: int,
    weeks: int | None,
    start: datetime | None,
    end: datetime | None,
    seed: int | None,
    replace: bool,
) -> None:
    """Generate deterministic online-shop traffic (GA4 export rows) for a sandbox property.

    Users and sessions over the days, devices, channels and campaigns, the journey from the
    home page to the order with drop-off at every stage, micro conversions. Without this
    command, a property's first Data API call generates 8 weeks of it (5,000 users).

    \b
    Examples:
      ga-goals sandbox generate --replace                   8 weeks, 5,000 users
      ga-goals sandbox generate --users 20000 --weeks 12 --replace
      ga-goals sandbox generate --start 2026-01-01 --end 2026-03-31 --seed 7
    """
    from ga_goals.errors import GaGoalsError
    from ga_goals.sandbox.events import DEFAULT_WEEKS, SandboxEvents, default_range

    if (start is None) != (end is None):
        raise GaGoalsError("--start and --end go together")
    if start is not None and weeks is not None:
        raise GaGoalsError("use --weeks or --start/--end, not both")
    directory = _state_dir(state_dir)
    pid = property_id.removeprefix("properties/")
    time_zone = _ensure_property(directory, pid)
    if start is not None and end is not None:
        first, last = start.date(), end.date()
        if last < first:
            raise GaGoalsError(f"--end {last} is before --start {first}")
    else:
        first, last = default_range(time_zone, weeks=weeks or DEFAULT_WEEKS)
    result = SandboxEvents(directory).generate(pid, first, last, users=users, seed=seed, replace=replace)
    click.echo(
        f"Generated {result.events:,} events of {result.users:,} users ({result.sessions:,} sessions) over "
        f"{first} .. {last} in {result.seconds:.1f} s; {result.inserted:,} inserted, "
        f"{result.events - result.inserted:,} already stored."
    )
    click.echo(_held(directory, pid) + ".")
    click.echo(
        f"These events stay on {first} .. {last}: unlike the default traffic (8 weeks ending yesterday, "
        "renewed every day), they do not move with the calendar, so a report over a period after "
        f"{last} shows zeros and may fire alerts for nothing (`ga-goals report` warns then). Report on --start {first} "
        f"--end {last}, or generate again later."
    )
