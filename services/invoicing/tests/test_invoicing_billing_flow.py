"""Usage in, invoices out, charges settle them: through the kit's idempotent consumer, against
the real database (and the real broker for dead letters)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from billing_contracts import (
    AccountMember,
    BillingAccountChangedV1,
    ChargeFailedV1,
    ChargeSucceededV1,
    InvoiceFinalizedV1,
    UsageRecordedV1,
    new_envelope,
    parse_event,
)
from billing_runtime.clock import FixedClock
from billing_runtime.messaging.consumer import IdempotentConsumer, RetryPolicy
from billing_runtime.messaging.dead_letter_cli import read_dead_letters, why
from billing_runtime.messaging.dead_letters import DeadLetters, Delivery
from billing_runtime.messaging.producer import Producer
from billing_runtime.messaging.tables import OUTBOX
from sqlalchemy import select

from invoicing.adapters.tables import INVOICE_LINES, INVOICES, USAGE_TOTALS
from invoicing.entrypoints import stream
from invoicing.use_cases.close_period import close_period



class Kit:
    """Delivers envelopes to the service's handlers as the messaging kit does: inbox dedup, one
    transaction per delivery, retries, then dead letters."""

    def __init__(self, engine, producer: Producer, clock: FixedClock, subscriptions) -> None:
        stream.subscribe(subscriptions, clock=clock)
        self.subscriptions = subscriptions
        self.engine = engine
        self.dead_letters = DeadLetters(producer, "invoicing")
        self.offset = 0

    async def deliver(self, topic: str, envelopes) -> None:
        handler = self.subscriptions.handlers[topic]
        consumer = IdempotentConsumer(f"invoicing.{handler.__name__}", self.engine, self.dead_letters,
                                      RetryPolicy(attempts=2, first_backoff=0.01), self.subscriptions.readers[topic])
        deliveries = []
        for envelope in envelopes:
            self.offset += 1
            deliveries.append(Delivery(topic, 0, self.offset, envelope.kafka_key(), envelope.to_bytes()))
        await consumer.consume(deliveries, handler)


@pytest.fixture
async def kit(engine, stack, far_period, subscribers):
    producer = Producer(stack.kafka_bootstrap_servers, "invoicing-tests")
    await producer.start()
    yield Kit(engine, producer, FixedClock(far_period.end + timedelta(days=1)), subscribers)  # the usage is not too old
    await producer.stop()


def usage(account: str, project: str, meter: str, quantity: str, at):
    return new_envelope(UsageRecordedV1(billing_account_id=account, project_id=project, meter=meter,
                                        quantity=Decimal(quantity), occurred_at=at), source="/tests/upstream")


def snapshot(account: str, currency: str, version: int, at):
    owner = AccountMember(user_id="usr_1", email=f"owner@{account}.example", role="owner")
    return new_envelope(BillingAccountChangedV1(billing_account_id=account, name="Acme", status="active", currency=currency,
                                                billing_emails=(), members=(owner,), version=version, changed_at=at),
                        source="/billing/accounts")


async def aggregates(engine, account: str) -> dict:
    async with engine.connect() as connection:
        rows = await connection.execute(select(USAGE_TOTALS).where(USAGE_TOTALS.c.billing_account_id == account))
        return {(r.project_id, r.meter, r.period_start): r.quantity for r in rows}


async def invoices_of(engine, account: str) -> list:
    async with engine.connect() as connection:
        return (await connection.execute(select(INVOICES).where(INVOICES.c.billing_account_id == account))).all()


async def published(engine, account: str, topic: str) -> list:
    async with engine.connect() as connection:
        rows = await connection.execute(select(OUTBOX.c.payload).where(OUTBOX.c.key == account, OUTBOX.c.topic == topic))
        return [parse_event(row.payload) for row in rows]


async def test_usage_counts_once_then_one_invoice_per_account_then_charges_settle_it(engine, kit, far_period):
    eur, usd = f"ba_{uuid.uuid4().hex[:12]}", f"ba_{uuid.uuid4().hex[:12]}"
    at = far_period.start + timedelta(days=3)
    next_month = far_period.end + timedelta(hours=1)
    vcpu_1, vcpu_2 = usage(eur, "prj_a", "compute.vcpu_hours", "10.5", at), usage(eur, "prj_a", "compute.vcpu_hours", "2.25", at)
    storage = usage(eur, "prj_b", "storage.gb_months", "100", at)
    later = usage(eur, "prj_a", "compute.vcpu_hours", "7", next_month)
    usd_vcpu, usd_egress = usage(usd, "prj_c", "compute.vcpu_hours", "12.5", at), usage(usd, "prj_c", "network.egress_gb", "0.5", at)

    assert kit.subscriptions.batch == {"usage.recorded": True, "billing_account.changed": False,
                                          "project.linked": False, "charge.succeeded": False, "charge.failed": False}
    await kit.deliver("billing_account.changed", [snapshot(eur, "EUR", 2, at)])
    await kit.deliver("billing_account.changed", [snapshot(eur, "USD", 1, at)])  # an older snapshot, late
    # A duplicate inside the batch, and a redelivery in the next batch: each counts once.
    await kit.deliver("usage.recorded", [vcpu_1, vcpu_2, vcpu_1, storage, later, usd_vcpu, usd_egress])
    await kit.deliver("usage.recorded", [vcpu_2, usage(eur, "prj_a", "compute.vcpu_hours", "0.000001", at), usd_egress])

    assert await aggregates(engine, eur) == {
        ("prj_a", "compute.vcpu_hours", far_period.start): Decimal("12.750001"),
        ("prj_b", "storage.gb_months", far_period.start): Decimal("100"),
        ("prj_a", "compute.vcpu_hours", far_period.end): Decimal("7"),
    }
    assert await aggregates(engine, usd) == {
        ("prj_c", "compute.vcpu_hours", far_period.start): Decimal("12.5"),
        ("prj_c", "network.egress_gb", far_period.start): Decimal("0.5"),
    }

    clock = FixedClock(far_period.end + timedelta(days=1, minutes=5))
    async with engine.begin() as tx:
        closing = await close_period(far_period.start, tx, clock)
    mine = {invoice.billing_account_id: invoice for invoice in closing.finalized if invoice.billing_account_id in (eur, usd)}
    assert set(mine) == {eur, usd}
    # EUR: 12.750001 × 0.0380 = 0.4845… → 48 cents; 100 × 0.021 = 2.10 → 210 cents.
    # USD: 12.5 × 0.0412 = 0.515 → 52 cents (half-even); 0.5 × 0.09 = 0.045 → 4 cents (half-even).
    assert (mine[eur].currency, mine[eur].amount_due) == ("EUR", 258)
    assert (mine[usd].currency, mine[usd].amount_due) == ("USD", 56)
    for invoice in mine.values():
        assert invoice.number.startswith(f"INV-{far_period.label}-") and len(invoice.number) >= len("INV-2026-11-000001")
        assert invoice.due_at == clock.now() + timedelta(days=14)
    assert mine[eur].number != mine[usd].number

    [stored] = await invoices_of(engine, eur)
    assert (stored.id, stored.number, stored.status, stored.amount_due) == (mine[eur].id, mine[eur].number, "payment_pending", 258)
    async with engine.connect() as connection:
        lines = (await connection.execute(select(INVOICE_LINES).where(INVOICE_LINES.c.invoice_id == stored.id)
                                          .order_by(INVOICE_LINES.c.project_id))).all()
    assert [(l.project_id, l.meter, l.quantity, l.unit_price, l.amount) for l in lines] == [
        ("prj_a", "compute.vcpu_hours", Decimal("12.750001"), Decimal("0.0380"), 48),
        ("prj_b", "storage.gb_months", Decimal("100"), Decimal("0.021"), 210),
    ]

    [finalized] = await published(engine, eur, "invoice.finalized")
    assert isinstance(finalized.data, InvoiceFinalizedV1)
    assert finalized.data.model_dump() == {
        "billing_account_id": eur, "invoice_id": stored.id, "invoice_number": stored.number, "project_id": None,
        "period_start": far_period.start, "period_end": far_period.end, "currency": "EUR", "amount_due": 258,
        "due_at": clock.now() + timedelta(days=14), "finalized_at": clock.now(),
    }
    assert finalized.source == "/billing/invoicing" and finalized.subject == eur

    # Closing again, and late usage for the closed period: counted, but nothing new is invoiced.
    await kit.deliver("usage.recorded", [usage(eur, "prj_a", "compute.vcpu_hours", "1", at)])
    async with engine.begin() as tx:
        again = await close_period(far_period.start, tx, clock)
    assert {i.billing_account_id for i in again.finalized} & {eur, usd} == set()
    assert len(await invoices_of(engine, eur)) == 1 and len(await published(engine, eur, "invoice.finalized")) == 1
    assert (await aggregates(engine, eur))[("prj_a", "compute.vcpu_hours", far_period.start)] == Decimal("13.750001")

    # The EUR invoice is paid; the USD one's charge fails.
    paid_at = clock.now() + timedelta(minutes=1)
    await kit.deliver("charge.succeeded", [new_envelope(ChargeSucceededV1(
        billing_account_id=eur, invoice_id=stored.id, attempt=1, amount=258, currency="EUR",
        payment_intent_id="pi_1", paid_at=paid_at), source="/billing/payments")])
    [usd_invoice] = await invoices_of(engine, usd)
    await kit.deliver("charge.failed", [failed_charge(usd, usd_invoice, paid_at)])

    [eur_invoice], [usd_invoice] = await invoices_of(engine, eur), await invoices_of(engine, usd)
    assert (eur_invoice.status, eur_invoice.paid_at) == ("paid", paid_at)
    assert usd_invoice.status == "payment_due"
    [paid] = await published(engine, eur, "invoice.paid")
    assert (paid.data.invoice_id, paid.data.invoice_number, paid.data.amount, paid.data.currency, paid.data.paid_at) == (
        stored.id, stored.number, 258, "EUR", paid_at)
    [due] = await published(engine, usd, "invoice.payment_due")
    assert (due.data.invoice_id, due.data.amount, due.data.currency, due.data.due_at) == (usd_invoice.id, 56, "USD", usd_invoice.due_at)

    # A late failure of the paid invoice, and a second failure of the due one: nothing changes.
    await kit.deliver("charge.failed", [failed_charge(eur, eur_invoice, paid_at), failed_charge(usd, usd_invoice, paid_at)])
    assert (await invoices_of(engine, eur))[0].status == "paid"
    assert await published(engine, eur, "invoice.payment_due") == []
    assert len(await published(engine, usd, "invoice.payment_due")) == 1


def failed_charge(account: str, invoice, at):
    return new_envelope(ChargeFailedV1(
        billing_account_id=account, invoice_id=invoice.id, invoice_number=invoice.number, attempt=1, amount=invoice.amount_due,
        currency=invoice.currency, failure_kind="declined", decline_code="generic_decline",
        customer_message="Your card was declined.", next_retry_at=None, final=False, failed_at=at), source="/billing/payments")


async def test_usage_of_an_unknown_meter_is_dead_lettered_and_the_rest_of_the_batch_counts(engine, kit, far_period, stack):
    account = f"ba_{uuid.uuid4().hex[:12]}"
    at = far_period.start + timedelta(days=1)
    good, unknown = usage(account, "prj_a", "compute.vcpu_hours", "2", at), usage(account, "prj_a", "gpu.hours", "1", at)
    await kit.deliver("usage.recorded", [good, unknown, usage(account, "prj_a", "compute.vcpu_hours", "3", at)])

    assert await aggregates(engine, account) == {("prj_a", "compute.vcpu_hours", far_period.start): Decimal("5")}
    dead = [r for r in await read_dead_letters(stack.kafka_bootstrap_servers, "usage.recorded") if r.key == account.encode()]
    assert [r.value for r in dead] == [unknown.to_bytes()]
    reason = why(dead[0])
    # Dead-lettered at the first attempt: an unknown meter does not get better by waiting.
    assert (reason["reason"], reason["consumer_group"], reason["attempts"]) == ("unknown_meter", "invoicing", "1")
    assert "UnknownMeter" in reason["error"] and "gpu.hours" in reason["error"]


async def test_an_account_whose_currency_has_no_price_is_left_open_and_the_others_are_invoiced(engine, kit, far_period):
    swiss, american = f"ba_{uuid.uuid4().hex[:12]}", f"ba_{uuid.uuid4().hex[:12]}"
    at = far_period.start + timedelta(days=2)
    await kit.deliver("billing_account.changed", [snapshot(swiss, "CHF", 1, at)])
    await kit.deliver("usage.recorded", [usage(swiss, "prj_a", "compute.vcpu_hours", "1", at),
                                         usage(american, "prj_b", "compute.vcpu_hours", "100", at)])

    async with engine.begin() as tx:
        closing = await close_period(far_period.start, tx, FixedClock(far_period.end))

    assert "CHF" in closing.not_invoiced[swiss]
    assert await invoices_of(engine, swiss) == [] and await published(engine, swiss, "invoice.finalized") == []
    [invoice] = await invoices_of(engine, american)
    assert (invoice.currency, invoice.amount_due) == ("USD", 412)
