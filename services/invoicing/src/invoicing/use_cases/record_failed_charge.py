"""A charge of an invoice failed: the invoice is payment_due ("action required"), or not_paid
when it was the final attempt."""

import logging
import uuid

from billing_contracts import ChargeFailedV1, InvoiceNotPaidV1, InvoicePaymentDueV1, new_envelope
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store
from invoicing.domain.invoices import InvoiceStatus, status_after_failed_charge

log = logging.getLogger(__name__)
SOURCE = "/billing/invoicing"


async def record_failed_charge(charge: ChargeFailedV1, tx: AsyncConnection) -> bool:
    """Move the invoice and publish `invoice.payment_due` or `invoice.not_paid`; whether anything changed.

    A retryable failure of an invoice already payment_due or not_paid, and any failure of a paid
    or void one, changes nothing (a retry that failed again, or a late event). An invoice this
    service never issued is logged and ignored.
    """
    invoice = await invoice_store.invoice_for_update(tx, charge.invoice_id)
    if invoice is None:
        log.warning("charge.failed for unknown invoice %s ignored", charge.invoice_id)
        return False
    status = status_after_failed_charge(invoice.status, final=charge.final)
    if status is None:
        return False
    await invoice_store.change_status(tx, invoice.id, status)
    facts = dict(billing_account_id=invoice.billing_account_id, invoice_id=invoice.id, invoice_number=invoice.number,
                 amount=invoice.amount_due, currency=invoice.currency)
    if status is InvoiceStatus.NOT_PAID:
        event = InvoiceNotPaidV1(**facts, not_paid_at=charge.failed_at)
    else:
        event = InvoicePaymentDueV1(**facts, due_at=invoice.due_at)
    # Each of these moves happens at most once per invoice: a fixed id makes a second publication impossible.
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE}/{invoice.id}/{event.event_type}")
    await publish_events(tx, [new_envelope(event, source=SOURCE, occurred_at=charge.failed_at, event_id=event_id)])
    return True
