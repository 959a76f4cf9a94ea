"""An invoice voided, or paid, as invoicing tells it: its charge is never collected again."""

from billing_contracts import InvoicePaidV1, InvoiceVoidedV1
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from payments.adapters import charge_rows
from payments.domain.charges import Charge, ChargeStatus


async def close_invoice_charge(transaction: AsyncConnection, invoice: InvoiceVoidedV1 | InvoicePaidV1, clock: Clock) -> None:
    """Close the charge of a voided invoice (its retries are cancelled) or of one paid other than
    by this charge. A settled charge stays as it is. A voided invoice payments has not heard of
    yet is recorded closed, so its `invoice.finalized`, if it comes later, charges nothing."""
    status = ChargeStatus.VOIDED if isinstance(invoice, InvoiceVoidedV1) else ChargeStatus.PAID_ELSEWHERE
    now = clock.now()
    charge = await charge_rows.charge(transaction, invoice.invoice_id)
    if charge is None:
        await charge_rows.add_closed(transaction, Charge(
            invoice_id=invoice.invoice_id, invoice_number=invoice.invoice_number,
            billing_account_id=invoice.billing_account_id, amount=invoice.amount, currency=invoice.currency,
            status=status, updated_at=now,
        ))
    elif charge.is_open:
        await charge_rows.save(transaction, charge, charge.close(status, now), [])
