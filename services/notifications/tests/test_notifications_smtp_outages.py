"""Delivery against SMTP servers of the test's own (aiosmtpd on a free port, writing to a
temporary Maildir): one refused recipient does not hold the others back, and emails wait out
a server that is down and go out once, when it is back."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from billing_contracts import BillingAccountChangedV1, ChargeFailedV1, new_envelope
from billing_runtime.clock import FixedClock, SystemClock
from devstack.mailbox import Mailbox, MaildirHandler
from devstack.ports import free_port
from sqlalchemy import select

from notifications.adapters.smtp_mailer import SmtpMailer
from notifications.adapters.tables import EMAILS
from notifications.use_cases.send_due_emails import send_due_emails


class RefusingHandler(MaildirHandler):
    """Keeps what it accepts, but answers 550 to one recipient."""

    def __init__(self, maildir, refused: str) -> None:
        super().__init__(maildir)
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() == self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path):
    """Starts (and restarts) an SMTP server on one free port; stopped at the end."""
    port, running = free_port(), []

    def start(handler=None) -> Controller:
        controller = Controller(handler or MaildirHandler(tmp_path / "maildir"), hostname="127.0.0.1", port=port)
        controller.start()
        running.append(controller)
        return controller

    start.port = port  # type: ignore[attr-defined]
    start.mailbox = Mailbox(tmp_path / "maildir")  # type: ignore[attr-defined]
    yield start
    for controller in running:
        if getattr(controller, "_thread", None) is not None:
            controller.stop()


def account(*billing_emails: str):
    run = uuid.uuid4().hex[:10]
    return new_envelope(BillingAccountChangedV1(
        billing_account_id=f"ba_{run}", name="Hooli", status="active", currency="USD", billing_emails=list(billing_emails),
        members=[], version=1, changed_at=datetime.now(UTC)), source="/billing/accounts")


def charge_failed(billing_account_id: str):
    return new_envelope(ChargeFailedV1(
        billing_account_id=billing_account_id, invoice_id=f"inv_{uuid.uuid4().hex[:8]}", invoice_number="INV-9",
        attempt=1, amount=999, currency="USD", failure_kind="declined", customer_message="Declined.",
        final=False, failed_at=datetime.now(UTC)), source="/billing/payments")


async def rows(engine, billing_account_id: str) -> dict[str, object]:
    async with engine.connect() as connection:
        found = (await connection.execute(select(EMAILS).where(EMAILS.c.billing_account_id == billing_account_id))).all()
    return {row.recipient: row for row in found}


async def test_a_550_for_one_recipient_does_not_block_the_others(engine, deliver_event, smtp_server):
    run = uuid.uuid4().hex[:10]
    good, gone, other = (f"{who}-{run}@example.com" for who in ("ap", "gone", "cfo"))
    smtp_server(RefusingHandler(smtp_server.mailbox.path, refused=gone))
    snapshot = account(good, gone, other)
    await deliver_event(snapshot)
    await deliver_event(charge_failed(snapshot.subject))
    mailer = SmtpMailer("127.0.0.1", smtp_server.port, "Billing <billing@billing.local>", timeout=5)

    await send_due_emails(engine, mailer, SystemClock())

    assert len(smtp_server.mailbox.sent_to(good)) == 1 and len(smtp_server.mailbox.sent_to(other)) == 1
    assert smtp_server.mailbox.sent_to(gone) == []
    by_recipient = await rows(engine, snapshot.subject)
    assert (by_recipient[good].status, by_recipient[other].status) == ("sent", "sent")
    refused = by_recipient[gone]
    assert (refused.status, refused.attempts) == ("failed", 1), "a 5xx is not retried"
    assert "550" in refused.last_error and "No such user" in refused.last_error


async def test_emails_wait_while_the_server_is_down_and_go_out_once_when_it_is_back(engine, deliver_event, smtp_server):
    billing = f"ap-{uuid.uuid4().hex[:10]}@example.com"
    server = smtp_server()
    snapshot = account(billing)
    await deliver_event(snapshot)
    await deliver_event(charge_failed(snapshot.subject))
    mailer = SmtpMailer("127.0.0.1", smtp_server.port, "Billing <billing@billing.local>", timeout=5)
    server.stop()

    await send_due_emails(engine, mailer, SystemClock())
    row = (await rows(engine, snapshot.subject))[billing]
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert smtp_server.mailbox.sent_to(billing) == []

    smtp_server()  # the same port again
    later = FixedClock(datetime.now(UTC) + timedelta(seconds=31))
    await send_due_emails(engine, mailer, later)
    await send_due_emails(engine, mailer, FixedClock(later.now() + timedelta(hours=2)))

    assert len(smtp_server.mailbox.sent_to(billing)) == 1
    row = (await rows(engine, snapshot.subject))[billing]
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, later.now())


class SessionRecordingHandler(MaildirHandler):
    """Notes which SMTP session (connection) each accepted email came over."""

    def __init__(self, maildir) -> None:
        super().__init__(maildir)
        self.sessions: list[int] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.sessions.append(id(session))
        return await super().handle_DATA(server, session, envelope)


async def test_a_backlog_goes_out_over_one_kept_connection_and_a_restart_is_survived(engine, deliver_event, smtp_server):
    run = uuid.uuid4().hex[:10]
    recipients = [f"r{i}-{run}@example.com" for i in range(3)]
    first = SessionRecordingHandler(smtp_server.mailbox.path)
    server = smtp_server(first)
    snapshot = account(*recipients)
    await deliver_event(snapshot)
    await deliver_event(charge_failed(snapshot.subject))
    mailer = SmtpMailer("127.0.0.1", smtp_server.port, "Billing <billing@billing.local>", timeout=5)
    await send_due_emails(engine, mailer, SystemClock())
    assert len(first.sessions) == 3 and len(set(first.sessions)) == 1

    server.stop()
    second = SessionRecordingHandler(smtp_server.mailbox.path)
    smtp_server(second)
    await deliver_event(charge_failed(snapshot.subject))
    await send_due_emails(engine, mailer, SystemClock())  # the kept connection is dead: a new one is opened
    assert len(second.sessions) == 3
    for address in recipients:
        assert len(smtp_server.mailbox.sent_to(address)) == 2
