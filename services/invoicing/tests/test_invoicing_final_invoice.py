"""A deletion request bills the account's open month at once, against the real database: once,
whatever snapshots follow, and usage arriving after it goes on the next invoice as late usage."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from billing_contracts import AccountMember, BillingAccountChangedV1, new_envelope, parse_event
from billing_runtime.clock import FixedClock
from billing_runtime.messaging.tables import OUTBOX
from sqlalchemy import select

from invoicing.adapters import invoice_store
from invoicing.domain.invoices import InvoiceStatus
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.usage import Usage
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.record_usage import record_usage
from invoicing.use_cases.replicate_billing_account import replicate_billing_account


async def snapshot(engine, account_id: str, version: int, status: str, clock) -> None:
    changed = BillingAccountChangedV1(
        billing_account_id=account_id, name="Acme", status=status, currency="USD", billing_emails=(),
        members=(AccountMember(user_id="u1", email="owner@acme.example", role="owner"),), version=version,
        changed_at=clock.now(),
    )
    async with engine.begin() as tx:
        await replicate_billing_account(new_envelope(changed, source="/billing/accounts"), tx, clock)


async def use(engine, account_id: str, quantity: str, at: datetime) -> None:
    async with engine.begin() as tx:
        await record_usage([Usage(account_id, "prj_1", "compute.vcpu_hours", Decimal(quantity), at)], tx, FixedClock(at))


async def finalized(engine, account_id: str) -> list:
    async with engine.connect() as connection:
        rows = await connection.execute(select(OUTBOX.c.payload).where(
            OUTBOX.c.key == account_id, OUTBOX.c.topic == "invoice.finalized").order_by(OUTBOX.c.id))
        return [parse_event(row.payload).data for row in rows]


async def test_a_deletion_request_bills_the_open_month_at_once_and_once(engine, far_period):
    account_id = f"ba_{uuid.uuid4().hex[:12]}"
    requested = FixedClock(far_period.start + timedelta(days=9))
    await snapshot(engine, account_id, 1, "active", requested)
    await use(engine, account_id, "100", far_period.start + timedelta(days=2))   # 4.12 USD
    await use(engine, account_id, "50", far_period.start + timedelta(days=8))    # 2.06 USD

    await snapshot(engine, account_id, 2, "deletion_requested", requested)
    [final] = await finalized(engine, account_id)
    assert (final.amount_due, final.period_start, final.finalized_at) == (618, far_period.start, requested.now())

    # Redelivered, or followed by another change while pending: no second final invoice.
    await snapshot(engine, account_id, 2, "deletion_requested", requested)
    await snapshot(engine, account_id, 3, "deletion_requested", FixedClock(requested.now() + timedelta(minutes=5)))
    assert len(await finalized(engine, account_id)) == 1

    # Usage of the month still arriving is late usage: not lost, billed on the next invoice.
    await use(engine, account_id, "10", far_period.start + timedelta(days=9, hours=2))
    next_month = BillingPeriod.containing(far_period.end)
    async with engine.begin() as tx:
        closing = await close_period(far_period.start, tx, FixedClock(far_period.end + timedelta(hours=2)))
    assert account_id not in {i.billing_account_id for i in closing.finalized}
    async with engine.begin() as tx:
        closing = await close_period(next_month.start, tx, FixedClock(next_month.end + timedelta(hours=2)))
    [late] = [i for i in closing.finalized if i.billing_account_id == account_id]
    assert [(line.usage_period, line.quantity, line.amount) for line in late.lines] == [(far_period, Decimal(10), 41)]
    async with engine.connect() as connection:
        first = await invoice_store.find_invoice(connection, final.invoice_id)
    assert (first.status, first.amount_due) == (InvoiceStatus.PAYMENT_PENDING, 618)


async def test_no_final_invoice_for_an_account_with_nothing_to_bill(engine, far_period):
    account_id = f"ba_{uuid.uuid4().hex[:12]}"
    clock = FixedClock(far_period.start + timedelta(days=3))
    await snapshot(engine, account_id, 1, "active", clock)
    await snapshot(engine, account_id, 2, "deletion_requested", clock)
    assert await finalized(engine, account_id) == []
