"""A charge of an invoice failed: the invoice is payment_due ("action required")."""

import logging
import uuid

from billing_contracts import ChargeFailedV1, InvoicePaymentDueV1, new_envelope
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store
from invoicing.domain.invoices import status_after_failed_charge

log = logging.getLogger(__name__)
SOURCE = "/billing/invoicing"


async def record_failed_charge(charge: ChargeFailedV1, tx: AsyncConnection) -> bool:
    """Move a pending invoice to payment_due and publish `invoice.payment_due`; whether anything changed.

    A failure for an invoice already payment_due, paid or void changes nothing (a retry that
    failed again, or a late event). An invoice this service never issued is logged and ignored.
    """
    invoice = await invoice_store.invoice_for_update(tx, charge.invoice_id)
    if invoice is None:
        log.warning("charge.failed for unknown invoice %s ignored", charge.invoice_id)
        return False
    status = status_after_failed_charge(invoice.status)
    if status is None:
        return False
    await invoice_store.change_status(tx, invoice.id, status)
    due = InvoicePaymentDueV1(
        billing_account_id=invoice.billing_account_id, invoice_id=invoice.id, invoice_number=invoice.number,
        amount=invoice.amount_due, currency=invoice.currency, due_at=invoice.due_at,
    )
    # payment_pending → payment_due happens at most once per invoice.
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE}/{invoice.id}/invoice.payment_due")
    await publish_events(tx, [new_envelope(due, source=SOURCE, occurred_at=charge.failed_at, event_id=event_id)])
    return True
