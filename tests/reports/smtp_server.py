"""A real SMTP server on loopback (aiosmtpd) that keeps the messages it receives."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class SmtpHandler:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Recipients answered 550 (no such user); the others are accepted.
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw))  # type: ignore[arg-type]
        return "250 OK"


class RudeQuitSMTP(SMTP):
    """Accepts the message (250), then answers QUIT with 421 and hangs up."""

    async def smtp_QUIT(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's naming
        await self.push("421 4.3.2 Service shutting down")
        self.transport.close()


class DropAfterDataSMTP(SMTP):
    """Accepts the message (250), then drops the connection before QUIT."""

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's naming
        await super().smtp_DATA(arg)
        if self.envelope.content is None and self.transport is not None:  # DATA done: the envelope was reset
            self.transport.abort()


class LoopbackSMTP(Controller):
    """aiosmtpd's Controller on a free port (port 0 is resolved once the server listens).

    :param smtp_class: the server's protocol class (a subclass of aiosmtpd's SMTP to misbehave).
    """

    def __init__(
        self, handler: SmtpHandler, *, login: tuple[str, str] | None = None, smtp_class: type[SMTP] = SMTP
    ) -> None:
        self.smtp_class = smtp_class
        kwargs: dict[str, Any] = {}
        if login is not None:
            user, password = login

            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
                ok = auth_data.login.decode() == user and auth_data.password.decode() == password
                return AuthResult(success=ok, handled=False)

            # LOGIN is left out: smtplib retries it after a failed PLAIN in a way aiosmtpd does not answer.
            kwargs = {"authenticator": authenticate, "auth_require_tls": False, "auth_exclude_mechanism": ["LOGIN"]}
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)
        self.handler: SmtpHandler = handler

    def factory(self) -> SMTP:
        return self.smtp_class(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def env(self, **extra: str) -> dict[str, str]:
        """GA_GOALS_SMTP_* settings for this server (plain SMTP on loopback)."""
        values = {
            "GA_GOALS_SMTP_HOST": "127.0.0.1",
            "GA_GOALS_SMTP_PORT": str(self.port),
            "GA_GOALS_SMTP_SECURITY": "none",
            "GA_GOALS_SMTP_FROM": "reports@example.com",
        }
        values.update(extra)
        return values
