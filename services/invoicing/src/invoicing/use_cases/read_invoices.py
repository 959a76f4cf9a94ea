"""What members of a billing account may read of its invoices."""

from billing_runtime.access import role_of
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store
from invoicing.domain.errors import InvoiceNotFound
from invoicing.domain.invoices import Invoice, InvoiceStatus


async def account_invoices(
    connection: AsyncConnection, billing_account_id: str, status: InvoiceStatus | None = None
) -> list[Invoice]:
    """The account's invoices, newest period first; the caller has checked membership."""
    return await invoice_store.invoices_of_account(connection, billing_account_id, status)


async def invoice_for_member(connection: AsyncConnection, invoice_id: str, email: str) -> Invoice:
    """The invoice with its lines; `InvoiceNotFound` as well when `email` is not a member of its
    account, so another tenant's invoice ids are not confirmed to exist."""
    invoice = await invoice_store.find_invoice(connection, invoice_id)
    if invoice is None or await role_of(connection, invoice.billing_account_id, email) is None:
        raise InvoiceNotFound(invoice_id)
    return invoice
