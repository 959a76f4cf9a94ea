"""Paying an invoice by hand, voided and paid invoices, and bad input, against the real database
and the Stripe emulator."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from billing_contracts import InvoiceFinalizedV1, InvoicePaidV1, InvoiceVoidedV1, new_envelope
from billing_runtime.clock import FixedClock
from billing_runtime.messaging.consumer import IdempotentConsumer, RetryPolicy
from billing_runtime.messaging.dead_letters import Delivery
from sqlalchemy import text

from payments.adapters.charges import PostgresChargeLedger
from payments.adapters.stripe_gateway import StripeGateway
from payments.domain.retries import RetrySchedule
from payments.use_cases.collect_charge import collect_next_charge

pytestmark = pytest.mark.stack
GOOD_CARD, FAILS_WHEN_CHARGED = "4242424242424242", "4000000000000341"


async def worker_passes_at(engine, stripe_client, at: datetime) -> None:
    """Every pass the worker would make at `at` (the module's other charges included)."""
    while await worker_pass_at(engine, stripe_client, at):
        pass


async def worker_pass_at(engine, stripe_client, at: datetime) -> bool:
    clock = FixedClock(at)
    return await collect_next_charge(PostgresChargeLedger(engine), StripeGateway(stripe_client), clock,
                                     at - timedelta(seconds=5), RetrySchedule.of_hours())


@pytest.fixture
def failed_invoice(engine, account_with_card, finalize_invoice, stored, stripe_client):
    """An invoice whose first charge failed (card 0341), with a retry scheduled: payment due."""

    async def make(amount: int = 6_400) -> tuple[str, str]:
        account = await account_with_card(FAILS_WHEN_CHARGED)
        invoice_id = await finalize_invoice(account, amount)
        assert await worker_pass_at(engine, stripe_client, datetime.now(UTC) + timedelta(seconds=1))
        assert (await stored.charge(invoice_id)).status == "due"
        return account, invoice_id

    return make


def pay(http, auth, who: str, invoice_id: str, **body):
    return http.post(f"/v1/invoices/{invoice_id}/payments", json=body, headers=auth(who))


async def test_an_invoice_due_is_paid_by_hand_with_a_new_card_then_never_again(http, auth, people, failed_invoice, browser_card, stored, outbox, payment_intents, stripe_client):
    account, invoice_id = await failed_invoice()
    new_card = browser_card(GOOD_CARD)

    paid = await pay(http, auth, people.owner, invoice_id, payment_method_id=new_card)

    assert paid.status_code == 200, paid.text
    answer = paid.json()
    assert (answer["status"], answer["attempt"], answer["amount"], answer["currency"]) == ("paid", 2, 6_400, "USD")
    row = await stored.charge(invoice_id)
    assert (row.status, row.payment_method_id, row.payment_intent_id, row.by_hand) == ("succeeded", new_card, answer["payment_intent_id"], True)
    assert stripe_client.v1.payment_methods.retrieve(new_card).customer == (await stored.stripe_customers(account))[0]
    (event,) = await outbox("charge.succeeded", account)
    assert (event["attempt"], event["payment_intent_id"]) == (2, answer["payment_intent_id"])

    again = await pay(http, auth, people.owner, invoice_id)
    assert again.status_code == 409 and "paid already" in again.json()["detail"]
    assert [i.status for i in await payment_intents(account)].count("succeeded") == 1


async def test_a_refused_payment_by_hand_says_why_and_keeps_the_schedule(http, auth, people, failed_invoice, stored, outbox):
    account, invoice_id = await failed_invoice()
    before = await stored.charge(invoice_id)

    refused = await pay(http, auth, people.owner, invoice_id)  # the primary card, which fails

    assert refused.status_code == 402
    answer = refused.json()
    assert (answer["status"], answer["failure_kind"], answer["attempt"]) == ("failed", "declined", 2)
    assert "declined" in answer["message"] and "4000" not in answer["message"]
    row = await stored.charge(invoice_id)
    assert (row.status, row.attempt, row.next_attempt_at) == ("due", 2, before.next_attempt_at)
    assert [(f["attempt"], f["final"]) for f in await outbox("charge.failed", account)] == [(1, False), (2, False)]


async def test_a_failed_final_invoice_may_still_be_paid_by_hand(http, auth, people, engine, failed_invoice, browser_card, stored):
    account, invoice_id = await failed_invoice()
    async with engine.begin() as tx:  # automatic collection has ended: not paid
        await tx.execute(text("UPDATE charges SET status = 'failed', next_attempt_at = NULL WHERE invoice_id = :i"), {"i": invoice_id})
    paid = await pay(http, auth, people.owner, invoice_id, payment_method_id=browser_card(GOOD_CARD))
    assert paid.status_code == 200 and (await stored.charge(invoice_id)).status == "succeeded"


async def test_bad_cards_and_bad_callers_charge_nothing(http, auth, people, failed_invoice, account_with_card, new_account, browser_card, payment_intents, stored):
    account, invoice_id = await failed_invoice()
    other = await account_with_card(GOOD_CARD)
    their_card = (await http.get(f"/v1/billing-accounts/{other}/payment-methods", headers=auth(people.owner))).json()[0]["id"]
    before = await stored.charge(invoice_id)

    foreign = await pay(http, auth, people.owner, invoice_id, payment_method_id=their_card)
    assert foreign.status_code == 422 and "not on file" in foreign.json()["detail"]
    assert (await pay(http, auth, people.owner, invoice_id, payment_method_id="card_123")).status_code == 422
    assert (await pay(http, auth, people.owner, invoice_id, payment_method_id="pm_doesnotexist")).status_code == 422
    assert (await pay(http, auth, people.owner, "inv_nosuchinvoice")).status_code == 404
    assert (await pay(http, auth, people.viewer, invoice_id)).status_code == 403
    assert (await pay(http, auth, people.stranger, invoice_id)).status_code == 404
    assert (await http.post(f"/v1/invoices/{invoice_id}/payments", json={})).status_code == 401

    assert len(await payment_intents(account)) == 1, "only the automatic attempt"
    assert await payment_intents(other) == []
    assert (await stored.charge(invoice_id)).attempt == before.attempt


def voided(account: str, invoice_id: str, amount: int = 6_400) -> InvoiceVoidedV1:
    return InvoiceVoidedV1(billing_account_id=account, invoice_id=invoice_id, invoice_number=f"INV-{invoice_id[-6:]}",
                           amount=amount, currency="USD", voided_at=datetime.now(UTC), reason="Issued in error.")


async def test_a_voided_invoice_is_never_charged_again(http, auth, people, engine, failed_invoice, deliver, stored, payment_intents, stripe_client):
    account, invoice_id = await failed_invoice()

    await deliver(voided(account, invoice_id))

    row = await stored.charge(invoice_id)
    assert (row.status, row.next_attempt_at) == ("voided", None)
    refused = await pay(http, auth, people.owner, invoice_id)
    assert refused.status_code == 409 and "voided" in refused.json()["detail"]
    await worker_passes_at(engine, stripe_client, row.updated_at + timedelta(hours=25))  # past the first retry
    assert (await stored.charge(invoice_id)).status == "voided"
    assert len(await payment_intents(account)) == 1


async def test_an_invoice_voided_before_it_was_heard_finalized_is_not_charged(engine, account_with_card, deliver, stored, payment_intents, stripe_client):
    account = await account_with_card(GOOD_CARD)
    invoice_id = f"inv_{uuid.uuid4().hex[:12]}"
    await deliver(voided(account, invoice_id, amount=800))
    await deliver(InvoiceFinalizedV1(
        billing_account_id=account, invoice_id=invoice_id, invoice_number=f"INV-{invoice_id[-6:]}",
        period_start=datetime(2026, 4, 1, tzinfo=UTC), period_end=datetime(2026, 5, 1, tzinfo=UTC),
        currency="USD", amount_due=800, due_at=datetime(2026, 5, 15, tzinfo=UTC), finalized_at=datetime.now(UTC),
    ))
    assert (await stored.charge(invoice_id)).status == "voided"
    await worker_passes_at(engine, stripe_client, datetime.now(UTC) + timedelta(seconds=1))
    assert (await stored.charge(invoice_id)).status == "voided"
    assert await payment_intents(account) == []


async def test_an_invoice_paid_elsewhere_is_never_charged_again(engine, failed_invoice, deliver, stored, payment_intents, stripe_client, outbox):
    account, invoice_id = await failed_invoice()
    await deliver(InvoicePaidV1(billing_account_id=account, invoice_id=invoice_id, invoice_number="INV-X", amount=6_400,
                                currency="USD", paid_at=datetime.now(UTC)))
    assert (await stored.charge(invoice_id)).status == "paid_elsewhere"
    await worker_passes_at(engine, stripe_client, datetime.now(UTC) + timedelta(hours=25))
    assert (await stored.charge(invoice_id)).status == "paid_elsewhere"
    assert len(await payment_intents(account)) == 1 and await outbox("charge.succeeded", account) == []


class DeadLetterSink:
    def __init__(self) -> None:
        self.letters: list[tuple[str, str]] = []

    async def put_aside(self, delivery, reason: str, error: str, attempts: int) -> None:
        self.letters.append((reason, error))


async def test_an_invoice_with_a_negative_amount_is_dead_lettered_and_charges_nothing(engine, handlers, new_account, stored):
    account, invoice_id = await new_account(), f"inv_{uuid.uuid4().hex[:12]}"
    valid = InvoiceFinalizedV1(
        billing_account_id=account, invoice_id=invoice_id, invoice_number="INV-NEG",
        period_start=datetime(2026, 4, 1, tzinfo=UTC), period_end=datetime(2026, 5, 1, tzinfo=UTC),
        currency="USD", amount_due=1, due_at=datetime(2026, 5, 15, tzinfo=UTC), finalized_at=datetime.now(UTC),
    )
    document = json.loads(new_envelope(valid, source="/billing/invoicing").model_dump_json())
    document["data"]["amount_due"] = -500
    sink = DeadLetterSink()
    consumer = IdempotentConsumer("payments.test", engine, sink, RetryPolicy(attempts=1))

    await consumer.consume([Delivery("invoice.finalized", 0, 0, account.encode(), json.dumps(document).encode())],
                           handlers.by_topic["invoice.finalized"])

    ((reason, error),) = sink.letters
    assert "amount_due" in error, (reason, error)
    with pytest.raises(Exception):  # noqa: B017 - no row at all
        await stored.charge(invoice_id)
