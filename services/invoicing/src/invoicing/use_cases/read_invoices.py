"""What members of a billing account may read of its invoices."""

from billing_runtime.access import role_of
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store
from invoicing.domain.errors import InvoiceNotFound
from invoicing.domain.invoices import Invoice, InvoiceCategory, InvoiceStatus, statuses_wanted


async def account_invoices(
    connection: AsyncConnection, billing_account_id: str, status: InvoiceStatus | None = None,
    category: InvoiceCategory | None = None, project_id: str | None = None,
) -> list[tuple[Invoice, int | None]]:
    """The account's invoices, newest period first, filtered by category, status and project
    (with that project's subtotal on each); the caller has checked membership."""
    statuses = statuses_wanted(category, status)
    return await invoice_store.invoices_of_account(connection, billing_account_id, statuses, project_id)


async def invoice_for_member(connection: AsyncConnection, invoice_id: str, email: str, operator: bool = False) -> Invoice:
    """The invoice with its lines; `InvoiceNotFound` as well when `email` is not a member of its
    account (nor an operator, when `operator` says operators may), so another tenant's invoice
    ids are not confirmed to exist."""
    invoice = await invoice_store.find_invoice(connection, invoice_id)
    if invoice is None or (not operator and await role_of(connection, invoice.billing_account_id, email) is None):
        raise InvoiceNotFound(invoice_id)
    return invoice
