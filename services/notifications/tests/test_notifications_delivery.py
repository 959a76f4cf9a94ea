"""Sending one email: sent, tried again after a backoff, or given up; and how SMTP replies are read."""

import asyncio
import smtplib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from billing_runtime.clock import FixedClock

from notifications.adapters.email_log import QueuedEmail
from notifications.adapters.smtp_mailer import SmtpMailer, classify
from notifications.domain.delivery import MAX_ATTEMPTS
from notifications.domain.errors import PermanentMailFailure, TemporaryMailFailure
from notifications.domain.mail import EmailStatus, OutgoingEmail
from notifications.entrypoints.mail_sender import MailSender
from notifications.use_cases.send_due_emails import deliver

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def queued(attempts: int = 0) -> QueuedEmail:
    message = OutgoingEmail("billing@acme.example", "Action required", "text", "<p>html</p>", reference="e1")
    return QueuedEmail(uuid.uuid4(), attempts, message)


async def test_an_accepted_email_is_marked_sent(fake_mailer):
    mailer = fake_mailer()
    outcome = await deliver(queued(), mailer, FixedClock(NOW))
    assert (outcome.status, outcome.attempts, outcome.sent_at) == (EmailStatus.SENT, 1, NOW)
    assert [m.recipient for m in mailer.sent] == ["billing@acme.example"]


@pytest.mark.parametrize(("attempts_before", "wait"), [(0, timedelta(seconds=30)), (2, timedelta(minutes=2)),
                                                       (10, timedelta(hours=1))])
async def test_a_temporary_failure_is_tried_again_after_a_growing_backoff(fake_mailer, attempts_before, wait):
    mailer = fake_mailer(TemporaryMailFailure("421 busy"))
    outcome = await deliver(queued(attempts_before), mailer, FixedClock(NOW))
    assert outcome.status is EmailStatus.PENDING
    assert outcome.attempts == attempts_before + 1
    assert outcome.next_attempt_at == NOW + wait
    assert outcome.error == "421 busy"
    assert mailer.sent == []


async def test_a_permanent_failure_is_given_up_at_once(fake_mailer):
    outcome = await deliver(queued(), fake_mailer(PermanentMailFailure("550 no such user")), FixedClock(NOW))
    assert (outcome.status, outcome.attempts, outcome.next_attempt_at) == (EmailStatus.FAILED, 1, None)


async def test_temporary_failures_are_given_up_after_the_last_attempt(fake_mailer):
    outcome = await deliver(queued(MAX_ATTEMPTS - 1), fake_mailer(TemporaryMailFailure("421")), FixedClock(NOW))
    assert (outcome.status, outcome.attempts) == (EmailStatus.FAILED, MAX_ATTEMPTS)


async def test_an_unexpected_error_counts_as_temporary(fake_mailer):
    outcome = await deliver(queued(), fake_mailer(RuntimeError("surprise")), FixedClock(NOW))
    assert outcome.status is EmailStatus.PENDING
    assert outcome.error == "RuntimeError: surprise"


@pytest.mark.parametrize(("error", "permanent"), [
    (smtplib.SMTPRecipientsRefused({"a@acme.example": (550, b"no such user")}), True),
    (smtplib.SMTPRecipientsRefused({"a@acme.example": (450, b"mailbox busy")}), False),
    (smtplib.SMTPDataError(554, b"message refused"), True),
    (smtplib.SMTPDataError(451, b"try later"), False),
    (smtplib.SMTPSenderRefused(553, b"sender not allowed", "billing@billing.local"), False),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
    (smtplib.SMTPServerDisconnected("gone"), False),
    (ConnectionRefusedError(111, "refused"), False),
    (TimeoutError("timed out"), False),
])
def test_only_a_5xx_for_the_recipient_or_the_message_is_permanent(error, permanent):
    assert isinstance(classify(error), PermanentMailFailure if permanent else TemporaryMailFailure)


def test_the_wire_message_has_a_text_part_an_html_part_and_a_stable_message_id():
    mailer = SmtpMailer("127.0.0.1", 25, "Billing <billing@billing.local>")
    mime = mailer.mime(OutgoingEmail("ada@acme.example", "Action required", "plain words", "<p>html</p>", reference="e1"))
    assert mime["From"] == "Billing <billing@billing.local>" and mime["To"] == "ada@acme.example"
    assert mime["Message-ID"] == "<e1@billing.local>"
    assert mime.get_body(("plain",)).get_content().strip() == "plain words"
    assert mime.get_body(("html",)).get_content().strip() == "<p>html</p>"


class BrokenEngine:
    """A database that is away: every transaction fails to start."""

    def __init__(self) -> None:
        self.tries = 0

    def begin(self):
        self.tries += 1
        raise OSError("database away")


async def test_the_mail_sender_survives_its_errors_and_stops_promptly(fake_mailer):
    engine, stopping = BrokenEngine(), asyncio.Event()
    sender = MailSender(engine, fake_mailer(), FixedClock(NOW), poll_interval=0.01)  # type: ignore[arg-type]
    running = asyncio.create_task(sender.run(stopping))
    await asyncio.sleep(0.2)
    assert not running.done() and engine.tries >= 2
    stopping.set()
    await asyncio.wait_for(running, timeout=1.0)
