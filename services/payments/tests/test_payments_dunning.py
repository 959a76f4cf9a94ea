"""The retry schedule under a moved clock: which failures are retried, when, and when it stops."""

from datetime import UTC, datetime, timedelta

import pytest
from billing_contracts import ChargeFailedV1, ChargeFailureKind, ChargeSucceededV1, InvoiceFinalizedV1
from billing_runtime.clock import FixedClock

from payments.domain.charges import ChargeStatus
from payments.domain.outcomes import HARD_DECLINE_CODES
from payments.domain.retries import RetrySchedule
from payments.use_cases.collect_charge import collect_next_charge
from payments.use_cases.open_invoice_charge import open_invoice_charge

ACCOUNT, CARD = "ba_dunning", "pm_card"
SCHEDULE = RetrySchedule.of_hours()  # 24, 72, 120, 168, 240, 336
START = datetime(2026, 5, 1, 0, 5, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def invoice() -> InvoiceFinalizedV1:
    return InvoiceFinalizedV1(
        billing_account_id=ACCOUNT, invoice_id="inv_d", invoice_number="INV-D",
        period_start=datetime(2026, 4, 1, tzinfo=UTC), period_end=datetime(2026, 5, 1, tzinfo=UTC),
        currency="EUR", amount_due=990, due_at=datetime(2026, 5, 15, tzinfo=UTC), finalized_at=START,
    )


async def collect(ledger, gateway, clock) -> bool:
    return await collect_next_charge(ledger, gateway, clock, clock.now() - timedelta(seconds=5), SCHEDULE)


async def collect_all(ledger, gateway, clock) -> None:
    while await collect(ledger, gateway, clock):
        pass


async def test_a_soft_decline_is_retried_on_schedule_and_given_up_after_the_last(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    gateway.refuse(CARD, ChargeFailureKind.DECLINED, "generic_decline")
    await open_invoice_charge(ledger, invoice(), clock)

    await collect_all(ledger, gateway, clock)
    attempts_at = [clock.now()]
    for hours in (24, 72, 120, 168, 240, 336):
        retry_at = START + timedelta(hours=hours)
        clock.at = retry_at - timedelta(seconds=1)
        await collect_all(ledger, gateway, clock)
        assert len(gateway.payments) == len(attempts_at), f"nothing is tried before {hours} h"
        clock.at = retry_at
        await collect_all(ledger, gateway, clock)
        attempts_at.append(retry_at)
        assert len(gateway.payments) == len(attempts_at), f"the retry at {hours} h is made"
    clock.advance(timedelta(days=60))
    await collect_all(ledger, gateway, clock)

    assert len(gateway.payments) == 7, "seven attempts in two weeks, then no more"
    assert [p.metadata["attempt"] for p in gateway.payments] == [str(n) for n in range(1, 8)]
    failures = [e for e in ledger.events if isinstance(e, ChargeFailedV1)]
    assert [(e.attempt, e.final) for e in failures] == [(n, n == 7) for n in range(1, 8)]
    assert [e.next_retry_at for e in failures] == attempts_at[1:] + [None]
    assert all(e.failed_at == at for e, at in zip(failures, attempts_at, strict=True))
    charge = ledger.charges["inv_d"]
    assert (charge.status, charge.attempt, charge.next_attempt_at) == (ChargeStatus.FAILED, 7, None)


async def test_a_retry_that_succeeds_ends_the_schedule(ledger, gateway, clock):
    ledger.card_on_file(ACCOUNT, CARD)
    gateway.refuse(CARD, ChargeFailureKind.INSUFFICIENT_FUNDS, "insufficient_funds")
    await open_invoice_charge(ledger, invoice(), clock)
    await collect_all(ledger, gateway, clock)
    assert ledger.charges["inv_d"].status is ChargeStatus.DUE

    del gateway.refusals[CARD]  # the customer topped up the card
    clock.advance(timedelta(hours=24))
    await collect_all(ledger, gateway, clock)
    clock.advance(timedelta(days=30))
    await collect_all(ledger, gateway, clock)

    assert len(gateway.payments) == 2
    assert [type(e) for e in ledger.events] == [ChargeFailedV1, ChargeSucceededV1]
    assert ledger.events[1].attempt == 2 and ledger.charges["inv_d"].status is ChargeStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("kind", "decline_code"),
    [(ChargeFailureKind.AUTHENTICATION_REQUIRED, None), *((ChargeFailureKind.DECLINED, code) for code in sorted(HARD_DECLINE_CODES))],
)
async def test_hard_declines_and_authentication_are_final_at_once(ledger, gateway, clock, kind, decline_code):
    ledger.card_on_file(ACCOUNT, CARD)
    gateway.refuse(CARD, kind, decline_code)
    await open_invoice_charge(ledger, invoice(), clock)
    await collect_all(ledger, gateway, clock)
    clock.advance(timedelta(days=30))
    await collect_all(ledger, gateway, clock)

    assert len(gateway.payments) == 1
    (event,) = ledger.events
    assert (event.failure_kind, event.decline_code, event.final, event.next_retry_at) == (kind, decline_code, True, None)
    assert ledger.charges["inv_d"].status is ChargeStatus.FAILED


@pytest.mark.parametrize(
    ("kind", "decline_code"),
    [(ChargeFailureKind.INSUFFICIENT_FUNDS, "insufficient_funds"), (ChargeFailureKind.PROCESSING_ERROR, None),
     (ChargeFailureKind.DECLINED, "do_not_honor"), (ChargeFailureKind.DECLINED, None)],
)
async def test_soft_failures_are_retried_after_a_day(ledger, gateway, clock, kind, decline_code):
    ledger.card_on_file(ACCOUNT, CARD)
    gateway.refuse(CARD, kind, decline_code)
    await open_invoice_charge(ledger, invoice(), clock)
    await collect_all(ledger, gateway, clock)

    (event,) = ledger.events
    assert (event.final, event.next_retry_at) == (False, START + timedelta(hours=24))
    assert ledger.charges["inv_d"].status is ChargeStatus.DUE


async def test_no_card_on_file_is_retried_too(ledger, gateway, clock):
    await open_invoice_charge(ledger, invoice(), clock)
    await collect_all(ledger, gateway, clock)
    (event,) = ledger.events
    assert (event.failure_kind, event.final) == (ChargeFailureKind.NO_PAYMENT_METHOD, False)

    ledger.card_on_file(ACCOUNT, CARD)
    clock.advance(timedelta(hours=24))
    await collect_all(ledger, gateway, clock)
    assert len(gateway.payments) == 1 and isinstance(ledger.events[-1], ChargeSucceededV1)


def test_a_schedule_must_increase_and_be_positive():
    with pytest.raises(ValueError):
        RetrySchedule.of_hours([24, 24])
    with pytest.raises(ValueError):
        RetrySchedule.of_hours([0, 24])
    assert RetrySchedule.of_hours([]).next_attempt_after(START, 1, START) is None
