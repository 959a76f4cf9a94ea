"""Charging invoices, with a fake payment provider and an in-memory ledger."""

from datetime import UTC, datetime, timedelta

import pytest
from billing_contracts import ChargeFailedV1, ChargeFailureKind, ChargeSucceededV1, InvoiceFinalizedV1
from billing_runtime.clock import FixedClock

from payments.domain.charges import ChargeStatus
from payments.use_cases.collect_charge import collect_next_charge
from payments.use_cases.open_invoice_charge import open_invoice_charge

ACCOUNT = "ba_unit"
CARD = "pm_card"
STALE = timedelta(seconds=5)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 5, 1, 0, 5, tzinfo=UTC))


def invoice(invoice_id: str = "inv_1", amount: int = 4200) -> InvoiceFinalizedV1:
    return InvoiceFinalizedV1(
        billing_account_id=ACCOUNT, invoice_id=invoice_id, invoice_number=f"INV-{invoice_id}",
        period_start=datetime(2026, 4, 1, tzinfo=UTC), period_end=datetime(2026, 5, 1, tzinfo=UTC),
        currency="EUR", amount_due=amount, due_at=datetime(2026, 5, 15, tzinfo=UTC),
        finalized_at=datetime(2026, 5, 1, 0, 5, tzinfo=UTC),
    )


async def collect(ledger, gateway, clock) -> bool:
    return await collect_next_charge(ledger, gateway, clock, stale_before=clock.now() - STALE)


async def test_a_due_charge_is_collected_from_the_primary_card(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    await open_invoice_charge(ledger, invoice(), clock)
    assert ledger.charges["inv_1"].status is ChargeStatus.DUE and ledger.events == []

    assert await collect(ledger, gateway, clock)

    (payment,) = gateway.payments
    assert (payment.customer_id, payment.payment_method_id, payment.amount, payment.currency) == (f"cus_{ACCOUNT}", CARD, 4200, "EUR")
    assert payment.metadata == {"invoice_id": "inv_1", "attempt": "1", "idempotency_key": "charge-inv_1-1"}
    charge = ledger.charges["inv_1"]
    assert (charge.status, charge.attempt, charge.payment_intent_id) == (ChargeStatus.SUCCEEDED, 1, payment.id)
    (event,) = ledger.events
    assert isinstance(event, ChargeSucceededV1)
    assert (event.invoice_id, event.amount, event.currency, event.attempt, event.payment_intent_id) == ("inv_1", 4200, "EUR", 1, payment.id)
    assert not await collect(ledger, gateway, clock), "nothing is left to collect"


async def test_the_idempotency_key_is_stored_before_the_provider_is_called(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    await open_invoice_charge(ledger, invoice(), clock)
    seen = []
    gateway.on_charge = lambda key: seen.append((key, ledger.charges["inv_1"].status, ledger.charges["inv_1"].idempotency_key))

    await collect(ledger, gateway, clock)

    assert seen == [("charge-inv_1-1", ChargeStatus.IN_FLIGHT, "charge-inv_1-1")]


@pytest.mark.parametrize(
    ("kind", "decline_code"),
    [(ChargeFailureKind.DECLINED, None), (ChargeFailureKind.INSUFFICIENT_FUNDS, "insufficient_funds"),
     (ChargeFailureKind.AUTHENTICATION_REQUIRED, None)],
)
async def test_a_refused_charge_fails_with_the_kind_and_no_retry(ledger, gateway, clock, kind, decline_code):
    ledger.card_on_file(ACCOUNT, CARD)
    gateway.refuse(CARD, kind, decline_code)
    await open_invoice_charge(ledger, invoice(), clock)

    await collect(ledger, gateway, clock)

    charge = ledger.charges["inv_1"]
    assert (charge.status, charge.failure_kind, charge.decline_code, charge.attempt) == (ChargeStatus.FAILED, kind, decline_code, 1)
    (event,) = ledger.events
    assert isinstance(event, ChargeFailedV1)
    assert (event.failure_kind, event.decline_code, event.attempt, event.amount, event.currency) == (kind, decline_code, 1, 4200, "EUR")
    assert event.invoice_number == "INV-inv_1"
    assert event.next_retry_at is None and event.final is True
    assert event.customer_message and "4242" not in event.customer_message
    assert not await collect(ledger, gateway, clock), "a failed charge is not tried again (yet)"
    assert len(gateway.payments) == 1


async def test_no_card_on_file_fails_without_calling_the_provider(ledger, gateway, clock):
    await open_invoice_charge(ledger, invoice(), clock)

    await collect(ledger, gateway, clock)

    assert gateway.payments == []
    charge = ledger.charges["inv_1"]
    assert (charge.status, charge.failure_kind, charge.attempt, charge.idempotency_key) == (
        ChargeStatus.FAILED, ChargeFailureKind.NO_PAYMENT_METHOD, 1, None)
    (event,) = ledger.events
    assert isinstance(event, ChargeFailedV1) and event.failure_kind is ChargeFailureKind.NO_PAYMENT_METHOD
    assert "add a card" in event.customer_message


async def test_an_invoice_of_zero_is_settled_without_the_provider(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    await open_invoice_charge(ledger, invoice(amount=0), clock)

    assert ledger.charges["inv_1"].status is ChargeStatus.SUCCEEDED
    (event,) = ledger.events
    assert isinstance(event, ChargeSucceededV1) and (event.amount, event.attempt) == (0, 1)
    assert not await collect(ledger, gateway, clock)
    assert gateway.payments == []


async def test_an_invoice_announced_twice_is_charged_once(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    assert await open_invoice_charge(ledger, invoice(), clock) is not None
    assert await open_invoice_charge(ledger, invoice(), clock) is None
    while await collect(ledger, gateway, clock):
        pass
    assert len(gateway.payments) == 1 and len(ledger.events) == 1


async def test_a_lost_answer_is_resolved_by_looking_up_the_payment_not_by_paying_again(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    await open_invoice_charge(ledger, invoice(), clock)
    gateway.lose_next_answer = True

    await collect(ledger, gateway, clock)
    assert ledger.charges["inv_1"].status is ChargeStatus.IN_FLIGHT and ledger.events == []
    assert not await collect(ledger, gateway, clock), "an attempt in flight is left alone until it is stale"

    clock.advance(STALE + timedelta(seconds=1))
    assert await collect(ledger, gateway, clock)

    (payment,) = gateway.succeeded_payments("inv_1")
    charge = ledger.charges["inv_1"]
    assert (charge.status, charge.attempt, charge.payment_intent_id) == (ChargeStatus.SUCCEEDED, 1, payment.id)
    (event,) = ledger.events
    assert isinstance(event, ChargeSucceededV1) and event.payment_intent_id == payment.id


async def test_a_crash_before_the_request_left_is_sent_again_with_the_same_key(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    await open_invoice_charge(ledger, invoice(), clock)
    gateway.fail_next_before_sending = True
    with pytest.raises(gateway.Unreachable):
        await collect(ledger, gateway, clock)
    assert ledger.charges["inv_1"].status is ChargeStatus.IN_FLIGHT
    assert not await collect(ledger, gateway, clock), "a troubled attempt waits until it is stale"

    clock.advance(STALE + timedelta(seconds=1))
    await collect(ledger, gateway, clock)

    (payment,) = gateway.payments
    assert payment.metadata["idempotency_key"] == "charge-inv_1-1"
    assert ledger.charges["inv_1"].status is ChargeStatus.SUCCEEDED and len(ledger.events) == 1


async def test_a_crash_after_the_payment_never_pays_twice(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    await open_invoice_charge(ledger, invoice(), clock)
    gateway.on_charge = lambda key: None
    original = gateway.charge

    async def pay_then_die(*args, **kwargs):
        await original(*args, **kwargs)
        raise gateway.Unreachable("the worker died with the answer in hand")

    gateway.charge = pay_then_die
    with pytest.raises(gateway.Unreachable):
        await collect(ledger, gateway, clock)
    gateway.charge = original

    clock.advance(STALE + timedelta(seconds=1))
    await collect(ledger, gateway, clock)

    assert len(gateway.payments) == 1
    assert ledger.charges["inv_1"].status is ChargeStatus.SUCCEEDED
    assert [type(e) for e in ledger.events] == [ChargeSucceededV1]
