"""Charges read and changed in a caller's transaction: by the event handlers, the webhook and
the card routes. Each change is a compare-and-set on the charge's status and attempt, so a
worker holding the charge (see `adapters.charges`) cannot record over it, nor it over him."""

from datetime import datetime

from billing_contracts import Event
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from payments.adapters.charges import charge_of, row_of
from payments.adapters.events import publish
from payments.adapters.tables import CHARGES, STRIPE_WEBHOOK_EVENTS
from payments.domain.charges import Charge, ChargeStatus
from payments.domain.webhooks import PaymentEvent


async def account_of_invoice(connection: AsyncConnection, invoice_id: str) -> str | None:
    return await connection.scalar(select(CHARGES.c.billing_account_id).where(CHARGES.c.invoice_id == invoice_id))


async def charge(connection: AsyncConnection, invoice_id: str) -> Charge | None:
    row = (await connection.execute(select(CHARGES).where(CHARGES.c.invoice_id == invoice_id).with_for_update())).first()
    return None if row is None else charge_of(row)


async def charge_of_payment(transaction: AsyncConnection, event: PaymentEvent) -> Charge | None:
    """The charge the provider's payment belongs to: by its id, else (an attempt whose answer
    was not heard yet) by the attempt's idempotency key from the payment's metadata."""
    matches = []
    if event.payment_intent_id:
        matches.append(CHARGES.c.payment_intent_id == event.payment_intent_id)
    if event.invoice_id and event.idempotency_key:
        matches.append((CHARGES.c.invoice_id == event.invoice_id) & (CHARGES.c.idempotency_key == event.idempotency_key))
    if not matches:
        return None
    row = (await transaction.execute(select(CHARGES).where(or_(*matches)).limit(1).with_for_update())).first()
    return None if row is None else charge_of(row)


async def save(transaction: AsyncConnection, before: Charge, after: Charge, events: list[Event]) -> bool:
    """Store `after` and stage its events if the stored charge is still `before`."""
    changed = await transaction.execute(
        update(CHARGES)
        .where(CHARGES.c.invoice_id == before.invoice_id, CHARGES.c.status == before.status.value,
               CHARGES.c.attempt == before.attempt)
        .values(row_of(after))
        .returning(CHARGES.c.invoice_id)
    )
    if changed.first() is None:
        return False
    await publish(transaction, events)
    return True


async def add_closed(transaction: AsyncConnection, charge: Charge) -> None:
    """A charge closed before it was opened (the invoice voided before payments heard it was
    finalized): its `invoice.finalized` then finds the invoice taken and charges nothing."""
    await transaction.execute(upsert(CHARGES).values(row_of(charge)).on_conflict_do_nothing(index_elements=["invoice_id"]))


async def bring_retries_forward(transaction: AsyncConnection, billing_account_id: str, now: datetime) -> int:
    """Due charges of the account are tried at once (a new primary card); returns how many."""
    moved = await transaction.execute(
        update(CHARGES)
        .where(CHARGES.c.billing_account_id == billing_account_id, CHARGES.c.status == ChargeStatus.DUE.value,
               CHARGES.c.next_attempt_at > now)
        .values(next_attempt_at=now, updated_at=now)
    )
    return moved.rowcount


async def first_delivery(transaction: AsyncConnection, event: PaymentEvent, now: datetime) -> bool:
    """Log the Stripe event; False when it was delivered before (and so applied already)."""
    logged = await transaction.execute(
        upsert(STRIPE_WEBHOOK_EVENTS)
        .values(event_id=event.event_id, event_type=event.event_type, payment_intent_id=event.payment_intent_id,
                received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(STRIPE_WEBHOOK_EVENTS.c.event_id)
    )
    return logged.first() is not None
