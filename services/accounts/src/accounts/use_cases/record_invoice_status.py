"""Keep each invoice's latest status from invoicing's events: what is owed, and what is overdue."""

from billing_contracts import (
    Envelope, InvoiceFinalizedV1, InvoiceNotPaidV1, InvoicePaidV1, InvoicePaymentDueV1, InvoiceVoidedV1,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.replicas import apply_invoice_status
from accounts.domain.standing import InvoiceStatus, InvoiceStatusChange

InvoiceEvent = InvoiceFinalizedV1 | InvoicePaymentDueV1 | InvoiceNotPaidV1 | InvoicePaidV1 | InvoiceVoidedV1

_STATUS = {
    InvoiceFinalizedV1: InvoiceStatus.FINALIZED,
    InvoicePaymentDueV1: InvoiceStatus.PAYMENT_DUE,
    InvoiceNotPaidV1: InvoiceStatus.NOT_PAID,
    InvoicePaidV1: InvoiceStatus.PAID,
    InvoiceVoidedV1: InvoiceStatus.VOID,
}


def status_change(envelope: Envelope[InvoiceEvent]) -> InvoiceStatusChange:
    event = envelope.data
    amount = event.amount_due if isinstance(event, InvoiceFinalizedV1) else event.amount
    return InvoiceStatusChange(
        billing_account_id=event.billing_account_id,
        invoice_id=event.invoice_id,
        invoice_number=event.invoice_number,
        status=_STATUS[type(event)],
        amount=amount,
        currency=event.currency,
        changed_at=envelope.time,
    )


async def record_invoice_status(envelopes: list[Envelope[InvoiceEvent]], tx: AsyncConnection) -> None:
    """Apply each event unless its invoice already went further (paid and void are final)."""
    for envelope in envelopes:
        await apply_invoice_status(tx, status_change(envelope))
