"""The `Mailer` over SMTP: stdlib `smtplib`, run in a thread so the event loop never blocks.

One connection is kept between emails (a NOOP checks it is still alive before it is used
again), so a backlog is not slowed by a TCP connect, EHLO, STARTTLS and login per email.
"""

import asyncio
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from notifications.domain.errors import MailDeliveryFailed, PermanentMailFailure, TemporaryMailFailure
from notifications.domain.mail import OutgoingEmail
from notifications.settings import NotificationsSettings


class SmtpMailer:
    def __init__(
        self, host: str, port: int, sender: str, *, starttls: bool = False, username: str | None = None,
        password: str | None = None, timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.idle_limit = 30.0
        """Seconds after which a kept connection is not trusted and a new one is opened."""
        self._connection: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> "SmtpMailer":
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(settings.smtp_host, settings.smtp_port, settings.mail_from, starttls=settings.smtp_starttls,
                   username=settings.smtp_username, password=password, timeout=settings.smtp_timeout)

    async def send(self, message: OutgoingEmail) -> None:
        await asyncio.to_thread(self._send, message)

    def mime(self, message: OutgoingEmail) -> EmailMessage:
        """The message as it goes on the wire: a plain text part and its HTML alternative."""
        mime = EmailMessage()
        mime["From"] = self.sender
        mime["To"] = message.recipient
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(usegmt=True)
        if message.reference:
            domain = parseaddr(self.sender)[1].rpartition("@")[2] or "billing.local"
            mime["Message-ID"] = f"<{message.reference}@{domain}>"
        mime.set_content(message.body_text)
        mime.add_alternative(message.body_html, subtype="html")
        return mime

    def _send(self, message: OutgoingEmail) -> None:
        try:
            mime = self.mime(message)
        except ValueError as error:  # a header the email package refuses: no retry will fix it
            raise PermanentMailFailure(f"cannot write the message: {error}") from error
        with self._lock:
            try:
                self._open().send_message(mime, to_addrs=[message.recipient])
                self._last_used = time.monotonic()
            except smtplib.SMTPRecipientsRefused as error:  # the session is still good (reset by smtplib)
                self._last_used = time.monotonic()
                raise classify(error) from error
            except (smtplib.SMTPException, OSError) as error:
                self.close()
                raise classify(error) from error

    def _open(self) -> smtplib.SMTP:
        """The kept connection if it still answers, else a new one (TLS and login as configured)."""
        if self._connection is not None:
            fresh = time.monotonic() - self._last_used < self.idle_limit
            try:
                if fresh and self._connection.noop()[0] == 250:
                    return self._connection
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self._connection = smtp
        return smtp

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def classify(error: BaseException) -> MailDeliveryFailed:
    """Permanent only when the server refused this recipient or this message with a 5xx reply.

    A refused sender, a failed login or missing STARTTLS is the service's configuration, not
    the email's fault: retried, so the email goes out once the configuration is fixed.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return PermanentMailFailure(f"recipient refused: {_replies(error.recipients.values())}")
        return TemporaryMailFailure(f"recipient deferred: {_replies(error.recipients.values())}")
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        return TemporaryMailFailure(f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, smtplib.SMTPResponseException):
        failure = PermanentMailFailure if error.smtp_code >= 500 else TemporaryMailFailure
        return failure(f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}")
    return TemporaryMailFailure(f"{type(error).__name__}: {error}")


def _replies(replies: object) -> str:
    return "; ".join(f"{code} {_text(text)}" for code, text in replies)  # type: ignore[attr-defined]


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
