"""Stripe's word on a payment, from its webhook: applied once, and never backwards.

A payment that succeeds later (the customer completed authentication, a payment being
processed settled) settles its charge; a failure is applied only to the attempt still in
flight. A settled or closed charge stays as it is.
"""

import logging
from enum import StrEnum

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters import charge_rows
from payments.domain.charges import ChargeFailure, ChargeStatus, ChargeSucceeded
from payments.domain.retries import RetrySchedule
from payments.domain.webhooks import PaymentEvent

log = logging.getLogger(__name__)


class Applied(StrEnum):
    CHANGED = "changed"
    DUPLICATE = "duplicate"
    NOTHING_TO_DO = "nothing_to_do"


async def apply_payment_event(engine: AsyncEngine, clock: Clock, schedule: RetrySchedule, event: PaymentEvent) -> Applied:
    """Log the event and apply it to its charge in one transaction, with the charge's event."""
    now = clock.now()
    async with engine.begin() as tx:
        if not await charge_rows.first_delivery(tx, event, now):
            return Applied.DUPLICATE
        charge = await charge_rows.charge_of_payment(tx, event)
        if charge is None or event.outcome is None:
            return Applied.NOTHING_TO_DO
        match event.outcome:
            case ChargeSucceeded(payment_intent_id=payment_intent_id) if charge.is_open:
                changed, published = charge.succeed_later(payment_intent_id, now)
            case ChargeFailure() if charge.status is ChargeStatus.IN_FLIGHT and event.idempotency_key == charge.idempotency_key:
                changed, published = charge.fail(event.outcome, now, schedule)
            case ChargeSucceeded() if charge.status in (ChargeStatus.VOIDED, ChargeStatus.PAID_ELSEWHERE):
                log.error("payment %s of closed invoice %s succeeded: refund it by hand", event.payment_intent_id, charge.invoice_id)
                return Applied.NOTHING_TO_DO
            case _:
                return Applied.NOTHING_TO_DO
        if not await charge_rows.save(tx, charge, changed, [published]):
            return Applied.NOTHING_TO_DO
    return Applied.CHANGED
