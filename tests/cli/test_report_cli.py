"""`ga-goals report`: files, e-mail once per period, errors before any call, exit codes.

The Data API is a tiny in-test gRPC server (tests/ga4/fake_data_api.py) reached with
--sandbox-address through the real clients; e-mail goes to a real SMTP server on loopback.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from ga_goals.errors import ExitCode

from tests.conftest import CONFIGS
from tests.ga4.fake_data_api import Abort, FakeDataApi
from tests.reports.conftest import HOSTILE
from tests.reports.smtp_server import LoopbackSMTP, SmtpHandler

SHOP = CONFIGS / "shop.yaml"


@pytest.fixture
def fake() -> Iterator[FakeDataApi]:
    with FakeDataApi(breakdown_values=("desktop", HOSTILE)) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[LoopbackSMTP]:
    server = LoopbackSMTP(SmtpHandler())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def report(run, fake: FakeDataApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `ga-goals report` against the fake Data API, writing to tmp_path/out."""
    monkeypatch.setenv("GA_GOALS_SENT_LOG", str(tmp_path / "state" / "sent.json"))
    for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "FROM"):
        monkeypatch.delenv(f"GA_GOALS_SMTP_{name}", raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None):
        return run("report", *args, "--sandbox-address", fake.address, "-o", tmp_path / "out", env=env)

    return invoke


def files(tmp_path: Path) -> list[str]:
    out = tmp_path / "out"
    return sorted(p.name.split("_", 1)[1] if "_" in p.name else p.name for p in out.iterdir()) if out.exists() else []


def test_report_writes_the_plan_formats(report, fake: FakeDataApi, tmp_path: Path):
    result = report(SHOP, "weekly")
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out").iterdir())
    assert [p.suffix for p in written] == [".html", ".json", ".txt"]  # the report's `formats`
    for path in written:
        assert str(path) in result.stdout
    # 4 funnels (one with 2 segments in one request), the split test, the trend, the next actions,
    # the journey map, then the lift: the baseline and one funnel per micro conversion (10)
    assert "20 Data API calls (BatchRunReports x1, RunFunnelReport x19), 147 quota tokens" in result.stdout
    assert fake.calls == {"GetProperty": 1, "BatchRunReports": 1, "RunFunnelReport": 19}
    data = json.loads(next(p for p in written if p.suffix == ".json").read_text())
    assert data["period"]["time_zone"] == "America/Los_Angeles" and data["calls"]["total"] == 20
    html = next(p for p in written if p.suffix == ".html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


def test_format_option_and_the_only_report_by_default(report, tmp_path: Path):
    result = report(SHOP, "--format", "csv,json", "--format", "email")
    assert result.exit_code == 0, result.output
    assert sorted(p.name.rsplit("-", 1)[-1].split(".", 1)[1] for p in (tmp_path / "out").iterdir()) == ["csv", "email.html", "json"]


def test_email_is_sent_once_per_period(report, fake: FakeDataApi, smtp: LoopbackSMTP, tmp_path: Path):
    env = smtp.env()
    first = report(SHOP, "weekly", "--email", env=env)
    assert first.exit_code == 0, first.output
    assert "e-mail: sent to growth@example.com ('Weekly shop funnels: " in first.stdout
    assert len(smtp.messages) == 1
    (received,) = smtp.messages
    assert received.rcpt_tos == ["growth@example.com"]
    assert received.message["Subject"].startswith("Weekly shop funnels: ")
    assert [p.get_content_type() for p in received.message.iter_parts()] == ["text/plain", "text/html"]
    assert any(p.name.endswith(".email.html") for p in (tmp_path / "out").iterdir())  # what was sent stays on disk

    calls = sum(count for method, count in fake.calls.items() if method != "GetProperty")
    again = report(SHOP, "weekly", "--email", env=env)
    assert again.exit_code == 0, again.output
    assert "already e-mailed to growth@example.com" in again.stdout and "--force" in again.stdout
    assert len(smtp.messages) == 1
    # A cron re-run spends no Data API quota: only the property's time zone was read.
    assert sum(count for method, count in fake.calls.items() if method != "GetProperty") == calls

    forced = report(SHOP, "weekly", "--email", "--force", env=env)
    assert forced.exit_code == 0 and "e-mail: sent" in forced.stdout
    assert len(smtp.messages) == 2

    other = report(SHOP, "weekly", "--email", "--to", "me@example.com", "--to", "you@example.com", env=env)
    assert other.exit_code == 0, other.output
    assert sorted(smtp.messages[-1].rcpt_tos) == ["me@example.com", "you@example.com"]


def test_environment_recipients(report, smtp: LoopbackSMTP):
    # the production property is a real one: the fake server stands in for it only with --sandbox
    result = report(SHOP, "weekly", "-e", "production", "--sandbox", "--email", env=smtp.env())
    assert result.exit_code == 0, result.output
    assert sorted(smtp.messages[0].rcpt_tos) == ["ceo@example.com", "growth@example.com"]


def test_a_refused_recipient_is_named_and_the_others_are_not_sent_twice(report, smtp: LoopbackSMTP):
    smtp.handler.refuse.add("ceo@example.com")
    first = report(SHOP, "weekly", "-e", "production", "--sandbox", "--email", env=smtp.env())
    assert first.exit_code == 1, first.output  # cron notices: an address needs fixing
    assert "refused ceo@example.com: not sent to them" in first.stderr
    again = report(SHOP, "weekly", "-e", "production", "--sandbox", "--email", env=smtp.env())
    assert again.exit_code == 0 and "already e-mailed" in again.stdout
    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == ["growth@example.com"]


def test_a_refused_smtp_connection_leaves_the_files_and_exits_1(report, tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"GA_GOALS_SMTP_HOST": "127.0.0.1", "GA_GOALS_SMTP_PORT": str(port), "GA_GOALS_SMTP_SECURITY": "none", "GA_GOALS_SMTP_FROM": "r@example.com"}
    result = report(SHOP, "weekly", "--email", env=env)
    assert result.exit_code == 1
    assert "Connection refused" in result.stderr and "The report is on disk" in result.stderr
    written = list((tmp_path / "out").iterdir())
    assert {p.suffix for p in written} == {".html", ".txt", ".json"} and any(p.name.endswith(".email.html") for p in written)
    assert all(str(p) in result.stderr for p in written)
    assert not (tmp_path / "state" / "sent.json").exists()  # the next run tries again


def test_email_settings_are_checked_before_any_call(report, fake: FakeDataApi, tmp_path: Path):
    result = report(SHOP, "weekly", "--email")
    assert result.exit_code == 1
    assert "GA_GOALS_SMTP_HOST and GA_GOALS_SMTP_FROM are not set" in result.stderr
    assert fake.calls == {} and files(tmp_path) == []


def test_unknown_report(report, fake: FakeDataApi, tmp_path: Path):
    result = report(SHOP, "weekley")
    assert result.exit_code == 1
    assert "no report 'weekley' in the plan; did you mean 'weekly'?" in result.stderr
    assert fake.calls == {} and files(tmp_path) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (("--start", "2026-02-01", "--end", "2026-01-01"), "before it starts"),
        (("--start", "2026-02-01"), "--start and --end go together"),
        (("--start", "2026-02-30", "--end", "2026-03-01"), "is not a date"),
        (("--period", "last_week", "--start", "2026-01-01", "--end", "2026-01-02"), "not both"),
    ],
)
def test_invalid_dates(report, fake: FakeDataApi, tmp_path: Path, args, message):
    result = report(SHOP, "weekly", *args)
    assert result.exit_code in (ExitCode.ERROR, ExitCode.USAGE)  # USAGE: click rejects a malformed date
    assert message in result.output + result.stderr
    assert "RunFunnelReport" not in fake.calls and files(tmp_path) == []


def test_a_quota_error_mid_report_writes_and_sends_nothing(report, fake: FakeDataApi, smtp: LoopbackSMTP, tmp_path: Path):
    fake.faults.append(("RunFunnelReport", grpc.StatusCode.RESOURCE_EXHAUSTED, "Exhausted property tokens per hour."))
    result = report(SHOP, "weekly", "--email", env=smtp.env())
    assert result.exit_code == 1
    assert "Data API quota exhausted" in result.stderr
    assert files(tmp_path) == [] and smtp.messages == []


TWO_REPORTS = """
property: sandbox
conversions:
  macro:
    purchase: {}
  micro:
    add_to_cart: {}
funnels:
  buy:
    steps: [add_to_cart, purchase]
reports:
  first: {}
  second: {}
"""


def test_a_failure_in_a_later_report_sends_none_of_them(report, fake: FakeDataApi, smtp: LoopbackSMTP, tmp_path: Path):
    """Every report of a run is built before anything is written or sent: the first report is
    complete, the second fails mid-way, and nobody gets the first as if the run had worked."""
    plan = tmp_path / "two.yaml"
    plan.write_text(TWO_REPORTS)
    answer = fake.run_funnel_report
    seen = []

    def fail_in_the_second_report(request):
        seen.append(request)
        if len(seen) > 3:  # the first report: its funnel, the lift's baseline and its one micro
            raise Abort(grpc.StatusCode.PERMISSION_DENIED, "User does not have sufficient permissions for this property.")
        return answer(request)

    fake.handlers["RunFunnelReport"] = fail_in_the_second_report
    result = report(plan, "--all", "--email", "--to", "me@example.com", env=smtp.env())
    assert result.exit_code == 1
    assert "permission" in result.stderr.lower()
    assert len(seen) > 3 and files(tmp_path) == [] and smtp.messages == []


def test_an_export_engine_failure_sends_nothing(report, smtp: LoopbackSMTP, tmp_path: Path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "events_20261120.parquet").write_bytes(b"not parquet")
    result = report(SHOP, "weekly", "--engine", "duckdb", "--events", exports, "--email", "--to", "me@example.com", env=smtp.env())
    assert result.exit_code == 1
    assert "events_20261120.parquet" in result.stderr
    assert files(tmp_path) == [] and smtp.messages == []


def test_all_reports_with_an_explicit_period_and_user_templates(report, fake: FakeDataApi, tmp_path: Path):
    templates = tmp_path / "mine" / "reports"
    templates.mkdir(parents=True)
    (templates / "report.txt").write_text("{{ data.title }} {{ period.label }} vs {{ period.previous_label }}\n")
    result = report(SHOP, "--all", "--start", "2026-10-01", "--end", "2026-10-31", "--compare", "previous_year", "--format", "text", "--templates", tmp_path / "mine")
    assert result.exit_code == 0, result.output
    (text,) = (tmp_path / "out").iterdir()
    assert text.name == "weekly-2026-10-01_2026-10-31.txt"
    assert text.read_text() == "Weekly shop funnels 1–31 Oct 2026 vs 1–31 Oct 2025\n"
    request = fake.requests_of("RunFunnelReport")[0]
    assert [(r.start_date, r.name) for r in request.date_ranges] == [("2026-10-01", "current"), ("2025-10-01", "previous")]


def test_an_environment_without_reports(report):
    result = report(SHOP, "--all", "-e", "staging")
    assert result.exit_code == 1 and "defines no reports" in result.stderr


def test_help_shows_examples(run):
    result = run("report", "--help")
    assert result.exit_code == 0
    assert "ga-goals report configs/shop.yaml weekly --email" in result.output
    assert "--templates" in result.output and "--sandbox-address" in result.output
