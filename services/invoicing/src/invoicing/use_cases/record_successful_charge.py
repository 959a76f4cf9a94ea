"""A charge collected an invoice: the invoice is paid, and everyone hears it."""

import logging
import uuid

from billing_contracts import ChargeSucceededV1, InvoicePaidV1, new_envelope
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store
from invoicing.domain.invoices import status_after_successful_charge

log = logging.getLogger(__name__)
SOURCE = "/billing/invoicing"


async def record_successful_charge(charge: ChargeSucceededV1, tx: AsyncConnection) -> bool:
    """Mark the invoice paid and publish `invoice.paid`; whether anything changed.

    A charge for an invoice already paid or void changes nothing (events may come late or
    twice). A charge for an invoice this service never issued is not ours: it is logged and
    ignored (invoices are committed before `invoice.finalized` leaves, so ours always exist).
    """
    invoice = await invoice_store.invoice_for_update(tx, charge.invoice_id)
    if invoice is None:
        log.warning("charge.succeeded for unknown invoice %s ignored", charge.invoice_id)
        return False
    status = status_after_successful_charge(invoice.status)
    if status is None:
        return False
    if (charge.amount, charge.currency) != (invoice.amount_due, invoice.currency):
        log.warning("invoice %s of %d %s was paid with %d %s", invoice.id, invoice.amount_due, invoice.currency,
                    charge.amount, charge.currency)
    await invoice_store.change_status(tx, invoice.id, status, paid_at=charge.paid_at)
    paid = InvoicePaidV1(
        billing_account_id=invoice.billing_account_id, invoice_id=invoice.id, invoice_number=invoice.number,
        amount=invoice.amount_due, currency=invoice.currency, paid_at=charge.paid_at,
    )
    # One invoice is paid once: a fixed event id makes a second publication impossible.
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE}/{invoice.id}/invoice.paid")
    await publish_events(tx, [new_envelope(paid, source=SOURCE, event_id=event_id)])
    return True
