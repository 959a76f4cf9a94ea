"""Collecting an invoice's charge from the account's primary card, one charge at a time.

A new attempt is stored (in flight, with its idempotency key) and committed BEFORE Stripe is
called; its outcome is committed with its event after. An attempt found in flight later (the
worker crashed, or Stripe's answer was lost) is resolved first by asking Stripe for a payment
made with its key, and only if there is none is it sent again, with the same key. So however
the worker is interrupted, one invoice is never paid twice.
"""

import logging
from contextlib import AbstractContextManager
from datetime import datetime

from billing_contracts import ChargeFailureKind, Event
from billing_runtime.clock import Clock
from billing_runtime.observability import tracing

from payments.domain.charges import (
    Charge, ChargeFailure, ChargeOutcome, ChargeOutcomeUnknown, ChargeStatus, ChargeSucceeded,
)
from payments.domain.errors import ChargeStateError
from payments.domain.ports import ChargeClaim, ChargeLedger, PaymentGateway
from payments.domain.retries import NO_RETRIES, RetrySchedule

log = logging.getLogger(__name__)


async def collect_next_charge(
    ledger: ChargeLedger, gateway: PaymentGateway, clock: Clock, stale_before: datetime,
    schedule: RetrySchedule = NO_RETRIES,
) -> bool:
    """Work on the next charge (an in-flight one untouched since `stale_before` first, else a
    due one whose time has come); returns whether there was one. A failure schedules the next
    retry by `schedule`."""
    async with ledger.claim_next(clock.now(), stale_before) as claim:
        if claim is None:
            return False
        with _traced(claim):
            return await _collect(claim, gateway, clock, schedule)


def _traced(claim: ChargeClaim) -> AbstractContextManager[str]:
    """The first collection continues the trace the charge was opened in (its invoice's); a
    retry, hours or days later, is a trace of its own linked to it, so no trace lasts for days."""
    attributes = {"billing.invoice.id": claim.charge.invoice_id, "billing.charge.attempt": claim.charge.attempt + 1}
    if claim.charge.attempt == 0:
        return tracing.continue_trace(claim.traceparent, "collect charge", attributes=attributes)
    return tracing.continue_trace(None, "collect charge", attributes=attributes, links=[claim.traceparent])


async def _collect(claim: ChargeClaim, gateway: PaymentGateway, clock: Clock, schedule: RetrySchedule) -> bool:
    try:
        if claim.charge.status is ChargeStatus.IN_FLIGHT:
            await _resolve_attempt(claim, gateway, clock, schedule)
        else:
            await _attempt(claim, gateway, clock, schedule)
    except Exception:
        if claim.charge.status is ChargeStatus.IN_FLIGHT:
            # Looked at again only once stale, so one troubled charge does not hold up the rest.
            await claim.commit(claim.charge.still_unknown(clock.now()), [])
        raise
    return True


async def _attempt(claim: ChargeClaim, gateway: PaymentGateway, clock: Clock, schedule: RetrySchedule) -> None:
    if claim.customer_id is None or claim.primary_payment_method_id is None:
        no_card = ChargeFailure.of_kind(ChargeFailureKind.NO_PAYMENT_METHOD)
        failed, event = claim.charge.fail(no_card, clock.now(), schedule)
        await claim.commit(failed, [event])
        return
    attempt = claim.charge.start_attempt(claim.primary_payment_method_id, clock.now())
    if await claim.commit(attempt, []):
        await record(claim, await send(gateway, claim.customer_id, attempt), clock, schedule)


async def _resolve_attempt(claim: ChargeClaim, gateway: PaymentGateway, clock: Clock, schedule: RetrySchedule) -> None:
    charge = claim.charge
    if claim.customer_id is None or charge.idempotency_key is None:  # cannot be: an attempt starts with both
        raise ChargeStateError(f"the charge of {charge.invoice_id} is in flight without a customer or a key")
    outcome = await gateway.find_charge(claim.customer_id, charge.idempotency_key)
    if outcome is None:
        log.info("attempt %s never reached the payment provider; sending it again", charge.idempotency_key)
        outcome = await send(gateway, claim.customer_id, charge)
    await record(claim, outcome, clock, schedule)


async def send(gateway: PaymentGateway, customer_id: str, charge: Charge) -> ChargeOutcome:
    if charge.idempotency_key is None or charge.payment_method_id is None:
        raise ChargeStateError(f"the charge of {charge.invoice_id} has no attempt to send")
    return await gateway.charge(
        customer_id, charge.payment_method_id, charge.amount, charge.currency, charge.idempotency_key,
        metadata={
            "invoice_id": charge.invoice_id,
            "attempt": str(charge.attempt),
            "idempotency_key": charge.idempotency_key,
        },
    )


async def record(claim: ChargeClaim, outcome: ChargeOutcome, clock: Clock, schedule: RetrySchedule) -> None:
    """Commit the outcome of the attempt in flight with its event; an unknown one leaves it in
    flight, to be looked up later."""
    charge, now = claim.charge, clock.now()
    events: list[Event] = []
    match outcome:
        case ChargeSucceeded(payment_intent_id=payment_intent_id):
            charge, event = charge.succeed(payment_intent_id, now)
            events.append(event)
        case ChargeFailure():
            charge, event = charge.fail(outcome, now, schedule)
            events.append(event)
        case ChargeOutcomeUnknown(reason=reason):
            log.warning("outcome of %s unknown (%s); it will be looked up", charge.idempotency_key, reason)
            charge = charge.still_unknown(now)
    if not await claim.commit(charge, events) and isinstance(outcome, ChargeSucceeded):
        log.error("payment %s of invoice %s was taken, but the charge had changed meanwhile (voided or paid"
                  " elsewhere?): refund it by hand", outcome.payment_intent_id, charge.invoice_id)
