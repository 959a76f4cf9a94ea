"""Events about an account whose contact never arrives: held for a bounded time, then dropped to
a failed entry of the account's email log, with the reason; never sent afterwards."""

import uuid
from datetime import UTC, datetime, timedelta

from billing_contracts import BillingAccountChangedV1, InvoiceNotPaidV1, new_envelope
from billing_runtime.clock import FixedClock, SystemClock
from sqlalchemy import select

from notifications.adapters.tables import EMAILS, HELD_EVENTS
from notifications.settings import NotificationsSettings
from notifications.use_cases.expire_held_events import expire_held_events

MAX_AGE = NotificationsSettings().held_event_max_age


def not_paid(billing_account_id: str):
    return new_envelope(InvoiceNotPaidV1(
        billing_account_id=billing_account_id, invoice_id="inv_1", invoice_number="INV-404", amount=100,
        currency="EUR", not_paid_at=datetime.now(UTC)), source="/billing/invoicing")


async def held_ids(engine, billing_account_id: str) -> list:
    async with engine.connect() as connection:
        query = select(HELD_EVENTS.c.event_id).where(HELD_EVENTS.c.billing_account_id == billing_account_id)
        return list((await connection.execute(query)).scalars())


async def log_of(engine, billing_account_id: str) -> list:
    async with engine.connect() as connection:
        return (await connection.execute(select(EMAILS).where(EMAILS.c.billing_account_id == billing_account_id))).all()


def test_the_bound_is_a_day_unless_configured():
    assert MAX_AGE == timedelta(hours=24)
    assert NotificationsSettings(held_event_max_age="PT2H").held_event_max_age == timedelta(hours=2)


async def test_an_event_held_longer_than_the_bound_becomes_a_failed_log_entry(engine, deliver_event):
    account_id = f"ba_{uuid.uuid4().hex[:10]}"
    event = not_paid(account_id)
    await deliver_event(event)
    assert await held_ids(engine, account_id) == [event.id]

    await expire_held_events(engine, FixedClock(datetime.now(UTC) + MAX_AGE - timedelta(minutes=1)), MAX_AGE)
    assert await held_ids(engine, account_id) == [event.id], "not yet: still within the bound"

    dropped = await expire_held_events(engine, FixedClock(datetime.now(UTC) + MAX_AGE + timedelta(minutes=1)), MAX_AGE)
    assert dropped >= 1
    assert await held_ids(engine, account_id) == []
    (entry,) = await log_of(engine, account_id)
    assert (entry.kind, entry.status, entry.recipient, entry.event_id) == ("final_notice", "failed", "", event.id)
    assert entry.subject == "Not sent: final notice for invoice INV-404"
    assert entry.last_error == f"no contact for billing account {account_id} arrived within 24 h; not sent"

    await deliver_event(new_envelope(BillingAccountChangedV1(
        billing_account_id=account_id, name="Late Ltd", status="active", currency="EUR",
        billing_emails=[f"late-{account_id}@example.com"], members=[], version=1, changed_at=datetime.now(UTC),
    ), source="/billing/accounts"))
    assert [row.status for row in await log_of(engine, account_id)] == ["failed"], "a late contact sends nothing"


async def test_an_event_held_within_the_bound_is_sent_when_its_contact_arrives(engine, deliver_event):
    account_id = f"ba_{uuid.uuid4().hex[:10]}"
    await deliver_event(not_paid(account_id))
    await expire_held_events(engine, SystemClock(), MAX_AGE)
    await deliver_event(new_envelope(BillingAccountChangedV1(
        billing_account_id=account_id, name="Prompt Ltd", status="active", currency="EUR",
        billing_emails=[f"prompt-{account_id}@example.com"], members=[], version=1, changed_at=datetime.now(UTC),
    ), source="/billing/accounts"))
    (entry,) = await log_of(engine, account_id)
    assert (entry.kind, entry.status, entry.recipient) == ("final_notice", "pending", f"prompt-{account_id}@example.com")
