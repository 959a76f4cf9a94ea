"""Void an invoice: nothing is owed on it any more, and payments stops trying to collect it."""

import uuid

from billing_contracts import InvoiceVoidedV1, new_envelope
from billing_runtime.access import role_of
from billing_runtime.clock import Clock
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store
from invoicing.domain.errors import InvoiceNotFound, NotAllowed
from invoicing.domain.invoices import Invoice, status_after_void

SOURCE = "/billing/invoicing"
DEFAULT_REASON = "Voided by the billing team."


async def void_invoice(
    invoice_id: str, tx: AsyncConnection, clock: Clock, *, email: str, operator: bool, reason: str | None = None
) -> Invoice:
    """Void the invoice and publish `invoice.voided`; the invoice as it now is.

    Allowed to an owner of the invoice's account and to operators: `InvoiceNotFound` for anyone
    else who is not a member, `NotAllowed` for a member who is not an owner. `InvoiceAlreadyPaid`
    (nothing changed) for a paid invoice; voiding a void invoice again changes nothing.
    """
    invoice = await invoice_store.invoice_for_update(tx, invoice_id)
    role = await role_of(tx, invoice.billing_account_id, email) if invoice else None
    if invoice is None or (role is None and not operator):
        raise InvoiceNotFound(invoice_id)
    if role != "owner" and not operator:
        raise NotAllowed("voiding an invoice needs the owner role on the account, or an operator")
    status = status_after_void(invoice.id, invoice.status)
    if status is None:
        return invoice
    await invoice_store.change_status(tx, invoice.id, status)
    voided = InvoiceVoidedV1(
        billing_account_id=invoice.billing_account_id, invoice_id=invoice.id, invoice_number=invoice.number,
        amount=invoice.amount_due, currency=invoice.currency, voided_at=clock.now(), reason=reason or DEFAULT_REASON,
    )
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE}/{invoice.id}/invoice.voided")
    await publish_events(tx, [new_envelope(voided, source=SOURCE, event_id=event_id)])
    return await invoice_store.find_invoice(tx, invoice.id)
