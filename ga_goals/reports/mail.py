"""E-mail a report over SMTP, once per period: safe to run from cron.

Settings come from the environment (never from the plan file, never printed):

=========================  ==================================================================
``GA_GOALS_SMTP_HOST``      the SMTP server (**required** to send)
``GA_GOALS_SMTP_PORT``      default 587 (starttls), 465 (tls), 25 (none)
``GA_GOALS_SMTP_SECURITY``  ``starttls`` (default), ``tls`` (implicit TLS, "SMTPS") or ``none``
                            (plain: only to a loopback server, e.g. a local relay or tests)
``GA_GOALS_SMTP_USER``      login name (no login when unset)
``GA_GOALS_SMTP_PASSWORD``  its password
``GA_GOALS_SMTP_FROM``      the From address (**required**, unless the user is an e-mail address)
``GA_GOALS_SMTP_TIMEOUT``   seconds per SMTP operation (default 30)
=========================  ==================================================================

The message is ``multipart/alternative``: the plain-text report, then the e-mail HTML (CSS
inlined). :class:`SentLog` remembers what was sent, keyed by (plan file, environment, report,
period, recipients): :func:`deliver` does not send the same report for the same period to the
same people twice unless forced, and holds a file lock while it checks, sends and records, so
two overlapping cron runs cannot both send. A failed send raises :class:`MailError` (and records
nothing), so the next run tries again.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import smtplib
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from ga_goals.errors import GaGoalsError
from ga_goals.reports.model import ReportData

ENV_PREFIX = "GA_GOALS_SMTP_"
SECURITIES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
SENT_LOG_ENV = "GA_GOALS_SENT_LOG"


class MailError(GaGoalsError):
    """The report could not be e-mailed (settings, connection, login, refused recipients)."""


def _plausible(address: str) -> bool:
    _name, addr = parseaddr(address)
    local, _, domain = addr.partition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in addr)


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send (from ``GA_GOALS_SMTP_*``); ``password`` never shows in a repr."""

    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = ""
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name, "").strip()
            return value or None

        host = get("HOST")
        user = get("USER")
        if host is None:
            # Name every required setting that is missing at once: one try, not two.
            missing = [f"{ENV_PREFIX}HOST"] + ([] if get("FROM") or (user and _plausible(user)) else [f"{ENV_PREFIX}FROM"])
            raise MailError(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: both "
                f"{ENV_PREFIX}HOST (the SMTP server) and {ENV_PREFIX}FROM (the From address, e.g. reports@example.com) "
                f"are required to e-mail reports; {ENV_PREFIX}USER, {ENV_PREFIX}PASSWORD, {ENV_PREFIX}SECURITY if needed"
            )
        security = (get("SECURITY") or "starttls").lower()
        if security not in SECURITIES:
            raise MailError(f"{ENV_PREFIX}SECURITY must be one of {', '.join(SECURITIES)}, got {security!r}")
        port_text = get("PORT")
        try:
            port = int(port_text) if port_text else DEFAULT_PORTS[security]
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise MailError(f"{ENV_PREFIX}PORT must be a port number, got {port_text!r}") from None
        try:
            timeout = float(get("TIMEOUT") or 30.0)
        except ValueError:
            raise MailError(f"{ENV_PREFIX}TIMEOUT must be a number of seconds") from None
        password = env.get(ENV_PREFIX + "PASSWORD") or None
        sender = get("FROM") or (user if user and _plausible(user) else None)
        if sender is None:
            raise MailError(f"{ENV_PREFIX}FROM is not set: the From address of report e-mails (e.g. reports@example.com)")
        if not _plausible(sender):
            raise MailError(f"{ENV_PREFIX}FROM is not an e-mail address: {sender!r}")
        if security == "none" and password and not _is_loopback(host):
            raise MailError(
                f"refusing to send the SMTP password unencrypted to {host}: set {ENV_PREFIX}SECURITY=starttls "
                "(or tls); plain SMTP is only for a server on this machine"
            )
        return cls(host=host, port=port, security=security, user=user, password=password, sender=sender, timeout=timeout)

    def describe(self) -> str:
        """``smtp.example.com:587 (starttls, user reports@example.com)``: no password."""
        login = f", user {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({self.security}{login})"


@dataclass(frozen=True)
class Recipients:
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.to + self.cc))

    def check(self) -> None:
        if not self.to:
            raise MailError("no recipients: give the report an `email: to:` list in the plan, or use --to ADDRESS")
        bad = [a for a in self.all if not _plausible(a)]
        if bad:
            raise MailError(f"not an e-mail address: {', '.join(repr(a) for a in bad)}")


def build_message(
    *, subject: str, text: str, html: str, sender: str, recipients: Recipients, headers: Mapping[str, str] | None = None
) -> EmailMessage:
    """A ``multipart/alternative`` message: plain text first, HTML last (preferred by clients)."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = ", ".join(recipients.to)
    if recipients.cc:
        message["Cc"] = ", ".join(recipients.cc)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid("ga-goals", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _hang_up(client: smtplib.SMTP) -> None:
    """QUIT, ignoring what the server answers: nothing it says now changes what was sent.

    (``with smtplib.SMTP()`` raises when QUIT is answered with anything but 221, or when the
    connection is reset: a message accepted by DATA's 250 was then reported as failed, not
    logged as sent, and sent again by every later run.)
    """
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def send_message(message: EmailMessage, settings: SmtpSettings, recipients: Sequence[str]) -> tuple[str, ...]:
    """Send over SMTP; every failure is a :class:`MailError` that says what to check.

    The message is sent once the server has accepted it (250 after DATA): what happens after
    (a 421 to QUIT, a dropped connection) is not a failure, and neither are some recipients
    refused while others were accepted: they are returned (sorted), the message went to the rest.
    """
    refused: dict[str, Any] = {}
    where = settings.describe()
    try:
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            client.ehlo()
            if settings.security == "starttls":
                if not client.has_extn("starttls"):
                    raise MailError(
                        f"the SMTP server {where} does not offer STARTTLS: set {ENV_PREFIX}SECURITY=tls "
                        f"(port 465) if it expects TLS from the start, or {ENV_PREFIX}SECURITY=none (port 25, "
                        f"plain) for a relay on this machine"
                    )
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password or "")
            refused = client.send_message(message, from_addr=settings.sender, to_addrs=list(recipients))
        finally:
            _hang_up(client)
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"the SMTP server {where} refused the login ({exc.smtp_code}): check {ENV_PREFIX}USER and {ENV_PREFIX}PASSWORD"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"the SMTP server {where} refused every recipient: {', '.join(sorted(exc.recipients))}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(f"the SMTP server {where} refused the sender {exc.sender} ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise MailError(f"the SMTP server {where} answered {exc.smtp_code} {text.strip()}") from None
    except ssl.SSLError as exc:
        raise MailError(
            f"TLS with the SMTP server {where} failed ({exc.reason or exc}): port 465 usually wants "
            f"{ENV_PREFIX}SECURITY=tls, port 587 starttls"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or exc.__class__.__name__
        if isinstance(exc, socket.timeout):
            reason = f"no answer within {settings.timeout:g} s"
        raise MailError(f"could not send through the SMTP server {where}: {reason}") from None
    return tuple(sorted(refused))


# --------------------------------------------------------------------------- the sent log


def default_sent_log() -> Path:
    """``$GA_GOALS_SENT_LOG``, else ``$XDG_DATA_HOME/ga-goals/sent-reports.json``."""
    explicit = os.environ.get(SENT_LOG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "ga-goals" / "sent-reports.json"


class SentLog:
    """A JSON file of the reports sent: ``{key: {sent_at, subject, recipients, message_id}}``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_sent_log()

    @staticmethod
    def key(plan_file: str, environment: str | None, report: str, period: str, recipients: Sequence[str]) -> str:
        """One line identifying a send: the same report, period and recipients give the same key."""
        who = ",".join(sorted({r.lower() for r in recipients}))
        return f"{plan_file}|{environment or '-'}|{report}|{period}|{who}"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise MailError(f"the sent log {self.path} cannot be read ({exc}): fix or delete it") from None
        return data.get("sent", {}) if isinstance(data, dict) else {}

    def get(self, key: str) -> dict[str, Any] | None:
        return self._read().get(key)

    def record(self, key: str, entry: dict[str, Any]) -> None:
        sent = self._read()
        sent[key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"format": "ga-goals-sent-log/1", "sent": sent}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock (a ``.lock`` file next to the log) while checking and sending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as handle:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - not POSIX
                yield
                return
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass(frozen=True)
class Delivery:
    """What :func:`deliver` did: ``sent``, or ``skipped`` (already sent for this period)."""

    status: str
    recipients: tuple[str, ...]
    subject: str
    sent_at: str
    message_id: str = ""
    #: Recipients the server refused while it accepted the others (not sent to them).
    refused: tuple[str, ...] = ()


def deliver(
    data: ReportData,
    *,
    text: str,
    html: str,
    subject: str,
    recipients: Recipients,
    settings: SmtpSettings,
    log: SentLog,
    plan_file: str,
    force: bool = False,
) -> Delivery:
    """Send the report unless this report and period already went to these recipients.

    :param force: send even if the sent log says it was sent.
    :raises MailError: recipients invalid, or the send failed (nothing is recorded). Some
        recipients refused while others were accepted is a send: ``Delivery.refused`` names them.
    """
    recipients.check()
    key = SentLog.key(plan_file, data.environment, data.name, data.period.key, recipients.all)
    with log.locked():
        prior = log.get(key)
        if prior is not None and not force:
            return Delivery("skipped", recipients.all, prior.get("subject", subject), prior.get("sent_at", ""), prior.get("message_id", ""))
        message = build_message(
            subject=subject,
            text=text,
            html=html,
            sender=settings.sender,
            recipients=recipients,
            headers={"X-GA-Goals-Report": f"{data.name}; {data.period.key}"},
        )
        refused = send_message(message, settings, recipients.all)
        # Accepted means sent (to everyone the server did not refuse): recorded, never re-sent.
        sent_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        entry = {"sent_at": sent_at, "subject": message["Subject"], "recipients": list(recipients.all), "message_id": message["Message-ID"]}
        if refused:
            entry["refused"] = list(refused)
        log.record(key, entry)
    return Delivery("sent", recipients.all, str(message["Subject"]), sent_at, str(message["Message-ID"]), refused)
