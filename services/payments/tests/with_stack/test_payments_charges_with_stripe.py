"""Charging finalized invoices against the real database and the Stripe-compatible emulator."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from billing_contracts import ChargeFailureKind
from billing_runtime.clock import SystemClock

from payments.adapters.charges import PostgresChargeLedger
from payments.adapters.stripe_gateway import StripeGateway
from payments.adapters.tables import CHARGES
from payments.domain.charges import ChargeFailure
from payments.domain.retries import NO_RETRIES, RetrySchedule
from payments.use_cases.collect_charge import collect_next_charge

pytestmark = pytest.mark.stack
GOOD_CARD, FAILS_WHEN_CHARGED = "4242424242424242", "4000000000000341"


async def one_worker_pass(engine, gateway) -> bool:
    clock = SystemClock()
    return await collect_next_charge(
        PostgresChargeLedger(engine), gateway, clock, clock.now() - timedelta(seconds=5), RetrySchedule.of_hours())


async def run_charging_worker_until_settled(app, stored, invoice_id: str, timeout: float = 15.0) -> None:
    """Run the service's own charging worker (from `runtime.workers`) until the charge is
    settled, then stop it, as the app's lifespan would."""
    (worker,) = [w for w in app.state.runtime.workers if w.__name__ == "collect_charges"]
    stopping = asyncio.Event()
    running = asyncio.create_task(worker(stopping))
    try:
        async with asyncio.timeout(timeout):
            while (await stored.charge(invoice_id)).status in ("due", "in_flight"):
                await asyncio.sleep(0.1)
    finally:
        stopping.set()
        async with asyncio.timeout(2):
            await running


async def test_a_finalized_invoice_is_charged_to_the_primary_card(engine, account_with_card, finalize_invoice, outbox, stored, stripe_client):
    account = await account_with_card(GOOD_CARD)
    invoice_id = await finalize_invoice(account, 12_345)
    assert (await stored.charge(invoice_id)).status == "due"

    assert await one_worker_pass(engine, StripeGateway(stripe_client))

    row = await stored.charge(invoice_id)
    assert (row.status, row.attempt, row.idempotency_key) == ("succeeded", 1, f"charge-{invoice_id}-1")
    intent = stripe_client.v1.payment_intents.retrieve(row.payment_intent_id)
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 12_345, "usd")
    assert intent.metadata.to_dict() == {"invoice_id": invoice_id, "attempt": "1", "idempotency_key": row.idempotency_key}
    (event,) = await outbox("charge.succeeded", account)
    assert (event["invoice_id"], event["amount"], event["currency"], event["payment_intent_id"]) == (invoice_id, 12_345, "USD", intent.id)


async def test_a_card_that_fails_when_charged_makes_a_failed_charge(engine, account_with_card, finalize_invoice, outbox, stored, stripe_client):
    account = await account_with_card(FAILS_WHEN_CHARGED)
    invoice_id = await finalize_invoice(account, 5_000)

    assert await one_worker_pass(engine, StripeGateway(stripe_client))

    row = await stored.charge(invoice_id)
    assert (row.status, row.failure_kind, row.attempt) == ("due", "declined", 1), "a soft decline is retried"
    assert row.next_attempt_at == row.first_failed_at + timedelta(hours=24)
    (event,) = await outbox("charge.failed", account)
    assert (event["invoice_id"], event["failure_kind"], event["amount"], event["final"]) == (invoice_id, "declined", 5_000, False)
    assert datetime.fromisoformat(event["next_retry_at"]) == row.next_attempt_at
    assert event["invoice_number"].startswith("INV-") and event["customer_message"]


async def test_an_invoice_of_zero_is_settled_without_stripe(new_account, finalize_invoice, outbox, stored):
    account = await new_account()
    invoice_id = await finalize_invoice(account, 0)
    assert (await stored.charge(invoice_id)).status == "succeeded"
    (event,) = await outbox("charge.succeeded", account)
    assert (event["invoice_id"], event["amount"]) == (invoice_id, 0)


async def test_the_charging_worker_collects_due_charges(app, account_with_card, finalize_invoice, outbox, stored):
    account = await account_with_card(GOOD_CARD)
    invoice_id = await finalize_invoice(account, 2_500)

    await run_charging_worker_until_settled(app, stored, invoice_id)

    assert (await stored.charge(invoice_id)).status == "succeeded"
    assert [e["amount"] for e in await outbox("charge.succeeded", account)] == [2_500]


class DiesAfterPaying(StripeGateway):
    """The worker process dies once Stripe took the payment, before its answer is recorded."""

    async def charge(self, *args, **kwargs):
        await super().charge(*args, **kwargs)
        raise SystemError("killed")


async def test_a_worker_dying_after_the_payment_never_pays_twice(app, engine, account_with_card, finalize_invoice, outbox, stored, stripe_client):
    account = await account_with_card(GOOD_CARD)
    invoice_id = await finalize_invoice(account, 777)
    with pytest.raises(SystemError):
        await one_worker_pass(engine, DiesAfterPaying(stripe_client))
    assert (await stored.charge(invoice_id)).status == "in_flight"

    # A restarted worker looks at once at the attempts left in flight before it started.
    await run_charging_worker_until_settled(app, stored, invoice_id, timeout=4)

    row = await stored.charge(invoice_id)
    assert (row.status, row.attempt) == ("succeeded", 1)
    (customer_id,) = await stored.stripe_customers(account)
    paid = [i for i in stripe_client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
            if i.customer == customer_id and i.status == "succeeded"]
    assert [i.id for i in paid] == [row.payment_intent_id]
    assert len(await outbox("charge.succeeded", account)) == 1


async def test_a_charge_one_worker_holds_is_skipped_by_another_even_when_stale(engine, new_account, finalize_invoice):
    invoice_id = await finalize_invoice(await new_account(), 900)
    ledger, later = PostgresChargeLedger(engine), datetime.now(UTC) + timedelta(hours=1)

    async with ledger.claim_next(later, later) as first:
        assert first is not None and first.charge.invoice_id == invoice_id
        assert first.customer_id is None and first.primary_payment_method_id is None
        due = first.charge
        assert await first.commit(due.start_attempt("pm_x", datetime.now(UTC)), [])
        async with ledger.claim_next(later, later) as second:
            assert second is None, "in flight and stale, but its worker still holds it"
    async with ledger.claim_next(later, later) as after_release:
        assert after_release is not None and after_release.charge.status.value == "in_flight"
        after_release.charge = due  # a worker that missed the change...
        failed, _ = due.fail(ChargeFailure.of_kind(ChargeFailureKind.DECLINED), datetime.now(UTC), NO_RETRIES)
        assert not await after_release.commit(failed, []), "...cannot overwrite it"
    async with engine.begin() as tx:  # leave nothing in flight for the other tests' workers
        await tx.execute(CHARGES.delete().where(CHARGES.c.invoice_id == invoice_id))
