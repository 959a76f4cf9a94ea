"""From events to the mailbox, against the real database and the real SMTP server: the stream
handlers (through the kit's idempotent consumer) write rows, a sender pass sends them."""

import uuid
from datetime import UTC, datetime, timedelta

from billing_contracts import BillingAccountChangedV1, ChargeFailedV1, new_envelope
from billing_runtime.clock import FixedClock, SystemClock
from billing_runtime.messaging.consumer import IdempotentConsumer
from billing_runtime.messaging.dead_letters import Delivery
from devstack.ports import free_port
from sqlalchemy import select

from notifications.adapters.contacts import load_contact
from notifications.adapters.smtp_mailer import SmtpMailer
from notifications.adapters.tables import EMAILS, HELD_EVENTS
from notifications.entrypoints import stream
from notifications.settings import NotificationsSettings
from notifications.entrypoints.stream import email_settings
from notifications.use_cases.notify_customer import notify_customer
from notifications.use_cases.send_due_emails import send_due_emails

DASHBOARD = "https://dashboard.example"


class Handlers:
    """Stands in for `EventSubscriptions`: keeps the handlers `stream.subscribe` registers."""

    def __init__(self) -> None:
        self.by_topic = {}
        stream.subscribe(self, NotificationsSettings(dashboard_base_url=DASHBOARD))  # type: ignore[arg-type]

    def on(self, topic, **_):
        def register(handler):
            self.by_topic[topic] = handler
            return handler
        return register


class NoDeadLetters:
    async def put_aside(self, delivery, reason, error, attempts):
        raise AssertionError(f"dead-lettered: {reason}: {error}")


async def deliver(engine, envelope, offset: int = 0) -> None:
    """As the kit delivers a Kafka message: parsed, deduplicated by event id, one transaction."""
    handler = Handlers().by_topic[envelope.type]
    consumer = IdempotentConsumer(f"notifications.{handler.__name__}", engine, NoDeadLetters())
    delivery = Delivery(envelope.type, 0, offset, envelope.kafka_key(), envelope.to_bytes())
    await consumer.consume([delivery], handler)


def account(**changes):
    run = uuid.uuid4().hex[:10]
    fields = dict(
        billing_account_id=f"ba_{run}", name="Globex Labs", status="active", currency="USD",
        billing_emails=[f"billing-{run}@example.com"], version=1, changed_at=datetime.now(UTC),
        members=[{"user_id": "u1", "email": f"owner-{run}@example.com", "role": "owner"},
                 {"user_id": "u2", "email": f"viewer-{run}@example.com", "role": "viewer"}],
    )
    return new_envelope(BillingAccountChangedV1(**{**fields, **changes}), source="/billing/accounts")


def charge_failed(billing_account_id: str, amount: int = 1234, currency: str = "USD"):
    event = ChargeFailedV1(
        billing_account_id=billing_account_id, invoice_id=f"inv_{uuid.uuid4().hex[:8]}",
        invoice_number="INV-2026-11-000042", attempt=1, amount=amount, currency=currency,
        failure_kind="insufficient_funds", customer_message="Your card has insufficient funds.",
        next_retry_at=None, final=True, failed_at=datetime.now(UTC),
    )
    return new_envelope(event, source="/billing/payments")


def smtp(stack) -> SmtpMailer:
    return SmtpMailer(stack.smtp_host, stack.smtp_port, "Billing <billing@billing.local>", timeout=10)


async def emails_of(engine, billing_account_id: str) -> list:
    async with engine.connect() as connection:
        query = select(EMAILS).where(EMAILS.c.billing_account_id == billing_account_id).order_by(EMAILS.c.recipient)
        return (await connection.execute(query)).all()


async def test_a_failed_charge_becomes_one_email_to_the_billing_address(engine, stack, mailbox):
    snapshot = account()
    billing, owner, viewer = snapshot.data.billing_emails[0], *(m.email for m in snapshot.data.members)
    failed = charge_failed(snapshot.subject)
    await deliver(engine, snapshot)
    await deliver(engine, failed)
    (row,) = await emails_of(engine, snapshot.subject)
    assert (row.recipient, row.status, row.kind, row.event_id) == (billing, "pending", "action_required", failed.id)
    assert mailbox.sent_to(billing) == [], "handlers only write rows; the sender sends"

    assert await send_due_emails(engine, smtp(stack), SystemClock()) >= 1

    (message,) = mailbox.sent_to(billing)
    assert mailbox.sent_to(owner) == [] and mailbox.sent_to(viewer) == []
    link = f"{DASHBOARD}/billing-accounts/{snapshot.subject}/invoices/{failed.data.invoice_id}"
    assert message["Subject"] == "Action required: payment for invoice INV-2026-11-000042 failed"
    assert message["Message-ID"] == f"<{row.id}@billing.local>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "INV-2026-11-000042" in body and "$12.34" in body and link in body
        assert "Reason: Your card has insufficient funds." in body
    (row,) = await emails_of(engine, snapshot.subject)
    assert (row.status, row.attempts) == ("sent", 1) and row.sent_at is not None


async def test_a_redelivered_failed_charge_still_sends_one_email_per_recipient(engine, stack, mailbox):
    run = uuid.uuid4().hex[:10]
    snapshot = account(billing_emails=[f"ap-{run}@example.com", f"cfo-{run}@example.com"])
    failed = charge_failed(snapshot.subject, amount=1234, currency="JPY")
    await deliver(engine, snapshot)
    for offset in range(3):  # the same event, three times, as after a rebalance
        await deliver(engine, failed, offset)
    async with engine.begin() as transaction:  # even past the inbox, the unique key holds
        await notify_customer(transaction, failed, email_settings(NotificationsSettings(dashboard_base_url=DASHBOARD)),
                              SystemClock())
    assert [r.recipient for r in await emails_of(engine, snapshot.subject)] == sorted(snapshot.data.billing_emails)

    await send_due_emails(engine, smtp(stack), SystemClock())
    await send_due_emails(engine, smtp(stack), SystemClock())
    for address in snapshot.data.billing_emails:
        (message,) = mailbox.sent_to(address)
        assert "¥1234" in message.get_body(("plain",)).get_content()


async def test_a_failed_charge_before_the_snapshot_is_held_then_sent(engine, stack, mailbox):
    snapshot = account()
    billing = snapshot.data.billing_emails[0]
    failed = charge_failed(snapshot.subject)
    await deliver(engine, failed)
    async with engine.connect() as connection:
        held = (await connection.execute(select(HELD_EVENTS.c.event_id).where(HELD_EVENTS.c.billing_account_id == snapshot.subject))).scalars().all()
    assert held == [failed.id]
    assert await emails_of(engine, snapshot.subject) == []

    await deliver(engine, snapshot)
    await send_due_emails(engine, smtp(stack), SystemClock())

    (message,) = mailbox.sent_to(billing)
    assert failed.data.invoice_id in message.get_body(("plain",)).get_content()
    async with engine.connect() as connection:
        left = (await connection.execute(select(HELD_EVENTS).where(HELD_EVENTS.c.billing_account_id == snapshot.subject))).all()
    assert left == []
    await deliver(engine, account(billing_account_id=snapshot.subject, version=2, billing_emails=[billing]))
    await send_due_emails(engine, smtp(stack), SystemClock())
    assert len(mailbox.sent_to(billing)) == 1, "a later snapshot releases nothing twice"


async def test_an_older_snapshot_does_not_roll_the_contact_back(engine):
    newer = account(version=2)
    older = account(billing_account_id=newer.subject, version=1, billing_emails=["old@example.com"])
    await deliver(engine, newer)
    await deliver(engine, older)
    async with engine.connect() as connection:
        contact = await load_contact(connection, newer.subject)
    assert contact is not None and contact.version == 2
    assert contact.billing_emails == tuple(newer.data.billing_emails)


async def test_a_mail_server_that_is_away_leaves_the_email_pending_until_its_backoff_passes(engine, stack, mailbox):
    snapshot = account()
    billing = snapshot.data.billing_emails[0]
    await deliver(engine, snapshot)
    await deliver(engine, charge_failed(snapshot.subject))
    nowhere = SmtpMailer("127.0.0.1", free_port(), "Billing <billing@billing.local>", timeout=5)

    await send_due_emails(engine, nowhere, SystemClock())
    (row,) = await emails_of(engine, snapshot.subject)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert "Connection" in row.last_error
    assert row.next_attempt_at - datetime.now(UTC) > timedelta(seconds=20)

    await send_due_emails(engine, smtp(stack), SystemClock())  # not due yet: nothing is sent
    assert mailbox.sent_to(billing) == []

    later = FixedClock(datetime.now(UTC) + timedelta(seconds=31))
    await send_due_emails(engine, smtp(stack), later)
    assert len(mailbox.sent_to(billing)) == 1
    (row,) = await emails_of(engine, snapshot.subject)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, later.now())
