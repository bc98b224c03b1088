"""report: funnel reports from the GA4 Data API, as files and e-mail."""

from __future__ import annotations

import shlex
from datetime import date
from pathlib import Path

import click

from ga_goals.cli import cli
from ga_goals.cli.options import connection_options, make_connection, no_color_option, source_options
from ga_goals.cli.output import echo_problem
from ga_goals.errors import ExitCode, GaGoalsError

PERIOD_CHOICES = ["last_7_days", "last_28_days", "last_week", "last_month", "month_to_date"]
FORMAT_CHOICES = ("html", "email", "text", "json", "csv")


def _formats(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str] | None:
    if not value:
        return None
    out: list[str] = []
    for part in ",".join(value).split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part not in FORMAT_CHOICES:
            raise click.BadParameter(f"{part!r} is not one of {', '.join(FORMAT_CHOICES)}", ctx=ctx, param=param)
        out.append(part)
    return list(dict.fromkeys(out))


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-24", ctx=ctx, param=param) from None


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("reports", nargs=-1, metavar="[REPORT]...")
@click.option("--all", "all_reports", is_flag=True, help="Every report of the plan.")
@click.option("-e", "--env", "environment", metavar="NAME", help="Run against this environment's property (its overrides merged).")
@click.option("--period", type=click.Choice(PERIOD_CHOICES), help="Override the report's period.")
@click.option("--start", callback=_date, metavar="YYYY-MM-DD", help="First day of an explicit period (with --end).")
@click.option("--end", callback=_date, metavar="YYYY-MM-DD", help="Last day of an explicit period (with --start).")
@click.option("--compare", type=click.Choice(["previous_period", "previous_year", "none"]), help="Override the report's comparison.")
@click.option(
    "-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
    help="Folder the files are written to.",
)
@click.option(
    "--format", "formats", multiple=True, callback=_formats, metavar="LIST",
    help="Comma-separated: html, email, text, json, csv [default: the report's `formats`].",
)
@click.option("--email", "send_email", is_flag=True, help="E-mail the report (GA_GOALS_SMTP_* settings), once per period.")
@click.option("--to", "to", multiple=True, metavar="ADDR", help="Recipient (repeatable); replaces the plan's email to/cc.")
@click.option("--force", is_flag=True, help="E-mail even if this report and period were already sent to these recipients.")
@click.option(
    "--sent-log", type=click.Path(dir_okay=False, path_type=Path), envvar="GA_GOALS_SENT_LOG",
    help="The file that remembers sent reports [default: ~/.local/share/ga-goals/sent-reports.json].",
)
@click.option(
    "--templates", "templates_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar="GA_GOALS_TEMPLATES",
    help="A folder of your own templates (also GA_GOALS_TEMPLATES): reports/report.html, reports/email.html or "
    "reports/report.txt there replace the built-in ones, and may {% extends \"default:reports/report.html\" %}.",
)
@source_options
@connection_options
@no_color_option
@click.pass_context
def report(
    ctx: click.Context, file: Path, reports: tuple[str, ...], all_reports: bool, environment: str | None,
    period: str | None, start: date | None, end: date | None, compare: str | None, out_dir: Path,
    formats: list[str] | None, send_email: bool, to: tuple[str, ...], force: bool, sent_log: Path | None,
    templates_dir: Path | None, engine: str | None, events_paths: tuple[str, ...], dataset: str | None,
    max_bytes_billed: str | None, billing_project: str | None, location: str | None, time_zone: str | None,
    bigquery_endpoint: str | None, **connection,
) -> None:
    """Funnel reports from the GA4 Data API: HTML, e-mail, text, JSON, CSV; --email sends them.

    For each REPORT of the plan (default: its only report; --all: every one): users per funnel
    step with completion and abandonment, overall conversion, key-event totals, micro
    conversions against the macro conversion (lift), each compared with the previous period,
    and the plan's alerts. Few calls: one batch for the totals, one call per funnel (both
    periods in one), and 1 + ceil(micro conversions / 4) for the lift table.

    With --email the report goes to the plan's `email:` recipients (or --to) through the SMTP
    server in GA_GOALS_SMTP_HOST and GA_GOALS_SMTP_FROM (both required), and
    GA_GOALS_SMTP_PORT/SECURITY/USER/PASSWORD if needed. The same report and period is
    not sent twice (cron-safe) unless --force. If sending fails, the files stay in the output
    folder and the exit code is 1.

    \b
    Examples:
      ga-goals report configs/shop.yaml weekly
      ga-goals report configs/shop.yaml --all --format html,json -o public/reports
      ga-goals report configs/shop.yaml weekly --start 2026-11-01 --end 2026-11-30 --compare previous_year
      ga-goals report configs/shop.yaml weekly --email                 # from cron: sends once per period
      ga-goals report configs/shop.yaml weekly --env production --email --to me@example.com --force
    """
    from ga_goals.manager import Manager
    from ga_goals.plan_file import load_plan
    from ga_goals.reports.periods import parse_period_option

    tracking_plan = load_plan(file, environment)
    for warning in tracking_plan.warnings:
        echo_problem(ctx, warning)
    names = _report_names(tracking_plan, reports, all_reports)
    period_override = parse_period_option(period, start, end)
    engine_options = engine_from_options(
        tracking_plan, engine, events_paths, dataset, max_bytes_billed, billing_project, location, time_zone,
        credentials_file=connection.get("credentials_file"), endpoint=bigquery_endpoint,
    )

    mail = None
    if send_email:
        mail = _mail_setup(tracking_plan, names, to, sent_log)  # settings and recipients fail before any call

    skip = None
    if mail is not None and not force:
        skip = _already_sent(mail, file, tracking_plan.environment)
    with Manager(make_connection(**connection)) as manager:
        datas = manager.reports(
            tracking_plan, names, period=period_override, compare=compare, skip=skip, engine=engine_options,
            on_estimate=_say_estimate,
        )
        in_process_sandbox = manager.uses_sandbox(tracking_plan.property) and not manager.connection.sandbox_address
    if in_process_sandbox:  # read once the sandbox server has let go of the events file
        _warn_outside_sandbox_events(ctx, manager.connection.sandbox_dir, datas)

    from ga_goals.reports.periods import ReportPeriod
    from ga_goals.reports.render import render_report, write_report

    failed = False
    for name, data in zip(names, datas):
        if isinstance(data, ReportPeriod):
            assert mail is not None
            who = ", ".join(mail[1][name].all)
            click.echo(
                f"{name}, {data.label}: already e-mailed to {who} for this period; nothing queried, "
                f"written or sent (--force to send again; log {shlex.quote(str(mail[2].path))})"
            )
            continue
        plan_report = tracking_plan.reports[data.name]
        chosen = formats or list(plan_report.formats)
        if send_email and "email" not in chosen:
            chosen = chosen + ["email"]  # what is sent stays on disk
        paths = write_report(data, chosen, out_dir, user_templates=templates_dir)
        click.echo(f"{data.title} ({data.name}), {data.period.label}:")
        for fmt, path in paths.items():
            click.echo(f"  {fmt:<6} {path}")
        fired = data.fired_alerts
        if fired:
            click.echo(click.style(f"  {len(fired)} alert{'s' if len(fired) != 1 else ''} fired:", fg="red", bold=True), color=ctx.color)
            for alert in fired:
                click.echo(f"    ! {alert.message}")
        if data.source is not None and data.source.engine != "data-api":
            click.echo(f"  {data.source.summary()}, {data.seconds:.2f} s")
        else:
            calls = ", ".join(f"{m} x{n}" for m, n in data.calls.data_api.items())
            click.echo(f"  {data.calls.total} Data API calls ({calls}), {data.quota.tokens} quota tokens, {data.seconds:.2f} s")
        if mail is not None:
            failed |= not _send(ctx, data, plan_report, mail, templates_dir, render_report, paths, file, force)
    if failed:
        ctx.exit(ExitCode.ERROR)


def _warn_outside_sandbox_events(ctx: click.Context, sandbox_dir: Path, datas: list) -> None:
    """A warning (stderr) per report period outside the days the sandbox property has events for.

    Only for Data API reports of the in-process sandbox: events loaded or generated with explicit
    dates do not move with the calendar, and a report over a later period shows zeros and fires
    alerts for nothing. (A server of another process holds its file: nothing is read then.)
    """
    from ga_goals.reports.model import ReportData
    from ga_goals.sandbox.events import EventsInUse, SandboxEvents, coverage_warnings

    events = SandboxEvents(sandbox_dir)
    for data in datas:
        if not isinstance(data, ReportData) or (data.source is not None and data.source.engine != "data-api"):
            continue
        pid = data.property.removeprefix("properties/")
        try:
            summary = events.summary(pid)
        except EventsInUse:
            continue
        spans = [("report", data.period.start, data.period.end)]
        if data.period.previous is not None:
            spans.append(("comparison", data.period.previous.start, data.period.previous.end))
        first, last = (summary.first, summary.last) if summary else (None, None)
        for message in coverage_warnings(pid, first, last, spans):
            click.echo(
                click.style("Warning: ", fg="yellow", bold=True) + f"{data.name}: {message}", err=True, color=ctx.color
            )


def _say_estimate(sizes: list[int], cap: int | None) -> None:
    """BigQuery's dry runs, said before anything is billed."""
    from ga_goals.bigquery.cost import TIB, USD_PER_TIB, billed_bytes, format_usd, human_size

    billed = sum(billed_bytes(s) for s in sizes)
    capped = f"cap {human_size(cap)} per query" if cap else "no cap (--max-bytes-billed 0)"
    click.echo(
        f"BigQuery dry run: {len(sizes)} quer{'ies' if len(sizes) != 1 else 'y'} will process "
        f"{human_size(sum(sizes))}, billed {human_size(billed)} (about {format_usd(billed / TIB * USD_PER_TIB)} "
        f"at on-demand prices); {capped}.",
        err=True,
    )


def engine_from_options(
    tracking_plan, engine, events_paths, dataset, max_bytes_billed, billing_project, location, time_zone, *,
    credentials_file=None, endpoint=None,
):
    """The report source the options and the plan's `source:` block choose (options win)."""
    from ga_goals.sources.base import EngineOptions
    from ga_goals.units import parse_bytes

    planned = tracking_plan.data_source
    chosen = engine or ("duckdb" if events_paths else "bigquery" if dataset else planned.engine)
    if events_paths and chosen != "duckdb":
        raise GaGoalsError(f"--events names export files for --engine duckdb, not {chosen}")
    if dataset and chosen != "bigquery":
        raise GaGoalsError(f"--dataset names a BigQuery dataset for --engine bigquery, not {chosen}")
    cap = planned.max_bytes_billed
    if max_bytes_billed is not None:
        try:
            cap = parse_bytes(max_bytes_billed)
        except ValueError as error:
            raise GaGoalsError(f"--max-bytes-billed: {error}") from None
    options = EngineOptions(
        engine=chosen,
        events=tuple(events_paths) or planned.events,
        dataset=dataset or planned.dataset,
        billing_project=billing_project or planned.billing_project,
        location=location or planned.location,
        max_bytes_billed=cap,
        credentials_file=credentials_file,
        endpoint=endpoint,
        time_zone=time_zone or planned.time_zone,
    )
    if options.engine == "duckdb" and not options.events:
        raise GaGoalsError(
            "--engine duckdb reads GA4 export files: name them with --events PATH (files, folders or globs), "
            "e.g. --events exports/ (`ga-goals sandbox export exports/` writes the sandbox's)"
        )
    if options.engine == "bigquery" and not options.dataset:
        raise GaGoalsError("--engine bigquery needs the export dataset: --dataset PROJECT.analytics_NNN")
    return options


def _report_names(tracking_plan, reports: tuple[str, ...], all_reports: bool) -> list[str]:
    from ga_goals.reports.build import select_report

    if all_reports:
        if reports:
            raise GaGoalsError("give report names or --all, not both")
        if not tracking_plan.reports:
            raise GaGoalsError(f"{tracking_plan.source} defines no reports: add one under `reports:`")
        return list(tracking_plan.reports)
    if not reports:
        if len(tracking_plan.reports) == 1:
            return list(tracking_plan.reports)
        have = ", ".join(tracking_plan.reports) or "none"
        raise GaGoalsError(f"which report? {tracking_plan.source} has: {have} (name one, or use --all)")
    for name in reports:
        select_report(tracking_plan, name)
    return list(dict.fromkeys(reports))


def _already_sent(mail, file: Path, environment: str | None):
    """``skip`` for Manager.reports: this report and period already went to these recipients."""
    from ga_goals.reports.mail import SentLog

    _settings, recipients, log = mail

    def sent(name: str, period) -> bool:
        key = SentLog.key(str(file.resolve()), environment, name, period.key, recipients[name].all)
        return log.get(key) is not None

    return sent


def _mail_setup(tracking_plan, names: list[str], to: tuple[str, ...], sent_log: Path | None):
    from ga_goals.reports.mail import Recipients, SentLog, SmtpSettings

    settings = SmtpSettings.from_env()
    recipients = {}
    for name in names:
        email = tracking_plan.reports[name].email
        if to:
            recipients[name] = Recipients(to=tuple(to))
        else:
            recipients[name] = Recipients(to=email.to if email else (), cc=email.cc if email else ())
        recipients[name].check()
    return settings, recipients, SentLog(sent_log)


def _send(ctx, data, plan_report, mail, templates_dir, render_report, paths, file: Path, force: bool) -> bool:
    from ga_goals.reports.mail import MailError, deliver
    from ga_goals.reports.render import render_subject

    settings, recipients, log = mail
    try:
        subject = render_subject(data, plan_report.email.subject if plan_report.email else None)
        delivery = deliver(
            data,
            text=render_report(data, "text", user_templates=templates_dir),
            html=paths["email"].read_text(encoding="utf-8"),
            subject=subject,
            recipients=recipients[data.name],
            settings=settings,
            log=log,
            plan_file=str(file.resolve()),
            force=force,
        )
    except MailError as error:
        where = ", ".join(str(p) for p in paths.values())
        click.echo(click.style("Error: ", fg="red", bold=True) + f"{error}. The report is on disk: {where}", err=True, color=ctx.color)
        return False
    who = ", ".join(delivery.recipients)
    if delivery.status == "skipped":
        click.echo(
            f"  e-mail: already sent to {who} on {delivery.sent_at} for this period (not sent again; "
            f"--force to resend; log {shlex.quote(str(log.path))})"
        )
    else:
        click.echo(f"  e-mail: sent to {who} ({delivery.subject!r})")
    if delivery.refused:  # the message went to the others; a re-run will not send it again
        refused = ", ".join(delivery.refused)
        click.echo(click.style("Error: ", fg="red", bold=True) + f"the SMTP server refused {refused}: not sent to "
                   "them (sent to the others, recorded as sent). Fix the addresses in the plan.", err=True, color=ctx.color)
        return False
    return True
