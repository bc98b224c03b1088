"""E-mail through a real SMTP server on loopback (aiosmtpd): the message that arrives, the sent log."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ga_goals.reports.mail import MailError, Recipients, SentLog, SmtpSettings, build_message, deliver
from ga_goals.reports.render import render_report, render_subject
from tests.reports.smtp_server import DropAfterDataSMTP, LoopbackSMTP, RudeQuitSMTP, SmtpHandler
from tests.reports.test_render import hostile

PASSWORD = "s3cret-Pa55word"


@pytest.fixture
def smtp() -> Iterator[LoopbackSMTP]:
    server = LoopbackSMTP(SmtpHandler())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def send(data, server: LoopbackSMTP, log: SentLog, *, force: bool = False, recipients: Recipients | None = None, env: dict | None = None):
    settings = SmtpSettings.from_env(env or server.env())
    return deliver(
        data,
        text=render_report(data, "text"),
        html=render_report(data, "email"),
        subject=render_subject(data, "Weekly shop funnels: {{ period.label }}"),
        recipients=recipients or Recipients(to=("growth@example.com",), cc=("ceo@example.com",)),
        settings=settings,
        log=log,
        plan_file="/plans/shop.yaml",
        force=force,
    )


def test_the_message_that_arrives(weekly, smtp: LoopbackSMTP, tmp_path: Path):
    delivery = send(hostile(weekly), smtp, SentLog(tmp_path / "sent.json"))
    assert delivery.status == "sent"
    (received,) = smtp.messages
    assert received.mail_from == "reports@example.com"
    assert sorted(received.rcpt_tos) == ["ceo@example.com", "growth@example.com"]
    message = received.message
    assert message["Subject"] == "Weekly shop funnels: 18–24 Nov 2026"
    assert message["To"] == "growth@example.com" and message["Cc"] == "ceo@example.com"
    assert message["From"] == "reports@example.com" and message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.get_payload()
    assert text_part.get_content_type() == "text/plain" and html_part.get_content_type() == "text/html"
    text, html = text_part.get_content(), html_part.get_content()
    assert "Browse to buy" in text and "1,000" in text
    assert html.count("<style") == 1 and "@media screen" in html  # only the phone rules stay a style element
    assert "<script" not in html
    assert re.search(r'style="[^"]*background: ?#1a5fb4', html)  # inlined CSS
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # GA strings escaped
    assert "1,000" in html and "18–24 Nov 2026" in html
    assert "Bcc" not in message  # nobody hidden


def test_the_same_period_is_not_sent_twice_unless_forced(weekly, smtp: LoopbackSMTP, tmp_path: Path):
    log = SentLog(tmp_path / "state" / "sent.json")
    first = send(weekly, smtp, log)
    second = send(weekly, smtp, log)
    assert (first.status, second.status) == ("sent", "skipped")
    assert second.sent_at == first.sent_at and second.message_id == first.message_id
    assert len(smtp.messages) == 1
    # other recipients are another send
    assert send(weekly, smtp, log, recipients=Recipients(to=("other@example.com",))).status == "sent"
    assert send(weekly, smtp, log, force=True).status == "sent"
    assert len(smtp.messages) == 3
    entries = log._read()
    assert len(entries) == 2
    key = SentLog.key("/plans/shop.yaml", None, "weekly", "2026-11-18..2026-11-24", ["ceo@example.com", "growth@example.com"])
    assert key in entries and entries[key]["subject"] == "Weekly shop funnels: 18–24 Nov 2026"


@pytest.mark.parametrize("smtp_class", [RudeQuitSMTP, DropAfterDataSMTP], ids=["421 to QUIT", "drop after DATA"])
def test_a_message_the_server_accepted_is_sent_once(weekly, tmp_path: Path, smtp_class):
    """Once DATA is answered 250 the message is sent: what the server does after (a 421 to
    QUIT, a dropped connection) must not fail the run, or every cron run sends it again."""
    server = LoopbackSMTP(SmtpHandler(), smtp_class=smtp_class)
    server.start()
    try:
        log = SentLog(tmp_path / "sent.json")
        first = send(weekly, server, log)
        second = send(weekly, server, log)
    finally:
        server.stop()
    assert (first.status, second.status) == ("sent", "skipped")
    assert len(server.messages) == 1
    assert len(log._read()) == 1


def test_a_message_accepted_for_some_recipients_is_sent_and_names_the_refused(weekly, tmp_path: Path):
    """The server refuses one recipient and accepts the other: the message went out, so it is
    recorded as sent (a re-run must not send it again to the accepted one), the refused named."""
    server = LoopbackSMTP(SmtpHandler(refuse={"ceo@example.com"}))
    server.start()
    try:
        log = SentLog(tmp_path / "sent.json")
        first = send(weekly, server, log)
        second = send(weekly, server, log)
    finally:
        server.stop()
    assert (first.status, second.status) == ("sent", "skipped")
    assert first.refused == ("ceo@example.com",)
    (received,) = server.messages
    assert received.rcpt_tos == ["growth@example.com"]
    assert list(log._read().values())[0]["refused"] == ["ceo@example.com"]


def test_a_refused_connection_is_a_clear_error_and_nothing_is_recorded(weekly, tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    env = {"GA_GOALS_SMTP_HOST": "127.0.0.1", "GA_GOALS_SMTP_PORT": str(port), "GA_GOALS_SMTP_SECURITY": "none", "GA_GOALS_SMTP_FROM": "r@example.com"}
    log = SentLog(tmp_path / "sent.json")
    with pytest.raises(MailError, match=rf"could not send through the SMTP server 127.0.0.1:{port} \(none\): Connection refused"):
        send(weekly, None, log, env=env)  # type: ignore[arg-type]
    assert not (tmp_path / "sent.json").exists()


@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")
def test_login_and_the_password_never_shows(weekly, tmp_path: Path, capsys, caplog):
    server = LoopbackSMTP(SmtpHandler(), login=("reports", PASSWORD))
    server.start()
    try:
        env = server.env(GA_GOALS_SMTP_USER="reports", GA_GOALS_SMTP_PASSWORD=PASSWORD)
        assert send(weekly, server, SentLog(tmp_path / "a.json"), env=env).status == "sent"
        settings = SmtpSettings.from_env(env)
        assert PASSWORD not in repr(settings) and PASSWORD not in settings.describe()
        wrong = server.env(GA_GOALS_SMTP_USER="reports", GA_GOALS_SMTP_PASSWORD="wrong-" + PASSWORD)
        with pytest.raises(MailError, match="refused the login") as info:
            send(weekly, server, SentLog(tmp_path / "b.json"), env=wrong)
        assert PASSWORD not in str(info.value)
    finally:
        server.stop()
    assert len(server.messages) == 1
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err + caplog.text
    assert PASSWORD not in (tmp_path / "a.json").read_text()


def test_starttls_against_a_server_without_it(weekly, smtp: LoopbackSMTP, tmp_path: Path):
    env = smtp.env(GA_GOALS_SMTP_SECURITY="starttls")
    with pytest.raises(MailError, match="does not offer STARTTLS") as info:
        send(weekly, smtp, SentLog(tmp_path / "sent.json"), env=env)
    assert smtp.messages == []
    # Both ways out: TLS from the start, or plain SMTP to a relay on this machine (this one).
    assert "GA_GOALS_SMTP_SECURITY=tls (port 465)" in str(info.value)
    assert "GA_GOALS_SMTP_SECURITY=none" in str(info.value)
    assert send(weekly, smtp, SentLog(tmp_path / "sent.json"), env={**env, "GA_GOALS_SMTP_SECURITY": "none"}).status == "sent"


@pytest.mark.parametrize(
    "env, match",
    [
        ({}, "GA_GOALS_SMTP_HOST and GA_GOALS_SMTP_FROM are not set"),
        ({"GA_GOALS_SMTP_FROM": "a@example.com"}, "GA_GOALS_SMTP_HOST is not set"),
        ({"GA_GOALS_SMTP_USER": "me@example.com"}, "GA_GOALS_SMTP_HOST is not set"),
        ({"GA_GOALS_SMTP_HOST": "mail.example.com"}, "GA_GOALS_SMTP_FROM is not set"),
        ({"GA_GOALS_SMTP_HOST": "mail.example.com", "GA_GOALS_SMTP_FROM": "nobody"}, "not an e-mail address"),
        ({"GA_GOALS_SMTP_HOST": "mail.example.com", "GA_GOALS_SMTP_FROM": "a@example.com", "GA_GOALS_SMTP_SECURITY": "ssl"}, "must be one of"),
        ({"GA_GOALS_SMTP_HOST": "mail.example.com", "GA_GOALS_SMTP_FROM": "a@example.com", "GA_GOALS_SMTP_PORT": "x"}, "port number"),
        (
            {"GA_GOALS_SMTP_HOST": "mail.example.com", "GA_GOALS_SMTP_FROM": "a@example.com", "GA_GOALS_SMTP_SECURITY": "none", "GA_GOALS_SMTP_PASSWORD": PASSWORD},
            "refusing to send the SMTP password unencrypted",
        ),
    ],
)
def test_settings_errors(env, match):
    with pytest.raises(MailError, match=match) as info:
        SmtpSettings.from_env(env)
    assert PASSWORD not in str(info.value)


def test_the_first_error_names_every_required_setting():
    """Set up in one try: with nothing set, the error says that FROM is required too."""
    with pytest.raises(MailError) as info:
        SmtpSettings.from_env({})
    assert "GA_GOALS_SMTP_HOST and GA_GOALS_SMTP_FROM are not set" in str(info.value)
    assert "required" in str(info.value)
    with pytest.raises(MailError, match="GA_GOALS_SMTP_FROM is not set"):
        SmtpSettings.from_env({"GA_GOALS_SMTP_HOST": "mail.example.com"})


def test_settings_defaults():
    settings = SmtpSettings.from_env({"GA_GOALS_SMTP_HOST": "mail.example.com", "GA_GOALS_SMTP_USER": "me@example.com", "GA_GOALS_SMTP_PASSWORD": "x"})
    assert (settings.port, settings.security, settings.sender) == (587, "starttls", "me@example.com")
    assert SmtpSettings.from_env({"GA_GOALS_SMTP_HOST": "h.example.com", "GA_GOALS_SMTP_FROM": "a@example.com", "GA_GOALS_SMTP_SECURITY": "tls"}).port == 465


def test_recipients_are_checked():
    with pytest.raises(MailError, match="no recipients"):
        Recipients(to=()).check()
    with pytest.raises(MailError, match="'not an address'"):
        Recipients(to=("a@example.com", "not an address")).check()


def test_message_structure():
    message = build_message(
        subject="Hello\nBcc: evil@example.com", text="plain", html="<p>html</p>", sender="r@example.com",
        recipients=Recipients(to=("a@example.com", "b@example.com")),
    )
    assert message["Subject"] == "Hello Bcc: evil@example.com"  # no header injection
    assert message["To"] == "a@example.com, b@example.com"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
